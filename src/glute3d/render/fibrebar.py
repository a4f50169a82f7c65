"""The colour bar of fibres coloured by their rotation moment arm (an animated scene's ``animation.fibres``).

The fibres themselves are marks of the resolved scene (:func:`glute3d.scene.animation.fibre_marks`);
this draws the key to their colours over the finished picture, in the top right of the 3D area.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glute3d.render.layout import Layout
from glute3d.scene.animation import DIVERGING

__all__ = ["draw_colour_bar", "fibre_bar"]


def fibre_bar(image: np.ndarray, scene: Any, lay: Layout) -> np.ndarray:
    """``image`` with the fibres' colour bar drawn on it when ``scene`` colours fibres (in place)."""
    anim = getattr(scene, "animation", None)
    if anim is not None and anim.fibres:
        draw_colour_bar(image, lay, anim.fibre_range)
    return image


def draw_colour_bar(image: np.ndarray, lay: Layout, vmax: float) -> None:
    """A horizontal diverging colour bar from ``-vmax`` to ``+vmax`` mm in the top right of the 3D area, in place."""
    from PIL import Image, ImageDraw

    from glute3d.render.fonts import font

    h, w = image.shape[:2]
    _, y0, x1, _ = lay.rect
    f = font(max(9, int(0.022 * h))).primary
    size = f.size
    title = "rotation moment arm (mm)"
    ends = (f"\u2212{vmax:g} external", "0", f"internal +{vmax:g}")
    bw = int(max(0.22 * w, f.getlength(title), sum(f.getlength(t) for t in ends) + 2 * size))
    bh = max(6, int(0.6 * size))
    left, top = int(x1 - bw - 0.02 * w), int(y0 + 0.02 * h + size * 1.3)
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    stops = np.array([s for s, _ in DIVERGING])
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for _, c in DIVERGING], float)
    u = np.linspace(0.0, 1.0, bw)
    bar = np.stack([np.interp(u, stops, rgb[:, k]) for k in range(3)], -1).round().astype(np.uint8)
    pil.paste(Image.fromarray(np.repeat(bar[None], bh, 0)), (left, top))
    draw.rectangle((left, top, left + bw - 1, top + bh - 1), outline=(60, 60, 60))
    ink = (26, 26, 26)
    draw.text((left + bw / 2, top - 0.25 * size), title, font=f, fill=ink, anchor="md")
    below = top + bh + 0.25 * size
    for text, x, anchor in zip(ends, (left, left + bw / 2, left + bw), ("la", "ma", "ra")):
        draw.text((x, below), text, font=f, fill=ink, anchor=anchor)
    image[...] = np.asarray(pil)[..., : image.shape[2]]
