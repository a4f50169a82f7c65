"""Annotate the generated bones with their landmarks.

Definitions live in ``data/landmarks.toml`` (right side only; read and checked by
:mod:`glute3d.anatomy.landmark_defs`).  They are evaluated on the meshes of a
:class:`~glute3d.anatomy.bones.BoneSet`, so every point and curve is snapped onto the
bone surface and every region is a set of the bone's own faces.  Each region is defined by
a smooth field on the surface (positive inside; see :func:`region_fields`), and the bone
meshes are first cut along the zero level of every field, so that a region's border is a
polyline on its defining curve, smooth at any zoom, and not the staircase of whole
triangles.  Left-side instances are mirror images of the right, computed once (the midline
sacrum and coccyx are cut along both sides' borders).

Examples
--------
>>> from glute3d.anatomy.bones import build_bones
>>> landmarks = annotate(build_bones())          # doctest: +SKIP
>>> landmarks.kind("gt_anterior_facet_r")        # doctest: +SKIP
'region'
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from glute3d.anatomy.bones import BoneSet, IliumSheet, _transform_pelvis
from glute3d.anatomy.landmark_defs import (
    Capsule,
    IliumPolygon,
    IliumUVCurve,
    LandmarkDataError,
    LandmarksFile,
    SacrumSurface,
    landmark_definitions,
)
from glute3d.anatomy.landmarks import Landmarks
from glute3d.geometry.mesh import Mesh
from glute3d.geometry.remesh import cut_along
from glute3d.geometry.sdf import spline
from glute3d.io.datafiles import data_text
from glute3d.io.validation import reference_error
from glute3d.sides import MIRROR, SIDES

__all__ = ["annotate", "definitions", "design_points", "region_fields"]

#: Bones that are one midline mesh (no ``_r`` / ``_l``).
_MIDLINE = ("sacrum", "coccyx")


def definitions() -> LandmarksFile:
    """The checked ``data/landmarks.toml`` (see :func:`~glute3d.anatomy.landmark_defs.landmark_definitions`)."""
    return landmark_definitions()


# ============================================================================ evaluation
def design_points(bones: BoneSet) -> dict[tuple[str, str], np.ndarray]:
    """Named design points of the right-side bones, keyed by ``(bone, name)``, pelvis frame."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for name, p in bones.hip.points().items():
        out[("hip_bone", name)] = p
    sheet = bones.hip.sheet
    crest = sheet.mid[:, 0]
    out[("hip_bone", "crest_start")] = crest[0]
    out[("hip_bone", "crest_end")] = crest[-1]
    out[("hip_bone", "crest_highest")] = crest[np.argmax(crest[:, 1])]
    out[("hip_bone", "lower_end")] = sheet.mid[-1, -1]
    hc = bones.hip.hip_center
    for name, p in bones.femur.points().items():
        out[("femur", name)] = p + hc
    out[("sacrum", "sacrum_dorsal_apex_region")] = bones.sacrum.surface_guess(0.8, 0.0, -1.0)
    return out


class _Surface:
    """Closest-point queries on one mesh (VTK static cell locator)."""

    def __init__(self, mesh: Mesh):
        self.mesh = mesh
        self._poly = mesh.to_pyvista()

    def closest(self, points: np.ndarray) -> np.ndarray:
        pts = np.atleast_2d(np.asarray(points, float))
        _, closest = self._poly.find_closest_cell(pts, return_closest_point=True)
        return np.atleast_2d(closest)


def _femur_local_to_pelvis(bones: BoneSet, alu) -> np.ndarray:
    return bones.femur.local(alu) + bones.hip.hip_center


