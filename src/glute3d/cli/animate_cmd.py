"""``glute3d animate``: an animated scene to an MP4 or GIF video."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from glute3d.cli.common import CliError, load_cached_model, parse_size

__all__ = ["add_animate_parser", "cmd_animate"]


def add_animate_parser(sub: Any) -> None:
    """Register ``glute3d animate`` on the sub-command parsers ``sub``."""
    a = sub.add_parser("animate", help="render an animated scene ([animation] keyframes) to MP4 or GIF")
    a.add_argument("scene", metavar="SCENE", help="scene file (TOML) with [animation] and [[animation.keyframes]]")
    a.add_argument("-o", "--output", required=True, metavar="OUT", help="video file: .mp4 or .gif")
    a.add_argument("--size", type=parse_size, default=None, metavar="WxH", help="override the scene's resolution")
    a.add_argument("--no-aa", action="store_true", help="no anti-aliasing")
    a.set_defaults(func=cmd_animate)


def _check_output(out: Path) -> None:
    """One line before any frame is rendered: a suffix we cannot write, a folder we cannot write to."""
    from glute3d.render.animate import VIDEO_SUFFIXES

    if out.suffix.lower() not in VIDEO_SUFFIXES:
        raise CliError(f"{out}: unknown video format {out.suffix or '(none)'!r}; name the output .mp4 or .gif")
    if out.is_dir():
        raise CliError(f"{out} is a folder; give a video file name ending in .mp4 or .gif")
    folder = out.parent
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is not None and (not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK)):
        raise CliError(f"cannot write {out}: {existing} is not a writable folder; choose another with -o")


def cmd_animate(args: argparse.Namespace) -> int:
    from glute3d.render.animate import animate
    from glute3d.scene import Scene

    out = Path(args.output)
    _check_output(out)
    scene = Scene.from_file(Path(args.scene))
    if scene.animation is None:
        raise CliError(f"{args.scene}: animation: the scene has no [animation]; add [[animation.keyframes]] tables")
    model = load_cached_model(args.meshes)
    t0 = time.perf_counter()
    animate(scene, out, model, size=args.size, anti_aliasing=not args.no_aa)
    n = scene.animation.n_frames
    print(f"wrote {out} ({n} frames, {time.perf_counter() - t0:.1f} s)")
    return 0
