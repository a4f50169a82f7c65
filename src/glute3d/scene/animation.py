"""Animated scenes: the pose of every frame, eased between keyframes, and the coloured fibres.

An ``[animation]`` table (:class:`glute3d.scene.schema.Animation`) lists keyframe poses at
their times.  Between two keyframes every angle eases in and out (smoothstep,
``3u^2 - 2u^3``): the movement starts and stops gently at each keyframe, is continuous in
velocity, and never leaves the range between the two keyframes' angles (so it never leaves
the angles' allowed ranges).  After the last keyframe its pose is held until ``duration``.

Pure numpy on top of the schema; the renderer (:mod:`glute3d.render.animate`) draws the frames.

Examples
--------
>>> from glute3d.scene.schema import Animation
>>> anim = Animation(keyframes=[{"time": 0}, {"time": 2, "flexion": 90, "side": "r"}], fps=2)
>>> anim.n_frames, [round(p.angles("r")[0], 1) for p in frame_poses(anim)]
(5, [0.0, 14.1, 45.0, 75.9, 90.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from glute3d.scene.resolved import Mark
from glute3d.scene.schema import Animation, Keyframe, Pose, SceneFields
from glute3d.sides import SIDES

__all__ = [
    "DIVERGING",
    "FibreColouring",
    "diverging_colour",
    "ease",
    "fibre_marks",
    "frame_poses",
    "frame_times",
    "pose_at",
    "scene_at",
]

#: Diverging colour map, external rotation (negative arm) blue to internal (positive) red,
#: grey in the middle so that fibres without a rotation arm still show on a white background
#: (ColorBrewer RdBu ends).
DIVERGING: tuple[tuple[float, str], ...] = (
    (0.0, "#2166ac"),
    (0.25, "#67a9cf"),
    (0.5, "#bdbdbd"),
    (0.75, "#ef8a62"),
    (1.0, "#b2182b"),
)
_HIP = ("flexion", "adduction", "rotation")
_PELVIS = ("pelvis_tilt", "pelvis_list", "pelvis_rotation", "pelvic_drop")
#: Most fibres drawn per muscle (evenly chosen): enough to see the fan, few enough to render fast.
MAX_FIBRES = 24
FIBRE_RADIUS = 0.9  # mm


def ease(u: Any) -> np.ndarray:
    """Smoothstep easing of ``u`` in [0, 1]: 0 and 1 at the ends, zero slope at both.

    Examples
    --------
    >>> ease([0.0, 0.5, 1.0]).tolist()
    [0.0, 0.5, 1.0]
    """
    u = np.clip(np.asarray(u, float), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def frame_times(anim: Animation) -> np.ndarray:
    """Times (s) of the frames: evenly spaced from 0 to the animation's length, both included."""
    return np.linspace(0.0, anim.length, anim.n_frames)


def _values(k: Keyframe) -> np.ndarray:
    """The keyframe's raw angles: hip angles per side (stance drop not folded in), then the pelvis."""
    hip = [k._angle(name, side) for name in _HIP for side in SIDES]
    return np.array(hip + [float(getattr(k, name)) for name in _PELVIS])


def pose_at(anim: Animation, t: float) -> Pose:
    """The pose at time ``t`` (s): eased between the keyframes around it."""
    times = np.array([k.time for k in anim.keyframes])
    i = int(np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 1))
    a = _values(anim.keyframes[i])
    if i == len(times) - 1:
        v = a
    else:
        b = _values(anim.keyframes[i + 1])
        v = a + (b - a) * float(ease((t - times[i]) / (times[i + 1] - times[i])))
    fields: dict[str, Any] = {
        name: {side: float(v[2 * j + s]) for s, side in enumerate(SIDES)} for j, name in enumerate(_HIP)
    }
    fields.update({name: float(v[6 + j]) for j, name in enumerate(_PELVIS)})
    fields["stance"] = anim.keyframes[0].stance
    if fields["stance"] is None:
        fields.pop("pelvic_drop")
    return Pose.model_validate(fields)


def frame_poses(anim: Animation) -> list[Pose]:
    """The pose of every frame."""
    return [pose_at(anim, float(t)) for t in frame_times(anim)]


def scene_at(scene: SceneFields, pose: Pose) -> Any:
    """``scene`` showing ``pose`` (the same class; errors still name its file)."""
    new = scene.model_copy()
    new.__dict__["pose"] = pose
    new._source, new._text = scene._source, scene._text
    return new


def diverging_colour(values: Any, vmax: float) -> np.ndarray:
    """``(n, 3)`` RGB in [0, 1] of ``values`` on :data:`DIVERGING` from ``-vmax`` to ``+vmax``.

    Examples
    --------
    >>> (diverging_colour([-30.0, 30.0], 30.0) * 255).round().astype(int).tolist()
    [[33, 102, 172], [178, 24, 43]]
    """
    stops = np.array([s for s, _ in DIVERGING])
    rgb = np.array([[int(c[i : i + 2], 16) / 255.0 for i in (1, 3, 5)] for _, c in DIVERGING])
    u = (np.clip(np.asarray(values, float) / vmax, -1.0, 1.0) + 1.0) / 2.0
    return np.stack([np.interp(u, stops, rgb[:, k]) for k in range(3)], axis=-1)


@dataclass(frozen=True)
class FibreColouring:
    """The fibres drawn in one frame: marks for the renderer and the values behind their colours."""

    marks: list[Mark]
    values: np.ndarray  # (n_fibres,) mm, rotation moment arm (internal +)
    vmax: float
    title: str = "rotation moment arm (mm)"


def _hex(rgb: np.ndarray) -> str:
    r, g, b = (int(round(float(c) * 255)) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def fibre_marks(scene: SceneFields, posed_model: Any) -> FibreColouring:
    """The fibres of ``scene.animation.fibres`` in ``posed_model``, coloured by their rotation moment arm.

    The moment arms are those of :func:`glute3d.teaching.actions.actions` in the model's pose
    (about the internal-rotation axis of the hip, mm, internal positive).

    Raises
    ------
    SceneError
        A name in ``animation.fibres`` that is not a muscle of the model.
    """
    from glute3d.teaching.actions import actions

    anim = scene.animation
    if anim is None or not anim.fibres:
        return FibreColouring([], np.zeros(0), 30.0)
    marks: list[Mark] = []
    values: list[np.ndarray] = []
    for i, name in enumerate(anim.fibres):
        try:
            act = actions(posed_model, name)
        except KeyError as exc:
            raise scene.error(("animation", "fibres", i), str(exc).strip("'\"")) from None
        fibres = np.asarray(posed_model.muscles[name].fibres, float)
        pick = np.unique(np.linspace(0, len(fibres) - 1, min(MAX_FIBRES, len(fibres))).round().astype(int))
        arms = act.moment_arms[pick, 2]
        colours = diverging_colour(arms, anim.fibre_range)
        for j, k in enumerate(pick):
            marks.append(Mark(f"fibre:{name}:{k}", "line", fibres[k], _hex(colours[j]), radius=FIBRE_RADIUS))
        values.append(arms)
    return FibreColouring(marks, np.concatenate(values), anim.fibre_range)
