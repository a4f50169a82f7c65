"""Benchmark: `glute3d render` against a bare pyvista script, and deck mode per scene.

Run from the repository root::

    /work/venv/bin/python bench/bench_render.py [--repeat 5] [--scene scenes/01_bones_posterior.toml]

Measures, each in a fresh process (process start to PNG on disk):

1. ``glute3d render SCENE --size 1920x1080`` (console script);
2. a bare pyvista script that reads the same bone meshes (PLY) from ``meshes/`` and writes a
   1920x1080 screenshot;

and prints the median times and their ratio (the target is <= 1.3).  Then renders every scene of
``scenes/`` with ``glute3d deck --force`` and prints the cost per scene against the cost of one
frame (the render call of the bare script).  Nothing is asserted: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BONES = ("hip_bone_r", "hip_bone_l", "sacrum", "coccyx", "femur_r", "femur_l")

BARE = r'''
import os, sys, time, json
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
import pyvista as pv
mesh_dir, out = sys.argv[1], sys.argv[2]
pl = pv.Plotter(off_screen=True, window_size=[1920, 1080])
for name in %r:
    pl.add_mesh(pv.read(os.path.join(mesh_dir, name + ".ply")), color="#e8dcc0", smooth_shading=True)
pl.camera_position = "yz"
t0 = time.perf_counter()
pl.screenshot(out)
frame = time.perf_counter() - t0
pl.close()
print(json.dumps({"frame": frame}))
''' % (BONES,)


def env() -> dict:
    e = dict(os.environ)
    if not e.get("DISPLAY"):
        e.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    return e


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env(), cwd=ROOT)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return dt, proc.stdout


def glute3d_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("glute3d")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "glute3d.cli"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scene", default=str(ROOT / "scenes" / "01_bones_posterior.toml"))
    ap.add_argument("--meshes", default=str(ROOT / "meshes"))
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        bare_script = tmp_path / "bare.py"
        bare_script.write_text(BARE)
        ours, bare, frames = [], [], []
        for i in range(args.repeat):  # interleaved, so load changes hit both alike
            dt, out = timed([sys.executable, str(bare_script), args.meshes, str(tmp_path / "bare.png")])
            bare.append(dt)
            frames.append(json.loads(out.strip().splitlines()[-1])["frame"])
            dt, _ = timed([*glute3d_cmd(), "--meshes", args.meshes, "render", args.scene,
                           "-o", str(tmp_path / "ours"), "--size", "1920x1080"])
            ours.append(dt)
        m_ours, m_bare, m_frame = statistics.median(ours), statistics.median(bare), statistics.median(frames)
        print(f"process start to 1920x1080 PNG, median of {args.repeat}:")
        print(f"  glute3d render {Path(args.scene).name:<34} {m_ours:6.2f} s   (runs: {', '.join(f'{t:.2f}' for t in ours)})")
        print(f"  bare pyvista script (same PLY meshes)        {m_bare:6.2f} s   (runs: {', '.join(f'{t:.2f}' for t in bare)})")
        print(f"  ratio glute3d / bare                         {m_ours / m_bare:6.2f}   (target <= 1.30)")
        print(f"  one frame (bare script's screenshot call)    {m_frame:6.2f} s")

        scenes = sorted((ROOT / "scenes").glob("*.toml"))
        deck_out = tmp_path / "deck"
        dt, _ = timed([*glute3d_cmd(), "--meshes", args.meshes, "deck", str(ROOT / "scenes"),
                       "-o", str(deck_out), "--force", "--size", "1920x1080"])
        per = dt / max(1, len(scenes))
        print(f"deck mode, {len(scenes)} scenes at 1920x1080, one process:")
        print(f"  total {dt:.2f} s, {per:.2f} s per scene = {per / m_frame:.1f} x one frame")
        dt2, _ = timed([*glute3d_cmd(), "--meshes", args.meshes, "deck", str(ROOT / "scenes"),
                        "-o", str(deck_out), "--force", "--size", "1920x1080", "--jobs", "2"])
        print(f"  --jobs 2: total {dt2:.2f} s, {dt2 / max(1, len(scenes)):.2f} s per scene")
        dt3, _ = timed([*glute3d_cmd(), "--meshes", args.meshes, "deck", str(ROOT / "scenes"), "-o", str(deck_out)])
        print(f"  up to date (all skipped): {dt3:.2f} s")


if __name__ == "__main__":
    main()
