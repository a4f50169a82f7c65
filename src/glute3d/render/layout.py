"""The picture's plan, made before the camera is framed: text sizes, bands and label margins.

Every text is measured first; the title band, the bottom band (caption, legend, scale bar,
colour bar) and the label columns are reserved, and the model is framed into what is left
(:attr:`Layout.rect`).  Which margin each label takes is predicted from world positions,
since the camera's orientation is known before the render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from glute3d.render.fonts import block_size, font, glyph_warning, wrap
from glute3d.render.labels import choose_sides
from glute3d.render.style import overlay_rgb
from glute3d.scene import display_name, parse_color

if TYPE_CHECKING:
    from glute3d.scene import ResolvedScene
    from glute3d.scene.schema import SceneFields

__all__ = [
    "LEADING",
    "PIN_SIZE",
    "Layout",
    "legend_entries",
    "pin_text",
    "plan_layout",
    "predicted_label_x",
    "strip_side",
    "text_bands",
]

#: Line height of label and caption text, in font sizes.
LEADING = 1.18
#: Diameter of a numbered pin (see :func:`plan_layout`'s ``pins``), in label font sizes.
PIN_SIZE = 2.0
RGB = tuple[float, float, float]


@dataclass
class Layout:
    """Sizes and places of everything but the model, in pixels of a ``size`` picture."""

    size: tuple[int, int]
    scale: float  # text scale factor (px per "1.0")
    pad: float
    label_px: int
    title: list[str]
    title_px: int
    caption: list[str]
    caption_px: int
    label_lines: list[list[str]]
    label_sizes: np.ndarray
    sides: list[str]
    legend_entries: list[tuple[str, RGB]]
    legend_rows: list[list[int]]
    legend_h: float
    bottom_h: float
    top_h: float
    gap: float
    rect: tuple[float, float, float, float]
    columns: dict[str, float]
    leading: float = LEADING
    colorbar_h: float = 0.0
    notes: list[str] = field(default_factory=list)  # warnings: characters no font has
    pins: bool = False  # numbered pins instead of label texts: label_sizes are the pins' squares


def strip_side(text: str) -> str:
    """A display name without its side.

    Examples
    --------
    >>> strip_side("Iliac crest, right")
    'Iliac crest'
    """
    for suffix in (", right", ", left"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def legend_entries(res: ResolvedScene, theme: dict) -> list[tuple[str, RGB]]:
    """Legend texts and colours: layers, landmark overlays no label names, bony landmarks, marks."""
    out: list[tuple[str, RGB]] = []
    seen = set()
    for text, style, color in res.legend:
        rgb = parse_color(color or theme["styles"][style]["color"])
        if (text, rgb) not in seen:
            seen.add((text, rgb))
            out.append((text, rgb))
    points = False
    labelled = {L.target for L in res.labels}
    for o in res.overlays:
        if o.kind != "region" and o.name in labelled:
            continue  # the label already names it
        if o.kind == "point":
            points = True
            continue
        text = strip_side(display_name(o.name)) if res.scene.label_sides != "always" else display_name(o.name)
        rgb = overlay_rgb(o, theme, res)
        if (text, rgb) not in seen:
            seen.add((text, rgb))
            out.append((text, rgb))
    if points:
        out.append(("Bony landmarks", parse_color(theme["overlay"]["point_color"])))
    for m in res.marks:
        if m.legend:
            rgb = parse_color(m.color)
            if (m.legend, rgb) not in seen and m.legend not in {t for t, _ in out}:
                seen.add((m.legend, rgb))
                out.append((m.legend, rgb))
    return out


def _legend_rows(entries: list[tuple[str, RGB]], caption_px: int, avail: float) -> list[list[int]]:
    """Entries (by index) in rows no wider than ``avail`` pixels."""
    fnt = font(caption_px)
    sw = caption_px * 0.9
    rows: list[list[int]] = []
    row: list[int] = []
    x = 0.0
    for i, (text, _) in enumerate(entries):
        ew = sw + 0.4 * caption_px + fnt.getlength(text) + 1.2 * caption_px
        if row and x + ew > avail:
            rows.append(row)
            row, x = [], 0.0
        row.append(i)
        x += ew
    if row:
        rows.append(row)
    return rows


def pin_text(n_pins: int) -> str:
    """The widest number a pin of ``n_pins`` must hold, to measure it by.

    Examples
    --------
    >>> pin_text(7), pin_text(12)
    ('8', '88')
    """
    return "8" * len(str(max(1, n_pins)))


def _label_blocks(res: ResolvedScene, px: int, max_w: float, pins: bool = False) -> tuple[list[list[str]], np.ndarray]:
    """The labels' lines and block sizes ``(n, 2)`` at ``px`` pixels (pins: squares that hold
    the widest number, all the same size, so that where they go does not depend on their numbers)."""
    if pins:
        d = max(PIN_SIZE * px, font(px, True).getlength(pin_text(len(res.labels))) + 0.6 * px)
        return [[""] for _ in res.labels], np.full((len(res.labels), 2), float(np.ceil(d))).reshape(-1, 2)
    fnt = font(px)
    lines = [wrap(L.text, fnt, max_w) for L in res.labels]
    sizes = np.array([block_size(ls, fnt, LEADING) for ls in lines]).reshape(-1, 2)
    return lines, sizes


def _fit_labels(
    res: ResolvedScene,
    label_px: int,
    min_px: int,
    max_w: float,
    area_h: float,
    predicted_x: np.ndarray,
    center_x: float,
    pins: bool = False,
) -> tuple[int, list[list[str]], np.ndarray, list[str]]:
    """Label size, lines, block sizes and margins: each margin's labels fit its height."""
    lines, sizes = _label_blocks(res, label_px, max_w, pins)
    sides = (
        choose_sides(predicted_x, [L.side for L in res.labels], center_x, sizes[:, 1] + 0.35 * label_px, area_h)
        if res.labels
        else []
    )
    for _ in range(4):  # too many labels for one margin: smaller label text
        load = max(
            [
                sum(sizes[i, 1] + 0.35 * label_px for i, s in enumerate(sides) if s == side)
                for side in ("left", "right")
            ],
            default=0.0,
        )
        if load <= area_h or label_px <= min_px:
            break
        label_px = max(min_px, int(label_px * area_h / load))
        lines, sizes = _label_blocks(res, label_px, max_w, pins)
    return label_px, lines, sizes, sides


