"""Turn a signed-distance function into a clean, watertight triangle mesh.

The field is sampled on a regular grid (exactly only in a narrow band around
the surface, interpolated elsewhere), contoured by VTK's marching cubes,
smoothed, decimated to a triangle budget and remeshed into even triangles.  All steps are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glute3d.geometry.mesh import Mesh
from glute3d.geometry.remesh import remesh_evenly
from glute3d.geometry.sdf import SDF

__all__ = ["check_closed_manifold", "contour", "mesh_sdf", "occupancy", "occupancy_of", "sample_grid"]


def sample_grid(
    fn: SDF, lower, upper, spacing: float, *, coarse_factor: int = 4, chunk: int = 400_000
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``fn`` on a regular grid, exactly only near its zero level.

    Parameters
    ----------
    fn : callable
        Signed distance, ``(n, 3) -> (n,)``.
    lower, upper : array_like
        Corners of the box, in mm.
    spacing : float
        Grid step in mm.
    coarse_factor : int
        The first pass samples every ``coarse_factor``-th node; fine nodes
        farther from the surface than one coarse cell keep interpolated values.

    Returns
    -------
    values : numpy.ndarray
        ``(nx, ny, nz)`` distances.
    origin : numpy.ndarray
        Position of node ``(0, 0, 0)``.
    """
    from scipy.ndimage import map_coordinates

    lower = np.asarray(lower, float)
    upper = np.asarray(upper, float)
    shape = np.ceil((upper - lower) / spacing).astype(int) + 1
    cshape = (shape - 1) // coarse_factor + 2
    cstep = spacing * coarse_factor

    def nodes(sh, step):
        axes = [lower[i] + step * np.arange(sh[i]) for i in range(3)]
        return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)

    coarse = _evaluate(fn, nodes(cshape, cstep), chunk).reshape(cshape)
    idx = np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"), axis=0).reshape(3, -1)
    interp = map_coordinates(coarse, idx / coarse_factor, order=1, mode="nearest")
    band = np.abs(interp) < cstep * 1.75
    values = interp
    pts = lower + spacing * idx[:, band].T
    values[band] = _evaluate(fn, pts, chunk)
    return values.reshape(shape), lower


def _evaluate(fn: SDF, pts: np.ndarray, chunk: int) -> np.ndarray:
    out = np.empty(len(pts))
    for s in range(0, len(pts), chunk):
        out[s : s + chunk] = fn(pts[s : s + chunk])
    return out


def contour(
    values: np.ndarray,
    origin: np.ndarray,
    spacing: float,
    *,
    target_faces: int,
    edge_length: float | None = None,
    smooth_iterations: int = 30,
) -> Mesh:
    """Zero level set of a sampled field as a watertight, outward-facing mesh.

    The largest connected piece is kept; it is smoothed (Taubin, which keeps
    volume) and decimated to about ``target_faces`` triangles with topology
    preserved.  With ``edge_length`` the decimated mesh is then remeshed into
    well-shaped triangles of about that size on the smoothed surface
    (:func:`~glute3d.geometry.remesh.remesh_evenly`; decimation alone leaves
    needles and fans).  Coordinates are rounded to float32 so that what is
    written to disk is exactly what landmarks are computed on.
    """
    import pyvista as pv

    grid = pv.ImageData(dimensions=values.shape, spacing=(spacing,) * 3, origin=tuple(origin))
    grid.point_data["sdf"] = values.ravel(order="F")
    surf = grid.contour([0.0], scalars="sdf", method="marching_cubes").clean()
    surf = surf.connectivity("largest")
    surf = pv.PolyData(np.asarray(surf.points), surf.faces)  # drop every data array
    surf = surf.smooth_taubin(n_iter=smooth_iterations, pass_band=0.05)
    reference = Mesh.from_pyvista(surf)
    if surf.n_cells > target_faces:
        surf = surf.decimate_pro(
            1.0 - target_faces / surf.n_cells, preserve_topology=True, feature_angle=60.0, splitting=False
        )
    surf = surf.clean()
    mesh = Mesh.from_pyvista(surf)
    if edge_length is not None:
        mesh = remesh_evenly(mesh, reference, edge_length)
    mesh = Mesh(mesh.vertices.astype(np.float32).astype(float), mesh.faces)
    if mesh.volume < 0:
        mesh = Mesh(mesh.vertices, mesh.faces[:, ::-1].copy())
    return mesh


def mesh_sdf(fn: SDF, lower, upper, spacing: float, *, target_faces: int, edge_length: float | None = None) -> Mesh:
    """Sample and contour in one call."""
    values, origin = sample_grid(fn, lower, upper, spacing)
    return contour(values, origin, spacing, target_faces=target_faces, edge_length=edge_length)


