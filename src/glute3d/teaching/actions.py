"""Moment arms and muscle actions, fibre by fibre, in any pose.

A moment arm about an axis is ``(r x u) . axis`` in mm, with ``r`` from the hip
centre to the insertion and ``u`` the unit pull of the fibre on the femur; a
positive value produces flexion, adduction or internal rotation.

Examples
--------
>>> import glute3d
>>> from glute3d.teaching.actions import Pose, actions
>>> model = glute3d.load_model()
>>> actions(model, "gluteus_minimus_r", Pose(flexion=60)).produces("internal_rotation")
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.anatomy.pose import MOVEMENTS, Pose, hip_axes
from glute3d.errors import did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.model.model import Model

__all__ = ["Action", "Pose", "actions", "lines_of_action", "moment_arms"]

_MOVEMENT_AXIS = {name: (k, sign) for k, pair in enumerate(MOVEMENTS) for sign, name in zip((-1, 1), pair)}


# ============================================================================ moment arms
def lines_of_action(fibres: np.ndarray, *, reach: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """Insertion points and unit pull directions of fibres on the bone they insert on.

    The pull at the insertion points along the chord to the fibre point ``reach``
    mm (arc length) back toward the origin, which skips the short stretch where a
    tendon wraps its own bone.

    Parameters
    ----------
    fibres : numpy.ndarray
        ``(n, m, 3)`` polylines from origin (index 0) to insertion (index -1).
    reach : float
        Arc length in mm from the insertion to the point the pull aims at.

    Returns
    -------
    points, directions : numpy.ndarray
        ``(n, 3)`` each.
    """
    f = np.asarray(fibres, float)
    rev = f[:, ::-1]
    seg = np.linalg.norm(np.diff(rev, axis=1), axis=2)
    arc = np.concatenate([np.zeros((len(f), 1)), np.cumsum(seg, axis=1)], axis=1)
    target = np.minimum(reach, arc[:, -1])
    k = np.clip((arc < target[:, None]).sum(axis=1), 1, f.shape[1] - 1)
    rows = np.arange(len(f))
    a0, a1 = arc[rows, k - 1], arc[rows, k]
    w = np.clip((target - a0) / np.maximum(a1 - a0, 1e-9), 0.0, 1.0)[:, None]
    aim = rev[rows, k - 1] * (1.0 - w) + rev[rows, k] * w
    ins = rev[:, 0]
    d = aim - ins
    return ins, d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)


def moment_arms(fibres: np.ndarray, hip_center: np.ndarray, axes: np.ndarray, *, reach: float = 60.0) -> np.ndarray:
    """Moment arm of every fibre about each hip axis, mm.

    Parameters
    ----------
    fibres : numpy.ndarray
        ``(n, m, 3)`` fibres, origin to insertion (see :func:`lines_of_action`).
    hip_center : array_like
        ``(3,)`` centre of the hip.
    axes : numpy.ndarray
        ``(k, 3)`` unit axes, usually :func:`hip_axes`.
    reach : float
        See :func:`lines_of_action`.

    Returns
    -------
    numpy.ndarray
        ``(n, k)``: ``((insertion - hip_center) x pull) . axis``; positive
        produces flexion, adduction, internal rotation for :func:`hip_axes`.

    Examples
    --------
    A fibre pulling straight up on a point lateral to the hip abducts it:

    >>> from glute3d.anatomy.pose import AXES
    >>> f = np.array([[[0.0, 50.0, 50.0], [0.0, 0.0, 50.0]]])
    >>> moment_arms(f, np.zeros(3), AXES["r"]).round(1)
    array([[  0., -50.,   0.]])
    """
    ins, u = lines_of_action(fibres, reach=reach)
    r = ins - np.asarray(hip_center, float)
    return np.cross(r, u) @ np.asarray(axes, float).T


# ============================================================================ actions
@dataclass(frozen=True)
class Action:
    """What a muscle (or part of it) does at the hip in one pose.

    Attributes
    ----------
    name : str
        Sided name of the muscle or part, e.g. ``"gluteus_minimus_anterior_r"``.
    pose : Pose
        The pose analysed.
    moment_arms : numpy.ndarray
        ``(n_fibres, 3)`` mm about the flexion, adduction and internal-rotation axes.
    weights : numpy.ndarray
        ``(n_fibres,)`` each fibre's share of the muscle's cross-section (sums to 1).
    parts : dict of str to Action
        The muscle's parts (empty for a part).
    """

    name: str
    pose: Pose
    moment_arms: np.ndarray
    weights: np.ndarray
    parts: dict[str, Action] = field(default_factory=dict)

    @property
    def moment_arm(self) -> np.ndarray:
        """``(3,)`` cross-section-weighted mean moment arm, mm."""
        return self.weights @ self.moment_arms

    @property
    def movements(self) -> dict[str, float]:
        """One movement per axis with its strength (weighted mean moment arm, mm, >= 0).

        Examples
        --------
        ``{"flexion": 4.1, "abduction": 38.0, "internal_rotation": 12.5}``
        """
        m = self.moment_arm
        return {MOVEMENTS[k][int(m[k] > 0)]: float(abs(m[k])) for k in range(3)}

    def strength(self, movement: str) -> float:
        """Weighted mean moment arm toward ``movement`` (mm, negative when it opposes it)."""
        k, sign = _movement(movement)
        return float(sign * self.moment_arm[k])

    def produces(self, movement: str, *, threshold: float = 1.0) -> bool:
        """True when the muscle's mean moment arm toward ``movement`` exceeds ``threshold`` mm."""
        return self.strength(movement) > threshold

    def fibre_movements(self) -> list[dict[str, float]]:
        """Per fibre, one movement per axis with its moment arm in mm (>= 0)."""
        return [{MOVEMENTS[k][int(row[k] > 0)]: float(abs(row[k])) for k in range(3)} for row in self.moment_arms]


