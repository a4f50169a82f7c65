"""What the waypoints of one side are evaluated on: bones, muscles and landmarks of one pose.

Bones come from signed-distance grids built once per model (the femur's grid is queried in
the femur's own frame, so posing costs nothing); muscles from exact point-triangle
distances to their closed bodies, built per pose (:class:`MeshDistance`), and from their
upsampled deep and superficial faces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.anatomy.paths.bedding import unsettled_deep
from glute3d.anatomy.paths.sampling import upsample
from glute3d.anatomy.skeleton import ShaftFrame, Skeleton
from glute3d.geometry.distance import DistanceGrid, MeshDistance
from glute3d.geometry.transforms import rigid_fit
from glute3d.sides import mirror_for

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

__all__ = ["BoneGrids", "PathContext"]


@dataclass
class BoneGrids:
    """The bones as distance grids, built once per model (neutral frames).

    Attributes
    ----------
    pelvis : DistanceGrid
    femur : dict of str to DistanceGrid
        Per side, in the femur's neutral frame.
    femur_neutral : dict of str to numpy.ndarray
        Per side, ``(6, 3)`` femur vertices at neutral pose (to fit the femur's transform).
    shaft : dict of str to ShaftFrame
        Per side, the femoral shaft at neutral pose.
    """

    pelvis: DistanceGrid
    femur: dict[str, DistanceGrid]
    femur_neutral: dict[str, np.ndarray]
    shaft: dict[str, ShaftFrame]


class PathContext:
    """Distance fields and landmarks for one model (pose) and one side.

    Parameters
    ----------
    bones : BoneGrids
        The bone distance grids of the path rig (neutral frames).
    skeleton : Skeleton
        Bones and landmarks in the pose the paths are generated in.
    muscles : mapping of str to Muscle
        The muscles in that pose (sided names).
    side : {"r", "l"}
    """

    def __init__(self, bones: BoneGrids, skeleton: Skeleton, muscles: Mapping[str, Any], side: str):
        self.skeleton, self.muscles, self.side = skeleton, muscles, side
        self.pelvis, self.femur, self.shaft = bones.pelvis, bones.femur[side], bones.shaft[side]
        self.mirror = mirror_for(side)
        posed = skeleton.bones[f"femur_{side}"].vertices
        pick = np.linspace(0, len(posed) - 1, 6).astype(int)
        self.femur_t = rigid_fit(bones.femur_neutral[side], posed[pick])
        self._fields: dict[str, MeshDistance] = {}
        self._faces: dict[tuple[str, str], Any] = {}

    # ---------------------------------------------------------------- fields
    def muscle(self, name: str) -> Any:
        key = f"{name}_{self.side}"
        if key not in self.muscles:
            raise KeyError(f"paths.toml names muscle {name!r}, but the model has no {key!r}")
        return self.muscles[key]

    def field(self, name: str) -> MeshDistance:
        if name not in self._fields:
            self._fields[name] = MeshDistance(self.muscle(name).mesh)
        return self._fields[name]

    def bones(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the pelvis and this side's femur (posed), with the unit gradient."""
        dp, gp = self.pelvis(p)
        rot, shift = self.femur_t[:3, :3], self.femur_t[:3, 3]
        df, gf = self.femur((p - shift) @ rot)
        gf = gf @ rot.T
        use = df < dp
        return np.where(use, df, dp), np.where(use[:, None], gf, gp)

    def distance(self, name: str, p: np.ndarray) -> np.ndarray:
        """Signed distance to a muscle, or to the bones for ``"bone"``."""
        if name == "bone":
            return self.bones(p)[0]
        return self.field(name)(p)[0]

    def face(self, name: str, which: str) -> tuple[cKDTree, np.ndarray, np.ndarray]:
        """A face of a muscle (``"superficial"`` or ``"deep"``), upsampled: kd-tree, points, normals.

        Normals point from the deep to the superficial face (away from what lies beneath).
        """
        from scipy.spatial import cKDTree

        key = (name, which)
        if key not in self._faces:
            m = self.muscle(name)
            pts = upsample(m.superficial if which == "superficial" else m.deep, 3).reshape(-1, 3)
            nrm = upsample(m.normals, 3).reshape(-1, 3)
            nrm /= np.maximum(np.linalg.norm(nrm, axis=-1, keepdims=True), 1e-9)
            self._faces[key] = (cKDTree(pts), pts, nrm)
        return self._faces[key]

    def height_under(self, name: str, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Height of points above a muscle's deep face, along its normal.

        The face is the muscle's before it settled onto the layer beneath
        (:func:`~glute3d.anatomy.paths.bedding.unsettled_deep`): a path running under it is
        kept beneath that, and the muscle then beds on the path.

        Returns the height ``(n,)`` (negative: beneath the muscle), the normal
        ``(n, 3)`` and whether each point lies within the muscle's footprint.
        """
        from scipy.spatial import cKDTree

        key = (name, "deep_footprint")
        if key not in self._faces:
            m = self.muscle(name)
            grid = upsample(unsettled_deep(m), 3)
            nrm = upsample(m.normals, 3)
            nrm /= np.maximum(np.linalg.norm(nrm, axis=-1, keepdims=True), 1e-9)
            rim = np.zeros(grid.shape[:2], bool)
            rim[[0, -1], :] = True
            rim[:, [0, -1]] = True
            self._faces[key] = (cKDTree(grid.reshape(-1, 3)), grid.reshape(-1, 3), nrm.reshape(-1, 3), rim.ravel())
        tree, pts, nrm, rim = self._faces[key]
        _, i = tree.query(p)
        rel = p - pts[i]
        h = np.einsum("ij,ij->i", rel, nrm[i])
        tangential = np.linalg.norm(rel - h[:, None] * nrm[i], axis=1)
        inside = ~rim[i] | (tangential < 1.0)
        return h, nrm[i], inside

    def landmark(self, name: str) -> np.ndarray:
        """A landmark of this side by its sideless name (a midline landmark has no side)."""
        return np.asarray(self.skeleton.landmark(self.skeleton.side_name(name, self.side)), float)

    def weighted(self, weights: Mapping[str, float]) -> np.ndarray:
        """The weighted mean of landmark points (sideless names)."""
        total = sum(weights.values())
        return np.asarray(sum(w * self.landmark(n) for n, w in weights.items()) / total, float)

    def in_plane(self, pts: np.ndarray, plane: tuple[str, str, str], radius: float) -> np.ndarray:
        """Move points into the plane between two bodies, along the normal of the plane.

        Along the normal through each point the free space between the deep and the
        superficial body is measured; the point goes to the middle of a narrow gap,
        or rests ``radius + 0.5`` mm off the resting body where the gap is wide.
        """
        deep, sup, rest = plane
        tree, sp, sn = self.face(sup, "deep") if deep == "bone" else self.face(deep, "superficial")
        _, i = tree.query(pts)
        n = sn[i]
        base = pts - np.einsum("ij,ij->i", pts - sp[i], n)[:, None] * n
        want = radius + 0.5
        if deep == "bone":  # below the superficial muscle's deep face
            lo, hi = -(2.0 * radius + 14.0), 1.0
        else:  # above the deep muscle's superficial face
            lo, hi = -1.0, want + 2.0
        t = np.zeros(len(pts))
        for _ in range(2):
            x = base + t[:, None] * n
            d1 = self.distance(deep, x)
            d2 = self.distance(sup, x)
            if deep == "bone":
                # bone first: never closer than `want`; rest on the muscle where there is room
                # for the tissue around the nerve too (half a radius), else the middle of the gap
                wide = d1 + d2 >= 2.5 * want
                target = np.where(wide, d1 + d2 - want, np.maximum(want, 0.5 * (d1 + d2)))
                step = target - d1
            else:
                gap = d1 + d2
                if rest == "deep":
                    step = np.where(gap >= 2 * want, want - d1, 0.5 * (d2 - d1))
                else:
                    step = np.where(gap >= 2 * want, d2 - want, 0.5 * (d2 - d1))
            t = np.clip(t + step, lo, hi)
        return base + t[:, None] * n
