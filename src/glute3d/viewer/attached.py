"""The scene's landmark overlays and marks in the viewer, when a hip moves.

* a landmark overlay on a femur (a facet of the greater trochanter, the lesser trochanter, a
  femoral attachment) moves rigidly with that femur; those on the pelvis stay;
* a mark drawn on the skin (an injection site, its quadrants and lines, a needle) moves as the
  skin does: by the same blend weights, from the pose the scene was drawn in;
* any other mark (the abductors' lever and moment arm, fibres coloured by their moment arm,
  segments between landmarks) was computed for the scene's pose and would be wrong in another:
  it is hidden while a hip is away from the scene's pose, and shown again when it is back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glute3d.sides import SIDES, split_side
from glute3d.viewer.actors import points_of, touched
from glute3d.viewer.update import Blend

__all__ = ["AttachedMarks"]


class AttachedMarks:
    """Moves or hides a viewer's overlay and mark actors when a hip moves (see the module).

    ``viewer`` gives the plotter's actors, the scene's resolved marks, the model's landmarks and
    the hip poser; ``scene_pose`` the femur transforms the scene was drawn in, per side.
    """

    def __init__(self, viewer: Any, scene_pose: dict[str, np.ndarray]) -> None:
        self.viewer = viewer
        self.scene_pose = scene_pose
        self.rigid: dict[str, list[str]] = {s: [] for s in SIDES}  # actor keys moved with femur s
        self.skin: dict[str, list[str]] = {s: [] for s in SIDES}  # ... blended with the skin near hip s
        self.for_pose: list[str] = []  # hidden while a hip is away from the scene's pose
        self.blends: dict[tuple[str, str], Blend] = {}
        self.away = {s: False for s in SIDES}
        actors = viewer.plotter.actors
        # kept here: while a slider is dragged the 3D props are drawn by another renderer
        # (glute3d.viewer.dragview) and the plotter does not list them
        self.actors: dict[str, Any] = {k: a for k, a in actors.items() if k.startswith(("overlay:", "mark:"))}
        model = viewer.poser.model
        for o in viewer.res.overlays:  # every overlay is one of the model's landmarks
            key = f"overlay:{o.name}"
            bone = model.landmark_bone(o.name)
            side = split_side(bone)[1] if bone.startswith("femur_") else None
            if key in actors and side in SIDES:
                self.rigid[side].append(key)
        for m in viewer.res.marks:
            key = f"mark:{m.name}"
            if key not in actors:
                continue
            side = split_side(m.name)[1]
            if m.on_skin and side in SIDES:
                self.skin[side].append(key)
            elif not m.on_skin:
                self.for_pose.append(key)

    def pose_side(self, side: str) -> None:
        """Write hip ``side``'s current pose into its overlays and marks."""
        t = self.viewer.poser.transform(side)
        for key in self.rigid[side]:
            self._move(key, side, t, rigid=True)
        for key in self.skin[side]:
            self._move(key, side, t, rigid=False)
        self.away[side] = not np.allclose(t, self.scene_pose[side], atol=1e-9)
        shown = not any(self.away.values())
        for key in self.for_pose:
            self.actors[key].SetVisibility(shown)

    @property
    def hidden(self) -> list[str]:
        """The marks hidden now because a hip is away from the scene's pose (actor keys)."""
        return list(self.for_pose) if any(self.away.values()) else []

    def _move(self, key: str, side: str, t: np.ndarray, *, rigid: bool) -> None:
        actor = self.actors[key]
        pts, normals = points_of(actor)
        blend = self.blends.get((key, side))
        if blend is None:  # from the geometry drawn, in the pose the scene was drawn in
            w = np.ones(len(pts)) if rigid else self.viewer.poser.weights(pts, side)
            blend = self.blends[key, side] = Blend.of(pts, normals, w, self.scene_pose[side])
        blend.apply(t, pts, normals)
        touched(actor)
