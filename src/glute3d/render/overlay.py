"""The 2D overlay drawn with Pillow over the render: leaders, title, caption, legend, colour bar,
scale bar and label texts, on a transparent RGBA layer of the picture's size.

Text is drawn at the picture's size (Pillow anti-aliases it); the leader lines and their dots,
which Pillow draws without anti-aliasing, are drawn ``ss`` times larger in a crop around them
and scaled down.  Where text would sit on a structure (a close-up framed on ``focus``), a
translucent panel of the background colour goes under it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.render.camera import CameraFrame
from glute3d.render.fonts import Font, font
from glute3d.render.heap import give_back_freed_memory
from glute3d.render.labels import Placement
from glute3d.render.layout import Layout
from glute3d.render.style import text_colors
from glute3d.scene import parse_color, safety_colors

if TYPE_CHECKING:
    from glute3d.scene import ResolvedScene

__all__ = ["COMPOSITE_BAND", "composite_onto", "draw_overlay", "nice_length"]

Point = tuple[float, float]

#: Rows composited at a time by :func:`composite_onto`.
COMPOSITE_BAND = 64


@dataclass(frozen=True)
class _Ink:
    """The colours of the overlay on this background."""

    fg: str
    halo: str
    muted: str
    leader: str
    hidden: str
    background: tuple[int, int, int] | None  # None: transparent


def _ink(theme: dict, background: str) -> _Ink:
    t = theme["text"]
    fg, halo = text_colors(theme, background)
    dark = fg != t["color"]
    bg = None
    if background != "transparent":
        r, g, b = parse_color(background)
        bg = (round(r * 255), round(g * 255), round(b * 255))
    return _Ink(
        fg,
        halo,
        t["light_color"] if dark else t["muted"],
        t["light_color"] if dark else t["leader_color"],
        t["hidden_leader_color"],
        bg,
    )


class _Canvas:
    """The RGBA layer, its drawing context, and background panels under text on structures."""

    def __init__(self, lay: Layout, ink: _Ink, covered: np.ndarray | None) -> None:
        from PIL import Image, ImageDraw

        self.lay, self.ink, self.covered = lay, ink, covered
        self.w, self.h = lay.size
        self.img = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
        self.dr = ImageDraw.Draw(self.img)

    def panel(self, x0: float, y0: float, x1: float, y1: float, radius: float = 0.0) -> None:
        """A background-coloured panel under text that would sit on a structure."""
        bg, covered = self.ink.background, self.covered
        if bg is None or covered is None:
            return
        ix0, iy0 = max(0, int(x0)), max(0, int(y0))
        ix1, iy1 = min(self.w, int(np.ceil(x1))), min(self.h, int(np.ceil(y1)))
        if ix1 <= ix0 or iy1 <= iy0 or not covered[iy0:iy1, ix0:ix1].any():
            return
        self.dr.rounded_rectangle([x0, y0, x1, y1], radius=radius, fill=(*bg, 225))

    def text(self, xy: Point, text: str, fnt: Font, fill: str, anchor: str, stroke: int = 1) -> None:
        fnt.draw(self.dr, xy, text, fill, anchor, stroke, self.ink.halo)


# =============================================================================== leaders
def _leader_strokes(
    res: ResolvedScene,
    lay: Layout,
    frame: CameraFrame,
    placements: list[Placement],
    visible: np.ndarray,
    ink: _Ink,
    lw1: float,
    dot: float,
) -> list[tuple]:
    """Strokes of the leaders: ``("line", (x0, y0, x1, y1), colour, width)``, ``("dot", centre,
    radius, colour)`` and ``("dash", (x0, y0, x1, y1), colour, width, dash)``, in drawing order."""
    strokes: list[tuple] = []
    for p in placements:
        lab = res.labels[p.index]
        if not lab.leader and not lay.pins:  # a pin without its leader would point at nothing
            continue
        vis = bool(visible[p.index])
        ax, ay = p.anchor
        sx, sy = p.start
        col = ink.leader if vis else ink.hidden
        sphere = lab.kind == "point" and lab.lift > 0  # the sphere itself marks the point
        if sphere:
            r = lab.lift * frame.px_per_mm
            length = float(np.hypot(ax - sx, ay - sy))
            if length > r:
                ax, ay = ax + (sx - ax) * r / length, ay + (sy - ay) * r / length
        if vis:
            strokes.append(("line", (sx, sy, ax, ay), ink.halo, lw1 + 2.0))
            strokes.append(("line", (sx, sy, ax, ay), col, lw1))
            if not sphere:
                strokes.append(("dot", (ax, ay), dot + 1.0, ink.halo))
                strokes.append(("dot", (ax, ay), dot, col))
        else:
            strokes.append(("dash", (sx, sy, ax, ay), col, lw1, lay.label_px * 0.45))
    return strokes


def _stroke_box(strokes: list[tuple], margin: float, w: int, h: int) -> tuple[int, int, int, int]:
    """Pixel box around every stroke, ``margin`` wider, within the picture."""
    pts = []
    for s_ in strokes:
        if s_[0] == "dot":
            (cx, cy), r = s_[1], s_[2]
            pts += [(cx - r, cy - r), (cx + r, cy + r)]
        else:
            x0, y0, x1, y1 = s_[1]
            pts += [(x0, y0), (x1, y1)]
    arr = np.asarray(pts)
    return (
        int(max(0, np.floor(arr[:, 0].min() - margin))),
        int(max(0, np.floor(arr[:, 1].min() - margin))),
        int(min(w, np.ceil(arr[:, 0].max() + margin))),
        int(min(h, np.ceil(arr[:, 1].max() + margin))),
    )


def _dashed(dr: Any, a: Point, b: Point, color: str, width: int, dash: float) -> None:
    a_, b_ = np.asarray(a), np.asarray(b)
    length = float(np.linalg.norm(b_ - a_))
    if length < 1e-6:
        return
    u = (b_ - a_) / length
    pos = 0.0
    while pos < length:
        p0 = a_ + u * pos
        p1 = a_ + u * min(pos + dash, length)
        dr.line([tuple(p0), tuple(p1)], fill=color, width=width)
        pos += 2 * dash


def _draw_strokes(canvas: _Canvas, strokes: list[tuple], ss: int, margin: float) -> None:
    """The strokes drawn ``ss`` times larger in a crop around them, scaled down, composited."""
    from PIL import Image, ImageDraw

    if not strokes:
        return
    bx0, by0, bx1, by1 = _stroke_box(strokes, margin, canvas.w, canvas.h)
    if bx1 <= bx0 or by1 <= by0:
        return
    crop = Image.new("RGBA", ((bx1 - bx0) * ss, (by1 - by0) * ss), (0, 0, 0, 0))
    cd = ImageDraw.Draw(crop)

    def at(x: float, y: float) -> Point:
        return ((x - bx0) * ss, (y - by0) * ss)

    for s_ in strokes:
        if s_[0] == "line":
            x0, y0, x1, y1 = s_[1]
            cd.line([at(x0, y0), at(x1, y1)], fill=s_[2], width=max(1, round(s_[3] * ss)))
        elif s_[0] == "dot":
            (cx, cy), r = s_[1], s_[2]
            px, py = at(cx, cy)
            cd.ellipse([px - r * ss, py - r * ss, px + r * ss, py + r * ss], fill=s_[3])
        else:
            x0, y0, x1, y1 = s_[1]
            _dashed(cd, at(x0, y0), at(x1, y1), s_[2], max(1, round(s_[3] * ss)), s_[4] * ss)
    if ss != 1:
        crop = crop.resize((bx1 - bx0, by1 - by0), Image.Resampling.BOX)
    canvas.img.alpha_composite(crop, dest=(bx0, by0))


# =============================================================================== bands
def _draw_title_and_caption(canvas: _Canvas) -> None:
    lay, w, h = canvas.lay, canvas.w, canvas.h
    if lay.title:
        canvas.panel(0, 0, w, lay.pad + lay.top_h)
    if lay.bottom_h:
        canvas.panel(0, h - lay.pad - lay.bottom_h, w, h)
    y = lay.pad
    for line in lay.title:
        canvas.text((w / 2, y), line, font(lay.title_px, True), canvas.ink.fg, "ma")
        y += lay.title_px * 1.2
    yb = h - lay.pad - len(lay.caption) * lay.caption_px * lay.leading
    for line in lay.caption:
        canvas.text((w / 2, yb), line, font(lay.caption_px), canvas.ink.muted, "ma")
        yb += lay.caption_px * lay.leading


def _caption_top(lay: Layout) -> float:
    return lay.size[1] - lay.pad - len(lay.caption) * lay.caption_px * lay.leading


def _draw_legend(canvas: _Canvas) -> None:
    """Colour swatches and texts in rows above the caption, from the left."""
    lay = canvas.lay
    if not lay.legend_entries:
        return
    cp = lay.caption_px
    f = font(cp)
    sw = cp * 0.9
    yy = _caption_top(lay) - max(lay.legend_h, 0.0) - (cp * 0.4 if lay.caption else 0.0)
    for row in lay.legend_rows:
        x = lay.pad
        for i in row:
            text, rgb = lay.legend_entries[i]
            col = tuple(int(round(c * 255)) for c in rgb)
            canvas.dr.rounded_rectangle(
                [x, yy + 0.1 * cp, x + sw, yy + 0.1 * cp + sw],
                radius=sw * 0.2,
                fill=col,
                outline=canvas.ink.leader,
                width=1,
            )
            x += sw + 0.4 * cp
            canvas.text((x, yy), text, f, canvas.ink.fg, "la")
            x += f.getlength(text) + 1.2 * cp
        yy += cp * 1.45


def nice_length(target: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``target`` (mm).

    Examples
    --------
    >>> nice_length(37.0), nice_length(9.9), nice_length(200.0)
    (20.0, 5.0, 200.0)
    """
    k = np.floor(np.log10(max(target, 1e-9)))
    best = 10**k
    for m in (1, 2, 5):
        if m * 10**k <= target:
            best = m * 10**k
    return float(best)