def _glyph_notes(
    res: ResolvedScene, entries: list[tuple[str, RGB]], title_px: int, caption_px: int, label_px: int, pins: bool
) -> list[str]:
    """A warning for each text with characters that no available font has (drawn as boxes)."""
    scene = res.scene
    texts = [("title", scene.title, font(title_px, True)), ("caption", scene.caption, font(caption_px))]
    texts += [] if pins else [(f"label {L.target!r}", L.text, font(label_px)) for L in res.labels]
    texts += [(f"legend entry {text!r}", text, font(caption_px)) for text, _ in entries]
    notes = []
    for where, text, fnt in texts:
        missing = fnt.missing(text) if text else []
        if missing:
            notes.append(glyph_warning(where, missing))
    return notes


def _band_texts(scene: SceneFields, size: tuple[int, int], theme: dict) -> tuple[float, list[str], int, list[str], int]:
    """Padding, title lines and size, caption lines and size of a picture of ``size``."""
    w, h = size
    t, k = theme["text"], scene.text_scale
    min_px = int(t["min_size"])
    pad = round(0.022 * min(w, h))
    title_px = max(min_px + 2, round(h * t["title_size"] * k))
    caption_px = max(min_px, round(h * t["caption_size"] * k))
    title = wrap(scene.title, font(title_px, True), 0.92 * w) if scene.title else []
    caption = wrap(scene.caption, font(caption_px), 0.86 * w) if scene.caption else []
    return pad, title, title_px, caption, caption_px


def text_bands(scene: SceneFields, theme: dict, size: tuple[int, int] | None = None) -> tuple[int, int]:
    """Heights in pixels of the title band at the top and the caption band at the bottom of the
    scene's picture (at ``size``, else its resolution): crop them off to show the picture
    without its own title and caption (the legend, scale and colour bars stay); ``0`` where the
    scene has no title or caption.

    Examples
    --------
    >>> from glute3d.scene import Scene, load_theme
    >>> scene = Scene.from_dict({"title": "Bones", "caption": "The pelvis from behind."})
    >>> text_bands(scene, load_theme(), (1920, 1080))
    (78, 54)
    >>> text_bands(Scene.from_dict({}), load_theme(), (1920, 1080))
    (0, 0)
    """
    w, h = size or (int(scene.resolution[0]), int(scene.resolution[1]))
    pad, title, title_px, caption, caption_px = _band_texts(scene, (w, h), theme)
    top = pad + len(title) * title_px * 1.2 + 0.4 * pad if title else 0.0
    bottom = pad + len(caption) * caption_px * LEADING + 0.2 * caption_px if caption else 0.0
    return int(np.floor(top)), int(np.floor(bottom))


