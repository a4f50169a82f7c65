"""``glute3d deck``: every scene of a folder, rendered in lecture order, and an HTML contact sheet."""

from __future__ import annotations

import argparse
import html
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glute3d.cli.common import PROG, CliError, load_cached_model, model_files, one_line, prepare_out_dir, theme_file
from glute3d.cli.export_cmd import check_output_file, write_deck_pages, write_deck_slides
from glute3d.cli.freshness import Stamps, inputs_fingerprint
from glute3d.cli.render_cmd import render_image, render_one, thumb_path, write_outputs

__all__ = ["DeckEntry", "cmd_deck"]


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
    done: bool = False  # rendered (or failed) in this run


_WORKER: dict[str, Any] = {}


def _worker_init(mesh_dir: str | None) -> None:
    if "model" not in _WORKER:
        model = load_cached_model(mesh_dir)
        preload = getattr(model, "preload", None)
        if callable(preload):
            preload()  # the soft tissues, when they are in the cache already (milliseconds)
        _WORKER["model"] = model


def _deck_job(scene: str, out_dir: str, size: tuple[int, int] | None, aa: bool) -> tuple[str, str, float]:
    """Render one scene in a worker and write it; returns ``(scene, error or "", seconds)``."""
    t0 = time.perf_counter()
    try:
        render_one(Path(scene), Path(out_dir), _WORKER["model"], size, aa, thumbnail=True)
    except Exception as exc:  # reported per scene, the deck goes on
        return scene, one_line(exc), time.perf_counter() - t0
    return scene, "", time.perf_counter() - t0


class _Writer:
    """Writes finished pictures (PNG and thumbnail) on a background thread while the next scene
    renders; zlib and JPEG encoding release the GIL.  At most two pictures wait, so memory stays
    bounded; a write that fails marks its scene failed."""

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glute3d-writer")
        self._pending: list[tuple[DeckEntry, Any]] = []

    def submit(self, entry: DeckEntry, image: Any) -> None:
        while len(self._pending) >= 2:
            self._settle(*self._pending.pop(0))
        self._pending.append((entry, self._pool.submit(write_outputs, image, entry.png, thumbnail=True)))

    def _settle(self, entry: DeckEntry, future: Any) -> None:
        try:
            future.result()
        except Exception as exc:  # e.g. a full disk: this scene failed, the deck goes on
            entry.status, entry.error = "failed", one_line(exc)

    def close(self) -> None:
        """Wait for every write."""
        while self._pending:
            self._settle(*self._pending.pop(0))
        self._pool.shutdown()


def _plan(args: argparse.Namespace, out: Path, stamps: Stamps) -> tuple[list[DeckEntry], list[DeckEntry]]:
    """Every scene of the folder as an entry (invalid ones failed already), and those to render."""
    from glute3d.scene import Scene, SceneError

    scenes_dir = Path(args.scenes_dir)
    if not scenes_dir.is_dir():
        raise CliError(f"{scenes_dir}: no such folder of scenes; give the folder holding the *.toml scenes")
    scenes = sorted(scenes_dir.glob("*.toml"))
    if not scenes:
        raise CliError(f"{scenes_dir}: no scene files (*.toml) in this folder")
    entries: list[DeckEntry] = []
    todo: list[DeckEntry] = []
    for s in scenes:
        e = DeckEntry(scene=s, png=out / f"{s.stem}.png")
        entries.append(e)
        try:
            sc = Scene.from_file(s)
            e.title, e.caption, e.variants = sc.title, sc.caption, bool(sc.variants)
        except SceneError as exc:
            e.status, e.error = "failed", one_line(exc)
            continue
        if not args.force and stamps.up_to_date(s, [e.png, thumb_path(e.png)]):
            e.status = "up to date"
        else:
            todo.append(e)
    return entries, todo


def _run_in_workers(args: argparse.Namespace, out: Path, todo: list[DeckEntry], bar: Any) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    by_scene = {str(e.scene): e for e in todo}
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
        futures = [pool.submit(_deck_job, str(e.scene), str(out), args.size, not args.no_aa) for e in todo]
        for fut in as_completed(futures):
            scene, error, seconds = fut.result()
            _finish(by_scene[scene], error, seconds, bar, args.verbose)


def _run_here(args: argparse.Namespace, out: Path, todo: list[DeckEntry], bar: Any) -> None:
    """One scene after the other in this process, writing each picture while the next renders."""
    _worker_init(args.meshes)
    writer = _Writer()
    try:
        for e in todo:
            t0 = time.perf_counter()
            error = ""
            try:
                image = render_image(e.scene, _WORKER["model"], args.size, not args.no_aa)
                writer.submit(e, image)
            except Exception as exc:  # reported per scene, the deck goes on
                error = one_line(exc)
            _finish(e, error, time.perf_counter() - t0, bar, args.verbose)
    finally:
        writer.close()


