"""Muscles as fans of fibres wrapped over the bones, skinned into closed bodies.

Each muscle is generated from landmark names only (``data/muscles.toml``), in
layer order from deep to superficial:

1. *Origin fan* (once per model).  The origin region is flattened onto its
   best-fit plane and cut into bins by angle around the fan centre (the
   insertion, or a waypoint) or along its long axis; the farthest region point
   of each bin lies on the far edge, which is smoothed, resampled evenly and
   snapped to the bone.  Fibres start there and run across the region, so the
   muscle's deep face covers it.  Fibres are ordered anterior to posterior
   (superior to inferior for gluteus maximus and piriformis).
2. *Insertion* (once per model, femur frame).  Fibres are spread in the same
   order along the long axis of the insertion facet(s), or along a band of the
   iliotibial tract lateral to the femoral shaft, so the fan does not twist.
3. *Fibres*.  At neutral pose: Catmull-Rom curves through the origin, control
   points set above what lies beneath (bone or deeper muscles), waypoints, an
   approach point and the insertion.  In any other pose the neutral fibres are
   carried along by the femur (each sample turning by part of the hip rotation)
   and only corrected.  Either way they are then pushed out of the bones
   (cached signed-distance grids, trilinear lookups) and out of the deeper
   muscles on their superficial side, laid onto them, and smoothed.
4. *Body*.  The superficial face is offset from the deep face by a thickness
   that grows from the origin to the belly, shrinks to a thin tendon and thins
   toward the fan's borders; Laplacian relaxation keeps the offset from
   folding.  Both faces are stitched into one closed mesh (piriformis, a
   spindle, is ``centred`` on its fibres instead).

Everything that does not depend on the pose (distance grids, origin fans,
insertions in the femur frame, the neutral muscles) lives in a
:class:`MuscleRig`, built once per model; :meth:`MuscleRig.build` does the
per-pose work (about 40 ms for all muscles of both hips on one core).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.interpolate import PchipInterpolator
from scipy.spatial import cKDTree

from glute3d.anatomy.skeleton import Skeleton
from glute3d.geometry.curves import catmull_rom_basis, smoothstep
from glute3d.geometry.distance import DistanceGrid, distance_grid
from glute3d.geometry.mesh import Mesh, merge
from glute3d.io.datafiles import data_text
from glute3d.sides import SIDE_SIGN, SIDES

MUSCLE_NAMES = ("gluteus_minimus", "piriformis", "gluteus_medius", "tensor_fasciae_latae", "gluteus_maximus")


class MuscleDataError(ValueError):
    """``muscles.toml`` is inconsistent; the message names the muscle and field."""


# ============================================================================ specification
@dataclass(frozen=True)
class Target:
    """One insertion target: a femur region or a band of the iliotibial tract."""

    fibres: tuple[float, float]
    regions: tuple[str, ...] = ()
    band: str | None = None
    below_gt: tuple[float, float] = (0.0, 0.0)
    lateral: float = 0.0
    anterior: float = 0.0


@dataclass(frozen=True)
class Via:
    """A control point at fraction ``t`` of the straight path, ``lift`` mm above what lies beneath."""

    t: float
    lift: float
    hug: bool
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Waypoint:
    """A fixed pelvic point the fibres pass through, spread over ``spread`` mm along ``across``."""

    at: Mapping[str, float]
    offset: tuple[float, float, float]
    spread: float
    across: tuple[float, float, float]


@dataclass(frozen=True)
class MuscleSpec:
    """How one muscle is generated (one table of ``muscles.toml``)."""

    name: str
    origin: tuple[str, ...]
    insertion: tuple[Target, ...]
    fibres: int
    samples: int
    order: str
    fan_center: str
    via: tuple[Via, ...]
    waypoints: tuple[Waypoint, ...]
    approach: tuple[float, float]
    thickness: tuple[tuple[float, float], ...]
    edge: float
    clearance: float
    hug: tuple[float, float, float] | None
    over: tuple[str, ...]
    parts: Mapping[str, tuple[float, float]]
    body: str = "sheet"
    gap: float = 1.0
    sampling: str = "angle"
    approach_from: str = "path"
    follow: tuple[float, float] = (0.3, 1.0)


def _need(d: Mapping, key: str, where: str) -> Any:
    if key not in d:
        raise MuscleDataError(f"muscles.toml [{where}]: missing field {key!r}")
    return d[key]


def parse_specs(doc: Mapping[str, Any]) -> dict[str, MuscleSpec]:
    """Validate a parsed ``muscles.toml`` and return its specs in file (layer) order.

    Raises
    ------
    MuscleDataError
        A missing or malformed field; the message names the table and field.
    """
    specs: dict[str, MuscleSpec] = {}
    for name, d in doc.items():
        targets = []
        for k, t in enumerate(_need(d, "insertion", name)):
            where = f"{name}.insertion[{k}]"
            q = tuple(float(x) for x in _need(t, "fibres", where))
            if len(q) != 2 or not 0.0 <= q[0] < q[1] <= 1.0:
                raise MuscleDataError(
                    f"muscles.toml [{where}]: fibres = {list(q)} must be [q0, q1] with 0 <= q0 < q1 <= 1"
                )
            if "region" in t:
                targets.append(Target(q, regions=tuple(t["region"])))
            elif "band" in t:
                if t["band"] != "iliotibial_tract":
                    raise MuscleDataError(f"muscles.toml [{where}]: unknown band {t['band']!r}; use 'iliotibial_tract'")
                below = tuple(float(x) for x in _need(t, "below_gt", where))
                targets.append(
                    Target(
                        q,
                        band=t["band"],
                        below_gt=below,
                        lateral=float(t.get("lateral", 10.0)),
                        anterior=float(t.get("anterior", 0.0)),
                    )
                )
            else:
                raise MuscleDataError(f"muscles.toml [{where}]: give either `region` or `band`")
        covered = sorted(t.fibres for t in targets)
        if covered[0][0] != 0.0 or covered[-1][1] != 1.0 or any(a[1] != b[0] for a, b in zip(covered, covered[1:])):
            raise MuscleDataError(f"muscles.toml [{name}.insertion]: fibre ranges {covered} must tile [0, 1]")
        order = d.get("order", "anterior")
        if order not in ("anterior", "superior"):
            raise MuscleDataError(f"muscles.toml [{name}]: order = {order!r}; use 'anterior' or 'superior'")
        fan = d.get("fan_center", "insertion")
        if fan not in ("insertion", "waypoint"):
            raise MuscleDataError(f"muscles.toml [{name}]: fan_center = {fan!r}; use 'insertion' or 'waypoint'")
        wps = tuple(
            Waypoint(
                dict(w["at"]),
                tuple(float(x) for x in w.get("offset", (0, 0, 0))),
                float(w.get("spread", 0.0)),
                tuple(float(x) for x in w.get("across", (0, 1, 0))),
            )
            for w in d.get("waypoints", ())
        )
        if fan == "waypoint" and not wps:
            raise MuscleDataError(f"muscles.toml [{name}]: fan_center = 'waypoint' needs `waypoints`")
        over = tuple(d.get("over", ()))
        for o in over:
            if o not in specs:
                raise MuscleDataError(
                    f"muscles.toml [{name}]: over = {o!r} must name a muscle defined earlier in the file "
                    f"(earlier: {list(specs)})"
                )
        thick = tuple((float(s), float(t)) for s, t in _need(d, "thickness", name))
        if thick[0][0] != 0.0 or thick[-1][0] != 1.0 or any(b[0] <= a[0] for a, b in zip(thick, thick[1:])):
            raise MuscleDataError(f"muscles.toml [{name}]: thickness s values must rise from 0 to 1")
        parts = {p: (float(q[0]), float(q[1])) for p, q in d.get("parts", {}).items()}
        hug = d.get("hug")
        body = d.get("body", "sheet")
        sampling = d.get("sampling", "angle")
        approach_from = d.get("approach_from", "path")
        if approach_from not in ("path", "femur"):
            raise MuscleDataError(f"muscles.toml [{name}]: approach_from = {approach_from!r}; use 'path' or 'femur'")
        if sampling not in ("angle", "axis"):
            raise MuscleDataError(f"muscles.toml [{name}]: sampling = {sampling!r}; use 'angle' or 'axis'")
        if body not in ("sheet", "centred"):
            raise MuscleDataError(f"muscles.toml [{name}]: body = {body!r}; use 'sheet' or 'centred'")
        specs[name] = MuscleSpec(
            name=name,
            origin=tuple(_need(d, "origin", name)),
            insertion=tuple(targets),
            fibres=int(_need(d, "fibres", name)),
            samples=int(d.get("samples", 28)),
            order=order,
            fan_center=fan,
            via=tuple(
                Via(
                    float(v["t"]),
                    float(v["lift"]),
                    bool(v.get("hug", False)),
                    tuple(float(x) for x in v.get("offset", (0.0, 0.0, 0.0))),
                )
                for v in d.get("via", ())
            ),
            waypoints=wps,
            approach=tuple(float(x) for x in d.get("approach", (0.0, 0.0))),
            thickness=thick,
            edge=float(d.get("edge", 0.3)),
            clearance=float(d.get("clearance", 0.8)),
            hug=tuple(float(x) for x in hug) if hug else None,
            over=over,
            parts=parts,
            body=body,
            gap=float(d.get("gap", 1.0)),
            sampling=sampling,
            approach_from=approach_from,
            follow=tuple(float(x) for x in d.get("follow", (0.3, 1.0))),
        )
    return specs


def muscle_specs(path: str | Path | None = None) -> dict[str, MuscleSpec]:
    """The muscle specifications of ``path`` (default: the packaged ``data/muscles.toml``)."""
    text = Path(path).read_text() if path is not None else data_text("muscles.toml")
    return parse_specs(tomllib.loads(text))


# ============================================================================ distance grids


# ============================================================================ result
@dataclass(frozen=True)
class Muscle:
    """One generated muscle of one side.

    Attributes
    ----------
    name : str
        Sided name, e.g. ``"gluteus_medius_r"``.
    side : {"r", "l"}
    fibres : numpy.ndarray
        ``(n_fibres, n_samples, 3)`` fibre polylines from origin to insertion, ordered
        anterior to posterior (superior to inferior for gluteus maximus and piriformis);
        the lines of action.  For a sheet muscle they form its deep face, for a
        ``centred`` muscle (piriformis) they run through the middle of the body.
    deep : numpy.ndarray
        ``(n_fibres, n_samples, 3)`` the deep face.
    superficial : numpy.ndarray
        ``(n_fibres, n_samples, 3)`` the matching points of the superficial face.
    normals : numpy.ndarray
        ``(n_fibres, n_samples, 3)`` unit directions from the deep to the superficial face.
    thickness : numpy.ndarray
        ``(n_fibres, n_samples)`` mm.
    weights : numpy.ndarray
        ``(n_fibres,)`` each fibre's share of the cross-section (sums to 1).
    parts : dict of str to numpy.ndarray
        Part name (``"anterior"``...) to fibre indices.
    mesh : Mesh
        Closed, outward-oriented body.
    """

    name: str
    side: str
    fibres: np.ndarray
    deep: np.ndarray
    superficial: np.ndarray
    normals: np.ndarray
    thickness: np.ndarray
    weights: np.ndarray
    parts: dict[str, np.ndarray]
    mesh: Mesh

    @property
    def origin_points(self) -> np.ndarray:
        """``(n_fibres, 3)`` where the fibres start (on the bone)."""
        return self.fibres[:, 0]

    @property
    def insertion_points(self) -> np.ndarray:
        """``(n_fibres, 3)`` where the fibres end (on the femur or the iliotibial tract)."""
        return self.fibres[:, -1]

    @property
    def base(self) -> str:
        """The sideless name."""
        return self.name[: -len(self.side) - 1]

    def part_name(self, part: str) -> str:
        """Sided name of a part, e.g. ``"gluteus_minimus_anterior_r"``."""
        return f"{self.base}_{part}_{self.side}"

    def part_mesh(self, part: str) -> Mesh:
        """A closed body of the fibres of ``part`` (the parts of a muscle tile its body).

        Raises
        ------
        KeyError
            Unknown part; the message lists this muscle's parts.
        """
        if part not in self.parts:
            raise KeyError(f"{self.name} has no part {part!r}; parts: {sorted(self.parts) or 'none'}")
        idx = self.parts[part]
        lo, hi = int(idx.min()), int(idx.max())
        hi = min(hi + 1, len(self.fibres) - 1)  # share the border fibre with the next part
        return body_mesh(self.deep[lo : hi + 1], self.superficial[lo : hi + 1])

    def part_meshes(self) -> dict[str, Mesh]:
        """Sided part name to closed body, for every part."""
        return {self.part_name(p): self.part_mesh(p) for p in self.parts}


# ============================================================================ mesh topology
@cache
def _body_faces(n_f: int, n_s: int) -> np.ndarray:
    """Faces of a closed body made of a deep and a superficial ``(n_f, n_s)`` grid."""
    deep = np.arange(n_f * n_s).reshape(n_f, n_s)
    sup = deep + n_f * n_s
    ring = np.concatenate([deep, sup[::-1]], axis=0)  # (2 n_f, n_s): cross-section loops
    a = ring
    b = np.roll(ring, -1, axis=0)
    q0, q1, q2, q3 = a[:, :-1], b[:, :-1], b[:, 1:], a[:, 1:]
    tube = np.concatenate([np.stack([q0, q1, q2], -1).reshape(-1, 3), np.stack([q0, q2, q3], -1).reshape(-1, 3)])
    caps = []
    for s, flip in ((0, False), (n_s - 1, True)):
        d0, d1, u0, u1 = deep[:-1, s], deep[1:, s], sup[:-1, s], sup[1:, s]
        t = np.concatenate([np.stack([d0, u0, u1], -1), np.stack([d0, u1, d1], -1)])
        caps.append(t[:, ::-1] if flip else t)
    return np.concatenate([tube, *caps]).astype(np.int64)


def body_mesh(deep: np.ndarray, superficial: np.ndarray) -> Mesh:
    """Closed mesh between a deep and a superficial ``(n_f, n_s, 3)`` grid (outward normals)."""
    n_f, n_s, _ = deep.shape
    verts = np.concatenate([deep.reshape(-1, 3), superficial.reshape(-1, 3)])
    faces = _body_faces(n_f, n_s)
    t = verts[faces]
    vol = np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum()
    return Mesh(verts, faces if vol > 0 else faces[:, ::-1])


# ============================================================================ curves


def _smooth_rows(a: np.ndarray, axis: int, times: int = 1) -> np.ndarray:
    """[1, 2, 1] / 4 smoothing along ``axis`` (0 or 1) keeping both ends; returns a new array."""
    a = np.array(a, dtype=float, copy=True)
    if a.shape[axis] < 3:
        return a
    for _ in range(times):
        if axis == 0:
            a[1:-1] = 0.25 * (a[:-2] + a[2:]) + 0.5 * a[1:-1]
        else:
            a[:, 1:-1] = 0.25 * (a[:, :-2] + a[:, 2:]) + 0.5 * a[:, 1:-1]
    return a


# ============================================================================ fields
def _refine(a: np.ndarray) -> np.ndarray:
    """Insert the midpoints between neighbouring samples of an ``(n_f, n_s, ...)`` grid."""
    n_f, n_s = a.shape[:2]
    out = np.empty((2 * n_f - 1, 2 * n_s - 1, *a.shape[2:]))
    out[::2, ::2] = a
    out[::2, 1::2] = 0.5 * (a[:, 1:] + a[:, :-1])
    out[1::2] = 0.5 * (out[:-1:2] + out[2::2])
    return out


class _Layer:
    """The refined mid-surface of one generated muscle, ready to be merged into a `_Cover`."""

    def __init__(self, muscle: Muscle):
        fine = _refine(0.5 * (muscle.deep + muscle.superficial))
        self.shape = fine.shape[:2]
        self.points = fine.reshape(-1, 3)
        self.radius = _refine(0.5 * np.linalg.norm(muscle.superficial - muscle.deep, axis=2)).ravel()
        nrm = _refine(muscle.normals).reshape(-1, 3)
        self.normals = nrm / np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-9)
        step = np.maximum(
            np.linalg.norm(np.gradient(fine, axis=0), axis=2), np.linalg.norm(np.gradient(fine, axis=1), axis=2)
        )
        self.footprint = 0.75 * step.ravel()
        n_f, n_s = self.shape
        fi, si = np.divmod(np.arange(len(self.points)), n_s)
        steps = np.array([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)])
        cf = np.clip(fi[:, None] + steps[:, 0], 0, n_f - 1)
        cs = np.clip(si[:, None] + steps[:, 1], 0, n_s - 1)
        self.neighbours = cf * n_s + cs
        self.coarse = (np.arange(0, n_f, 2)[:, None] * n_s + np.arange(0, n_s, 2)[None, :]).ravel()


class _Cover:
    """The muscles already generated beneath a muscle, as one distance field.

    Each mid-surface sample of each muscle (halfway between its deep and
    superficial faces, with extra samples halfway between neighbours) carries
    a ball of half the local thickness, so a body is a slab with rounded
    borders.  A point *under* a body (on its deep side, within its outline)
    counts as inside, at the depth below the superficial face: whatever lies
    on a muscle is pushed out on its superficial side, never between it and
    the bone.  Queries start with a k-d tree; repeated queries of slowly
    moving points walk the sample grids from the previous answer instead.
    """

    def __init__(self, layers: Sequence[_Layer]):
        offsets = np.cumsum([0] + [len(x.points) for x in layers])[:-1]
        self.points = np.concatenate([x.points for x in layers])
        self.radius = np.concatenate([x.radius for x in layers])
        self.normals = np.concatenate([x.normals for x in layers])
        self.footprint = np.concatenate([x.footprint for x in layers])
        self.neighbours = np.concatenate([x.neighbours + o for x, o in zip(layers, offsets)])
        self.coarse = np.concatenate([x.coarse + o for x, o in zip(layers, offsets)])
        self.tree = cKDTree(self.points[self.coarse])
        self.reach = float(self.radius.max())

    def __call__(self, p: np.ndarray, hint: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distance ``(n,)`` to the nearest body, unit gradient ``(n, 3)`` and nearest sample ``(n,)``."""
        if hint is None:
            _, hint = self.tree.query(p)
            hint = self.coarse[hint]
        idx = np.asarray(hint)
        rows = np.arange(len(p))
        for _ in range(3):  # walk downhill over the sample grid from the hint
            cand = self.neighbours[idx]
            rel = p[:, None, :] - self.points[cand]
            dist = np.sqrt(np.einsum("nkd,nkd->nk", rel, rel))
            k = np.argmin(dist - self.radius[cand], axis=1)
            best = cand[rows, k]
            if np.array_equal(best, idx):
                break
            idx = best
        rel = p - self.points[idx]
        dk = np.sqrt(np.einsum("ij,ij->i", rel, rel))
        d = dk - self.radius[idx]
        g = rel / np.maximum(dk, 1e-9)[:, None]
        n = self.normals[idx]
        h = np.einsum("ij,ij->i", rel, n)
        lateral = np.sqrt(np.maximum(dk * dk - h * h, 0.0))
        under = (lateral < self.footprint[idx]) & (h < 0.0)
        d = np.where(under, h - self.radius[idx], d)
        g = np.where(under[:, None], n, g)
        return d, g, idx


