"""Sampling a muscle's ``(n_fibres, n_samples, 3)`` grids at fibre coordinates ``(q, s)``.

``q`` runs across the fan (0 first fibre .. 1 last), ``s`` along the fibre (0 origin .. 1 insertion).

Examples
--------
>>> import numpy as np
>>> grid = np.stack(np.meshgrid([0.0, 10.0], [0.0, 5.0, 10.0], [0.0], indexing="ij"), -1)[:, :, 0]
>>> point, tangent = bilinear(grid, 0.5, 0.25)
>>> point.tolist(), tangent.tolist()
([5.0, 2.5, 0.0], [0.0, 5.0, 0.0])
"""

from __future__ import annotations

import numpy as np

__all__ = ["bilinear", "bilinear_row", "upsample"]


def upsample(grid: np.ndarray, k: int) -> np.ndarray:
    """Bilinear upsampling of an ``(nf, ns, 3)`` grid by ``k`` in both directions."""
    nf, ns = grid.shape[:2]
    qf = np.linspace(0, nf - 1, (nf - 1) * k + 1)
    qs = np.linspace(0, ns - 1, (ns - 1) * k + 1)
    i0 = np.clip(np.floor(qf).astype(int), 0, nf - 2)
    j0 = np.clip(np.floor(qs).astype(int), 0, ns - 2)
    fi = (qf - i0)[:, None, None]
    fj = (qs - j0)[None, :, None]
    g00 = grid[i0][:, j0]
    g01 = grid[i0][:, j0 + 1]
    g10 = grid[i0 + 1][:, j0]
    g11 = grid[i0 + 1][:, j0 + 1]
    return (1 - fi) * ((1 - fj) * g00 + fj * g01) + fi * ((1 - fj) * g10 + fj * g11)


def bilinear_row(grid: np.ndarray, q: float) -> np.ndarray:
    """The ``(ns, 3)`` polyline of fibre fraction ``q`` (0 first fibre .. 1 last)."""
    nf = grid.shape[0]
    x = float(np.clip(q, 0.0, 1.0)) * (nf - 1)
    i = min(int(np.floor(x)), nf - 2)
    f = x - i
    return (1 - f) * grid[i] + f * grid[i + 1]


def bilinear(grid: np.ndarray, q: float, s: float) -> tuple[np.ndarray, np.ndarray]:
    """Point at ``(q, s)`` of an ``(nf, ns, 3)`` grid and the tangent along the fibre there."""
    row = bilinear_row(grid, q)
    ns = len(row)
    y = float(np.clip(s, 0.0, 1.0)) * (ns - 1)
    j = min(int(np.floor(y)), ns - 2)
    g = y - j
    return (1 - g) * row[j] + g * row[j + 1], row[j + 1] - row[j]
