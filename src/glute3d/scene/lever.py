"""The abductors' lever drawn on a scene (``overlays.abductor_lever``): their line of action in
single-leg stance and its moment arm about the hip centre, from :mod:`glute3d.teaching.stance`.

The statics are those of the frontal plane; the construction is drawn in a frontal plane just in
front of the bones and abductors as the camera sees them (behind them for a posterior view), so
nothing hides it, and it projects onto the hip as on a radiograph.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from glute3d.scene.context import Targets
from glute3d.scene.resolved import Mark, ResolvedScene
from glute3d.scene.schema import SceneFields
from glute3d.scene.surface import middle_first

__all__ = ["LeverCache", "abductor_lever_data", "resolve_abductor_lever"]

#: Colours of the construction: the abductors' pull, its moment arm, the hip centre, the femur's axes.
LINE_COLOR, ARM_COLOR, CENTRE_COLOR, AXIS_COLOR = "#c0392b", "#1f4e79", "#1a1a1a", "#4d4d4d"


@runtime_checkable
class LeverCache(Protocol):
    """A model that keeps the stance data it computed (the renderer's cache)."""

    def abductor_lever(self, side: str) -> dict: ...


def abductor_lever_data(model: Any, side: str) -> dict:
    """What the overlay draws, as plain data (``model.abductor_lever`` when the model keeps it).

    Returns
    -------
    dict
        ``hip_center``, ``point`` (a point of the abductors' resultant line) and ``pull`` (its
        unit direction, frontal plane, upward), each ``(3,)``; ``lever_arm_mm`` (perpendicular
        from the hip centre to that line), ``moment_arm_mm`` (the fibres' abduction moment arm),
        ``abductor_force_bw``, ``joint_force_bw``, ``neck_shaft_angle``, ``offset_mm``;
        ``trochanter`` ``(3,)`` the tip of the greater trochanter; ``neck_axis``, ``junction``,
        ``shaft_axis``, ``shaft_point`` ``(3,)``: the femur's axes (unit, upward) and points on them.
    """
    if isinstance(model, LeverCache):
        return model.abductor_lever(side)
    from glute3d.anatomy.femur_shape import shaped_design
    from glute3d.sides import mirror_for
    from glute3d.teaching.stance import single_leg_stance

    s = single_leg_stance(model, side)
    shape = model.femur_shape
    design, m = shaped_design(model.neutral.parameters), mirror_for(side)
    origin = design.junction if design.shaft_origin is None else design.shaft_origin
    pull = np.asarray(s.abductor_force, float)
    return {
        "hip_center": np.asarray(s.hip_center, float),
        "point": np.asarray(s.abductor_point, float),
        "pull": pull / float(np.linalg.norm(pull)),
        "lever_arm_mm": float(s.abductor_lever_arm_mm),
        "moment_arm_mm": float(s.abductor_moment_arm_mm),
        "abductor_force_bw": float(s.abductor_force_bw),
        "joint_force_bw": float(s.joint_force_bw),
        "neck_shaft_angle": float(shape.neck_shaft_angle),
        "offset_mm": float(shape.offset),
        "trochanter": np.asarray(model.neutral.landmark(f"greater_trochanter_tip_{side}"), float),
        "neck_axis": np.asarray(design.neck_axis, float) * m,
        "junction": np.asarray(s.hip_center, float) + np.asarray(design.junction, float) * m,
        "shaft_axis": np.asarray(design.e_u, float) * m,
        "shaft_point": np.asarray(s.hip_center, float) + np.asarray(origin, float) * m,
    }


def _plane_x(scene: SceneFields, model: Any, side: str, box: tuple[np.ndarray, np.ndarray], x0: float) -> float:
    """The x of the frontal plane to draw in: clear of the bones and abductors on the camera's side."""
    preset = scene.camera.effective_preset if scene.camera.position is None else None
    if preset not in ("posterior", "anterior"):
        return x0
    lo, hi = box
    xs = []
    for name in (f"hip_bone_{side}", f"femur_{side}", f"gluteus_medius_{side}", f"gluteus_minimus_{side}"):
        v = np.asarray(model.structure(name).vertices, float)
        near = v[(v[:, 1] > lo[0]) & (v[:, 1] < hi[0]) & (v[:, 2] > lo[1]) & (v[:, 2] < hi[1])]
        if len(near):
            xs.append(near[:, 0].min() - 4.0 if preset == "posterior" else near[:, 0].max() + 4.0)
    if not xs:
        return x0
    return float(min(xs) if preset == "posterior" else max(xs))


# long: one construction drawn in order (line, arm, centre) with its legend and targets
def resolve_abductor_lever(scene: SceneFields, model: Any, out: ResolvedScene, targets: Targets) -> None:
    """Marks of ``overlays.abductor_lever`` and their label targets (``abductor_line_r`` ...).

    Raises
    ------
    SceneError
        A posed scene (the statics are those of the neutral stance), or a model without muscles.
    """
    sides = scene.overlays.abductor_lever
    if not scene.pose.is_neutral:
        raise scene.error(
            ("overlays", "abductor_lever"), "the abductor lever is drawn on the neutral stance; remove [pose]"
        )
    if not isinstance(model, LeverCache) and getattr(model, "neutral", None) is None:
        raise scene.error(
            ("overlays", "abductor_lever"),
            "the abductor lever needs the model's muscles (glute3d.stance), which this model does not have; "
            "remove overlays.abductor_lever",
        )
    for side in dict.fromkeys(sides):
        d = abductor_lever_data(model, side)
        c, p, u = d["hip_center"], d["point"], d["pull"]
        low, high = float(d["trochanter"][1]) - 25.0, float(c[1]) + 110.0
        ends = [p + (y - p[1]) / u[1] * u for y in (low, high)]
        foot = p + float((c - p) @ u) * u
        yz = np.array([[e[1], e[2]] for e in (*ends, c, foot)])
        box = (yz.min(axis=0) - 10.0, yz.max(axis=0) + 10.0)
        x = _plane_x(scene, model, side, box, float(c[0]))
        shift = np.array([x, 0.0, 0.0])

        def on_plane(pts: np.ndarray, shift: np.ndarray = shift) -> np.ndarray:
            return np.asarray(pts, float) * [0.0, 1.0, 1.0] + shift

        line = on_plane(ends[0] + np.linspace(0.0, 1.0, 60)[:, None] * (ends[1] - ends[0]))
        arm = on_plane(c + np.linspace(0.0, 1.0, 30)[:, None] * (foot - c))
        j, n, e = d["junction"], d["neck_axis"], d["shaft_axis"]
        sp = d["shaft_point"]
        t = np.linspace(0.0, 1.0, 40)[:, None]
        neck = on_plane(c + 12.0 * n + t * ((j - 22.0 * n) - (c + 12.0 * n)))
        top = sp + float((j - sp) @ e) * e + 25.0 * e  # 25 mm above where the neck axis meets the shaft's
        shaft = on_plane(top + t * (-100.0 * e))  # down the shaft to below the lesser trochanter
        word = "right" if side == "r" else "left"
        out.marks += [
            Mark(
                name=f"abductor_line_{side}",
                kind="line",
                geometry=line,
                color=LINE_COLOR,
                radius=1.6,
                legend=f"Abductors' line of pull, {word} stance ({d['abductor_force_bw']:.1f} x body weight)",
            ),
            Mark(
                name=f"abductor_moment_arm_{side}",
                kind="line",
                geometry=arm,
                color=ARM_COLOR,
                radius=1.6,
                legend=f"Its lever arm about the hip centre: {d['lever_arm_mm']:.0f} mm",
            ),
            Mark(
                name=f"neck_shaft_axes_{side}",
                kind="line",
                geometry=neck,
                color=AXIS_COLOR,
                radius=1.0,
                dashed=True,
                legend=f"Neck and shaft axes: {d['neck_shaft_angle']:.0f}°, offset {d['offset_mm']:.0f} mm",
            ),
            Mark(name=f"shaft_axis_{side}", kind="line", geometry=shaft, color=AXIS_COLOR, radius=1.0, dashed=True),
            Mark(
                name=f"hip_center_mark_{side}",
                kind="point",
                geometry=on_plane(c[None])[0],
                color=CENTRE_COLOR,
                radius=3.5,
                legend="Hip centre",
            ),
        ]
        targets[f"abductor_line_{side}"] = ("curve", middle_first(line), 1.6)
        targets[f"abductor_moment_arm_{side}"] = ("curve", middle_first(arm), 1.6)
