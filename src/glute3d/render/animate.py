"""Animations: an animated scene's frames through the normal render path, written as MP4 or GIF.

Every frame is the scene resolved in that frame's pose (:mod:`glute3d.scene.animation`) and
rendered like a still (labels, legend, title and caption included).  The camera does not move:
the layout (label margins) and the framed points of the first frame are kept for all frames, so
the first frame is exactly the still of the first pose and the picture never jumps.  Fibres
asked for in ``animation.fibres`` are drawn as lines coloured by their rotation moment arm, with
a colour bar.  Videos are written with imageio (its ffmpeg plugin, from the imageio-ffmpeg
wheel, for MP4; Pillow for GIF), to a temporary file renamed at the end.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from glute3d.render.cache import cached_model
from glute3d.render.camera import orientation
from glute3d.render.core import _composite, _render_3d
from glute3d.render.fibrebar import fibre_bar
from glute3d.render.layout import Layout, plan_layout, predicted_label_x
from glute3d.render.overlay import draw_overlay
from glute3d.render.placement import place_labels
from glute3d.render.polydata import cut, mark_geometry, overlay_geometry, poly
from glute3d.scene import load_theme
from glute3d.scene.animation import frame_poses, scene_at

__all__ = ["VIDEO_SUFFIXES", "animate", "animation_frames", "write_video"]

#: Output formats by suffix.
VIDEO_SUFFIXES = (".mp4", ".gif")


def _framed_points(res: Any) -> np.ndarray:
    """The points the plotter frames for ``res`` (as :func:`glute3d.render.plotter.build_plotter` does)."""
    frame_pts: list[np.ndarray] = []
    focus_pts: list[np.ndarray] = [] if res.focus_points is None else [np.asarray(res.focus_points, float)]
    for item in res.items:
        data = poly(item.mesh)
        if item.cut is not None:
            data = cut(data, item.cut)
            if data.n_cells == 0:
                continue
        pts = np.asarray(data.points)[:: max(1, data.n_points // 3000)]
        frame_pts.append(pts)
        if item.name in res.focus_items:
            focus_pts.append(pts)
    if focus_pts:
        return np.vstack(focus_pts)
    for o in res.overlays:
        frame_pts.append(np.asarray(overlay_geometry(o, 1.0, 1.0, 0.0).points))
    for m in res.marks:
        frame_pts.append(np.asarray(mark_geometry(m).points))
    return np.vstack(frame_pts) if frame_pts else np.zeros((1, 3))


def _fixed_points(scene: Any, source: Any, poses: list[Any]) -> np.ndarray:
    """The points framed in the keyframes' poses and half way between them: the camera of framing "all".

    Between two keyframes each angle moves one way (eased), so what is drawn sweeps between
    the two poses; the half-way pose covers the bulge of a swinging limb.
    """
    anim = scene.animation
    times = np.linspace(0.0, anim.length, len(poses))
    keys = [k.time for k in anim.keyframes]
    marks = keys + [(a + b) / 2.0 for a, b in zip(keys, keys[1:])]
    chosen = sorted({int(np.argmin(abs(times - t))) for t in marks})
    return np.vstack([_framed_points(scene_at(scene, poses[i]).resolve(source)) for i in chosen])


def _render_frame(res: Any, lay: Layout, px: tuple[int, int], theme: dict, anti_aliasing: bool) -> np.ndarray:
    """One frame: the steps of :func:`glute3d.render.render` after the layout."""
    shot = _render_3d(res, lay, px, anti_aliasing=anti_aliasing, reuse=True)
    placements = place_labels(res, lay, shot.frame, shot.anchors, shot.options)
    overlay = draw_overlay(res, lay, shot.frame, placements, shot.visible, theme, 2, shot.zbuffer < 1.0, None)
    return fibre_bar(_composite(shot.image, overlay, res.scene.background == "transparent"), res.scene, lay)


def animation_frames(
    scene: Any, model: Any = None, *, size: tuple[int, int] | None = None, anti_aliasing: bool = True
) -> Iterator[np.ndarray]:
    """The frames of an animated scene, one ``(h, w, 3)`` uint8 image at a time.

    Raises
    ------
    SceneError
        The scene has no ``[animation]``, or a name or pose the model refuses.
    """
    if scene.animation is None:
        raise scene.error(("animation",), "the scene has no [animation]; add [[animation.keyframes]] tables")
    if size is not None and tuple(size) != tuple(scene.resolution):
        scene = scene.with_resolution(*size)
    if model is None:
        from glute3d.model.files import load_model

        model = load_model()
    source = cached_model(model)
    theme = load_theme()
    px = (int(scene.resolution[0]), int(scene.resolution[1]))
    poses = frame_poses(scene.animation)
    fixed = _fixed_points(scene, source, poses) if scene.animation.framing == "all" else None
    lay = None
    for pose in poses:
        frame_scene = scene_at(scene, pose)
        res = frame_scene.resolve(source)
        if lay is None:  # the first frame sets the layout (label margins) for all
            d, up = orientation(scene.camera)
            lay = plan_layout(res, px, theme, *predicted_label_x(res, d, up))
            if fixed is None:  # framing "first": the still of the first pose
                fixed = _framed_points(res)
            else:
                res = dataclasses.replace(res, focus_points=fixed, focus_items=[])
        else:
            res = dataclasses.replace(res, focus_points=fixed, focus_items=[])
        image = _render_frame(res, lay, px, theme, anti_aliasing)
        yield image


def write_video(frames: Iterator[np.ndarray], path: str | Path, fps: int, n_frames: int | None = None) -> Path:
    """Write ``frames`` to ``path`` (``.mp4`` or ``.gif``) atomically; ``n_frames`` for the progress bar.

    Raises
    ------
    ValueError
        An unknown suffix.
    OSError
        The folder cannot be created or written.
    """
    import imageio.v2 as imageio
    from tqdm import tqdm

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise ValueError(f"unknown video format {path.suffix or '(none)'!r}; use {' or '.join(VIDEO_SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        if suffix == ".mp4":
            writer = imageio.get_writer(
                tmp,
                format="FFMPEG",
                mode="I",
                fps=fps,
                codec="libx264",
                quality=8,
                macro_block_size=2,
                pixelformat="yuv420p",
                ffmpeg_log_level="error",
            )
        else:
            writer = imageio.get_writer(tmp, format="GIF", mode="I", duration=1000.0 / fps, loop=0)
        with writer:
            for image in tqdm(frames, total=n_frames, desc=path.name, unit="frame", leave=False):
                writer.append_data(_even(image) if suffix == ".mp4" else image)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _even(image: np.ndarray) -> np.ndarray:
    """``image`` cropped to even width and height (H.264 in yuv420p needs them)."""
    h, w = image.shape[:2]
    return image[: h - h % 2, : w - w % 2, :3]


def animate(
    scene: Any,
    path: str | Path,
    model: Any = None,
    *,
    size: tuple[int, int] | None = None,
    anti_aliasing: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Render an animated scene to ``path`` (``.mp4`` or ``.gif``), atomically.

    Raises
    ------
    SceneError
        A scene without ``[animation]``, or one the model refuses.
    ValueError
        An unknown suffix (checked before any frame is rendered).
    OSError
        The output cannot be written.
    """
    if Path(path).suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(f"unknown video format {Path(path).suffix or '(none)'!r}; use {' or '.join(VIDEO_SUFFIXES)}")
    if scene.animation is None:
        raise scene.error(("animation",), "the scene has no [animation]; add [[animation.keyframes]] tables")
    frames = animation_frames(scene, model, size=size, anti_aliasing=anti_aliasing)
    return write_video(frames, path, scene.animation.fps, scene.animation.n_frames)
