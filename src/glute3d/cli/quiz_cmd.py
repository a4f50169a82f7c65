"""``glute3d quiz``: a scene's picture with numbered pins, and its answer key (wiring only).

The work is done by :mod:`glute3d.export.quiz`; here the output folder is checked before
anything slow runs, and failures to write are phrased for ``-o``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from glute3d.cli.common import PROG, CliError, load_cached_model, parse_size, prepare_out_dir

__all__ = ["add_quiz_parser", "cmd_quiz"]


def add_quiz_parser(sub: argparse._SubParsersAction) -> None:
    """The ``quiz`` sub-command's arguments."""
    q = sub.add_parser("quiz", help="a scene with numbered pins instead of names, and its answer key")
    q.add_argument("scene", metavar="SCENE", help="scene file (TOML); each of its labels becomes a pin")
    q.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    q.add_argument(
        "--shuffle",
        type=int,
        default=None,
        metavar="SEED",
        help="number the pins in another order, the same for the same seed (files named ..._vSEED)",
    )
    q.add_argument("--pptx", action="store_true", help="also write a question slide and an answer slide")
    q.add_argument(
        "--size", type=parse_size, default=None, metavar="WxH", help="the picture's size (default: 1080 high at least)"
    )
    q.add_argument("--no-aa", action="store_true", help="no anti-aliasing")
    q.set_defaults(func=cmd_quiz)


def cmd_quiz(args: argparse.Namespace) -> int:
    """Render the quiz picture and write it with its answer key (all files or none)."""
    from glute3d.export.quiz import make_quiz, write_quiz
    from glute3d.scene import Scene

    out = prepare_out_dir(Path(args.output))
    scene = Scene.from_file(Path(args.scene))  # its form is checked before the model loads
    model = load_cached_model(args.meshes)
    t0 = time.perf_counter()
    quiz = make_quiz(scene, model, shuffle=args.shuffle, size=args.size, anti_aliasing=not args.no_aa)
    for note in quiz.warnings:
        print(f"{PROG}: warning: {args.scene}: {note}", file=sys.stderr)
    try:
        written = write_quiz(quiz, out, pptx=args.pptx)
    except OSError as exc:
        why = exc.strerror or exc
        raise CliError(f"cannot write the quiz into {out}: {why}; choose another folder with -o") from None
    names = ", ".join(p.name for p in written)
    print(f"quiz: {len(quiz.items)} pins ({quiz.version}); wrote {names} to {out} ({time.perf_counter() - t0:.1f} s)")
    return 0
