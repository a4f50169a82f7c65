"""How long an animation takes (target: 60 frames at 1280x720 within 60 s on this machine).

Usage::

    /work/venv/bin/python bench/bench_animate.py

Measured in one run, so the numbers can be compared on a busy machine:

* ``baseline``: one still of the animation's first pose at 1280x720 (tissue cache warm, window
  kept), i.e. what ``glute3d render`` costs for one picture;
* ``abduction``: scene 27 (bones and the abductors drawn; the muscles regenerated in every pose)
  re-timed to 60 frames, written to MP4;
* ``flexion fibres``: scene 28 (bones drawn; the fibres of three muscles coloured by their
  rotation moment arm, from the muscles regenerated in every pose) re-timed to 60 frames, MP4.

Each animation starts from poses the tissue cache does not hold (a fresh cache folder), so
every frame pays for its pose's soft tissue: the time an author waits the first time.  The
load average is printed: other work on the machine slows every figure.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["GLUTE3D_CACHE"] = tempfile.mkdtemp(prefix="glute3d-bench-animate-")
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import glute3d  # noqa: E402
from glute3d.render import cached_model, render  # noqa: E402
from glute3d.render.animate import animate  # noqa: E402
from glute3d.scene import Scene  # noqa: E402

FRAMES = 60
SIZE = (1280, 720)
TARGET_S = 60.0


def sixty_frames(path: Path) -> Scene:
    """The scene of ``path`` at 1280x720, its keyframes spread over exactly 60 frames at its fps."""
    scene = Scene.from_file(path)
    data = scene.to_dict()
    anim = data["animation"]
    fps = int(anim.get("fps", 24))
    last = scene.animation.keyframes[-1].time
    scale = (FRAMES - 1) / fps / last
    for k in anim["keyframes"]:
        k["time"] = k.get("time", 0.0) * scale
    anim.pop("duration", None)
    data["resolution"] = list(SIZE)
    out = Scene.from_dict(data)
    assert out.animation is not None and out.animation.n_frames == FRAMES
    return out


def main() -> None:
    model = cached_model(glute3d.load_model())
    out = Path(tempfile.mkdtemp(prefix="glute3d-bench-video-"))
    load0 = os.getloadavg()
    print(f"load average at start: {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f} ({os.cpu_count()} cores)")
    still = sixty_frames(ROOT / "scenes" / "27_animation_abduction.toml")
    render(still, model)  # warm: the first pose's tissue, the window, the shaders
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        render(still, model)
        times.append(time.perf_counter() - t0)
    base = min(times)
    print(f"baseline (one still, 1280x720, cache warm): {base:.2f} s")
    for label, name in (
        ("abduction (muscles)", "27_animation_abduction.toml"),
        ("flexion fibres", "28_animation_flexion_fibres.toml"),
    ):
        scene = sixty_frames(ROOT / "scenes" / name)
        t0 = time.perf_counter()
        animate(scene, out / f"{Path(name).stem}.mp4", model)
        t = time.perf_counter() - t0
        verdict = "within" if t <= TARGET_S else "OVER"
        print(
            f"{label:22s} {FRAMES} frames: {t:6.1f} s = {t / FRAMES:.2f} s a frame = {t / FRAMES / base:.1f} x "
            f"baseline; {verdict} the {TARGET_S:.0f} s target"
        )
    load1 = os.getloadavg()
    print(f"load average at end: {load1[0]:.1f} {load1[1]:.1f} {load1[2]:.1f}")
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(os.environ["GLUTE3D_CACHE"], ignore_errors=True)


if __name__ == "__main__":
    main()
    sys.exit(0)
