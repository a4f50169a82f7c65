"""A plain triangle mesh, and reading and writing it as binary PLY.

:class:`Mesh` is the currency between stages: numpy arrays only, so geometry
code needs no rendering library.  ``to_pyvista`` and ``to_trimesh`` convert at
the edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Mesh", "merge"]


@dataclass(frozen=True)
class Mesh:
    """Triangle mesh in millimetres.

    Attributes
    ----------
    vertices : numpy.ndarray
        ``(n, 3)`` float array.
    faces : numpy.ndarray
        ``(m, 3)`` int array, counter-clockwise seen from outside.
    """

    vertices: np.ndarray
    faces: np.ndarray

    @property
    def n_faces(self) -> int:
        return len(self.faces)

    @property
    def triangles(self) -> np.ndarray:
        """``(m, 3, 3)`` corner coordinates."""
        return self.vertices[self.faces]

    @property
    def face_centers(self) -> np.ndarray:
        return self.triangles.mean(axis=1)

    @property
    def face_normals(self) -> np.ndarray:
        t = self.triangles
        n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)

    @property
    def face_areas(self) -> np.ndarray:
        t = self.triangles
        return 0.5 * np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1)

    @property
    def vertex_normals(self) -> np.ndarray:
        """Area-weighted vertex normals."""
        t = self.triangles
        fn = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
        vn = np.zeros_like(self.vertices)
        for k in range(3):
            np.add.at(vn, self.faces[:, k], fn)
        return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)

    @property
    def volume(self) -> float:
        t = self.triangles
        return float(np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6.0)

    def mirrored(self, axis: int = 2) -> Mesh:
        """Mirror image across the plane ``x[axis] = 0`` (winding flipped, so still outward)."""
        v = self.vertices.copy()
        v[:, axis] *= -1.0
        return Mesh(v, self.faces[:, ::-1].copy())

    def transformed(self, matrix: np.ndarray) -> Mesh:
        """Apply a 4x4 rigid transform."""
        m = np.asarray(matrix, float)
        return Mesh(self.vertices @ m[:3, :3].T + m[:3, 3], self.faces)

    def submesh(self, face_ids: np.ndarray) -> Mesh:
        """The faces ``face_ids`` with their vertices renumbered."""
        f = self.faces[np.asarray(face_ids, int)]
        used, inverse = np.unique(f, return_inverse=True)
        return Mesh(self.vertices[used], inverse.reshape(-1, 3))

    def to_pyvista(self):
        """As a :class:`pyvista.PolyData`."""
        import pyvista as pv

        cells = np.column_stack([np.full(len(self.faces), 3), self.faces]).ravel()
        return pv.PolyData(self.vertices.copy(), cells)

    def to_vtk(self):
        """As a :class:`vtkPolyData` of triangles, made with VTK alone (no PyVista import, which
        costs a tenth of a second in a process that only generates tissue)."""
        from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
        from vtkmodules.vtkCommonCore import vtkPoints
        from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData

        pts = vtkPoints()
        pts.SetData(numpy_to_vtk(np.ascontiguousarray(self.vertices, dtype=float), deep=True))
        cells = vtkCellArray()
        offsets = np.arange(0, 3 * len(self.faces) + 1, 3, dtype=np.int64)
        conn = np.ascontiguousarray(self.faces, dtype=np.int64).ravel()
        cells.SetData(numpy_to_vtkIdTypeArray(offsets, deep=True), numpy_to_vtkIdTypeArray(conn, deep=True))
        poly = vtkPolyData()
        poly.SetPoints(pts)
        poly.SetPolys(cells)
        return poly

    def to_trimesh(self):
        """As a :class:`trimesh.Trimesh` (no processing, vertex order kept)."""
        import trimesh

        return trimesh.Trimesh(self.vertices, self.faces, process=False)

    @classmethod
    def from_pyvista(cls, poly) -> Mesh:
        tri = poly.triangulate()
        return cls(np.asarray(tri.points, float), tri.faces.reshape(-1, 4)[:, 1:].astype(np.int64))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Mesh)
            and np.array_equal(self.vertices, other.vertices)
            and np.array_equal(self.faces, other.faces)
        )

    __hash__ = None  # type: ignore[assignment]


def merge(meshes: list[Mesh]) -> Mesh:
    """Concatenate meshes into one (no welding)."""
    verts, faces, offset = [], [], 0
    for m in meshes:
        verts.append(m.vertices)
        faces.append(m.faces + offset)
        offset += len(m.vertices)
    return Mesh(np.vstack(verts), np.vstack(faces))


# --------------------------------------------------------------------------- PLY
