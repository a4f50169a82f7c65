"""Timings of the paths, skin and injection stages.

Run:  python bench/bench_injection.py
"""

from __future__ import annotations

import time

import glute3d
from glute3d.anatomy.pose import Pose
from glute3d.anatomy.skin import generate_skin
from glute3d.teaching import injection


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<46s} {time.perf_counter() - t0:7.3f} s")
    return out


def main() -> None:
    model = timed("load_model", glute3d.load_model)
    timed("muscles (rig + neutral)", lambda: model.muscles)
    timed("paths, neutral (rig + both sides)", lambda: model.paths)
    timed("paths, flexed 30 (rig cached)", lambda: model.posed(Pose(flexion=30)).paths)
    flexed = model.posed(Pose(flexion=60))
    timed("muscles, flexed 60", lambda: flexed.muscles)
    timed("paths, flexed 60", lambda: flexed.paths)
    timed("skin (meshes/skin.ply, or generated if stale)", lambda: model.skin)
    timed("skin, generated", lambda: generate_skin(model.skeleton, model.muscles))
    timed("skin, bent to flexion 60", lambda: flexed.skin)
    sites = timed("injection sites (both sides)", lambda: injection.sites(model))
    timed("needle report", lambda: injection.needle(model, sites["ventrogluteal_r"]))
    timed("safety map (all nerves and arteries)", lambda: injection.safety_map(model))
    timed("safety map (sciatic nerve, right)", lambda: injection.safety_map(model, names=["sciatic_nerve_r"]))


if __name__ == "__main__":
    main()
