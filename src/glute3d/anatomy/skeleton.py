"""The skeleton: bone meshes with their landmarks — what every soft-tissue generator is given.

Generators (muscles, nerve and artery paths, skin) receive a :class:`Skeleton`, never
the assembled :class:`glute3d.Model`, so the model can be built on top of them
without an import cycle.

Examples
--------
>>> import glute3d
>>> skel = glute3d.load_model().skeleton
>>> skel.landmark("asis_r").shape, sorted(skel.hip_centers)
((3,), ['l', 'r'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from glute3d.anatomy.landmarks import Landmarks, SurfacePatch
from glute3d.errors import did_you_mean
from glute3d.geometry.mesh import Mesh, merge
from glute3d.sides import SIDES

__all__ = ["BONE_NAMES", "PELVIS_BONES", "ShaftFrame", "Skeleton"]

#: Every bone of the model, pelvis first.
BONE_NAMES = ("hip_bone_r", "hip_bone_l", "sacrum", "coccyx", "femur_r", "femur_l")
#: The bones that move with the pelvis.
PELVIS_BONES = ("hip_bone_r", "hip_bone_l", "sacrum", "coccyx")


class ShaftFrame(NamedTuple):
    """The femoral shaft below the lesser trochanter (one definition for every generator).

    Attributes
    ----------
    point : numpy.ndarray
        ``(3,)`` the point of the shaft axis at the level of the lesser trochanter.
    axis : numpy.ndarray
        ``(3,)`` unit axis pointing up toward the hip.
    posterior, medial : numpy.ndarray
        ``(3,)`` unit vectors perpendicular to the axis.
    radius : float
        Shaft radius, mm (75th percentile of the radial distances).
    """

    point: np.ndarray
    axis: np.ndarray
    posterior: np.ndarray
    medial: np.ndarray
    radius: float


#: Shaft band used to fit the axis: from this far (mm) below the lesser trochanter ...
SHAFT_BAND = (25.0, 260.0)


def shaft_frame(vertices: np.ndarray, lesser: np.ndarray, side: str) -> ShaftFrame:
    """Fit the femoral shaft axis to the vertices of a femur (any pose).

    Parameters
    ----------
    vertices : numpy.ndarray
        ``(n, 3)`` femur vertices.
    lesser : numpy.ndarray
        ``(3,)`` the lesser trochanter of that femur.
    side : {"r", "l"}

    Returns
    -------
    ShaftFrame
    """
    v = np.asarray(vertices, float)
    lo, hi = SHAFT_BAND
    shaft = v[(v[:, 1] < lesser[1] - lo) & (v[:, 1] > lesser[1] - hi)]
    c = shaft.mean(0)
    _, _, vt = np.linalg.svd(shaft - c, full_matrices=False)
    axis = vt[0] if vt[0][1] > 0 else -vt[0]
    post = np.array([-1.0, 0.0, 0.0])
    post -= (post @ axis) * axis
    post /= np.linalg.norm(post)
    medial = np.array([0.0, 0.0, -1.0 if side == "r" else 1.0])
    medial -= (medial @ axis) * axis + (medial @ post) * post
    medial /= np.linalg.norm(medial)
    rel = shaft - c
    radial = rel - np.outer(rel @ axis, axis)
    radius = float(np.percentile(np.linalg.norm(radial, axis=1), 75))
    c = c + ((lesser - c) @ axis) * axis  # the axis point at the lesser trochanter's level
    return ShaftFrame(c, axis, post, medial, radius)


@dataclass
class Skeleton:
    """Bones and landmarks in the pelvis frame (mm; X anterior, Y superior, Z right).

    Attributes
    ----------
    bones : dict of str to Mesh
        ``hip_bone_r``, ``hip_bone_l``, ``sacrum``, ``coccyx``, ``femur_r``, ``femur_l``.
    landmarks : Landmarks
        Points, curves and regions of both sides.
    parameters : dict
        The bone parameters the bones were generated with.
    """

    bones: dict[str, Mesh]
    landmarks: Landmarks
    parameters: dict = field(default_factory=dict)

    def landmark(self, name: str) -> np.ndarray | SurfacePatch:
        """A landmark by name: a point as ``(3,)``, a curve as ``(n, 3)``, a region as a patch.

        Raises
        ------
        KeyError
            Unknown name; the message lists the closest landmark names.
        """
        lm = self.landmarks
        if name in lm.points:
            return lm.points[name][1].copy()
        if name in lm.curves:
            return lm.curves[name][1].copy()
        if name in lm.regions:
            return self.region(name)
        raise KeyError(f"unknown landmark {name!r}{did_you_mean(name, lm.names(), cutoff=0.5)}")

    def side_name(self, base: str, side: str) -> str:
        """The name of landmark ``base`` on ``side``: ``base_side``, or ``base`` for a midline landmark.

        Examples
        --------
        >>> import glute3d
        >>> skel = glute3d.load_model().skeleton
        >>> skel.side_name("asis", "l"), skel.side_name("gluteal_cleft_top", "l")
        ('asis_l', 'gluteal_cleft_top')
        """
        lm = self.landmarks
        return base if base in lm.points or base in lm.curves or base in lm.regions else f"{base}_{side}"

    def point(self, name: str) -> np.ndarray:
        """A point landmark as ``(3,)`` floats (``KeyError`` for curves, regions and unknown names)."""
        if name not in self.landmarks.points:
            raise KeyError(f"unknown point landmark {name!r}{did_you_mean(name, self.landmarks.points, cutoff=0.5)}")
        return np.asarray(self.landmarks.points[name][1], float).copy()

    def region(self, name: str) -> SurfacePatch:
        """The surface patch of region ``name``."""
        if name not in self.landmarks.regions:
            raise KeyError(f"unknown region {name!r}{did_you_mean(name, self.landmarks.regions, cutoff=0.5)}")
        parts = self.landmarks.regions[name]
        mesh = merge([self.bones[b].submesh(f) for b, f in parts if len(f)])
        return SurfacePatch(mesh, parts)

    def landmark_bone(self, name: str) -> str:
        """The bone a point or curve lies on (the first bone of a region)."""
        lm = self.landmarks
        for table in (lm.points, lm.curves):
            if name in table:
                return table[name][0]
        if name in lm.regions:
            return lm.regions[name][0][0]
        raise KeyError(f"unknown landmark {name!r}{did_you_mean(name, lm.names(), cutoff=0.5)}")

    @property
    def hip_centers(self) -> dict[str, np.ndarray]:
        """The femoral head centres by side."""
        return {s: self.landmarks.points[f"hip_center_{s}"][1] for s in SIDES}

    def pelvis_meshes(self) -> list[Mesh]:
        """The meshes of the bones that move with the pelvis."""
        return [self.bones[b] for b in PELVIS_BONES if b in self.bones]

    def shaft_frame(self, side: str) -> ShaftFrame:
        """The femoral shaft frame of ``side`` in this skeleton's pose (see :func:`shaft_frame`)."""
        return shaft_frame(self.bones[f"femur_{side}"].vertices, self.point(f"lesser_trochanter_{side}"), side)

    def moved(self, femur_transforms: Mapping[str, np.ndarray], every_bone: np.ndarray | None = None) -> Skeleton:
        """A copy with each femur (mesh and landmarks) moved by its ``4 x 4`` transform, keyed by side.

        The pelvis, and every region (faces of a bone, moving with it), are shared.  With
        ``every_bone``, all bones and landmarks are moved by that one transform instead (the
        pelvis posed in the room, carrying the femurs with it).
        """
        bones = dict(self.bones)
        points, curves = dict(self.landmarks.points), dict(self.landmarks.curves)
        if every_bone is not None:
            t = np.asarray(every_bone, float)
            bones = {k: b.transformed(t) for k, b in bones.items()}
            for table in (points, curves):
                for name, (bone, xyz) in table.items():
                    table[name] = (bone, xyz @ t[:3, :3].T + t[:3, 3])
            femur_transforms = {}
        for side, t in femur_transforms.items():
            femur = f"femur_{side}"
            bones[femur] = self.bones[femur].transformed(t)
            for table in (points, curves):
                for name, (bone, xyz) in table.items():
                    if bone == femur:
                        table[name] = (bone, xyz @ t[:3, :3].T + t[:3, 3])
        landmarks = Landmarks(points=points, curves=curves, regions=dict(self.landmarks.regions))
        return Skeleton(bones, landmarks, self.parameters)
