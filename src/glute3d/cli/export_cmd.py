"""``glute3d export`` (a scene as a 3D model or an offline web page) and the deck's ``--pptx`` slides and
``--html`` pages: checks and wiring only.

The work is done by :mod:`glute3d.export`; here output files are checked before anything slow
runs (a folder, an unwritable place or a wrong extension is one line naming the option), and
failures to write are phrased for the option that chose the file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from glute3d.cli.common import PROG, CliError, load_cached_model

__all__ = ["check_output_file", "cmd_export", "write_deck_pages", "write_deck_slides"]


def _nearest_existing(path: Path) -> Path:
    for folder in path.absolute().parents:
        if folder.exists():
            return folder
    return Path(path.absolute().anchor)


def check_output_file(path: Path, option: str, suffix: str) -> Path:
    """``path`` if a file of that name can be written there, else a :class:`CliError` naming ``option``.

    Examples
    --------
    >>> check_output_file(Path("lecture.ppt"), "--pptx", ".pptx")
    Traceback (most recent call last):
    ...
    glute3d.cli.common.CliError: lecture.ppt: the file name must end in .pptx; e.g. --pptx lecture.pptx
    """
    if path.suffix.lower() != suffix:
        raise CliError(f"{path}: the file name must end in {suffix}; e.g. {option} {path.with_suffix(suffix)}")
    if path.is_dir():
        raise CliError(f"{path} is a folder; give a file name with {option}, e.g. {option} {path / ('out' + suffix)}")
    folder = path.parent if path.parent.exists() else _nearest_existing(path)
    if not folder.is_dir():
        raise CliError(f"cannot write {path}: {folder} is not a folder; choose another file with {option}")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(f"cannot write {path}: {folder} is not writable; choose another file with {option}")
    return path


def _concerns(exc: OSError, path: Path) -> bool:
    """The error is about writing ``path`` (its folder, a folder above it, or its temporary file)."""
    if not exc.filename:
        return False
    f, p = Path(exc.filename).absolute(), path.absolute()
    return f == p or f.parent == p.parent or f in p.parents


def _write_error(exc: OSError, path: Path, option: str) -> CliError:
    return CliError(f"cannot write {path}: {exc.strerror or exc}; choose another file with {option}")


def _export_one(write: Any, scene: Any, model: Any, out: Path, option: str) -> Any:
    try:
        return write(scene, model, out)
    except OSError as exc:
        if _concerns(exc, out):
            raise _write_error(exc, out, option) from None
        raise


def cmd_export(args: argparse.Namespace) -> int:
    """Write what a scene draws as a glTF binary (``--glb``) and/or an offline web page (``--html``)."""
    from glute3d.export import write_glb
    from glute3d.export.html import write_html
    from glute3d.scene import Scene

    outputs = []
    if args.glb:
        outputs.append((write_glb, check_output_file(Path(args.glb), "--glb", ".glb"), "--glb"))
    if args.html:
        outputs.append((write_html, check_output_file(Path(args.html), "--html", ".html"), "--html"))
    scene = Scene.from_file(Path(args.scene))  # its form is checked before the model loads
    model = load_cached_model(args.meshes)
    warned = False
    for write, out, option in outputs:
        t0 = time.perf_counter()
        result = _export_one(write, scene, model, out, option)
        for note in [] if warned else result.warnings:
            print(f"{PROG}: warning: {args.scene}: {note}", file=sys.stderr)
        warned = True
        n = len(result.structures)
        size = result.size / 1e6
        print(f"wrote {out} ({n} structure{'s' * (n != 1)}, {size:.1f} MB, {time.perf_counter() - t0:.1f} s)")
    return 0


def write_deck_slides(path: Path, entries: Iterable[Any]) -> None:
    """The deck's rendered scenes as slides (``--pptx``), in its order; failed scenes get none."""
    from glute3d.export import Slide, write_pptx

    slides = [
        Slide(picture=e.png, title=e.title or e.scene.stem, caption=e.caption, source=e.scene.name, scene=e.scene)
        for e in entries
        if e.status != "failed"
    ]
    if not slides:
        raise CliError(f"{path}: no slides written: every scene failed; fix them and run the deck again")
    try:
        write_pptx(slides, path)
    except OSError as exc:
        if _concerns(exc, path):
            raise _write_error(exc, path, "--pptx") from None
        raise
    print(f"slides: {len(slides)} in {path}")


def write_deck_pages(entries: Iterable[Any], model: Any) -> dict[Path, str]:
    """An offline web page beside each picture of the deck (``--html``): ``SCENE.html``.

    Returns the pages written, and for each scene whose page could not be made the reason (one
    line); the picture and its card stay, without a page.
    """
    from glute3d.cli.common import one_line
    from glute3d.export.html import write_html
    from glute3d.scene import Scene

    problems: dict[Path, str] = {}
    written = 0
    for e in entries:
        if e.status == "failed":
            continue
        page = e.png.with_suffix(".html")
        try:
            write_html(Scene.from_file(e.scene), model, page)
            written += 1
        except (ValueError, KeyError, OSError) as exc:  # ExportError, SceneError, a full disk
            problems[e.scene] = one_line(exc)
    print(f"pages: {written} offline web page{'s' * (written != 1)} beside the pictures")
    return problems
