"""Meshes, landmark overlays and marks as pyvista geometry, cached per source object.

A deck renders many scenes of the same model in one process: the PolyData of a mesh, its
normals, its cut-away and the tubes of overlays are made once per source object (checked by
identity, so a new mesh never gets an old mesh's geometry) and kept in a small LRU.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["cut", "mark_geometry", "memo", "overlay_geometry", "poly", "tube", "vertex_normals"]

_GEOMETRY: OrderedDict[tuple, tuple[Any, Any]] = OrderedDict()  # key -> (source object, pyvista data)
_GEOMETRY_MAX = 160


def memo(key: tuple, source: Any, make: Callable[[], Any]) -> Any:
    """Per-process cache of pyvista geometry made from ``source`` (checked by identity)."""
    hit = _GEOMETRY.get(key)
    if hit is not None and hit[0] is source:
        _GEOMETRY.move_to_end(key)
        return hit[1]
    value = make()
    _GEOMETRY[key] = (source, value)
    while len(_GEOMETRY) > _GEOMETRY_MAX:
        _GEOMETRY.popitem(last=False)
    return value


def vertex_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (as :attr:`glute3d.geometry.mesh.Mesh.vertex_normals`, with bincount).

    Examples
    --------
    >>> v = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    >>> vertex_normals(v, np.array([[0, 1, 2]])).tolist()
    [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    """
    t = v[f]
    fn = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    idx = f.ravel()
    vn = np.column_stack([np.bincount(idx, weights=np.repeat(fn[:, k], 3), minlength=len(v)) for k in range(3)])
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def poly(mesh: Any, normals: bool = True) -> Any:
    """A pyvista PolyData of a Mesh, with point normals for smooth shading (cached per mesh)."""

    def make() -> Any:
        import pyvista as pv

        v = np.asarray(mesh.vertices, float)
        f = np.asarray(mesh.faces, np.int64)
        cells = np.column_stack([np.full(len(f), 3, np.int64), f]).ravel()
        out = pv.PolyData(v, cells)
        if normals:
            out.point_data["Normals"] = vertex_normals(v, f)
            out.point_data.active_normals_name = "Normals"
        return out

    return memo(("poly", id(mesh), normals), mesh, make)


def cut(data: Any, plane: Any) -> Any:
    """Remove the part of ``data`` on the normal side of a cut plane (capped if asked; cached)."""

    def make() -> Any:
        side = (np.asarray(data.points) - plane.origin) @ plane.normal
        if side.max() <= 0.0:  # wholly on the kept side: nothing to cut
            return data
        if plane.cap:
            try:
                out = data.clip_closed_surface(normal=tuple(-plane.normal), origin=tuple(plane.origin))
                if out.n_cells:
                    return out.compute_normals(split_vertices=True, feature_angle=50.0, auto_orient_normals=False)
            except Exception:  # not a closed surface: fall back to an open cut
                pass
        out = data.clip(normal=tuple(plane.normal), origin=tuple(plane.origin), invert=True)
        if not out.n_cells:
            return out
        try:
            return out.extract_surface(algorithm="dataset_surface")
        except TypeError:  # pragma: no cover - older pyvista without the keyword
            return out.extract_surface()

    key = ("cut", id(data), tuple(np.round(plane.origin, 6)), tuple(np.round(plane.normal, 6)), plane.cap)
    return memo(key, data, make)


def tube(points: np.ndarray, radius: float, *, dashed: bool = False) -> Any:
    """A tube along a polyline (dashes of ~6 radii with gaps of ~4 when ``dashed``)."""
    import pyvista as pv

    pts = np.asarray(points, float)
    if not dashed:
        return pv.lines_from_points(pts).tube(radius=radius, n_sides=14, capping=True)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    dash, gap = 6.0 * radius, 4.0 * radius
    pieces, lines, n = [], [], 0
    start = 0.0
    while start < s[-1]:
        end = min(start + dash, s[-1])
        t = np.linspace(start, end, max(2, int((end - start) / max(radius, 0.5)) + 2))
        piece = np.column_stack([np.interp(t, s, pts[:, k]) for k in range(3)])
        pieces.append(piece)
        lines.append(np.concatenate([[len(piece)], n + np.arange(len(piece))]))
        n += len(piece)
        start = end + gap
    return pv.PolyData(np.vstack(pieces), lines=np.concatenate(lines)).tube(radius=radius, n_sides=14, capping=True)


def mark_geometry(m: Any) -> Any:
    """PolyData of a resolved mark (cached per mark geometry)."""
    import pyvista as pv

    def make() -> Any:
        if m.kind == "line":
            return tube(m.geometry, m.radius, dashed=m.dashed)
        if m.kind == "point":
            return pv.Sphere(
                radius=m.radius, center=tuple(np.asarray(m.geometry, float)), theta_resolution=24, phi_resolution=16
            )
        if m.kind == "needle":
            return tube(m.geometry, m.radius)
        return poly(m.geometry)

    return memo(("mark", id(m.geometry), m.kind, m.radius, m.dashed), m.geometry, make)


def overlay_geometry(o: Any, r_point: float, r_tube: float, patch_offset: float) -> Any:
    """PolyData of a landmark overlay: a sphere, a tube, or a region patch lifted off its bone
    by ``patch_offset`` mm (cached per overlay geometry unless it is a bare array)."""
    import pyvista as pv

    def make() -> Any:
        if o.kind == "point":
            return pv.Sphere(
                radius=r_point, center=tuple(np.asarray(o.geometry, float)), theta_resolution=20, phi_resolution=14
            )
        if o.kind == "curve":
            return tube(o.geometry, r_tube)
        mesh = o.geometry
        lifted = type(mesh)(mesh.vertices + mesh.vertex_normals * float(patch_offset), mesh.faces)
        return poly(lifted)

    if isinstance(o.geometry, np.ndarray):
        return make()
    return memo(("overlay", o.name, o.kind, id(o.geometry), r_point, r_tube), o.geometry, make)
