"""Bone shape and the abductors: the plot docs/images/boneshape_stance.png and FIDELITY.md's tables.

Run from the project root::

    python bench/boneshape_report.py

Needs matplotlib (``pip install glute3d[docs]``).  Sweeps the neck-shaft angle (the neck keeping
its length) and the femoral offset (the shaft moved sideways, the leg as long) through
:mod:`glute3d.teaching.boneshape`, plots the abductors' moment arm and the stance forces against
both, and prints the markdown tables (with the time the sweeps took) to paste into FIDELITY.md.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np

import glute3d
from glute3d.io.atomic import write_atomically
from glute3d.teaching.boneshape import neck_shaft_sweep, offset_sweep, shape_table
from glute3d.teaching.stance import stance_spec

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images" / "boneshape_stance.png"
ANGLES = np.arange(115.0, 146.0, 5.0)
OFFSETS = np.arange(30.0, 51.0, 5.0)


def _panel(ax_arm, ax_force, x, rows, xlabel: str, marks: dict[str, float], shade: tuple[float, float]) -> None:
    rising = rows[-1].abductor_moment_arm_mm > rows[0].abductor_moment_arm_mm
    arm = [r.abductor_moment_arm_mm for r in rows]
    lever = [r.abductor_lever_arm_mm for r in rows]
    ax_arm.axvspan(*shade, color="0.92", zorder=0)
    ax_arm.plot(x, arm, "o-", color="#b03a2e", lw=2.2, label="moment arm (fibres, 3D)")
    ax_arm.plot(x, lever, "s--", color="#1f4e79", lw=1.8, label="lever arm of the frontal resultant")
    ax_arm.set_ylabel("abductors' arm about the hip centre (mm)")
    ax_force.axvspan(*shade, color="0.92", zorder=0)
    ax_force.plot(x, [r.joint_force_bw for r in rows], "o-", color="#1a1a1a", lw=2.2, label="hip joint")
    ax_force.plot(x, [r.abductor_force_bw for r in rows], "s-", color="#c0392b", lw=2.2, label="abductors")
    ax_force.set_ylabel("force in single-leg stance (x body weight)")
    ax_force.set_xlabel(xlabel)
    for ax in (ax_arm, ax_force):
        ax.grid(alpha=0.3)
        for text, value in marks.items():
            ax.axvline(value, color="0.45", lw=0.9, ls=":")
            ax.text(value, 1.0, f" {text}", transform=ax.get_xaxis_transform(), fontsize=8, va="top", color="0.3")
    ax_arm.legend(fontsize=8, loc="lower right" if rising else "lower left")  # where the lines are not
    ax_force.legend(fontsize=8, loc="upper right" if rising else "upper left")


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = glute3d.load_model()
    model.neutral_muscles("r", ["gluteus_medius"])  # the pelvis's grid, built once for every shape
    ref = stance_spec().bone_shape
    t0 = time.perf_counter()
    by_angle = neck_shaft_sweep(model, ANGLES)
    t1 = time.perf_counter()
    by_offset = offset_sweep(model, OFFSETS)
    t2 = time.perf_counter()

    fig, axs = plt.subplots(2, 2, figsize=(12, 8.4), sharex="col")
    normal = model.femur_shape
    _panel(
        axs[0, 0], axs[1, 0], ANGLES, by_angle, "neck-shaft angle (degrees); the neck keeps its length",
        {"vara": 118.0, "normal": normal.neck_shaft_angle, "valga": 142.0}, ref.neck_shaft_angle_range,
    )  # fmt: skip
    label = f"femoral offset (mm) at {normal.neck_shaft_angle:.0f}°, same leg length"
    _panel(
        axs[0, 1], axs[1, 1], OFFSETS, by_offset, label,
        {"women": ref.offset_women, "men": ref.offset_men}, (ref.offset_women - 3.5, ref.offset_men + 5.6),
    )  # fmt: skip
    axs[0, 0].set_title("Coxa vara to coxa valga")
    axs[0, 1].set_title("Less to more femoral offset")
    fig.suptitle(
        "Bone shape and the abductors in single-leg stance (glute3d.teaching.boneshape); "
        "shaded: adult reference ranges",
        fontsize=12,
    )
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=110, format="png")
    write_atomically(OUT, buf.getvalue())
    plt.close(fig)
    print(shape_table(by_angle))
    print()
    print(shape_table(by_offset))
    print(f"\n{len(ANGLES)} angles in {t1 - t0:.1f} s, {len(OFFSETS)} offsets in {t2 - t1:.1f} s; wrote {OUT}")


if __name__ == "__main__":
    main()
