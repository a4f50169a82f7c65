"""Where the fibres of a fan start and end: the far edge of the origin, the insertion lines."""

from __future__ import annotations

import numpy as np

from glute3d.anatomy.muscles.grids import smooth_rows
from glute3d.anatomy.muscles.specs import Target
from glute3d.anatomy.skeleton import Skeleton
from glute3d.sides import SIDE_SIGN

__all__ = ["axis_samples", "band_samples", "fan_origins"]


def fan_origins(
    points: np.ndarray,
    center: np.ndarray,
    n: int,
    *,
    by_axis: bool = False,
    span: tuple[float, float] = (0.0, 1.0),
    first: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` fibre starts evenly spaced along the far edge of an origin region.

    The region is flattened onto its best-fit plane and cut into bins by angle
    around the projected ``center`` (or, with ``by_axis``, along the region's
    long axis, for a long strip such as the origin of gluteus maximus); in each
    bin the region point farthest from the centre lies on the far edge.  The
    edge is smoothed and resampled by arc length, so neighbouring fibres start
    evenly apart even where the region has a step; starts may therefore lie a
    little off the region (snap them to the bone).

    With ``span = (u0, u1)`` only that fraction of the edge's length is used, measured from
    the end with the larger coordinate ``first`` (0: x, the anterior end; 1: y, the superior
    end), and the bins are narrowed to match, so the starts are as smooth as over a whole edge.

    Returns
    -------
    starts : numpy.ndarray
        ``(n, 3)`` in order across the fan.
    across : numpy.ndarray
        ``(3,)`` unit direction across the fan.
    """
    m = points.mean(0)
    _, _, vt = np.linalg.svd(points - m, full_matrices=False)
    e = vt[:2].T
    p2 = (points - m) @ e
    c2 = (center - m) @ e
    rel = p2 - c2
    mean_dir = rel.sum(0)
    mean_dir /= np.linalg.norm(mean_dir)
    perp = np.array([-mean_dir[1], mean_dir[0]])
    width = max(float(span[1]) - float(span[0]), 0.05)
    bins = int(round(3 * n / width))
    if by_axis:
        key, across = p2[:, 0], e[:, 0]
        away = np.array([0.0, 1.0]) if c2[1] < 0 else np.array([0.0, -1.0])
        dist = p2 @ away  # the edge of the strip away from the centre
    else:
        key, across = np.arctan2(rel @ perp, rel @ mean_dir), e @ perp
        dist = np.linalg.norm(rel, axis=1)
    lo, hi = np.percentile(key, [0.5, 99.5])
    b = np.clip(((key - lo) / (hi - lo) * bins).astype(int), 0, bins - 1)
    order = np.lexsort((dist, b))  # by bin, then distance: the last of each bin is the farthest
    last = np.r_[b[order][1:] != b[order][:-1], True]
    edge = points[order[last]]
    # a region's border is a staircase of faces: smooth a fan's far edge over about a sixth of its
    # length (ends kept); a strip's long edge only lightly
    edge = smooth_rows(edge, 0, times=6 if by_axis else max(6, bins // 2))
    seg = np.linalg.norm(np.diff(edge, axis=0), axis=1)
    arc = np.r_[0.0, np.cumsum(seg)]
    u0, u1 = float(span[0]), float(span[1])
    if first is not None and edge[0, first] < edge[-1, first]:  # measure the span from the other end
        u0, u1 = 1.0 - u1, 1.0 - u0
    t = np.linspace(u0 * arc[-1], u1 * arc[-1], n)
    starts = np.column_stack([np.interp(t, arc, edge[:, j]) for j in range(3)])
    return starts, across


def axis_samples(points: np.ndarray, n: int) -> np.ndarray:
    """``n`` points along the long axis of a small region, each a local mean of region points."""
    m = points.mean(0)
    _, _, vt = np.linalg.svd(points - m, full_matrices=False)
    t = (points - m) @ vt[0]
    w = (points - m) @ vt[1]
    if n == 1:
        return m[None]
    lo, hi = np.percentile(t, [8, 92])
    tk = np.linspace(lo, hi, n)
    step = max((hi - lo) / max(n - 1, 1), 1.0)
    cost = ((t[None, :] - tk[:, None]) / step) ** 2 + (w[None, :] / max(np.ptp(w), 1.0) * 4.0) ** 2
    k = min(4, len(points))
    best = np.argsort(cost, axis=1)[:, :k]
    return points[best].mean(axis=1)


def band_samples(model: Skeleton, side: str, t: Target, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points of the iliotibial tract lateral to the femoral shaft (femur neutral frame)."""
    v = model.bones[f"femur_{side}"].vertices
    tip = model.point(f"greater_trochanter_tip_{side}")
    c, axis = model.shaft_frame(side)[:2]
    lat = np.array([0.0, 0.0, SIDE_SIGN[side]])
    lat = lat - (lat @ axis) * axis
    lat /= np.linalg.norm(lat)
    ant = np.array([1.0, 0.0, 0.0])
    ant = ant - (ant @ axis) * axis - (ant @ lat) * lat
    ant /= np.linalg.norm(ant)
    level_tip = (tip - c) @ axis
    levels = np.linspace(t.below_gt[0], t.below_gt[1], n)
    centres = c + np.outer(level_tip - levels, axis)
    rel = v - c
    h = rel @ axis
    radial = rel @ lat
    radius = np.array([radial[np.abs(h - (level_tip - lv)) < 4.0].max(initial=0.0) for lv in levels])
    pts = centres + np.outer(radius + t.lateral, lat) + ant * t.anterior
    return pts, np.tile(lat, (n, 1))
