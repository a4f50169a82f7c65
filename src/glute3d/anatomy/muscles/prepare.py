"""What a muscle of one side needs in every pose, worked out once per model.

The origin fan (fibre starts on the far edge of the origin region, snapped to the bone),
the insertion lines in the femur frame (untwisted against the origins), the waypoints,
and the thickness profile, edge factors, weights and parts of the fibres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glute3d.anatomy.muscles.fan import axis_samples, band_samples, fan_origins
from glute3d.anatomy.muscles.grids import smooth_rows
from glute3d.anatomy.muscles.specs import MuscleSpec, Waypoint
from glute3d.anatomy.skeleton import Skeleton
from glute3d.geometry.curves import smoothstep
from glute3d.geometry.distance import DistanceGrid
from glute3d.geometry.mesh import merge
from glute3d.sides import mirror_for

__all__ = ["PreparedMuscle", "prepare_muscle", "snap"]


@dataclass
class PreparedMuscle:
    """Pose-independent data of one muscle of one side."""

    spec: MuscleSpec
    side: str
    origin: np.ndarray  # (F, 3) pelvis frame
    origin_normal: np.ndarray  # (F, 3)
    insertion: np.ndarray  # (F, 3) femur neutral frame
    insertion_normal: np.ndarray  # (F, 3)
    on_surface: np.ndarray  # (F,) insertion lies on the femur (not on the iliotibial tract)
    waypoints: list[np.ndarray]  # each (F, 3), pelvis frame
    via_offsets: list[np.ndarray]  # each (3,), side frame
    outward: np.ndarray  # (3,) mean outward normal of the origin: the superficial direction
    femur_up: np.ndarray  # (3,) femoral shaft axis toward the hip, femur neutral frame
    follow: np.ndarray  # (S,) how much of the hip rotation each sample follows (0 pelvis .. 1 femur)
    profile: np.ndarray  # (S,) thickness along the fibre
    edge: np.ndarray  # (F,) thickness factor across the fan
    weights: np.ndarray  # (F,)
    parts: dict[str, np.ndarray]
    s: np.ndarray  # (S,) fibre parameter of the samples


def snap(grid: DistanceGrid, p: np.ndarray, lift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Points moved onto the surface of ``grid`` (``lift`` mm above it), and the surface normals there."""
    for _ in range(3):
        d, g = grid(p)
        p = p - (d - lift)[:, None] * g
    return p, grid(p)[1]


#: One insertion target's fibres: indices, points, normals and whether they lie on the femur.
_Line = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _waypoint_centres(model: Skeleton, spec: MuscleSpec, side: str) -> list[tuple[np.ndarray, Waypoint]]:
    mirror = mirror_for(side)
    out = []
    for w in spec.waypoints:
        total = sum(w.at.values())
        c = sum(wt * model.point(f"{lm}_{side}") for lm, wt in w.at.items()) / total
        out.append((c + np.asarray(w.offset) * mirror, w))
    return out


def _insertion_lines(model: Skeleton, spec: MuscleSpec, side: str, q: np.ndarray, femur: DistanceGrid) -> list[_Line]:
    """Insertion target lines (femur neutral frame), each in its own order."""
    lines = []
    for t in spec.insertion:
        idx = np.flatnonzero((q >= t.fibres[0]) & (q < t.fibres[1]))
        if t.regions:
            pts = np.vstack([model.region(f"{r}_{side}").points for r in t.regions])
            line = smooth_rows(axis_samples(pts, len(idx)), 0, times=3)
            line, nrm = snap(femur, line)
            on = np.ones(len(idx), bool)
        else:
            line, nrm = band_samples(model, side, t, len(idx))
            on = np.zeros(len(idx), bool)
        lines.append((idx, line, nrm, on))
    return lines


