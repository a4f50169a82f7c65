"""``glute3d view``: the interactive viewer's window (needs a display; says how to get one if there is none)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from glute3d.cli.common import CliError, parse_size

__all__ = ["add_view_parser", "cmd_view", "display_problem"]


def display_problem(platform: str | None = None, environ: dict[str, str] | None = None) -> str | None:
    """Why no window can open here (one line), or ``None`` when a display is there.

    Examples
    --------
    >>> display_problem("linux", {})[:45]
    'glute3d view needs a display, and there is no'
    >>> display_problem("linux", {"DISPLAY": ":0"}) is None
    True
    """
    platform = platform or sys.platform
    env = os.environ if environ is None else environ
    if not platform.startswith("linux") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "glute3d view needs a display, and there is none ($DISPLAY is not set): run it on a desktop, or under a "
        "virtual one with `xvfb-run -s '-screen 0 1920x1080x24' glute3d view ...`; for pictures without a "
        "display use `glute3d render SCENE -o DIR`"
    )


def add_view_parser(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("view", help="explore a scene (or the whole model) in a window: peel, click, move the hip")
    v.add_argument(
        "scene", nargs="?", default=None, metavar="SCENE", help="scene file (TOML); default: the whole model"
    )
    v.add_argument(
        "--snapshot",
        default=None,
        metavar="FILE.png",
        help="open the window, render one frame, write it to FILE.png and exit",
    )
    v.add_argument("--size", type=parse_size, default=None, metavar="WxH", help="window size (default 1280x720)")
    v.set_defaults(func=cmd_view)


def cmd_view(args: argparse.Namespace) -> int:
    from glute3d.cli.common import load_cached_model

    problem = display_problem()
    if problem is not None:
        raise CliError(problem)
    if os.environ.get("VTK_DEFAULT_OPENGL_WINDOW") == "vtkEGLRenderWindow":
        os.environ.pop("VTK_DEFAULT_OPENGL_WINDOW")  # a window on the display, not an off-screen EGL one
    size = args.size
    if args.snapshot is not None and Path(args.snapshot).suffix.lower() != ".png":
        raise CliError(f"--snapshot {args.snapshot}: the snapshot is a PNG picture; give a name ending in .png")
    from glute3d.scene import Scene
    from glute3d.viewer.viewer import Viewer
    from glute3d.viewer.window import run

    scene = Scene.from_file(args.scene) if args.scene else None  # a bad scene: one line, before any window
    viewer = Viewer(scene, off_screen=False, model=load_cached_model(args.meshes), size=size, panels=True)
    run(viewer, snapshot=args.snapshot)
    if args.snapshot is not None:
        print(f"wrote {args.snapshot}")
    return 0
