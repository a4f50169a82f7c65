"""Operations on the ``(n_fibres, n_samples, ...)`` sample grids a muscle is made of.

Examples
--------
>>> import numpy as np
>>> smooth_rows(np.array([0.0, 4.0, 0.0]), 0).tolist()
[0.0, 2.0, 0.0]
>>> refine(np.zeros((2, 3, 3))).shape
(3, 5, 3)
"""

from __future__ import annotations

import numpy as np

__all__ = ["neighbour_steps", "refine", "sheet_normals", "slope_floor", "smooth_rows"]


def smooth_rows(a: np.ndarray, axis: int, times: int = 1) -> np.ndarray:
    """[1, 2, 1] / 4 smoothing along ``axis`` (0 or 1) keeping both ends; returns a new array."""
    a = np.array(a, dtype=float, copy=True)
    if a.shape[axis] < 3:
        return a
    for _ in range(times):
        if axis == 0:
            a[1:-1] = 0.25 * (a[:-2] + a[2:]) + 0.5 * a[1:-1]
        else:
            a[:, 1:-1] = 0.25 * (a[:, :-2] + a[:, 2:]) + 0.5 * a[:, 1:-1]
    return a


def refine(a: np.ndarray) -> np.ndarray:
    """Insert the midpoints between neighbouring samples of an ``(n_f, n_s, ...)`` grid."""
    n_f, n_s = a.shape[:2]
    out = np.empty((2 * n_f - 1, 2 * n_s - 1, *a.shape[2:]))
    out[::2, ::2] = a
    out[::2, 1::2] = 0.5 * (a[:, 1:] + a[:, :-1])
    out[1::2] = 0.5 * (out[:-1:2] + out[2::2])
    return out


def sheet_normals(sheet: np.ndarray) -> np.ndarray:
    """Unit normals of an ``(n_f, n_s, 3)`` sheet, smoothed once."""
    df = np.gradient(sheet, axis=0)
    ds = np.gradient(sheet, axis=1)
    n = np.cross(df, ds)
    n = smooth_rows(smooth_rows(n, 0), 1)
    return n / np.maximum(np.linalg.norm(n, axis=2, keepdims=True), 1e-9)


def neighbour_steps(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distances (mm) between neighbouring samples of an ``(n_f, n_s, 3)`` grid: of neighbouring
    fibres ``(n_f - 1, n_s)``, and along each fibre ``(n_f, n_s - 1)``."""
    return np.linalg.norm(np.diff(grid, axis=0), axis=2), np.linalg.norm(np.diff(grid, axis=1), axis=2)


def slope_floor(values: np.ndarray, step_f: np.ndarray, step_s: np.ndarray, ripple: float | None = None) -> np.ndarray:
    """``values`` ``(n_f, n_s)`` raised, each to no lower than each of its four neighbours less the
    distance to it (``step_f``, ``step_s`` from :func:`neighbour_steps`): one pass of a 45-degree
    slope limit on a height over the grid.  With ``ripple``, also to no lower than the mean of two
    opposite neighbours less ``ripple`` (no pit between them).  ``-slope_floor(-values, ...)`` is
    the same limit from above: no value higher than a neighbour plus the distance to it.

    Examples
    --------
    >>> slope_floor(np.array([[0.0, 5.0, 0.0]]), np.zeros((0, 3)), np.ones((1, 2)))
    array([[4., 5., 4.]])
    >>> slope_floor(np.array([[6.0, 0.0, 6.0]]), np.zeros((0, 3)), np.full((1, 2), 9.0), ripple=2.0)
    array([[6., 4., 6.]])
    """
    low = values.copy()
    low[1:] = np.maximum(low[1:], values[:-1] - step_f)
    low[:-1] = np.maximum(low[:-1], values[1:] - step_f)
    low[:, 1:] = np.maximum(low[:, 1:], values[:, :-1] - step_s)
    low[:, :-1] = np.maximum(low[:, :-1], values[:, 1:] - step_s)
    if ripple is not None:
        low[1:-1] = np.maximum(low[1:-1], 0.5 * (values[:-2] + values[2:]) - ripple)
        low[:, 1:-1] = np.maximum(low[:, 1:-1], 0.5 * (values[:, :-2] + values[:, 2:]) - ripple)
    return low