def _origin_fan(
    model: Skeleton, spec: MuscleSpec, side: str, center: np.ndarray, pelvis: DistanceGrid
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fibre starts and their normals (in fibre order), the direction across the fan, the mean outward normal."""
    patch = merge([model.region(f"{r}_{side}").mesh for r in spec.origin])
    pts, nrm = patch.vertices, patch.vertex_normals
    mean_n = (patch.face_normals * patch.face_areas[:, None]).sum(0)
    facing = nrm @ (mean_n / np.linalg.norm(mean_n)) > 0.2  # drop walls of foramina and rims
    pts, nrm = pts[facing], nrm[facing]
    key = 0 if spec.order == "anterior" else 1
    starts, across_fan = fan_origins(
        pts, center, spec.fibres, by_axis=spec.sampling == "axis", span=spec.origin_span, first=key
    )
    origin, origin_n = snap(pelvis, starts)  # the smoothed edge, onto the bone surface
    if origin[0, key] < origin[-1, key]:
        origin, origin_n = origin[::-1].copy(), origin_n[::-1].copy()
    return origin, origin_n, across_fan, mean_n


def _untwisted(lines: list[_Line], origin: np.ndarray, across_fan: np.ndarray) -> tuple[np.ndarray, ...]:
    """Insertions, their normals and ``on_surface``, in the same order across the fan as the origins."""
    n_f = len(origin)
    insertion = np.zeros((n_f, 3))
    insertion_n = np.zeros((n_f, 3))
    on_surface = np.zeros(n_f, bool)
    for idx, line, nrm, on in lines:
        if len(idx) > 1 and ((line[-1] - line[0]) @ across_fan) * ((origin[idx[-1]] - origin[idx[0]]) @ across_fan) < 0:
            line, nrm = line[::-1], nrm[::-1]
        insertion[idx], insertion_n[idx], on_surface[idx] = line, nrm, on
    return insertion, insertion_n, on_surface


def prepare_muscle(
    model: Skeleton, spec: MuscleSpec, side: str, pelvis: DistanceGrid, femur: DistanceGrid
) -> PreparedMuscle:
    """The pose-independent data of muscle ``spec`` on ``side`` of a neutral skeleton.

    Parameters
    ----------
    model : Skeleton
        Bones and landmarks at neutral pose.
    spec : MuscleSpec
    side : {"r", "l"}
    pelvis, femur : DistanceGrid
        Distance grids of the pelvis and of this side's femur (neutral frame).
    """
    from scipy.interpolate import PchipInterpolator

    mirror = mirror_for(side)
    n_f, n_s = spec.fibres, spec.samples
    q = (np.arange(n_f) + 0.5) / n_f
    waypoints_c = _waypoint_centres(model, spec, side)
    lines = _insertion_lines(model, spec, side, q, femur)
    center = waypoints_c[0][0] if spec.fan_center == "waypoint" else np.vstack([ln[1] for ln in lines]).mean(0)
    origin, origin_n, across_fan, mean_n = _origin_fan(model, spec, side, center, pelvis)
    insertion, insertion_n, on_surface = _untwisted(lines, origin, across_fan)
    waypoints = []
    for c, w in waypoints_c:
        across = np.asarray(w.across, float) * mirror
        across /= np.linalg.norm(across)
        waypoints.append(c + np.outer((0.5 - q) * w.spread, across))
    s = np.linspace(0.0, 1.0, n_s)
    knots = np.array(spec.thickness)
    profile = PchipInterpolator(knots[:, 0], knots[:, 1])(s)
    u = np.linspace(0.0, 1.0, n_f)
    e0, e1 = spec.edge if isinstance(spec.edge, tuple) else (spec.edge, spec.edge)
    rim = e0 + (e1 - e0) * u  # the border's factor, fibre 0's border to the last fibre's
    edge = rim + (1.0 - rim) * np.sin(np.pi * u) ** 0.6
    parts = {p: np.flatnonzero((q >= a) & (q < b)) for p, (a, b) in spec.parts.items()}
    via_offsets = [np.asarray(v.offset) * mirror for v in spec.via]
    outward = mean_n / np.linalg.norm(mean_n)
    return PreparedMuscle(
        spec, side, origin, origin_n, insertion, insertion_n, on_surface, waypoints, via_offsets, outward,
        model.shaft_frame(side).axis, smoothstep(s, *spec.follow), profile, edge, edge / edge.sum(), parts, s,
    )  # fmt: skip
