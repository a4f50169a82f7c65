"""Untangling the labels after the render: which margin and which anchor point each label takes.

:func:`glute3d.render.labels.layout_labels` stacks the labels of each margin beside the model;
here a coordinate descent over each label's margin and anchor (among the alternatives the
z-buffer allows) lowers :func:`layout_cost`: leader length, crossings, and leaders passing
close to other anchors.  Labels that a margin cannot hold are left out (the scene's first
labels are kept), and :func:`label_warnings` says so, and which targets do not show and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glute3d.render.anchors import HIDDEN, OUTSIDE
from glute3d.render.camera import CameraFrame
from glute3d.render.labels import Placement, crossings, layout_labels
from glute3d.render.layout import Layout

if TYPE_CHECKING:
    from glute3d.scene import ResolvedScene

__all__ = ["label_warnings", "layout_cost", "place_labels"]


def layout_cost(
    placements: list[Placement],
    clear: float,
    center_x: float | None = None,
    far_penalty: float = 0.0,
    *,
    hard_only: bool = False,
) -> float:
    """How tangled a label layout is: leader lengths, crossings, leaders grazing other anchors.

    A label in the margin away from its anchor (across ``center_x``) costs ``far_penalty``.
    ``hard_only``: count only crossings and leaders through other anchors.

    Examples
    --------
    >>> a = Placement(0, "left", (0, 0, 10, 10), (10.0, 5.0), (50.0, 50.0))
    >>> b = Placement(1, "left", (0, 40, 10, 50), (10.0, 45.0), (50.0, 0.0))
    >>> layout_cost([a, b], 5.0, hard_only=True)  # the two leaders cross
    2000.0
    """
    if not placements:
        return 0.0
    seg = np.array([(p.start[0], p.start[1], p.anchor[0], p.anchor[1]) for p in placements], float)
    s0, s1 = seg[:, :2], seg[:, 2:]
    d = s1 - s0
    cost = 0.0 if hard_only else float(np.linalg.norm(d, axis=1).sum())
    cost += 2000.0 * float(np.triu(crossings(seg), 1).sum())
    # distance of every anchor j to every leader i
    L2 = np.maximum((d * d).sum(1), 1e-9)[:, None]
    t = np.clip(((s1[None, :, :] - s0[:, None, :]) * d[:, None, :]).sum(-1) / L2, 0.0, 1.0)
    gap = np.linalg.norm(s0[:, None, :] + t[..., None] * d[:, None, :] - s1[None, :, :], axis=-1)
    np.fill_diagonal(gap, np.inf)
    cost += 600.0 * float((gap < clear).sum())  # a leader through another anchor: confusing
    if hard_only:
        return cost
    cost += 150.0 * float(((gap >= clear) & (gap < 3.0 * clear)).sum())  # close by: crowded
    if center_x is not None and far_penalty:
        far = [(p.side == "left") != (p.anchor[0] < center_x) for p in placements]
        cost += far_penalty * sum(far)
    return cost


class _Search:
    """The state of the coordinate descent: sides, anchors, the best layout and its cost."""

    def __init__(self, res: ResolvedScene, lay: Layout, frame: CameraFrame, anchors: np.ndarray) -> None:
        w, h = lay.size
        self.res, self.lay = res, lay
        self.area = (lay.pad, lay.pad + lay.top_h, w - lay.pad, h - lay.pad - lay.bottom_h)
        bx0, by0, bx1, by1 = frame.model_box
        self.model_box = (max(bx0, self.area[0]), by0, min(bx1, self.area[2]), by1)
        self.anchors = anchors.copy()
        self.memo: dict = {}  # margin placements already made (one label moves at a time)
        self.sides = list(lay.sides)
        self.spacing = 0.35 * lay.label_px
        self.fit()
        self.clear = 0.8 * lay.label_px
        self.cx, self.far_penalty = (self.model_box[0] + self.model_box[2]) / 2.0, 0.12 * w
        self.placements = self.layout()
        self.best = self.cost(self.placements)

    def fit(self) -> None:
        """Leave out (side ``""``) the labels the margins cannot hold, keeping the scene's first ones;
        an automatic label goes to the other margin when that one has room for it."""
        lay, capacity = self.lay, self.area[3] - self.area[1]
        load = {"left": -self.spacing, "right": -self.spacing}  # n labels take their heights and n - 1 gaps
        for i, side in enumerate(self.sides):
            need = float(lay.label_sizes[i, 1]) + self.spacing
            other = "right" if side == "left" else "left"
            if load[side] + need > capacity + 1e-6 and self.res.labels[i].side == "auto":
                if lay.label_sizes[i, 0] <= lay.columns[other] and load[other] + need <= capacity + 1e-6:
                    side = self.sides[i] = other
            if load[side] + need <= capacity + 1e-6:
                load[side] += need
            else:
                self.sides[i] = ""

    def layout(self) -> list[Placement]:
        lay = self.lay
        return layout_labels(
            self.anchors,
            lay.label_sizes,
            self.sides,
            model_box=self.model_box,
            area=self.area,
            gap=lay.gap,
            spacing=self.spacing,
            first_line=lay.label_sizes[:, 1] if lay.pins else np.full(len(self.res.labels), lay.label_px * lay.leading),
            memo=self.memo,
        )

    def cost(self, placements: list[Placement]) -> float:
        return layout_cost(placements, self.clear, self.cx, self.far_penalty)

    def try_other_sides(self) -> bool:
        """Move labels to the other margin where that untangles leaders or brings a label to
        the side of its anchor (if it fits that column); whether anything improved."""
        lay, improved = self.lay, False
        capacity = self.area[3] - self.area[1]
        for i, lab in enumerate(self.res.labels):
            if not self.sides[i]:
                continue  # left out: no room
            other = "right" if self.sides[i] == "left" else "left"
            load = sum(
                lay.label_sizes[j, 1] + 0.35 * lay.label_px for j in range(len(self.sides)) if self.sides[j] == other
            )
            if (
                lab.side != "auto"
                or lay.label_sizes[i, 0] > lay.columns[other]
                or load + lay.label_sizes[i, 1] > capacity
            ):
                continue
            hard = layout_cost(self.placements, self.clear, hard_only=True)
            self.sides[i] = other
            trial = self.layout()
            c = self.cost(trial)
            width = self.model_box[2] - self.model_box[0]
            clearly = abs(self.anchors[i, 0] - self.cx) > 0.1 * width  # not on the midline
            near_side = clearly and (other == "left") == (self.anchors[i, 0] < self.cx)
            if c + 1e-6 < self.best and (near_side or layout_cost(trial, self.clear, hard_only=True) < hard):
                self.best, self.placements, improved = c, trial, True
            else:
                self.sides[i] = "right" if other == "left" else "left"
        return improved

    def try_anchor_options(self, options: list[np.ndarray]) -> bool:
        """Move each anchor to the alternative (of about 12 tried) that lowers the cost most."""
        improved = False
        for i, opts in enumerate(options):
            if len(opts) < 2 or not self.sides[i]:
                continue
            keep = self.anchors[i].copy()
            for o in opts[:: max(1, len(opts) // 12)]:
                self.anchors[i] = o
                trial = self.layout()
                c = self.cost(trial)
                if c + 1e-6 < self.best:
                    self.best, keep, self.placements, improved = c, o.copy(), trial, True
            self.anchors[i] = keep
        return improved


def place_labels(
    res: ResolvedScene, lay: Layout, frame: CameraFrame, anchors: np.ndarray, options: list[np.ndarray]
) -> list[Placement]:
    """Lay the labels out, then move them between margins and their anchors along their
    targets (among ``options``) to untangle the leaders.

    Labels the margins cannot hold, and any that would still reach beyond the picture, are left
    out: the placements are of the labels drawn.
    """
    if not res.labels:
        return []
    search = _Search(res, lay, frame, anchors)
    for _ in range(2):  # coordinate descent over the side and the anchor of each label
        improved = search.try_other_sides()
        improved = search.try_anchor_options(options) or improved
        if not improved:
            break
    w, h = lay.size
    return [
        p
        for p in search.placements
        if p.box[0] >= -0.5 and p.box[1] >= -0.5 and p.box[2] <= w + 0.5 and p.box[3] <= h + 0.5
    ]


def label_warnings(
    res: ResolvedScene, placements: list[Placement], visible: np.ndarray, why: list[str], size: tuple[int, int]
) -> list[str]:
    """What a lecturer should know about the labels: targets that do not show (and why), labels left out.

    ``why`` holds the reason each label's target does not show (see
    :func:`glute3d.render.anchors.choose_anchors`); ``placements`` the labels drawn.
    """
    notes = []
    for p in placements:
        if visible[p.index]:
            continue
        target, reason = res.labels[p.index].target, why[p.index] if p.index < len(why) else HIDDEN
        if reason == OUTSIDE:
            notes.append(
                f"label {target!r}: its target is outside the view of this camera (its dashed leader points toward "
                "it); frame it with camera.focus or less zoom, or remove the label"
            )
        elif reason == HIDDEN:
            notes.append(
                f"label {target!r}: its target is hidden behind other structures from this camera "
                "(drawn with a dashed leader)"
            )
        else:
            notes.append(
                f"label {target!r}: nothing is drawn where its target lies (cut away, or on a structure no layer "
                "draws); its leader is dashed"
            )
    drawn = {p.index for p in placements}
    left_out = [L.target for k, L in enumerate(res.labels) if k not in drawn]
    if left_out:
        n, w, h = len(res.labels), size[0], size[1]
        names = ", ".join(repr(t) for t in left_out[:5]) + (", ..." if len(left_out) > 5 else "")
        notes.append(
            f"{len(left_out)} of {n} labels do not fit in the picture's margins at {w}x{h} and were left out "
            f"({names}); use fewer labels, a larger resolution or a smaller text_scale"
        )
    return list(dict.fromkeys(notes))  # a target labelled twice: one warning