# long: every text measured and every band reserved in one place, in the order they depend on each other
def plan_layout(
    res: ResolvedScene,
    size: tuple[int, int],
    theme: dict,
    predicted_x: np.ndarray,
    center_x_world: float,
    *,
    pins: bool = False,
) -> Layout:
    """Measure every text and reserve the bands and margins before the camera is framed.

    ``predicted_x`` and ``center_x_world`` come from :func:`predicted_label_x`.  ``pins``: the
    labels are numbered pins (see :func:`pin_text`), not their texts.
    """
    scene = res.scene
    w, h = size
    t = theme["text"]
    k = scene.text_scale
    min_px = int(t["min_size"])
    label_px = max(min_px, round(h * t["label_size"] * k))
    pad, title, title_px, caption, caption_px = _band_texts(scene, size, theme)
    entries = legend_entries(res, theme) if scene.legend else []
    rows = _legend_rows(entries, caption_px, w - 2 * pad - (0.22 * w if scene.scale_bar else 0.0))
    legend_h = len(rows) * caption_px * 1.45
    bar_h = caption_px * 2.2 if scene.scale_bar else 0.0
    top_h = (len(title) * title_px * 1.2 + pad * 0.8) if title else 0.0
    colorbar_h = caption_px * 3.6 if res.safety is not None else 0.0
    bottom_h = len(caption) * caption_px * LEADING + max(legend_h, bar_h) + colorbar_h
    bottom_h += pad * 0.6 if bottom_h else 0.0
    gap = max(0.035 * w, 2.5 * label_px)
    area_h = h - top_h - bottom_h - 2 * pad
    label_px, label_lines, label_sizes, sides = _fit_labels(
        res, label_px, min_px, t["max_label_width"] * w, area_h, predicted_x, center_x_world, pins
    )
    wl = max([label_sizes[i, 0] for i, s in enumerate(sides) if s == "left"], default=0.0)
    wr = max([label_sizes[i, 0] for i, s in enumerate(sides) if s == "right"], default=0.0)
    rect = (pad + (wl + gap if wl else 0.0), pad + top_h, w - pad - (wr + gap if wr else 0.0), h - pad - bottom_h)
    return Layout(
        size,
        k,
        pad,
        label_px,
        title,
        title_px,
        caption,
        caption_px,
        label_lines,
        label_sizes,
        sides,
        entries,
        rows,
        legend_h,
        bottom_h,
        top_h,
        gap,
        rect,
        {"left": float(wl), "right": float(wr)},
        LEADING,
        colorbar_h,
        _glyph_notes(res, entries, title_px, caption_px, label_px, pins),
        pins,
    )


def predicted_label_x(res: ResolvedScene, d: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, float]:
    """Each label's target along screen-right (mm), and the middle of what the camera frames,
    for a camera looking along ``-d`` with view-up ``up``."""
    right = np.cross(-d, up)
    xs = (
        np.array(
            [float(np.asarray(L.candidates[: max(1, min(len(L.candidates), 50))]).mean(0) @ right) for L in res.labels]
        )
        if res.labels
        else np.zeros(0)
    )
    pts = [np.asarray(it.mesh.vertices)[::50] for it in res.items]
    pts += [
        np.atleast_2d(np.asarray(o.geometry.vertices if hasattr(o.geometry, "vertices") else o.geometry))
        for o in res.overlays
    ]
    if res.has_focus:
        pts = [res.focus_points] if res.focus_points is not None else []
        pts += [np.asarray(it.mesh.vertices)[::50] for it in res.items if it.name in res.focus_items]
    allp = np.vstack(pts) if pts else np.zeros((1, 3))
    x = allp @ right
    return xs, float((x.max() + x.min()) / 2.0)
