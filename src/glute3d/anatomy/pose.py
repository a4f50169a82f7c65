"""Hip pose and joint transforms.

The hip is a ball joint with three coordinates, as in OpenSim's gait models
(ISB recommendation): flexion about the pelvis Z axis, then adduction about the
once-rotated X axis, then internal rotation about the twice-rotated Y axis (the
femur's long axis).  For the right side the axes are ``(0, 0, 1)``,
``(1, 0, 0)``, ``(0, 1, 0)``; for the left ``(0, 0, 1)``, ``(-1, 0, 0)``,
``(0, -1, 0)``, so a positive angle means the same movement on both sides and
the left hip is the mirror image of the right.

The pelvis itself can be posed in the room (OpenSim's pelvis coordinates, ISB): tilt about the
room's Z axis, then list (obliquity) about the once-rotated X axis, then rotation about the
twice-rotated Y axis, each positive by the right-hand rule, about the pelvis origin (the
midpoint of the anterior superior iliac spines).  So a positive tilt lifts the front of the
pelvis (posterior tilt), a positive list lowers its right side, a positive rotation turns its
front to the left.  The hip angles stay relative to the pelvis: in single-leg stance the pelvis
dropping to the swing side and the stance hip adducting are one movement seen from the room
and from the femur (:meth:`Pose.single_leg_stance`).

Examples
--------
>>> Pose(flexion=60).angles("r")
(60.0, 0.0, 0.0)
>>> Pose.single_leg_stance("r", pelvic_drop=8).angles("r")   # the stance hip adducts 8 degrees
(0.0, 8.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glute3d.geometry.transforms import axis_rotation
from glute3d.sides import SIDES

__all__ = [
    "AXES",
    "finite_number",
    "COORDINATES",
    "MOVEMENTS",
    "PELVIS_COORDINATES",
    "PELVIS_RANGES",
    "RANGES",
    "Pose",
    "PoseError",
    "hip_axes",
    "hip_rotation",
    "hip_transform",
    "pelvis_transform",
]

COORDINATES = ("flexion", "adduction", "rotation")
#: Allowed range of each coordinate, degrees (inclusive).
RANGES: dict[str, tuple[float, float]] = {
    "flexion": (-30.0, 120.0),
    "adduction": (-50.0, 30.0),
    "rotation": (-45.0, 45.0),
}
PELVIS_COORDINATES = ("pelvis_tilt", "pelvis_list", "pelvis_rotation")
#: Allowed range of each pelvis coordinate, degrees (inclusive): beyond them the model's legs and
#: skin (built for a standing pelvis) would no longer be anatomy a lecture can use.
PELVIS_RANGES: dict[str, tuple[float, float]] = {
    "pelvis_tilt": (-30.0, 30.0),
    "pelvis_list": (-20.0, 20.0),
    "pelvis_rotation": (-30.0, 30.0),
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
    pelvis_tilt, pelvis_list, pelvis_rotation : float
        The pelvis in the room, degrees (see the module docstring): posterior tilt (+) /
        anterior tilt (-), right side down (+) / left side down (-), front turned to the
        left (+) / right (-).

    Raises
    ------
    PoseError
        A value outside `RANGES` or `PELVIS_RANGES`, not a finite number, or an unknown side.

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
    pelvis_tilt: float = 0.0
    pelvis_list: float = 0.0
    pelvis_rotation: float = 0.0
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
        for name in PELVIS_COORDINATES:
            object.__setattr__(self, name, _checked(name, getattr(self, name), None))

    def angles(self, side: str) -> tuple[float, float, float]:
        """``(flexion, adduction, rotation)`` of hip ``side`` in degrees."""
        if side not in SIDES:
            msg = f"side {side!r} is not one of 'r', 'l'"
            raise PoseError(msg, field="side", value=side, allowed=SIDES)
        return self._angles[side]

    @property
    def pelvis(self) -> tuple[float, float, float]:
        """``(tilt, list, rotation)`` of the pelvis in the room, degrees."""
        return (self.pelvis_tilt, self.pelvis_list, self.pelvis_rotation)

    @property
    def is_neutral(self) -> bool:
        """True when every angle of both hips and of the pelvis is zero."""
        return all(a == 0.0 for s in SIDES for a in self._angles[s]) and not any(self.pelvis)

    @classmethod
    def single_leg_stance(cls, side: str, pelvic_drop: float = 0.0, **hips: Any) -> Pose:
        """Standing on leg ``side`` with the pelvis dropped ``pelvic_drop`` degrees to the swing side.

        One movement, two frames: seen from the room the pelvis lists (obliquity) toward the
        unsupported side; seen from the stance femur, which stays upright, its hip adducts by
        the same angle.  A negative drop lifts the swing side (the stance hip abducts).  With
        further stance-hip angles the femur is upright up to the order of the rotations (the
        drop composes with them; under a degree for angles of ten degrees or so).

        Parameters
        ----------
        side : {"r", "l"}
            The stance leg.
        pelvic_drop : float
            Degrees, toward the swing side.
        **hips
            Further hip angles (``flexion=``, ``rotation=``, a per-side ``adduction=`` table...),
            added to the stance hip's adduction; the swing hip keeps what it is given.

        Examples
        --------
        >>> p = Pose.single_leg_stance("l", pelvic_drop=10)
        >>> p.pelvis_list, p.angles("l")[1]     # right side down; left hip adducted
        (10.0, 10.0)
        """
        if side not in SIDES:
            msg = f"stance side {side!r} is not one of 'r', 'l'"
            raise PoseError(msg, field="side", value=side, allowed=SIDES)
        drop = _checked("pelvic_drop", pelvic_drop, None, PELVIS_RANGES["pelvis_list"])
        given = hips.pop("adduction", 0.0)
        adduction = dict(given) if isinstance(given, Mapping) else {s: given for s in SIDES}
        adduction = {s: float(adduction.get(s, 0.0)) for s in SIDES}
        adduction[side] += drop
        # the swing side goes down: the left for right stance (negative list), the right for left
        return cls(adduction=adduction, pelvis_list=-drop if side == "r" else drop, **hips)

    def __str__(self) -> str:
        parts = []
        for s in SIDES:
            f, a, r = self._angles[s]
            parts.append(f"{s}: flexion {f:g}°, adduction {a:g}°, rotation {r:g}°")
        if any(self.pelvis):
            t, li, ro = self.pelvis
            parts.append(f"pelvis: tilt {t:g}°, list {li:g}°, rotation {ro:g}°")
        return "; ".join(parts)


def finite_number(value: Any) -> float:
    """``value`` as a float, or NaN when it is no finite number (a bool, a string, inf, NaN).

    Examples
    --------
    >>> finite_number("12.5"), math.isnan(finite_number(True)), math.isnan(finite_number("x"))
    (12.5, True, True)
    """
    if isinstance(value, bool):
        return math.nan
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def _checked(name: str, value: Any, side: str | None, allowed: tuple[float, float] | None = None) -> float:
    lo, hi = allowed or (RANGES[name] if name in RANGES else PELVIS_RANGES[name])
    where = f"pose {name} ({side})" if side else f"pose {name}"
    v = finite_number(value)
    if math.isnan(v):
        msg = f"{where} must be a finite number of degrees, got {value!r}"
        raise PoseError(msg, field=name, value=value, allowed=(lo, hi))
    if not lo <= v <= hi:
        msg = f"{where} = {v:g}° is outside the allowed range {lo:g}..{hi:g}°"
        raise PoseError(msg, field=name, value=value, allowed=(lo, hi))
    return v


# ============================================================================ transforms


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


def pelvis_transform(pose: Pose) -> np.ndarray:
    """The ``(4, 4)`` rigid transform of the pelvis (and all it carries) in the room.

    ``R = R(Z, tilt) R(X, list) R(Y, rotation)`` about the pelvis origin (OpenSim's pelvis
    ``CustomJoint``: body-fixed Z-X-Y).

    Examples
    --------
    >>> T = pelvis_transform(Pose(pelvis_list=10))
    >>> bool((T[:3, :3] @ [0.0, 0.0, 100.0])[1] < 0)   # positive list: the right side goes down
    True
    """
    tilt, lst, rot = pose.pelvis
    t = np.eye(4)
    t[:3, :3] = (
        axis_rotation(np.array([0.0, 0.0, 1.0]), tilt)
        @ axis_rotation(np.array([1.0, 0.0, 0.0]), lst)
        @ axis_rotation(np.array([0.0, 1.0, 0.0]), rot)
    )
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
