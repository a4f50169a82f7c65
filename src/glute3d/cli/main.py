"""The ``glute3d`` command: build the model files, render scenes, render a lecture deck.

The thinnest layer of the project: it parses arguments, calls the API and turns the project's
errors into one clear line on stderr (no traceback) with a non-zero exit status.

Examples
--------
::

    glute3d build-meshes -o meshes
    glute3d render scenes/01_bones_posterior.toml -o out/
    glute3d deck scenes/ -o deck/ --jobs 2
"""

from __future__ import annotations

import argparse
import html
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["main"]

if not os.environ.get("DISPLAY"):
    # Off-screen EGL render window, chosen before any VTK rendering class loads (no X server).
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

PROG = "glute3d"


class CliError(Exception):
    """An error already phrased for the user (one line)."""


# =============================================================================== helpers
def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None


def _one_line(exc: BaseException) -> str:
    """The project's exceptions as one line naming what is wrong and the fix."""
    text = str(exc) if not isinstance(exc, KeyError) or not exc.args else str(exc.args[0])
    if isinstance(exc, PermissionError | IsADirectoryError | NotADirectoryError) and exc.filename:
        text = f"cannot write {exc.filename}: {exc.strerror}; choose a writable folder with -o"
    elif isinstance(exc, OSError) and exc.filename and not text.startswith(str(exc.filename)):
        text = f"{exc.filename}: {exc.strerror or text}"
    return " ".join(text.split())


def _prepare_out_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create output folder {path}: {exc.strerror}; choose another with -o") from None
    if not path.is_dir():
        raise CliError(f"output {path} is not a folder; choose a folder with -o")
    if not os.access(path, os.W_OK | os.X_OK):
        raise CliError(f"output folder {path} is not writable; choose another with -o")
    return path


def _load_model(mesh_dir: str | None):
    """The model, wrapped so that its generated soft tissues come from the disk cache."""
    from glute3d.model.files import load_model
    from glute3d.render.core import cached_model

    return cached_model(load_model(mesh_dir))


def _model_files(mesh_dir: str | None) -> list[Path]:
    from glute3d.io.modelfiles import default_mesh_dir

    folder = Path(mesh_dir) if mesh_dir else default_mesh_dir()
    return sorted([*folder.glob("*.ply"), *folder.glob("*.json")])


def _theme_file() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "theme.toml"


# =============================================================================== commands
def cmd_build_meshes(args: argparse.Namespace) -> int:
    from glute3d.model.files import build_mesh_files

    out = _prepare_out_dir(Path(args.output))
    t0 = time.perf_counter()
    written = build_mesh_files(out)
    print(f"wrote {len(written)} files to {out} ({time.perf_counter() - t0:.1f} s)")
    return 0


THUMB_WIDTH = 480  # px, contact-sheet thumbnails


def _render_one(scene_path: Path, out_dir: Path, model: Any, size: tuple[int, int] | None, aa: bool,
                *, thumbnail: bool = False) -> tuple[Path, Any]:
    from glute3d.render.core import render_to_file
    from glute3d.scene.core import Scene

    scene = Scene.from_file(scene_path)
    target = out_dir / f"{scene_path.stem}.png"
    result = render_to_file(scene, target, model, size=size, anti_aliasing=aa)
    if thumbnail:
        _write_thumbnail(result.image, _thumb_path(target))
    return target, (scene, result)


def _thumb_path(png: Path) -> Path:
    return png.parent / "thumbs" / f"{png.stem}.jpg"


