"""Colours and the rendering theme (``data/theme.toml``): styles, overlay sizes, text, injection marks.

The theme is read through the pydantic model :class:`Theme`, so a typo or a bad value in
``theme.toml`` is one line naming the file, the field, the line and the fix, the same as a
scene error.  :func:`load_theme` returns the file's tables as a plain dict.

Examples
--------
>>> load_theme()["styles"]["bone"]["color"]
'#e8dcc0'
>>> parse_color("#000")
(0.0, 0.0, 0.0)
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from glute3d.errors import DataFileError, did_you_mean
from glute3d.io.datafiles import data_text
from glute3d.io.validation import StrictTable, validation_error

__all__ = ["STYLES", "THEME_FILE", "StyleName", "Theme", "check_color", "load_theme", "parse_color", "read_theme"]

#: The packaged theme file (in ``glute3d/data``).
THEME_FILE = "theme.toml"

StyleName = Literal["bone", "muscle", "nerve", "artery", "skin", "bursa", "fascia", "highlight"]
#: Styles a layer can ask for (their colours and materials are the theme's ``[styles.*]`` tables).
STYLES: tuple[str, ...] = get_args(StyleName)

_HEX_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_color(value: str) -> tuple[float, float, float]:
    """An RGB colour in ``[0, 1]`` from ``"#rgb"``, ``"#rrggbb"`` or a CSS/VTK colour name.

    Raises
    ------
    ValueError
        If the colour is not recognised.

    Examples
    --------
    >>> parse_color("#ff8000")
    (1.0, 0.5019607843137255, 0.0)
    >>> parse_color("white")
    (1.0, 1.0, 1.0)
    """
    text = value.strip()
    if _HEX_RE.match(text):
        h = text[1:]
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        r, g, b = (int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
        return (r, g, b)
    from vtkmodules.vtkCommonColor import vtkNamedColors

    named = vtkNamedColors()
    key = text.lower().replace(" ", "").replace("_", "")
    if named.ColorExists(key):
        r, g, b = (float(c) for c in named.GetColor3d(key))
        return (r, g, b)
    msg = f"unknown colour {value!r}; use '#rrggbb' or a CSS colour name such as 'white'"
    raise ValueError(msg)


def check_color(value: str) -> str:
    """``value`` unchanged if :func:`parse_color` understands it (a pydantic validator).

    Raises
    ------
    ValueError
        If the colour is not recognised.
    """
    parse_color(value)
    return value


Color = Annotated[str, AfterValidator(check_color)]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]


class Material(StrictTable):
    """How one style looks: colour, opacity and the Phong lighting coefficients."""

    color: Color
    opacity: Unit
    ambient: Unit
    diffuse: Unit
    specular: Unit
    specular_power: Positive


class Palette(StrictTable):
    """Colours given in order to landmarks the theme names no colour for."""

    colors: list[Color] = Field(min_length=1)


class OverlayTheme(StrictTable):
    """Landmark overlays: sphere and tube sizes (mm), colours and material."""

    point_radius: Positive
    tube_radius: Positive
    patch_offset: Annotated[float, Field(ge=0.0)]
    point_color: Color
    ambient: Unit
    diffuse: Unit
    specular: Unit
    specular_power: Positive
    colors: dict[str, Color]
    palette: Palette


class Lighting(StrictTable):
    """The light set-up of the 3D view."""

    kit: str


class TextTheme(StrictTable):
    """Text and leader lines (sizes are fractions of the image height unless said otherwise)."""

    color: Color
    light_color: Color
    muted: Color
    label_size: Annotated[float, Field(gt=0.0, le=0.2)]
    title_size: Annotated[float, Field(gt=0.0, le=0.2)]
    caption_size: Annotated[float, Field(gt=0.0, le=0.2)]
    min_size: Annotated[int, Field(ge=1, le=200)]
    leader_color: Color
    leader_width: Annotated[float, Field(gt=0.0, le=0.05)]
    hidden_leader_color: Color
    max_label_width: Annotated[float, Field(gt=0.0, le=1.0)]


class InjectionTheme(StrictTable):
    """Injection marks on the skin and the safety map's colours (sizes in mm)."""

    lift: Annotated[float, Field(ge=0.0)]
    line_radius: Positive
    point_radius: Positive
    needle_radius: Positive
    hub_mm: Annotated[float, Field(ge=0.0)]
    needle_color: Color
    point_color: Color
    mark_color: Color
    quadrant_color: Color
    uoq_color: Color
    uoq_opacity: Unit
    uoq_outline_color: Color
    psis_gt_color: Color
    v_color: Color
    v_opacity: Unit
    threshold_color: Color
    vmin: Annotated[float, Field(lt=0.0)] = -20.0  # mm, the colour bar's start (a margin below 0: danger)
    vmax: Positive
    colormap: list[tuple[Unit, Color]] = Field(min_length=2)

    @model_validator(mode="after")
    def _stops(self) -> InjectionTheme:
        stops = [s for s, _ in self.colormap]
        if stops[0] != 0.0 or stops[-1] != 1.0 or any(b <= a for a, b in zip(stops, stops[1:])):
            msg = f"colormap stops must rise from 0 to 1, got {stops}; list [position, colour] pairs in order"
            raise ValueError(msg)
        return self


class Theme(StrictTable):
    """The whole of ``theme.toml``: every style, the kind-to-style map and the overlay settings."""

    styles: dict[str, Material]
    kinds: dict[str, str]
    fallback: dict[str, str]
    overlay: OverlayTheme
    lighting: Lighting
    text: TextTheme
    injection: InjectionTheme

    @field_validator("styles")
    @classmethod
    def _every_style(cls, v: dict[str, Material]) -> dict[str, Material]:
        needed = (*STYLES, "other")
        missing = [s for s in needed if s not in v]
        if missing:
            msg = f"missing [styles.{missing[0]}]; every style needs a table ({', '.join(needed)})"
            raise ValueError(msg)
        return v

    @field_validator("kinds", "fallback")
    @classmethod
    def _known_styles(cls, v: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        styles = list(info.data.get("styles") or ())
        for key, style in v.items():
            if styles and style not in styles:
                msg = f"{key} = {style!r} is not a style{did_you_mean(style, styles)}; choose from {', '.join(styles)}"
                raise ValueError(msg)
        return v


def read_theme(text: str, source: str | Path | None = None) -> dict[str, Any]:
    """Parse and check theme TOML ``text``; its tables as a plain dict.

    Raises
    ------
    DataFileError
        Not TOML, or a field missing, unknown or out of range: one line with file, field and line.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(source, "", f"not valid TOML: {exc}") from None
    try:
        Theme.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, Theme, source, text) from None
    return data


@functools.cache
def load_theme() -> dict[str, Any]:
    """The rendering theme, ``data/theme.toml`` (styles, overlay sizes and colours, text), checked.

    The same dict is returned on every call: do not modify it.

    Raises
    ------
    DataFileError
        The packaged theme file is broken (see :func:`read_theme`).
    """
    source = str(resources.files("glute3d.data").joinpath(THEME_FILE))
    return read_theme(data_text(THEME_FILE), source)
