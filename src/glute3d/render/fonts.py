"""Fonts and text measuring for the 2D overlay (Pillow; DejaVu Sans, as matplotlib ships it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

__all__ = ["block_size", "font", "font_path", "wrap"]

_FONTS: dict[tuple[int, bool], Any] = {}


def font_path(bold: bool = False) -> str | None:
    """DejaVu Sans from matplotlib's data (a pyvista dependency), without importing matplotlib;
    ``None`` when it cannot be found (Pillow's default font is used then)."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    spec = importlib.util.find_spec("matplotlib")
    for base in (spec.submodule_search_locations or []) if spec else []:
        p = Path(base) / "mpl-data" / "fonts" / "ttf" / name
        if p.is_file():
            return str(p)
    p = Path("/usr/share/fonts/truetype/dejavu") / name
    return str(p) if p.is_file() else None


def font(px: int, bold: bool = False) -> Any:
    """The Pillow font of ``px`` pixels (one object per size and weight).

    Examples
    --------
    >>> font(14).size
    14
    """
    from PIL import ImageFont

    key = (px, bold)
    if key not in _FONTS:
        path = font_path(bold)
        _FONTS[key] = ImageFont.truetype(path, px) if path else ImageFont.load_default(px)
    return _FONTS[key]


def wrap(text: str, fnt: Any, max_width: float) -> list[str]:
    """``text`` broken into lines no wider than ``max_width`` pixels (at spaces; ``\\n`` kept).

    Examples
    --------
    >>> wrap("Gluteus minimus, right", font(14), 110.0)
    ['Gluteus', 'minimus, right']
    """
    lines: list[str] = []
    for para in text.split("\n"):
        words, line = para.split(), ""
        for word in words:
            trial = f"{line} {word}".strip()
            if line and fnt.getlength(trial) > max_width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def block_size(lines: list[str], fnt: Any, leading: float) -> tuple[float, float]:
    """Width and height in pixels of a block of ``lines`` (line height ``fnt.size * leading``)."""
    width = max((fnt.getlength(t) for t in lines), default=0.0)
    return float(width), float(len(lines) * fnt.size * leading)
