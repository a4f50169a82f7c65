"""Annotate the generated bones with their landmarks.

Definitions live in ``data/landmarks.toml`` (right side only; read and checked by
:mod:`glute3d.anatomy.landmark_defs`).  They are evaluated on the meshes of a
:class:`~glute3d.anatomy.bones.BoneSet`, so every point and curve is snapped onto the
bone surface and every region is a set of the bone's own faces.  Left-side instances are
mirror images of the right, computed once.

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

from glute3d.anatomy.bones import BoneSet, IliumSheet
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
from glute3d.geometry.sdf import spline
from glute3d.io.datafiles import data_text
from glute3d.io.validation import reference_error
from glute3d.sides import MIRROR, SIDES

__all__ = ["annotate", "definitions", "design_points"]

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

    Raises
    ------
    LandmarkDataError
        A definition names a design point the bone does not have, or finds no surface.
    """
    where = _Where("landmarks.toml", data_text("landmarks.toml") if defs is None else None)
    defs = defs if defs is not None else landmark_definitions()
    right = _right_meshes(bones)
    surfaces = {k: _Surface(m) for k, m in right.items()}
    out = Landmarks()
    _annotate_points(out, defs, bones, right, surfaces, where)
    curves_uv = _annotate_curves(out, defs, bones.hip.sheet, surfaces)
    _annotate_regions(out, defs, bones, right, curves_uv)
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
    out: Landmarks, defs: LandmarksFile, sheet: IliumSheet, surfaces: dict[str, _Surface]
) -> dict[str, np.ndarray]:
    """Curves of both sides; returns the ``(u, v)`` polylines of the ``ilium_uv`` curves."""
    curves_uv: dict[str, np.ndarray] = {}
    for name, d in defs.curves.items():
        if isinstance(d, IliumUVCurve):
            uv = _uv_curve(d.uv, d.samples)
            curves_uv[name] = uv
            guess = sheet.surface_point(uv, side=1.0)
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
    return curves_uv


def _annotate_regions(
    out: Landmarks, defs: LandmarksFile, bones: BoneSet, right: dict[str, Mesh], curves_uv: dict[str, np.ndarray]
) -> None:
    """Regions of both sides; a face belongs to the first region that selects it (sacral surfaces excepted)."""
    taken: dict[str, np.ndarray] = {k: np.zeros(m.n_faces, bool) for k, m in right.items()}
    for name, d in defs.regions.items():
        parts_r: list[tuple[str, np.ndarray]] = []
        parts_l: list[tuple[str, np.ndarray]] = []
        for part in d.parts:
            bone = part.bone
            mesh = right[bone]
            if isinstance(part, SacrumSurface):
                faces = np.flatnonzero(_select_sacrum(mesh, bones, part, +1.0))
                parts_r.append((bone, faces))
                parts_l.append((bone, _mirror_faces(mesh, faces)))
                continue
            if isinstance(part, IliumPolygon):
                sel = _select_ilium_polygon(mesh, bones.hip.sheet, part.polygon, curves_uv)
            else:
                sel = _select_capsule(mesh, bones, part)
            sel &= ~taken[bone]
            taken[bone] |= sel
            faces = np.flatnonzero(sel)
            if bone == "coccyx":
                parts_r.append((bone, faces))
                parts_l.append((bone, _mirror_faces(mesh, faces)))
            else:
                parts_r.append((_sided(bone, "r"), faces))
                parts_l.append((_sided(bone, "l"), faces))  # mirrored meshes keep face order
        for side, parts in (("r", parts_r), ("l", parts_l)):
            out.regions[f"{name}_{side}"] = tuple(parts)


def _mirror_faces(mesh: Mesh, faces: np.ndarray) -> np.ndarray:
    """The faces of a midline mesh that mirror ``faces`` across the sagittal plane.

    Midline bones are one mesh, not exactly symmetric after decimation, so the
    left-side region is made of the faces nearest to the mirrored right-side
    faces: the two sides then match as closely as the mesh allows.
    """
    from scipy.spatial import cKDTree

    centres = mesh.face_centers
    _, idx = cKDTree(centres).query(centres[faces] * MIRROR)
    return np.unique(idx)


def _select_ilium_polygon(mesh: Mesh, sheet: IliumSheet, polygon: list, curves_uv: dict) -> np.ndarray:
    pts = []
    for item in polygon:
        if isinstance(item, str):
            rev = item.startswith("-")
            c = curves_uv[item.lstrip("-")]
            pts.append(c[::-1] if rev else c)
        else:
            pts.append(np.asarray([item], float))
    poly = np.vstack(pts)
    centres = mesh.face_centers
    uv, dist, outer = sheet.uv_of(centres)
    half = sheet.half_thickness.ravel()[sheet.tree.query(centres)[1]]
    facing = np.einsum("ij,ij->i", mesh.face_normals, outer) > 0.25
    on_plate = dist < half + 3.0
    return _point_in_polygon(uv, poly) & facing & on_plate


def _select_capsule(mesh: Mesh, bones: BoneSet, part: Capsule) -> np.ndarray:
    if part.bone == "femur":
        a = _femur_local_to_pelvis(bones, part.a)
        b = _femur_local_to_pelvis(bones, part.b)
        e = np.column_stack([bones.femur.e_a, bones.femur.e_u, bones.femur.e_l])
        normal = e @ np.asarray(part.normal, float)
    else:
        a, b = np.asarray(part.a, float), np.asarray(part.b, float)
        normal = np.asarray(part.normal, float)
    normal = normal / np.linalg.norm(normal)
    c = mesh.face_centers
    ab = b - a
    t = np.clip(((c - a) @ ab) / max(ab @ ab, 1e-9), 0, 1)
    dist = np.linalg.norm(c - (a + t[:, None] * ab), axis=1)
    cos_max = np.cos(np.radians(part.max_angle))
    return (dist <= part.radius) & (mesh.face_normals @ normal >= cos_max)


def _select_sacrum(mesh: Mesh, bones: BoneSet, part: SacrumSurface, side: float) -> np.ndarray:
    sac = bones.sacrum
    c = mesh.face_centers
    from scipy.spatial import cKDTree

    # nearest midline sample in the sagittal plane gives t; its anterior normal tells the face
    flat = c.copy()
    flat[:, 2] = 0.0
    _, i = cKDTree(sac.midline).query(flat)
    t = sac.t[i]
    facing = np.einsum("ij,ij->i", mesh.face_normals, sac.anterior[i])
    want = 1.0 if part.surface == "anterior" else -1.0
    z = c[:, 2] * side
    t0, t1 = part.t
    z0, z1 = np.asarray(part.z, float) * bones.params.scale * bones.params.pelvis_width
    return (facing * want > 0.45) & (t >= t0) & (t <= t1) & (z >= z0) & (z <= z1)
