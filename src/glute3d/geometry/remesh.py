"""Even triangles on a closed surface, and cuts along level sets of a vertex field.

:func:`remesh_evenly` turns a decimated mesh (whose triangles range from needles to
fans) into one of well-shaped triangles of a target edge length: long edges are split,
edges are flipped toward a Delaunay triangulation, and vertices are relaxed in their
tangent planes and projected back onto a reference surface, a few times.
:func:`cut_along` splits the triangles that a level set ``phi = 0`` crosses, so that a
region defined by ``phi > 0`` is bounded by a polyline on the level set instead of by
whole triangles (a staircase).  Both keep a closed 2-manifold closed, consistently wound.
Everything is vectorised; all steps are deterministic.

Examples
--------
>>> import numpy as np
>>> tetra = Mesh(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1.0]]),
...              np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]))
>>> cut, phi = cut_along(tetra, (tetra.vertices[:, 0] - 0.5)[:, None])
>>> cut.n_faces > tetra.n_faces, bool(np.isclose(cut.volume, tetra.volume))
(True, True)
>>> bool(((phi[cut.faces, 0] >= -1e-12).all(axis=1) | (phi[cut.faces, 0] <= 1e-12).all(axis=1)).all())
True
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from glute3d.geometry.mesh import Mesh

#: Edges between faces whose normals differ by more than 35 degrees (a crease) never flip.
_CREASE = float(np.cos(np.radians(35.0)))

__all__ = ["EdgeTable", "cut_along", "edge_table", "remesh_evenly", "split_edges", "triangle_quality"]


class EdgeTable(NamedTuple):
    """The edges of a closed mesh.

    ``edges`` ``(ne, 2)`` sorted vertex pairs; ``face_edges`` ``(m, 3)``: edge ``k`` of a
    face runs from its corner ``k`` to corner ``k + 1``; ``edge_faces`` ``(ne, 2)``: the
    two faces of each edge, the first one holding it as ``edges[e, 0] -> edges[e, 1]``
    (``-1`` where an edge has fewer faces).
    """

    edges: np.ndarray
    face_edges: np.ndarray
    edge_faces: np.ndarray


def edge_table(faces: np.ndarray) -> EdgeTable:
    """Unique edges, the edges of each face and the faces of each edge."""
    f = np.asarray(faces)
    start = f.ravel()
    end = np.roll(f, -1, axis=1).ravel()
    n = int(f.max()) + 1 if f.size else 1
    key = np.minimum(start, end).astype(np.int64) * n + np.maximum(start, end)
    ukey, inverse = np.unique(key, return_inverse=True)
    edges = np.column_stack([ukey // n, ukey % n])
    face_of = np.repeat(np.arange(len(f)), 3)
    forward = start < end
    edge_faces = np.full((len(edges), 2), -1, dtype=np.int64)
    edge_faces[inverse[forward], 0] = face_of[forward]
    edge_faces[inverse[~forward], 1] = face_of[~forward]
    return EdgeTable(edges, inverse.reshape(-1, 3), edge_faces)


def triangle_quality(mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    """Aspect ratio and smallest angle (degrees) of each face.

    The aspect ratio is the longest edge over ``2 * sqrt(3)`` times the inradius: 1 for an
    equilateral triangle, large for needles and flat caps.
    """
    t = mesh.triangles
    la = np.linalg.norm(t[:, 1] - t[:, 2], axis=1)
    lb = np.linalg.norm(t[:, 2] - t[:, 0], axis=1)
    lc = np.linalg.norm(t[:, 0] - t[:, 1], axis=1)
    area = mesh.face_areas
    inradius = area / np.maximum(0.5 * (la + lb + lc), 1e-300)
    aspect = np.maximum(np.maximum(la, lb), lc) / np.maximum(2 * np.sqrt(3) * inradius, 1e-300)

    def angle(opp, s1, s2):
        return np.degrees(np.arccos(np.clip((s1**2 + s2**2 - opp**2) / np.maximum(2 * s1 * s2, 1e-300), -1, 1)))

    smallest = np.minimum(np.minimum(angle(la, lb, lc), angle(lb, lc, la)), angle(lc, la, lb))
    return aspect, smallest


# ================================================================================== splits
def split_edges(faces: np.ndarray, table: EdgeTable, new_vertex: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Faces after splitting the edges whose ``new_vertex`` is not ``-1`` at that vertex.

    ``points`` (all vertices, the new ones included) choose the shorter diagonal where a
    face with two split edges leaves a quadrilateral.  Winding is kept.
    """
    f = np.asarray(faces)
    nv = new_vertex[table.face_edges]  # (m, 3): vertex on edge k (corner k -> k + 1) or -1
    split = nv >= 0
    count = split.sum(axis=1)
    out = [f[count == 0]]
    rows = np.arange(3)
    # one split edge: rotate it to edge 0 -> (a, m, c), (m, b, c)
    sel = np.flatnonzero(count == 1)
    if len(sel):
        r = np.argmax(split[sel], axis=1)
        idx = (r[:, None] + rows) % 3
        c = np.take_along_axis(f[sel], idx, axis=1)
        m = nv[sel, r]
        out += [np.column_stack([c[:, 0], m, c[:, 2]]), np.column_stack([m, c[:, 1], c[:, 2]])]
    # two split edges: rotate the unsplit one to edge 2 (c -> a); m1 on a-b, m2 on b-c
    sel = np.flatnonzero(count == 2)
    if len(sel):
        r = (np.argmin(split[sel], axis=1) + 1) % 3
        idx = (r[:, None] + rows) % 3
        c = np.take_along_axis(f[sel], idx, axis=1)
        mm = np.take_along_axis(nv[sel], idx, axis=1)
        a, b, cc, m1, m2 = c[:, 0], c[:, 1], c[:, 2], mm[:, 0], mm[:, 1]
        short = np.linalg.norm(points[a] - points[m2], axis=1) <= np.linalg.norm(points[m1] - points[cc], axis=1)
        out.append(np.column_stack([m1, b, m2]))
        out.append(np.where(short[:, None], np.column_stack([a, m1, m2]), np.column_stack([a, m1, cc])))
        out.append(np.where(short[:, None], np.column_stack([a, m2, cc]), np.column_stack([m1, m2, cc])))
    sel = np.flatnonzero(count == 3)
    if len(sel):
        c, mm = f[sel], nv[sel]
        out += [
            np.column_stack([c[:, 0], mm[:, 0], mm[:, 2]]),
            np.column_stack([mm[:, 0], c[:, 1], mm[:, 1]]),
            np.column_stack([mm[:, 1], c[:, 2], mm[:, 2]]),
            np.column_stack([mm[:, 0], mm[:, 1], mm[:, 2]]),
        ]
    return np.vstack(out)


