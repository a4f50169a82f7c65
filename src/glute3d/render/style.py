"""Colours the renderer chooses: text on a background, and landmark overlays (3D and legend)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glute3d.scene import parse_color
from glute3d.sides import split_side

if TYPE_CHECKING:
    from glute3d.scene import ResolvedScene

__all__ = ["overlay_rgb", "text_colors"]

RGB = tuple[float, float, float]


def text_colors(theme: dict, background: str) -> tuple[str, str]:
    """Text colour and halo colour for a background (``"transparent"`` or a colour).

    Examples
    --------
    >>> from glute3d.scene import load_theme
    >>> text_colors(load_theme(), "#101010")[1]
    '#000000'
    """
    if background == "transparent":
        return theme["text"]["color"], "#ffffff"
    r, g, b = parse_color(background)
    dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45
    if dark:
        return theme["text"]["light_color"], "#000000"
    return theme["text"]["color"], "#ffffff"


def overlay_rgb(o: Any, theme: dict, res: ResolvedScene) -> RGB:
    """The colour of a landmark overlay: its own, the point colour, the theme's colour of its
    base name, or the next palette colour among the overlays without one."""
    if o.color:
        return parse_color(o.color)
    ov = theme["overlay"]
    if o.kind == "point":
        return parse_color(ov["point_color"])
    base = split_side(o.name)[0]
    if base in ov["colors"]:
        return parse_color(ov["colors"][base])
    palette = ov["palette"]["colors"]
    others = [x.name for x in res.overlays if x.kind != "point" and split_side(x.name)[0] not in ov["colors"]]
    return parse_color(palette[others.index(o.name) % len(palette)])
