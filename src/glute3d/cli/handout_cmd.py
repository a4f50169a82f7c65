"""``glute3d handout``: every scene of a folder on A4 pages of a PDF, with key facts (wiring only).

The work is done by :mod:`glute3d.export.handout`; here the output file is checked before
anything slow runs, failed scenes are reported one line each and left out, and failures to
write are phrased for ``-o``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from glute3d.cli.common import PROG, CliError, load_cached_model, one_line, parse_size
from glute3d.cli.export_cmd import check_output_file

__all__ = ["add_handout_parser", "cmd_handout"]


def add_handout_parser(sub: argparse._SubParsersAction) -> None:
    """The ``handout`` sub-command's arguments."""
    h = sub.add_parser("handout", help="every scene of a folder as an A4 PDF handout with key facts")
    h.add_argument("scenes_dir", metavar="SCENES_DIR", help="folder of scene files")
    h.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help="the PDF to write")
    h.add_argument(
        "--title", default="The gluteal region: lecture handout", help="the handout's title (title page, footers)"
    )
    h.add_argument(
        "--size", type=parse_size, default=None, metavar="WxH", help="the pictures' size (default 1920x1080)"
    )
    h.add_argument("--no-aa", action="store_true", help="no anti-aliasing")
    h.set_defaults(func=cmd_handout)


def cmd_handout(args: argparse.Namespace) -> int:
    """Render every scene for the handout and write the PDF (atomically); failed scenes are left out."""
    from glute3d.export.handout import handout_scenes, scene_files
    from glute3d.export.handout_pdf import write_handout

    out = check_output_file(Path(args.output), "-o", ".pdf")
    files = scene_files(Path(args.scenes_dir))
    model = load_cached_model(args.meshes)
    failed: list[Path] = []

    def report(path: Path, exc: Exception) -> None:
        failed.append(path)
        print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)

    t0 = time.perf_counter()
    scenes = handout_scenes(files, model, size=args.size, anti_aliasing=not args.no_aa, on_error=report)
    for s in scenes:
        for note in s.warnings:
            print(f"{PROG}: warning: {s.source}: {note}", file=sys.stderr)
    if not scenes:
        raise CliError(f"{out}: not written: every scene failed; fix them and run again")
    try:
        write_handout(scenes, out, title=args.title)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}; choose another file with -o") from None
    n = len(scenes)
    print(f"handout: {n} scene{'s' * (n != 1)}, {len(failed)} failed; wrote {out} ({time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0
