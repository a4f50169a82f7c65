"""Render a scene: Scene + Model -> pyvista Plotter -> PNG, off-screen.

The steps, one module each:

1. :mod:`~glute3d.render.layout` measures every text and reserves the bands and label margins;
2. :mod:`~glute3d.render.plotter` draws the structures, landmark overlays, injection marks and
   the safety map in one pyvista render (light kit, FXAA, order-independent transparency),
   framed by :mod:`~glute3d.render.camera`; a large picture is rendered as tiles in a smaller
   window and stitched (:mod:`~glute3d.render.tiles`: the same pixels, a fraction of the memory);
3. :mod:`~glute3d.render.anchors` tests each label's target against the z-buffer of that
   render (a hidden target gets a dashed leader and no dot shining through);
4. :mod:`~glute3d.render.placement` untangles the leaders;
5. :mod:`~glute3d.render.overlay` draws the text layer with Pillow, composited over the render.

Speed (``glute3d deck`` renders many scenes in one process): the off-screen window is kept from
scene to scene (:func:`~glute3d.render.plotter.release_plotters` closes it), pyvista geometry
is cached per mesh, and the generated soft tissues come from a disk cache
(:class:`~glute3d.render.cache.CachedModel`).

Everything is deterministic: the same scene on the same machine gives the same pixels.

Examples
--------
>>> import glute3d
>>> from glute3d.scene import Scene
>>> scene = Scene.from_dict({"title": "Right hip bone", "camera": {"preset": "lateral"},
...                          "layers": [{"structures": ["hip_bone_r", "femur_r"]}],
...                          "labels": [{"target": "asis_r"}]})
>>> result = render(scene, glute3d.load_model(), size=(320, 240))
>>> result.image.shape, [(label.target, label.visible) for label in result.labels]
((240, 320, 3), [('asis_r', True)])
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.io.atomic import write_atomically
from glute3d.render.anchors import choose_anchors, zbuffer
from glute3d.render.cache import cached_model
from glute3d.render.camera import CameraFrame, orientation
from glute3d.render.fibrebar import fibre_bar
from glute3d.render.heap import give_back_freed_memory
from glute3d.render.labels import Pins, Placement, number_pins
from glute3d.render.layout import Layout, plan_layout, predicted_label_x
from glute3d.render.overlay import composite_onto, draw_overlay
from glute3d.render.placement import label_warnings, place_labels
from glute3d.render.plotter import build_plotter, release_plotters
from glute3d.render.tiles import Tile, drawn_box, tile_grid, tile_projection, tiles
from glute3d.scene import load_theme

if TYPE_CHECKING:
    from glute3d.scene import ResolvedScene, Scene

__all__ = ["PNG_COMPRESS_LEVEL", "LabelResult", "Pins", "RenderResult", "render", "render_to_file", "write_png"]

#: zlib level of the PNGs: 1 writes a 1080p picture several times faster than the default 6, for
#: files about a quarter larger (flat backgrounds compress well at any level).
PNG_COMPRESS_LEVEL = 1


@dataclass
class LabelResult:
    """A drawn label: its text, box, anchor and whether the anchor was visible.

    ``index`` is the label's place in the scene's labels (landmark labels that
    ``overlays.label`` adds come after them); ``number`` is its pin's number when the picture
    was drawn with numbered pins (``text`` is then what the label would have said).
    """

    text: str
    target: str
    box: tuple[float, float, float, float]
    anchor: tuple[float, float]
    visible: bool
    side: str
    index: int = 0
    number: int | None = None


@dataclass
class RenderResult:
    """The picture and what was drawn on it.

    Attributes
    ----------
    image : numpy.ndarray
        ``(h, w, 3)`` uint8, or ``(h, w, 4)`` for a transparent background.
    labels : list of LabelResult
    warnings : list of str
        Things a lecturer should know, one line each: a scene without layers, a structure two
        layers name, a label target hidden or outside the view, labels that do not fit.
    """

    image: np.ndarray
    labels: list[LabelResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Shot:
    """What the 3D render gives the 2D steps."""

    image: np.ndarray  # (h, w, 3 or 4) uint8
    zbuffer: np.ndarray  # (h, w), 1.0 where nothing is drawn
    frame: CameraFrame
    anchors: np.ndarray  # (n_labels, 2) pixels
    visible: np.ndarray  # (n_labels,) bool
    options: list[np.ndarray]  # alternative anchors per label
    why: list[str]  # why each label's target does not show ("" when it does; see anchors.choose_anchors)


def _render_3d(res: ResolvedScene, lay: Layout, size: tuple[int, int], *, anti_aliasing: bool, reuse: bool) -> _Shot:
    """Render once (as tiles when the picture is large: see :mod:`~glute3d.render.tiles`); read
    the picture and the z-buffer, and choose the label anchors with them."""
    grid = tile_grid(size)
    parts = tiles(size, grid)
    window = None if grid == (1, 1) else parts[0].size
    pl, frame = build_plotter(res, size, lay.rect, anti_aliasing=anti_aliasing, reuse=reuse, window=window)
    ok = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pl.suppress_rendering = False
            transparent = res.scene.background == "transparent"
            if window is None:
                if not pl._first_time:
                    pl.render()  # a kept window: draw this scene (screenshot renders only the first time)
                image = np.asarray(pl.screenshot(transparent_background=transparent, return_img=True), np.uint8)
                zb = zbuffer(pl, size)
            else:
                image, zb = _render_tiles(pl, size, parts, transparent)
            pl.suppress_rendering = reuse
        if res.labels:
            anchors, visible, options, why = choose_anchors(pl, res, frame, size, zb)
        else:
            anchors, visible, options, why = np.zeros((0, 2)), np.zeros(0, bool), [], []
        ok = True
    finally:
        if not reuse:
            pl.close()
        elif not ok:
            release_plotters()
        else:
            pl.clear_actors()  # do not keep this scene's meshes alive in the window
    return _Shot(image, zb, frame, anchors, visible, options, why)


def _render_tiles(pl: Any, size: tuple[int, int], parts: list[Tile], transparent: bool) -> tuple[Any, Any]:
    """The picture and its z-buffer drawn tile by tile in ``pl``'s smaller window, stitched."""
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    fresh = pl._first_time  # a new window: each tile may compile shaders
    if fresh:
        pl._on_first_render_request()  # what the first screenshot does (the camera is set)
    from pyvista import array_from_vtkmatrix

    cam = pl.camera
    aspect = size[0] / size[1]
    full = array_from_vtkmatrix(cam.GetProjectionTransformMatrix(aspect, -1.0, 1.0))
    composite = array_from_vtkmatrix(cam.GetCompositeProjectionTransformMatrix(aspect, -1.0, 1.0))
    box = drawn_box(composite, pl.renderer.ComputeVisiblePropBounds(), size)
    w, h = size
    image = np.empty((h, w, 4 if transparent else 3), np.uint8)
    zb = np.empty((h, w), np.float32)
    explicit = vtkMatrix4x4()
    empty: tuple[np.ndarray, np.ndarray] | None = None  # a tile of background only, drawn once
    try:
        for tile in parts:
            (wx0, wy0, _, _), (kx0, ky0, kx1, ky1) = tile.window, tile.keep
            inner = (slice(ky0 - wy0, ky1 - wy0), slice(kx0 - wx0, kx1 - wx0))
            if empty is not None and not tile.meets(box):
                image[ky0:ky1, kx0:kx1], zb[ky0:ky1, kx0:kx1] = empty[0][inner], empty[1][inner]
                continue
            explicit.DeepCopy(tile_projection(full, size, tile).ravel().tolist())
            cam.SetExplicitProjectionTransformMatrix(explicit)
            cam.UseExplicitProjectionTransformMatrixOn()
            pl.render()
            shot = np.asarray(pl.screenshot(transparent_background=transparent, return_img=True))
            tz = zbuffer(pl, tile.size)
            if not tile.meets(box):
                empty = (shot, tz)
            image[ky0:ky1, kx0:kx1], zb[ky0:ky1, kx0:kx1] = shot[inner], tz[inner]
            del shot, tz
            if fresh:  # what compiling this tile's shaders (LLVM) freed: 6 MB less at the peak
                give_back_freed_memory()
    finally:
        cam.UseExplicitProjectionTransformMatrixOff()
    return image, zb


