"""How long moment arms take (budget: every fibre of one side over 100 poses within 100 ms, one core).

Usage::

    OMP_NUM_THREADS=1 /work/venv/bin/python bench/bench_moment_arms.py [repeats]

Measured in one run, so the numbers can be compared on a busy machine:

* ``baseline``: sorting 200 000 floats with numpy (a fixed amount of single-core work);
* ``sweep, 100 poses``: :func:`glute3d.teaching.actions.moment_arm_sweep` over 100 poses
  (flexion 0-90° with abduction and rotation), every fibre of the right side;
* ``posed muscles, 1 pose``: nearly the same numbers the slow way for one pose: the muscles
  regenerated in the pose, then :func:`~glute3d.teaching.actions.moment_arms` per muscle on
  the drawn fibres (whose samples wrapping shifts a few mm from the held points the sweep uses).

Each figure is the minimum (and median) over the repeats, also as a multiple of the baseline.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import glute3d  # noqa: E402
from bench_muscles import timed  # noqa: E402  (the same timing loop: milliseconds of each repeat)
from glute3d.anatomy.pose import Pose, hip_axes  # noqa: E402
from glute3d.teaching.actions import moment_arm_sweep, moment_arms, muscle_anchor, muscle_leave  # noqa: E402

BUDGET_MS = 100.0


def main(repeats: int = 20) -> None:
    model = glute3d.load_model()
    _ = model.muscles  # the neutral muscles exist in every session that shows the model
    data = np.random.default_rng(0).random(200_000)
    b = timed(lambda: np.sort(data), 50).min()
    flex = np.linspace(0.0, 90.0, 100)
    poses = [Pose(flexion=f, adduction=-20.0 * np.sin(f / 30.0), rotation=30.0 * np.cos(f / 20.0)) for f in flex]
    sweep = timed(lambda: moment_arm_sweep(model, poses), repeats)
    k = [0]

    def posed_once() -> None:
        k[0] += 1
        pose = Pose(flexion=float(k[0] % 90))  # a new pose each time: no cache hit
        pm = model.posed(pose)
        for name, m in pm.muscles.items():
            if m.side == "r":
                moment_arms(m.fibres, pm.hip_centers["r"], hip_axes(pose, "r"), anchor=muscle_anchor(name),
                            leave=muscle_leave(name))  # fmt: skip

    posed = timed(posed_once, max(3, repeats // 4))
    n_fibres = sum(len(m.fibres) for m in model.muscles.values() if m.side == "r")
    print(f"baseline (sort 200k floats): {b:.2f} ms")
    for label, t in (("sweep, 100 poses", sweep), ("posed muscles, 1 pose", posed)):
        print(f"{label:24s} min {t.min():8.2f} ms  median {np.median(t):8.2f} ms  = {t.min() / b:7.1f} x baseline")
    verdict = "within" if sweep.min() <= BUDGET_MS else "OVER"
    print(f"{n_fibres} fibres x 100 poses: {sweep.min():.1f} ms, {verdict} the {BUDGET_MS:.0f} ms budget")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
