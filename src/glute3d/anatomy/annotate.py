"""Annotate the generated bones with their landmarks.

Definitions live in ``data/landmarks.toml`` (right side only).  They are
evaluated on the meshes of a :class:`~glute3d.bones.BoneSet`, so every point and
curve is snapped onto the bone surface and every region is a set of the bone's
own faces.  Left-side instances are mirror images of the right, computed once.
"""

from __future__ import annotations

import numpy as np

from glute3d.anatomy.bones import BoneSet
from glute3d.anatomy.landmarks import Landmarks
from glute3d.geometry.mesh import Mesh
from glute3d.geometry.sdf import spline
from glute3d.io.datafiles import load_data

SIDES = ("r", "l")
MIRROR = np.array([1.0, 1.0, -1.0])


def definitions() -> dict:
    """The parsed ``data/landmarks.toml``."""
    return load_data("landmarks.toml")


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


def annotate(bones: BoneSet, defs: dict | None = None) -> Landmarks:
    """Evaluate every landmark definition on ``bones`` (both sides).

    Parameters
    ----------
    bones : BoneSet
        Generated bones (right-side designs plus meshes of both sides).
    defs : dict, optional
        Parsed landmark definitions; ``data/landmarks.toml`` by default.
    """
    defs = defs or definitions()
    dp = design_points(bones)
    meshes = bones.meshes
    right_mesh = {
        "hip_bone": meshes["hip_bone_r"],
        "femur": meshes["femur_r"],
        "sacrum": meshes["sacrum"],
        "coccyx": meshes["coccyx"],
    }
    surfaces = {k: _Surface(m) for k, m in right_mesh.items()}
    sheet = bones.hip.sheet
    out = Landmarks()

    def sided(bone: str, side: str) -> str:
        return f"{bone}_{side}" if bone in ("hip_bone", "femur") else bone

    # ---------------------------------------------------------------- points
    for name, d in defs["points"].items():
        bone = d["bone"]
        seed = dp[(bone, d["near"])]
        if d["method"] == "design":
            p = seed
        elif d["method"] == "project":
            p = surfaces[bone].closest(seed)[0]
        elif d["method"] == "extreme":
            v = right_mesh[bone].vertices
            near = np.linalg.norm(v - seed, axis=1) <= d["radius"]
            if not near.any():
                raise RuntimeError(f"landmark {name}: no surface within {d['radius']} mm of its design point")
            cand = v[near]
            p = cand[np.argmax(cand @ np.asarray(d["direction"], float))]
        else:
            raise ValueError(f"landmarks.toml [points.{name}]: unknown method {d['method']!r}")
        for side in SIDES:
            q = p if side == "r" or bone in ("sacrum", "coccyx") else p * MIRROR
            out.points[f"{name}_{side}" if bone != "sacrum" else name] = (sided(bone, side), q)

    # ---------------------------------------------------------------- curves
    curves_uv: dict[str, np.ndarray] = {}
    for name, d in defs["curves"].items():
        if d["method"] == "ilium_uv":
            uv = _uv_curve(d["uv"], d["samples"])
            curves_uv[name] = uv
            guess = sheet.surface_point(uv, side=1.0)
        elif d["method"] == "ilium_crest":
            n_u = sheet.mid.shape[0]
            idx = np.linspace(0, n_u - 1, d["samples"]).round().astype(int)
            top = sheet.mid[idx, 0]
            up = sheet.mid[idx, 0] - sheet.mid[idx, 3]
            up /= np.linalg.norm(up, axis=1, keepdims=True)
            guess = top + up * (sheet.half_thickness[idx, 0] + 4.0)[:, None]
        else:
            raise ValueError(f"landmarks.toml [curves.{name}]: unknown method {d['method']!r}")
        xyz = surfaces[d["bone"]].closest(guess)
        for side in SIDES:
            out.curves[f"{name}_{side}"] = (sided(d["bone"], side), xyz if side == "r" else xyz * MIRROR)

    # ---------------------------------------------------------------- regions
    taken: dict[str, np.ndarray] = {k: np.zeros(m.n_faces, bool) for k, m in right_mesh.items()}
    for name, d in defs["regions"].items():
        parts_r, parts_l = [], []
        for part in d["parts"]:
            bone = part["bone"]
            mesh = right_mesh[bone]
            if part["method"] == "ilium_uv_polygon":
                sel = _select_ilium_polygon(mesh, sheet, part["polygon"], curves_uv)
            elif part["method"] == "capsule":
                sel = _select_capsule(mesh, bones, part, bone)
            elif part["method"] == "sacrum_surface":
                faces = np.flatnonzero(_select_sacrum(mesh, bones, part, +1.0))
                parts_r.append((bone, faces))
                parts_l.append((bone, _mirror_faces(mesh, faces)))
                continue
            else:
                raise ValueError(f"landmarks.toml [regions.{name}]: unknown method {part['method']!r}")
            sel &= ~taken[bone]
            taken[bone] |= sel
            faces = np.flatnonzero(sel)
            if bone == "coccyx":
                parts_r.append((bone, faces))
                parts_l.append((bone, _mirror_faces(mesh, faces)))
            else:
                parts_r.append((sided(bone, "r"), faces))
                parts_l.append((sided(bone, "l"), faces))  # mirrored meshes keep face order
        for side, parts in (("r", parts_r), ("l", parts_l)):
            out.regions[f"{name}_{side}"] = tuple(parts)
    return out


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


