"""Single-leg stance: the frontal-plane statics of the stance hip, from the model's own abductors.

Everything above the stance hip (head, arms, trunk and the swing leg: body weight minus the
stance leg) hangs on the femoral head; its weight acts at its centre of mass, medial to the
hip, and the abductors (gluteus medius and minimus) must balance its moment (Pauwels' model).
The hip centre, the lumbosacral joint (top of the sacrum) and the greater trochanter come from
the model, the abductors' lever arm and line of action from their fibres
(:mod:`glute3d.teaching.actions`, weighted by physiological cross-sectional area), the segment
masses and centres of mass from Dempster's table (``data/stance.toml``).

With weak abductors (``abductor_strength`` < 1: the fraction of the moment level stance needs
that they can supply) the pelvis drops toward the swing side until the moments balance, or to
the limit of the pose; leaning the trunk toward the stance side over the hip (Duchenne) brings
the weight's moment down to what the abductors can hold.

Examples
--------
>>> import glute3d
>>> s = glute3d.stance.single_leg_stance(glute3d.load_model())
>>> 1.5 < s.abductor_force_bw < 2.5 and 2.0 < s.joint_force_bw < 3.0
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import Field

from glute3d.anatomy.pose import AXES, PELVIS_RANGES, Pose
from glute3d.errors import DataFileError
from glute3d.io.datafiles import read_data
from glute3d.io.validation import StrictTable
from glute3d.sides import SIDES
from glute3d.teaching.actions import lines_of_action, moment_arm_sweep, muscle_anchor, muscle_leave

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.model.model import Model

__all__ = ["BoneShape", "Stance", "StanceDataError", "StanceError", "StanceSpec", "single_leg_stance", "stance_spec"]

Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]


class StanceDataError(DataFileError):
    """``stance.toml`` is wrong: one line naming the file, the field, the line and the fix."""

    placeholder = "stance.toml"


class StanceError(ValueError):
    """A bad argument to :func:`single_leg_stance` (one line naming it and the fix)."""


class Segments(StrictTable):
    leg_mass: Fraction  # total leg / body mass
    leg_com: Fraction  # from the greater trochanter toward the malleolus
    hat_mass: Fraction  # head, arms and trunk / body mass
    hat_com: Fraction  # from the greater trochanter toward the glenohumeral joint
    trochanter_height: Fraction  # / stature
    shoulder_height: Fraction
    ankle_height: Fraction


class Body(StrictTable):
    stature: Annotated[float, Field(ge=1000.0, le=2200.0)]  # mm


class Abductor(StrictTable):
    pcsa: Annotated[float, Field(gt=0.0, le=100.0)]  # cm2


Angle = Annotated[float, Field(ge=90.0, le=180.0)]  # degrees
Offset = Annotated[float, Field(ge=10.0, le=80.0)]  # mm


class BoneShape(StrictTable):
    """Published neck-shaft angles and offsets, and the effect of the offset (see ``stance.toml``)."""

    neck_shaft_angle_mean: Angle
    neck_shaft_angle_range: tuple[Angle, Angle]
    offset_men: Offset
    offset_women: Offset
    offset_change: Fraction
    moment_arm_change: Fraction
    abductor_force_change: Fraction
    joint_force_change: Fraction


class StanceSpec(StrictTable):
    """What ``data/stance.toml`` holds (see its comments for the sources)."""

    segments: Segments
    body: Body
    abductors: Annotated[dict[str, Abductor], Field(min_length=1)]
    bone_shape: BoneShape


@cache
def _packaged() -> StanceSpec:
    return read_data(StanceSpec, "stance.toml", None, StanceDataError)


def stance_spec(path: str | Path | None = None) -> StanceSpec:
    """The stance data (packaged, or the file at ``path``), validated.

    Examples
    --------
    >>> stance_spec().abductors["gluteus_minimus"].pcsa
    8.29
    """
    return _packaged() if path is None else read_data(StanceSpec, "stance.toml", path, StanceDataError)


# ============================================================================ result
@dataclass(frozen=True)
class Stance:
    """Frontal-plane equilibrium of single-leg stance on hip ``side`` (forces in body weights, BW).

    Attributes
    ----------
    side : str
        The stance leg.
    abductor_strength : float
        The abductors' capacity as a fraction of the moment level stance needs.
    abductor_force_bw, joint_force_bw : float
        Resultant abductor force and hip joint (contact) force needed to hold the pelvis level
        with the trunk upright, in the frontal plane.
    abductor_lever_arm_mm : float
        Perpendicular distance from the hip centre to the abductors' resultant line of action.
    abductor_moment_arm_mm : float
        The abductors' abduction moment arm about the hip's anteroposterior axis, fibre by fibre
        (:func:`~glute3d.teaching.actions.lines_of_action`) and weighted by cross-section (3D;
        the frontal-plane lever arm above is the same moment over the resultant's in-plane pull).
    abductor_angle_deg : float
        That line's inclination from the vertical (its top medial).
    weight_lever_arm_mm : float
        Horizontal distance from the hip centre to the centre of mass it carries (medial).
    supported_weight_bw : float
        Body weight minus the stance leg.
    joint_force_angle_deg : float
        The joint force's inclination from the vertical.
    pelvic_drop_deg : float
        Toward the swing side, trunk upright, when the abductors fall short (0 when they hold).
    drop_limited : bool
        True when no dropped position balances within the pose's range: the drop shown is the
        pose limit (passive structures, not modelled, stop it there).
    trunk_lean_deg : float
        Lean toward the stance side about the lumbosacral joint that lets the available abductor
        moment hold the pelvis level (0 when they hold; 90 if no lean could).
    joint_force_lean_bw : float
        The joint force with that lean and the abductors at their capacity.
    lean_lever_mm : float
        Height of the upper body's centre of mass above the lumbosacral joint.
    hip_center, com, lumbosacral : numpy.ndarray
        ``(3,)`` model points, mm: the stance hip centre, the supported centre of mass, the
        lumbosacral joint.
    abductor_force, joint_force : numpy.ndarray
        ``(3,)`` vectors in BW (frontal plane: x = 0): the abductors' resultant pull on the femur
        (upward and medial; on the pelvis it pulls the other way) and the femoral head's push on
        the pelvis.
    abductor_point : numpy.ndarray
        ``(3,)`` a point of the abductors' resultant line of action, mm.
    """

    side: str
    abductor_strength: float
    abductor_force_bw: float
    joint_force_bw: float
    abductor_lever_arm_mm: float
    abductor_moment_arm_mm: float
    abductor_angle_deg: float
    weight_lever_arm_mm: float
    supported_weight_bw: float
    joint_force_angle_deg: float
    pelvic_drop_deg: float
    drop_limited: bool
    trunk_lean_deg: float
    joint_force_lean_bw: float
    lean_lever_mm: float
    hip_center: np.ndarray
    com: np.ndarray
    lumbosacral: np.ndarray
    abductor_force: np.ndarray
    joint_force: np.ndarray
    abductor_point: np.ndarray

    @property
    def abductor_to_weight_ratio(self) -> float:
        """Lever-arm ratio weight : abductors (Pauwels' figure of about 3 : 1)."""
        return self.weight_lever_arm_mm / self.abductor_lever_arm_mm

    def summary(self) -> str:
        """One line for a caption or a terminal."""
        text = (
            f"abductors {self.abductor_force_bw:.1f} x BW at a {self.abductor_lever_arm_mm:.0f} mm lever arm, "
            f"weight {self.supported_weight_bw:.2f} x BW at {self.weight_lever_arm_mm:.0f} mm, "
            f"hip joint {self.joint_force_bw:.1f} x BW"
        )
        if self.abductor_strength < 1.0:
            limit = " (the pose limit)" if self.drop_limited else ""
            text += (
                f"; at {self.abductor_strength:.0%} strength the pelvis drops {self.pelvic_drop_deg:.0f}°{limit}, "
                f"or a trunk lean of {self.trunk_lean_deg:.0f}° keeps it level"
            )
        return text


# ============================================================================ statics
def _check(side: Any, strength: Any) -> tuple[str, float]:
    if side not in SIDES:
        raise StanceError(f"stance side {side!r} is not one of 'r', 'l'")
    try:
        s = float(strength)
    except (TypeError, ValueError):
        s = math.nan
    if isinstance(strength, bool) or not math.isfinite(s) or not 0.0 <= s <= 2.0:
        msg = (
            "abductor_strength must be a number from 0 (paralysed) to 2 (twice what level stance needs), "
            f"got {strength!r}"
        )
        raise StanceError(msg)
    return side, s


def _abductors(model: Model, side: str, spec: StanceSpec) -> tuple[float, np.ndarray, np.ndarray]:
    """Per unit of total abductor tension (shared by cross-section): the adduction-axis moment arm
    (mm, < 0 abducts), the frontal-plane resultant pull on the femur ``(3,)`` and a point of its line."""
    neutral = model.neutral
    c = np.asarray(neutral.hip_centers[side], float)
    total = sum(a.pcsa for a in spec.abductors.values())
    arm, pull, moment_vec = 0.0, np.zeros(3), np.zeros(3)
    muscles = neutral.neutral_muscles(side, list(spec.abductors))
    for base, entry in spec.abductors.items():
        name = f"{base}_{side}"
        muscle = muscles[name]
        share = entry.pcsa / total
        w = share * np.asarray(muscle.weights, float) / float(np.sum(muscle.weights))
        ins, u = lines_of_action(muscle.fibres, anchor=muscle_anchor(name), leave=muscle_leave(name))
        torque = np.cross(ins - c, u)
        arm += float(w @ torque @ AXES[side][1])
        pull += w @ u
        moment_vec += w @ torque
    pull[0] = 0.0  # the frontal plane
    # a point of the resultant line: p with (p - c) x pull = the fibres' frontal moment
    mx = float(moment_vec[0])
    perp = np.array([0.0, pull[2], -pull[1]]) / float(pull[1] ** 2 + pull[2] ** 2)
    return arm, pull, c + mx * perp


def _lumbosacral(model: Model) -> np.ndarray:
    """The lumbosacral joint: the middle of the top of the sacrum (the S1 end plate), pelvis frame."""
    v = np.asarray(model.neutral.bones["sacrum"].vertices, float)
    mid = v[np.abs(v[:, 2]) < 15.0]
    top = mid[mid[:, 1] > mid[:, 1].max() - 6.0].mean(axis=0)
    top[2] = 0.0
    return top


def _arm_ratio(model: Model, side: str, spec: StanceSpec, drops: np.ndarray) -> np.ndarray:
    """The abductors' adduction moment arm at stance-hip adduction ``drops`` over the level one."""
    total = sum(a.pcsa for a in spec.abductors.values())
    sweep = moment_arm_sweep(model, [Pose(adduction=float(d), side=side) for d in drops], side)
    arms = np.zeros(len(drops))
    for base, entry in spec.abductors.items():
        muscle = model.neutral.muscles[f"{base}_{side}"]
        w = np.asarray(muscle.weights, float) / float(np.sum(muscle.weights))
        arms += entry.pcsa / total * (sweep[f"{base}_{side}"][:, :, 1] @ w)
    return arms / arms[0]


# long: one equilibrium told in order (masses, lever arms, forces, drop, lean)
def single_leg_stance(
    model: Model, side: str = "r", abductor_strength: float = 1.0, *, spec: StanceSpec | None = None
) -> Stance:
    """The frontal-plane statics of standing on leg ``side``.

    Parameters
    ----------
    model : Model
        Any model; its neutral bones and muscles are used (the pelvis level, the femur upright).
    side : {"r", "l"}
        The stance leg.
    abductor_strength : float
        What the abductors can hold, as a fraction of the moment level stance needs (1: enough;
        0.5: half, as with a partial superior gluteal nerve palsy; 0: paralysed).  From 0 to 2.
    spec : StanceSpec, optional
        Segment and muscle data (default: ``data/stance.toml``).

    Returns
    -------
    Stance

    Raises
    ------
    StanceError
        An unknown side or a strength outside 0..2 (one line).

    Examples
    --------
    >>> import glute3d
    >>> weak = single_leg_stance(glute3d.load_model(), "l", abductor_strength=0.5)
    >>> weak.pelvic_drop_deg > 0 and 5 < weak.trunk_lean_deg < 40
    True
    """
    side, strength = _check(side, abductor_strength)
    spec = spec or stance_spec()
    seg, stature = spec.segments, spec.body.stature
    neutral = model.neutral
    c = np.asarray(neutral.hip_centers[side], float)
    other = np.asarray(neutral.hip_centers["l" if side == "r" else "r"], float)
    lateral = 1.0 if side == "r" else -1.0  # +z is lateral for the right hip
    trochanter = np.asarray(neutral.landmark(f"greater_trochanter_tip_{side}"), float)
    ls = _lumbosacral(model)

    # masses and centres of mass (fractions of body weight; mm)
    hat_h = seg.hat_com * (seg.shoulder_height - seg.trochanter_height) * stature
    leg_len = (seg.trochanter_height - seg.ankle_height) * stature
    hat = np.array([ls[0], trochanter[1] + hat_h, 0.0])  # on the midline
    swing = np.array([other[0], other[1] - seg.leg_com * leg_len, other[2]])  # hanging under its hip
    m_s = seg.hat_mass + seg.leg_mass
    com = (seg.hat_mass * hat + seg.leg_mass * swing) / m_s
    weight = np.array([0.0, -m_s, 0.0])
    d = lateral * float(c[2] - com[2])  # medial distance of the weight's line from the hip, mm

    # abductors: tension F along their resultant pull balances the weight's moment
    arm, pull, point = _abductors(model, side, spec)
    tension = m_s * d / abs(arm)
    f_abd = tension * pull
    joint = -(weight - f_abd)  # the femoral head's push on the pelvis: W + (-F) + J = 0
    lever = m_s * d / float(np.linalg.norm(f_abd))

    # weakness: the pelvis drops about the hip (trunk upright, swing leg hanging), tension fixed
    lim = PELVIS_RANGES["pelvis_list"][1]
    drop, limited = 0.0, False
    if strength < 1.0:
        drops = np.linspace(0.0, lim, 41)
        phi = np.radians(drops)
        h_ls = float(ls[1] - c[1])
        half = lateral * float(c[2] - ls[2])
        m_w = seg.hat_mass * (half * np.cos(phi) + h_ls * np.sin(phi)) + seg.leg_mass * 2 * half * np.cos(phi)
        held = strength * m_s * d * _arm_ratio(model, side, spec, drops) - m_w
        ok = np.nonzero(held >= 0.0)[0]
        if len(ok):
            k = int(ok[0])
            t = held[k - 1] / (held[k - 1] - held[k])
            drop = float(drops[k - 1] + t * (drops[k] - drops[k - 1]))
        else:
            drop, limited = lim, True

    # Duchenne: lean the upper body about the lumbosacral joint until the moment is what they hold
    lean_lever = float(hat[1] - ls[1])
    deficit = max(0.0, 1.0 - strength) * m_s * d
    s = deficit / (seg.hat_mass * lean_lever)
    lean = math.degrees(math.asin(s)) if s < 1.0 else 90.0
    joint_lean = float(np.linalg.norm(-(weight - min(strength, 1.0) * f_abd)))

    return Stance(
        side=side,
        abductor_strength=strength,
        abductor_force_bw=float(np.linalg.norm(f_abd)),
        joint_force_bw=float(np.linalg.norm(joint)),
        abductor_lever_arm_mm=lever,
        abductor_moment_arm_mm=-arm,
        abductor_angle_deg=math.degrees(math.atan2(abs(pull[2]), pull[1])),
        weight_lever_arm_mm=d,
        supported_weight_bw=m_s,
        joint_force_angle_deg=math.degrees(math.atan2(abs(joint[2]), joint[1])),
        pelvic_drop_deg=drop,
        drop_limited=limited,
        trunk_lean_deg=lean,
        joint_force_lean_bw=joint_lean,
        lean_lever_mm=lean_lever,
        hip_center=c,
        com=com,
        lumbosacral=ls,
        abductor_force=f_abd,
        joint_force=joint,
        abductor_point=point,
    )
