"""The shape of the proximal femur: neck-shaft angle and femoral offset, changed on a built model.

The blueprint (``data/bones.toml``) builds the femur in shaft-local coordinates measured from
the neck-shaft junction, which lies ``neck_length`` back from the head centre along the neck
axis (:func:`~glute3d.anatomy.bones.femur_design`).  With the head fixed in the acetabulum:

* another **neck-shaft angle** turns the neck about the head centre at the same length, and the
  shaft, the trochanters and everything on them move with its base (in coxa vara the greater
  trochanter rides higher and further out, in valga lower and nearer);
* another **offset** at the same angle moves the shaft and the trochanters sideways,
  perpendicular to the shaft axis, as a high- or low-offset stem does: the leg keeps its length,
  the neck is longer or shorter and meets the shaft axis lower or higher.

:func:`reshape_femur` does exactly that to an existing femur mesh and its landmarks, vertex by
vertex, instead of contouring the bone again (which takes tens of seconds): each vertex follows
the shaft, the neck or a smooth blend of the two, by which of the blueprint's solids it lies on
(their signed distances).  Away from the base of the neck the result is the regenerated bone
moved exactly; at the base, where the blueprint's smooth unions change with the angle, it is a
smooth blend (``tests/test_femur_shape.py`` holds the reshaped surface against the new design's
distance field).  Triangles and landmark regions (sets of faces) are kept, so every muscle
attachment stays where it was on the bone.

Definitions (as on a radiograph with the femur turned to cancel its anteversion):

* **neck-shaft angle**: between the neck axis and the shaft axis, degrees (adults about 127-129,
  coxa vara below about 120, coxa valga above about 140);
* **femoral offset**: the perpendicular distance from the head centre to the shaft axis, mm
  (the blueprint's neck gives 39.4 at 128 degrees; adults about 40-44).

Examples
--------
>>> FemurShape(neck_shaft_angle=118.0, offset=44.1)
FemurShape(neck_shaft_angle=118.0, offset=44.1)
>>> try:
...     FemurShape(neck_shaft_angle=170.0, offset=40.0)
... except FemurShapeError as err:
...     print(err)
neck_shaft_angle=170.0 is outside 110..150 degrees (coxa vara to coxa valga); choose a value in that range
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from glute3d.anatomy.blueprint import blueprint
from glute3d.anatomy.bones import BoneParameters, FemurDesign, femur_design
from glute3d.anatomy.landmarks import Landmarks
from glute3d.anatomy.pose import finite_number
from glute3d.geometry import sdf
from glute3d.geometry.curves import smoothstep
from glute3d.geometry.mesh import Mesh
from glute3d.sides import SIDES, mirror_for

__all__ = [
    "SHAPE_RANGES",
    "FemurShape",
    "FemurShapeError",
    "femur_shape_of",
    "morph_femur_points",
    "natural_offset",
    "reshape_femur",
    "shaped_design",
]

#: What :func:`reshape_femur` accepts: degrees and mm (beyond them the neck's blend zone
#: would have to carry more than a quarter of a turn or stretch too far to stay faithful).
SHAPE_RANGES: dict[str, tuple[float, float, str]] = {
    "neck_shaft_angle": (110.0, 150.0, "degrees (coxa vara to coxa valga)"),
    "offset": (25.0, 60.0, "mm (head centre to shaft axis)"),
}

#: Half-width (mm) of the band where a vertex follows both the shaft and the neck.
_BLEND = 4.0


class FemurShapeError(ValueError):
    """A femur shape outside what can be built (one line naming the value, its range and the fix)."""


@dataclass(frozen=True)
class FemurShape:
    """Neck-shaft angle (degrees) and femoral offset (mm) of both femurs.

    Raises
    ------
    FemurShapeError
        A value that is not a finite number, or outside `SHAPE_RANGES`.
    """

    neck_shaft_angle: float
    offset: float

    def __post_init__(self) -> None:
        for name, (lo, hi, what) in SHAPE_RANGES.items():
            value = getattr(self, name)
            number = finite_number(value)
            if math.isnan(number):
                msg = f"{name} must be a number, got {value!r}"
                raise FemurShapeError(msg)
            if not lo <= number <= hi:
                msg = f"{name}={value!r} is outside {lo:g}..{hi:g} {what}; choose a value in that range"
                raise FemurShapeError(msg)
            object.__setattr__(self, name, number)


def _params(parameters: Mapping[str, Any], angle: float | None = None) -> BoneParameters:
    known = {k: float(parameters[k]) for k in BoneParameters().as_dict() if k in parameters}
    if angle is not None:
        known["neck_shaft_angle"] = float(angle)
    return BoneParameters(**known)


def _offset(design: FemurDesign) -> float:
    """Distance from the head centre (the design's origin) to the shaft axis, mm."""
    origin = design.junction if design.shaft_origin is None else design.shaft_origin
    return float(np.linalg.norm(origin - (origin @ design.e_u) * design.e_u))


def shaped_design(parameters: Mapping[str, Any], shape: FemurShape | None = None) -> FemurDesign:
    """The blueprint's right femur for a model's bone ``parameters``, or with ``shape``.

    The angle turns the neck about the head centre at the blueprint's neck length (as
    :func:`~glute3d.anatomy.bones.femur_design`); an offset other than that neck's moves the
    shaft and the trochanters sideways, perpendicular to the shaft axis (the head's height on
    the shaft, and so the leg length, unchanged), the neck lengthened or shortened at the same
    angle to meet the shaft axis lower or higher.  ``parameters`` may hold ``offset_shift`` (mm)
    from an earlier reshaping: that sideways move.
    """
    angle = shape.neck_shaft_angle if shape is not None else None
    design = femur_design(_params(parameters, angle), blueprint())
    natural = _offset(design)
    shift = shape.offset - natural if shape is not None else float(parameters.get("offset_shift", 0.0))
    if abs(shift) < 1e-9:
        return design
    j = design.junction
    sideways = j - (j @ design.e_u) * design.e_u
    sideways /= np.linalg.norm(sideways)
    gamma = math.radians(180.0 - _params(parameters, angle).neck_shaft_angle)
    junction = -((natural + shift) / math.sin(gamma)) * design.neck_axis
    return replace(design, junction=junction, shaft_origin=j + shift * sideways)


def femur_shape_of(parameters: Mapping[str, Any]) -> FemurShape:
    """The neck-shaft angle and offset of the femur built with ``parameters``.

    Examples
    --------
    >>> s = femur_shape_of({"neck_shaft_angle": 128.0})
    >>> s.neck_shaft_angle, round(s.offset, 1)
    (128.0, 39.4)
    """
    angle = float(_params(parameters).neck_shaft_angle)
    offset = _offset(shaped_design(parameters))
    shape = object.__new__(FemurShape)  # a generated model may lie outside the reshaping ranges
    object.__setattr__(shape, "neck_shaft_angle", angle)
    object.__setattr__(shape, "offset", offset)
    return shape


def natural_offset(parameters: Mapping[str, Any], neck_shaft_angle: float) -> float:
    """The offset of the blueprint's neck turned to ``neck_shaft_angle`` (no sideways move), mm."""
    return _offset(femur_design(_params(parameters, neck_shaft_angle), blueprint()))


# ============================================================================ the morph
def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit vector ``a`` to unit vector ``b``."""
    v, c = np.cross(a, b), float(a @ b)
    s = float(np.linalg.norm(v))
    if s < 1e-12:
        return np.eye(3)
    k = v / s
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + s * kx + (1.0 - c) * (kx @ kx)


def _shaft_weight(design: FemurDesign, p: np.ndarray) -> np.ndarray:
    """1 where ``p`` lies on the shaft or trochanters, 0 on the head and neck, smooth between."""
    neck, shaft, tubes, ells, _ = design._parts
    head_neck = np.minimum(sdf.sphere(p, np.zeros(3), design.head_radius), neck(p))
    rest = shaft(p)
    for t in tubes:
        rest = np.minimum(rest, t(p))
    for c, r, rot, _ in ells:
        rest = np.minimum(rest, sdf.ellipsoid(p, c, r, rot))
    return smoothstep(head_neck - rest, -_BLEND, _BLEND)


def _origin(design: FemurDesign) -> np.ndarray:
    return design.junction if design.shaft_origin is None else design.shaft_origin


def morph_femur_points(points: np.ndarray, old: FemurDesign, new: FemurDesign) -> np.ndarray:
    """Points of the right femur in its frame (origin at the head centre) carried from design
    ``old`` to design ``new`` (same scale and anteversion; another angle or neck length).

    The shaft and trochanters translate by the change of their origin; the head turns
    about its centre with the neck axis; the neck turns and stretches between them; a vertex in
    between takes a blend weighted by the solids it lies on (see the module notes).
    """
    p = np.asarray(points, float)
    w = _shaft_weight(old, p)[:, None]
    shaft_moved = p + (_origin(new) - _origin(old))
    rot = _rotation_between(old.neck_axis, new.neck_axis)
    length = float(np.linalg.norm(old.junction))
    s = (p - old.junction) @ old.neck_axis  # mm from the junction toward the head
    f = smoothstep(s, 0.0, length - 0.9 * old.head_radius)[:, None]  # 0 at the junction, 1 at the head
    neck_moved = p @ rot.T + (1.0 - f) * (new.junction - rot @ old.junction)
    return w * shaft_moved + (1.0 - w) * neck_moved


def reshape_femur(
    bones: Mapping[str, Mesh],
    landmarks: Landmarks,
    parameters: Mapping[str, Any],
    hip_centers: Mapping[str, np.ndarray],
    shape: FemurShape,
) -> tuple[dict[str, Mesh], Landmarks, dict[str, Any]]:
    """Both femurs (meshes, landmark points and curves) given ``shape``; the rest is shared.

    Parameters
    ----------
    bones, landmarks, parameters
        A model's neutral bones, landmarks and bone parameters.
    hip_centers : mapping of side to (3,) array
        The femoral head centres (they stay where they are: the head sits in the acetabulum).
    shape : FemurShape
        The new neck-shaft angle and offset.

    Returns
    -------
    bones, landmarks, parameters
        New dicts; ``parameters`` with the new ``neck_shaft_angle``, ``offset_shift`` (mm: the
        shaft's sideways move beyond the blueprint's neck at that angle) and ``femoral_offset``.
    """
    old = shaped_design(parameters)
    new = shaped_design(parameters, shape)
    out_bones = dict(bones)
    points, curves = dict(landmarks.points), dict(landmarks.curves)

    def carry(xyz: np.ndarray, side: str) -> np.ndarray:
        m, c = mirror_for(side), np.asarray(hip_centers[side], float)
        local = np.atleast_2d(np.asarray(xyz, float)) * m - c * m  # into the right femur's frame
        return (morph_femur_points(local, old, new) + c * m) * m

    for side in SIDES:
        femur = f"femur_{side}"
        mesh = bones[femur]
        out_bones[femur] = Mesh(carry(mesh.vertices, side), mesh.faces)
        for table in (points, curves):
            for name, (bone, xyz) in table.items():
                if bone == femur:
                    moved = carry(xyz, side)
                    table[name] = (bone, moved[0] if np.ndim(xyz) == 1 else moved)
    new_parameters = dict(parameters)
    new_parameters.update(
        neck_shaft_angle=shape.neck_shaft_angle,
        offset_shift=shape.offset - natural_offset(parameters, shape.neck_shaft_angle),
        femoral_offset=shape.offset,
    )
    return out_bones, Landmarks(points=points, curves=curves, regions=dict(landmarks.regions)), new_parameters