def _movement(movement: str) -> tuple[int, int]:
    if movement not in _MOVEMENT_AXIS:
        msg = f"unknown movement {movement!r}; use one of {sorted(_MOVEMENT_AXIS)}"
        raise KeyError(msg)
    return _MOVEMENT_AXIS[movement]


def actions(model: Model, name: str, pose: Pose | None = None, *, reach: float = 60.0) -> Action:
    """The hip actions of a muscle or muscle part in a pose.

    Parameters
    ----------
    model : Model
        Any model; its muscles are regenerated for ``pose``.
    name : str
        Sided muscle name (``"gluteus_medius_r"``) or part name
        (``"gluteus_medius_anterior_r"``).
    pose : Pose, optional
        Defaults to the model's own pose.
    reach : float
        See :func:`lines_of_action`.

    Returns
    -------
    Action
        For a whole muscle, ``Action.parts`` holds its parts.

    Raises
    ------
    KeyError
        Unknown muscle or part; the message lists the valid names.

    Examples
    --------
    >>> import glute3d
    >>> model = glute3d.load_model()
    >>> act = actions(model, "gluteus_medius_r")
    >>> act.produces("abduction"), act.parts["anterior"].produces("flexion")
    (True, True)
    """
    target = model if pose is None else model.posed(pose)
    use_pose = target.pose if target.pose is not None else Pose()
    muscles = target.muscles
    muscle, part = _resolve(name, muscles)
    side = muscle.side
    arms = moment_arms(muscle.fibres, target.hip_centers[side], hip_axes(use_pose, side), reach=reach)

    def make(label: str, idx: np.ndarray, parts: dict[str, Action] | None = None) -> Action:
        w = muscle.weights[idx]
        return Action(label, use_pose, arms[idx], w / w.sum(), parts or {})

    if part is not None:
        return make(name, muscle.parts[part])
    base = muscle.name[: -len(side) - 1]
    parts = {p: make(f"{base}_{p}_{side}", idx) for p, idx in muscle.parts.items()}
    return make(muscle.name, np.arange(len(muscle.fibres)), parts)


def _resolve(name: str, muscles: Mapping[str, Any]) -> tuple[Any, str | None]:
    if name in muscles:
        return muscles[name], None
    valid = list(muscles)
    for mname, m in muscles.items():
        base = mname[: -len(m.side) - 1]
        for p in m.parts:
            full = f"{base}_{p}_{m.side}"
            valid.append(full)
            if full == name:
                return m, p
    hint = did_you_mean(name, valid, cutoff=0.5)
    raise KeyError(f"unknown muscle or part {name!r}{hint} (valid: {', '.join(sorted(valid))})")