def _point_in_polygon(pts: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd rule, vectorised over ``pts`` ``(n, 2)``."""
    x, y = pts[:, 0:1], pts[:, 1:2]
    x0, y0 = poly[:, 0][None], poly[:, 1][None]
    x1, y1 = np.roll(poly[:, 0], -1)[None], np.roll(poly[:, 1], -1)[None]
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return (np.sum(crosses & (x < xi), axis=1) % 2) == 1


def _uv_curve(uv_points, samples: int) -> np.ndarray:
    uv = np.asarray(uv_points, float)
    return spline(np.column_stack([uv, np.zeros(len(uv))]), samples)[:, :2]


class _Where(NamedTuple):
    """The definitions' file and text, for messages."""

    source: str
    text: str | None


def _sided(bone: str, side: str) -> str:
    return bone if bone in _MIDLINE else f"{bone}_{side}"


def _right_meshes(bones: BoneSet) -> dict[str, Mesh]:
    m = bones.meshes
    return {"hip_bone": m["hip_bone_r"], "femur": m["femur_r"], "sacrum": m["sacrum"], "coccyx": m["coccyx"]}


def annotate(bones: BoneSet, defs: LandmarksFile | None = None) -> Landmarks:
    """Evaluate every landmark definition on ``bones`` (both sides).

    Parameters
    ----------
    bones : BoneSet
        Generated bones (right-side designs plus meshes of both sides).
    defs : LandmarksFile, optional
        Checked landmark definitions; ``data/landmarks.toml`` by default.

    Returns
    -------
    Landmarks
        Every point, curve and region of both sides.  ``bones.meshes`` is updated too:
        the bones are cut along the region borders, so the meshes to write are the cut ones.

    Raises
    ------
    LandmarkDataError
        A definition names a design point the bone does not have, or finds no surface.
    """
    where = _Where("landmarks.toml", data_text("landmarks.toml") if defs is None else None)
    defs = defs if defs is not None else landmark_definitions()
    curves_uv = {n: _uv_curve(d.uv, d.samples) for n, d in defs.curves.items() if isinstance(d, IliumUVCurve)}
    fields = _cut_bones(bones, defs, curves_uv)
    right = _right_meshes(bones)
    surfaces = {k: _Surface(m) for k, m in right.items()}
    out = Landmarks()
    _annotate_points(out, defs, bones, right, surfaces, where)
    _annotate_curves(out, defs, bones.hip.sheet, surfaces, curves_uv)
    _annotate_regions(out, defs, right, fields)
    return out


def _annotate_points(
    out: Landmarks,
    defs: LandmarksFile,
    bones: BoneSet,
    right: dict[str, Mesh],
    surfaces: dict[str, _Surface],
    where: _Where,
) -> None:
    dp = design_points(bones)
    for name, d in defs.points.items():
        bone = d.bone
        if (bone, d.near) not in dp:
            known = [n for b, n in dp if b == bone]
            fix = "a design point of the bone's blueprint (bones.toml)"
            raise reference_error(("points", name, "near"), d.near, f"{bone} design point", known, *where,
                                  LandmarkDataError, fix=fix)  # fmt: skip
        seed = dp[(bone, d.near)]
        if d.method == "design":
            p = seed
        elif d.method == "project":
            p = surfaces[bone].closest(seed + np.asarray(d.offset, float))[0]
        else:
            v = right[bone].vertices
            near = np.linalg.norm(v - seed, axis=1) <= d.radius
            if not near.any():
                msg = f"no surface within {d.radius} mm of the design point {d.near!r}; make the radius larger"
                raise LandmarkDataError(where.source, f"points.{name}.radius", msg)
            cand = v[near]
            p = cand[np.argmax(cand @ np.asarray(d.direction, float))]
        for side in SIDES:
            q = p if side == "r" or bone in _MIDLINE else p * MIRROR
            out.points[f"{name}_{side}" if bone != "sacrum" else name] = (_sided(bone, side), q)


def _annotate_curves(
    out: Landmarks, defs: LandmarksFile, sheet: IliumSheet, surfaces: dict[str, _Surface], curves_uv: dict
) -> None:
    """Curves of both sides (``curves_uv``: the ``(u, v)`` polylines of the ``ilium_uv`` curves)."""
    for name, d in defs.curves.items():
        if isinstance(d, IliumUVCurve):
            guess = sheet.surface_point(curves_uv[name], side=1.0)
        else:  # the iliac crest
            n_u = sheet.mid.shape[0]
            idx = np.linspace(0, n_u - 1, d.samples).round().astype(int)
            top = sheet.mid[idx, 0]
            up = sheet.mid[idx, 0] - sheet.mid[idx, 3]
            up /= np.linalg.norm(up, axis=1, keepdims=True)
            guess = top + up * (sheet.half_thickness[idx, 0] + 4.0)[:, None]
        xyz = surfaces[d.bone].closest(guess)
        for side in SIDES:
            out.curves[f"{name}_{side}"] = (_sided(d.bone, side), xyz if side == "r" else xyz * MIRROR)


#: How steeply (mm per unit of cosine) a normal criterion rises: turns a bound on the angle
#: between a normal and a direction into a field of about millimetres, like the distance ones.
_NORMAL_MM = 30.0


class _Field(NamedTuple):
    """One region part's field on one mesh: which region, which side (midline bones), which column."""

    region: str
    side: str
    column: int


def region_fields(bones: BoneSet, defs: LandmarksFile, curves_uv: dict[str, np.ndarray], bone: str,
                  points: np.ndarray, normals: np.ndarray) -> list[tuple[str, str, np.ndarray]]:  # fmt: skip
    """The fields (about mm, positive inside) of every region part on the right-side ``bone``.

    Returns ``(region, side, phi)`` for each part on ``bone``, in file order; ``side`` is
    ``"r"`` (and ``"l"`` for the mirrored field of a midline bone, evaluated on the mirror
    image of the points).  A region is ``phi > 0``; its border is the curve ``phi = 0``.
    """
    out: list[tuple[str, str, np.ndarray]] = []
    sides = SIDES if bone in _MIDLINE else ("r",)
    for name, d in defs.regions.items():
        for part in d.parts:
            if part.bone != bone:
                continue
            for side in sides:
                p, n = (points, normals) if side == "r" else (points * MIRROR, normals * MIRROR)
                if isinstance(part, SacrumSurface):
                    phi = _sacrum_field(bones, part, p, n)
                elif isinstance(part, IliumPolygon):
                    phi = _ilium_polygon_field(bones.hip.sheet, part.polygon, curves_uv, p, n)
                else:
                    phi = _capsule_field(bones, part, p, n)
                out.append((name, side, phi))
    return out


def _cut_bones(bones: BoneSet, defs: LandmarksFile, curves_uv: dict) -> dict[str, list[tuple[_Field, np.ndarray]]]:
    """Cut each right-side bone along its region fields; replace the meshes (left: mirrors).

    Returns, per right-side bone, each part's field with the face mask it selects.
    """
    right = _right_meshes(bones)
    out: dict[str, list[tuple[_Field, np.ndarray]]] = {}
    for bone, mesh in right.items():
        fields = region_fields(bones, defs, curves_uv, bone, mesh.vertices, mesh.vertex_normals)
        if not fields:
            out[bone] = []
            continue
        columns = np.column_stack([f[2] for f in fields])
        if bone in _MIDLINE:
            cut, inside = _symmetric_cut(mesh, columns)
            bones.meshes[bone] = cut
            out[bone] = [(_Field(r, s, k), inside[:, k]) for k, (r, s, _) in enumerate(fields)]
            continue
        cut, phi = cut_along(mesh, columns)
        cut = Mesh(cut.vertices.astype(np.float32).astype(float), cut.faces)
        inside = phi[cut.faces].sum(axis=1) > 0  # every face lies wholly on one side of every cut
        out[bone] = [(_Field(r, s, k), inside[:, k]) for k, (r, s, _) in enumerate(fields)]
        bones.meshes[f"{bone}_r"] = cut
        bones.meshes[f"{bone}_l"] = cut.mirrored()
    return out


def _symmetric_cut(mesh: Mesh, columns: np.ndarray) -> tuple[Mesh, np.ndarray]:
    """A midline bone made exactly symmetric, cut along both sides' region fields.

    ``columns`` hold each part's right and left field in turn (left = mirror of right).  The
    right half (cut at the midline) is cut along all of them, then mirrored and welded along
    the midline, so the left regions are the exact mirror images of the right ones.

    Returns the mesh (right half's faces first) and each column's face mask on it.
    """
    z = mesh.vertices[:, 2:3]
    cut, phi = cut_along(mesh, np.hstack([z, columns]))
    v = cut.vertices.astype(np.float32).astype(float)
    seam = phi[:, 0] == 0.0
    v[seam, 2] = 0.0
    half = cut.faces[phi[cut.faces, 0].sum(axis=1) > 0]
    used = np.unique(half)
    remap = np.full(len(v), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    vr, fr = v[used], remap[half]
    # the mirror half: new vertices except on the seam, where both halves share them
    on_seam = seam[used]
    mirror_index = np.where(on_seam, np.arange(len(used)), len(used) + np.cumsum(~on_seam) - 1)
    vl = vr[~on_seam] * MIRROR
    fl = mirror_index[fr][:, ::-1]
    out = Mesh(np.vstack([vr, vl]), np.vstack([fr, fl]))
    inside_half = phi[half][:, :, 1:].sum(axis=1) > 0
    partner = np.arange(columns.shape[1]) ^ 1  # right <-> left column of the same part
    return out, np.vstack([inside_half, inside_half[:, partner]])


def _annotate_regions(
    out: Landmarks, defs: LandmarksFile, right: dict[str, Mesh], fields: dict[str, list[tuple[_Field, np.ndarray]]]
) -> None:
    """Regions of both sides; a face belongs to the first region that selects it (sacral surfaces excepted)."""
    taken: dict[tuple[str, str], np.ndarray] = {}
    for name, d in defs.regions.items():
        parts: dict[str, list[tuple[str, np.ndarray]]] = {"r": [], "l": []}
        seen: dict[str, int] = {}
        for part in d.parts:
            bone = part.bone
            k = seen.get(bone, 0)
            seen[bone] = k + 1
            chosen: dict[str, np.ndarray] = {}
            for field_side in SIDES if bone in _MIDLINE else ("r",):
                sel = [m for f, m in fields[bone] if f.region == name and f.side == field_side][k].copy()
                if not isinstance(part, SacrumSurface):
                    mask = taken.setdefault((bone, field_side), np.zeros(right[bone].n_faces, bool))
                    sel &= ~mask
                    mask |= sel
                chosen[field_side] = np.flatnonzero(sel)
            for side in SIDES:  # mirrored hip bones and femurs keep the face order
                parts[side].append((_sided(bone, side), chosen[side if bone in _MIDLINE else "r"]))
        for side in SIDES:
            out.regions[f"{name}_{side}"] = tuple(parts[side])


def _polygon_signed_distance(pts: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Distance of ``pts`` ``(n, 2)`` to the closed polygon's border, positive inside (even-odd rule)."""
    a, b = poly, np.roll(poly, -1, axis=0)
    ab = b - a
    best = np.full(len(pts), np.inf)
    for lo in range(0, len(pts), 4096):
        p = pts[lo : lo + 4096, None, :]
        t = np.clip(((p - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-18), 0.0, 1.0)
        best[lo : lo + 4096] = np.linalg.norm(p - (a + t[..., None] * ab), axis=-1).min(axis=1)
    return np.where(_point_in_polygon(pts, poly), best, -best)


def _ilium_polygon_field(sheet: IliumSheet, polygon: list, curves_uv: dict, pts: np.ndarray,
                         normals: np.ndarray) -> np.ndarray:  # fmt: skip
    """Inside the ``(u, v)`` polygon, on the outer face of the wing: min of three fields in mm."""
    items = []
    for item in polygon:
        if isinstance(item, str):
            c = curves_uv[item.lstrip("-")]
            items.append(c[::-1] if item.startswith("-") else c)
        else:
            items.append(np.asarray([item], float))
    poly = np.vstack(items)
    # (u, v) scaled to millimetres along the mid-surface, so the distance is about mm
    mm = np.array([np.linalg.norm(np.diff(sheet.mid, axis=a), axis=2).sum(axis=a).mean() for a in (0, 1)])
    uv, dist, outer, half = sheet.coordinates(pts)
    in_polygon = _polygon_signed_distance(uv * mm, poly * mm)
    facing = _NORMAL_MM * (np.einsum("ij,ij->i", normals, outer) - 0.25)
    on_plate = half + 3.0 - dist
    return np.minimum(np.minimum(in_polygon, facing), on_plate)


def _capsule_field(bones: BoneSet, part: Capsule, pts: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Within ``radius`` of the segment, normal within ``max_angle``: min of two fields in mm.

    The segment and radius are given for the default adult (``scale`` 1, ``pelvis_width`` 1) and
    scale with the bones, as the bones' own designs do."""
    s = bones.params.scale
    if part.bone == "femur":
        a = _femur_local_to_pelvis(bones, part.a)  # femur-local mm, scaled by the femur
        b = _femur_local_to_pelvis(bones, part.b)
        e = np.column_stack([bones.femur.e_a, bones.femur.e_u, bones.femur.e_l])
        normal = e @ np.asarray(part.normal, float)
    else:
        a, b = (_transform_pelvis(x, bones.params) for x in (part.a, part.b))
        normal = np.asarray(part.normal, float)
    normal = normal / np.linalg.norm(normal)
    ab = b - a
    t = np.clip(((pts - a) @ ab) / max(ab @ ab, 1e-9), 0, 1)
    dist = np.linalg.norm(pts - (a + t[:, None] * ab), axis=1)
    facing = _NORMAL_MM * (normals @ normal - np.cos(np.radians(part.max_angle)))
    return np.minimum(part.radius * s - dist, facing)


def _sacrum_field(bones: BoneSet, part: SacrumSurface, pts: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """The anterior or dorsal sacral surface in a band of ``t`` and of ``z``: min of fields in mm.

    ``t`` and the surface normal are interpolated along the midline at the foot of each
    point in the sagittal plane (continuous, unlike the nearest midline sample).
    """
    from scipy.spatial import cKDTree

    sac = bones.sacrum
    flat = pts.copy()
    flat[:, 2] = 0.0
    _, i = cKDTree(sac.midline).query(flat)
    n = len(sac.t)
    lo, hi = np.maximum(i - 1, 0), np.minimum(i + 1, n - 1)
    seg = sac.midline[hi] - sac.midline[lo]
    f = np.clip(((flat - sac.midline[lo]) * seg).sum(1) / np.maximum((seg * seg).sum(1), 1e-12), 0, 1)
    t = (1 - f) * sac.t[lo] + f * sac.t[hi]
    ant = (1 - f)[:, None] * sac.anterior[lo] + f[:, None] * sac.anterior[hi]
    ant /= np.linalg.norm(ant, axis=1, keepdims=True)
    want = 1.0 if part.surface == "anterior" else -1.0
    length = float(np.linalg.norm(np.diff(sac.midline, axis=0), axis=1).sum())
    z = pts[:, 2]
    z0, z1 = np.asarray(part.z, float) * bones.params.scale * bones.params.pelvis_width
    t0, t1 = part.t
    fields = [_NORMAL_MM * (want * np.einsum("ij,ij->i", normals, ant) - 0.45),
              length * (t - t0), length * (t1 - t), z - z0, z1 - z]  # fmt: skip
    return np.min(np.vstack(fields), axis=0)
