"""The ``glute3d`` command: build the model files, render scenes, render a lecture deck.

The thinnest layer of the project: it parses arguments, calls the API and turns the project's
errors into one clear line on stderr (no traceback) with a non-zero exit status.

Examples
--------
::

    glute3d render scenes/01_bones_posterior.toml -o out/
    glute3d deck scenes/ -o deck/ --jobs 2
    glute3d deck scenes/ -o deck/ --pptx deck/lecture.pptx   # and the pictures as slides
    glute3d export scenes/14_piriformis_and_sciatic_foramina.toml --glb piriformis.glb
    glute3d export scenes/14_piriformis_and_sciatic_foramina.toml --html piriformis.html   # offline web page
    glute3d deck scenes/ -o deck/ --html   # and every card of the contact sheet opens its scene's page
    glute3d quiz scenes/13_superior_gluteal_nerve_and_artery.toml -o quiz/ --shuffle 2 --pptx
    glute3d handout scenes/ -o handout.pdf
    glute3d view scenes/08_layer3_gluteus_medius.toml          # a window (needs a display)
    glute3d list structures --kind muscle
    glute3d list structures --kind muscle --volumes
    glute3d --meshes my_meshes/ render scene.toml -o out/   # after `glute3d build-meshes -o my_meshes`
    glute3d doctor
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

if not os.environ.get("DISPLAY"):
    # Off-screen EGL render window, chosen before any VTK rendering class loads (no X server).
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

from glute3d.cli.animate_cmd import add_animate_parser  # noqa: E402
from glute3d.cli.common import PROG, CliError, one_line, parse_size  # noqa: E402
from glute3d.cli.deck import cmd_deck  # noqa: E402
from glute3d.cli.export_cmd import cmd_export  # noqa: E402
from glute3d.cli.handout_cmd import add_handout_parser  # noqa: E402
from glute3d.cli.info import LISTS, cmd_cache, cmd_doctor, cmd_list  # noqa: E402
from glute3d.cli.quiz_cmd import add_quiz_parser  # noqa: E402
from glute3d.cli.render_cmd import cmd_build_meshes, cmd_render  # noqa: E402
from glute3d.cli.view_cmd import add_view_parser  # noqa: E402

__all__ = ["build_parser", "main"]


# =============================================================================== parser
class _Parser(argparse.ArgumentParser):
    """A parser (and, inherited, its sub-commands' parsers) whose usage errors are one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        """As argparse's, but an unknown option names the sub-command it was given to."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = getattr(parsed, "command", None)
            prog = f"{self.prog} {command}" if command else self.prog
            self.exit(2, f"{prog}: error: unrecognized arguments: {' '.join(extras)}; see '{prog} --help'\n")
        return parsed


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``glute3d`` (one sub-command a job)."""
    import glute3d

    p = _Parser(prog=PROG, description="Scriptable 3D anatomy of the gluteal region.")
    p.add_argument("--version", action="version", version=f"%(prog)s {glute3d.__version__}")
    meshes = "folder of the model files (default: $GLUTE3D_MESHES, else the files shipped with glute3d)"
    p.add_argument("--meshes", metavar="DIR", default=None, help=meshes)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    b = sub.add_parser("build-meshes", help="generate the bone meshes and landmarks")
    out_help = "output folder; use it with --meshes DIR or $GLUTE3D_MESHES"
    b.add_argument("-o", "--output", required=True, metavar="DIR", help=out_help)
    b.set_defaults(func=cmd_build_meshes)

    r = sub.add_parser("render", help="render scenes to PNG (off-screen)")
    r.add_argument("scenes", nargs="+", metavar="SCENE", help="scene files (TOML)")
    r.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    r.add_argument("--size", type=parse_size, default=None, metavar="WxH", help="override the scenes' resolution")
    r.add_argument("--no-aa", action="store_true", help="no anti-aliasing")
    r.set_defaults(func=cmd_render)

    add_animate_parser(sub)

    d = sub.add_parser("deck", help="render every scene of a folder and an HTML contact sheet")
    d.add_argument("scenes_dir", metavar="SCENES_DIR", help="folder of scene files")
    d.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    d.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="render N scenes at a time")
    d.add_argument("--force", action="store_true", help="render even scenes whose PNG is up to date")
    d.add_argument("--size", type=parse_size, default=None, metavar="WxH", help="override the scenes' resolution")
    d.add_argument("--no-aa", action="store_true", help="no anti-aliasing")
    d.add_argument("-v", "--verbose", action="store_true", help="print the time each scene took")
    d.add_argument(
        "--pptx", default=None, metavar="FILE.pptx", help="also write the pictures as 16:9 slides (PowerPoint)"
    )
    d.add_argument(
        "--html",
        action="store_true",
        help="also write each scene as an offline 3D web page (SCENE.html) and link it from its card",
    )
    d.set_defaults(func=cmd_deck)

    e = sub.add_parser("export", help="write what a scene draws as a 3D model (glTF binary) or an offline web page")
    e.add_argument("scene", metavar="SCENE", help="scene file (TOML)")
    e.add_argument(
        "--glb",
        default=None,
        metavar="OUT.glb",
        help="glTF 2.0 binary to write: one named node per structure, metres, Y up",
    )
    e.add_argument(
        "--html",
        default=None,
        metavar="OUT.html",
        help="one self-contained web page (opens from disk, no internet): layers, labels, facts, quiz",
    )
    e.set_defaults(func=cmd_export)

    add_quiz_parser(sub)
    add_handout_parser(sub)
    add_view_parser(sub)

    _add_info_parsers(sub)
    return p


def _add_info_parsers(sub: Any) -> None:
    """``list``, ``doctor`` and ``cache``: what is installed and where."""
    ls = sub.add_parser("list", help="list structures, landmarks, camera presets, scenes or injection sites")
    ls.add_argument("what", choices=LISTS, help="what to list")
    ls.add_argument(
        "folder", nargs="?", default=None, metavar="DIR", help="with `scenes`: the folder (default: scenes/)"
    )
    ls.add_argument(
        "--kind",
        default=None,
        help="with `structures`: only this kind (bone, muscle, nerve, ...); with `sites`: intramuscular, bursal "
        "or region",
    )
    ls.add_argument(
        "--volumes",
        action="store_true",
        help="with `structures`: add each muscle's volume in cm³ (generates the muscles, a few seconds)",
    )
    ls.set_defaults(func=cmd_list)

    doc = sub.add_parser("doctor", help="check the installation: versions, model files, cache, a test render")
    doc.set_defaults(func=cmd_doctor)

    c = sub.add_parser("cache", help="where the tissue cache is and how big; --clear empties it")
    c.add_argument("--clear", action="store_true", help="remove the cache's entries (and nothing else)")
    c.set_defaults(func=cmd_cache)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``glute3d`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "export" and not (args.glb or args.html):
        msg = "the following arguments are required: --glb or --html (or both)"
        parser.exit(2, f"{PROG} export: error: {msg}; see '{PROG} export --help'\n")
    if getattr(args, "jobs", 1) < 1:
        print(f"{PROG}: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `glute3d list structures | head`: the reader has gone, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (ValueError, KeyError, OSError) as exc:  # SceneError, ModelFilesError, ParameterError, ...
        print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