def _draw_scale_bar(canvas: _Canvas, frame: CameraFrame) -> None:
    """A bar of a round length in mm at the bottom right, about an eighth of the width."""
    lay, w, h = canvas.lay, canvas.w, canvas.h
    fg = canvas.ink.fg
    length = nice_length(0.12 * w / frame.px_per_mm)
    x1 = w - lay.pad
    x0 = x1 - length * frame.px_per_mm
    yy = h - lay.pad - len(lay.caption) * lay.caption_px * lay.leading - (lay.caption_px * 0.5 if lay.caption else 0)
    th = max(2.0, lay.caption_px * 0.22)
    canvas.dr.rectangle([x0, yy - th, x1, yy], fill=fg)
    for xe in (x0, x1):
        canvas.dr.rectangle([xe - th / 2, yy - 3 * th, xe + th / 2, yy], fill=fg)
    canvas.text(((x0 + x1) / 2, yy - 3.4 * th), f"{length:g} mm", font(lay.caption_px), fg, "md")


def _colorbar_title(needle_mm: float, fnt: Font, width: float) -> str:
    titles = (
        f"Safety margin of a {needle_mm:g} mm needle inserted perpendicular to the skin "
        "(nerves and arteries, deep plane)",
        f"Safety margin of a {needle_mm:g} mm needle (nerves and arteries, deep plane)",
        f"Safety margin of a {needle_mm:g} mm needle",
    )
    return next((t for t in titles if fnt.getlength(t) <= 0.94 * width), titles[-1])