def _composite(image: np.ndarray, overlay: Any, transparent: bool) -> np.ndarray:
    """The text layer over the render, in place (RGB, or RGBA for a transparent background)."""
    return composite_onto(image, overlay)


def _label_results(
    res: ResolvedScene, placements: list[Placement], visible: np.ndarray, numbers: dict[int, int] | None
) -> list[LabelResult]:
    out = []
    for p in placements:
        lab = res.labels[p.index]
        number = None if numbers is None else numbers[p.index]
        out.append(
            LabelResult(lab.text, lab.target, p.box, p.anchor, bool(visible[p.index]), p.side, lab.index, number)
        )
    return out


def _without_bands(scene: Scene) -> Scene:
    """The scene without its title and caption (errors still name its file)."""
    new = scene.model_copy(update={"title": "", "caption": ""})
    new._source, new._text = scene._source, scene._text
    return new


def render(
    scene: Scene,
    model: Any = None,
    *,
    size: tuple[int, int] | None = None,
    anti_aliasing: bool = True,
    supersample_text: int = 2,
    reuse_plotter: bool = True,
    bands: bool = True,
    pins: Pins | None = None,
) -> RenderResult:
    """Render a scene to an image in memory.

    Parameters
    ----------
    scene : Scene
        The scene.
    model : glute3d.Model, optional
        The model; :func:`glute3d.load_model` by default.
    size : (int, int), optional
        Override the scene's resolution (width, height).
    anti_aliasing : bool
        FXAA for the 3D part (keep it on for teaching pictures, off for image tests).
    supersample_text : int
        Draw the leader lines at this factor and downsample (smooth lines); text is drawn at
        the picture's size, anti-aliased by Pillow.
    reuse_plotter : bool
        Render in the process's kept off-screen window (fast from the second scene on: the
        EGL context and the compiled shaders are kept); ``False``: a new window, closed after.
    bands : bool
        ``False``: no title band and no caption band (for slides and handouts, which set the
        title and caption as text of their own); the model takes their room.  The legend,
        scale bar and colour bar stay.  To crop the bands off a picture already rendered, see
        :func:`glute3d.render.layout.text_bands`.
    pins : Pins, optional
        Numbered pins instead of the labels' texts (a quiz); each
        :attr:`LabelResult.number` says which.

    Returns
    -------
    RenderResult

    Raises
    ------
    SceneError
        A name the model does not know, an unavailable pose or overlay.
    """
    if size is not None and tuple(size) != tuple(scene.resolution):
        scene = scene.with_resolution(*size)
    if not bands:
        scene = _without_bands(scene)
    if model is None:
        from glute3d.model.files import load_model

        model = load_model()
    res = scene.resolve(cached_model(model))
    theme = load_theme()
    px = (int(scene.resolution[0]), int(scene.resolution[1]))
    d, up = orientation(scene.camera)
    lay = plan_layout(res, px, theme, *predicted_label_x(res, d, up), pins=pins is not None)
    shot = _render_3d(res, lay, px, anti_aliasing=anti_aliasing, reuse=reuse_plotter)
    give_back_freed_memory()  # what the 3D render freed: the 2D steps' peak does not stack on it
    placements = place_labels(res, lay, shot.frame, shot.anchors, shot.options)
    numbers = None if pins is None else number_pins(placements, pins.shuffle)
    ss = max(1, int(supersample_text))
    overlay = draw_overlay(res, lay, shot.frame, placements, shot.visible, theme, ss, shot.zbuffer < 1.0, numbers)
    labels = _label_results(res, placements, shot.visible, numbers)
    notes = [*res.warnings, *label_warnings(res, placements, shot.visible, shot.why, px)]
    image = fibre_bar(_composite(shot.image, overlay, scene.background == "transparent"), scene, lay)
    return RenderResult(image, labels, notes + lay.notes)


def write_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an image as PNG atomically (temporary file + rename): never a partial file.

    Raises
    ------
    OSError
        The folder cannot be created or written.
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return write_atomically(path, buf.getvalue())


def render_to_file(scene: Scene, path: str | Path, model: Any = None, **kwargs: Any) -> RenderResult:
    """Render ``scene`` and write it to ``path`` as PNG (atomically).

    Keyword arguments go to :func:`render`.
    """
    result = render(scene, model, **kwargs)
    write_png(result.image, path)
    return result
