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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.anatomy.pose import MOVEMENTS, Pose, hip_axes, hip_rotation
from glute3d.errors import did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.model.model import Model

__all__ = [
    "Action",
    "Pose",
    "actions",
    "held_moment_arms",
    "lines_of_action",
    "moment_arm_sweep",
    "moment_arms",
    "muscle_anchor",
    "muscle_leave",
]

_MOVEMENT_AXIS = {name: (k, sign) for k, pair in enumerate(MOVEMENTS) for sign, name in zip((-1, 1), pair)}


# ============================================================================ moment arms
def lines_of_action(fibres: np.ndarray, *, anchor: float = 0.3, leave: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Where fibres pull on the bone they insert on, and the unit pull directions.

    The pull acts at the point where the fibre leaves that bone, ``leave`` mm of
    arc back from the insertion (a tendon lying on its trochanter passes its
    pull on to the bone along that stretch, so the wrench on the bone is that of
    the free fibre), and points along the straight line to the fibre's
    *anchor*: the point, a fraction ``anchor`` of the way from origin (0) to
    insertion (1), where the fibre leaves the pelvis (for a muscle of
    ``muscles.toml`` its ``follow`` start: the last sample that stays with the
    pelvis when the hip moves).  This is the free stretch of a taut fibre, as in
    a path-point model (Delp et al. 1990, IEEE Trans Biomed Eng 37:757): the
    bends where the fibre lies on the ilium or turns at the greater sciatic notch
    lie on the pelvis side of the anchor and do not move the line, and the short
    stretch where a tendon wraps its own trochanter is spanned by the chord.
    These are the lines of the fibres given; in a pose, :func:`actions` and
    :func:`held_moment_arms` take both points from the neutral fibres, each
    fixed in its bone.

    Parameters
    ----------
    fibres : numpy.ndarray
        ``(n, m, 3)`` polylines from origin (index 0) to insertion (index -1).
    anchor : float
        Fraction of the samples, 0 (origin) .. 1 (insertion), where the pull aims.
    leave : float
        Arc length in mm from the insertion to where the fibre leaves its bone
        (a muscle's ``approach`` distance).

    Returns
    -------
    points, directions : numpy.ndarray
        ``(n, 3)`` each: the points where the fibres leave the bone, the pulls.

    Examples
    --------
    >>> f = np.array([[[0.0, 100.0, 0.0], [0.0, 50.0, 0.0], [10.0, 0.0, 0.0]]])
    >>> lines_of_action(f, anchor=0.5)[1].round(3)
    array([[-0.196,  0.981,  0.   ]])
    """
    aim, ins = _ends(fibres, anchor, leave)
    d = aim - ins
    return ins, d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)


def _ends(fibres: np.ndarray, anchor: float, leave: float) -> tuple[np.ndarray, np.ndarray]:
    """``(n, 3)`` each: the fibres' anchors (where the pelvis lets them go) and where they leave their bone."""
    f = np.asarray(fibres, float)
    if not 0.0 <= anchor < 1.0:
        msg = f"anchor must be a fraction of the fibre in [0, 1), got {anchor!r}"
        raise ValueError(msg)
    x = anchor * (f.shape[1] - 1)
    k = int(np.floor(x))
    w = x - k
    aim = f[:, k] * (1.0 - w) + f[:, min(k + 1, f.shape[1] - 1)] * w
    ins = _back_along(f[:, k:], leave) if leave > 0.0 else f[:, -1]
    return aim, ins


def _back_along(f: np.ndarray, length: float) -> np.ndarray:
    """The point ``length`` mm of arc back from the last sample of each polyline (or its first)."""
    rev = f[:, ::-1]
    seg = np.linalg.norm(np.diff(rev, axis=1), axis=2)
    arc = np.concatenate([np.zeros((len(f), 1)), np.cumsum(seg, axis=1)], axis=1)
    target = np.minimum(length, arc[:, -1])
    k = np.clip((arc < target[:, None]).sum(axis=1), 1, f.shape[1] - 1)
    rows = np.arange(len(f))
    a0, a1 = arc[rows, k - 1], arc[rows, k]
    w = np.clip((target - a0) / np.maximum(a1 - a0, 1e-9), 0.0, 1.0)[:, None]
    return rev[rows, k - 1] * (1.0 - w) + rev[rows, k] * w


def moment_arms(
    fibres: np.ndarray, hip_center: np.ndarray, axes: np.ndarray, *, anchor: float = 0.3, leave: float = 0.0
) -> np.ndarray:
    """Moment arm of every fibre about each hip axis, mm.

    Parameters
    ----------
    fibres : numpy.ndarray
        ``(n, m, 3)`` fibres, origin to insertion (see :func:`lines_of_action`).
    hip_center : array_like
        ``(3,)`` centre of the hip.
    axes : numpy.ndarray
        ``(k, 3)`` unit axes, usually :func:`hip_axes`.
    anchor, leave : float
        See :func:`lines_of_action`.

    Returns
    -------
    numpy.ndarray
        ``(n, k)``: ``((insertion - hip_center) x pull) . axis``; positive
        produces flexion, adduction, internal rotation for :func:`hip_axes`
        (OpenSim's moment arm ``-dL/dq`` of a straight path).

    Examples
    --------
    A fibre pulling straight up on a point lateral to the hip abducts it:

    >>> from glute3d.anatomy.pose import AXES
    >>> f = np.array([[[0.0, 50.0, 50.0], [0.0, 0.0, 50.0]]])
    >>> moment_arms(f, np.zeros(3), AXES["r"], anchor=0.0).round(1)
    array([[  0., -50.,   0.]])
    """
    ins, u = lines_of_action(fibres, anchor=anchor, leave=leave)
    r = ins - np.asarray(hip_center, float)
    return np.cross(r, u) @ np.asarray(axes, float).T


def _spec(muscle_name: str) -> Any:
    from glute3d.anatomy.muscles.specs import muscle_specs

    specs = muscle_specs()
    base = muscle_name.rsplit("_", 1)[0]
    if base not in specs:
        raise KeyError(f"unknown muscle {muscle_name!r}{did_you_mean(base, specs)}")
    return specs[base]


def muscle_leave(muscle_name: str) -> float:
    """Where a muscle's fibres leave their insertion bone: its ``approach`` distance, mm.

    Examples
    --------
    >>> muscle_leave("gluteus_medius_l")
    12.0
    """
    return float(_spec(muscle_name).approach[0])


def muscle_anchor(muscle_name: str) -> float:
    """Where the lines of action of a muscle aim (fraction of the fibre): its ``follow`` start.

    Examples
    --------
    >>> muscle_anchor("piriformis_r")
    0.74
    """
    return float(_spec(muscle_name).follow[0])


def held_moment_arms(
    fibres: np.ndarray,
    hip_center: np.ndarray,
    rotations: np.ndarray,
    axes: np.ndarray,
    *,
    anchor: float = 0.3,
    leave: float = 0.0,
) -> np.ndarray:
    """Moment arms of neutral fibres in many hip poses, each line of action joining two points fixed in a bone.

    In any pose the line of action joins the fibre's anchor (:func:`lines_of_action`), the
    last point the pelvis holds, which stays where it is, to the point where the fibre leaves
    its insertion bone, which turns with the femur about the hip centre: two points, each
    fixed in its own bone, as the path points of a path-point model (Delp et al. 1990, IEEE
    Trans Biomed Eng 37:757; OpenSim's Gait2392).  Both are taken from the neutral fibres.
    The fibres regenerated for a pose (what is drawn) are re-wrapped and smoothed from the
    neutral ones carried by the femur, and their samples at those two points shift a few mm
    along the bone (piriformis: 4 mm down at 90° of flexion, FIDELITY.md); the bones they are
    held by do not move, so the lines use the held points.

    Parameters
    ----------
    fibres : numpy.ndarray
        ``(n, m, 3)`` neutral fibres, origin to insertion, pelvis frame.
    hip_center : array_like
        ``(3,)`` centre of the hip, pelvis frame.
    rotations : numpy.ndarray
        ``(P, 3, 3)`` femur rotations relative to the pelvis (:func:`hip_rotation`).
    axes : numpy.ndarray
        ``(P, k, 3)`` unit axes of each pose (:func:`hip_axes`).
    anchor, leave : float
        See :func:`lines_of_action`.

    Returns
    -------
    numpy.ndarray
        ``(P, n, k)`` mm; positive produces flexion, adduction, internal rotation.

    Examples
    --------
    A fibre anchored 40 mm behind and 30 mm above the hip centre, pulling on a femur point
    50 mm lateral and 10 mm behind it, rotates the hip externally at neutral and internally
    once flexed 90°:

    >>> f = np.array([[[-40.0, 40.0, -20.0], [-40.0, 30.0, 10.0], [-10.0, 0.0, 50.0]]])
    >>> rots = np.stack([hip_rotation(Pose(flexion=a), "r") for a in (0, 90)])
    >>> axes = np.stack([hip_axes(Pose(flexion=a), "r") for a in (0, 90)])
    >>> held_moment_arms(f, np.zeros(3), rots, axes, anchor=0.5)[:, 0, 2].round(1)
    array([-32.6,  23.1])
    """
    c = np.asarray(hip_center, float)
    aim, leave_at = _ends(fibres, anchor, leave)
    r = np.einsum("pij,fj->pfi", np.asarray(rotations, float), leave_at - c)  # (P, F, 3), turned with the femur
    d = (aim - c)[None] - r
    u = d / np.maximum(np.linalg.norm(d, axis=2, keepdims=True), 1e-12)
    return np.einsum("pfi,pki->pfk", np.cross(r, u), np.asarray(axes, float))


def moment_arm_sweep(model: Model, poses: Sequence[Pose], side: str = "r") -> dict[str, np.ndarray]:
    """Moment arms of every fibre of every muscle of ``side`` over many poses, without regenerating muscles.

    The lines of action are those of :func:`held_moment_arms` (the anchor held by the pelvis,
    the point where the fibre leaves its insertion bone carried by the femur), the same as
    :func:`actions` gives pose by pose, at a fraction of a millisecond per pose: for
    animations and sweeps over the range of motion.

    Parameters
    ----------
    model : Model
        Any model; its neutral muscles are used.
    poses : sequence of Pose
        The hip poses (only ``side``'s angles matter).
    side : {"r", "l"}

    Returns
    -------
    dict of str to numpy.ndarray
        Sided muscle name to ``(n_poses, n_fibres, 3)`` mm about the flexion, adduction and
        internal-rotation axes of each pose.

    Examples
    --------
    >>> import glute3d
    >>> sweep = moment_arm_sweep(glute3d.load_model(), [Pose(flexion=f) for f in (0, 90)])
    >>> arms = sweep["piriformis_r"].mean(axis=1)[:, 2]     # mean rotation arm, mm
    >>> bool(arms[0] < 0 < arms[1])      # external rotator extended, internal flexed 90°
    True
    """
    neutral = model.neutral
    c = np.asarray(neutral.hip_centers[side], float)
    rots = np.stack([hip_rotation(p, side) for p in poses])  # (P, 3, 3)
    axes = np.stack([hip_axes(p, side) for p in poses])  # (P, 3, 3)
    return {
        name: held_moment_arms(muscle.fibres, c, rots, axes, anchor=muscle_anchor(name), leave=muscle_leave(name))
        for name, muscle in neutral.muscles.items()
        if muscle.side == side
    }


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


def actions(model: Model, name: str, pose: Pose | None = None, *, anchor: float | None = None) -> Action:
    """The hip actions of a muscle or muscle part in a pose.

    The lines of action are those of :func:`held_moment_arms`: each fibre pulls from where it
    leaves its insertion bone, carried by the femur, toward its anchor, held by the pelvis
    (both taken from the neutral fibres, so no muscle is regenerated for the pose).  A pelvis
    turned in the room (tilt, list, rotation) turns the joint axes with it and changes no arm.

    Parameters
    ----------
    model : Model
        Any model; its neutral muscles are used.
    name : str
        Sided muscle name (``"gluteus_medius_r"``) or part name
        (``"gluteus_medius_anterior_r"``).
    pose : Pose, optional
        Defaults to the model's own pose.
    anchor : float, optional
        See :func:`lines_of_action`; default: the muscle's own (:func:`muscle_anchor`).

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
    >>> act.produces("abduction"), act.parts["posterior"].produces("external_rotation")
    (True, True)
    """
    use_pose = pose if pose is not None else (model.pose if model.pose is not None else Pose())
    neutral = model.neutral
    muscle, part = _resolve(name, neutral.muscles)
    side = muscle.side
    at = muscle_anchor(muscle.name) if anchor is None else anchor
    arms = held_moment_arms(
        muscle.fibres,
        neutral.hip_centers[side],
        hip_rotation(use_pose, side)[None],
        hip_axes(use_pose, side)[None],
        anchor=at,
        leave=muscle_leave(muscle.name),
    )[0]

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