def _draw_colorbar(canvas: _Canvas, res: ResolvedScene, theme: dict) -> None:
    """The safety map's colour bar in mm, with the danger threshold marked."""
    from PIL import Image

    lay, sm, w = canvas.lay, res.safety, canvas.w
    if sm is None:
        return
    cp, fg = lay.caption_px, canvas.ink.fg
    bar_h = lay.caption_px * 2.2 if res.scene.scale_bar else 0.0  # shares the row with the legend
    top = _caption_top(lay) - max(lay.legend_h, bar_h) - lay.colorbar_h - (cp * 0.4 if lay.caption else 0.0)
    f = font(cp)
    fs = font(max(int(theme["text"]["min_size"]), round(cp * 0.85)))
    title = _colorbar_title(sm.needle_mm, f, w)
    bar_w = min(0.5 * w, max(24.0 * cp, f.getlength(title) * 0.75))
    x0 = (w - bar_w) / 2.0
    canvas.text((w / 2, top), title, f, fg, "ma")
    by0, bh, n = top + cp * 1.3, cp * 0.75, max(2, int(bar_w))
    span = sm.vmax - sm.vmin
    rgb = safety_colors(np.linspace(sm.vmin, sm.vmax, n), sm.threshold, sm.vmax, theme["injection"], vmin=sm.vmin)
    strip = (np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)[None, :, :]).repeat(max(1, int(round(bh))), 0)
    bar = Image.fromarray(strip, "RGB").convert("RGBA")
    canvas.img.alpha_composite(bar, dest=(int(round(x0)), int(round(by0))))
    canvas.dr.rectangle(
        [int(round(x0)), int(round(by0)), int(round(x0)) + n - 1, int(round(by0)) + bar.height - 1], outline=fg, width=1
    )
    ticks = np.arange(sm.vmin, sm.vmax + 1e-6, 10.0 if span <= 80 else 20.0)
    for v in ticks:
        x = x0 + (v - sm.vmin) / span * (n - 1)
        canvas.dr.line([x, by0 + bh, x, by0 + bh + cp * 0.25], fill=fg, width=1)
        text = f"{v:g}" + ("+" if v >= sm.vmax else "") + (" mm" if v == ticks[-1] else "")
        canvas.text((x, by0 + bh + cp * 0.3), text, fs, fg, "ma")
    xt = x0 + (sm.threshold - sm.vmin) / span * (n - 1)  # the danger threshold
    canvas.dr.line(
        [xt, by0 - cp * 0.2, xt, by0 + bh + cp * 0.2],
        fill=theme["injection"]["threshold_color"],
        width=max(2, round(cp * 0.15)),
    )
    canvas.text((x0 - cp * 0.5, by0 + bh / 2), "danger", fs, fg, "rm")
    canvas.text((x0 + n + cp * 0.5, by0 + bh / 2), "safer", fs, fg, "lm")


