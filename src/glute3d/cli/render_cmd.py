"""``glute3d render`` and ``glute3d build-meshes``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from glute3d.cli.common import PROG, CliError, load_cached_model, one_line, prepare_out_dir
from glute3d.cli.freshness import clashing_names

__all__ = ["cmd_build_meshes", "cmd_render", "render_image", "render_one", "thumb_path", "write_outputs"]


def cmd_build_meshes(args: argparse.Namespace) -> int:
    from glute3d.model.files import build_mesh_files

    out = prepare_out_dir(Path(args.output))
    t0 = time.perf_counter()
    written = build_mesh_files(out)
    print(f"wrote {len(written)} files to {out} ({time.perf_counter() - t0:.1f} s)")
    return 0


THUMB_WIDTH = 480  # px, contact-sheet thumbnails


def render_one(
    scene_path: Path, out_dir: Path, model: Any, size: tuple[int, int] | None, aa: bool, *, thumbnail: bool = False
) -> tuple[Path, Any]:
    """Render a scene file to ``out_dir/<stem>.png`` (and its contact-sheet thumbnail); returns the
    picture's path and ``(scene, RenderResult)``."""
    from glute3d.render import render
    from glute3d.scene import Scene

    scene = Scene.from_file(scene_path)
    target = out_dir / f"{scene_path.stem}.png"
    result = render(scene, model, size=size, anti_aliasing=aa)
    write_outputs(result.image, target, thumbnail=thumbnail)
    return target, (scene, result)


def render_image(scene_path: Path, model: Any, size: tuple[int, int] | None, aa: bool) -> Any:
    """The picture of a scene file, as an array (nothing written)."""
    from glute3d.render import render
    from glute3d.scene import Scene

    return render(Scene.from_file(scene_path), model, size=size, anti_aliasing=aa).image


def write_outputs(image: Any, png: Path, *, thumbnail: bool = False) -> None:
    """Write a picture as PNG (atomically) and, for the contact sheet, its JPEG thumbnail."""
    from glute3d.render import write_png

    write_png(image, png)
    if thumbnail:
        write_thumbnail(image, thumb_path(png))


def thumb_path(png: Path) -> Path:
    return png.parent / "thumbs" / f"{png.stem}.jpg"


def write_thumbnail(image: Any, path: Path) -> None:
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
    out = prepare_out_dir(Path(args.output))
    paths = [Path(p) for p in args.scenes]
    from glute3d.scene import Scene, SceneError

    clashes = clashing_names(paths)
    if clashes:
        raise CliError(f"scenes would overwrite each other's picture: {'; '.join(clashes)}; rename one of them")
    # check every scene's form before loading the model
    failed = 0
    good: list[Path] = []
    for p in paths:
        try:
            Scene.from_file(p)
            good.append(p)
        except SceneError as exc:
            print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)
            failed += 1
    if good:
        model = load_cached_model(args.meshes)
        for p in good:
            t0 = time.perf_counter()
            try:
                target, (_, result) = render_one(p, out, model, args.size, not args.no_aa)
            except (SceneError, ValueError, KeyError, OSError) as exc:
                print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)
                failed += 1
                continue
            for note in result.warnings:
                print(f"{PROG}: warning: {p}: {note}", file=sys.stderr)
            print(f"wrote {target} ({time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0
