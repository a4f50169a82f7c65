"""How long the bone-shape sweeps take (aim: seven shapes in a few seconds).

Usage::

    /work/venv/bin/python bench/bench_boneshape.py [repeats]

Measured in one run, so the numbers can be compared on a busy machine:

* ``baseline``: sorting 200 000 floats with numpy (a fixed amount of single-core work);
* ``reshape``: :meth:`glute3d.Model.with_femur`, both femurs and their landmarks;
* ``one shape``: a reshaped model's single-leg stance (its stance hip's abductors generated);
* ``seven shapes``: :func:`glute3d.teaching.boneshape.neck_shaft_sweep` over 115-145 degrees;
* ``regenerated femur``: the same femur contoured again from the blueprint (what reshaping
  avoids), once.

Each figure is the minimum (and median) over the repeats, also as a multiple of the baseline.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import glute3d
from bench_muscles import timed  # the same timing loop: milliseconds of each repeat
from glute3d.anatomy.bones import BoneParameters, femur_mesh
from glute3d.teaching.boneshape import NECK_SHAFT_ANGLES, neck_shaft_sweep, shape_stance


def main(repeats: int = 5) -> None:
    model = glute3d.load_model()
    model.neutral_muscles("r", ["gluteus_medius"])  # the pelvis's grid: built once per session
    data = np.random.default_rng(0).random(200_000)
    b = timed(lambda: np.sort(data), 50).min()
    rows = [
        ("reshape (both femurs, landmarks)", timed(lambda: model.with_femur(neck_shaft_angle=118), repeats)),
        ("one shape: reshape + stance", timed(lambda: shape_stance(model.with_femur(neck_shaft_angle=118)), repeats)),
        (
            "seven shapes (115-145 degrees)",
            timed(lambda: neck_shaft_sweep(model, NECK_SHAFT_ANGLES), max(2, repeats // 2)),
        ),
    ]
    t0 = time.perf_counter()
    femur_mesh(BoneParameters(neck_shaft_angle=118))
    rows.append(("regenerated femur (contoured again), once", np.array([(time.perf_counter() - t0) * 1e3])))
    print(f"baseline (np.sort of 200k floats): min {b:.2f} ms")
    print(f"{'':44s} {'min ms':>9s} {'median':>9s} {'x base':>9s}")
    for label, t in rows:
        print(f"{label:44s} {t.min():9.0f} {np.median(t):9.0f} {t.min() / b:9.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