def cmd_deck(args: argparse.Namespace) -> int:
    pptx = check_output_file(Path(args.pptx), "--pptx", ".pptx") if args.pptx else None
    out = prepare_out_dir(Path(args.output))
    stamps = Stamps(out, inputs_fingerprint(model_files(args.meshes), theme_file(), args.size, not args.no_aa))
    entries, todo = _plan(args, out, stamps)
    if any(e.variants for e in todo):
        import glute3d.anatomy.paths  # noqa: F401 - variant scenes need it: import once, before forking
    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc="deck", unit="scene", file=sys.stderr, disable=None, leave=True)
    try:
        if todo and args.jobs > 1:
            _run_in_workers(args, out, todo, bar)
        elif todo:
            _run_here(args, out, todo, bar)
    finally:
        bar.close()
        for e in todo:
            if e.done and e.status == "rendered":
                stamps.record(e.scene)
            else:
                stamps.forget(e.scene)
        stamps.save()
    pages = _pages(args, entries) if args.html else {}
    index = out / "index.html"
    _write_index(index, entries, pages)
    failed = [e for e in entries if e.status == "failed"]
    for e in failed:
        print(f"{PROG}: error: {e.error}", file=sys.stderr)
    n_new = sum(e.status == "rendered" for e in entries)
    n_old = sum(e.status == "up to date" for e in entries)
    print(f"deck: {n_new} rendered, {n_old} up to date, {len(failed)} failed; contact sheet {index}")
    if pptx is not None:
        write_deck_slides(pptx, entries)  # the scenes that did not fail, in lecture order
    return 1 if failed else 0


def _pages(args: argparse.Namespace, entries: list[DeckEntry]) -> dict[Path, Path]:
    """``--html``: the offline page of every scene that did not fail (rewritten when its picture
    was, or when it is missing); returns scene -> page for the contact sheet."""
    stale = [e for e in entries if e.status == "rendered" or not e.png.with_suffix(".html").is_file()]
    if "model" not in _WORKER and any(e.status != "failed" for e in stale):
        _worker_init(args.meshes)
    problems = write_deck_pages(stale, _WORKER.get("model"))
    for scene, why in problems.items():
        print(f"{PROG}: warning: {scene.name}: no web page: {why}", file=sys.stderr)
    return {
        e.scene: e.png.with_suffix(".html")
        for e in entries
        if e.status != "failed" and e.scene not in problems and e.png.with_suffix(".html").is_file()
    }


def _finish(e: DeckEntry, error: str, seconds: float, bar, verbose: bool = False) -> None:
    e.seconds, e.done = seconds, True
    if error:
        e.status, e.error = "failed", error
    if verbose:
        bar.write(f"{e.scene.name}: {seconds:.3f} s{' (failed)' if error else ''}", file=sys.stderr)
    bar.update(1)


def _write_index(path: Path, entries: list[DeckEntry], pages: dict[Path, Path] | None = None) -> None:
    """An HTML contact sheet of the deck in lecture order (file-name order), written atomically.

    Every card shows the scene's number, title, a thumbnail linking to the full picture (or,
    with ``pages``, to the scene's offline 3D page, the picture linked below), and the caption;
    a scene that failed shows its error instead of a picture.
    """
    pages = pages or {}
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
            thumb = thumb_path(e.png)
            small = html.escape(f"thumbs/{thumb.name}") if thumb.is_file() else src
            page = pages.get(e.scene)
            href, hint = (html.escape(page.name), "open the 3D page") if page else (src, "open the full picture")
            body = f'<a href="{href}" title="{hint}"><img src="{small}" alt="{title}" loading="lazy"></a>'
        links = ""
        if e.scene in pages:
            links = (
                f'<p class="links"><a href="{html.escape(pages[e.scene].name)}">3D page</a> · '
                f'<a href="{html.escape(e.png.name)}">picture</a></p>'
            )
        cards.append(
            f'<figure class="card" id="{html.escape(e.scene.stem)}">{body}<figcaption>'
            f'<h2><span class="n">{n}</span> {title}</h2>'
            f'<p>{caption}</p>{links}<p class="file">{name}</p></figcaption></figure>'
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
.card p.links a {{ color: #1f5fa8; font-weight: 600; text-decoration: none; }}
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
