"""The skin of the gluteal region: a smooth envelope from the lower trunk to mid-thigh.

Generated from the neutral model (``data/skin.toml``, read and checked by
:mod:`glute3d.anatomy.skin_spec`):

1. The union of all bones and muscles is scan-converted on a regular grid
   (3 mm) and its distance field computed with a Euclidean distance transform.
2. A subcutaneous thickness field (a base value with Gaussian bumps at
   landmarks: a fat pad over the buttock, thin skin over the sacrum, the
   posterior superior iliac spines, the iliac crest, the anterior superior
   iliac spine and the greater trochanter) is subtracted.
3. Fillers stand in for what the model lacks: an elliptic cylinder for the
   lower trunk and a tapered cylinder around each femur for the thigh muscles,
   joined with a smooth minimum.
4. The field is smoothed (Gaussian), contoured (VTK flying edges), reduced to
   its largest piece, smoothed again (Taubin), decimated and cut by two
   horizontal planes, above the iliac crest and at mid-thigh, leaving a clean
   open boundary.

Everything is deterministic.  For a posed model the neutral skin is bent with
the femurs by linear blend skinning (an approximation: no soft-tissue
mechanics).

Examples
--------
>>> import glute3d
>>> skin = glute3d.load_model().skin
>>> skin.mesh.n_faces > 10000
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.anatomy.skeleton import Skeleton
from glute3d.anatomy.skin_spec import SkinDataError, SkinSpec, skin_spec
from glute3d.geometry.curves import smoothstep
from glute3d.geometry.distance import ImplicitDistance, outside_and_inside_distance
from glute3d.geometry.mesh import Mesh
from glute3d.geometry.meshing import occupancy_of
from glute3d.geometry.transforms import rigid_fit
from glute3d.io.datafiles import data_text
from glute3d.io.ply import ply_bytes, read_ply
from glute3d.sides import SIDE_SIGN, SIDES, mirror_for

if TYPE_CHECKING:  # scipy is imported where the skin is built, not when the module loads
    from scipy.spatial import cKDTree

__all__ = [
    "SKIN_FILE",
    "Skin",
    "SkinDataError",
    "bend",
    "fingerprint",
    "generate_skin",
    "read_skin",
    "skin_ply_bytes",
    "skin_spec",
]

#: File name of the pre-built skin in ``meshes/`` (optional; generated when absent or stale).
SKIN_FILE = "skin.ply"


# ============================================================================ result
@dataclass(frozen=True)
class Skin:
    """The skin surface.

    Attributes
    ----------
    mesh : Mesh
        Open triangle surface (outward normals), cut by the planes ``y = top`` and
        ``y = bottom``.
    top, bottom : float
        Heights (pelvis frame Y, mm) of the upper and lower cut.
    """

    mesh: Mesh
    top: float
    bottom: float
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def transformed(self, matrix: np.ndarray) -> Skin:
        """The same skin moved by a ``4 x 4`` rigid transform (the pelvis posed in the room).

        Its cut planes are no longer horizontal: :attr:`closed` is this skin's own, moved.
        """
        m = np.asarray(matrix, float)
        out = Skin(self.mesh.transformed(m), self.top, self.bottom)
        out._cache["frame"] = (self, m)
        return out

    @cached_property
    def closed(self) -> Mesh:
        """The skin with flat caps in its cut planes (a closed surface, for inside tests)."""
        import pyvista as pv

        if "frame" in self._cache:
            frame, m = self._cache["frame"]
            return frame.closed.transformed(m)

        edges = self.mesh.to_pyvista().extract_feature_edges(
            boundary_edges=True, feature_edges=False, manifold_edges=False, non_manifold_edges=False
        )
        lines = edges.lines.reshape(-1, 3)[:, 1:]
        pts = np.asarray(edges.points)
        caps = []
        for y in (self.top, self.bottom):
            on = np.abs(pts[:, 1] - y) < 1e-3
            sel = lines[on[lines[:, 0]] & on[lines[:, 1]]]
            if len(sel):
                loop = pv.PolyData(pts, lines=np.column_stack([np.full(len(sel), 2), sel]).ravel())
                tri = _cap(loop, y)
                if tri is not None:
                    caps.append(tri)
        from glute3d.geometry.mesh import merge

        closed = merge([self.mesh, *caps])
        return _weld(closed)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Which points lie inside the skin (between the cut planes), ``(n,)`` bool."""
        if "inside" not in self._cache:
            self._cache["inside"] = ImplicitDistance(self.closed)
        return self._cache["inside"].contains(np.atleast_2d(np.asarray(points, float)))

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Signed distance of points to the closed skin (negative inside), mm."""
        if "inside" not in self._cache:
            self._cache["inside"] = ImplicitDistance(self.closed)
        return self._cache["inside"](np.atleast_2d(np.asarray(points, float)))


def _cap(edges: Any, y: float) -> Mesh | None:
    """Triangulate the boundary loops lying in the plane ``y`` (VTK contour triangulator)."""
    from vtkmodules.vtkFiltersGeneral import vtkContourTriangulator

    from glute3d.geometry.mesh import Mesh as _Mesh

    tri = vtkContourTriangulator()
    tri.SetInputData(edges)
    tri.Update()
    out = tri.GetOutput()
    if out.GetNumberOfCells() == 0:
        return None
    import pyvista as pv

    m = _Mesh.from_pyvista(pv.wrap(out))
    # caps face out of the body: up at the top cut, down at the bottom one
    n = m.face_normals[:, 1]
    want = 1.0 if y > 0 else -1.0
    faces = m.faces if np.mean(n) * want > 0 else m.faces[:, ::-1]
    return _Mesh(m.vertices, faces.copy())


def _weld(mesh: Mesh, tol: float = 1e-4) -> Mesh:
    """Merge coincident vertices (the caps share the skin's boundary vertices)."""
    key = np.round(mesh.vertices / tol).astype(np.int64)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    faces = inverse.reshape(-1)[mesh.faces]
    keep = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    return Mesh(mesh.vertices[first], faces[keep])


# ============================================================================ generation
def _landmark(model: Skeleton, name: str, side: str) -> np.ndarray:
    return np.asarray(model.landmark(model.side_name(name, side)), float)


def _cut_levels(model: Skeleton, spec: SkinSpec) -> tuple[float, float]:
    top = spec.cut.top
    bottom = spec.cut.bottom
    t = max(_landmark(model, top.landmark, s)[1] for s in SIDES) + float(top.offset)
    b = min(_landmark(model, bottom.landmark, s)[1] for s in SIDES) + float(bottom.offset)
    return float(t), float(b)


#: A bump adds nothing where ``|delta| * exp(-(d / sigma)^2)`` is below this, mm: far below half
#: a unit in the last place of any thickness that is not clamped to the 2 mm floor, so leaving
#: those points out gives the same numbers, bit for bit, in a fraction of the time.
_NEGLIGIBLE_MM = 1e-18


def _reach(delta: float, sigma: float) -> float:
    """Distance beyond which a Gaussian bump of ``delta`` and ``sigma`` adds less than `_NEGLIGIBLE_MM`."""
    return sigma * float(np.sqrt(max(np.log(abs(delta) / _NEGLIGIBLE_MM), 0.0))) if delta else 0.0


def _span(axis: np.ndarray, lo: float, hi: float) -> slice:
    """The nodes of a sorted grid ``axis`` between ``lo`` and ``hi`` (inclusive), as a slice."""
    return slice(int(np.searchsorted(axis, lo, "left")), int(np.searchsorted(axis, hi, "right")))


def _thickness(model: Skeleton, spec: SkinSpec, axes: list[np.ndarray]) -> np.ndarray:
    """Subcutaneous thickness at the nodes of the grid with ``axes`` (x, y, z), flattened x-major.

    A bump around a point is evaluated only in the box where it adds something (see
    `_NEGLIGIBLE_MM`), a curve's nearest-point query only within 4 sigma of the curve's box
    (farther counts as 4 sigma); the grid's separable coordinates give the same numbers as
    evaluating every node, in a fraction of the time.
    """
    from scipy.spatial import cKDTree

    th = spec.thickness
    ax, ay, az = axes
    out = np.full((len(ax), len(ay), len(az)), float(th.base))
    for bump in th.bumps:
        delta, sigma = float(bump.delta), float(bump.sigma)
        if bump.midline:
            b = bump.behind
            assert b is not None  # a midline bump has it (see Bump)
            x0 = max(_landmark(model, b.landmark, s)[0] for s in SIDES) + float(b.offset)
            r = _reach(delta, sigma)
            kz = (az > -r) & (az < r)
            fade = np.clip((x0 - ax) / 30.0, 0.0, 1.0)
            out[:, :, kz] += delta * fade[:, None, None] * np.exp(-((az[kz] / sigma) ** 2))[None, None, :]
            continue
        sides = SIDES if bump.sided else ("r",)
        for side in sides:
            if bump.curve is not None:
                curve = _landmark(model, bump.curve, side)
                seg = np.linalg.norm(np.diff(curve, axis=0), axis=1).sum()
                dense = _dense_polyline(curve, max(2, int(seg / 1.0)))
                lo, hi = dense.min(0) - 4 * sigma, dense.max(0) + 4 * sigma
                box = tuple(_span(a, lo[k], hi[k]) for k, a in enumerate(axes))
                # farther than 4 sigma counts as 4 sigma (as the query says): the bump's floor
                floor = delta * np.exp(-((np.full(8, 4 * sigma) / sigma) ** 2))
                add = np.full(out.shape, floor[0])
                sub = [a[sl] for a, sl in zip(axes, box, strict=True)]
                d = _curve_distance(cKDTree(dense), sub, 4 * sigma)
                add[box] = delta * np.exp(-((d / sigma) ** 2))
                out += add
            else:
                weights = bump.at or {}
                total = sum(weights.values())
                c = sum(w * _landmark(model, n, side) for n, w in weights.items()) / total
                off = np.asarray(bump.offset, float)
                c = c + off * mirror_for(side)
                r = _reach(delta, sigma)
                box = tuple(_span(a, c[k] - r, c[k] + r) for k, a in enumerate(axes))
                # exp(-|p - c|^2 / sigma^2) is the product of one factor per axis: two small
                # products and one pass over the box instead of a root and an exponential at
                # every node (the same numbers to a few units in the last place)
                ex, ey, ez = (
                    np.exp(-(((a[sl] - c[k]) / sigma) ** 2)) for k, (a, sl) in enumerate(zip(axes, box, strict=True))
                )
                out[box] += (delta * ex[:, None] * ey[None, :])[:, :, None] * ez[None, None, :]
    return out.ravel()


def _curve_distance(tree: cKDTree, axes: list[np.ndarray], reach: float, block: int = 4) -> np.ndarray:
    """Distance from each node of the grid with ``axes`` to the nearest point of ``tree``, ``reach``
    where that is ``reach`` or more.

    The grid is cut into blocks of ``block`` nodes a side; only the nodes of blocks whose centre
    lies within ``reach`` plus the block's half diagonal of a point are queried (the others are all
    at least ``reach`` away), so the answer is the same as querying every node.

    Examples
    --------
    >>> from scipy.spatial import cKDTree
    >>> t = cKDTree(np.array([[0.0, 0.0, 0.0], [5.0, 1.0, 0.0]]))
    >>> g = [np.arange(-20.0, 21.0, 1.5)] * 3
    >>> full, _ = t.query(np.stack(np.meshgrid(*g, indexing="ij"), -1).reshape(-1, 3), distance_upper_bound=6.0)
    >>> bool(np.array_equal(_curve_distance(t, g, 6.0).ravel(), np.where(np.isfinite(full), full, 6.0)))
    True
    """
    shape = tuple(len(a) for a in axes)
    starts = [np.arange(0, n, block) for n in shape]
    centre, half = [], []
    for a, st in zip(axes, starts, strict=True):
        last = np.minimum(st + block, len(a)) - 1
        centre.append(0.5 * (a[st] + a[last]))
        half.append(0.5 * (a[last] - a[st]))
    cells = np.stack(np.meshgrid(*centre, indexing="ij"), axis=-1).reshape(-1, 3)
    radius = np.sqrt(sum(np.meshgrid(*(h * h for h in half), indexing="ij"))).ravel()
    dc, _ = tree.query(cells, distance_upper_bound=reach + float(radius.max()) + 1.0, workers=-1)
    keep = (dc < reach + radius + 1e-9).reshape(tuple(len(st) for st in starts))
    for k, n in enumerate(shape):  # back to nodes: each block's answer for its nodes
        keep = np.repeat(keep, block, axis=k).take(np.arange(n), axis=k)
    out = np.full(shape, reach)
    idx = np.nonzero(keep)
    pts = np.column_stack([a[i] for a, i in zip(axes, idx, strict=True)])
    near, _ = tree.query(pts, distance_upper_bound=reach, workers=-1)
    out[idx] = np.where(np.isfinite(near), near, reach)
    return out


def _dense_polyline(c: np.ndarray, n: int) -> np.ndarray:
    seg = np.linalg.norm(np.diff(c, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    at = np.linspace(0.0, arc[-1], n)
    return np.column_stack([np.interp(at, arc, c[:, k]) for k in range(3)])


def _smooth_min(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Polynomial smooth minimum of ``a`` and ``b`` over a blend width ``k`` (Quilez), into ``a``.

    ``b + (a - b) * h - k * h * (1 - h)`` with ``h = clip(0.5 + 0.5 * (b - a) / k, 0, 1)``, the same
    operations in the same order, computed in place (``a`` is overwritten and returned; ``b`` is
    not changed): the skin's grid has millions of nodes, and each temporary costs a pass.
    """
    h = np.subtract(b, a)
    h *= 0.5
    h /= k
    h += 0.5
    np.clip(h, 0.0, 1.0, out=h)
    a -= b
    a *= h
    a += b
    w = np.subtract(1.0, h)
    h *= k
    h *= w
    a -= h
    return a


def _trunk(model: Skeleton, spec: SkinSpec, axes: list[np.ndarray]) -> np.ndarray:
    """The lower trunk's filler (an elliptic cylinder narrowing to the waist, rounded below) at
    the nodes of the grid with ``axes``, ``(nx, ny, nz)``.

    Each term depends on one or two coordinates, so it is computed on the axes and broadcast:
    the same operations per node as on a list of points, in one pass over the grid per term.
    """
    t = spec.trunk
    front = max(_landmark(model, t.front.landmark, s)[0] for s in SIDES) + float(t.front.offset)
    back = min(_landmark(model, t.back.landmark, s)[0] for s in SIDES) + float(t.back.offset)
    side = max(abs(_landmark(model, t.side.landmark, s)[2]) for s in SIDES) + float(t.side.offset)
    y0 = max(_landmark(model, t.bottom.landmark, s)[1] for s in SIDES) + float(t.bottom.offset)
    cap = float(t.cap)
    xc, ax = 0.5 * (front + back), 0.5 * (front - back)
    crest = max(_landmark(model, "iliac_crest_top", s)[1] for s in SIDES)
    top, _ = _cut_levels(model, spec)
    gx, gy, gz = axes
    narrow = np.clip((gy - crest) / max(top - crest, 1.0), 0.0, 1.0)
    az = side * (1.0 - (1.0 - float(t.waist)) * narrow)
    below = np.maximum(y0 - gy, 0.0)
    q = ((gx - xc) / ax)[:, None, None] ** 2 + ((gz[None, :] / az[:, None]) ** 2)[None]
    q += ((below / cap) ** 2)[None, :, None]
    np.sqrt(q, out=q)
    q -= 1.0
    q *= min(ax, side, cap)
    return q


def _thigh(model: Skeleton, spec: SkinSpec, axes: list[np.ndarray], side: str) -> np.ndarray:
    """The thigh's filler of ``side`` (a cone round the femoral shaft) at the nodes of the grid with
    ``axes``, ``(nx, ny, nz)``: the distance to the cone's axis segment less its radius there."""
    th = spec.thigh
    c, axis, post, medial, _ = model.shaft_frame(side)
    shift = -post * float(th.anterior) + medial * float(th.medial)
    a = c - axis * float(th.top_below) + shift
    b = c - axis * float(th.bottom_below) + shift
    ra, rb = float(th.radius_top), float(th.radius_bottom)
    ab = b - a
    # the projection on the axis is a sum of one term per coordinate
    px, py, pz = _broadcast(axes)
    t = ((px - a[0]) * ab[0] + (py - a[1]) * ab[1]) + (pz - a[2]) * ab[2]
    t /= ab @ ab
    np.clip(t, 0.0, 1.0, out=t)
    d2 = np.zeros_like(t)
    for k, p in enumerate((px, py, pz)):
        e = t * ab[k]
        e += a[k]
        np.subtract(p, e, out=e)
        e *= e
        d2 += e
    np.sqrt(d2, out=d2)
    t *= rb - ra
    t += ra
    d2 -= t
    return d2


def _broadcast(axes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid's axes shaped to broadcast over ``(nx, ny, nz)``."""
    ax, ay, az = axes
    return ax[:, None, None], ay[None, :, None], az[None, None, :]


def generate_skin(
    model: Skeleton, muscles: Mapping[str, Any], spec: SkinSpec | None = None, *, habitus: str = "average"
) -> Skin:
    """Generate the skin over a skeleton and its muscles at neutral pose (a few seconds).

    Parameters
    ----------
    model : Skeleton
        Bones and landmarks at neutral pose.
    muscles : mapping of str to Muscle
        The muscles at neutral pose.
    spec : SkinSpec, optional
        The checked ``skin.toml`` (see :func:`skin_spec`); the packaged one by default.
    habitus : str
        A body build of ``skin.toml``'s ``[habitus]`` table: its ``fat`` factor scales the
        subcutaneous thickness (``KeyError`` if unknown).

    Returns
    -------
    Skin
    """
    spec = spec or skin_spec()
    fat = spec.fat_factor(habitus)
    top, bottom = _cut_levels(model, spec)
    bodies = [*model.bones.values(), *(m.mesh for m in muscles.values())]
    allv = np.vstack([b.vertices for b in bodies])
    field_, lo, dims = _envelope(model, spec, bodies, allv, top, bottom, fat)
    mesh = _contour(field_, lo, dims, spec.grid.spacing, spec.grid.faces, top, bottom)
    centre = np.array([allv[:, 0].mean(), 0.0, 0.0])
    fc = mesh.face_centers - centre
    fc[:, 1] = 0.0
    if np.einsum("ij,ij->i", mesh.face_normals, fc).mean() < 0:  # orient outward
        mesh = Mesh(mesh.vertices, mesh.faces[:, ::-1].copy())
    return Skin(mesh, top, bottom)


def _envelope(
    model: Skeleton, spec: SkinSpec, bodies: list[Mesh], allv: np.ndarray, top: float, bottom: float, fat: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The skin's implicit field on a grid (negative inside): ``(field, grid origin, grid shape)``.

    Distance to the bones and muscles minus the subcutaneous thickness (times ``fat``), joined
    smoothly with the trunk and thigh fillers (grown by the extra fat), smoothed.
    """
    from scipy import ndimage

    g = spec.grid
    h = float(g.spacing)
    extra = (fat - 1.0) * float(spec.thickness.base)
    pad = 70.0 + max(extra, 0.0)
    lo = np.array([allv[:, 0].min() - pad, bottom - 4 * h, allv[:, 2].min() - pad])
    hi = np.array([allv[:, 0].max() + pad, top + 4 * h, allv[:, 2].max() + pad])
    dims = np.ceil((hi - lo) / h).astype(int) + 1
    inside = occupancy_of(bodies, lo, h, dims)
    out_d, in_d = outside_and_inside_distance(inside)
    out_d *= h
    in_d *= h
    dist = np.where(inside, -in_d, out_d)

    axes = [lo[i] + h * np.arange(dims[i]) for i in range(3)]
    thick = fat * _thickness(model, spec, axes)
    field_ = dist - np.maximum(thick, 2.0, out=thick).reshape(dist.shape)
    k = float(g.blend)
    for filler in (_trunk(model, spec, axes), *(_thigh(model, spec, axes, side) for side in SIDES)):
        filler -= extra
        field_ = _smooth_min(field_, filler, k)
    field_ = ndimage.gaussian_filter(field_, float(g.smoothing))
    return field_, lo, dims


def _contour(
    field_: np.ndarray, lo: np.ndarray, dims: np.ndarray, h: float, budget: int, top: float, bottom: float
) -> Mesh:
    """The zero level set: largest piece, smoothed, decimated to ``budget`` faces, cut at ``top`` and ``bottom``."""
    import pyvista as pv

    img = pv.ImageData(dimensions=tuple(int(d) for d in dims), spacing=(h, h, h), origin=tuple(lo))
    img.point_data["f"] = field_.ravel(order="F")
    surf = img.contour([0.0], scalars="f", method="flying_edges")
    surf = surf.connectivity("largest").extract_surface(algorithm="dataset_surface")
    surf = Mesh.from_pyvista(surf).to_pyvista().clean()  # plain triangles, no stray arrays
    surf = Mesh.from_pyvista(surf.smooth_taubin(n_iter=40, pass_band=0.05)).to_pyvista()
    if surf.n_cells > budget:
        # topology-preserving decimation: quadric decimation can pinch an edge into three faces
        surf = surf.decimate_pro(
            1.0 - budget / surf.n_cells, preserve_topology=True, feature_angle=60.0, splitting=False
        )
        surf = Mesh.from_pyvista(surf).to_pyvista()
    surf = surf.clip(normal=(0.0, 1.0, 0.0), origin=(0.0, top, 0.0), invert=True)
    surf = surf.clip(normal=(0.0, -1.0, 0.0), origin=(0.0, bottom, 0.0), invert=True)
    surf = surf.extract_surface(algorithm="dataset_surface").triangulate().clean()
    mesh = Mesh.from_pyvista(surf)
    # snap the cut to its plane exactly
    v = mesh.vertices.copy()
    v[np.abs(v[:, 1] - top) < 1e-3, 1] = top
    v[np.abs(v[:, 1] - bottom) < 1e-3, 1] = bottom
    return Mesh(v, mesh.faces)


# ============================================================================ pose and files
def fingerprint(model: Skeleton, muscles: Mapping[str, Any], habitus: str = "average") -> str:
    """What the skin depends on: bones, muscle bodies (neutral), ``skin.toml`` and the habitus, hashed.

    Coordinates are rounded to 0.05 mm so platform-level float noise does not count.
    """
    hsh = hashlib.sha256()
    if habitus != "average":  # the average body hashes as before
        hsh.update(f"habitus={habitus}".encode())
    for name in sorted(model.bones):
        hsh.update(np.round(model.bones[name].vertices / 0.05).astype(np.int64).tobytes())
    for name in sorted(muscles):
        hsh.update(np.round(muscles[name].mesh.vertices / 0.05).astype(np.int64).tobytes())
    hsh.update(data_text("skin.toml").encode())
    return hsh.hexdigest()[:16]


def skin_ply_bytes(skin: Skin, print_: str) -> bytes:
    """The skin as binary PLY, with its fingerprint (see :func:`fingerprint`) and cut levels in the header."""
    data = ply_bytes(skin.mesh, f"skin fingerprint={print_} top={skin.top!r} bottom={skin.bottom!r}")
    return data


def read_skin(path: str | Path, expected: str | None = None) -> Skin | None:
    """Read a skin file; ``None`` if its fingerprint is not ``expected`` (when given)."""
    import re

    p = Path(path)
    head = p.read_bytes()[:400].decode("ascii", "replace")
    info = dict(re.findall(r"(fingerprint|top|bottom)=([-+0-9.a-f]+)", head))
    if expected is not None and info.get("fingerprint") != expected:
        return None
    return Skin(read_ply(p), float(info["top"]), float(info["bottom"]))


def bend(skin: Skin, neutral: Skeleton, posed: Skeleton) -> Skin:
    """Bend the neutral skin with the femurs of ``posed`` (linear blend skinning).

    A vertex follows its femur with a weight that rises from 0 a few centimetres
    above the hip centre to 1 at the level of the lesser trochanter, and fades to
    0 toward the midline (the perineum stays with the pelvis).
    """
    v = skin.mesh.vertices
    out = v.copy()
    for side, sign in SIDE_SIGN.items():
        a = neutral.bones[f"femur_{side}"].vertices
        b = posed.bones[f"femur_{side}"].vertices
        pick = np.linspace(0, len(a) - 1, 6).astype(int)
        t = rigid_fit(a[pick], b[pick])
        hc = _landmark(neutral, "hip_center", side)
        lt = _landmark(neutral, "lesser_trochanter", side)
        w = np.clip((hc[1] + 30.0 - v[:, 1]) / (hc[1] + 30.0 - lt[1]), 0.0, 1.0)
        w = smoothstep(w, 0.0, 1.0)
        w *= np.clip((sign * v[:, 2] - 10.0) / 40.0, 0.0, 1.0)
        moved = v @ t[:3, :3].T + t[:3, 3]
        out += w[:, None] * (moved - v)
    return Skin(Mesh(out, skin.mesh.faces), skin.top, skin.bottom)
