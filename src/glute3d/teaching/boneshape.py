"""Bone shape matters: the abductors' lever and the forces of single-leg stance against the
neck-shaft angle and the femoral offset.

Each shape is the model's own femur reshaped (:meth:`glute3d.Model.with_femur`), its muscles
generated on it, and :func:`~glute3d.teaching.stance.single_leg_stance` solved on the result: the
abductors' moment arm comes from their fibres, as in every stance computation of the package.

The classic statement (Pauwels' statics, repeated in every textbook of the hip): a varus neck
carries the greater trochanter further from the hip centre, lengthens the abductors' lever arm
and lowers the force they and the joint must bear; a valgus neck shortens the lever and raises
the forces; more femoral offset works like varus.  :func:`neck_shaft_sweep` and
:func:`offset_sweep` compute it on the model; ``data/stance.toml`` ``[bone_shape]`` holds the
published numbers it is compared with (``FIDELITY.md``, "Bone shape").

Examples
--------
>>> import glute3d
>>> vara, valga = glute3d.boneshape.neck_shaft_sweep(glute3d.load_model(), [118.0, 142.0])
>>> vara.abductor_moment_arm_mm > valga.abductor_moment_arm_mm
True
>>> vara.joint_force_bw < valga.joint_force_bw
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glute3d.teaching.stance import Stance, StanceSpec, single_leg_stance

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.model.model import Model

__all__ = [
    "NECK_SHAFT_ANGLES",
    "OFFSETS",
    "ShapeStance",
    "offset_sweep",
    "neck_shaft_sweep",
    "shape_stance",
    "shape_table",
]

#: Coxa vara to coxa valga, degrees (the default sweep).
NECK_SHAFT_ANGLES = (115.0, 120.0, 125.0, 128.0, 132.0, 137.0, 142.0)
#: Femoral offsets, mm (the default sweep; adults about 40-44).
OFFSETS = (30.0, 35.0, 39.4, 45.0, 50.0)


@dataclass(frozen=True)
class ShapeStance:
    """Single-leg stance on a femur of one shape.

    Attributes
    ----------
    neck_shaft_angle : float
        Degrees.
    offset_mm : float
        Femoral offset: head centre to the shaft axis, mm.
    abductor_moment_arm_mm : float
        The abductors' abduction moment arm from their fibres (cross-section weighted), mm.
    abductor_lever_arm_mm : float
        Perpendicular distance from the hip centre to their frontal-plane resultant, mm.
    abductor_force_bw, joint_force_bw : float
        What they and the hip joint carry standing on this leg, body weights.
    trochanter_mm : numpy.ndarray
        ``(2,)`` the tip of the greater trochanter from the hip centre: lateral, superior (mm).
    stance : Stance
        The whole equilibrium.
    """

    neck_shaft_angle: float
    offset_mm: float
    abductor_moment_arm_mm: float
    abductor_lever_arm_mm: float
    abductor_force_bw: float
    joint_force_bw: float
    trochanter_mm: np.ndarray
    stance: Stance

    def summary(self) -> str:
        """One line: the shape, the lever, the forces."""
        return (
            f"neck-shaft angle {self.neck_shaft_angle:.0f}°, offset {self.offset_mm:.0f} mm: abductor moment arm "
            f"{self.abductor_moment_arm_mm:.0f} mm, abductors {self.abductor_force_bw:.2f} x BW, "
            f"hip joint {self.joint_force_bw:.2f} x BW"
        )


def shape_stance(model: Model, side: str = "r", *, spec: StanceSpec | None = None) -> ShapeStance:
    """Single-leg stance on ``side`` of ``model`` as it is, with its femur's shape.

    Raises
    ------
    StanceError
        An unknown side.
    """
    s = single_leg_stance(model, side, spec=spec)
    shape = model.femur_shape
    tip = np.asarray(model.neutral.landmark(f"greater_trochanter_tip_{side}"), float) - s.hip_center
    lateral = 1.0 if side == "r" else -1.0
    return ShapeStance(
        neck_shaft_angle=shape.neck_shaft_angle,
        offset_mm=shape.offset,
        abductor_moment_arm_mm=s.abductor_moment_arm_mm,
        abductor_lever_arm_mm=s.abductor_lever_arm_mm,
        abductor_force_bw=s.abductor_force_bw,
        joint_force_bw=s.joint_force_bw,
        trochanter_mm=np.array([lateral * tip[2], tip[1]]),
        stance=s,
    )


def neck_shaft_sweep(
    model: Model,
    angles: Iterable[float] = NECK_SHAFT_ANGLES,
    side: str = "r",
    *,
    spec: StanceSpec | None = None,
) -> list[ShapeStance]:
    """Stance on femurs of each neck-shaft angle, the neck keeping its length (so the offset
    follows the angle, as on a bent neck).

    Raises
    ------
    FemurShapeError
        An angle outside 110..150 degrees (one line).
    """
    return [shape_stance(model.with_femur(neck_shaft_angle=float(a)), side, spec=spec) for a in angles]


def offset_sweep(
    model: Model,
    offsets: Iterable[float] = OFFSETS,
    side: str = "r",
    *,
    spec: StanceSpec | None = None,
) -> list[ShapeStance]:
    """Stance on femurs of each offset (mm) at the model's neck-shaft angle: the shaft moved
    sideways, the leg length kept (as with a high- or low-offset stem).

    Raises
    ------
    FemurShapeError
        An offset outside 25..60 mm (one line).
    """
    return [shape_stance(model.with_femur(offset=float(o)), side, spec=spec) for o in offsets]


def shape_table(rows: Sequence[ShapeStance]) -> str:
    """A markdown table of a sweep.

    Examples
    --------
    >>> print(shape_table([]).splitlines()[0])
    | neck-shaft angle | offset | trochanter tip (lateral, up) | abductor moment arm | abductors | hip joint |
    """
    lines = [
        "| neck-shaft angle | offset | trochanter tip (lateral, up) | abductor moment arm | abductors | hip joint |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.neck_shaft_angle:.0f}° | {r.offset_mm:.1f} mm "
            f"| {r.trochanter_mm[0]:.0f}, {r.trochanter_mm[1]:+.0f} mm | {r.abductor_moment_arm_mm:.1f} mm "
            f"| {r.abductor_force_bw:.2f} BW | {r.joint_force_bw:.2f} BW |"
        )
    return "\n".join(lines)
