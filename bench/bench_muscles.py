"""How long muscle generation takes (budget: 50 ms for all muscles of both sides, one core).

Usage::

    OMP_NUM_THREADS=1 /work/venv/bin/python bench/bench_muscles.py [repeats]

Measured in one run, so the numbers can be compared on a busy machine:

* ``baseline``: sorting 200 000 floats with numpy (a fixed amount of single-core work);
* ``rig``: the per-model precomputation (distance grids, origin fans, insertions in the
  femur frame, the neutral muscles); done once per model, shared by every pose;
* ``from landmarks``: the full generation of both sides from the control points of
  ``muscles.toml`` (what the rig does once for the neutral pose);
* ``posed, both hips``: what the viewer pays when the hips move (both femurs moved);
* ``posed, one hip``: only one side generated;
* ``one hip moves, other reused``: both hips posed, one of them unchanged since the last
  call (what the viewer pays while one hip is dragged; after the first call of a new
  pose the moving side costs the same as ``posed, one hip``).

Each figure is the minimum (and median) over the repeats, also as a multiple of the
baseline, so a slower or busier machine shows the same ratios.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import glute3d  # noqa: E402
from glute3d.anatomy.muscles import MuscleRig  # noqa: E402
from glute3d.anatomy.pose import SIDES, Pose, hip_transform  # noqa: E402

BUDGET_MS = 50.0


def timed(fn, repeats: int) -> np.ndarray:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return np.array(out) * 1e3


def main(repeats: int = 20) -> None:
    model = glute3d.load_model()
    data = np.random.default_rng(0).random(200_000)
    base = timed(lambda: np.sort(data), 50)
    b = base.min()

    t0 = time.perf_counter()
    rig = MuscleRig(model.skeleton)
    rig.neutral()
    rig_ms = (time.perf_counter() - t0) * 1e3

    def transforms(pose: Pose) -> dict[str, np.ndarray]:
        return {s: hip_transform(pose, s, model.hip_centers[s]) for s in SIDES}

    poses = {
        "flexion 60": Pose(flexion=60),
        "flexion 90, ext. rotation 20": Pose(flexion=90, rotation=-20),
        "ext. 20, abd. 20, int. rot. 30": Pose(flexion=-20, adduction=-20, rotation=30),
        "r flexed 40 / l extended 10": Pose(flexion={"r": 40, "l": -10}, adduction={"r": 10}),
    }
    rows = [("from landmarks (both sides)", timed(lambda: rig.build(_use_prior=False), max(5, repeats // 4)))]
    for label, pose in poses.items():
        t = transforms(pose)
        rows.append((f"posed, both hips: {label}", timed(lambda t=t: rig.build(t, reuse=False), repeats)))
    one = transforms(Pose(flexion=45, side="r"))
    rows.append(("posed, one hip (r flexion 45)", timed(lambda: rig.build(one, sides=("r",), reuse=False), repeats)))
    both = transforms(Pose(flexion=30))
    rig.build(both)
    steps = [{"r": transforms(Pose(flexion=30 + k))["r"], "l": both["l"]} for k in range(1, repeats + 1)]
    it = iter(steps)
    rows.append(("one hip moves, other reused (viewer)", timed(lambda: rig.build(next(it)), repeats)))

    n_pts = sum(m.fibres.shape[0] * m.fibres.shape[1] for m in rig.neutral().values())
    n_tri = sum(m.mesh.n_faces for m in rig.neutral().values())
    print(f"muscles: {len(rig.neutral())}, fibre points {n_pts}, body triangles {n_tri}")
    print(f"baseline (np.sort of 200k floats): min {b:.2f} ms")
    print(f"rig (per model, once): {rig_ms:.0f} ms")
    print(f"{'':44s} {'min ms':>8s} {'median':>8s} {'x base':>8s}  budget {BUDGET_MS:.0f} ms")
    for label, t in rows:
        flag = "ok" if t.min() <= BUDGET_MS else "OVER"
        print(f"{label:44s} {t.min():8.1f} {np.median(t):8.1f} {t.min() / b:8.1f}  {flag}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
