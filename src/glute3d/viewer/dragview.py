"""Cheaper frames while a pose slider is dragged, on a software renderer; the full picture when let go.

A software renderer (Mesa's llvmpipe, two cores) spends a frame of the whole model in two ways:
shading pixels (the translucent skin over everything) and processing triangles (the bones and
the skin are most of the model's 230 000; llvmpipe transforms vertices on one thread).  While a
slider is dragged, :class:`DragView`

* draws the 3D props at half the window's resolution in each direction (a quarter of the
  pixels) and shows that image scaled up to the window (VTK's
  ``vtkSynchronizedRenderers`` with an image reduction factor, in one process);
* draws each big mesh (:data:`COARSE_MIN_CELLS` triangles or more: the bones and the skin) as a
  coarse copy with a quarter of its triangles.  The copy keeps a subset of the mesh's own
  vertices (``vtkDecimatePro``, topology preserved), so it follows every move of the full mesh
  by copying those vertices' points and normals: the pose code keeps writing the full geometry
  (:func:`glute3d.viewer.actors.geometry`) and never sees the copy;
* skips the back faces of closed opaque meshes that no plane cuts (bones, muscles, nerves and
  arteries: never seen, yet set up triangle by triangle by a software renderer).

Letting go (:meth:`DragView.stop`) gives each mapper its full geometry back and draws at full
resolution: the frame is then the same as one that was never dragged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glute3d.viewer.actors import own_geometry

__all__ = ["COARSE_MIN_CELLS", "COARSE_REDUCTION", "IMAGE_REDUCTION", "Coarse", "DragView", "closed_outward"]

#: While dragging, the renderer draws 1/IMAGE_REDUCTION of the window's width and height.
IMAGE_REDUCTION = 2
#: Meshes with at least this many triangles are drawn as a coarse copy while dragging.
COARSE_MIN_CELLS = 10_000
#: The share of a big mesh's triangles the coarse copy leaves out.
COARSE_REDUCTION = 0.75


@dataclass
class Coarse:
    """A coarse copy of a mesh made of a subset of its vertices (``keep``), following it."""

    data: Any  # vtkPolyData drawn while dragging
    keep: np.ndarray  # indices of the full mesh's vertices the copy keeps
    n_points: int  # the full mesh's vertex count it was made for
    n_cells: int
    seen: int = field(default=-1)  # the full mesh's modification time last copied

    @classmethod
    def of(cls, full: Any, reduction: float = COARSE_REDUCTION) -> Coarse:
        """Decimate ``full`` (triangles) keeping vertex positions; remember which vertices stay."""
        import vtk
        from vtk.util.numpy_support import numpy_to_vtk, vtk_to_numpy

        src = vtk.vtkPolyData()
        src.SetPoints(full.GetPoints())
        src.SetPolys(full.GetPolys())
        n = full.GetNumberOfPoints()
        ids = numpy_to_vtk(np.arange(n, dtype=np.int64), deep=1, array_type=vtk.VTK_ID_TYPE)
        ids.SetName("glute3d_vertex")
        src.GetPointData().AddArray(ids)
        dec = vtk.vtkDecimatePro()
        dec.SetInputData(src)
        dec.SetTargetReduction(float(reduction))
        dec.PreserveTopologyOn()  # no holes, no split vertices: every vertex kept is one of the mesh's
        dec.SplittingOff()
        dec.BoundaryVertexDeletionOff()  # the skin's cut edges stay where they are
        dec.Update()
        out = dec.GetOutput()
        keep = np.array(vtk_to_numpy(out.GetPointData().GetArray("glute3d_vertex")), np.int64)
        data = vtk.vtkPolyData()
        pts = vtk.vtkPoints()
        pts.SetData(numpy_to_vtk(np.zeros((len(keep), 3)), deep=1))
        data.SetPoints(pts)
        data.SetPolys(out.GetPolys())
        if full.GetPointData().GetNormals() is not None:
            normals = numpy_to_vtk(np.zeros((len(keep), 3)), deep=1)
            normals.SetName("Normals")
            data.GetPointData().SetNormals(normals)
        coarse = cls(data, keep, n, full.GetNumberOfCells())
        coarse.follow(full)
        return coarse

    def fits(self, full: Any) -> bool:
        """Made for this mesh (same vertex and triangle counts)?"""
        return full.GetNumberOfPoints() == self.n_points and full.GetNumberOfCells() == self.n_cells

    def follow(self, full: Any) -> None:
        """Copy the kept vertices' points and normals from ``full`` if it changed since the last copy."""
        from vtk.util.numpy_support import vtk_to_numpy

        mtime = full.GetMTime()
        if mtime == self.seen:
            return
        self.seen = mtime
        out = vtk_to_numpy(self.data.GetPoints().GetData())
        np.take(vtk_to_numpy(full.GetPoints().GetData()), self.keep, axis=0, out=out)
        self.data.GetPoints().Modified()
        normals, out_normals = full.GetPointData().GetNormals(), self.data.GetPointData().GetNormals()
        if normals is not None and out_normals is not None:
            np.take(vtk_to_numpy(normals), self.keep, axis=0, out=vtk_to_numpy(out_normals))
            out_normals.Modified()
        self.data.Modified()