def _split_long(v: np.ndarray, f: np.ndarray, longest: float, project) -> tuple[np.ndarray, np.ndarray]:
    """Split every edge longer than ``longest`` at its midpoint (projected onto the reference)."""
    table = edge_table(f)
    e = table.edges
    length = np.linalg.norm(v[e[:, 0]] - v[e[:, 1]], axis=1)
    long = length > longest
    if not long.any():
        return v, f
    mid = project(0.5 * (v[e[long, 0]] + v[e[long, 1]]))
    new_vertex = np.full(len(e), -1, dtype=np.int64)
    new_vertex[long] = len(v) + np.arange(long.sum())
    v = np.vstack([v, mid])
    return v, split_edges(f, table, new_vertex, v)


# =================================================================================== flips
def _opposite(f: np.ndarray, face: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The corner of ``face`` that is neither ``a`` nor ``b``."""
    c = f[face]
    second = np.where((c[:, 1] != a) & (c[:, 1] != b), c[:, 1], c[:, 2])
    return np.where((c[:, 0] != a) & (c[:, 0] != b), c[:, 0], second)


def _angle_at(v: np.ndarray, apex: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    u, w = v[p] - v[apex], v[q] - v[apex]
    cos = np.einsum("ij,ij->i", u, w) / np.maximum(np.linalg.norm(u, axis=1) * np.linalg.norm(w, axis=1), 1e-300)
    return np.arccos(np.clip(cos, -1.0, 1.0))


def _flip_once(v: np.ndarray, f: np.ndarray, crease_cos: float, labels: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Flip a set of non-Delaunay edges that share no face; returns the faces and how many flipped.

    With ``labels`` ``(m, k)``, only edges between two faces of equal labels flip (the pair's
    quadrilateral keeps its labels, so the borders between labels stay where they are).
    """
    table = edge_table(f)
    e, ef = table.edges, table.edge_faces
    ok = (ef >= 0).all(axis=1)
    a, b = e[:, 0], e[:, 1]
    f1, f2 = ef[:, 0], ef[:, 1]
    o1 = _opposite(f, np.where(ok, f1, 0), a, b)
    o2 = _opposite(f, np.where(ok, f2, 0), a, b)
    excess = _angle_at(v, o1, a, b) + _angle_at(v, o2, a, b) - np.pi
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-300)
    flat = np.einsum("ij,ij->i", fn[np.where(ok, f1, 0)], fn[np.where(ok, f2, 0)]) > crease_cos
    valence = np.bincount(e.ravel(), minlength=len(v))
    cand = ok & (excess > 1e-3) & flat & (valence[a] > 3) & (valence[b] > 3) & (o1 != o2)
    if labels is not None:
        cand &= (labels[np.where(ok, f1, 0)] == labels[np.where(ok, f2, 0)]).all(axis=1)
    # the new edge must not exist already
    n = int(f.max()) + 1  # the key edge_table sorts by
    known = e[:, 0] * n + e[:, 1]
    new = np.minimum(o1, o2) * n + np.maximum(o1, o2)
    at = np.clip(np.searchsorted(known, new), 0, len(known) - 1)
    cand &= known[at] != new
    # the two new triangles must face the way the old pair did
    n_old = fn[np.where(ok, f1, 0)] + fn[np.where(ok, f2, 0)]
    t1 = np.cross(v[o2] - v[a], v[o1] - v[a])
    t2 = np.cross(v[b] - v[o2], v[o1] - v[o2])
    cand &= (np.einsum("ij,ij->i", t1, n_old) > 0) & (np.einsum("ij,ij->i", t2, n_old) > 0)
    sel = np.flatnonzero(cand)
    if not len(sel):
        return f, 0
    prio = excess[sel] + 1e-9 * np.arange(len(sel)) / len(sel)
    best = np.full(len(f), -np.inf)
    np.maximum.at(best, f1[sel], prio)
    np.maximum.at(best, f2[sel], prio)
    win = sel[(best[f1[sel]] == prio) & (best[f2[sel]] == prio)]
    # f1 holds a -> b with o1: (a, b, o1); f2 holds b -> a with o2.  New: (a, o2, o1), (o2, b, o1)
    f = f.copy()
    f[f1[win]] = np.column_stack([a[win], o2[win], o1[win]])
    f[f2[win]] = np.column_stack([o2[win], b[win], o1[win]])
    return f, len(win)


