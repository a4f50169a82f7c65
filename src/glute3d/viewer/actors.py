"""What the viewer does to the renderer's actors: own their geometry, move it in place, restyle, clip.

The renderer (:func:`glute3d.render.build_plotter`) draws each structure as an actor named
``structure:<name>`` whose geometry is shared through its geometry cache.  Before the viewer
moves an actor's points it gives the actor a copy of its own (:func:`own_geometry`), so the
cache (and the next picture rendered in the process) never sees a posed vertex.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from glute3d.render.polydata import vertex_normals
from glute3d.scene import parse_color

__all__ = [
    "Look",
    "Normals",
    "actor_faces",
    "apply_look",
    "geometry",
    "look_of",
    "own_geometry",
    "points_of",
    "replace_geometry",
    "set_clip_plane",
    "set_points",
    "style_look",
    "touched",
]


def geometry(actor: Any) -> Any:
    """The actor's PolyData: what its mapper draws, or, while a slider is dragged and the mapper draws a
    coarser copy (:mod:`glute3d.viewer.dragview`), the full geometry that copy follows."""
    full = getattr(actor, "_glute3d_full", None)
    return actor.GetMapper().GetInput() if full is None else full


def own_geometry(actor: Any) -> Any:
    """The actor's PolyData, copied once so that it belongs to the actor alone (returned)."""
    mapper = actor.GetMapper()
    data = geometry(actor)
    if getattr(actor, "_glute3d_owned", False):
        return data
    if getattr(actor, "_glute3d_full", None) is not None:
        raise RuntimeError("own_geometry: the actor draws a coarse copy; own its geometry before swapping it")
    import pyvista as pv

    own = pv.PolyData()
    own.DeepCopy(data)
    mapper.SetInputData(own)
    actor._glute3d_owned = True
    return own


class Normals:
    """Area-weighted vertex normals of a fixed triangulation, fast: the face-to-vertex sums are one
    sparse product (as :func:`glute3d.render.polydata.vertex_normals`, which uses three bincounts).

    Examples
    --------
    >>> v = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    >>> Normals(np.array([[0, 1, 2]]), 3)(v).tolist() == vertex_normals(v, np.array([[0, 1, 2]])).tolist()
    True
    """

    def __init__(self, faces: np.ndarray, n_vertices: int) -> None:
        from scipy.sparse import csr_matrix

        self.faces = np.asarray(faces, np.int64)
        n = len(self.faces)
        cols = np.repeat(np.arange(n), 3)
        self.sum = csr_matrix((np.ones(3 * n), (self.faces.ravel(), cols)), shape=(int(n_vertices), n))

    def __call__(self, v: np.ndarray) -> np.ndarray:
        t = v[self.faces]
        a, b = t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]
        fn = np.empty_like(a)  # the cross product, written out (numpy's cross is slow on small arrays)
        fn[:, 0] = a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1]
        fn[:, 1] = a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2]
        fn[:, 2] = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
        vn = self.sum @ fn
        return vn / np.maximum(np.sqrt(np.einsum("ij,ij->i", vn, vn))[:, None], 1e-12)


def points_of(actor: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Writable views of an actor's own points and normals (``None`` without normals)."""
    from vtk.util.numpy_support import vtk_to_numpy

    data = own_geometry(actor)
    normals = data.GetPointData().GetNormals()
    return vtk_to_numpy(data.GetPoints().GetData()), None if normals is None else vtk_to_numpy(normals)


def touched(actor: Any) -> None:
    """Tell VTK an actor's points and normals changed."""
    data = geometry(actor)
    data.GetPoints().Modified()
    normals = data.GetPointData().GetNormals()
    if normals is not None:
        normals.Modified()
    data.Modified()


def set_points(actor: Any, vertices: np.ndarray, normals: Normals | None = None) -> None:
    """Move an actor's points in place (same vertex count), with fresh smooth-shading normals."""
    pts, vn = points_of(actor)
    pts[:] = vertices
    if vn is not None:
        vn[:] = normals(pts) if normals is not None else vertex_normals(pts, actor_faces(actor))
    touched(actor)


def actor_faces(actor: Any) -> np.ndarray:
    """The triangles of an actor's geometry, ``(n, 3)``."""
    from vtk.util.numpy_support import vtk_to_numpy

    polys = geometry(actor).GetPolys()
    return vtk_to_numpy(polys.GetConnectivityArray()).reshape(-1, 3)


def replace_geometry(actor: Any, new: Any) -> None:
    """Give an actor new geometry (another vertex count) in its own PolyData object (a shallow copy)."""
    data = own_geometry(actor)
    data.ShallowCopy(new)
    data.Modified()


@dataclass(frozen=True)
class Look:
    """An actor's material: colour, opacity and lighting terms (what a highlight changes)."""

    color: tuple[float, float, float]
    opacity: float
    ambient: float
    diffuse: float
    specular: float
    specular_power: float
    scalars: bool


def look_of(actor: Any) -> Look:
    p = actor.GetProperty()
    return Look(
        tuple(p.GetColor()),
        p.GetOpacity(),
        p.GetAmbient(),
        p.GetDiffuse(),
        p.GetSpecular(),
        p.GetSpecularPower(),
        bool(actor.GetMapper().GetScalarVisibility()),
    )


def apply_look(actor: Any, look: Look) -> None:
    p = actor.GetProperty()
    p.SetColor(*look.color)
    p.SetOpacity(look.opacity)
    p.SetAmbient(look.ambient)
    p.SetDiffuse(look.diffuse)
    p.SetSpecular(look.specular)
    p.SetSpecularPower(look.specular_power)
    actor.GetMapper().SetScalarVisibility(look.scalars)


def style_look(style: dict, opacity: float | None = None) -> Look:
    """The look of a theme style (``theme["styles"][name]``), as the renderer draws it."""
    return Look(
        parse_color(style["color"]),
        float(style["opacity"] if opacity is None else opacity),
        float(style["ambient"]),
        float(style["diffuse"]),
        float(style["specular"]),
        float(style["specular_power"]),
        False,
    )


def set_clip_plane(actor: Any, plane: tuple[np.ndarray, np.ndarray] | None) -> None:
    """Clip an actor on the GPU: remove what lies on the side ``normal`` points to (``None``: no clip)."""
    mapper = actor.GetMapper()
    mapper.RemoveAllClippingPlanes()
    if plane is None:
        return
    import vtk

    origin, normal = plane
    p = vtk.vtkPlane()
    p.SetOrigin(*map(float, origin))
    p.SetNormal(*map(float, -np.asarray(normal, float)))  # VTK keeps the side its normal points to
    mapper.AddClippingPlane(p)
