"""Distances to meshes and segments: sampled grids, exact mesh distances, VTK implicit distances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glute3d.geometry.mesh import Mesh, merge
from glute3d.geometry.meshing import occupancy_of

__all__ = [
    "DistanceGrid",
    "inside_distance",
    "outside_and_inside_distance",
    "ImplicitDistance",
    "MeshDistance",
    "closest_on_triangles",
    "distance_grid",
    "point_segment_distance",
    "segment_segment_distance",
]


@dataclass(frozen=True)
class DistanceGrid:
    """Signed distance to a closed mesh sampled on a regular grid (negative inside).

    Attributes
    ----------
    origin : numpy.ndarray
        ``(3,)`` position of node ``(0, 0, 0)``.
    spacing : float
        Node spacing, mm.
    values : numpy.ndarray
        ``(nx, ny, nz)`` float32 distances, mm.
    """

    origin: np.ndarray
    spacing: float
    values: np.ndarray

    def __call__(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Trilinear distance and its gradient at ``points`` ``(n, 3)``.

        Points outside the grid get a large distance (``1e3``) and zero gradient.
        """
        nx, ny, nz = self.values.shape
        hi = np.array([nx - 2, ny - 2, nz - 2])
        q = (points - self.origin) * (1.0 / self.spacing)
        i = np.floor(q).astype(np.intp)
        outside = ((i < 0) | (i > hi)).any(axis=1)
        i = np.minimum(np.maximum(i, 0), hi)
        f = np.minimum(np.maximum(q - i, 0.0), 1.0).T
        base = i[:, 0] * (ny * nz) + i[:, 1] * nz + i[:, 2]
        offs = np.array([0, 1, nz, nz + 1, ny * nz, ny * nz + 1, ny * nz + nz, ny * nz + nz + 1])
        c = self.values.ravel()[base[None, :] + offs[:, None]]
        fx, fy, fz = f
        gx_, gy_, gz_ = 1.0 - fx, 1.0 - fy, 1.0 - fz
        c00 = c[0] * gz_ + c[1] * fz
        c01 = c[2] * gz_ + c[3] * fz
        c10 = c[4] * gz_ + c[5] * fz
        c11 = c[6] * gz_ + c[7] * fz
        c0 = c00 * gy_ + c01 * fy
        c1 = c10 * gy_ + c11 * fy
        d = c0 * gx_ + c1 * fx
        ez0 = (c[1] - c[0]) * gy_ + (c[3] - c[2]) * fy
        ez1 = (c[5] - c[4]) * gy_ + (c[7] - c[6]) * fy
        g = np.stack([c1 - c0, (c01 - c00) * gx_ + (c11 - c10) * fx, ez0 * gx_ + ez1 * fx])
        g /= np.maximum(np.sqrt((g * g).sum(axis=0)), 1e-9)
        if outside.any():
            d[outside] = 1e3
            g[:, outside] = 0.0
        return d, g.T

    def mirrored(self) -> DistanceGrid:
        """The grid of the mirror image across the plane ``z = 0`` (the other side's bone).

        The nodes are mirrored with the values, so the mirror image is exact: a mirrored bone's
        grid, without scan-converting it and transforming its distances again.

        Examples
        --------
        >>> g = DistanceGrid(np.array([0.0, 0.0, 2.0]), 1.0, np.arange(8, dtype=np.float32).reshape(2, 2, 2))
        >>> m = g.mirrored()
        >>> p = np.array([[0.5, 0.25, 2.25]])
        >>> m.origin.tolist(), float(m(p * [1.0, 1.0, -1.0])[0][0]), float(g(p)[0][0])
        ([0.0, 0.0, -3.0], 2.75, 2.75)
        """
        top = self.origin[2] + self.spacing * (self.values.shape[2] - 1)
        origin = np.array([self.origin[0], self.origin[1], -top])
        return DistanceGrid(origin, self.spacing, np.ascontiguousarray(self.values[:, :, ::-1]))


