"""How long all soft tissue takes from an empty cache (target: 5 s on the project's machine).

Usage::

    OMP_NUM_THREADS=1 /work/venv/bin/python bench/bench_tissue.py

Measured in one run, with a baseline of fixed single-core work (``np.sort`` of 200 000 floats),
so the ratios can be compared on a busy machine: the muscle rig (distance grids, origin fans,
the neutral muscles of both sides), the nerves and arteries, the skin generated (not read from
``skin.ply``) and the whole, each once; then what a second fresh model does (muscles and paths
generated, the average body's skin read from ``skin.ply``); then the CPU time of the steps of the first
model (this process's, all threads), which other work on a shared machine disturbs less than the
wall clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import glute3d  # noqa: E402


def main() -> None:
    data = np.random.default_rng(0).random(200_000)
    base = []
    for _ in range(30):
        t0 = time.perf_counter()
        np.sort(data)
        base.append(time.perf_counter() - t0)
    b = min(base) * 1e3
    from glute3d.anatomy.skin import generate_skin

    model = glute3d.load_model()
    clock = [(time.perf_counter(), time.process_time())]
    _ = model.muscles
    clock.append((time.perf_counter(), time.process_time()))
    _ = model.paths
    clock.append((time.perf_counter(), time.process_time()))
    generate_skin(model.skeleton, model.muscles)
    clock.append((time.perf_counter(), time.process_time()))
    steps = ["muscles (rig and neutral pose)", "nerves and arteries", "skin generated"]
    rows = [(label, clock[k + 1][0] - clock[k][0]) for k, label in enumerate(steps)]
    rows.append(("all soft tissue", clock[-1][0] - clock[0][0]))
    # the CPU time of this process (all its threads): what the steps cost on a machine of their own,
    # less sensitive than the wall clock to other work sharing the cores
    cpu = [(label, clock[k + 1][1] - clock[k][1]) for k, label in enumerate(steps)]
    cpu.append(("all soft tissue", clock[-1][1] - clock[0][1]))
    # what a fresh model in a new process does: the average body's skin is read from the packaged
    # skin.ply (after its fingerprint, which needs the muscles, is checked); imports included
    code = (
        "import time; t = time.perf_counter(); import glute3d; m = glute3d.load_model(); "
        "_ = m.muscles, m.paths, m.skin; print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rows.append(("new process: muscles, paths, skin.ply", float(out.stdout.split()[-1])))
    print(f"baseline np.sort: {b:.2f} ms")
    for label, s in rows:
        print(f"{label:34s} {s:6.2f} s  {s * 1e3 / b:8.0f} x baseline")
    for label, s in cpu:
        print(f"CPU time: {label:24s} {s:6.2f} s")


if __name__ == "__main__":
    main()