def _flip(v: np.ndarray, f: np.ndarray, crease_cos: float, labels: np.ndarray | None = None, rounds: int = 20):
    for _ in range(rounds):
        f, n = _flip_once(v, f, crease_cos, labels)
        if n == 0:
            break
    return f


def _relax(v: np.ndarray, f: np.ndarray, project, weight: float = 0.5) -> np.ndarray:
    """Move each vertex toward the mean of its neighbours within its tangent plane, then onto the reference."""
    e = edge_table(f).edges
    n = len(v)
    total = np.zeros_like(v)
    np.add.at(total, e[:, 0], v[e[:, 1]])
    np.add.at(total, e[:, 1], v[e[:, 0]])
    count = np.bincount(e.ravel(), minlength=n)[:, None]
    d = total / np.maximum(count, 1) - v
    normals = Mesh(v, f).vertex_normals
    d -= np.einsum("ij,ij->i", d, normals)[:, None] * normals
    return project(v + weight * d)


def remesh_evenly(mesh: Mesh, reference: Mesh, edge_length: float, *, iterations: int = 6) -> Mesh:
    """Well-shaped triangles of about ``edge_length`` on the surface of ``reference``.

    Parameters
    ----------
    mesh : Mesh
        A closed mesh close to ``reference`` (e.g. a decimation of it): the starting triangulation.
    reference : Mesh
        The surface the vertices are projected onto (e.g. the undecimated contour).
    edge_length : float
        Target edge length, mm; longer edges (by a third) are split.
    iterations : int
        Rounds of split, flip and relax.
    """
    poly = reference.to_pyvista()

    def project(points: np.ndarray) -> np.ndarray:
        _, closest = poly.find_closest_cell(np.asarray(points, float), return_closest_point=True)
        return np.atleast_2d(np.asarray(closest, float))

    v, f = mesh.vertices.astype(float), np.asarray(mesh.faces, dtype=np.int64)
    crease = _CREASE
    for _ in range(iterations):
        v, f = _split_long(v, f, edge_length * 4.0 / 3.0, project)
        f = _flip(v, f, crease)
        v = _relax(v, f, project)
    f = _flip(v, f, crease)
    return Mesh(v, f)