def _surface_samples(mesh: Mesh, step: float) -> np.ndarray:
    """Points covering the surface at most about ``step`` apart (triangles split until small)."""
    tri = mesh.triangles
    out = [mesh.vertices]
    while len(tri):
        edge = np.linalg.norm(tri - np.roll(tri, 1, axis=1), axis=2).max(axis=1)
        small = edge <= 2.0 * step
        out.append(tri[small].mean(axis=1))
        big = tri[~small]
        a, b, c = big[:, 0], big[:, 1], big[:, 2]
        ab, bc, ca = 0.5 * (a + b), 0.5 * (b + c), 0.5 * (c + a)
        out.append(np.concatenate([ab, bc, ca]))
        tri = np.concatenate([np.stack(t, axis=1) for t in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))])
    return np.concatenate(out)


def inside_distance(inside: np.ndarray) -> np.ndarray:
    """Euclidean distance (in nodes) from each node inside to the nearest node outside; 0 outside.

    The same as ``ndimage.distance_transform_edt(inside)``, computed only over the bounding box of
    the inside nodes grown by one node: every node outside that box is at least as far from an
    inside node as the box's outer layer, which is all outside, so the answer is exact.

    Examples
    --------
    >>> from scipy import ndimage
    >>> a = np.zeros((9, 9, 9), bool)
    >>> a[2:7, 3:6, 1:8] = True
    >>> bool(np.array_equal(inside_distance(a), ndimage.distance_transform_edt(a)))
    True
    """
    from scipy import ndimage

    out = np.zeros(inside.shape)
    if not inside.any():
        return out
    rows = [np.flatnonzero(inside.any(axis=tuple(j for j in range(3) if j != i))) for i in range(3)]
    lo = [max(int(r[0]) - 1, 0) for r in rows]
    hi = [min(int(r[-1]) + 2, n) for r, n in zip(rows, inside.shape, strict=True)]
    box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    out[box] = ndimage.distance_transform_edt(inside[box])
    return out