class _Field:
    """Distance to everything beneath a muscle: bones of one side (posed) and deeper muscles."""

    def __init__(
        self,
        pelvis: DistanceGrid,
        femur: DistanceGrid,
        transform: np.ndarray,
        cover: _Cover | None,
        gap: float = 0.0,
        outward: np.ndarray | None = None,
    ):
        self.pelvis, self.femur, self.cover, self.gap = pelvis, femur, cover, gap
        self.outward = outward
        self.rot = transform[:3, :3]
        self.shift = transform[:3, 3]
        self.femur_lo = femur.origin
        self.femur_hi = femur.origin + femur.spacing * (np.asarray(femur.values.shape) - 1)

    def bones(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the nearest bone and its unit gradient."""
        d, g = self.pelvis(p)
        local = (p - self.shift) @ self.rot
        near = np.flatnonzero(np.all((local > self.femur_lo) & (local < self.femur_hi), axis=1))
        if len(near):
            dfm, gf = self.femur(local[near])
            use = dfm < d[near]
            idx = near[use]
            d[idx] = dfm[use]
            g[idx] = gf[use] @ self.rot.T
        return d, g

    def active(self, p: np.ndarray, margin: float = 30.0) -> list[np.ndarray] | None:
        """``[indices of p within margin mm of a deeper muscle, their nearest samples]``."""
        if self.cover is None:
            return None
        _, near = self.cover.tree.query(p, distance_upper_bound=margin + self.cover.reach)
        keep = np.flatnonzero(near < len(self.cover.coarse))
        return [keep, self.cover.coarse[near[keep]]]

    def __call__(self, p: np.ndarray, active: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Distance and unit gradient at ``p``.

        ``active`` (from :meth:`active`, updated in place) limits the deeper
        muscles to the points near them and speeds up their queries.
        """
        d, g = self.bones(p)
        if self.outward is not None:
            # inside bone and heading for its deep side: leave toward the superficial side instead
            wrong = (d < 0.0) & (g @ self.outward < -0.3)
            if wrong.any():
                g[wrong] = self.outward
        if self.cover is None:
            return d, g
        if active is None:
            idx = np.arange(len(p))
            dc, gc, _ = self.cover(p)
        else:
            idx = active[0]
            if not len(idx):
                return d, g
            dc, gc, active[1] = self.cover(p[idx], active[1])
        dc = dc - self.gap
        gb = g[idx]
        # inside a deeper muscle and heading for the bone: leave it on the superficial side
        wrong = (dc < 0.0) & (np.einsum("ij,ij->i", gc, gb) < 0.0)
        if self.outward is not None:
            wrong |= (dc < 0.0) & (gc @ self.outward < -0.3)
            away = np.where((gb @ self.outward < -0.3)[:, None], self.outward, gb)
        else:
            away = gb
        gc = np.where(wrong[:, None], away, gc)
        use = dc < d[idx]
        sel = idx[use]
        d[sel] = dc[use]
        g[sel] = gc[use]
        return d, g


def _sheet_normals(sheet: np.ndarray) -> np.ndarray:
    """Unit normals of an ``(n_f, n_s, 3)`` sheet, smoothed once."""
    df = np.gradient(sheet, axis=0)
    ds = np.gradient(sheet, axis=1)
    n = np.cross(df, ds)
    n = _smooth_rows(_smooth_rows(n, 0), 1)
    return n / np.maximum(np.linalg.norm(n, axis=2, keepdims=True), 1e-9)


# ============================================================================ rig
@dataclass
class _Prepared:
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


class MuscleRig:
    """Everything needed to generate the muscles of a model in any pose.

    Parameters
    ----------
    skeleton : Skeleton
        Bones and landmarks at neutral pose.
    specs : dict of str to MuscleSpec, optional
        Defaults to :func:`muscle_specs`.
    spacing : float
        Distance-grid spacing, mm.

    Examples
    --------
    >>> import glute3d
    >>> rig = MuscleRig(glute3d.load_model().skeleton)
    >>> muscles = rig.build()          # neutral pose; both sides
    >>> sorted(muscles)[:2]
    ['gluteus_maximus_l', 'gluteus_maximus_r']
    """

    def __init__(self, skeleton: Skeleton, specs: Mapping[str, MuscleSpec] | None = None, *, spacing: float = 2.0):
        model = skeleton
        self.specs = dict(specs) if specs is not None else muscle_specs()
        self.hip_centers = {s: np.asarray(model.hip_centers[s], float) for s in SIDES}
        self.pelvis = distance_grid(model.pelvis_meshes(), spacing=spacing)
        self.femur: dict[str, DistanceGrid] = {}
        self.prepared: dict[tuple[str, str], _Prepared] = {}
        self._neutral: dict[str, Muscle] | None = None
        self._last: dict[str, tuple] = {}  # per side: the last transform built and its muscles
        for side in SIDES:
            femur = model.bones[f"femur_{side}"]
            targets = self._raw_targets(model, side)
            lowest = min(t[:, 1].min() for t in targets) - 30.0
            v = femur.vertices[femur.vertices[:, 1] > lowest]
            self.femur[side] = distance_grid(femur, spacing=spacing, lower=v.min(0), upper=v.max(0))
            for name, spec in self.specs.items():
                self.prepared[name, side] = self._prepare(model, spec, side)

    # ------------------------------------------------------------------ preparation
    def _raw_targets(self, model: Skeleton, side: str) -> list[np.ndarray]:
        out = []
        for spec in self.specs.values():
            for t in spec.insertion:
                if t.regions:
                    out.append(np.vstack([model.region(f"{r}_{side}").points for r in t.regions]))
                else:
                    tip = model.landmark(f"greater_trochanter_tip_{side}")
                    out.append(tip[None] - [0.0, t.below_gt[1] + 10.0, 0.0])
        return out

    def _snap(self, grid: DistanceGrid, p: np.ndarray, lift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        for _ in range(3):
            d, g = grid(p)
            p = p - (d - lift)[:, None] * g
        return p, grid(p)[1]

    def _prepare(self, model: Skeleton, spec: MuscleSpec, side: str) -> _Prepared:
        sign = SIDE_SIGN[side]
        mirror = np.array([1.0, 1.0, sign])
        n_f, n_s = spec.fibres, spec.samples
        q = (np.arange(n_f) + 0.5) / n_f

        waypoints_c = []
        for w in spec.waypoints:
            total = sum(w.at.values())
            c = sum(wt * model.landmark(f"{lm}_{side}") for lm, wt in w.at.items()) / total
            waypoints_c.append((c + np.asarray(w.offset) * mirror, w))

        # insertion target lines (femur neutral frame), each in its own order
        lines = []
        for t in spec.insertion:
            idx = np.flatnonzero((q >= t.fibres[0]) & (q < t.fibres[1]))
            if t.regions:
                pts = np.vstack([model.region(f"{r}_{side}").points for r in t.regions])
                line = _smooth_rows(_axis_samples(pts, len(idx)), 0, times=3)
                line, nrm = self._snap(self.femur[side], line)
                on = np.ones(len(idx), bool)
            else:
                line, nrm = _band_samples(model, side, t, len(idx))
                on = np.zeros(len(idx), bool)
            lines.append((idx, line, nrm, on))

        # origin fan around the centre
        if spec.fan_center == "waypoint":
            center = waypoints_c[0][0]
        else:
            center = np.vstack([ln[1] for ln in lines]).mean(0)
        patch = merge([model.region(f"{r}_{side}").mesh for r in spec.origin])
        pts, nrm = patch.vertices, patch.vertex_normals
        mean_n = (patch.face_normals * patch.face_areas[:, None]).sum(0)
        facing = nrm @ (mean_n / np.linalg.norm(mean_n)) > 0.2  # drop walls of foramina and rims
        pts, nrm = pts[facing], nrm[facing]
        starts, across_fan = _fan_origins(pts, center, n_f, by_axis=spec.sampling == "axis")
        origin, origin_n = self._snap(self.pelvis, starts)  # the smoothed edge, onto the bone surface
        key = 0 if spec.order == "anterior" else 1
        if origin[0, key] < origin[-1, key]:
            origin, origin_n = origin[::-1].copy(), origin_n[::-1].copy()

        insertion = np.zeros((n_f, 3))
        insertion_n = np.zeros((n_f, 3))
        on_surface = np.zeros(n_f, bool)
        for idx, line, nrm, on in lines:
            # keep the fan untwisted: insertions in the same order across the fan as the origins
            if (
                len(idx) > 1
                and ((line[-1] - line[0]) @ across_fan) * ((origin[idx[-1]] - origin[idx[0]]) @ across_fan) < 0
            ):
                line, nrm = line[::-1], nrm[::-1]
            insertion[idx], insertion_n[idx], on_surface[idx] = line, nrm, on

        waypoints = []
        for c, w in waypoints_c:
            across = np.asarray(w.across, float) * mirror
            across /= np.linalg.norm(across)
            waypoints.append(c + np.outer((0.5 - q) * w.spread, across))

        s = np.linspace(0.0, 1.0, n_s)
        knots = np.array(spec.thickness)
        profile = PchipInterpolator(knots[:, 0], knots[:, 1])(s)
        u = np.linspace(0.0, 1.0, n_f)
        edge = spec.edge + (1.0 - spec.edge) * np.sin(np.pi * u) ** 0.6
        parts = {p: np.flatnonzero((q >= a) & (q < b)) for p, (a, b) in spec.parts.items()}
        via_offsets = [np.asarray(v.offset) * mirror for v in spec.via]
        outward = mean_n / np.linalg.norm(mean_n)
        return _Prepared(
            spec,
            side,
            origin,
            origin_n,
            insertion,
            insertion_n,
            on_surface,
            waypoints,
            via_offsets,
            outward,
            model.shaft_frame(side).axis,
            smoothstep(s, *spec.follow),
            profile,
            edge,
            edge / edge.sum(),
            parts,
            s,
        )

    # ------------------------------------------------------------------ generation
    def neutral(self) -> dict[str, Muscle]:
        """The muscles at neutral pose (computed once, cached)."""
        if self._neutral is None:
            self._neutral = self.build(_use_prior=False)
        return self._neutral

    def build(
        self,
        transforms: Mapping[str, np.ndarray] | None = None,
        *,
        sides: Sequence[str] = SIDES,
        names: Sequence[str] | None = None,
        reuse: bool = True,
        _use_prior: bool = True,
    ) -> dict[str, Muscle]:
        """Generate the muscles for femur transforms.

        A side at neutral pose returns the cached neutral muscles; with
        ``reuse``, a side whose transform equals that of the previous call
        returns the previous muscles (the viewer moves one hip at a time).

        Parameters
        ----------
        transforms : mapping of side to (4, 4) array, optional
            Femur transform per side (see :func:`glute3d.kinematics.hip_transform`);
            identity (neutral pose) where missing.
        sides : sequence of {"r", "l"}
            Sides to generate.
        names : sequence of str, optional
            Sideless muscle names to generate (deeper muscles they lie on are
            generated too); default all.
        reuse : bool
            Reuse the last result of a side whose transform is unchanged.

        Returns
        -------
        dict of str to Muscle
            Sided name to muscle, deep to superficial.
        """
        transforms = transforms or {}
        wanted = set(self.specs) if names is None else self._with_deeper(names)
        neutral = self.neutral() if _use_prior else None
        out: dict[str, Muscle] = {}
        for side in sides:
            t = np.asarray(transforms.get(side, np.eye(4)), float)
            if neutral is not None and np.allclose(t, np.eye(4), atol=1e-12):
                out.update({f"{n}_{side}": neutral[f"{n}_{side}"] for n in self.specs if n in wanted})
                continue
            key = (t.tobytes(), frozenset(wanted))
            last = self._last.get(side)
            if reuse and neutral is not None and last is not None and last[0] == key:  # hip not moved
                out.update(last[1])
                continue
            done: dict[str, Muscle] = {}
            layers: dict[str, _Layer] = {}
            for name, spec in self.specs.items():
                if name not in wanted:
                    continue
                below = [layers[o] for o in spec.over if o in layers]
                fld = _Field(
                    self.pelvis,
                    self.femur[side],
                    t,
                    _Cover(below) if below else None,
                    spec.gap,
                    self.prepared[name, side].outward,
                )
                prep = self.prepared[name, side]
                prior = None
                if neutral is not None:
                    prior = _follow_femur(neutral[f"{name}_{side}"].fibres, t, self.hip_centers[side], prep.follow)
                done[name] = _generate(prep, t, fld, prior)
                if any(name in s.over for s in self.specs.values()):
                    layers[name] = _Layer(done[name])
            built = {f"{name}_{side}": m for name, m in done.items()}
            if neutral is not None:
                self._last[side] = (key, built)
            out.update(built)
        return out

    def _with_deeper(self, names: Sequence[str]) -> set[str]:
        unknown = [n for n in names if n not in self.specs]
        if unknown:
            raise KeyError(f"unknown muscle(s) {unknown}; known: {list(self.specs)}")
        todo, seen = list(names), set()
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(self.specs[n].over)
        return seen


def _generate(prep: _Prepared, transform: np.ndarray, fld: _Field, prior: np.ndarray | None = None) -> Muscle:
    """One muscle for one femur transform.

    Without ``prior`` the fibres start as curves through the control points of
    the specification; with it (the neutral fibres carried along by the femur,
    see `_follow_femur`) they start from that shape, which wrapping then only
    corrects.
    """
    spec = prep.spec
    thick = prep.edge[:, None] * prep.profile[None, :]
    # distance kept from what lies beneath: the deep face's, or half the body for a centred muscle
    clear_fs = spec.clearance + (0.5 * thick if spec.body == "centred" else 0.0 * thick)
    if prior is not None:
        fib = prior.copy()
    else:
        rot, shift = transform[:3, :3], transform[:3, 3]
        ins = prep.insertion @ rot.T + shift
        ins_n = prep.insertion_normal @ rot.T
        fib = _initial_fibres(prep, fld, ins, ins_n, clear_fs)
    return _wrap_and_skin(prep, fld, fib, clear_fs, thick, passes=2 if prior is not None else 3)


def _initial_fibres(
    prep: _Prepared, fld: _Field, ins: np.ndarray, ins_n: np.ndarray, clear_fs: np.ndarray
) -> np.ndarray:
    """Catmull-Rom curves through origin, settled via points, waypoints, approach and insertion."""
    spec = prep.spec
    origin, origin_n = prep.origin, prep.origin_normal
    n_f = len(origin)
    clear = clear_fs[:, 0]
    rot = fld.rot
    # ---- control polygon (n_f, k, 3)
    ctrl = [origin + origin_n * clear[:, None]]
    first = prep.waypoints[0] if prep.waypoints else ins
    if spec.via:  # all via points of the muscle settled together
        pts, target, hug = [], [], []
        for v, off in zip(spec.via, prep.via_offsets):
            pts.append(origin + v.t * (first - origin) + off)
            k = min(int(round(v.t * (len(prep.s) - 1))), len(prep.s) - 1)
            target.append(v.lift + clear_fs[:, k])
            hug.append(np.full(n_f, v.hug))
        settled = _settle(fld, np.concatenate(pts), np.concatenate(target), np.concatenate(hug))
        ctrl.extend(np.split(settled, len(spec.via)))
    ctrl.extend(prep.waypoints)
    along, lift = spec.approach
    end = ins + ins_n * np.where(prep.on_surface, 0.3, 0.0)[:, None]
    if along > 0 or lift > 0:
        back = (
            ctrl[-1] - ins if spec.approach_from == "path" else np.broadcast_to(rot @ prep.femur_up, ins.shape).copy()
        )
        back -= np.einsum("ij,ij->i", back, ins_n)[:, None] * ins_n
        back /= np.maximum(np.linalg.norm(back, axis=1, keepdims=True), 1e-9)
        ctrl.append(ins + back * along + ins_n * (lift + clear_fs[:, -1])[:, None])
    ctrl.append(end)
    poly = np.stack(ctrl, axis=1)
    chord = np.linalg.norm(np.diff(poly, axis=1), axis=2).mean(0)
    knots = np.concatenate([[0.0], np.cumsum(np.maximum(chord, 1e-3))])
    basis = catmull_rom_basis(knots, len(prep.s))
    return np.einsum("sk,fkd->fsd", basis, poly)


def _follow_femur(fibres: np.ndarray, transform: np.ndarray, center: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Carry neutral fibres along with the femur: sample ``s`` turns by ``weight[s]`` of the hip rotation.

    Turning (rather than blending positions) keeps the fibres' length and
    spacing, so a sheet swings round the hip instead of collapsing onto it.
    """
    from scipy.spatial.transform import Rotation

    rotvec = Rotation.from_matrix(transform[:3, :3]).as_rotvec()
    turns = Rotation.from_rotvec(weight[:, None] * rotvec[None, :]).as_matrix()  # (S, 3, 3)
    return center + np.einsum("sij,fsj->fsi", turns, fibres - center)


def _wrap_and_skin(
    prep: _Prepared, fld: _Field, fib: np.ndarray, clear_fs: np.ndarray, thick: np.ndarray, passes: int = 3
) -> Muscle:
    """Push the fibres out of what lies beneath (pulling some onto it), then build the body."""
    spec = prep.spec
    n_f = fib.shape[0]
    centred = spec.body == "centred"
    n_s = fib.shape[1]
    hug_mask = np.zeros(n_s, bool)
    if spec.hug:
        hug_mask = (prep.s >= spec.hug[0]) & (prep.s <= spec.hug[1])
    shape = fib.shape
    c_all = clear_fs.ravel()
    moving = np.zeros((n_f, n_s))
    moving[:, 1:-1] = 1.0
    moving = moving.ravel()
    hug_w = np.broadcast_to(hug_mask[None, :], (n_f, n_s)).ravel() * moving
    active = fld.active(fib.reshape(-1, 3))
    for _ in range(passes):
        p = fib.reshape(-1, 3)
        d, g = fld(p, active)
        delta = np.maximum(c_all - d, 0.0) * moving
        if spec.hug:
            pull = np.clip(d - c_all, 0.0, None)
            delta -= np.where(pull < spec.hug[2], pull, 0.0) * hug_w
        fib = (p + delta[:, None] * g).reshape(shape)
        fib = _smooth_rows(fib, 1, times=2)
        fib[1:-1, 1:-1] = _smooth_rows(fib, 0)[1:-1, 1:-1]
    p = fib.reshape(-1, 3)
    d, g = fld(p, active)
    push = np.maximum(c_all - d, 0.0) * moving  # the attachments stay where they are
    p = p + push[:, None] * g
    # points that had to move may still be too close (e.g. a sheet pulled over the trochanter)
    low = np.flatnonzero(push > 0.0)
    for _ in range(3):
        if not len(low):
            break
        dl, gl = fld(p[low])
        bad = dl < c_all[low] - 0.2
        low, dl, gl = low[bad], dl[bad], gl[bad]
        p[low] += 1.3 * (c_all[low] - dl)[:, None] * gl
    p = _clear_of_bone(fld, p, spec.clearance - 0.1, spec.clearance + 0.4)  # last word to the bones
    fib = p.reshape(shape)

    # ---- body
    # offset direction: away from what lies beneath (blended with the sheet normal), smoothed;
    # a centred body uses the sheet normal alone, which cannot flip along the fibres
    g = g.reshape(fib.shape)  # of the last push: the direction away from what lies beneath
    sheet = _sheet_normals(_smooth_rows(_smooth_rows(fib, 0, times=4), 1, times=4))
    if np.einsum("fsi,fsi->", sheet, g) < 0:
        sheet = -sheet
    if not centred:  # where a sheet wraps a bone its normal may turn inward: orient it locally
        agree = _smooth_rows(_smooth_rows(np.einsum("fsi,fsi->fs", sheet, g), 0, times=2), 1, times=2)
        sheet = sheet * np.where(agree < 0.0, -1.0, 1.0)[..., None]
    normals = sheet if centred else _smooth_rows(_smooth_rows(g, 0, times=2), 1, times=2) + 0.5 * sheet
    normals = _smooth_rows(_smooth_rows(normals, 0, times=2), 1, times=2)
    normals /= np.maximum(np.linalg.norm(normals, axis=2, keepdims=True), 1e-9)
    deep = fib - normals * (0.5 * thick)[..., None] if centred else fib
    sup = _relaxed_offset(deep, normals, thick)
    name = f"{spec.name}_{prep.side}"
    return Muscle(name, prep.side, fib, deep, sup, normals, thick, prep.weights, prep.parts, body_mesh(deep, sup))


def _relaxed_offset(deep: np.ndarray, normals: np.ndarray, thick: np.ndarray, *, passes: int = 6) -> np.ndarray:
    """Superficial face: the deep face offset by ``thick``, smoothed so it cannot fold.

    Offsetting a sheet by more than its radius of curvature folds the offset;
    Laplacian passes unfold it while every point is kept at least 75 % of its
    thickness above the deep face.
    """
    sup = deep + normals * thick[..., None]
    floor = 0.75 * thick
    for _ in range(passes):
        sup = _smooth_rows(_smooth_rows(sup, 0), 1)
        rel = sup - deep
        h = np.maximum(np.einsum("fsi,fsi->fs", rel, normals), floor)
        side = rel - np.einsum("fsi,fsi->fs", rel, normals)[..., None] * normals
        # the borders rise straight up; inside, points may slide by at most half the thickness
        lim = 0.5 * thick
        lim[[0, -1], :] = 0.0
        side *= np.minimum(1.0, lim / np.maximum(np.linalg.norm(side, axis=2), 1e-9))[..., None]
        sup = deep + h[..., None] * normals + side
    return sup


def _clear_of_bone(fld: _Field, p: np.ndarray, below: float, target: float, *, passes: int = 6) -> np.ndarray:
    """Push points closer than ``below`` mm to a bone out to ``target`` mm (none left inside bone).

    ``target`` exceeds the clearance by a margin for the error of the distance
    grids near small bony details.  Points stuck inside a thin bony plate
    (where the gradient flips from pass to pass) leave along the muscle's
    superficial direction, or jump to the nearest point clear of bone.
    """
    idx = np.arange(len(p))
    for k in range(passes):
        d, g = fld.bones(p[idx])
        low = d < (below if k == 0 else target - 0.05)
        if not low.any():
            break
        idx, d, g = idx[low], d[low], g[low]
        if k >= passes // 2 and fld.outward is not None:
            g = np.where((d < 0.0)[:, None], fld.outward, g)
        p[idx] += (target - d)[:, None] * g
    d, _ = fld.bones(p[idx]) if len(idx) else (np.zeros(0), None)
    stuck = idx[d < target - 0.3]
    if len(stuck):  # in a crevice or a thin plate: jump to the nearest probe point clear of bone
        probes = np.concatenate([r * _PROBES for r in (1.0, 2.0, 3.5, 5.0, 7.0)])
        cand = p[stuck, None, :] + probes[None]
        dc, _ = fld.bones(cand.reshape(-1, 3))
        ok = dc.reshape(len(stuck), -1) >= target
        first = np.argmax(ok, axis=1)  # probes are ordered by distance
        found = ok.any(axis=1)
        p[stuck[found]] = cand[found, first[found]]
    return p


_PROBES = np.array(
    [(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1) if (a, b, c) != (0, 0, 0)], float
)
_PROBES /= np.linalg.norm(_PROBES, axis=1, keepdims=True)


def _settle(fld: _Field, p: np.ndarray, target: np.ndarray, hug: np.ndarray, max_pull: float = 25.0) -> np.ndarray:
    """Move points along the field gradient to ``target`` mm above what lies beneath.

    Points with ``hug`` set are also pulled down (from up to ``max_pull`` mm
    above); the others are only pushed out.
    """
    for _ in range(2):
        d, g = fld(p)
        delta = target - d
        delta = np.where(hug, np.where(d > target + max_pull, 0.0, delta), np.maximum(delta, 0.0))
        p = p + delta[:, None] * g
    return p


# ============================================================================ sampling helpers
def _fan_origins(
    points: np.ndarray,
    center: np.ndarray,
    n: int,
    *,
    by_axis: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` fibre starts evenly spaced along the far edge of an origin region.

    The region is flattened onto its best-fit plane and cut into bins by angle
    around the projected ``center`` (or, with ``by_axis``, along the region's
    long axis, for a long strip such as the origin of gluteus maximus); in each
    bin the region point farthest from the centre lies on the far edge.  The
    edge is smoothed and resampled by arc length, so neighbouring fibres start
    evenly apart even where the region has a step; starts may therefore lie a
    little off the region (snap them to the bone).

    Returns
    -------
    starts : numpy.ndarray
        ``(n, 3)`` in order across the fan.
    across : numpy.ndarray
        ``(3,)`` unit direction across the fan.
    """
    m = points.mean(0)
    _, _, vt = np.linalg.svd(points - m, full_matrices=False)
    e = vt[:2].T
    p2 = (points - m) @ e
    c2 = (center - m) @ e
    rel = p2 - c2
    mean_dir = rel.sum(0)
    mean_dir /= np.linalg.norm(mean_dir)
    perp = np.array([-mean_dir[1], mean_dir[0]])
    bins = 3 * n
    if by_axis:
        key, across = p2[:, 0], e[:, 0]
        away = np.array([0.0, 1.0]) if c2[1] < 0 else np.array([0.0, -1.0])
        dist = p2 @ away  # the edge of the strip away from the centre
    else:
        key, across = np.arctan2(rel @ perp, rel @ mean_dir), e @ perp
        dist = np.linalg.norm(rel, axis=1)
    lo, hi = np.percentile(key, [0.5, 99.5])
    b = np.clip(((key - lo) / (hi - lo) * bins).astype(int), 0, bins - 1)
    order = np.lexsort((dist, b))  # by bin, then distance: the last of each bin is the farthest
    last = np.r_[b[order][1:] != b[order][:-1], True]
    edge = points[order[last]]
    edge = _smooth_rows(edge, 0, times=6)  # a region's border is a staircase of faces
    seg = np.linalg.norm(np.diff(edge, axis=0), axis=1)
    arc = np.r_[0.0, np.cumsum(seg)]
    t = np.linspace(0.0, arc[-1], n)
    starts = np.column_stack([np.interp(t, arc, edge[:, j]) for j in range(3)])
    return starts, across


def _axis_samples(points: np.ndarray, n: int) -> np.ndarray:
    """``n`` points along the long axis of a small region, each a local mean of region points."""
    m = points.mean(0)
    _, _, vt = np.linalg.svd(points - m, full_matrices=False)
    t = (points - m) @ vt[0]
    w = (points - m) @ vt[1]
    if n == 1:
        return m[None]
    lo, hi = np.percentile(t, [8, 92])
    tk = np.linspace(lo, hi, n)
    step = max((hi - lo) / max(n - 1, 1), 1.0)
    cost = ((t[None, :] - tk[:, None]) / step) ** 2 + (w[None, :] / max(np.ptp(w), 1.0) * 4.0) ** 2
    k = min(4, len(points))
    best = np.argsort(cost, axis=1)[:, :k]
    return points[best].mean(axis=1)


def _band_samples(model: Skeleton, side: str, t: Target, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points of the iliotibial tract lateral to the femoral shaft (femur neutral frame)."""
    v = model.bones[f"femur_{side}"].vertices
    tip = model.landmark(f"greater_trochanter_tip_{side}")
    c, axis = model.shaft_frame(side)[:2]
    lat = np.array([0.0, 0.0, SIDE_SIGN[side]])
    lat = lat - (lat @ axis) * axis
    lat /= np.linalg.norm(lat)
    ant = np.array([1.0, 0.0, 0.0])
    ant = ant - (ant @ axis) * axis - (ant @ lat) * lat
    ant /= np.linalg.norm(ant)
    level_tip = (tip - c) @ axis
    levels = np.linspace(t.below_gt[0], t.below_gt[1], n)
    centres = c + np.outer(level_tip - levels, axis)
    rel = v - c
    h = rel @ axis
    radial = rel @ lat
    radius = np.array([radial[np.abs(h - (level_tip - lv)) < 4.0].max(initial=0.0) for lv in levels])
    pts = centres + np.outer(radius + t.lateral, lat) + ant * t.anterior
    return pts, np.tile(lat, (n, 1))
