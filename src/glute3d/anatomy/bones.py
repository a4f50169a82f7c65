"""Generated bones of the hip region: hip bones, sacrum, coccyx and femurs.

The shapes come from the blueprint in ``data/bones.toml`` (right side, adult
proportions; read and checked by :mod:`glute3d.anatomy.blueprint`), turned into
signed-distance functions (:mod:`glute3d.geometry.sdf`) and contoured into meshes
(:mod:`glute3d.geometry.meshing`).  A few named parameters bend
the blueprint, so a lecturer can show a small pelvis, a wide one, coxa vara or
coxa valga, and everything built on the bones follows.

Examples
--------
>>> from glute3d.anatomy.bones import BoneParameters, build_bones
>>> BoneParameters(neck_shaft_angle=110).as_dict()["neck_shaft_angle"]   # coxa vara
110.0
>>> bones = build_bones(BoneParameters(neck_shaft_angle=110))   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from glute3d.anatomy.blueprint import BonesDataError, blueprint
from glute3d.geometry import sdf
from glute3d.geometry.curves import smoothstep
from glute3d.geometry.mesh import Mesh
from glute3d.geometry.meshing import mesh_sdf
from glute3d.geometry.sdf import SweptSpheres
from glute3d.sides import MIRROR

__all__ = [
    "PARAMETER_RANGES",
    "BoneParameters",
    "BoneSet",
    "BonesDataError",
    "CoccyxDesign",
    "FemurDesign",
    "HipBoneDesign",
    "IliumSheet",
    "ParameterError",
    "SacrumDesign",
    "blueprint",
    "build_bones",
    "coccyx_design",
    "femur_design",
    "femur_mesh",
    "hip_bone_design",
    "mesh_design",
    "sacrum_design",
]

PARAMETER_RANGES = {
    "scale": (0.7, 1.3),
    "pelvis_width": (0.8, 1.25),
    "neck_shaft_angle": (100.0, 160.0),
    "anteversion": (-15.0, 45.0),
}


class ParameterError(ValueError):
    """A bone parameter outside its anatomically possible range."""


@dataclass(frozen=True)
class BoneParameters:
    """Named knobs of the bone generator, with adult defaults.

    Parameters
    ----------
    scale : float
        Overall size factor (1.0 is an average adult).
    pelvis_width : float
        Factor on the mediolateral width of the pelvis (hip centres move with it).
    neck_shaft_angle : float
        Femoral neck-shaft angle in degrees (coxa vara below ~120, valga above ~135):
        the angle of the neck's core.  Measured on the finished bone through the
        midpoints of the neck's cross-sections, as on a radiograph, it reads about
        3 degrees less, because the trochanters fill the base of the neck.
    anteversion : float
        Femoral anteversion in degrees (neck turned forward of the condylar axis).
    """

    scale: float = 1.0
    pelvis_width: float = 1.0
    neck_shaft_angle: float = 128.0
    anteversion: float = 12.0

    def __post_init__(self) -> None:
        for name, (lo, hi) in PARAMETER_RANGES.items():
            value = getattr(self, name)
            if not (lo <= value <= hi):
                raise ParameterError(
                    f"bone parameter {name}={value!r} is outside the anatomical range {lo}..{hi}; "
                    f"choose a value in that range (default {getattr(BoneParameters, name)})"
                )

    def as_dict(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in PARAMETER_RANGES}


def _unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def _frame_from_axis(axis) -> np.ndarray:
    """A rotation whose second column is ``axis`` (for ellipsoids given a long axis)."""
    y = _unit(axis)
    helper = np.array([0.0, 0.0, 1.0]) if abs(y[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = _unit(np.cross(y, helper))
    z = np.cross(x, y)
    return np.column_stack([x, y, z])


# ============================================================================ hip bone
@dataclass
class IliumSheet:
    """The wing of the ilium as a sampled surface with (u, v) coordinates.

    ``u`` runs from the anterior border (0) to the posterior border (1), ``v``
    from the iliac crest (0) down to the body above the acetabulum (1).
    ``outer`` are unit normals pointing out of the gluteal (lateral) surface.
    """

    mid: np.ndarray  # (n_u, n_v, 3) mid-surface
    outer: np.ndarray  # (n_u, n_v, 3) unit normals toward the gluteal surface
    half_thickness: np.ndarray  # (n_u, n_v)

    @property
    def uv(self) -> np.ndarray:
        n_u, n_v = self.half_thickness.shape
        u, v = np.meshgrid(np.linspace(0, 1, n_u), np.linspace(0, 1, n_v), indexing="ij")
        return np.stack([u, v], axis=-1)

    @cached_property
    def tree(self) -> Any:
        """k-d tree of the mid-surface samples (flattened ``(n_u, n_v)`` order)."""
        from scipy.spatial import cKDTree

        return cKDTree(self.mid.reshape(-1, 3))

    def uv_of(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest sheet coordinates of ``points``: ``(uv, distance, outer_normal)``."""
        d, i = self.tree.query(np.asarray(points, float), workers=-1)
        return self.uv.reshape(-1, 2)[i], d, self.outer.reshape(-1, 3)[i]

    def coordinates(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Continuous sheet coordinates of ``points``: ``(uv, distance, outer_normal, half_thickness)``.

        Like :meth:`uv_of`, refined within the cell of the nearest sample by a local
        linear fit, so ``uv`` varies smoothly with the point (level sets of functions of
        ``uv`` are smooth curves, not steps of the sample grid); points beyond the wing's
        border get the border's ``uv``, as with :meth:`uv_of`; ``distance`` is from that
        point of the mid-surface.
        """
        pts = np.asarray(points, float)
        n_u, n_v = self.half_thickness.shape
        _, k = self.tree.query(pts, workers=-1)
        i, j = np.divmod(k, n_v)
        i0, i1 = np.maximum(i - 1, 0), np.minimum(i + 1, n_u - 1)
        j0, j1 = np.maximum(j - 1, 0), np.minimum(j + 1, n_v - 1)
        tu = (self.mid[i1, j] - self.mid[i0, j]) / ((i1 - i0) / (n_u - 1))[:, None]
        tv = (self.mid[i, j1] - self.mid[i, j0]) / ((j1 - j0) / (n_v - 1))[:, None]
        d = pts - self.mid[i, j]
        a, b, c = np.einsum("ij,ij->i", tu, tu), np.einsum("ij,ij->i", tu, tv), np.einsum("ij,ij->i", tv, tv)
        ru, rv = np.einsum("ij,ij->i", tu, d), np.einsum("ij,ij->i", tv, d)
        det = np.maximum(a * c - b * b, 1e-12)
        du, dv = (c * ru - b * rv) / det, (a * rv - b * ru) / det
        uv = np.clip(self.uv[i, j] + np.column_stack([du, dv]), 0.0, 1.0)  # beyond the wing: its border
        du, dv = (uv - self.uv[i, j]).T
        dist = np.linalg.norm(d - du[:, None] * tu - dv[:, None] * tv, axis=1)
        return uv, dist, self.outer[i, j], self.half_thickness[i, j]

    def surface_point(self, uv: np.ndarray, *, side: float = 1.0) -> np.ndarray:
        """Points on the outer (``side=1``) or inner (``side=-1``) face at ``uv`` (bilinear)."""
        uv = np.atleast_2d(np.asarray(uv, float))
        n_u, n_v = self.half_thickness.shape
        fu = np.clip(uv[:, 0], 0, 1) * (n_u - 1)
        fv = np.clip(uv[:, 1], 0, 1) * (n_v - 1)
        i0 = np.minimum(fu.astype(int), n_u - 2)
        j0 = np.minimum(fv.astype(int), n_v - 2)
        a = (fu - i0)[:, None]
        b = (fv - j0)[:, None]

        def lerp(arr):
            return (
                arr[i0, j0] * (1 - a) * (1 - b)
                + arr[i0 + 1, j0] * a * (1 - b)
                + arr[i0, j0 + 1] * (1 - a) * b
                + arr[i0 + 1, j0 + 1] * a * b
            )

        mid = lerp(self.mid)
        normal = lerp(self.outer)
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        t = lerp(self.half_thickness[..., None])
        return mid + side * normal * t


@dataclass
class HipBoneDesign:
    """Everything the right hip bone is generated from, after the parameters are applied."""

    hip_center: np.ndarray
    acetabulum_axis: np.ndarray
    socket_radius: float
    sheet: IliumSheet
    tubes: dict[str, sdf.SweptSpheres]
    ellipsoids: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    config: dict
    symphysis_gap: float

    def points(self) -> dict[str, np.ndarray]:
        """Named design points (ellipsoid centres, tube ends) used to seed landmarks."""
        out = {name: c for name, (c, _, _) in self.ellipsoids.items()}
        for name, tube in self.tubes.items():
            out[f"{name}_start"] = tube.centers[0]
            out[f"{name}_end"] = tube.centers[-1]
        out["hip_center"] = self.hip_center
        return out

    def sdf(self, p: np.ndarray) -> np.ndarray:
        """Signed distance to the right hip bone."""
        cfg = self.config
        k = cfg["blend"]
        d = self._plate(p)
        for plate in self._plates:
            d = sdf.smooth_union(d, plate(p), k)
        for tube in self.tubes.values():
            d = sdf.smooth_union(d, tube(p), k)
        for center, radii, rot in self.ellipsoids.values():
            d = sdf.smooth_union(d, sdf.ellipsoid(p, center, radii, rot), k * 0.75)
        ac = cfg["acetabulum"]
        s = self.scale
        n = self.acetabulum_axis
        cup = sdf.smooth_intersect(
            sdf.sphere(p, self.hip_center, ac["outer_radius"] * s),
            sdf.halfspace(p, self.hip_center + n * ac["rim_offset"] * s, n),
            3.0 * s,
        )
        # the floor of the socket is a thin plate, not the back of a ball
        floor = self.hip_center - n * (self.socket_radius + ac["floor_thickness"] * s)
        cup = sdf.smooth_intersect(cup, sdf.halfspace(p, floor, -n), 4.0 * s)
        wall = self.hip_center - np.array([0.0, 0.0, ac["medial_wall"] * s])
        cup = sdf.smooth_intersect(cup, sdf.halfspace(p, wall, [0.0, 0.0, -1.0]), 4.0 * s)
        d = sdf.smooth_union(d, cup, k)
        d = sdf.smooth_union(d, self._obturator(p), k)
        # the socket and its notch are carved out of everything
        socket = sdf.sphere(p, self.hip_center, self.socket_radius)
        d = sdf.smooth_subtract(d, socket, 1.5)
        d = sdf.smooth_subtract(d, sdf.sphere(p, self._notch_center(), ac["notch_radius"] * s), 2.0)
        # the two pubic bones meet at the symphysis with a gap
        return sdf.intersect(d, sdf.halfspace(p, [0, 0, self.symphysis_gap], [0, 0, -1]))

    @property
    def scale(self) -> float:
        return self.config["_scale"]

    @cached_property
    def _plates(self) -> list[SweptSpheres]:
        """Plates lofted between pairs of tubes (``[[hip_bone.plates]]``)."""
        out = []
        for pl in self.config.get("plates", []):
            a_name, b_name = pl["between"]
            a = sdf.spline(self.tubes[a_name].centers, 100)
            b = sdf.spline(self.tubes[b_name].centers, 100)
            mid = sdf.loft(a, b, 40).reshape(-1, 3)
            out.append(sdf.SweptSpheres(mid, np.full(len(mid), pl["half_thickness"] * self.scale)))
        return out

    @cached_property
    def _obturator_parts(self):
        ob = self.config["obturator"]
        upper, lower = self.tubes[ob["upper"]].centers, self.tubes[ob["lower"]].centers
        n_u = 120
        a = sdf.resample_polyline(upper, 1.0)[0]
        b = sdf.resample_polyline(lower, 1.0)[0]
        a = sdf.spline(a, n_u)
        b = sdf.spline(b, n_u)
        mid = sdf.loft(a, b, 60)
        plate = sdf.SweptSpheres(
            mid.reshape(-1, 3), np.full(mid.shape[0] * mid.shape[1], ob["half_thickness"] * self.scale)
        )
        iu = int(ob["hole_uv"][0] * (n_u - 1))
        iv = int(ob["hole_uv"][1] * 59)
        centre = mid[iu, iv]
        tu = _unit(mid[min(iu + 1, n_u - 1), iv] - mid[max(iu - 1, 0), iv])
        tv = _unit(mid[iu, iv + 1] - mid[iu, iv - 1])
        normal = _unit(np.cross(tu, tv))
        tv = np.cross(normal, tu)
        rot = np.column_stack([tu, tv, normal])
        radii = np.array([*ob["hole_radii"], 40.0]) * self.scale
        return plate, centre, radii, rot

    def _obturator(self, p: np.ndarray) -> np.ndarray:
        plate, centre, radii, rot = self._obturator_parts
        return sdf.smooth_subtract(plate(p), sdf.ellipsoid(p, centre, radii, rot), 3.0 * self.scale)

    def obturator_foramen(self) -> tuple[np.ndarray, np.ndarray]:
        """Centre and axis (normal of the plate) of the obturator foramen."""
        _, centre, _, rot = self._obturator_parts
        return centre, rot[:, 2]

    def _notch_center(self) -> np.ndarray:
        down = np.array([0.0, -1.0, 0.0])
        axis = self.acetabulum_axis
        inferior = _unit(down - axis * (down @ axis))
        return self.hip_center + inferior * self.socket_radius * 1.02 + axis * 2.0 * self.scale

    @cached_property
    def _plate(self) -> SweptSpheres:
        return sdf.SweptSpheres(self.sheet.mid.reshape(-1, 3), self.sheet.half_thickness.ravel(), k=12)

    def bounds(self, margin: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
        pts = [self.sheet.mid.reshape(-1, 3)] + [t.centers for t in self.tubes.values()]
        pts += [c[None] for c, _, _ in self.ellipsoids.values()] + [self.hip_center[None]]
        allp = np.vstack(pts)
        pad = margin + 14.0 * self.scale
        lo, hi = allp.min(0) - pad, allp.max(0) + pad
        lo[2] = max(lo[2], self.symphysis_gap - 2.0)
        return lo, hi


def _transform_pelvis(points, params: BoneParameters) -> np.ndarray:
    p = np.asarray(points, float) * params.scale
    p[..., 2] *= params.pelvis_width
    return p


def hip_bone_design(params: BoneParameters | None = None, bp: dict | None = None) -> HipBoneDesign:
    """The right hip bone's design for ``params``."""
    params = params or BoneParameters()
    bp = bp or blueprint()
    cfg = dict(bp["hip_bone"])
    cfg["_scale"] = params.scale
    s = params.scale
    hc = _transform_pelvis(bp["pelvis"]["hip_center"], params)
    ac = cfg["acetabulum"]
    inc, av = np.radians(ac["inclination_deg"]), np.radians(ac["anteversion_deg"])
    axis = _unit([np.sin(av) * np.cos(inc), -np.sin(inc), np.cos(av) * np.cos(inc)])

    il = cfg["ilium"]
    crest = sdf.spline(_transform_pelvis(il["crest"], params), il["n_u"])
    lower = sdf.spline(_transform_pelvis(il["lower"], params), il["n_u"])
    mid = sdf.loft(crest, lower, il["n_v"])
    normals = sdf.grid_normals(mid)
    centre = normals[il["n_u"] // 2, il["n_v"] // 2]
    if centre[2] - 0.5 * centre[0] < 0:  # gluteal surface faces lateral and backward
        normals = -normals
    u, v = np.meshgrid(np.linspace(0, 1, il["n_u"]), np.linspace(0, 1, il["n_v"]), indexing="ij")
    mid = mid + normals * (il["outer_bulge"] * s * np.sin(np.pi * u) * np.sin(np.pi * v))[..., None]
    normals = sdf.grid_normals(mid) * np.sign(np.sum(sdf.grid_normals(mid) * normals, axis=-1))[..., None]
    ht = il["half_thickness"]
    half = (
        ht["wing"]
        + ht["crest_lip"] * np.exp(-v / ht["crest_width"])
        + ht["body"] * v**4
        + ht["posterior"] * smoothstep(u, 0.72, 1.0) * (0.4 + 0.6 * v)
        + ht["anterior"] * (1 - smoothstep(u, 0.0, 0.08))
    ) * s
    sheet = IliumSheet(mid, normals, half)

    tubes = {
        t["name"]: sdf.SweptSpheres.tube(_transform_pelvis(t["points"], params), np.asarray(t["radii"]) * s)
        for t in cfg["tubes"]
    }
    ellipsoids = {}
    for e in cfg["ellipsoids"]:
        axis_e = np.asarray(e["axis"], float) * [1, 1, params.pelvis_width]
        ellipsoids[e["name"]] = (
            _transform_pelvis(e["center"], params),
            np.asarray(e["radii"], float) * s,
            _frame_from_axis(axis_e),
        )
    return HipBoneDesign(
        hip_center=hc,
        acetabulum_axis=axis,
        socket_radius=ac["socket_radius"] * s,
        sheet=sheet,
        tubes=tubes,
        ellipsoids=ellipsoids,
        config=cfg,
        symphysis_gap=bp["pelvis"]["symphysis_gap"] * params.pelvis_width,
    )


# ============================================================================ sacrum, coccyx
def _mirror_z(fn):
    def mirrored(p):
        return fn(p * MIRROR)

    return mirrored


@dataclass
class SacrumDesign:
    """The sacrum as a body column, a lateral plate (alae) and a median crest."""

    midline: np.ndarray  # (n, 3) dense midline, base -> apex
    t: np.ndarray  # (n,) arc parameter
    anterior: np.ndarray  # (n, 3) unit normal toward the pelvic (anterior) surface
    half_width: np.ndarray
    body_radius: np.ndarray
    plate_half_thickness: np.ndarray
    config: dict
    scale: float
    hip_sdf_r: Callable[[np.ndarray], np.ndarray]

    def at(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Midline point and anterior normal at arc parameter ``t``."""
        i = int(np.clip(round(t * (len(self.t) - 1)), 0, len(self.t) - 1))
        return self.midline[i], self.anterior[i]

    def surface_guess(self, t: float, z: float, side: float) -> np.ndarray:
        """A point near the anterior (``side=1``) or dorsal (``side=-1``) surface at ``t``, ``z``."""
        i = int(np.clip(round(t * (len(self.t) - 1)), 0, len(self.t) - 1))
        c, n = self.midline[i], self.anterior[i]
        return c + np.array([0, 0, z]) + side * n * (self.plate_half_thickness[i] + 4 * self.scale)

    @cached_property
    def _solid(self):
        cfg, s = self.config, self.scale
        body = sdf.SweptSpheres(self.midline, self.body_radius)
        # lateral plate: across the width at each midline sample, sweeping forward laterally
        n_w = 61
        w = np.linspace(-1, 1, n_w)
        centres, radii = [], []
        for c, n, hw, ht in zip(self.midline, self.anterior, self.half_width, self.plate_half_thickness):
            zs = w * hw
            pts = c + np.outer(zs, [0, 0, 1]) + np.outer(cfg["lateral_sweep"] * s * w**2, n)
            centres.append(pts)
            radii.append(ht * (1 - 0.45 * w**2))
        plate = sdf.SweptSpheres(np.vstack(centres), np.concatenate(radii), k=12)
        dorsal = -self.anterior
        crest_pts = self.midline + dorsal * (self.body_radius * 0.75 + 2 * s)[:, None]
        crest = sdf.SweptSpheres(
            crest_pts[: int(0.85 * len(crest_pts))], np.full(int(0.85 * len(crest_pts)), cfg["median_crest_radius"] * s)
        )
        return body, plate, crest

    def sdf(self, p: np.ndarray) -> np.ndarray:
        cfg, s = self.config, self.scale
        body, plate, crest = self._solid
        d = sdf.smooth_union(body(p), plate(p), cfg["blend"] * s)
        d = sdf.smooth_union(d, crest(p), 3.0 * s)
        for c in cfg["articular_processes"]:
            c = np.asarray(c, float) * s
            for sign in (1, -1):
                d = sdf.smooth_union(d, sdf.sphere(p, c * [1, 1, sign], cfg["articular_process_radius"] * s), 4 * s)
        for t, off, r in zip(cfg["foramina"], cfg["foramina_offset"], cfg["foramina_radius"]):
            for side in (1.0, -1.0):
                for sign in (1, -1):
                    centre = (
                        self.surface_guess(t, sign * off * s, side)
                        - side * self.anterior[int(t * (len(self.t) - 1))] * 5.5 * s
                    )
                    d = sdf.smooth_subtract(d, sdf.sphere(p, centre, r * s), 1.5 * s)
        clear = cfg["clearance"] * s
        hip_r = self.hip_sdf_r
        d = sdf.intersect(d, -(hip_r(p) - clear))
        d = sdf.intersect(d, -(_mirror_z(hip_r)(p) - clear))
        return d

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        pad = 30 * self.scale
        lo = self.midline.min(0) - pad
        hi = self.midline.max(0) + pad
        lo[2], hi[2] = -self.half_width.max() - pad / 2, self.half_width.max() + pad / 2
        return lo, hi


def sacrum_design(params: BoneParameters, hip: HipBoneDesign, bp: dict | None = None) -> SacrumDesign:
    """The sacrum's design for ``params`` (clipped against ``hip`` and its mirror image)."""
    bp = bp or blueprint()
    cfg = bp["sacrum"]
    s = params.scale
    ctrl = np.column_stack([np.asarray(cfg["midline"], float), np.zeros(len(cfg["midline"]))]) * s
    dense, t = sdf.resample_polyline(sdf.spline(ctrl, 400), 0.6 * s)
    tangent = np.gradient(dense, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    anterior = np.cross(tangent, [0.0, 0.0, 1.0])  # tangent points down-back; this points forward
    anterior *= np.sign(anterior[:, :1] + 1e-9)
    knots = np.linspace(0, 1, len(cfg["midline"]))

    def prof(key, width=False):
        vals = np.interp(t, knots, cfg[key]) * s
        return vals * params.pelvis_width if width else vals

    return SacrumDesign(
        midline=dense,
        t=t,
        anterior=anterior,
        half_width=prof("half_width", True),
        body_radius=prof("body_radius"),
        plate_half_thickness=prof("plate_half_thickness"),
        config=cfg,
        scale=s,
        hip_sdf_r=hip.sdf,
    )


@dataclass
class CoccyxDesign:
    centers: np.ndarray
    radii: np.ndarray
    config: dict
    scale: float
    sacrum_sdf: Callable[[np.ndarray], np.ndarray]

    def sdf(self, p: np.ndarray) -> np.ndarray:
        d = sdf.ellipsoid(p, self.centers[0], self.radii[0])
        for c, r in zip(self.centers[1:], self.radii[1:]):
            d = sdf.smooth_union(d, sdf.ellipsoid(p, c, r), self.config["blend"] * self.scale)
        return sdf.intersect(d, -(self.sacrum_sdf(p) - self.config["clearance"] * self.scale))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        pad = 14 * self.scale
        return self.centers.min(0) - pad, self.centers.max(0) + pad


def coccyx_design(params: BoneParameters, sacrum: SacrumDesign, bp: dict | None = None) -> CoccyxDesign:
    bp = bp or blueprint()
    cfg = bp["coccyx"]
    s = params.scale
    seg = np.asarray(cfg["segments"], float)
    centers = np.column_stack([seg, np.zeros(len(seg))]) * s
    radii = (
        np.column_stack([cfg["half_depth"], cfg["half_height"], np.asarray(cfg["half_width"]) * params.pelvis_width])
        * s
    )
    return CoccyxDesign(centers, radii, cfg, s, sacrum.sdf)


# ============================================================================ femur
@dataclass
class FemurDesign:
    """The right femur in its own frame (origin at the head centre).

    ``local(a, u, l)`` maps shaft-local coordinates (anterior, up the shaft,
    lateral; origin at the neck-shaft junction) into the femur frame.  A femur whose
    shaft is moved sideways from its neck (a larger or smaller offset at the same
    angle, :mod:`glute3d.anatomy.femur_shape`) has its shaft-local origin at
    ``shaft_origin`` instead, the neck meeting the shaft axis at ``junction`` below it.
    """

    head_radius: float
    neck_axis: np.ndarray  # unit vector from the neck-shaft junction toward the head centre
    junction: np.ndarray  # neck-shaft junction (on the shaft axis)
    e_a: np.ndarray
    e_u: np.ndarray
    e_l: np.ndarray
    config: dict
    scale: float
    shaft_origin: np.ndarray | None = None  # shaft-local origin when not the junction

    def local(self, alu) -> np.ndarray:
        alu = np.asarray(alu, float) * self.scale
        origin = self.junction if self.shaft_origin is None else self.shaft_origin
        return origin + alu[..., :1] * self.e_a + alu[..., 1:2] * self.e_u + alu[..., 2:3] * self.e_l

    def shaft_radius(self, u) -> np.ndarray:
        cfg = self.config
        return (
            np.interp(-np.asarray(u, float), -np.asarray(cfg["shaft_profile_u"]), cfg["shaft_profile_r"]) * self.scale
        )

    def shaft_point(self, u) -> np.ndarray:
        """Point on the (bowed) shaft axis at height ``u`` (mm, shaft-local)."""
        u = np.asarray(u, float)
        cfg = self.config
        top, bottom = cfg["shaft_profile_u"][0], cfg["shaft_profile_u"][-1]
        s = np.clip((top - u) / (top - bottom), 0, 1)
        bow = cfg["shaft_bow"] * np.sin(np.pi * s)
        return self.local(np.stack([bow, u, np.zeros_like(u)], axis=-1))

    def points(self) -> dict[str, np.ndarray]:
        out = {e["name"]: self.local(e["center"]) for e in self.config["ellipsoids"]}
        out["femoral_head_center"] = np.zeros(3)
        out["neck_shaft_junction"] = self.junction
        return out

    @cached_property
    def _parts(self):
        cfg, s = self.config, self.scale
        neck_pts = [self.junction + self.neck_axis * cfg["neck_length"] * s * f for f in (-0.1, 0.35, 0.6, 0.82)]
        neck = sdf.SweptSpheres.tube(np.array(neck_pts), np.asarray(cfg["neck_radii"]) * s, step=0.4)
        us = np.linspace(cfg["shaft_profile_u"][0], cfg["shaft_profile_u"][-1], 600)
        shaft = sdf.SweptSpheres(self.shaft_point(us), self.shaft_radius(us), k=10)
        tubes = [sdf.SweptSpheres.tube(self.local(t["points"]), np.asarray(t["radii"]) * s) for t in cfg["tubes"]]
        for r in cfg["ridges"]:
            u_dense = np.linspace(r["u"][0], r["u"][-1], 200)
            ang = np.radians(np.interp(-u_dense, -np.asarray(r["u"]), r["angle_deg"]))
            axis_pts = self.shaft_point(u_dense)
            radial = np.outer(np.cos(ang), self.e_a) + np.outer(np.sin(ang), self.e_l)
            rr = self.shaft_radius(u_dense) - r["depth"] * s
            centres = axis_pts + radial * rr[:, None]
            taper = r["radius"] * s * np.sin(np.linspace(0.15, np.pi - 0.15, 200)) ** 0.5
            tubes.append(sdf.SweptSpheres(centres, taper))
        ells = [
            (
                self.local(e["center"]),
                np.asarray(e["radii"]) * s,
                self._rotation,
                e.get("blend", cfg["blend"] * 1.4) * s,
            )
            for e in cfg["ellipsoids"]
        ]
        cuts = [(self.local(e["center"]), np.asarray(e["radii"]) * s, self._rotation) for e in cfg["cuts"]]
        return neck, shaft, tubes, ells, cuts

    @property
    def _rotation(self) -> np.ndarray:
        return np.column_stack([self.e_a, self.e_u, self.e_l])

    def sdf(self, p: np.ndarray) -> np.ndarray:
        k = self.config["blend"] * self.scale
        neck, shaft, tubes, ells, cuts = self._parts
        d = sdf.smooth_union(sdf.sphere(p, np.zeros(3), self.head_radius), neck(p), 7.0 * self.scale)
        d = sdf.smooth_union(d, shaft(p), k * 1.6)
        for c, r, rot, blend in ells:
            d = sdf.smooth_union(d, sdf.ellipsoid(p, c, r, rot), blend)
        for t in tubes:
            d = sdf.smooth_union(d, t(p), 3.0 * self.scale)
        for c, r, rot in cuts:
            d = sdf.smooth_subtract(d, sdf.ellipsoid(p, c, r, rot), 3.0 * self.scale)
        return d

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        u = np.asarray(self.config["shaft_profile_u"], float)
        pts = np.vstack([self.shaft_point(u), self.local([[0, 40, 40], [0, -400, -45], [0, -400, 45]]), [[0, 0, 0]]])
        pad = 45 * self.scale
        return pts.min(0) - pad, pts.max(0) + pad


def femur_design(params: BoneParameters | None = None, bp: dict | None = None) -> FemurDesign:
    """The right femur's design for ``params``."""
    params = params or BoneParameters()
    bp = bp or blueprint()
    cfg = bp["femur"]
    s = params.scale
    tilt = np.radians(cfg["shaft_tilt_deg"])
    e_u = np.array([0.0, np.cos(tilt), np.sin(tilt)])  # up the shaft, leaning laterally
    e_l = np.array([0.0, -np.sin(tilt), np.cos(tilt)])
    e_a = np.array([1.0, 0.0, 0.0])
    gamma = np.radians(180.0 - params.neck_shaft_angle)  # angle between neck axis and shaft axis
    av = np.radians(params.anteversion)
    neck_axis = np.cos(gamma) * e_u - np.sin(gamma) * np.cos(av) * e_l + np.sin(gamma) * np.sin(av) * e_a
    junction = -neck_axis * cfg["neck_length"] * s
    return FemurDesign(
        head_radius=cfg["head_radius"] * s,
        neck_axis=neck_axis,
        junction=junction,
        e_a=e_a,
        e_u=e_u,
        e_l=e_l,
        config=cfg,
        scale=s,
    )


# ============================================================================ all bones
def mesh_design(design, section: dict, scale: float = 1.0) -> Mesh:
    """Contour one bone design with its blueprint section's grid spacing, triangle budget and edge length."""
    lo, hi = design.bounds()
    spacing = section["grid_spacing"] * scale
    edge = section["edge_length"] * scale
    return mesh_sdf(design.sdf, lo, hi, spacing, target_faces=section["target_faces"], edge_length=edge)


def femur_mesh(params: BoneParameters | None = None) -> tuple[Mesh, FemurDesign]:
    """Only the right femur, in its own frame (origin at the head centre): quick to regenerate."""
    params = params or BoneParameters()
    bp = blueprint()
    design = femur_design(params, bp)
    return mesh_design(design, bp["femur"], params.scale), design


@dataclass
class BoneSet:
    """The generated bones (pelvis frame, neutral pose) and the designs behind them."""

    params: BoneParameters
    meshes: dict[str, Mesh]
    hip: HipBoneDesign
    sacrum: SacrumDesign
    coccyx: CoccyxDesign
    femur: FemurDesign
    hip_centers: dict[str, np.ndarray] = field(default_factory=dict)


def build_bones(params: BoneParameters | None = None) -> BoneSet:
    """Generate every bone mesh for ``params``.

    Returns
    -------
    BoneSet
        Meshes ``hip_bone_r``, ``hip_bone_l``, ``sacrum``, ``coccyx``,
        ``femur_r``, ``femur_l`` in the pelvis frame at neutral pose.
    """
    params = params or BoneParameters()
    bp = blueprint()
    hip = hip_bone_design(params, bp)
    sac = sacrum_design(params, hip, bp)
    coc = coccyx_design(params, sac, bp)
    fem = femur_design(params, bp)

    def make(design, section):
        return mesh_design(design, bp[section], params.scale)

    hip_r = make(hip, "hip_bone")
    femur_local = make(fem, "femur")
    femur_r = Mesh(femur_local.vertices + hip.hip_center, femur_local.faces)
    meshes = {
        "hip_bone_r": hip_r,
        "hip_bone_l": hip_r.mirrored(),
        "sacrum": make(sac, "sacrum"),
        "coccyx": make(coc, "coccyx"),
        "femur_r": femur_r,
        "femur_l": femur_r.mirrored(),
    }
    hc_l = hip.hip_center * MIRROR
    return BoneSet(params, meshes, hip, sac, coc, fem, {"r": hip.hip_center, "l": hc_l})