# ===================================================================================== cuts
def _normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)


def cut_along(mesh: Mesh, phi: np.ndarray, *, snap: float = 0.3) -> tuple[Mesh, np.ndarray]:
    """Split the triangles that the zero level sets of the columns of ``phi`` cross.

    Parameters
    ----------
    mesh : Mesh
        A closed mesh.
    phi : numpy.ndarray
        ``(n_vertices, k)`` fields, linear on each triangle; each column is cut in turn.
    snap : float
        A vertex closer to a crossing on one of its edges than this fraction of the edge
        moves onto the crossing instead (no sliver triangles along the cut); the edges
        that do not lie on a cut are then flipped toward a Delaunay triangulation.

    Returns
    -------
    tuple of (Mesh, numpy.ndarray)
        The cut mesh and ``phi`` at its vertices (exactly 0 on the cuts): every triangle
        then lies wholly on one side of every level set.
    """
    v = mesh.vertices.astype(float)
    f = np.asarray(mesh.faces, dtype=np.int64)
    phi = np.array(phi, dtype=float).reshape(len(v), -1)
    for k in range(phi.shape[1]):
        v, f, phi = _cut_one(v, f, phi, k, snap)
    f = _flip(v, f, _CREASE, labels=phi[f].sum(axis=1) > 0)
    return Mesh(v, f), phi


def _crossings(v: np.ndarray, f: np.ndarray, phi: np.ndarray, k: int):
    table = edge_table(f)
    e = table.edges
    pa, pb = phi[e[:, 0], k], phi[e[:, 1], k]
    cross = ((pa > 0) & (pb < 0)) | ((pa < 0) & (pb > 0))
    t = np.where(cross, pa / np.where(cross, pa - pb, 1.0), 0.0)
    return table, e, cross, t


def _cut_one(v: np.ndarray, f: np.ndarray, phi: np.ndarray, k: int, snap: float):
    table, e, cross, t = _crossings(v, f, phi, k)
    # snap vertices next to a crossing onto it (nearest crossing first; each vertex once)
    frac = np.concatenate([t[cross], 1.0 - t[cross]])
    who = np.concatenate([e[cross, 0], e[cross, 1]])
    edge_id = np.concatenate([np.flatnonzero(cross)] * 2)
    near = frac < snap
    if near.any():
        order = np.lexsort((frac[near], who[near]))
        w, fr, eid = who[near][order], frac[near][order], edge_id[near][order]
        first = np.r_[True, w[1:] != w[:-1]]
        w, fr, eid = w[first], fr[first], eid[first]
        # a vertex on an earlier cut stays where it is (its faces stay on one side of that
        # cut): the level set bends through it instead; any other moves onto the crossing
        stay = (phi[w, :k] == 0.0).any(axis=1)
        phi[w[stay], k] = 0.0
        w, fr, eid = w[~stay], fr[~stay], eid[~stay]
        other = np.where(e[eid, 0] == w, e[eid, 1], e[eid, 0])
        # targets use the old values (a vertex may also be the far end of another snap)
        v0, phi0 = v.copy(), phi.copy()
        before = _normals(v0, f)
        v[w] = (1 - fr)[:, None] * v0[w] + fr[:, None] * v0[other]
        phi[w] = (1 - fr)[:, None] * phi0[w] + fr[:, None] * phi0[other]
        # a move that would fold a triangle over is undone: that vertex stays, the level set bends
        folded = np.einsum("ij,ij->i", _normals(v, f), before) < 0.5
        back = np.zeros(len(v), bool)
        back[f[folded].ravel()] = True
        back[np.setdiff1d(np.arange(len(v)), w)] = False
        v[back], phi[back] = v0[back], phi0[back]
        phi[w, k] = 0.0
        table, e, cross, t = _crossings(v, f, phi, k)
    n_new = int(cross.sum())
    new_vertex = np.full(len(e), -1, dtype=np.int64)
    new_vertex[cross] = len(v) + np.arange(n_new)
    a, b, tc = e[cross, 0], e[cross, 1], t[cross][:, None]
    v = np.vstack([v, (1 - tc) * v[a] + tc * v[b]])
    phi = np.vstack([phi, (1 - tc) * phi[a] + tc * phi[b]])
    phi[len(phi) - n_new :, k] = 0.0
    # a face with one zero corner and the others on both sides: split through that corner only
    f = split_edges(f, table, new_vertex, v)
    return v, f, phi
