"""The skin as a surface to aim at: ray casts, closest points and smooth outward normals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glute3d.anatomy.skin import Skin
from glute3d.geometry.mesh import Mesh

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.model.model import Model

__all__ = ["SkinSurface", "skin_surface", "smooth_normals"]


class SkinSurface:
    """Ray casts, closest points and smooth outward normals on one skin mesh.

    Parameters
    ----------
    skin : Skin
        The skin (neutral or posed).

    Attributes
    ----------
    normals : numpy.ndarray
        ``(n, 3)`` smoothed unit vertex normals, outward.
    """

    def __init__(self, skin: Skin):
        import vtk

        self.skin = skin
        self.mesh = skin.mesh
        self.poly = skin.mesh.to_pyvista()
        self.obb = vtk.vtkOBBTree()
        self.obb.SetDataSet(self.poly)
        self.obb.BuildLocator()
        self.normals = smooth_normals(skin.mesh, 8.0)
        from scipy.spatial import cKDTree

        self.tree = cKDTree(skin.mesh.vertices)

    def cast(self, origin: np.ndarray, direction: np.ndarray, reach: float = 600.0) -> np.ndarray | None:
        """First skin point met going from ``origin`` along ``direction``."""
        import vtk

        d = np.asarray(direction, float)
        d = d / np.linalg.norm(d)
        pts = vtk.vtkPoints()
        self.obb.IntersectWithLine(tuple(origin), tuple(origin + reach * d), pts, None)
        if pts.GetNumberOfPoints() == 0:
            return None
        return np.array(pts.GetPoint(0))

    def from_behind(self, y: float, z: float) -> np.ndarray | None:
        """The skin point seen from behind at height ``y`` and lateral position ``z`` (``None``: none)."""
        x0 = float(self.mesh.vertices[:, 0].min()) - 50.0
        return self.cast(np.array([x0, y, z]), np.array([1.0, 0.0, 0.0]))

    def behind(self, y: float, z: float) -> np.ndarray:
        """Like :meth:`from_behind`, for a point that must exist (``ValueError`` naming it if not)."""
        hit = self.from_behind(y, z)
        if hit is None:
            raise ValueError(
                f"the skin has no point behind y = {y:.1f} mm, z = {z:.1f} mm; the skin does not "
                f"cover the buttock there (check skin.toml's cut levels)"
            )
        return hit

    def closest(self, p: np.ndarray) -> np.ndarray:
        _, pt = self.poly.find_closest_cell(np.atleast_2d(p), return_closest_point=True)
        return np.asarray(pt, float).reshape(-1, 3)[0]

    def normal_at(self, p: np.ndarray) -> np.ndarray:
        """Smoothed outward normal near ``p``."""
        idx = self.tree.query_ball_point(p, 6.0)
        if not idx:
            idx = [int(self.tree.query(p)[1])]
        n = self.normals[idx].mean(axis=0)
        return n / np.linalg.norm(n)

    def on_skin(self, chord: np.ndarray, outward: np.ndarray) -> np.ndarray:
        """Points of a chord moved onto the skin along ``outward`` (``(3,)`` or ``(n, 3)``)."""
        out = []
        dirs = np.broadcast_to(outward, chord.shape)
        for p, d in zip(chord, dirs):
            d = d / np.linalg.norm(d)
            hit = self.cast(p + 250.0 * d, -d)
            out.append(hit if hit is not None else self.closest(p))
        return np.asarray(out)


def smooth_normals(mesh: Mesh, radius: float) -> np.ndarray:
    """Vertex normals averaged over every vertex within ``radius`` mm (outward where the mesh's are)."""
    from scipy.spatial import cKDTree

    vn = mesh.vertex_normals
    tree = cKDTree(mesh.vertices)
    pairs = tree.query_pairs(radius, output_type="ndarray")
    acc = vn.copy()
    np.add.at(acc, pairs[:, 0], vn[pairs[:, 1]])
    np.add.at(acc, pairs[:, 1], vn[pairs[:, 0]])
    return acc / np.maximum(np.linalg.norm(acc, axis=1, keepdims=True), 1e-12)


def skin_surface(model: Model) -> SkinSurface:
    """The :class:`SkinSurface` of ``model``'s skin (built once per skin and kept with it)."""
    skin = model.skin
    cache = skin._cache
    if "tools" not in cache:
        cache["tools"] = SkinSurface(skin)
    return cache["tools"]