def closed_outward(data: Any) -> bool:
    """A closed triangle mesh whose triangles all wind outwards (its back faces can never be seen
    while it is opaque and uncut).

    Examples
    --------
    >>> import pyvista as pv
    >>> closed_outward(pv.Tetrahedron().triangulate()), closed_outward(pv.Plane().triangulate())
    (True, False)
    """
    from vtk.util.numpy_support import vtk_to_numpy

    polys = data.GetPolys()
    n = polys.GetNumberOfCells()
    conn = vtk_to_numpy(polys.GetConnectivityArray())
    if n == 0 or len(conn) != 3 * n or data.GetNumberOfStrips() or data.GetNumberOfVerts() or data.GetNumberOfLines():
        return False
    f = conn.reshape(-1, 3).astype(np.int64)
    a, b = f.ravel(), f[:, [1, 2, 0]].ravel()
    m = int(data.GetNumberOfPoints())
    edges, backwards = a * m + b, b * m + a
    if len(np.unique(edges)) != len(edges) or not np.isin(backwards, edges).all():
        return False  # an open border, a non-manifold edge or a triangle wound the other way
    v = vtk_to_numpy(data.GetPoints().GetData()).astype(float)
    p, q, r = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    return bool(np.einsum("ij,ij->i", p, np.cross(q, r)).sum() > 0.0)  # positive volume: facing out


