"""The scene's labels in the viewer: each text in a box at its target, following the target when a hip moves.

``glute3d render`` lays labels out in the picture's margins with leader lines, a 2D step after
the render; a window that turns and moves cannot, so the viewer draws each label at its anchor
(the renderer's first candidate point), always in front.  A label on a drawn structure, landmark
overlay or mark keeps to the same place on it as it is regenerated or moved with a hip; labels
are hidden while a slider is dragged and while what they point at is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from glute3d.viewer.actors import geometry

__all__ = ["SceneLabels"]


def _points(actor: Any) -> np.ndarray:
    return np.array(geometry(actor).GetPoints().GetData(), float)


@dataclass
class _Label:
    text: str
    structure: str | None  # the actor it is on, if any: a structure's name, or "overlay:…" / "mark:…"
    point: np.ndarray
    index: int = -1  # the structure's vertex it sits on
    n_points: int = 0  # the structure's vertex count when ``index`` was chosen


class SceneLabels:
    """The labels of a viewer's scene (see the module's docstring)."""

    def __init__(self, viewer: Any) -> None:
        self.viewer = viewer
        self.labels: list[_Label] = []
        for item in viewer.res.labels:
            target = self._target(item.target)
            label = _Label(item.text, target, np.asarray(item.candidates[0], float))
            self._attach(label)
            self.labels.append(label)
        self.visible = bool(self.labels)
        self.actor: Any = None
        self.draw()

    def _target(self, name: str) -> str | None:
        """The key of the actor a label's target is drawn as (``None``: none, e.g. a foramen)."""
        if name in self.viewer.actors:
            return name
        return next((k for k in (f"overlay:{name}", f"mark:{name}") if k in self.viewer.attached.actors), None)

    def _actor(self, key: str) -> Any:
        """A structure's actor, or an overlay's or mark's (kept by the viewer's attached marks, since
        the plotter does not list the 3D props while a slider is dragged)."""
        return self.viewer.actors[key] if key in self.viewer.actors else self.viewer.attached.actors[key]

    def _attach(self, label: _Label) -> None:
        if label.structure is None:
            return
        pts = _points(self._actor(label.structure))
        label.index = int(np.argmin(np.linalg.norm(pts - label.point, axis=1)))
        label.n_points = len(pts)

    def _follow(self, label: _Label) -> None:
        """Move ``label`` with its structure (re-attached to the nearest vertex if the mesh changed)."""
        if label.structure is None:
            return
        pts = _points(self._actor(label.structure))
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
            label for label in self.labels if label.structure is None or self._actor(label.structure).GetVisibility()
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
