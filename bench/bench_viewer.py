"""How quickly the viewer follows a pose slider (target: <= 16 ms of our own code per step for one
hip; >= 15 frames per second while dragging, on the software renderer).

Usage::

    OMP_NUM_THREADS=1 /work/venv/bin/python bench/bench_viewer.py [steps]

One process, one run, so the numbers compare on a busy machine:

* ``baseline``: sorting 200 000 floats with numpy (a fixed amount of single-core work);
* ``set_pose, dragging``: one step of the right hip's flexion slider (`Viewer.set_pose` with
  ``dragging=True``): the right muscles regenerated, femur, muscles, nerves, arteries and skin
  written into the actors in place; split into the muscle generator's share
  (``glute3d.anatomy.muscles``, timed inside the step) and the viewer's own (the rest);
* the same with skin and gluteus maximus peeled (fewer muscles shown: the generator still
  builds those beneath), and with only the bones shown;
* ``end_drag``: the slider let go (nerves and arteries regenerated exactly, once);
* ``frame``: a render of the view (1280x720, every layer, translucent skin), with every pass
  and as a drag draws it (no FXAA, no order-independent transparency, half resolution, coarse
  copies of the bones and skin, back faces of closed opaque meshes culled:
  ``glute3d.viewer.dragview``), interleaved;
* ``drag frame``: a whole drag frame (slider step + render) as frames per second, interleaved
  step by step: the drag path against the drag path before ``DragView`` (FXAA and
  order-independent transparency off, nothing else);
* ``window``: the same two, in the real window with its widgets (1280x720, Xvfb, Mesa's
  llvmpipe through GLX), the slider moved through its widget; skipped without ``xvfb-run``.

Each figure is the median and the minimum over the steps; the minimum (the step least
disturbed by other processes) is also given as a multiple of the baseline's minimum.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np

from glute3d.viewer import Viewer
from glute3d.viewer.posing import HipPoser

TARGET_MS = 16.0
TARGET_FPS = 15.0


class _Timed:
    """Time spent in the muscle generator (HipPoser.muscles) during a step."""

    def __init__(self) -> None:
        self.spent = 0.0
        self._orig = HipPoser.muscles

        def timed(poser, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return self._orig(poser, *args, **kwargs)
            finally:
                self.spent += time.perf_counter() - t0

        HipPoser.muscles = timed  # type: ignore[method-assign]


def drag(viewer: Viewer, timer: _Timed, steps: int, start: float) -> tuple[np.ndarray, np.ndarray]:
    """Total and generator milliseconds of ``steps`` slider steps of 1 degree."""
    total, gen = [], []
    for k in range(steps):
        timer.spent = 0.0
        t0 = time.perf_counter()
        viewer.set_pose(flexion=start + k, dragging=True)
        total.append(time.perf_counter() - t0)
        gen.append(timer.spent)
    return np.array(total) * 1e3, np.array(gen) * 1e3


def row(label: str, total: np.ndarray, gen: np.ndarray, base: float) -> str:
    own = total - gen
    flag = "ok" if own.min() <= TARGET_MS else "OVER"
    return (
        f"{label:42s} {np.median(total):6.1f} {total.min():6.1f} {np.median(gen):6.1f} {gen.min():6.1f}"
        f" {np.median(own):6.1f} {own.min():6.1f} {own.min() / base:6.1f}  {flag}"
    )


def drag_frames_interleaved(viewer: Viewer, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Seconds per drag frame (one 1-degree step + render), the drag path and the path before it, alternating."""
    now, before = [], []
    viewer.set_pose(flexion=9, dragging=True)
    for k in range(steps):
        for cheap, out in ((True, now), (False, before)):
            (viewer.drag_view.start if cheap else viewer.drag_view.stop)()
            t0 = time.perf_counter()
            viewer.set_pose(flexion=10 + k + (0.5 if cheap else 0.0), dragging=True)
            viewer.render()
            out.append(time.perf_counter() - t0)
    viewer.end_drag()
    return np.array(now), np.array(before)


