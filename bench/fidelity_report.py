"""Moment arms of glute3d beside OpenSim Gait2392's: plots (docs/images/fidelity_*.png) and FIDELITY.md's table.

Run from the project root with the reference data next to it::

    python bench/fidelity_report.py [../shared/testdata/opensim-gait2392-muscles/muscle_paths.json]

Needs matplotlib (``pip install glute3d[docs]``).  Prints the markdown table to paste into
FIDELITY.md.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np

import glute3d
from glute3d.anatomy.pose import Pose
from glute3d.io.atomic import write_atomically
from glute3d.teaching.actions import moment_arm_sweep
from glute3d.teaching.fidelity import COMPARTMENTS, POSTERIOR, compare, crossing_angle, load_reference

ROOT = Path(__file__).resolve().parents[1]
#: ../shared/testdata next to the project, or $GLUTE3D_TESTDATA.
TESTDATA = Path(os.environ.get("GLUTE3D_TESTDATA", ROOT.parent / "shared" / "testdata"))
DEFAULT = TESTDATA / "opensim-gait2392-muscles" / "muscle_paths.json"
AXES = ("flexion", "adduction", "internal rotation")
FLEXION = np.arange(0, 91, 5)
ABDUCTION = np.arange(-20, 41, 10)  # abduction positive (Pose adduction = -abduction)
ROTATION = np.arange(-40, 41, 10)


def _plot(name: str, x: np.ndarray, xlabel: str, cmp, axis: int, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(2, 5, figsize=(17, 6.6), sharex=True)
    for ax, (n, comp) in zip(axs.ravel(), COMPARTMENTS.items()):
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.plot(x, cmp.ours[n][:, axis], color="#b03a2e", lw=2.2, label="glute3d (fibres)")
        ax.plot(x, cmp.theirs[n][:, axis], color="#1f4e79", lw=2.2, ls="--", label="Gait2392 (path points)")
        ax.set_title(comp.label, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axs[1]:
        ax.set_xlabel(xlabel)
    for ax in axs[:, 0]:
        ax.set_ylabel(f"{AXES[axis]} moment arm (mm)")
    axs[0, 0].legend(fontsize=8, loc="best")
    fig.suptitle(f"{name}: {AXES[axis]} moment arm, positive = {AXES[axis]}", fontsize=13)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=110, format="png")
    write_atomically(out, buf.getvalue())
    plt.close(fig)


def _fibre_flip(model, out: Path) -> None:
    """Every fibre's rotation moment arm against flexion (moment_arm_sweep): the posterior fibres turn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    flex = np.linspace(0.0, 90.0, 91)
    sweep = moment_arm_sweep(model, [Pose(flexion=float(f)) for f in flex])
    names = ("gluteus_medius_r", "gluteus_minimus_r", "piriformis_r", "gluteus_maximus_r")
    fig, axs = plt.subplots(1, 4, figsize=(17, 4.6), sharey=True)
    cmap = plt.get_cmap("coolwarm")
    for ax, name in zip(axs, names):
        arms = sweep[name][:, :, 2]
        n = arms.shape[1]
        for k in range(n):
            ax.plot(flex, arms[:, k], color=cmap(k / max(n - 1, 1)), lw=1.2)
        ax.axhline(0.0, color="0.3", lw=0.8)
        first = "anterior" if name.split("_")[1] in ("medius", "minimus") else "superior"
        last = "posterior" if first == "anterior" else "inferior"
        ax.set_title(f"{name[:-2].replace('_', ' ')}: blue {first} … red {last}", fontsize=10)
        ax.set_xlabel("hip flexion (°)")
        ax.grid(alpha=0.3)
    axs[0].set_ylabel("internal rotation moment arm (mm)\n(negative: external rotation)")
    fig.suptitle("Each fibre's rotation moment arm as the hip flexes: the posterior fibres turn to internal rotation")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=110, format="png")
    write_atomically(out, buf.getvalue())
    plt.close(fig)


def main(path: Path) -> None:
    ref = load_reference(path)
    model = glute3d.load_model()
    flex = compare(model, ref, [Pose(flexion=float(f)) for f in FLEXION])
    abd = compare(model, ref, [Pose(adduction=-float(a)) for a in ABDUCTION])
    rot = compare(model, ref, [Pose(rotation=float(r)) for r in ROTATION])
    img = ROOT / "docs" / "images"
    _fibre_flip(model, img / "fibre_rotation_vs_flexion.png")
    _plot("Hip flexion 0-90°", FLEXION, "hip flexion (°)", flex, 2, img / "fidelity_rotation_vs_flexion.png")
    _plot("Hip flexion 0-90°", FLEXION, "hip flexion (°)", flex, 0, img / "fidelity_flexion_vs_flexion.png")
    _plot("Hip flexion 0-90°", FLEXION, "hip flexion (°)", flex, 1, img / "fidelity_adduction_vs_flexion.png")
    _plot("Abduction -20..40°", ABDUCTION, "hip abduction (°)", abd, 1, img / "fidelity_adduction_vs_abduction.png")
    _plot("Rotation -40..40°", ROTATION, "internal rotation (°)", rot, 2, img / "fidelity_rotation_vs_rotation.png")
    print(
        "| compartment | signs agree (|Gait2392| > 5 mm) | ours/Gait2392 median [10th-90th pct]"
        " | ER→IR flexion, ours / Gait2392 |"
    )
    print("|---|---|---|---|")
    for n, comp in COMPARTMENTS.items():
        agree = [c.sign_agreement(n) for c in (flex, abd, rot)]
        a, t = sum(x[0] for x in agree), sum(x[1] for x in agree)
        r = np.concatenate([c.ratios(n) for c in (flex, abd, rot)])
        lo, med, hi = np.percentile(r, [10, 50, 90])
        ours_x = crossing_angle(FLEXION, flex.ours[n][:, 2])
        theirs_x = crossing_angle(FLEXION, flex.theirs[n][:, 2])
        fmt = lambda v: "none ≤ 90°" if v is None else f"{v:.0f}°"  # noqa: E731
        cross = f"{fmt(ours_x)} / {fmt(theirs_x)}" if n in POSTERIOR or theirs_x or ours_x else "—"
        print(f"| {comp.label} | {a}/{t} | {med:.2f} [{lo:.2f}-{hi:.2f}] | {cross} |")
    print()
    print("| compartment | flex 0° ours | Gait2392 | flex 90° ours | Gait2392 |")
    print("|---|---|---|---|---|")
    for n, comp in COMPARTMENTS.items():
        o0, t0, o9, t9 = flex.ours[n][0], flex.theirs[n][0], flex.ours[n][-1], flex.theirs[n][-1]
        f = lambda v: " / ".join(f"{x:+.0f}" for x in v)  # noqa: E731
        print(f"| {comp.label} | {f(o0)} | {f(t0)} | {f(o9)} | {f(t9)} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
