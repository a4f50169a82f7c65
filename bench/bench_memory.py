"""Benchmark: memory of long sessions (the deck rendered many times) and of one 1080p render.

Run from the repository root::

    /work/venv/bin/python bench/bench_memory.py [deck|peak|all] [--rounds 20] [--size WxH] [--src DIR]

``deck``
    One process renders every scene of ``scenes/`` ``--rounds`` times (as the viewer and the
    notebook do), each picture written as PNG like ``glute3d deck`` writes it.  The resident set
    (``VmRSS`` of ``/proc/self/status``, after ``gc.collect()``) is read after every round; the
    growth is counted from the end of the first round (the warm-up: imports, the tissue cache
    read, the window and its shaders made) to the end of the last.  Target (issue 14): at most
    5 %.  ``--size`` renders at another size than the scenes' own (1920x1080) for a quicker run;
    ``--new-model`` passes no model, so that every picture loads one, as
    ``glute3d.render_to_file(scene, path)`` in a notebook does.

``peak``
    For each benchmark scene a fresh process renders it once at 1920x1080 (the tissue cache
    warm: one run first) and reports its peak resident set (``VmHWM``; the median of ``--repeat``
    processes, since it moves by some 10 MB from run to run with the machine's load): everything the
    process held at its fullest moment, Python, VTK, Mesa's buffers and the shared libraries'
    pages alike.  Target (issue 14): under 400 MB.  For scale, the same is measured for a bare
    pyvista script that draws one translucent sphere in one window of that size (glute3d draws
    a large picture as tiles: ``src/glute3d/render/tiles.py``) with the passes glute3d uses
    (light kit, order-independent transparency, FXAA): what VTK and Mesa's llvmpipe take by
    themselves.

``--src DIR`` runs everything from another source tree (``DIR/src`` on ``PYTHONPATH``), e.g. a
snapshot taken before a change, to measure before and after on the same machine.  Nothing is
asserted: the numbers depend on the machine (``tests/test_memory.py`` holds the cheap checks).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEAK_SCENES = ("01_bones_posterior", "06_layer1_skin", "21_injection_safety_map")
GROWTH_TARGET = 0.05  # deck: RSS growth from round 1 to the last round
PEAK_TARGET_MB = 400.0  # one 1080p render

_STATUS = r"""
def status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) / 1024.0
    return out
"""

DECK = (
    _STATUS
    + r"""
import gc, json, sys, time
from pathlib import Path
import glute3d
from glute3d.render import cached_model, render_to_file
from glute3d.scene import Scene

scenes_dir, out, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
size = tuple(int(v) for v in sys.argv[4].split("x")) if sys.argv[4] != "-" else None
new_model = sys.argv[5] == "new"  # a model loaded for every picture (render_to_file without one)
model = None if new_model else cached_model(glute3d.load_model())
paths = sorted(scenes_dir.glob("*.toml"))
rss = []
for k in range(rounds):
    t0 = time.perf_counter()
    for p in paths:
        render_to_file(Scene.from_file(p), out / f"{p.stem}.png", model, size=size)  # model None: loads one
    gc.collect()
    rss.append(status()["VmRSS"])
    print(f"round {k + 1:2d}: {len(paths)} scenes in {time.perf_counter() - t0:5.1f} s, RSS {rss[-1]:6.1f} MB",
          file=sys.stderr, flush=True)
print(json.dumps({"rss": rss, "hwm": status()["VmHWM"], "scenes": len(paths)}))
"""
)

PEAK = (
    _STATUS
    + r"""
import json, sys
import glute3d
from glute3d.render import cached_model, render
from glute3d.scene import Scene

scene = Scene.from_file(sys.argv[1])
result = render(scene, cached_model(glute3d.load_model()), size=(1920, 1080))
print(json.dumps({**status(), "shape": list(result.image.shape)}))
"""
)

BARE = (
    _STATUS
    + r"""
import json
import pyvista as pv