def _pin_strokes(placements: list[Placement], ink: _Ink, lw1: float) -> list[tuple]:
    """The discs of numbered pins: a ring of the text colour around a disc of its halo colour."""
    strokes: list[tuple] = []
    for p in placements:
        x0, y0, x1, y1 = p.box
        centre, r = ((x0 + x1) / 2.0, (y0 + y1) / 2.0), (x1 - x0) / 2.0
        ring = max(1.5, 1.5 * lw1)
        strokes.append(("dot", centre, r, ink.fg))
        strokes.append(("dot", centre, r - ring, ink.halo))
    return strokes


def _draw_pin_numbers(canvas: _Canvas, placements: list[Placement], numbers: dict[int, int]) -> None:
    """Each pin's number, bold, in the middle of its disc."""
    for p in placements:
        x0, y0, x1, y1 = p.box
        text = str(numbers.get(p.index, ""))
        f = font(max(6, round(0.58 * (y1 - y0))), True)
        canvas.text(((x0 + x1) / 2.0, (y0 + y1) / 2.0), text, f, canvas.ink.fg, "mm", 0)


def _draw_label_texts(canvas: _Canvas, placements: list[Placement]) -> None:
    """Each label's lines in its box, right-aligned in the left margin, left-aligned in the right."""
    lay = canvas.lay
    f = font(lay.label_px)
    halo_w = max(1, round(lay.label_px / 9))
    for p in placements:
        x0, y0, x1, y1 = p.box
        m = 0.3 * lay.label_px
        canvas.panel(x0 - m, y0 - m * 0.6, x1 + m, y1 + m * 0.2, radius=m)
        for k, line in enumerate(lay.label_lines[p.index]):
            yy = y0 + k * lay.label_px * lay.leading
            if p.side == "left":
                canvas.text((x1, yy), line, f, canvas.ink.fg, "ra", halo_w)
            else:
                canvas.text((x0, yy), line, f, canvas.ink.fg, "la", halo_w)


