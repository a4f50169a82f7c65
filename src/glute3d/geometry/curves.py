"""Curves: smoothstep, Catmull-Rom interpolation, resampling and tubes swept along centrelines."""

from __future__ import annotations

import numpy as np

from glute3d.geometry.mesh import Mesh

__all__ = ["catmull_rom", "catmull_rom_basis", "resample", "smoothstep", "tube"]


def catmull_rom_basis(knots: np.ndarray, n: int) -> np.ndarray:
    """``(n, k)`` matrix mapping ``k`` control points to ``n`` samples of a Catmull-Rom curve."""
    k = len(knots)
    t = knots
    m = np.zeros((k, k))  # tangent of each control point as a combination of control points
    m[0, 0], m[0, 1] = -1 / (t[1] - t[0]), 1 / (t[1] - t[0])
    m[-1, -2], m[-1, -1] = -1 / (t[-1] - t[-2]), 1 / (t[-1] - t[-2])
    for i in range(1, k - 1):
        m[i, i - 1], m[i, i + 1] = -1 / (t[i + 1] - t[i - 1]), 1 / (t[i + 1] - t[i - 1])
    u = np.linspace(t[0], t[-1], n)
    seg = np.clip(np.searchsorted(t, u, side="right") - 1, 0, k - 2)
    h = t[seg + 1] - t[seg]
    x = (u - t[seg]) / h
    h00, h10 = 2 * x**3 - 3 * x**2 + 1, x**3 - 2 * x**2 + x
    h01, h11 = -2 * x**3 + 3 * x**2, x**3 - x**2
    b = np.zeros((n, k))
    rows = np.arange(n)
    b[rows, seg] += h00
    b[rows, seg + 1] += h01
    b += (h10 * h)[:, None] * m[seg] + (h11 * h)[:, None] * m[seg + 1]
    return b


def smoothstep(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """0 below ``a``, 1 above ``b``, smooth (C1) in between."""
    t = np.clip((np.asarray(x, float) - a) / max(b - a, 1e-9), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def catmull_rom(points: np.ndarray, step: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Centripetal Catmull-Rom curve through ``points``; also the sample index of each point."""
    p = np.asarray(points, float)
    if len(p) == 2:
        p = np.vstack([p[0], p.mean(0), p[1]])
        through = np.array([0, 2])
    else:
        through = np.arange(len(p))
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out, index = [p[:1]], [0]
    for i in range(len(p) - 1):
        q0, q1, q2, q3 = ext[i], ext[i + 1], ext[i + 2], ext[i + 3]
        t0 = 0.0
        t1 = t0 + max(float(np.linalg.norm(q1 - q0)), 1e-6) ** 0.5
        t2 = t1 + max(float(np.linalg.norm(q2 - q1)), 1e-6) ** 0.5
        t3 = t2 + max(float(np.linalg.norm(q3 - q2)), 1e-6) ** 0.5
        n = max(2, int(np.ceil(np.linalg.norm(q2 - q1) / step)))
        t = np.linspace(t1, t2, n + 1)[1:, None]
        a1 = (t1 - t) / (t1 - t0) * q0 + (t - t0) / (t1 - t0) * q1
        a2 = (t2 - t) / (t2 - t1) * q1 + (t - t1) / (t2 - t1) * q2
        a3 = (t3 - t) / (t3 - t2) * q2 + (t - t2) / (t3 - t2) * q3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        c = (t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2
        out.append(c)
        index.append(index[-1] + n)
    idx = np.asarray(index)[through] if len(points) == 2 else np.asarray(index)
    return np.vstack(out), idx


def tube(centreline: np.ndarray, radius: float, *, sides: int | None = None) -> Mesh:
    """Sweep a circle along a centreline into a closed tube with flat end caps.

    Parameters
    ----------
    centreline : numpy.ndarray
        ``(n, 3)`` points, ``n >= 2``.
    radius : float
        Tube radius, mm.
    sides : int, optional
        Vertices per ring; default grows with the radius (10 to 24).

    Returns
    -------
    Mesh
        Closed and outward-oriented (rotation-minimising frames, so no twist).
    """
    c = np.asarray(centreline, float)
    keep = np.concatenate([[True], np.linalg.norm(np.diff(c, axis=0), axis=1) > 1e-6])
    c = c[keep]
    n = len(c)
    k = sides or int(np.clip(round(6 + 2.2 * radius), 10, 24))
    tang = np.gradient(c, axis=0)
    tang /= np.maximum(np.linalg.norm(tang, axis=1, keepdims=True), 1e-12)
    # rotation-minimising frames by the double-reflection method (Wang et al. 2008)
    ref = np.array([0.0, 0.0, 1.0]) if abs(tang[0, 2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.zeros((n, 3))
    u[0] = np.cross(tang[0], ref)
    u[0] /= np.linalg.norm(u[0])
    for i in range(n - 1):
        v1 = c[i + 1] - c[i]
        c1 = v1 @ v1
        r_l = u[i] - (2.0 / c1) * (v1 @ u[i]) * v1
        t_l = tang[i] - (2.0 / c1) * (v1 @ tang[i]) * v1
        v2 = tang[i + 1] - t_l
        c2 = v2 @ v2
        u[i + 1] = r_l - (2.0 / c2) * (v2 @ r_l) * v2 if c2 > 1e-12 else r_l
    w = np.cross(tang, u)
    ang = np.linspace(0.0, 2.0 * np.pi, k, endpoint=False)
    ring = np.cos(ang)[None, :, None] * u[:, None, :] + np.sin(ang)[None, :, None] * w[:, None, :]
    verts = (c[:, None, :] + radius * ring).reshape(-1, 3)
    verts = np.vstack([verts, c[0], c[-1]])
    idx = np.arange(n * k).reshape(n, k)
    a, b = idx[:-1], np.roll(idx[:-1], -1, axis=1)
    a2, b2 = idx[1:], np.roll(idx[1:], -1, axis=1)
    side = np.concatenate([np.stack([a, b, b2], -1).reshape(-1, 3), np.stack([a, b2, a2], -1).reshape(-1, 3)])
    s0, s1 = n * k, n * k + 1
    cap0 = np.stack([np.full(k, s0), np.roll(idx[0], -1), idx[0]], -1)
    cap1 = np.stack([np.full(k, s1), idx[-1], np.roll(idx[-1], -1)], -1)
    faces = np.concatenate([side, cap0, cap1]).astype(np.int64)
    t = verts[faces]
    vol = np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum()
    return Mesh(verts, faces if vol > 0 else faces[:, ::-1].copy())


def resample(pts: np.ndarray, step: float) -> np.ndarray:
    """The polyline resampled at equal arc-length steps (about ``step`` mm), ends kept."""
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(2, int(round(arc[-1] / step)) + 1)
    at = np.linspace(0.0, arc[-1], n)
    return np.column_stack([np.interp(at, arc, pts[:, k]) for k in range(3)])
