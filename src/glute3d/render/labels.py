"""Label placement in screen space: pure functions on pixel coordinates.

Labels sit in the left and right margins of the picture, outside the projected extent of the
model, so they never cover a structure.  On each side they are stacked in the order of the
heights of their anchors (so leader lines do not cross) and moved as little as possible from the
heights of their anchors while keeping a minimum gap (isotonic regression, pool adjacent
violators).  Nothing here knows about VTK or fonts: sizes come in as numbers.

Coordinates are image pixels: x to the right, y downwards, origin at the top-left corner.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

__all__ = ["Pins", "Placement", "choose_sides", "crossings", "layout_labels", "number_pins", "stack_1d"]


@dataclass(frozen=True)
class Pins:
    """Numbered pins instead of label texts: a picture for a quiz.

    Every label is drawn as a round pin with a number at the end of its leader, all pins the
    same size (so where they go does not depend on their numbers).  The numbers run down the
    left margin, then down the right one (:func:`number_pins`); ``shuffle`` numbers them in
    another order, the same for the same seed.
    """

    shuffle: int | None = None


@dataclass(frozen=True)
class Placement:
    """Where one label goes.

    Attributes
    ----------
    index : int
        Index of the label in the input.
    side : {"left", "right"}
        The margin it sits in.
    box : tuple of float
        ``(x0, y0, x1, y1)`` of the text block.
    start : tuple of float
        Where the leader line leaves the label.
    anchor : tuple of float
        The point on the structure the leader goes to.
    """

    index: int
    side: str
    box: tuple[float, float, float, float]
    start: tuple[float, float]
    anchor: tuple[float, float]


def stack_1d(desired: np.ndarray, heights: np.ndarray, gap: float, lo: float, hi: float) -> np.ndarray:
    """Top edges of boxes stacked in the given order, as close as possible to ``desired``.

    Minimises the sum of squared distances between box centres and ``desired`` subject to
    ``top[i+1] >= top[i] + heights[i] + gap`` and every box inside ``[lo, hi]`` (as far as they
    fit; if they do not, they start at ``lo`` and overflow ``hi``).

    Parameters
    ----------
    desired : numpy.ndarray
        ``(n,)`` wanted centre heights, in stacking order (non-decreasing is typical).
    heights : numpy.ndarray
        ``(n,)`` box heights.
    gap : float
        Minimum space between boxes.
    lo, hi : float
        The band the boxes must stay in.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` top edges.

    Examples
    --------
    >>> stack_1d(np.array([10.0, 10.0]), np.array([4.0, 4.0]), 2.0, 0.0, 100.0).tolist()
    [5.0, 11.0]
    """
    d = np.asarray(desired, float)
    h = np.asarray(heights, float)
    n = len(d)
    if n == 0:
        return np.zeros(0)
    offsets = np.concatenate([[0.0], np.cumsum(h + gap)[:-1]])
    target = d - h / 2.0 - offsets
    # pool adjacent violators: non-decreasing fit to ``target``
    values: list[float] = []
    weights: list[int] = []
    for t in target:
        values.append(float(t))
        weights.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            w = weights[-2] + weights[-1]
            v = (values[-2] * weights[-2] + values[-1] * weights[-1]) / w
            values[-2:] = [v]
            weights[-2:] = [w]
    s = np.repeat(values, weights)
    upper = hi - (offsets[-1] + h[-1])
    s = np.clip(s, lo, max(lo, upper))
    return s + offsets


def choose_sides(
    anchor_x: np.ndarray, prefer: list[str], center_x: float, heights: np.ndarray, capacity: float
) -> list[str]:
    """Pick the margin of every label.

    ``"auto"`` labels go to the side of their anchor; if one side then holds more than
    ``capacity`` of total height while the other has room, the auto labels nearest the middle
    move across.

    Parameters
    ----------
    anchor_x : numpy.ndarray
        ``(n,)`` anchor x (or a prediction of it).
    prefer : list of {"auto", "left", "right"}
        Wishes from the scene.
    center_x : float
        The x that splits left from right (the middle of the model on screen).
    heights : numpy.ndarray
        ``(n,)`` label heights including the gap.
    capacity : float
        Height available on each side.

    Returns
    -------
    list of {"left", "right"}
    """
    x = np.asarray(anchor_x, float)
    h = np.asarray(heights, float)
    band = 0.04 * (float(x.max() - x.min()) if len(x) else 0.0)
    sides: list[str] = []
    for p, xi in zip(prefer, x):
        if p in ("left", "right"):
            sides.append(p)
        elif abs(xi - center_x) <= band:
            sides.append("middle")
        else:
            sides.append("left" if xi < center_x else "right")
    for i in range(len(sides)):  # labels on the midline go to the emptier side
        if sides[i] == "middle":
            load_l = sum(hh for s, hh in zip(sides, h) if s == "left")
            load_r = sum(hh for s, hh in zip(sides, h) if s == "right")
            sides[i] = "left" if load_l <= load_r else "right"
    for _ in range(len(sides)):
        load = {s: float(sum(h[i] for i in range(len(sides)) if sides[i] == s)) for s in ("left", "right")}
        full = max(load, key=lambda s: load[s])
        other = "right" if full == "left" else "left"
        if load[full] <= capacity:
            break
        movable = [i for i in range(len(sides)) if sides[i] == full and prefer[i] == "auto"]
        if not movable:
            break
        i = min(movable, key=lambda k: (abs(x[k] - center_x), k))
        if load[other] + h[i] > capacity:
            break
        sides[i] = other
    return sides


def layout_labels(
    anchors: np.ndarray,
    sizes: np.ndarray,
    sides: list[str],
    *,
    model_box: tuple[float, float, float, float],
    area: tuple[float, float, float, float],
    gap: float,
    spacing: float,
    first_line: np.ndarray | None = None,
    memo: dict | None = None,
) -> list[Placement]:
    """Place labels in the margins beside ``model_box``.

    Parameters
    ----------
    anchors : numpy.ndarray
        ``(n, 2)`` anchor pixels.
    sizes : numpy.ndarray
        ``(n, 2)`` text block width and height.
    sides : list of {"left", "right"}
        Margin of each label (see :func:`choose_sides`).
    model_box : tuple of float
        ``(x0, y0, x1, y1)``: the projected model, which labels must not cover.
    area : tuple of float
        ``(x0, y0, x1, y1)``: where labels may go (the picture minus title, caption and padding).
    gap : float
        Horizontal space between a label and the model box (room for the leader line).
    spacing : float
        Minimum vertical space between labels.
    first_line : numpy.ndarray, optional
        ``(n,)`` height of the first text line: leaders leave at its middle (default: box middle).
    memo : dict, optional
        Remembers each margin's placement by everything it depends on, so that a search that
        moves one label at a time lays out only the margin that changed.

    Returns
    -------
    list of Placement
        In input order.
    """
    a = np.asarray(anchors, float).reshape(-1, 2)
    wh = np.asarray(sizes, float).reshape(-1, 2)
    fl = wh[:, 1] if first_line is None else np.asarray(first_line, float)
    out: list[Placement] = []
    for side in ("left", "right"):
        idx = [i for i in range(len(a)) if sides[i] == side]
        if not idx:
            continue
        if memo is None:
            out += _column(side, idx, a, wh, fl, model_box, area, gap, spacing)
            continue
        key = (side, tuple(idx), a[idx].tobytes(), wh[idx].tobytes(), fl[idx].tobytes(), model_box, area, gap, spacing)
        if key not in memo:
            memo[key] = _column(side, idx, a, wh, fl, model_box, area, gap, spacing)
        out += memo[key]
    return sorted(out, key=lambda p: p.index)


def _column(
    side: str,
    idx: list[int],
    a: np.ndarray,
    wh: np.ndarray,
    fl: np.ndarray,
    model_box: tuple[float, float, float, float],
    area: tuple[float, float, float, float],
    gap: float,
    spacing: float,
) -> list[Placement]:
    """The labels ``idx`` stacked in one margin, swapped until their leaders do not cross."""
    ax0, ay0, ax1, ay1 = area
    mx0, _, mx1, _ = model_box
    idx = sorted(idx, key=lambda i: (a[i, 1], i))
    width = float(wh[idx, 0].max())
    if side == "left":
        edge = max(min(mx0 - gap, ax1), ax0 + width)  # labels end here (right-aligned)
        sx = edge + 0.25 * gap
    else:
        edge = min(max(mx1 + gap, ax0), ax1 - width)  # labels start here (left-aligned)
        sx = edge - 0.25 * gap
    tops = stack_1d(a[idx, 1], wh[idx, 1], spacing, ay0, ay1)
    for _ in range(len(idx) ** 2):  # swap labels whose leader lines cross, then stack again
        ys = tops + fl[idx] / 2.0
        pair = _first_crossing([(sx, y, a[i, 0], a[i, 1]) for y, i in zip(ys, idx)])
        if pair is None:
            break
        j, k = pair
        idx[j], idx[k] = idx[k], idx[j]
        tops = stack_1d(a[idx, 1], wh[idx, 1], spacing, ay0, ay1)
    out = []
    for i, top in zip(idx, tops):
        w, h = float(wh[i, 0]), float(wh[i, 1])
        box = (edge - w, top, edge, top + h) if side == "left" else (edge, top, edge + w, top + h)
        box_f = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
        out.append(Placement(i, side, box_f, (float(sx), float(top + fl[i] / 2.0)), (float(a[i, 0]), float(a[i, 1]))))
    return out


def crossings(segments: np.ndarray) -> np.ndarray:
    """``(n, n)`` bool: which of the segments ``(n, 4)`` (``x0, y0, x1, y1``) properly intersect.

    Examples
    --------
    >>> crossings(np.array([[0.0, 0, 10, 10], [0, 10, 10, 0], [20, 0, 30, 0]])).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    """
    seg = np.asarray(segments, float)
    p0, p1 = seg[:, None, :2], seg[:, None, 2:]
    q0, q1 = seg[None, :, :2], seg[None, :, 2:]

    def orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])

    return (orient(q0, q1, p0) * orient(q0, q1, p1) < 0) & (orient(p0, p1, q0) * orient(p0, p1, q1) < 0)


def _first_crossing(segments: list[tuple]) -> tuple[int, int] | None:
    """The first pair ``(j, k)``, ``j < k``, of crossing segments, or None (vectorised)."""
    if len(segments) < 2:
        return None
    hits = np.argwhere(np.triu(crossings(np.asarray(segments, float)), 1))
    return (int(hits[0, 0]), int(hits[0, 1])) if len(hits) else None


def number_pins(placements: list[Placement], shuffle: int | None = None) -> dict[int, int]:
    """The number of each placed label (by :attr:`Placement.index`), from 1.

    In reading order (down the left margin, then down the right one); with ``shuffle``, a
    permutation drawn from that seed (Python's own generator, the same on every platform),
    never the reading order itself when there are two pins or more.

    Examples
    --------
    >>> ps = [Placement(i, s, (0, y, 1, y + 1), (0, 0), (0, 0)) for i, s, y in
    ...       [(0, "right", 5), (1, "left", 9), (2, "left", 1)]]
    >>> number_pins(ps)
    {2: 1, 1: 2, 0: 3}
    >>> number_pins(ps, shuffle=4) == number_pins(ps, shuffle=4) != number_pins(ps)
    True
    """
    order = sorted(placements, key=lambda p: (p.side != "left", p.box[1], p.index))
    numbers = list(range(1, len(order) + 1))
    if shuffle is not None and len(numbers) > 1:
        rng = random.Random(f"glute3d-pins-{int(shuffle)}")
        while numbers == sorted(numbers):
            rng.shuffle(numbers)
    return {p.index: n for p, n in zip(order, numbers)}