def _select_ilium_polygon(mesh: Mesh, sheet, polygon: list, curves_uv: dict) -> np.ndarray:
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
    half = sheet.half_thickness.ravel()[sheet._tree.query(centres)[1]]
    facing = np.einsum("ij,ij->i", mesh.face_normals, outer) > 0.25
    on_plate = dist < half + 3.0
    return _point_in_polygon(uv, poly) & facing & on_plate


def _select_capsule(mesh: Mesh, bones: BoneSet, part: dict, bone: str) -> np.ndarray:
    if bone == "femur":
        a = _femur_local_to_pelvis(bones, part["a"])
        b = _femur_local_to_pelvis(bones, part["b"])
        e = np.column_stack([bones.femur.e_a, bones.femur.e_u, bones.femur.e_l])
        normal = e @ np.asarray(part["normal"], float)
    else:
        a, b = np.asarray(part["a"], float), np.asarray(part["b"], float)
        normal = np.asarray(part["normal"], float)
    normal = normal / np.linalg.norm(normal)
    c = mesh.face_centers
    ab = b - a
    t = np.clip(((c - a) @ ab) / max(ab @ ab, 1e-9), 0, 1)
    dist = np.linalg.norm(c - (a + t[:, None] * ab), axis=1)
    cos_max = np.cos(np.radians(part["max_angle"]))
    return (dist <= part["radius"]) & (mesh.face_normals @ normal >= cos_max)


def _select_sacrum(mesh: Mesh, bones: BoneSet, part: dict, side: float) -> np.ndarray:
    sac = bones.sacrum
    c = mesh.face_centers
    from scipy.spatial import cKDTree

    # nearest midline sample in the sagittal plane gives t; its anterior normal tells the face
    flat = c.copy()
    flat[:, 2] = 0.0
    _, i = cKDTree(sac.midline).query(flat)
    t = sac.t[i]
    facing = np.einsum("ij,ij->i", mesh.face_normals, sac.anterior[i])
    want = 1.0 if part["surface"] == "anterior" else -1.0
    z = c[:, 2] * side
    t0, t1 = part["t"]
    z0, z1 = np.asarray(part["z"], float) * bones.params.scale * bones.params.pelvis_width
    return (facing * want > 0.45) & (t >= t0) & (t <= t1) & (z >= z0) & (z <= z1)
