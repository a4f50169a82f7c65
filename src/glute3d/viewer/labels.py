"""The scene's labels in the viewer: each text in a box at its target, following the target when a hip moves.

``glute3d render`` lays labels out in the picture's margins with leader lines, a 2D step after
the render; a window that turns and moves cannot, so the viewer draws each label at its anchor
(the renderer's first candidate point), always in front.  A label on a drawn structure keeps to
the same place on it as the structure is regenerated; labels are hidden while a slider is
dragged and while their structure's layer is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SceneLabels"]


def _points(actor: Any) -> np.ndarray:
    return np.array(actor.GetMapper().GetInput().GetPoints().GetData(), float)


@dataclass
class _Label:
    text: str
    structure: str | None  # the drawn structure it is on, if any
    point: np.ndarray
    index: int = -1  # the structure's vertex it sits on
    n_points: int = 0  # the structure's vertex count when ``index`` was chosen


class SceneLabels:
    """The labels of a viewer's scene (see the module's docstring)."""

    def __init__(self, viewer: Any) -> None:
        self.viewer = viewer
        self.labels: list[_Label] = []
        for item in viewer.res.labels:
            target = item.target if item.target in viewer.actors else None
            label = _Label(item.text, target, np.asarray(item.candidates[0], float))
            self._attach(label)
            self.labels.append(label)
        self.visible = bool(self.labels)
        self.actor: Any = None
        self.draw()

    def _attach(self, label: _Label) -> None:
        if label.structure is None:
            return
        pts = _points(self.viewer.actors[label.structure])
        label.index = int(np.argmin(np.linalg.norm(pts - label.point, axis=1)))
        label.n_points = len(pts)

    def _follow(self, label: _Label) -> None:
        """Move ``label`` with its structure (re-attached to the nearest vertex if the mesh changed)."""
        if label.structure is None:
            return
        pts = _points(self.viewer.actors[label.structure])
        if len(pts) != label.n_points:
            self._attach(label)
        label.point = pts[label.index]

    def draw(self) -> None:
        """Draw the labels whose structure is shown, where their structures are now."""
        pl = self.viewer.plotter
        if self.actor is not None:
            pl.remove_actor(self.actor, render=False)
            self.actor = None
        shown = [
            label
            for label in self.labels
            if label.structure is None or self.viewer.actors[label.structure].GetVisibility()
        ]
        if not self.visible or not shown:
            return
        for label in shown:
            self._follow(label)
        self.actor = pl.add_point_labels(
            np.array([label.point for label in shown]),
            [label.text for label in shown],
            font_size=14,
            bold=False,
            text_color="#1a1a1a",
            shape_color="white",
            shape_opacity=0.85,
            margin=4,
            show_points=False,
            always_visible=True,
            name="viewer:labels",
            render=False,
        )

    def hide(self) -> None:
        """Out of the way while a slider is dragged (drawn again by :meth:`draw`)."""
        if self.actor is not None:
            self.actor.SetVisibility(False)
