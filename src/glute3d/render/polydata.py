"""Meshes, landmark overlays and marks as pyvista geometry, cached per source object.

A deck renders many scenes of the same model in one process: the PolyData of a mesh, its
normals, its cut-away and the tubes of overlays are made once per source object (checked by
identity, so a new mesh never gets an old mesh's geometry; a mesh with the same vertices and
faces as one made before gets that one's) and kept in a small LRU, bounded in entries and in
bytes.  The cache holds its sources weakly: the geometry of a mesh nobody holds any more (a
model let go, e.g. a new one loaded for every picture) is dropped with it.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "GEOMETRY_MAX_BYTES",
    "GEOMETRY_MAX_ENTRIES",
    "cut",
    "geometry_cache_size",
    "mark_geometry",
    "memo",
    "overlay_geometry",
    "poly",
    "tube",
    "vertex_normals",
]

#: Geometry kept at most: entries, and bytes of VTK data (the least recently used go first).
GEOMETRY_MAX_ENTRIES = 160
GEOMETRY_MAX_BYTES = 192 * 2**20


@dataclass
class _Entry:
    source: Callable[[], Any]  # a weak reference to the source (or a function returning it)
    value: Any
    nbytes: int


_GEOMETRY: OrderedDict[tuple, _Entry] = OrderedDict()
_BYTES = [0]  # bytes of the values in _GEOMETRY
_DEAD: list[tuple[tuple, Any]] = []  # (key, weak reference) of sources gone since the last call


def _nbytes(value: Any) -> int:
    size = getattr(value, "GetActualMemorySize", None)
    return int(size()) * 1024 if callable(size) else 0


def _drop(key: tuple) -> None:
    entry = _GEOMETRY.pop(key, None)
    if entry is not None:
        _BYTES[0] -= entry.nbytes


def _purge_dead() -> None:
    """Forget the geometry of sources that no longer exist (their weak references died)."""
    while _DEAD:
        key, ref = _DEAD.pop()
        entry = _GEOMETRY.get(key)
        if entry is not None and entry.source is ref:
            _drop(key)


def _reference(key: tuple, source: Any) -> Callable[[], Any]:
    def died(ref: Any) -> None:  # only noted: the cache is changed at the next call, never in a GC pass
        _DEAD.append((key, ref))

    try:
        return weakref.ref(source, died)
    except TypeError:  # not weakly referenceable: held
        return lambda: source


def memo(key: tuple, source: Any, make: Callable[[], Any], *, counted: bool = True) -> Any:
    """Per-process cache of pyvista geometry made from ``source`` (checked by identity, held
    weakly; ``None``: ``key`` alone says what it is).  ``counted=False``: the value is another
    entry's, its bytes are counted there."""
    _purge_dead()
    hit = _GEOMETRY.get(key)
    if hit is not None and hit.source() is source:
        _GEOMETRY.move_to_end(key)
        return hit.value
    value = make()
    _drop(key)
    entry = _Entry(_reference(key, source), value, _nbytes(value) if counted else 0)
    _GEOMETRY[key] = entry
    _BYTES[0] += entry.nbytes
    while len(_GEOMETRY) > 1 and (len(_GEOMETRY) > GEOMETRY_MAX_ENTRIES or _BYTES[0] > GEOMETRY_MAX_BYTES):
        _drop(next(iter(_GEOMETRY)))
    return value


def geometry_cache_size() -> tuple[int, int]:
    """Entries and bytes of VTK data the geometry cache holds now.

    Examples
    --------
    >>> entries, nbytes = geometry_cache_size()
    >>> entries <= GEOMETRY_MAX_ENTRIES and nbytes <= GEOMETRY_MAX_BYTES
    True
    """
    _purge_dead()
    return len(_GEOMETRY), _BYTES[0]


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
    """A pyvista PolyData of a Mesh, with point normals for smooth shading (cached per mesh,
    and shared by meshes of the same vertices and faces)."""

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

    def same_content() -> Any:
        # a mesh equal to one made before (a model loaded again for each picture): that geometry
        return memo(("poly-content", _digest(mesh), normals), None, make)

    return memo(("poly", id(mesh), normals), mesh, same_content, counted=False)


def _digest(mesh: Any) -> str:
    """Checksum of a mesh's vertices and faces (their type, shape and every byte)."""
    h = hashlib.blake2b(digest_size=20)
    for a in (np.ascontiguousarray(mesh.vertices), np.ascontiguousarray(mesh.faces)):
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


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