pl = pv.Plotter(off_screen=True, window_size=[1920, 1080], lighting="light kit")
pl.ren_win.SetMultiSamples(0)
pl.add_mesh(pv.Sphere(theta_resolution=200, phi_resolution=200), opacity=0.5, smooth_shading=True)
pl.renderer.SetUseFXAA(True)
image = pl.screenshot(return_img=True)
print(json.dumps(status()))
"""
)


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    env.pop("DISPLAY", None)
    if src is not None:
        env["PYTHONPATH"] = str(src / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(code: str, args: list[str], src: Path | None, *, show_progress: bool = False) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=_env(src),
        stdout=subprocess.PIPE,
        stderr=None if show_progress else subprocess.PIPE,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        msg = f"benchmark process failed (exit {proc.returncode}): {(proc.stderr or '').strip()[-2000:]}"
        raise SystemExit(msg)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_deck(rounds: int, size: str | None, src: Path | None, new_model: bool) -> None:
    """The whole deck ``rounds`` times in one process: RSS after each round, growth after round 1."""
    scenes = ROOT / "scenes"
    how = "new" if new_model else "one"
    with tempfile.TemporaryDirectory(prefix="glute3d-bench-memory-") as out:
        data = _run(DECK, [str(scenes), out, str(rounds), size or "-", how], src, show_progress=True)
    rss = data["rss"]
    first, last = rss[0], rss[-1]
    growth = (last - first) / first
    model = "a model loaded for every picture" if new_model else "one model"
    print(f"\n| deck x {rounds} ({data['scenes']} scenes, {size or 'scene size'}, {model}) | MB |")
    print("|---|---|")
    print(f"| RSS after round 1 (warm-up) | {first:.1f} |")
    print(f"| RSS after round {rounds} | {last:.1f} |")
    print(f"| largest RSS after any round | {max(rss):.1f} |")
    print(f"| peak RSS (VmHWM) | {data['hwm']:.1f} |")
    target = f"target <= {100 * GROWTH_TARGET:.0f} %"
    print(f"| growth, round 1 to {rounds} | {last - first:+.1f} MB ({100 * growth:+.1f} %, {target}) |")


def bench_peak(src: Path | None, repeat: int) -> None:
    """Peak RSS of fresh processes rendering one scene at 1920x1080 (cache warm): the median of ``repeat``."""
    print(
        f"\n| 1920x1080, fresh process, median of {repeat} | peak RSS (VmHWM) MB | RSS at the end MB | under 400 MB |"
    )
    print("|---|---|---|---|")
    for stem in PEAK_SCENES:
        path = str(ROOT / "scenes" / f"{stem}.toml")
        _run(PEAK, [path], src)  # warm the tissue cache (not counted)
        runs = [_run(PEAK, [path], src) for _ in range(repeat)]
        hwm, end = (statistics.median(r[k] for r in runs) for k in ("VmHWM", "VmRSS"))
        spread = f" ({min(r['VmHWM'] for r in runs):.0f}–{max(r['VmHWM'] for r in runs):.0f})" if repeat > 1 else ""
        print(f"| `{stem}` | {hwm:.1f}{spread} | {end:.1f} | {'yes' if hwm < PEAK_TARGET_MB else 'no'} |")
    bare = [_run(BARE, [], None) for _ in range(repeat)]
    what = "bare pyvista: one translucent sphere, light kit, OIT, FXAA"
    hwm, end = (statistics.median(r[k] for r in bare) for k in ("VmHWM", "VmRSS"))
    print(f"| {what} | {hwm:.1f} | {end:.1f} | — |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", nargs="?", choices=("deck", "peak", "all"), default="all")
    ap.add_argument("--rounds", type=int, default=20, help="deck renders (default 20)")
    ap.add_argument("--size", default=None, help="deck: render at WxH instead of the scenes' size")
    ap.add_argument("--src", type=Path, default=None, help="run from DIR/src (a snapshot of the tree)")
    ap.add_argument("--repeat", type=int, default=3, help="peak: fresh processes per scene (the median is shown)")
    ap.add_argument("--new-model", action="store_true", help="deck: load the model for every picture")
    args = ap.parse_args()
    if args.what in ("peak", "all"):
        bench_peak(args.src, args.repeat)
    if args.what in ("deck", "all"):
        bench_deck(args.rounds, args.size, args.src, args.new_model)


if __name__ == "__main__":
    main()