def draw_overlay(
    res: ResolvedScene,
    lay: Layout,
    frame: CameraFrame,
    placements: list[Placement],
    visible: np.ndarray,
    theme: dict,
    ss: int,
    covered: np.ndarray | None = None,
    numbers: dict[int, int] | None = None,
) -> Any:
    """Leaders, title, caption, legend, colour bar, scale bar and labels on a transparent RGBA
    image (a ``PIL.Image``) of the picture's size.

    ``visible``: whether each label's anchor shows (else a dashed leader and no dot); ``ss``:
    supersampling factor of the leaders; ``covered``: ``(h, w)`` bool, pixels showing a
    structure (text over them gets a background panel); ``numbers``: with a layout of pins
    (:attr:`Layout.pins`), the number of each label by its index.
    """
    ink = _ink(theme, res.scene.background)
    canvas = _Canvas(lay, ink, covered)
    lw1 = theme["text"]["leader_width"] * canvas.h  # leader width at 1x, px
    dot = max(2.0, lay.label_px * 0.2)
    strokes = _leader_strokes(res, lay, frame, placements, visible, ink, lw1, dot)
    if lay.pins:
        strokes += _pin_strokes(placements, ink, lw1)
    _draw_strokes(canvas, strokes, ss, 3.0 + lw1 + dot)
    _draw_title_and_caption(canvas)
    _draw_legend(canvas)
    if res.safety is not None and lay.colorbar_h:
        _draw_colorbar(canvas, res, theme)
    if res.scene.scale_bar:
        _draw_scale_bar(canvas, frame)
    if lay.pins:
        _draw_pin_numbers(canvas, placements, numbers or {})
    else:
        _draw_label_texts(canvas, placements)
    return canvas.img


def composite_onto(image: np.ndarray, overlay: Any) -> np.ndarray:
    """The text layer (an RGBA ``PIL.Image``) over ``image`` (``(h, w, 3)`` or ``(h, w, 4)``
    uint8), in place, band by band: the same pixels as Pillow's ``alpha_composite`` of the whole
    picture, without its three full-size copies; bands without text are left as they are.

    Examples
    --------
    >>> from PIL import Image, ImageDraw
    >>> layer = Image.new("RGBA", (8, 200), (0, 0, 0, 0))
    >>> ImageDraw.Draw(layer).rectangle([0, 100, 7, 109], fill=(255, 0, 0, 128))
    >>> out = composite_onto(np.full((200, 8, 3), 255, np.uint8), layer)
    >>> out[0, 0].tolist(), out[105, 0].tolist()
    ([255, 255, 255], [255, 127, 127])
    """
    from PIL import Image

    h = image.shape[0]
    mode = "RGBA" if image.shape[2] == 4 else "RGB"
    alpha = overlay.getchannel("A")
    for y0 in range(0, h, COMPOSITE_BAND):
        y1 = min(h, y0 + COMPOSITE_BAND)
        box = (0, y0, overlay.width, y1)
        if alpha.crop(box).getbbox() is None:  # nothing drawn in these rows
            continue
        band = Image.alpha_composite(Image.fromarray(image[y0:y1]).convert("RGBA"), overlay.crop(box))
        image[y0:y1] = np.asarray(band.convert(mode))
    give_back_freed_memory()
    return image