def check_closed_manifold(mesh: Mesh) -> list[str]:
    """Problems that stop ``mesh`` being a closed 2-manifold (empty list when it is one)."""
    problems = []
    if not np.isfinite(mesh.vertices).all():
        problems.append("non-finite vertex coordinates")
    f = mesh.faces
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    if (counts == 1).any():
        problems.append(f"{int((counts == 1).sum())} open edges")
    if (counts > 2).any():
        problems.append(f"{int((counts > 2).sum())} edges shared by more than two faces")
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    _, dcounts = np.unique(directed, axis=0, return_counts=True)
    if (dcounts > 1).any():
        problems.append("inconsistent face winding")
    if (np.sort(f, axis=1)[:, :-1] == np.sort(f, axis=1)[:, 1:]).any():
        problems.append("degenerate faces")
    return problems


def occupancy_of(meshes: Sequence[Mesh], origin: np.ndarray, spacing: float, dims: np.ndarray) -> np.ndarray:
    """Which nodes of a regular grid lie inside any of the closed ``meshes``.

    Each mesh is scan-converted on its own (touching meshes must not cancel each other out, as
    they would in one merged mesh) by :func:`occupancy`, two at a time on two threads (VTK
    releases the GIL while it converts), and the answers are joined: the same nodes as converting
    them one after another.
    """
    from concurrent.futures import ThreadPoolExecutor

    out = np.zeros(tuple(int(x) for x in dims), bool)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for piece in pool.map(lambda m: _occupied_box(m, origin, spacing, dims), meshes):
            if piece is not None:
                out[piece[0]] |= piece[1]
    return out


def occupancy(mesh: Mesh, origin: np.ndarray, spacing: float, dims: np.ndarray) -> np.ndarray:
    """Which nodes of a regular grid lie inside the closed ``mesh`` (VTK scan conversion).

    Only the nodes within the mesh's bounding box are scan-converted (a sub-extent of the same
    grid: the same node positions, so the same answer as converting the whole grid, faster).

    Returns
    -------
    numpy.ndarray
        ``(nx, ny, nz)`` bool, x-major like :func:`sample_grid`.
    """
    out = np.zeros(tuple(int(x) for x in np.asarray(dims, int)), bool)
    piece = _occupied_box(mesh, origin, spacing, dims)
    if piece is not None:
        out[piece[0]] = piece[1]
    return out


def _occupied_box(
    mesh: Mesh, origin: np.ndarray, spacing: float, dims: np.ndarray
) -> tuple[tuple[slice, slice, slice], np.ndarray] | None:
    """The grid's nodes within ``mesh``'s bounding box (as slices) and which of them lie inside
    it; ``None`` when the box misses the grid."""
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkCommonCore import VTK_UNSIGNED_CHAR
    from vtkmodules.vtkCommonDataModel import vtkImageData
    from vtkmodules.vtkImagingStencil import vtkImageStencil, vtkPolyDataToImageStencil

    dims = np.asarray(dims, int)
    v = np.asarray(mesh.vertices, float)
    if not len(v):
        return None
    origin = np.asarray(origin, float)
    i0 = np.maximum(np.floor((v.min(0) - origin) / spacing).astype(int) - 1, 0)
    i1 = np.minimum(np.ceil((v.max(0) - origin) / spacing).astype(int) + 1, dims - 1)
    if (i1 < i0).any():
        return None
    extent = (int(i0[0]), int(i1[0]), int(i0[1]), int(i1[1]), int(i0[2]), int(i1[2]))
    img = vtkImageData()
    img.SetOrigin(*origin)
    img.SetSpacing(spacing, spacing, spacing)
    img.SetExtent(*extent)
    img.AllocateScalars(VTK_UNSIGNED_CHAR, 1)
    vtk_to_numpy(img.GetPointData().GetScalars())[:] = 1
    sten = vtkPolyDataToImageStencil()
    sten.SetInputData(mesh.to_vtk())
    sten.SetOutputOrigin(*origin)
    sten.SetOutputSpacing(spacing, spacing, spacing)
    sten.SetOutputWholeExtent(*extent)
    cut = vtkImageStencil()
    cut.SetInputData(img)
    cut.SetStencilConnection(sten.GetOutputPort())
    cut.ReverseStencilOff()
    cut.SetBackgroundValue(0)
    cut.Update()
    n = i1 - i0 + 1
    flat = vtk_to_numpy(cut.GetOutput().GetPointData().GetScalars())
    box = (slice(int(i0[0]), int(i1[0]) + 1), slice(int(i0[1]), int(i1[1]) + 1), slice(int(i0[2]), int(i1[2]) + 1))
    return box, flat.reshape(int(n[2]), int(n[1]), int(n[0])).transpose(2, 1, 0).astype(bool)