def main(steps: int = 30) -> None:
    data = np.random.default_rng(0).random(200_000)
    base_ms = []
    for _ in range(50):
        t0 = time.perf_counter()
        np.sort(data)
        base_ms.append(time.perf_counter() - t0)
    base = min(base_ms) * 1e3
    timer = _Timed()
    viewer = Viewer(None, size=(1280, 720))
    viewer.render()
    t0 = time.perf_counter()
    viewer.set_pose(flexion=20, dragging=True)  # builds the model's muscle rig (once per model)
    warm = time.perf_counter() - t0
    viewer.set_pose(flexion=21, dragging=True)
    head = ("total", "min", "muscle", "min", "own", "min", "x base")
    lines = [f"{'(ms; median, then min)':42s} " + " ".join(f"{h:>6s}" for h in head)]
    total, gen = drag(viewer, timer, steps, 22.0)
    lines.append(row("set_pose dragging, every layer shown", total, gen, base))
    t0 = time.perf_counter()
    viewer.end_drag()
    end_ms = (time.perf_counter() - t0) * 1e3
    viewer.peel(), viewer.peel()
    total2, gen2 = drag(viewer, timer, steps, 60.0)
    lines.append(row("set_pose dragging, skin and maximus peeled", total2, gen2, base))
    for layer in viewer.layers:
        viewer.toggle_layer(layer.key, layer.key == "bone")
    total3, gen3 = drag(viewer, timer, steps, 30.0)
    lines.append(row("set_pose dragging, bones only", total3, gen3, base))
    for layer in viewer.layers:
        viewer.toggle_layer(layer.key, True)
    viewer.peeled.clear()
    full, light = [], []  # renders with every pass, and with a drag's passes, interleaved
    for _ in range(steps):
        for passes, out in ((False, full), (True, light)):
            viewer._drag_passes(passes)
            t0 = time.perf_counter()
            viewer.render()
            out.append(time.perf_counter() - t0)
    viewer.end_drag()
    frame_ms, light_ms = np.array(full) * 1e3, np.array(light) * 1e3
    drag_frames, before = drag_frames_interleaved(viewer, steps)
    per = np.median(drag_frames)
    print(f"baseline (np.sort of 200k floats): min {base:.2f} ms")
    print(f"first pose (muscle rig built, once per model): {warm * 1e3:.0f} ms")
    print("\n".join(lines))
    print(f"end_drag (nerves and arteries regenerated exactly): {end_ms:.0f} ms")
    print(f"render 1280x720, every layer: median {np.median(frame_ms):.1f} ms, min {frame_ms.min():.1f} ms")
    print(f"the same as a drag draws it: median {np.median(light_ms):.1f} ms, min {light_ms.min():.1f} ms")
    fps = 1.0 / per
    print(
        f"drag frame (set_pose + render): median {per * 1e3:.1f} ms = {fps:.1f} fps,"
        f" min {drag_frames.min() * 1e3:.1f} ms"
        f" ({'ok' if fps >= TARGET_FPS else 'UNDER'} {TARGET_FPS:.0f} fps)"
    )
    print(
        f"  the same without DragView: median {np.median(before) * 1e3:.1f} ms"
        f" = {1.0 / np.median(before):.1f} fps, min {before.min() * 1e3:.1f} ms;"
        f" ratio {np.median(before) / per:.2f}"
    )
    viewer.close()
    window(steps)


WINDOW_SCRIPT = """
import sys, time
import numpy as np
from glute3d.viewer.viewer import Viewer
from glute3d.viewer.window import Window
viewer = Viewer(None, off_screen=False, size=(1280, 720), panels=True)
window = Window(viewer)
window.build()
pl = viewer.plotter
pl.show(auto_close=False, interactive=False)
slider = window.pose_sliders["flexion"]
rep = slider.GetRepresentation()
rep.SetValue(5.0); slider.InvokeEvent("InteractionEvent"); pl.render()  # the muscle rig, the coarse copies
now, before = [], []
for k in range(int(sys.argv[1])):
    for cheap, out in ((True, now), (False, before)):
        (viewer.drag_view.start if cheap else viewer.drag_view.stop)()
        t0 = time.perf_counter()
        rep.SetValue(6.0 + k + (0.5 if cheap else 0.0)); slider.InvokeEvent("InteractionEvent"); pl.render()
        out.append(time.perf_counter() - t0)
slider.InvokeEvent("EndInteractionEvent")
print("WINDOW", " ".join(f"{x:.5f}" for x in now), "|", " ".join(f"{x:.5f}" for x in before))
pl.close()
"""


def window(steps: int) -> None:
    """Drag frames in the real window under Xvfb (a subprocess: an X window, not EGL)."""
    import shutil
    import subprocess

    if shutil.which("xvfb-run") is None:
        print("window: skipped (no xvfb-run)")
        return
    env = dict(os.environ)
    env.pop("VTK_DEFAULT_OPENGL_WINDOW", None)
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", sys.executable, "-c", WINDOW_SCRIPT, str(steps)]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("WINDOW ")), None)
    if line is None:
        print("window: failed:", run.stderr[-500:])
        return
    now, before = (np.array(part.split(), float) * 1e3 for part in line[7:].split("|"))
    fps = 1e3 / np.median(now)
    print(
        f"window drag frame (slider widget + render, Xvfb): median {np.median(now):.1f} ms = {fps:.1f} fps,"
        f" min {now.min():.1f} ms ({'ok' if fps >= TARGET_FPS else 'UNDER'} {TARGET_FPS:.0f} fps)"
    )
    print(
        f"  the same without DragView: median {np.median(before):.1f} ms = {1e3 / np.median(before):.1f} fps,"
        f" min {before.min():.1f} ms; ratio {np.median(before) / np.median(now):.2f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