class DragView:
    """Switches a renderer to cheaper frames while a slider is dragged (see the module).

    ``actors``: the structures' actors by name (only these get coarse copies).  While dragging,
    the 3D props are drawn by a renderer of their own beneath the main one (same camera, same
    lights), at reduced resolution; the main renderer, on the layer above, keeps the widgets and
    texts, drawn at the window's resolution where they always are.
    """

    def __init__(self, renderer: Any, actors: dict[str, Any]) -> None:
        self.renderer = renderer
        self.actors = actors
        self.active = False
        self.coarse: dict[str, Coarse] = {}  # made at the first drag, kept for the next
        self.swapped: dict[str, Any] = {}  # name -> full geometry, while its coarse copy is drawn
        self.scene: Any = None  # the renderer of the 3D props while dragging (made at the first drag)
        self._sync: Any = None
        self._order: list[Any] = []  # the main renderer's props, in drawing order, before the drag
        self._layer = (0, False)
        self.culled: list[Any] = []  # actors whose back faces are skipped during this drag
        self._closed: dict[str, tuple[int, bool]] = {}  # name -> (triangle count, closed_outward)

    @property
    def reduction(self) -> int:
        """The image reduction in force now: :data:`IMAGE_REDUCTION` while dragging, else 1."""
        sync = self._sync
        return int(sync.GetImageReductionFactor()) if sync is not None and sync.GetParallelRendering() else 1

    def _make_scene(self) -> None:
        import vtk
        from vtkmodules.vtkParallelCore import vtkDummyController
        from vtkmodules.vtkRenderingParallel import vtkSynchronizedRenderers

        main = self.renderer
        scene = self.scene = vtk.vtkRenderer()
        scene.SetActiveCamera(main.GetActiveCamera())
        scene.SetLightCollection(main.GetLights())
        scene.SetAutomaticLightCreation(False)
        scene.SetTwoSidedLighting(main.GetTwoSidedLighting())
        scene.SetLightFollowCamera(main.GetLightFollowCamera())
        scene.SetBackground(main.GetBackground())
        scene.SetBackground2(main.GetBackground2())
        scene.SetGradientBackground(main.GetGradientBackground())
        scene.SetBackgroundAlpha(main.GetBackgroundAlpha())
        scene.SetViewport(main.GetViewport())
        scene.SetInteractive(False)
        scene.SetLayer(0)
        scene.SetDraw(False)
        window = main.GetRenderWindow()
        window.SetNumberOfLayers(max(2, window.GetNumberOfLayers()))
        window.AddRenderer(scene)
        self._controller = vtkDummyController()  # one process: the "parallel" renderer is only ours
        self._sync = vtkSynchronizedRenderers()
        self._sync.SetParallelController(self._controller)
        self._sync.SetImageReductionFactor(IMAGE_REDUCTION)
        self._sync.SetRenderer(scene)
        self._sync.SetParallelRendering(False)

    def start(self) -> None:
        """A drag begins: the 3D props drawn at reduced resolution, the big meshes as coarse copies."""
        if self.active:
            return
        self.active = True
        if self.scene is None:
            self._make_scene()
        main, scene = self.renderer, self.scene
        props = main.GetViewProps()
        self._order = [props.GetItemAsObject(i) for i in range(props.GetNumberOfItems())]
        for prop in self._order:
            if prop.IsA("vtkProp3D"):  # the model, overlays and marks: widgets and texts stay
                main.RemoveViewProp(prop)
                scene.AddViewProp(prop)
        self._layer = (main.GetLayer(), bool(main.GetPreserveColorBuffer()))
        main.SetLayer(1)  # drawn over the scene, without clearing it
        main.SetPreserveColorBuffer(True)
        scene.SetUseFXAA(False)
        scene.SetUseOIT(False)
        scene.SetDraw(True)
        self._sync.SetParallelRendering(True)
        self._coarsen()
        self._cull()

    def _cull(self) -> None:
        """Skip the back faces of closed opaque meshes not cut by a plane: they are never seen, and a
        software renderer still sets up each of their triangles."""
        for name, actor in self.actors.items():
            prop, mapper = actor.GetProperty(), actor.GetMapper()
            if not actor.GetVisibility() or prop.GetOpacity() < 1.0 or prop.GetBackfaceCulling():
                continue
            planes = mapper.GetClippingPlanes()
            if planes is not None and planes.GetNumberOfItems():
                continue
            full = self.swapped.get(name, mapper.GetInput())
            if full is None or not full.IsA("vtkPolyData"):
                continue
            seen = self._closed.get(name)
            if seen is None or seen[0] != full.GetNumberOfCells():
                seen = self._closed[name] = (full.GetNumberOfCells(), closed_outward(full))
            if seen[1]:
                prop.BackfaceCullingOn()
                self.culled.append(actor)

    def _coarsen(self) -> None:
        for name, actor in self.actors.items():
            if not actor.GetVisibility() or actor.GetMapper() is None:
                continue
            data = actor.GetMapper().GetInput()
            if data is None or not data.IsA("vtkPolyData") or data.GetNumberOfStrips():
                continue
            if data.GetNumberOfPolys() < COARSE_MIN_CELLS:
                continue
            full = own_geometry(actor)  # the pose code moves this one: never the cache's
            coarse = self.coarse.get(name)
            if coarse is None or not coarse.fits(full):
                coarse = self.coarse[name] = Coarse.of(full)
            coarse.follow(full)
            actor._glute3d_full = full
            actor.GetMapper().SetInputData(coarse.data)
            self.swapped[name] = full

    def follow(self) -> None:
        """After a slider step: the coarse copies take up their full meshes' new points."""
        for name, full in self.swapped.items():
            coarse = self.coarse[name]
            if not coarse.fits(full):  # the full mesh was replaced meanwhile: draw it as it is
                coarse = self.coarse[name] = Coarse.of(full)
                self.actors[name].GetMapper().SetInputData(coarse.data)
            coarse.follow(full)

    def stop(self) -> None:
        """The drag ends: every prop back in the main renderer in its order, full geometry, full resolution."""
        if not self.active:
            return
        self.active = False
        main, scene = self.renderer, self.scene
        self._sync.SetParallelRendering(False)
        scene.SetDraw(False)
        moved = scene.GetViewProps()
        moved_now = [moved.GetItemAsObject(i) for i in range(moved.GetNumberOfItems())]
        props = main.GetViewProps()
        kept_now = [props.GetItemAsObject(i) for i in range(props.GetNumberOfItems())]
        scene.RemoveAllViewProps()
        main.RemoveAllViewProps()
        order = [p for p in self._order if any(p is q for q in moved_now + kept_now)]
        order += [p for p in moved_now + kept_now if not any(p is q for q in order)]  # added meanwhile
        for prop in order:
            main.AddViewProp(prop)
        self._order = []
        layer, preserve = self._layer
        main.SetLayer(layer)
        main.SetPreserveColorBuffer(preserve)
        for name, full in self.swapped.items():
            actor = self.actors[name]
            actor.GetMapper().SetInputData(full)
            actor._glute3d_full = None
        self.swapped.clear()
        for actor in self.culled:
            actor.GetProperty().BackfaceCullingOff()
        self.culled.clear()

    def refresh(self) -> None:
        """Opacity or a cutting plane changed: during a drag, choose again what is culled."""
        if self.active:
            for actor in self.culled:
                actor.GetProperty().BackfaceCullingOff()
            self.culled.clear()
            self._cull()

    def close(self) -> None:
        """Let go of the renderers (before the window closes)."""
        self.stop()
        if self._sync is not None:
            self._sync.SetRenderer(None)
            self._sync = None
        if self.scene is not None:
            window = self.renderer.GetRenderWindow()
            if window is not None:
                window.RemoveRenderer(self.scene)
            self.scene = None
