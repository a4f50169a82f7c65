"""Lines on a surface for overlays: iso-lines of per-vertex values, nearest vertices, polylines middle first.

Examples
--------
>>> from glute3d.geometry.mesh import Mesh
>>> square = Mesh(np.array([[0.0, 0, 0], [20, 0, 0], [20, 20, 0], [0, 20, 0]]), np.array([[0, 1, 2], [0, 2, 3]]))
>>> line = iso_lines(square, square.vertices[:, 0], 10.0)[0]
>>> np.allclose(line[:, 0], 10.0), round(float(np.ptp(line[:, 1])), 6)
(True, 20.0)
>>> nearest_vertices(square, np.array([[19.0, 1.0, 0.0]])).tolist()
[1]
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

__all__ = ["MIN_ISO_LINE_MM", "iso_lines", "middle_first", "nearest_vertices"]

#: Iso-line pieces shorter than this (mm) are left out.
MIN_ISO_LINE_MM = 10.0


def middle_first(curve: np.ndarray) -> np.ndarray:
    """The points of a polyline ordered from its middle outwards.

    Examples
    --------
    >>> middle_first(np.arange(5.0)[:, None]).ravel().tolist()
    [2.0, 1.0, 3.0, 0.0, 4.0]
    """
    c = np.asarray(curve, float)
    return c[np.argsort(np.abs(np.arange(len(c)) - (len(c) - 1) / 2.0), kind="stable")]


def _crossings(
    v: np.ndarray, f: np.ndarray, s: np.ndarray, normals: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Where the zero level of ``s`` crosses the triangles: one segment per crossed triangle.

    Returns the edge keys ``(m, 2)`` (``lo * n_vertices + hi`` of the two crossed edges, in
    the triangle's edge order), the crossing points ``(m, 2, 3)`` and, with ``normals``, the
    unit normals interpolated there ``(m, 2, 3)``.
    """
    f = f[np.isfinite(s)[f].all(axis=1)]
    cnt = (s[f] > 0).sum(axis=1)
    f = f[(cnt == 1) | (cnt == 2)]  # exactly two of the three edges cross
    i, j = f, f[:, [1, 2, 0]]
    crossed = (s[i] > 0) != (s[j] > 0)
    i, j = i[crossed], j[crossed]  # row by row, in edge order
    t = (s[i] / (s[i] - s[j]))[:, None]
    points = v[i] + t * (v[j] - v[i])
    keys = np.minimum(i, j) * len(v) + np.maximum(i, j)
    nrm = None
    if normals is not None:
        n = normals[i] + t * (normals[j] - normals[i])
        nrm = (n / np.maximum(np.linalg.norm(n, axis=1), 1e-12)[:, None]).reshape(-1, 2, 3)
    return keys.reshape(-1, 2), points.reshape(-1, 2, 3), nrm


def _chains(keys: np.ndarray) -> list[list[int]]:
    """Join segments sharing an edge into chains of edge keys (each segment used once).

    A walk along a graph, one step at a time: not vectorisable, but linear in the segments.
    """
    by_edge: dict[int, list[int]] = defaultdict(list)
    for n, (a, b) in enumerate(keys.tolist()):
        by_edge[a].append(n)
        by_edge[b].append(n)
    pairs = keys.tolist()
    used = np.zeros(len(pairs), bool)
    chains = []
    for start in range(len(pairs)):
        if used[start]:
            continue
        used[start] = True
        chain = list(pairs[start])
        for forward in (True, False):
            while True:
                end = chain[-1] if forward else chain[0]
                nxt = [n for n in by_edge[end] if not used[n]]
                if not nxt:
                    break
                used[nxt[0]] = True
                a, b = pairs[nxt[0]]
                other = b if a == end else a
                if forward:
                    chain.append(other)
                else:
                    chain.insert(0, other)
        chains.append(chain)
    return chains


def iso_lines(mesh: Any, values: np.ndarray, level: float, normals: np.ndarray | None = None) -> list:
    """Polylines where the per-vertex ``values`` cross ``level`` on a triangle mesh (marching triangles).

    Parameters
    ----------
    mesh : Mesh
        The surface.
    values : (n_vertices,) array
        A value per vertex; triangles with a non-finite value are skipped.
    level : float
        The level drawn.
    normals : (n_vertices, 3) array, optional
        Vertex normals, interpolated along the lines like the points.

    Returns
    -------
    list
        The pieces as ``(n, 3)`` arrays, longest first, pieces shorter than `MIN_ISO_LINE_MM`
        left out; with ``normals``, ``(points, normals)`` pairs.
    """
    v = np.asarray(mesh.vertices, float)
    s = np.asarray(values, float) - level
    keys, points, nrm = _crossings(v, np.asarray(mesh.faces, np.int64), s, normals)
    if not len(keys):
        return []
    point_of = dict(zip(keys.ravel().tolist(), points.reshape(-1, 3)))  # a shared edge: the last segment's
    normal_of = dict(zip(keys.ravel().tolist(), nrm.reshape(-1, 3))) if nrm is not None else {}
    lines = []
    for chain in _chains(keys):
        pts = np.array([point_of[k] for k in chain])
        if len(pts) > 2 and np.linalg.norm(np.diff(pts, axis=0), axis=1).sum() >= MIN_ISO_LINE_MM:
            lines.append(pts if normals is None else (pts, np.array([normal_of[k] for k in chain])))
    lines.sort(key=lambda p: -len(p if normals is None else p[0]))
    return lines


def nearest_vertices(mesh: Any, points: np.ndarray, chunk: int = 48) -> np.ndarray:
    """Index of the vertex of ``mesh`` nearest each point.

    Brute force in chunks (``|p|^2 - 2 p.v + |v|^2`` as one matrix product over the vertices
    in a box around the chunk, grown until it holds some; no k-d tree to build).
    """
    v = np.asarray(mesh.vertices, np.float64)
    pts = np.atleast_2d(np.asarray(points, np.float64))
    out = np.empty(len(pts), np.int64)
    for lo in range(0, len(pts), chunk):
        p = pts[lo : lo + chunk]
        for margin in (8.0, 32.0, np.inf):
            sel = np.flatnonzero(np.all((v >= p.min(axis=0) - margin) & (v <= p.max(axis=0) + margin), axis=1))
            if len(sel):
                break
        w = v[sel]
        d2 = (w * w).sum(axis=1)[None, :] - 2.0 * (p @ w.T)
        idx = sel[np.argmin(d2, axis=1)]
        if np.isfinite(margin):  # a point whose nearest vertex may lie outside the box: check all
            far = np.sqrt(np.maximum(((v[idx] - p) ** 2).sum(axis=1), 0.0)) > margin
            if far.any():
                q = p[far]
                d2 = (v * v).sum(axis=1)[None, :] - 2.0 * (q @ v.T)
                idx[far] = np.argmin(d2, axis=1)
        out[lo : lo + chunk] = idx
    return out
