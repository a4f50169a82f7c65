"""Hip pose, joint transforms, moment arms and muscle actions.

The hip is a ball joint with three coordinates, as in OpenSim's gait models
(ISB recommendation): flexion about the pelvis Z axis, then adduction about the
once-rotated X axis, then internal rotation about the twice-rotated Y axis (the
femur's long axis).  For the right side the axes are ``(0, 0, 1)``,
``(1, 0, 0)``, ``(0, 1, 0)``; for the left ``(0, 0, 1)``, ``(-1, 0, 0)``,
``(0, -1, 0)``, so a positive angle means the same movement on both sides and
the left hip is the mirror image of the right.

A moment arm about an axis is ``(r x u) . axis`` in mm, with ``r`` from the hip
centre to the insertion and ``u`` the unit pull of the fibre on the femur; a
positive value produces flexion, adduction or internal rotation.

Examples
--------
>>> import glute3d
>>> from glute3d.kinematics import Pose, actions
>>> model = glute3d.load_model()
>>> flexed = model.posed(Pose(flexion=60))
>>> actions(model, "gluteus_minimus_r", Pose(flexion=60)).produces("internal_rotation")
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .model import Model

SIDES = ("r", "l")
COORDINATES = ("flexion", "adduction", "rotation")
#: Allowed range of each coordinate, degrees (inclusive).
RANGES: dict[str, tuple[float, float]] = {
    "flexion": (-30.0, 120.0),
    "adduction": (-50.0, 30.0),
    "rotation": (-45.0, 45.0),
}
#: Joint axes per side, in the order flexion, adduction, internal rotation (OpenSim gait2392).
AXES: dict[str, np.ndarray] = {
    "r": np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
    "l": np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]),
}
#: Movement names for the negative and positive direction of each coordinate.
MOVEMENTS: tuple[tuple[str, str], ...] = (
    ("extension", "flexion"),
    ("abduction", "adduction"),
    ("external_rotation", "internal_rotation"),
)
_MOVEMENT_AXIS = {name: (k, sign) for k, pair in enumerate(MOVEMENTS) for sign, name in zip((-1, 1), pair)}


class PoseError(ValueError):
    """A pose value is not a number, is outside its range, or names an unknown side.

    Attributes
    ----------
    field : str
        The offending field (``"flexion"``, ``"adduction"``, ``"rotation"`` or ``"side"``).
    value : object
        The value given.
    allowed : object
        The allowed range ``(lo, hi)`` in degrees, or the allowed set.
    """

    def __init__(self, message: str, *, field: str, value: Any, allowed: Any) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.allowed = allowed


# ============================================================================ pose
@dataclass(frozen=True)
class Pose:
    """Angles of both hips, degrees.

    Parameters
    ----------
    flexion, adduction, rotation : float or mapping of side to float
        Hip flexion (negative: extension), adduction (negative: abduction) and
        internal rotation (negative: external).  A number applies to every side
        selected by ``side``; a mapping such as ``{"r": 30, "l": 0}`` gives each
        side its own value (a missing side is 0).
    side : {"both", "r", "l"}
        Which hips a plain number applies to; the other hip stays neutral.

    Raises
    ------
    PoseError
        A value outside `RANGES`, not a finite number, or an unknown side.

    Examples
    --------
    >>> Pose(flexion=90).angles("l")
    (90.0, 0.0, 0.0)
    >>> Pose(flexion=90, side="r").angles("l")
    (0.0, 0.0, 0.0)
    >>> Pose(rotation={"r": 20, "l": -10}).angles("l")
    (0.0, 0.0, -10.0)
    """

    flexion: float | Mapping[str, float] = 0.0
    adduction: float | Mapping[str, float] = 0.0
    rotation: float | Mapping[str, float] = 0.0
    side: str = "both"
    _angles: dict[str, tuple[float, float, float]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.side not in ("both", *SIDES):
            msg = f"pose side {self.side!r} is not one of 'both', 'r', 'l'"
            raise PoseError(msg, field="side", value=self.side, allowed=("both", *SIDES))
        per_side: dict[str, list[float]] = {s: [0.0, 0.0, 0.0] for s in SIDES}
        for k, name in enumerate(COORDINATES):
            raw = getattr(self, name)
            if isinstance(raw, Mapping):
                bad = set(raw) - set(SIDES)
                if bad:
                    msg = f"pose {name}: unknown side(s) {sorted(bad)}; use 'r' and 'l'"
                    raise PoseError(msg, field=name, value=dict(raw), allowed=SIDES)
                values = {s: raw.get(s, 0.0) for s in SIDES}
            else:
                values = {s: raw for s in SIDES}
            for s in SIDES:
                if self.side not in ("both", s):
                    continue
                per_side[s][k] = _checked(name, values[s], s)
        object.__setattr__(self, "_angles", {s: tuple(v) for s, v in per_side.items()})

    def angles(self, side: str) -> tuple[float, float, float]:
        """``(flexion, adduction, rotation)`` of hip ``side`` in degrees."""
        if side not in SIDES:
            msg = f"side {side!r} is not one of 'r', 'l'"
            raise PoseError(msg, field="side", value=side, allowed=SIDES)
        return self._angles[side]

    @property
    def is_neutral(self) -> bool:
        """True when every angle of both hips is zero."""
        return all(a == 0.0 for s in SIDES for a in self._angles[s])

    def __str__(self) -> str:
        parts = []
        for s in SIDES:
            f, a, r = self._angles[s]
            parts.append(f"{s}: flexion {f:g}°, adduction {a:g}°, rotation {r:g}°")
        return "; ".join(parts)


def _checked(name: str, value: Any, side: str) -> float:
    lo, hi = RANGES[name]
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if isinstance(value, bool) or not math.isfinite(v):
        msg = f"pose {name} ({side}) must be a finite number of degrees, got {value!r}"
        raise PoseError(msg, field=name, value=value, allowed=(lo, hi))
    if not lo <= v <= hi:
        msg = f"pose {name} ({side}) = {v:g}° is outside the allowed range {lo:g}..{hi:g}°"
        raise PoseError(msg, field=name, value=value, allowed=(lo, hi))
    return v


# ============================================================================ transforms
def axis_rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    """Right-handed rotation matrix about unit ``axis`` (Rodrigues)."""
    a = np.asarray(axis, float)
    a = a / np.linalg.norm(a)
    t = math.radians(degrees)
    k = np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])
    return np.eye(3) + math.sin(t) * k + (1.0 - math.cos(t)) * (k @ k)


def hip_rotation(pose: Pose, side: str) -> np.ndarray:
    """The ``(3, 3)`` rotation of femur ``side`` relative to the pelvis.

    ``R = R(a1, flexion) R(a2, adduction) R(a3, rotation)`` with the side's axes
    `AXES` (body-fixed sequence, as OpenSim's ``CustomJoint``).
    """
    f, a, r = pose.angles(side)
    ax = AXES[side]
    return axis_rotation(ax[0], f) @ axis_rotation(ax[1], a) @ axis_rotation(ax[2], r)


def hip_transform(pose: Pose, side: str, hip_center: np.ndarray) -> np.ndarray:
    """The ``(4, 4)`` rigid transform moving femur ``side`` from neutral to ``pose``.

    Parameters
    ----------
    pose : Pose
        Hip angles.
    side : {"r", "l"}
        Which femur.
    hip_center : array_like
        ``(3,)`` centre of rotation (the femoral head centre), pelvis frame.

    Returns
    -------
    numpy.ndarray
        ``T`` with ``T @ [p, 1]`` the posed position of a neutral femur point ``p``.

    Examples
    --------
    >>> T = hip_transform(Pose(flexion=90), "r", np.zeros(3))
    >>> np.round(T[:3, :3] @ [0.0, -1.0, 0.0], 6)  # the knee moves forward
    array([ 1., -0.,  0.])
    """
    c = np.asarray(hip_center, float)
    rot = hip_rotation(pose, side)
    t = np.eye(4)
    t[:3, :3] = rot
    t[:3, 3] = c - rot @ c
    return t


def hip_axes(pose: Pose, side: str) -> np.ndarray:
    """Current joint axes ``(3, 3)``: rows flexion, adduction, internal-rotation axis (pelvis frame).

    The flexion axis is fixed in the pelvis, the adduction axis turns with
    flexion and the rotation axis is the femur's own (twice-rotated) axis.
    """
    f, a, _ = pose.angles(side)
    ax = AXES[side]
    r1 = axis_rotation(ax[0], f)
    r2 = r1 @ axis_rotation(ax[1], a)
    return np.stack([ax[0], r1 @ ax[1], r2 @ ax[2]])


def posed(model: Model, pose: Pose) -> Model:
    """A copy of ``model`` with both femurs (meshes and landmarks) moved to ``pose``.

    The pelvis is untouched.  The pose is absolute: posing an already posed
    model starts again from its neutral model.  Muscles of the returned model
    are generated for the pose when first asked for.

    Parameters
    ----------
    model : Model
        Any model (neutral or posed).
    pose : Pose
        Hip angles.

    Returns
    -------
    Model
        Shares the pelvis meshes and every pose-independent cache with ``model``.
    """
    from .landmarks import Landmarks

    if not isinstance(pose, Pose):
        msg = f"pose must be a glute3d.kinematics.Pose, got {type(pose).__name__}"
        raise PoseError(msg, field="pose", value=pose, allowed="Pose")
    neutral = model.neutral
    bones = dict(neutral.bones)
    lm = neutral.landmarks
    points, curves = dict(lm.points), dict(lm.curves)
    for side in SIDES:
        femur = f"femur_{side}"
        t = hip_transform(pose, side, neutral.hip_centers[side])
        bones[femur] = neutral.bones[femur].transformed(t)
        for table in (points, curves):
            for name, (bone, xyz) in table.items():
                if bone == femur:
                    table[name] = (bone, xyz @ t[:3, :3].T + t[:3, 3])
    landmarks = Landmarks(points=points, curves=curves, regions=dict(lm.regions))
    return type(neutral)(
        bones=bones,
        landmarks=landmarks,
        parameters=neutral.parameters,
        source=neutral.source,
        pose=pose,
        _cache={"neutral": neutral},
    )


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
        return [
            {MOVEMENTS[k][int(row[k] > 0)]: float(abs(row[k])) for k in range(3)} for row in self.moment_arms
        ]


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
    import difflib

    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise KeyError(f"unknown muscle or part {name!r}{hint} (valid: {', '.join(sorted(valid))})")