def _write_thumbnail(image: Any, path: Path) -> None:
    """A small JPEG copy of a rendered picture for the contact sheet (written atomically)."""
    import io

    from PIL import Image

    from glute3d.io.atomic import write_atomically

    img = Image.fromarray(image)
    if img.mode == "RGBA":  # a transparent picture: on white
        img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img)
    img = img.convert("RGB")
    h = max(1, round(img.height * THUMB_WIDTH / img.width))
    # reduce() by a whole factor first (cheap box filter), then a small high-quality resize
    factor = max(1, img.width // (2 * THUMB_WIDTH))
    if factor > 1:
        img = img.reduce(factor)
    buf = io.BytesIO()
    img.resize((THUMB_WIDTH, h), Image.Resampling.LANCZOS).save(buf, format="JPEG", quality=88)
    write_atomically(path, buf.getvalue())


def cmd_render(args: argparse.Namespace) -> int:
    out = _prepare_out_dir(Path(args.output))
    paths = [Path(p) for p in args.scenes]
    from glute3d.scene.core import Scene, SceneError

    # check every scene's form before loading the model
    failed = 0
    good: list[Path] = []
    for p in paths:
        try:
            Scene.from_file(p)
            good.append(p)
        except SceneError as exc:
            print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
            failed += 1
    if good:
        model = _load_model(args.meshes)
        for p in good:
            t0 = time.perf_counter()
            try:
                target, (_, result) = _render_one(p, out, model, args.size, not args.no_aa)
            except (SceneError, ValueError, KeyError, OSError) as exc:
                print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
                failed += 1
                continue
            for note in result.warnings:
                print(f"{PROG}: warning: {p}: {note}", file=sys.stderr)
            print(f"wrote {target} ({time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0


# -------------------------------------------------------------------------------- deck
@dataclass
class DeckEntry:
    scene: Path
    png: Path
    title: str = ""
    caption: str = ""
    status: str = "rendered"  # rendered | up to date | failed
    error: str = ""
    seconds: float = 0.0
    variants: bool = False  # the scene switches anatomical variants on


_WORKER: dict[str, Any] = {}


def _worker_init(mesh_dir: str | None) -> None:
    if "model" not in _WORKER:
        model = _load_model(mesh_dir)
        preload = getattr(model, "preload", None)
        if callable(preload):
            preload()  # the soft tissues, when they are in the cache already (milliseconds)
        _WORKER["model"] = model


def _deck_job(scene: str, out_dir: str, size: tuple[int, int] | None, aa: bool) -> tuple[str, str, float]:
    """Render one scene in a worker; returns ``(scene, error or "", seconds)``."""
    t0 = time.perf_counter()
    try:
        _render_one(Path(scene), Path(out_dir), _WORKER["model"], size, aa, thumbnail=True)
    except Exception as exc:  # reported per scene, the deck goes on
        return scene, _one_line(exc), time.perf_counter() - t0
    return scene, "", time.perf_counter() - t0


def _up_to_date(png: Path, scene: Path, inputs: list[Path]) -> bool:
    if not png.is_file() or not _thumb_path(png).is_file():
        return False
    newest = max([scene.stat().st_mtime, *[p.stat().st_mtime for p in inputs if p.exists()]])
    return png.stat().st_mtime > newest


def cmd_deck(args: argparse.Namespace) -> int:
    from glute3d.scene.core import Scene, SceneError

    scenes_dir = Path(args.scenes_dir)
    if not scenes_dir.is_dir():
        raise CliError(f"{scenes_dir}: no such folder of scenes; give the folder holding the *.toml scenes")
    scenes = sorted(scenes_dir.glob("*.toml"))
    if not scenes:
        raise CliError(f"{scenes_dir}: no scene files (*.toml) in this folder")
    out = _prepare_out_dir(Path(args.output))
    inputs = [*_model_files(args.meshes), _theme_file()]
    entries: list[DeckEntry] = []
    todo: list[DeckEntry] = []
    for s in scenes:
        e = DeckEntry(scene=s, png=out / f"{s.stem}.png")
        try:
            sc = Scene.from_file(s)
            e.title, e.caption, e.variants = sc.title, sc.caption, bool(sc.variants)
        except SceneError as exc:
            e.status, e.error = "failed", _one_line(exc)
            entries.append(e)
            continue
        if not args.force and _up_to_date(e.png, s, inputs):
            e.status = "up to date"
        else:
            todo.append(e)
        entries.append(e)

    if any(e.variants for e in todo):
        import glute3d.anatomy.paths  # noqa: F401 - variant scenes need it: import once, before forking

    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc="deck", unit="scene", file=sys.stderr, disable=None, leave=True)
    size, aa = args.size, not args.no_aa
    by_scene = {str(e.scene): e for e in todo}
    try:
        if todo and args.jobs > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            if method == "fork":
                # loaded once and shared with the forked workers (no render window exists yet)
                _worker_init(args.meshes)
                import pyvista

                pyvista.Plotter  # noqa: B018 - import the plotting modules once, before forking
            with ProcessPoolExecutor(
                max_workers=min(args.jobs, len(todo)),
                mp_context=mp.get_context(method),
                initializer=_worker_init,
                initargs=(args.meshes,),
            ) as pool:
                futures = [pool.submit(_deck_job, str(e.scene), str(out), size, aa) for e in todo]
                for fut in as_completed(futures):
                    scene, error, seconds = fut.result()
                    _finish(by_scene[scene], error, seconds, bar, args.verbose)
        elif todo:
            _worker_init(args.meshes)
            for e in todo:
                scene, error, seconds = _deck_job(str(e.scene), str(out), size, aa)
                _finish(e, error, seconds, bar, args.verbose)
    finally:
        bar.close()
    index = out / "index.html"
    _write_index(index, entries)
    failed = [e for e in entries if e.status == "failed"]
    for e in failed:
        print(f"{PROG}: error: {e.error}", file=sys.stderr)
    n_new = sum(e.status == "rendered" for e in entries)
    n_old = sum(e.status == "up to date" for e in entries)
    print(f"deck: {n_new} rendered, {n_old} up to date, {len(failed)} failed; contact sheet {index}")
    return 1 if failed else 0


def _finish(e: DeckEntry, error: str, seconds: float, bar, verbose: bool = False) -> None:
    e.seconds = seconds
    if error:
        e.status, e.error = "failed", error
    if verbose:
        bar.write(f"{e.scene.name}: {seconds:.3f} s{' (failed)' if error else ''}", file=sys.stderr)
    bar.update(1)


def _write_index(path: Path, entries: list[DeckEntry]) -> None:
    """An HTML contact sheet of the deck in lecture order (file-name order), written atomically.

    Every card shows the scene's number, title, a thumbnail linking to the full picture, and
    the caption; a scene that failed shows its error instead of a picture.
    """
    from glute3d.io.atomic import write_atomically

    cards = []
    for n, e in enumerate(entries, 1):
        title = html.escape(e.title or e.scene.stem)
        caption = html.escape(e.caption)
        name = html.escape(e.scene.name)
        if e.status == "failed":
            body = f'<div class="error">{html.escape(e.error)}</div>'
        else:
            src = html.escape(e.png.name)
            thumb = _thumb_path(e.png)
            small = html.escape(f"thumbs/{thumb.name}") if thumb.is_file() else src
            body = (f'<a href="{src}" title="open the full picture"><img src="{small}" alt="{title}" '
                    f'loading="lazy"></a>')
        cards.append(
            f'<figure class="card" id="{html.escape(e.scene.stem)}">{body}<figcaption>'
            f'<h2><span class="n">{n}</span> {title}</h2>'
            f"<p>{caption}</p><p class=\"file\">{name}</p></figcaption></figure>"
        )
    doc = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>glute3d lecture deck</title>
<style>
body {{ font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em; background: #f4f4f2; color: #1a1a1a; }}
h1 {{ font-size: 1.5em; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 1.2em; }}
.card {{ margin: 0; background: white; border: 1px solid #ddd; border-radius: 6px; padding: 0.6em; }}
.card img {{ width: 100%; height: auto; display: block; }}
.card h2 {{ font-size: 1.0em; margin: 0.5em 0 0.2em; }}
.card .n {{ color: #888; font-weight: normal; }}
.card p {{ font-size: 0.85em; margin: 0.2em 0; color: #444; }}
.card p.file {{ color: #888; font-family: monospace; }}
.error {{ color: #a00; font-family: monospace; font-size: 0.85em; padding: 1em; background: #fff4f4; }}
</style>
</head>
<body>
<h1>glute3d lecture deck: {len(entries)} scenes</h1>
<div class="grid">
{chr(10).join(cards)}
</div>
</body>
</html>
"""
    write_atomically(path, doc.encode("utf-8"))


# =============================================================================== parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Scriptable 3D anatomy of the gluteal region.")
    p.add_argument("--meshes", metavar="DIR", default=None,
                   help="folder of the model files (default: $GLUTE3D_MESHES or ./meshes)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    b = sub.add_parser("build-meshes", help="generate the bone meshes and landmarks")
    b.add_argument("-o", "--output", default="meshes", metavar="DIR", help="output folder (default: meshes/)")
    b.set_defaults(func=cmd_build_meshes)

    r = sub.add_parser("render", help="render scenes to PNG (off-screen)")
    r.add_argument("scenes", nargs="+", metavar="SCENE", help="scene files (TOML)")
    r.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    r.add_argument("--size", type=_size, default=None, metavar="WxH", help="override the scenes' resolution")
    r.add_argument("--no-aa", action="store_true", help="no anti-aliasing")
    r.set_defaults(func=cmd_render)

    d = sub.add_parser("deck", help="render every scene of a folder and an HTML contact sheet")
    d.add_argument("scenes_dir", metavar="SCENES_DIR", help="folder of scene files")
    d.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    d.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="render N scenes at a time")
    d.add_argument("--force", action="store_true", help="render even scenes whose PNG is up to date")
    d.add_argument("--size", type=_size, default=None, metavar="WxH", help="override the scenes' resolution")
    d.add_argument("--no-aa", action="store_true", help="no anti-aliasing")
    d.add_argument("-v", "--verbose", action="store_true", help="print the time each scene took")
    d.set_defaults(func=cmd_deck)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``glute3d`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
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
    except (ValueError, KeyError, OSError) as exc:  # SceneError, ModelFilesError, ParameterError, ...
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