def outside_and_inside_distance(inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances (in nodes) to the nearest inside node and to the nearest outside node.

    ``(ndimage.distance_transform_edt(~inside), inside_distance(inside))``, the two transforms run
    at once on two threads: SciPy's feature transform releases the GIL, so on two cores the pair
    takes about as long as the larger one.  The numbers are those of the two calls made in turn.

    Examples
    --------
    >>> from scipy import ndimage
    >>> a = np.zeros((9, 9, 9), bool)
    >>> a[2:7, 3:6, 1:8] = True
    >>> out, inn = outside_and_inside_distance(a)
    >>> bool(np.array_equal(out, ndimage.distance_transform_edt(~a)))
    True
    >>> bool(np.array_equal(inn, inside_distance(a)))
    True
    """
    from concurrent.futures import ThreadPoolExecutor

    from scipy import ndimage

    with ThreadPoolExecutor(max_workers=1) as pool:
        outside = pool.submit(ndimage.distance_transform_edt, ~inside)
        in_d = inside_distance(inside)
        return outside.result(), in_d


def distance_grid(
    mesh: Mesh | Sequence[Mesh],
    *,
    spacing: float = 2.0,
    margin: float = 20.0,
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
) -> DistanceGrid:
    """Sample the signed distance to closed meshes on a grid.

    Inside/outside comes from VTK scan conversion of each mesh (a node is
    inside if it is inside any); distances are exact (nearest surface sample)
    within three nodes of the surface and from a Euclidean distance transform
    farther out.

    Parameters
    ----------
    mesh : Mesh or sequence of Mesh
        Closed, outward-oriented triangle meshes (e.g. the bones of the pelvis).
    spacing : float
        Node spacing, mm.
    margin : float
        Grid extends this far beyond the mesh (or beyond ``lower``/``upper``).
    lower, upper : array_like, optional
        Box to cover instead of the mesh's bounding box (e.g. only the upper femur).
    """
    from scipy.spatial import cKDTree

    parts = [mesh] if isinstance(mesh, Mesh) else list(mesh)
    mesh = merge(parts)
    v = mesh.vertices
    lo = (np.asarray(lower, float) if lower is not None else v.min(0)) - margin
    hi = (np.asarray(upper, float) if upper is not None else v.max(0)) + margin
    dims = np.ceil((hi - lo) / spacing).astype(int) + 1
    inside = occupancy_of(parts, lo, spacing, dims)  # a conversion per closed mesh: touching ones must not cancel out
    out_d, in_d = outside_and_inside_distance(inside)
    out_d = out_d * spacing - 0.5 * spacing
    in_d = in_d * spacing - 0.5 * spacing
    sdf = np.where(inside, -in_d, out_d)
    band = np.abs(sdf) < 3.0 * spacing
    idx = np.argwhere(band)
    if len(idx):
        tree = cKDTree(_surface_samples(mesh, 0.5 * spacing), leafsize=64, balanced_tree=False, compact_nodes=False)
        dist, _ = tree.query(  # exact nearest distances: the tree's layout only changes the speed
            lo + idx * spacing, distance_upper_bound=4.0 * spacing, workers=-1
        )
        dist = np.where(np.isfinite(dist), dist, np.abs(sdf[band]))
        sdf[band] = np.where(inside[band], -dist, dist)
    return DistanceGrid(lo, float(spacing), sdf.astype(np.float32))


def point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points ``p`` to segments ``a``-``b`` (broadcasting over leading axes)."""
    ab = b - a
    t = np.clip(np.einsum("...i,...i->...", p - a, ab) / np.maximum(np.einsum("...i,...i->...", ab, ab), 1e-12), 0, 1)
    return np.linalg.norm(p - (a + t[..., None] * ab), axis=-1)


def segment_segment_distance(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """Shortest distance between segments ``p0``-``p1`` and ``q0``-``q1`` (broadcasting).

    Vectorised form of the clamped closest-points method of Ericson (*Real-Time
    Collision Detection*, 5.1.9); degenerate (zero-length) segments are handled.
    """
    d1 = p1 - p0
    d2 = q1 - q0
    r = p0 - q0
    a = np.einsum("...i,...i->...", d1, d1)
    e = np.einsum("...i,...i->...", d2, d2)
    f = np.einsum("...i,...i->...", d2, r)
    c = np.einsum("...i,...i->...", d1, r)
    b = np.einsum("...i,...i->...", d1, d2)
    eps = 1e-12
    denom = a * e - b * b
    s = np.where(denom > eps, np.clip((b * f - c * e) / np.maximum(denom, eps), 0.0, 1.0), 0.0)
    s = np.where(a > eps, s, 0.0)
    t = np.where(e > eps, (b * s + f) / np.maximum(e, eps), 0.0)
    # t outside [0, 1]: clamp it and recompute s
    s = np.where((t < 0.0) & (a > eps), np.clip(-c / np.maximum(a, eps), 0.0, 1.0), s)
    s = np.where((t > 1.0) & (a > eps), np.clip((b - c) / np.maximum(a, eps), 0.0, 1.0), s)
    t = np.clip(t, 0.0, 1.0)
    # when the second segment is a point, s comes from projecting it on the first
    s = np.where((e <= eps) & (a > eps), np.clip(-c / np.maximum(a, eps), 0.0, 1.0), s)
    cp = p0 + s[..., None] * d1
    cq = q0 + t[..., None] * d2
    return np.linalg.norm(cp - cq, axis=-1)


class ImplicitDistance:
    """Signed distance to a closed mesh, vectorised (negative inside).

    The magnitude is VTK's implicit poly-data distance; the sign comes from a
    ray-parity inside test (``vtkSelectEnclosedPoints``), because the sign VTK
    derives from the nearest face's normal is wrong near the sharp rims of thin
    muscle bodies.
    """

    def __init__(self, mesh: Mesh):
        from vtkmodules.vtkFiltersCore import vtkImplicitPolyDataDistance
        from vtkmodules.vtkFiltersModeling import vtkSelectEnclosedPoints

        poly = mesh.to_vtk()
        self._fn = vtkImplicitPolyDataDistance()
        self._fn.SetInput(poly)
        self._sel = vtkSelectEnclosedPoints()
        self._sel.CheckSurfaceOff()
        self._sel.SetTolerance(1e-7)
        self._sel.Initialize(poly)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
        from vtkmodules.vtkCommonCore import vtkDoubleArray

        shape = np.shape(points)[:-1]
        pts = np.ascontiguousarray(np.asarray(points, float).reshape(-1, 3))
        if not len(pts):
            return np.zeros(shape)
        arr = numpy_to_vtk(pts, deep=True)
        out = vtkDoubleArray()
        self._fn.FunctionValue(arr, out)
        dist = np.abs(vtk_to_numpy(out).astype(float))
        test = self._sel.IsInsideSurface
        inside = np.fromiter((test(x, y, z) for x, y, z in pts.tolist()), bool, len(pts))
        return np.where(inside, -dist, dist).reshape(shape)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Which points lie inside the mesh, ``(n,)`` bool."""
        return self(points) < 0.0


class MeshDistance:
    """Signed distance to a closed triangle mesh, in numpy (negative inside).

    Exact point-triangle distances to the candidate faces near each query (the
    faces of the nearest vertex and of the nearest face centres), signed with
    the angle-weighted pseudo-normal of the closest feature (Baerentzen and
    Aanaes 2005).  Where that says "inside", the sign is
    checked with a ray-parity test (folds near the thin rims of muscle bodies
    can fool the pseudo-normal).  A few microseconds a point.
    """

    def __init__(self, mesh: Mesh, *, candidates: int = 10):
        from scipy.spatial import cKDTree
        from vtkmodules.vtkFiltersModeling import vtkSelectEnclosedPoints

        self._sel = vtkSelectEnclosedPoints()
        self._sel.CheckSurfaceOff()
        self._sel.SetTolerance(1e-7)
        self._sel.Initialize(mesh.to_vtk())
        v, f = mesh.vertices, mesh.faces
        self.v, self.f = v, f
        t = v[f]
        fn = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
        self.fn = fn / np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-12)
        # angle-weighted vertex normals
        vn = np.zeros_like(v)
        for k in range(3):
            e1 = t[:, (k + 1) % 3] - t[:, k]
            e2 = t[:, (k + 2) % 3] - t[:, k]
            ln = np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1)
            cos = np.einsum("ij,ij->i", e1, e2) / np.maximum(ln, 1e-12)
            ang = np.where(ln > 1e-12, np.arccos(np.clip(cos, -1.0, 1.0)), 0.0)
            np.add.at(vn, f[:, k], self.fn * ang[:, None])
        self.vn = vn
        # edge normals: sum of the two adjacent face normals; face edge k joins corners k and k+1
        pairs = np.sort(np.stack([f, np.roll(f, -1, axis=1)], axis=-1).reshape(-1, 2), axis=1)
        uniq, inv = np.unique(pairs, axis=0, return_inverse=True)
        en = np.zeros((len(uniq), 3))
        np.add.at(en, inv.ravel(), np.repeat(self.fn, 3, axis=0))
        self.en = en
        self.face_edge = inv.reshape(-1, 3)
        # vertex -> incident faces (padded)
        order = np.argsort(f.ravel(), kind="stable")
        vid = f.ravel()[order]
        counts = np.bincount(vid, minlength=len(v))
        width = int(counts.max()) if len(counts) else 1
        start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.arange(len(vid)) - start[vid]
        self.vfaces = np.full((len(v), width), -1, np.int64)
        self.vfaces[vid, rank] = order // 3
        self.vtree = cKDTree(v)
        self.ftree = cKDTree(t.mean(axis=1))
        self.k = candidates
        self.lo, self.hi = v.min(0), v.max(0)

    def __call__(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Signed distance ``(n,)`` and unit gradient ``(n, 3)`` at ``points`` ``(n, 3)``."""
        p = np.asarray(points, float).reshape(-1, 3)
        _, iv = self.vtree.query(p)
        _, jf = self.ftree.query(p, k=min(self.k, len(self.f)))
        cand = np.concatenate([self.vfaces[iv], np.atleast_2d(jf).reshape(len(p), -1)], axis=1)
        cand = np.where(cand < 0, cand[:, :1], cand)
        a, b, c = (self.v[self.f[cand, k]] for k in range(3))
        q, region = closest_on_triangles(p[:, None, :], a, b, c)
        d2 = np.einsum("ijk,ijk->ij", p[:, None, :] - q, p[:, None, :] - q)
        best = np.argmin(d2, axis=1)
        rows = np.arange(len(p))
        face = cand[rows, best]
        reg = region[rows, best]
        qb = q[rows, best]
        # pseudo-normal of the closest feature: 0 face, 1..3 vertex a, b, c, 4..6 edge ab, bc, ca
        corner = self.f[face]
        normal = self.fn[face].copy()
        for k in range(3):
            m = reg == 1 + k
            normal[m] = self.vn[corner[m, k]]
            m = reg == 4 + k
            normal[m] = self.en[self.face_edge[face[m], k]]
        diff = p - qb
        dist = np.sqrt(d2[rows, best])
        sign = np.where(np.einsum("ij,ij->i", diff, normal) < 0.0, -1.0, 1.0)
        check = np.flatnonzero(sign < 0)
        if len(check):
            test = self._sel.IsInsideSurface
            inside = np.fromiter((test(x, y, z) for x, y, z in p[check].tolist()), bool, len(check))
            sign[check] = np.where(inside, -1.0, 1.0)
        g = np.where(dist[:, None] > 1e-6, diff / np.maximum(dist, 1e-12)[:, None] * sign[:, None], normal)
        g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
        return sign * dist, g


def closest_on_triangles(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closest points on triangles (Ericson 5.1.5, vectorised) and the feature hit.

    Returns the points and a region code: 0 interior, 1..3 vertex a, b, c,
    4 edge ab, 5 edge bc, 6 edge ca.
    """
    ab, ac, ap = b - a, c - a, p - a
    d1 = np.einsum("...i,...i->...", ab, ap)
    d2 = np.einsum("...i,...i->...", ac, ap)
    bp = p - b
    d3 = np.einsum("...i,...i->...", ab, bp)
    d4 = np.einsum("...i,...i->...", ac, bp)
    cp = p - c
    d5 = np.einsum("...i,...i->...", ab, cp)
    d6 = np.einsum("...i,...i->...", ac, cp)
    vc = d1 * d4 - d3 * d2
    vb = d5 * d2 - d1 * d6
    va = d3 * d6 - d5 * d4
    tiny = 1e-30
    in_a = (d1 <= 0) & (d2 <= 0)
    in_b = (d3 >= 0) & (d4 <= d3)
    in_ab = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    in_c = (d6 >= 0) & (d5 <= d6)
    in_ac = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    in_bc = (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0)
    denom = va + vb + vc
    v = np.where(np.abs(denom) > tiny, vb / np.where(np.abs(denom) > tiny, denom, 1.0), 1.0 / 3.0)
    w = np.where(np.abs(denom) > tiny, vc / np.where(np.abs(denom) > tiny, denom, 1.0), 1.0 / 3.0)
    q = a + ab * v[..., None] + ac * w[..., None]
    region = np.zeros(d1.shape, np.int8)
    t_bc = (d4 - d3) / np.maximum((d4 - d3) + (d5 - d6), tiny)
    t_ac = d2 / np.where(np.abs(d2 - d6) > tiny, d2 - d6, tiny)
    t_ab = d1 / np.where(np.abs(d1 - d3) > tiny, d1 - d3, tiny)
    # apply in reverse priority so that the first matching test of Ericson's order wins
    for mask, point, code in (
        (in_bc, b + (c - b) * t_bc[..., None], 5),
        (in_ac, a + ac * t_ac[..., None], 6),
        (in_c, c, 3),
        (in_ab, a + ab * t_ab[..., None], 4),
        (in_b, b, 2),
        (in_a, a, 1),
    ):
        q = np.where(mask[..., None], point, q)
        region = np.where(mask, np.int8(code), region)
    return q, region
