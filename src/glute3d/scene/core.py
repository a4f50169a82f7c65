"""Scenes: a validated description of one picture, read from TOML or built in Python.

A scene says *what* to show (layers of structures with a style, landmark overlays, labels),
*from where* (a camera preset or an explicit camera) and *how* (title, caption, legend,
scale bar, background, resolution).  It knows nothing about pyvista: :mod:`glute3d.render`
turns a scene and a model into a picture.

Validation happens in two steps:

1. :meth:`Scene.from_file` / :meth:`Scene.from_dict` check the form (types, ranges, allowed
   values) without a model;
2. :meth:`Scene.resolve` checks every name against a model (structures, landmarks) and returns
   the geometry to draw as plain numpy data.

Every problem is raised as one :class:`SceneError` naming the file, the field, the bad value,
the fix and, where it can be found, the TOML line.

Examples
--------
>>> from glute3d.scene import Scene
>>> scene = Scene.from_dict({"title": "Bones", "camera": {"preset": "lateral", "side": "r"}})
>>> scene.camera.preset, scene.resolution
('lateral', (1920, 1080))
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from glute3d.errors import DataFileError, did_you_mean, find_line
from glute3d.io.validation import format_field_path, validation_error

__all__ = [
    "CAMERA_PRESETS",
    "INJECTION_OVERLAYS",
    "STYLES",
    "Camera",
    "CutAway",
    "Label",
    "Layer",
    "Overlays",
    "Pose",
    "ResolvedScene",
    "Segment",
    "Scene",
    "SceneError",
    "load_theme",
    "parse_color",
]

#: Styles a layer can ask for (colours and materials live in ``data/theme.toml``).
STYLES: tuple[str, ...] = ("bone", "muscle", "nerve", "artery", "skin", "bursa", "highlight")

#: Camera presets; the lateral-type ones take a side.
CAMERA_PRESETS: tuple[str, ...] = (
    "posterior",
    "lateral",
    "anterior",
    "superior",
    "oblique",
    "posterolateral",
)
_SIDED_PRESETS = frozenset({"lateral", "oblique", "posterolateral"})

#: Injection overlays (drawn on the skin from :mod:`glute3d.injection`), per side:
#: ``quadrants`` (the four dorsogluteal quadrants, the upper outer one filled),
#: ``dorsogluteal_site`` (the point in the upper outer quadrant and its needle track),
#: ``psis_gt_line`` (posterior superior iliac spine to greater trochanter),
#: ``ventrogluteal_site`` (von Hochstetter's V, its point and needle track) and
#: ``safety_map`` (the skin coloured by how near a perpendicular needle comes to a nerve or
#: artery, with the danger threshold drawn on it and a colour bar in mm).
INJECTION_BASES: tuple[str, ...] = (
    "quadrants", "safety_map", "ventrogluteal_site", "dorsogluteal_site", "psis_gt_line",
)
INJECTION_OVERLAYS: tuple[str, ...] = tuple(f"{base}_{side}" for base in INJECTION_BASES for side in ("r", "l"))

MIN_RESOLUTION = (160, 120)
MAX_RESOLUTION = (7680, 4320)

StyleName = Literal["bone", "muscle", "nerve", "artery", "skin", "bursa", "highlight"]
Vec3 = tuple[float, float, float]


# =============================================================================== errors
class SceneError(DataFileError):
    """A scene that cannot be shown, with where the problem is and how to fix it.

    Parameters
    ----------
    file : str or pathlib.Path or None
        The scene file (``None`` for a scene built in Python: shown as ``<scene>``).
    field : str
        Path of the faulty field, e.g. ``"layers[2].structures[0]"``.
    message : str
        What is wrong and how to fix it.
    line : int, optional
        1-based line of the TOML file where the bad value is.

    Examples
    --------
    >>> str(SceneError("scenes/x.toml", "camera.preset", "unknown preset 'top'", line=3))
    "scenes/x.toml: camera.preset: unknown preset 'top' (line 3)"
    """

    placeholder = "<scene>"


# =============================================================================== colours
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
        return tuple(int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]
    from vtkmodules.vtkCommonColor import vtkNamedColors

    named = vtkNamedColors()
    key = text.lower().replace(" ", "").replace("_", "")
    if named.ColorExists(key):
        return tuple(float(c) for c in named.GetColor3d(key))  # type: ignore[return-value]
    raise ValueError(f"unknown colour {value!r}; use '#rrggbb' or a CSS colour name such as 'white'")


@functools.cache
def load_theme() -> dict:
    """The rendering theme, ``data/theme.toml`` (styles, overlay sizes and colours, text)."""
    from importlib import resources

    with resources.files("glute3d.data").joinpath("theme.toml").open("rb") as fh:
        return tomllib.load(fh)


def _check_color(value: str) -> str:
    parse_color(value)
    return value


# =============================================================================== schema
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CutAway(_Model):
    """A plane that clips a layer: everything on the side the normal points to is removed.

    ``origin`` is a point ``[x, y, z]`` in mm or a landmark name (e.g. ``"lesser_trochanter_r"``);
    ``offset`` moves the plane along the normal (mm).  ``cap`` closes the cut surface (default:
    for bone and muscle styles).
    """

    origin: Vec3 | str
    normal: Vec3
    offset: float = 0.0
    cap: bool | None = None

    @field_validator("origin", mode="before")
    @classmethod
    def _origin(cls, v: Any) -> Any:
        if isinstance(v, str):
            return v
        if isinstance(v, Sequence) and len(v) == 3:
            return tuple(v)
        raise ValueError("origin must be a point [x, y, z] in mm or a landmark name")

    @field_validator("normal")
    @classmethod
    def _normal(cls, v: Vec3) -> Vec3:
        if float(np.linalg.norm(v)) < 1e-9:
            raise ValueError("normal must not be the zero vector")
        return v


class Layer(_Model):
    """A group of structures drawn alike.

    ``structures`` are names or glob patterns (``"gluteus_*_r"``).  ``style`` defaults to the
    knowledge-base kind of each structure; ``highlight = true`` forces the highlight style.
    ``hide`` leaves the layer out; if any layer has ``isolate = true`` only isolated layers are
    drawn.  ``optional = true`` skips names the model does not have (yet) instead of failing.
    """

    name: str | None = None
    structures: list[str] = Field(min_length=1)
    style: StyleName | None = None
    color: str | None = None
    opacity: float | None = Field(default=None, ge=0.0, le=1.0)
    hide: bool = False
    isolate: bool = False
    highlight: bool = False
    optional: bool = False
    cut_away: CutAway | None = None

    @field_validator("color")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        return v if v is None else _check_color(v)


class Label(_Model):
    """A text label with a leader line to a structure or landmark.

    ``text`` defaults to the display name of ``target``.  ``side`` chooses the margin
    (``"auto"``: the nearer one).  ``near`` (a landmark name or a point in mm) anchors the
    leader on the part of the target closest to it; ``branch`` (a nerve or artery target) on
    one of its branches, e.g. ``"inferior_branch"``.
    """

    target: str
    text: str | None = None
    leader: bool = True
    side: Literal["auto", "left", "right"] = "auto"
    near: Vec3 | str | None = None
    branch: str | None = None

    @field_validator("near", mode="before")
    @classmethod
    def _near(cls, v: Any) -> Any:
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, Sequence) and len(v) == 3:
            return tuple(v)
        raise ValueError("near must be a point [x, y, z] in mm or a landmark name")


class Camera(_Model):
    """Where the picture is taken from.

    Either a ``preset`` (with ``side`` for lateral, oblique and posterolateral) or an explicit
    ``position`` and ``focal_point`` (and ``up``).  The view is framed to the visible structures,
    or to the ``focus`` names, with ``margin``; ``zoom`` > 1 comes closer.  ``azimuth`` and
    ``elevation`` (degrees) turn a preset about the vertical and horizontal screen axes;
    ``roll`` (degrees, positive counter-clockwise) turns the picture about the line of sight.
    """

    preset: Literal["posterior", "lateral", "anterior", "superior", "oblique", "posterolateral"] | None = None
    side: Literal["r", "l"] | None = None
    position: Vec3 | None = None
    focal_point: Vec3 | None = None
    up: Vec3 | None = None
    zoom: float = Field(default=1.0, ge=0.1, le=20.0)
    azimuth: float = Field(default=0.0, ge=-180.0, le=180.0)
    elevation: float = Field(default=0.0, ge=-89.0, le=89.0)
    roll: float = Field(default=0.0, ge=-90.0, le=90.0)
    focus: list[str] = Field(default_factory=list)
    projection: Literal["orthographic", "perspective"] = "orthographic"
    margin: float = Field(default=0.04, ge=0.0, le=0.4)

    @model_validator(mode="after")
    def _consistent(self) -> "Camera":
        explicit = self.position is not None or self.focal_point is not None
        if explicit and self.preset is not None:
            raise ValueError("give either preset or position + focal_point, not both")
        if explicit and (self.position is None or self.focal_point is None):
            raise ValueError("an explicit camera needs both position and focal_point")
        if self.up is not None and float(np.linalg.norm(self.up)) < 1e-9:
            raise ValueError("up must not be the zero vector")
        if self.side is not None and self.effective_preset not in _SIDED_PRESETS:
            raise ValueError(
                f"side applies only to the presets {sorted(_SIDED_PRESETS)}; remove it"
            )
        if explicit:
            d = np.subtract(self.focal_point, self.position)
            if float(np.linalg.norm(d)) < 1e-9:
                raise ValueError("position and focal_point must differ")
        return self

    @property
    def effective_preset(self) -> str | None:
        """The preset in use (``"posterior"`` when neither preset nor position is given)."""
        if self.preset is None and self.position is None:
            return "posterior"
        return self.preset

    @property
    def effective_side(self) -> str:
        return self.side or "r"


_POSE_RANGES = {"flexion": (-30.0, 120.0), "adduction": (-50.0, 30.0), "rotation": (-45.0, 45.0)}


class Pose(_Model):
    """Hip pose in degrees (ISB): flexion -30..120, adduction -50..30, rotation -45..45.

    Each angle is a number for the hip(s) ``side`` names, or a table giving each hip its own
    value, e.g. ``adduction = { r = 10, l = -10 }`` (a missing side is 0).  Applied through
    ``model.posed(pose)``.
    """

    flexion: float | dict[Literal["r", "l"], float] = 0.0
    adduction: float | dict[Literal["r", "l"], float] = 0.0
    rotation: float | dict[Literal["r", "l"], float] = 0.0
    side: Literal["r", "l", "both"] = "both"

    @field_validator("flexion", "adduction", "rotation")
    @classmethod
    def _range(cls, v: Any, info: Any) -> Any:
        lo, hi = _POSE_RANGES[info.field_name]
        values = v.items() if isinstance(v, dict) else [(None, v)]
        for side, value in values:
            if not lo <= float(value) <= hi:
                where = f" for side {side!r}" if side else ""
                raise ValueError(f"{value!r}{where} is out of range; must be between {lo:g} and {hi:g}")
        return v

    def angles(self, side: str) -> tuple[float, float, float]:
        """``(flexion, adduction, rotation)`` of hip ``side`` (``"r"`` or ``"l"``)."""
        out = []
        for name in ("flexion", "adduction", "rotation"):
            v = getattr(self, name)
            if isinstance(v, dict):
                out.append(float(v.get(side, 0.0)))  # type: ignore[call-overload]
            else:
                out.append(float(v) if self.side in ("both", side) else 0.0)
        return tuple(out)  # type: ignore[return-value]

    @property
    def is_neutral(self) -> bool:
        return all(a == 0.0 for s in ("r", "l") for a in self.angles(s))


class Segment(_Model):
    """A straight line drawn between two points (landmark names or ``[x, y, z]`` in mm).

    ``extend`` lengthens it beyond both ends (mm); ``dashed`` draws it in dashes.
    """

    start: Vec3 | str
    end: Vec3 | str
    color: str = "#1a1a1a"
    extend: float = Field(default=0.0, ge=0.0, le=500.0)
    dashed: bool = False

    @field_validator("start", "end", mode="before")
    @classmethod
    def _point(cls, v: Any) -> Any:
        if isinstance(v, str):
            return v
        if isinstance(v, Sequence) and len(v) == 3:
            return tuple(v)
        raise ValueError("must be a point [x, y, z] in mm or a landmark name")

    @field_validator("color")
    @classmethod
    def _color(cls, v: str) -> str:
        return _check_color(v)


class Overlays(_Model):
    """Landmarks, injection overlays and reference lines drawn on the structures.

    ``landmarks`` are landmark names or glob patterns: points are drawn as spheres, curves as
    tubes, regions as coloured patches.  ``colors`` overrides colours by landmark name (sided or
    sideless).  ``label = true`` labels every overlay landmark.  ``injection`` names the
    injection overlays (see `INJECTION_OVERLAYS`, e.g. ``"quadrants_r"``, ``"safety_map_r"``);
    their needles are ``needle_mm`` long.  ``segments`` are straight reference lines.
    """

    landmarks: list[str] = Field(default_factory=list)
    colors: dict[str, str] = Field(default_factory=dict)
    label: bool = False
    point_radius: float | None = Field(default=None, gt=0.0, le=50.0)
    tube_radius: float | None = Field(default=None, gt=0.0, le=20.0)
    injection: list[str] = Field(default_factory=list)
    needle_mm: float = Field(default=38.0, ge=5.0, le=120.0)
    segments: list[Segment] = Field(default_factory=list)

    @field_validator("colors")
    @classmethod
    def _colors(cls, v: dict[str, str]) -> dict[str, str]:
        for value in v.values():
            _check_color(value)
        return v

    @field_validator("injection")
    @classmethod
    def _injection(cls, v: list[str]) -> list[str]:
        for i, name in enumerate(v):
            if name not in INJECTION_OVERLAYS:
                hint = did_you_mean(name, INJECTION_OVERLAYS, 2, cutoff=0.5)
                raise ValueError(
                    f"[{i}] unknown injection overlay {name!r}{hint}; "
                    f"choose from {', '.join(INJECTION_OVERLAYS)}"
                )
        return v


class Scene(_Model):
    """One picture: what to show, from where, and how.

    Attributes
    ----------
    title, caption : str
        Printed above and below the picture (empty: none).
    layers : list of Layer
        What to draw.  No layers: every structure of the model in its own style.
    labels : list of Label
        Text labels with leader lines, placed in the side margins.
    camera : Camera
        Preset or explicit camera; framing.
    pose : Pose
        Hip pose; non-neutral poses need a model with ``posed``.
    overlays : Overlays
        Landmarks (and later injection overlays).
    legend, scale_bar : bool
        Draw a legend of the layers and overlays; a scale bar in mm.
    background : str
        A colour, or ``"transparent"`` for an RGBA picture.
    resolution : (int, int)
        Width and height in pixels (160x120 .. 7680x4320).
    text_scale : float
        Multiplies every font size.
    label_sides : {"auto", "always", "never"}
        Whether label texts name the side (", right"); ``"auto"``: only when both sides are
        labelled.
    variants : dict of str to str
        Anatomical variant switches of the model, e.g. ``{sciatic = "fibular_pierces_piriformis"}``
        (see ``glute3d.paths.VARIANTS``).
    """

    title: str = ""
    caption: str = ""
    layers: list[Layer] = Field(default_factory=list)
    labels: list[Label] = Field(default_factory=list)
    camera: Camera = Field(default_factory=Camera)
    pose: Pose = Field(default_factory=Pose)
    overlays: Overlays = Field(default_factory=Overlays)
    legend: bool = False
    scale_bar: bool = False
    background: str = "white"
    resolution: tuple[int, int] = (1920, 1080)
    text_scale: float = Field(default=1.0, ge=0.3, le=4.0)
    label_sides: Literal["auto", "always", "never"] = "auto"
    variants: dict[str, str] = Field(default_factory=dict)

    _source: str | None = PrivateAttr(default=None)
    _text: str | None = PrivateAttr(default=None)

    @field_validator("background")
    @classmethod
    def _background(cls, v: str) -> str:
        return v if v == "transparent" else _check_color(v)

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution(cls, v: Any) -> Any:
        if not (isinstance(v, Sequence) and not isinstance(v, str) and len(v) == 2):
            raise ValueError("resolution must be [width, height] in pixels, e.g. [1920, 1080]")
        for value, lo, hi, what in zip(v, MIN_RESOLUTION, MAX_RESOLUTION, ("width", "height")):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{what} must be a whole number of pixels, got {value!r}")
            if not lo <= value <= hi:
                raise ValueError(f"{what} {value} is out of range; must be between {lo} and {hi} pixels")
        return tuple(v)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise validation_error(exc, Scene, None, None, SceneError) from None

    def __eq__(self, other: object) -> bool:
        """Scenes are equal when their fields are (where they were read from does not count)."""
        return isinstance(other, Scene) and self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, data: dict, *, source: str | Path | None = None, text: str | None = None) -> "Scene":
        """Validate a scene given as a dict (as parsed from TOML).

        Parameters
        ----------
        data : dict
            The scene fields.
        source : str or pathlib.Path, optional
            File name used in error messages.
        text : str, optional
            The raw TOML text, used to find line numbers for errors.

        Raises
        ------
        SceneError
            The first problem found, as one line.
        """
        if not isinstance(data, dict):
            raise SceneError(source, "", f"a scene must be a table of fields, got {type(data).__name__}")
        try:
            scene = cls.model_validate(data)
        except SceneError as exc:
            raise exc.located(source, text) from None
        except ValidationError as exc:
            inner = [e.get("ctx", {}).get("error") for e in exc.errors(include_url=False)]
            if inner and isinstance(inner[0], SceneError):  # raised by __init__ under validation
                raise inner[0].located(source, text) from None
            raise validation_error(exc, Scene, source, text, SceneError) from None
        scene._source = None if source is None else str(source)
        scene._text = text
        return scene

    @classmethod
    def from_toml(cls, text: str, *, source: str | Path | None = None) -> "Scene":
        """Parse and validate TOML text."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = str(exc)
            m = re.search(r"\(at line (\d+), column \d+\)", msg)
            line = int(m.group(1)) if m else None
            msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
            raise SceneError(source, "", f"not valid TOML: {msg}", line=line) from None
        return cls.from_dict(data, source=source, text=text)

    @classmethod
    def from_file(cls, path: str | Path) -> "Scene":
        """Read and validate a scene file (TOML).

        Raises
        ------
        SceneError
            The file cannot be read, is not TOML, or a field is invalid.
        """
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SceneError(p, "", "no such scene file; check the path") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SceneError(p, "", f"cannot read the scene file: {exc}") from None
        return cls.from_toml(text, source=p)

    @property
    def source(self) -> str | None:
        """The file the scene was read from, if any."""
        return self._source

    def to_dict(self) -> dict:
        """The scene as plain data (fields left at their defaults are omitted)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def to_toml(self) -> str:
        """The scene as TOML text that :meth:`from_toml` reads back to an equal scene."""
        return _dump_toml(self.to_dict())

    def with_resolution(self, width: int, height: int) -> "Scene":
        """A copy at another resolution (errors still name the original file).

        Raises
        ------
        SceneError
            The size is out of bounds.
        """
        try:
            size = Scene._resolution((width, height))
        except ValueError as exc:
            raise SceneError(self._source, "resolution", f"{exc} (size asked for: {width}x{height})") from None
        new = self.model_copy(update={"resolution": size})
        new._source, new._text = self._source, self._text
        return new

    # ------------------------------------------------------------------ errors with lines
    def error(self, path: Sequence[str | int], message: str, value: Any = None) -> SceneError:
        """A :class:`SceneError` for field ``path`` of this scene, with the TOML line if found."""
        line = find_line(self._text, tuple(path), value) if self._text else None
        return SceneError(self._source, format_field_path(path), message, line=line)

    # ------------------------------------------------------------------ resolution
    def resolve(self, model: Any) -> "ResolvedScene":
        """Check every name against ``model`` and collect the geometry to draw.

        Parameters
        ----------
        model : glute3d.Model
            Anything with ``meshes`` (name to :class:`~glute3d.mesh.Mesh`), ``landmarks`` and
            ``landmark(name)``; posed first when the scene has a non-neutral pose.

        Returns
        -------
        ResolvedScene

        Raises
        ------
        SceneError
            Unknown or missing names (with the closest valid ones), an impossible pose, an
            overlay that is not available yet.
        """
        return _resolve(self, model)


# =============================================================================== resolved scene
@dataclass(frozen=True)
class Cut:
    """A resolved cut-away plane: remove what lies on the ``normal`` side of ``origin``."""

    origin: np.ndarray
    normal: np.ndarray
    cap: bool


@dataclass(frozen=True)
class DrawItem:
    """One structure to draw."""

    name: str
    mesh: Any  # glute3d.mesh.Mesh
    style: str
    color: str | None
    opacity: float | None
    layer: str
    cut: Cut | None = None
    vertex_colors: np.ndarray | None = None  # (n, 3) RGB in [0, 1] per vertex (a safety map)


@dataclass(frozen=True)
class OverlayItem:
    """One landmark to draw: ``kind`` is ``"point"``, ``"curve"`` or ``"region"``.

    ``geometry`` is a ``(3,)`` point, an ``(n, 3)`` polyline or a Mesh patch.
    """

    name: str
    kind: str
    geometry: Any
    color: str | None


@dataclass(frozen=True)
class LabelItem:
    """A label: its text, and the candidate anchor points of its target (first = preferred)."""

    text: str
    target: str
    kind: str  # "structure", "point", "curve", "region"
    candidates: np.ndarray  # (n, 3)
    side: str
    leader: bool
    lift: float = 0.0  # mm the drawn target stands off the surface toward the viewer
    index: int = 0


@dataclass(frozen=True)
class Mark:
    """A drawn aid that is not a landmark: injection lines, fills, points, needles, segments.

    ``kind``: ``"line"`` (``(n, 3)`` polyline tube), ``"fill"`` (a Mesh patch), ``"point"``
    (``(3,)`` sphere) or ``"needle"`` (``(2, 3)`` entry and tip).  ``legend`` is the legend
    text (empty: not in the legend).  ``radius`` is the tube or sphere radius in mm.
    """

    name: str
    kind: str
    geometry: Any
    color: str
    legend: str = ""
    radius: float = 1.0
    opacity: float = 1.0
    dashed: bool = False


@dataclass(frozen=True)
class SafetyMap:
    """The skin coloured by needle-track distance: values, threshold and needle for the colour bar."""

    distances: np.ndarray  # (n_vertices,) mm, NaN where not mapped
    threshold: float
    needle_mm: float
    vmax: float


@dataclass
class ResolvedScene:
    """A scene with every name resolved against a model: plain data for a renderer."""

    scene: Scene
    items: list[DrawItem] = field(default_factory=list)
    overlays: list[OverlayItem] = field(default_factory=list)
    labels: list[LabelItem] = field(default_factory=list)
    focus_points: np.ndarray | None = None
    legend: list[tuple[str, str, str | None]] = field(default_factory=list)  # (text, style, colour)
    marks: list[Mark] = field(default_factory=list)
    safety: SafetyMap | None = None
    focus_items: list[str] = field(default_factory=list)  # drawn structures the camera frames

    @property
    def has_focus(self) -> bool:
        return self.focus_points is not None or bool(self.focus_items)


# =============================================================================== resolving
def _is_glob(name: str) -> bool:
    return any(c in name for c in "*?[")


def _kb_names() -> list[str]:
    try:
        from glute3d.anatomy.knowledge import structure_names

        return structure_names()
    except Exception:  # pragma: no cover - knowledge base broken: names still checked on the model
        return []


def _kb_kind(name: str) -> str | None:
    try:
        from glute3d.anatomy.knowledge import facts

        return facts(name).kind
    except Exception:
        return None


def display_name(name: str) -> str:
    """The display name of a structure or landmark (knowledge base, else the name humanised)."""
    try:
        from glute3d.anatomy.knowledge import facts

        return facts(name).display
    except Exception:
        from glute3d.anatomy.knowledge import split_side

        base, side = split_side(name)
        text = base.replace("_", " ").capitalize()
        return f"{text}, {'right' if side == 'r' else 'left'}" if side else text


def _match_structures(scene: Scene, path: tuple, names: list[str], model_names: list[str], optional: bool,
                      exact: list[str] | None = None) -> list[str]:
    """Expand names and globs of a layer against the model's structures.

    Globs match ``model_names``; exact names may also be any of ``exact`` (e.g. muscle parts).
    """
    out: list[str] = []
    kb = _kb_names()
    exact_set = set(exact or ())
    for i, pattern in enumerate(names):
        here = (*path, i)
        if not _is_glob(pattern) and pattern in exact_set:
            if pattern not in out:
                out.append(pattern)
        elif _is_glob(pattern):
            hits = [n for n in model_names if fnmatch.fnmatchcase(n, pattern)]
            if not hits and not optional:
                known = [n for n in kb if fnmatch.fnmatchcase(n, pattern)]
                why = (
                    f"pattern {pattern!r} matches no structure of the model"
                    + (f" (the knowledge base has {', '.join(known[:4])}{'...' if len(known) > 4 else ''},"
                       " not built yet)" if known else "")
                    + "; add optional = true to the layer to allow that"
                )
                raise scene.error(here, why, pattern)
            out.extend(h for h in hits if h not in out)
        elif pattern in model_names:
            if pattern not in out:
                out.append(pattern)
        elif optional:
            continue
        elif pattern in kb:
            raise scene.error(
                here,
                f"structure {pattern!r} is not in the model yet (the model has "
                f"{', '.join(model_names[:8])}{'...' if len(model_names) > 8 else ''}); "
                "remove it or add optional = true to the layer",
                pattern,
            )
        else:
            valid = [*model_names, *[n for n in kb if _kb_kind(n) not in ("point", "curve", "region")]]
            raise scene.error(here, f"unknown structure {pattern!r}{did_you_mean(pattern, valid)}", pattern)
    return out


def _landmark_names(model: Any) -> list[str]:
    lm = getattr(model, "landmarks", None)
    return list(lm.names()) if lm is not None else []


def _landmark_kind(model: Any, name: str) -> str:
    return model.landmarks.kind(name)


def _base(name: str) -> str:
    from glute3d.anatomy.knowledge import split_side

    return split_side(name)[0]


def _visible_layers(scene: Scene) -> list[tuple[int, Layer]]:
    shown = [(i, L) for i, L in enumerate(scene.layers) if not L.hide]
    if any(L.isolate for _, L in shown):
        shown = [(i, L) for i, L in shown if L.isolate]
    return shown


def _apply_variants(scene: Scene, model: Any) -> Any:
    """The model with the scene's anatomical variants switched on."""
    if not scene.variants:
        return model
    switch = getattr(model, "with_variant", None)
    try:
        from glute3d.anatomy.paths import VARIANTS
    except ImportError:  # pragma: no cover - no paths stage
        VARIANTS = {}
    for key, value in scene.variants.items():
        if key not in VARIANTS:
            raise scene.error(("variants", key), f"unknown variant switch {key!r}{did_you_mean(key, list(VARIANTS))}"
                              f" (switches: {', '.join(VARIANTS) or 'none'})")
        allowed = VARIANTS[key][1]
        if value not in allowed:
            raise scene.error(("variants", key), f"unknown value {value!r} for variant {key!r}"
                              f"{did_you_mean(value, allowed)} (choose from: {', '.join(allowed)})", value)
    if switch is None:
        raise scene.error(("variants",), "this model has no anatomical variants (model.with_variant); "
                          "remove [variants]")
    try:
        return switch(**scene.variants)
    except (ValueError, KeyError) as exc:
        raise scene.error(("variants",), str(exc).strip("'\"")) from None


def _apply_pose(scene: Scene, model: Any) -> Any:
    if scene.pose.is_neutral:
        return model
    posed = getattr(model, "posed", None)
    if posed is None:
        raise scene.error(
            ("pose",),
            "posing needs the kinematics stage (model.posed), which this model does not "
            "have yet; remove [pose] or set flexion, adduction and rotation to 0",
        )
    try:
        from glute3d.anatomy.pose import Pose as JointPose

        ang = {s: scene.pose.angles(s) for s in ("r", "l")}
        pose: Any = JointPose(**{name: {s: ang[s][k] for s in ("r", "l")}
                                 for k, name in enumerate(("flexion", "adduction", "rotation"))})
    except ImportError:  # pragma: no cover - no kinematics stage: hand over the scene's pose
        pose = scene.pose
    except ValueError as exc:
        field_name = getattr(exc, "field", None)
        path = ("pose", field_name) if field_name in Pose.model_fields else ("pose",)
        raise scene.error(path, str(exc)) from None
    return posed(pose)


_PART_RE = re.compile(r"_(anterior|middle|posterior|superior|inferior)_(r|l)$")


def _part_meshes(model: Any) -> dict:
    """Muscle parts by sided name (``gluteus_minimus_anterior_r`` ...), if the model has muscles."""
    fn = getattr(model, "part_meshes", None)
    if callable(fn):
        return dict(fn())
    muscles = getattr(model, "muscles", None)
    if not isinstance(muscles, dict):
        return {}
    out = {}
    for m in muscles.values():
        out.update(m.part_meshes())
    return out


def _resolve(scene: Scene, model: Any) -> ResolvedScene:
    model = _apply_variants(scene, model)
    model = _apply_pose(scene, model)

    out = ResolvedScene(scene=scene)
    lm_names = _landmark_names(model)
    meshes = _structures(scene, model, lm_names)
    # muscle parts: only when a name asks for one (they are not in model.meshes)
    wanted = [n for L in scene.layers for n in L.structures] + [L.target for L in scene.labels]
    if any(_PART_RE.search(n) and n not in meshes and n not in lm_names for n in wanted):
        for name, mesh in _part_meshes(model).items():
            meshes.setdefault(name, mesh)
    model_names = list(meshes)
    parts = {n for n in model_names if _PART_RE.search(n) and _kb_kind(n) in (None, "muscle_part")
             and n not in getattr(model, "bones", {})}

    # ---------------------------------------------------------------- layers
    assignment: dict[str, tuple[int, Layer]] = {}
    globbable = [n for n in model_names if n not in parts]  # parts only by their exact name
    for i, layer in enumerate(scene.layers):
        names = _match_structures(scene, ("layers", i, "structures"), layer.structures, globbable,
                                  layer.optional, exact=model_names)
        for n in names:
            assignment[n] = (i, layer)  # later layers win
    visible = dict(_visible_layers(scene))
    if not scene.layers:
        order = globbable
    else:
        order = [n for n in model_names if n in assignment and assignment[n][0] in visible]

    legend_seen: set[str] = set()
    for n in order:
        if scene.layers:
            i, layer = assignment[n]
        else:
            i, layer = -1, None
        style = _style_for(n, layer)
        cut = None
        if layer is not None and layer.cut_away is not None:
            cut = _resolve_cut(scene, model, ("layers", i, "cut_away"), layer.cut_away, style, lm_names)
        lname = _layer_title(layer, n, style)
        out.items.append(
            DrawItem(
                name=n,
                mesh=meshes[n],
                style=style,
                color=layer.color if layer is not None else None,
                opacity=layer.opacity if layer is not None else None,
                layer=lname,
                cut=cut,
            )
        )
        key = f"{lname}|{style}|{layer.color if layer else None}"
        if key not in legend_seen:
            legend_seen.add(key)
            out.legend.append((lname, style, layer.color if layer is not None else None))

    # ---------------------------------------------------------------- overlays
    ov = scene.overlays
    lm_overlays: list[str] = []
    for i, pattern in enumerate(ov.landmarks):
        here = ("overlays", "landmarks", i)
        if _is_glob(pattern):
            hits = [n for n in lm_names if fnmatch.fnmatchcase(n, pattern)]
            if not hits:
                raise scene.error(here, f"pattern {pattern!r} matches no landmark of the model", pattern)
        elif pattern in lm_names:
            hits = [pattern]
        else:
            raise scene.error(here, f"unknown landmark {pattern!r}{did_you_mean(pattern, lm_names)}", pattern)
        lm_overlays.extend(h for h in hits if h not in lm_overlays)
    for key in ov.colors:
        if key not in lm_names and key not in {_base(n) for n in lm_names}:
            raise scene.error(
                ("overlays", "colors", key),
                f"unknown landmark {key!r} in overlays.colors{did_you_mean(key, lm_names)}",
                key,
            )
    for name in lm_overlays:
        kind = _landmark_kind(model, name)
        geom = model.landmark(name)
        if kind == "region":
            geom = geom.mesh
        color = ov.colors.get(name) or ov.colors.get(_base(name))
        out.overlays.append(OverlayItem(name=name, kind=kind, geometry=geom, color=color))

    # ---------------------------------------------------------------- injection overlays
    targets: dict[str, tuple[str, np.ndarray, float]] = {}  # label targets the marks provide
    if ov.injection:
        _resolve_injection(scene, model, out, meshes, targets)

    # ---------------------------------------------------------------- foramina (from the path exits)
    asked = [L.target for L in scene.labels] + list(scene.camera.focus)
    if any(_base(n) in FORAMEN_TARGETS for n in asked):
        for name, (pts, radius) in _foramina(model).items():
            targets[name] = ("region", pts, radius)

    # ---------------------------------------------------------------- segments
    for i, seg in enumerate(ov.segments):
        ends = []
        for key in ("start", "end"):
            v = getattr(seg, key)
            if isinstance(v, str):
                if v not in lm_names:
                    raise scene.error(("overlays", "segments", i, key),
                                      f"unknown landmark {v!r}{did_you_mean(v, lm_names)}", v)
                g = model.landmark(v)
                v = g.centroid if hasattr(g, "centroid") else np.atleast_2d(g).mean(axis=0)
            ends.append(np.asarray(v, float))
        a, b = ends
        u = (b - a) / max(float(np.linalg.norm(b - a)), 1e-9)
        a, b = a - u * seg.extend, b + u * seg.extend
        line = a + np.linspace(0.0, 1.0, 60)[:, None] * (b - a)
        out.marks.append(Mark(name=f"segment_{i}", kind="line", geometry=line, color=seg.color,
                              radius=float(ov.tube_radius or load_theme()["overlay"]["tube_radius"]),
                              dashed=seg.dashed))

    # ---------------------------------------------------------------- focus
    # drawn structures are framed as drawn (after their cut-away): the renderer adds them
    focus_pts = []
    drawn_items = {it.name for it in out.items}
    for i, name in enumerate(scene.camera.focus):
        here = ("camera", "focus", i)
        if name in drawn_items:
            out.focus_items.append(name)
            continue
        pts = _target_points(model, meshes, lm_names, name)
        if pts is None and name in targets:
            pts = np.atleast_2d(targets[name][1])
        if pts is None and _is_glob(name):
            hits = [n for n in [*model_names, *lm_names] if fnmatch.fnmatchcase(n, name)]
            if not hits:
                raise scene.error(here, f"pattern {name!r} matches no structure or landmark", name)
            out.focus_items.extend(h for h in hits if h in drawn_items)
            rest = [h for h in hits if h not in drawn_items]
            pts = np.vstack([_target_points(model, meshes, lm_names, h) for h in rest]) if rest else None
            if pts is None:
                continue
        if pts is None:
            raise scene.error(here, _unknown_target(name, model_names, lm_names, targets), name)
        focus_pts.append(pts)
    out.focus_points = np.vstack(focus_pts) if focus_pts else None

    # ---------------------------------------------------------------- labels
    labels = list(scene.labels)
    explicit_targets = {L.target for L in labels}
    if ov.label:
        labels += [Label(target=n) for n in lm_overlays if n not in explicit_targets]
    theme_lift = _overlay_lifts(scene)
    drawn = {o.name for o in out.overlays}
    for j, lab in enumerate(labels):
        here = ("labels", j, "target")
        name = lab.target
        if name in meshes:
            kind = "structure"
            if name not in {it.name for it in out.items}:
                raise scene.error(here, f"label target {name!r} is not drawn (hidden or in no visible layer)", name)
            cands = _mesh_candidates(meshes[name])
            lift = 0.0
        elif name in lm_names:
            kind = _landmark_kind(model, name)
            geom = model.landmark(name)
            if kind == "point":
                cands = np.asarray(geom, float)[None]
            elif kind == "curve":
                c = np.asarray(geom, float)
                order_ = np.argsort(np.abs(np.arange(len(c)) - (len(c) - 1) / 2.0), kind="stable")
                cands = c[order_]
            else:
                cands = _patch_candidates(geom)
            lift = theme_lift[kind] if name in drawn else 0.0
        elif name in targets:
            kind, cands, lift = targets[name]
        else:
            raise scene.error(here, _unknown_target(name, model_names, lm_names, targets), name)
        if lab.branch is not None:
            lines = path_centrelines(model) if name in meshes else {}
            if name not in lines:
                raise scene.error(("labels", j, "branch"), f"branch applies to nerve and artery targets; "
                                  f"{name!r} is not one", lab.branch)
            branches = lines[name]["branches"]
            if lab.branch not in branches:
                raise scene.error(("labels", j, "branch"), f"{name!r} has no branch {lab.branch!r}"
                                  f"{did_you_mean(lab.branch, list(branches))} (branches: {', '.join(branches)})",
                                  lab.branch)
            c = branches[lab.branch]
            c = c[len(c) // 5:] if len(c) > 10 else c  # away from where it leaves its parent
            cut = next((it.cut for it in out.items if it.name == name and it.cut is not None), None)
            if cut is not None:  # the part the picture shows
                kept = (c - cut.origin) @ cut.normal <= 0.0
                c = c[kept] if kept.any() else c
            cands = c[np.argsort(np.abs(np.arange(len(c)) - (len(c) - 1) / 2.0), kind="stable")]
            kind = "curve"
            lift = float(lines[name].get("radii", {}).get(lab.branch, 0.0))  # the tube's surface, not its axis
        cut = next((it.cut for it in out.items if it.name == name and it.cut is not None), None)
        if cut is not None and lab.branch is None:  # not on the part a cut-away removes
            kept = (cands - cut.origin) @ cut.normal <= 0.0
            if kept.any() and not kept.all():
                cands = cands[kept]
                if kind == "structure":  # nearest the middle of what is left first
                    cands = cands[np.argsort(np.linalg.norm(cands - cands.mean(axis=0), axis=1), kind="stable")]
        if lab.near is not None and len(cands) > 1:
            cands = _near_candidates(scene, model, lm_names, ("labels", j, "near"), cands, lab.near, meshes)
        text = lab.text if lab.text is not None else _target_display(name)
        out.labels.append(
            LabelItem(text=text, target=name, kind=kind, candidates=cands, side=lab.side,
                      leader=lab.leader, lift=lift, index=j)
        )
    without_sides = _drop_side_words(scene, out.labels)
    if without_sides is not None:
        out.labels = without_sides
    return out


def _near_candidates(scene: Scene, model: Any, lm_names: list[str], path: tuple, cands: np.ndarray,
                     near: Vec3 | str, meshes: dict | None = None) -> np.ndarray:
    """The candidates nearest ``near`` (the closest fifth, nearest first).

    ``near`` is a point, a landmark name or a structure name (its centroid).
    """
    meshes = meshes or {}
    if isinstance(near, str) and near in meshes and near not in lm_names:
        p = np.asarray(meshes[near].vertices, float).mean(axis=0)
    elif isinstance(near, str):
        if near not in lm_names:
            raise scene.error(path, f"unknown landmark or structure {near!r}"
                              f"{did_you_mean(near, [*lm_names, *meshes])}", near)
        g = model.landmark(near)
        p = np.asarray(g.centroid if hasattr(g, "centroid") else np.atleast_2d(g).mean(axis=0), float)
    else:
        p = np.asarray(near, float)
    d = np.linalg.norm(cands - p, axis=1)
    order = np.argsort(d, kind="stable")
    return cands[order[: max(1, len(order) // 5)]]


# =============================================================================== injection overlays
#: Display names of the injection marks a label can point at (sideless).
INJECTION_TARGETS: dict[str, str] = {
    "dorsogluteal": "Dorsogluteal injection site",
    "ventrogluteal": "Ventrogluteal injection site",
    "upper_outer_quadrant": "Upper outer quadrant",
    "upper_inner_quadrant": "Upper inner quadrant",
    "lower_outer_quadrant": "Lower outer quadrant",
    "lower_inner_quadrant": "Lower inner quadrant",
    "psis_gt_line": "Line from posterior superior iliac spine to greater trochanter",
    "ventrogluteal_v": "V between index and middle finger",
    "dorsogluteal_needle": "Needle track",
    "ventrogluteal_needle": "Needle track",
    "ventrogluteal_asis": "Anterior superior iliac spine (index finger)",
    "ventrogluteal_greater_trochanter": "Greater trochanter (heel of the hand)",
    "ventrogluteal_iliac_tubercle": "Iliac tubercle (middle finger)",
}


#: The two parts of the greater sciatic foramen, as label targets: where the paths leave the
#: pelvis above piriformis (superior gluteal nerve and vessels) and below it (sciatic nerve,
#: inferior gluteal nerve and vessels).
FORAMEN_TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "suprapiriform_foramen": ("Suprapiriform foramen", ("superior_gluteal_nerve", "superior_gluteal_artery")),
    "infrapiriform_foramen": ("Infrapiriform foramen", ("sciatic_nerve", "inferior_gluteal_nerve",
                                                        "inferior_gluteal_artery")),
}


def path_centrelines(model: Any) -> dict[str, dict]:
    """Every nerve and artery as plain data: sided name to ``{"exit": (3,) or None, "branches":
    {branch: (n, 3) centreline}}`` (``model.path_centrelines`` when the model caches it)."""
    fn = getattr(model, "path_centrelines", None)
    if callable(fn):
        return fn()
    out = {}
    for name, path in getattr(model, "paths", {}).items():
        try:
            exit_ = np.asarray(path.exit, float)
        except ValueError:
            exit_ = None
        out[name] = {"exit": exit_, "branches": {k: np.asarray(b.centreline, float) for k, b in path.branches.items()},
                     "radii": {k: float(b.radius) for k, b in path.branches.items()}}
    return out


def _foramina(model: Any) -> dict[str, np.ndarray]:
    """Candidate anchor points of the two foramina: the first 25 mm of each path beyond its exit."""
    lines = path_centrelines(model)
    out = {}
    for base, (_, paths) in FORAMEN_TARGETS.items():
        for side in ("r", "l"):
            pts, radii = [], []
            for p in paths:
                info = lines.get(f"{p}_{side}")
                if info is None or info["exit"] is None:
                    continue
                for b, c in info["branches"].items():
                    d = np.linalg.norm(c - info["exit"], axis=1)
                    k = int(np.argmin(d))
                    if d[k] < 3.0:
                        run = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(c[k:], axis=0), axis=1))])
                        pts.append(c[k:][run <= 25.0])
                        radii.append(float(info.get("radii", {}).get(b, 0.0)))
                        break
            if pts:
                allp = np.vstack(pts)
                centre = np.mean([q[0] for q in pts], axis=0)
                out[f"{base}_{side}"] = (allp[np.argsort(np.linalg.norm(allp - centre, axis=1), kind="stable")],
                                         min(radii))
    return out


def _target_display(name: str) -> str:
    from glute3d.anatomy.knowledge import split_side

    base, side = split_side(name)
    if base in FORAMEN_TARGETS:
        text = FORAMEN_TARGETS[base][0]
        return f"{text}, {'right' if side == 'r' else 'left'}" if side else text
    if base in INJECTION_TARGETS:
        text = INJECTION_TARGETS[base]
        return f"{text}, {'right' if side == 'r' else 'left'}" if side else text
    return display_name(name)


def injection_data(model: Any, needle_mm: float) -> dict:
    """Sites, needle reports and safety distances of the injection stage for ``model``, as plain data.

    Uses ``model.injection_data`` when the model provides it (a cached model), else
    :mod:`glute3d.injection`.

    Returns
    -------
    dict
        ``skin`` (Mesh); ``sites``: site name to a dict of ``point``, ``normal``, ``outline``,
        ``lines`` and ``marks`` (see :class:`glute3d.injection.Site`); ``inside``: quadrant name to
        a ``(n_vertices,)`` bool mask of the skin; ``needles``: site name to a dict of ``entry``,
        ``tip``, ``tissue``, ``nearest`` (name, mm) and ``layers``; ``safety``: side to
        ``(n_vertices,)`` distances (mm) from that side's nerves and arteries; ``threshold`` (mm).
    """
    fn = getattr(model, "injection_data", None)
    if callable(fn):
        return fn(needle_mm)
    from glute3d.teaching import injection

    skin = model.skin.mesh
    normals = skin.vertex_normals
    sites = injection.sites(model)
    plain = {n: {"point": np.asarray(s.point, float), "normal": np.asarray(s.normal, float),
                 "outline": None if s.outline is None else np.asarray(s.outline, float),
                 "lines": {k: np.asarray(v, float) for k, v in s.lines.items()},
                 "marks": {k: np.asarray(v, float) for k, v in s.marks.items()}}
             for n, s in sites.items()}
    inside = {n: np.asarray(s.contains(skin.vertices, normals), bool) for n, s in sites.items()
              if s.box is not None and "quadrant" in n}
    needles = {}
    for n, s in sites.items():
        if n.startswith(("dorsogluteal_", "ventrogluteal_")):
            rep = injection.needle(model, s, needle_mm)
            needles[n] = {"entry": np.asarray(rep.entry, float), "tip": np.asarray(rep.tip, float),
                          "tissue": rep.tissue, "nearest": rep.nearest, "layers": list(rep.layers)}
    safety = {}
    for side in ("r", "l"):
        names = [n for n in model.paths if n.endswith(f"_{side}")]
        _, d = injection.safety_map(model, needle_mm, names=names)
        safety[side] = np.asarray(d, float)
    # the skin's normal under every drawn line and mark, to lift them off the skin
    along = {}
    for n, site in plain.items():
        for what in ("lines", "marks"):
            for k, pts in site[what].items():
                along[f"{n}|{what}|{k}"] = normals[_nearest_vertices(skin, np.atleast_2d(pts))]
        if site["outline"] is not None:
            along[f"{n}|outline|"] = normals[_nearest_vertices(skin, site["outline"])]
    return {"skin": skin, "sites": plain, "inside": inside, "needles": needles, "safety": safety,
            "threshold": float(injection.DANGER_MM), "normals_along": along}


def _resolve_injection(scene: Scene, model: Any, out: ResolvedScene, meshes: dict,
                       targets: dict[str, tuple[str, np.ndarray, float]]) -> None:
    """Marks (lines, fills, points, needles) and the safety map of ``overlays.injection``."""
    ov = scene.overlays
    if not callable(getattr(model, "injection_data", None)) and getattr(model, "skin", None) is None:
        raise scene.error(("overlays", "injection", 0),
                          f"{ov.injection[0]!r} needs the skin and the injection stage "
                          "(glute3d.injection), which this model does not have; "
                          "remove it from overlays.injection", ov.injection[0])
    theme = load_theme()["injection"]
    try:
        data = injection_data(model, ov.needle_mm)
    except (ValueError, RuntimeError, KeyError) as exc:
        raise scene.error(("overlays", "injection"), f"the injection sites cannot be built: {exc}") from None
    skin = data["skin"]
    normals = skin.vertex_normals
    sites = data["sites"]
    lift = float(theme["lift"])
    r_line = float(theme["line_radius"])
    r_point = float(theme["point_radius"])

    along = data.get("normals_along", {})

    def on_skin(pts: np.ndarray, key: str = "") -> np.ndarray:
        """Lift a polyline on the skin a little off it, toward the outside (``key``: the site's
        line or mark, whose skin normals the injection data holds)."""
        pts = np.atleast_2d(np.asarray(pts, float))
        nrm = along.get(key)
        if nrm is None or len(nrm) != len(pts):
            nrm = normals[_nearest_vertices(skin, pts)]
        return pts + nrm * lift

    def needle_mark(key: str, side: str) -> None:
        rep = data["needles"].get(f"{key}_{side}")
        if rep is None:
            return
        entry, tip = np.asarray(rep["entry"], float), np.asarray(rep["tip"], float)
        hub = entry - (tip - entry) / np.linalg.norm(tip - entry) * float(theme["hub_mm"])
        out.marks.append(Mark(f"{key}_needle_{side}", "needle", np.vstack([hub, tip]), theme["needle_color"],
                              legend=f"Needle track ({ov.needle_mm:g} mm)", radius=float(theme["needle_radius"])))
        c = np.vstack([entry + (tip - entry) * t for t in (0.5, 0.35, 0.65)])
        targets[f"{key}_needle_{side}"] = ("curve", c, float(theme["needle_radius"]))

    safety_on = any(n.startswith("safety_map_") for n in ov.injection)  # colours the skin: no fill on it
    for name in ov.injection:
        base, side = name.rsplit("_", 1)
        if base == "quadrants":
            d = sites[f"dorsogluteal_{side}"]
            for key in ("horizontal", "vertical", "iliac_crest"):
                if key in d["lines"] and len(d["lines"][key]) > 1:
                    line = on_skin(d["lines"][key], f"dorsogluteal_{side}|lines|{key}")
                    out.marks.append(Mark(f"quadrant_{key}_{side}", "line", line, theme["quadrant_color"],
                                          legend="Quadrant lines", radius=r_line))
            for q in ("upper_outer_quadrant", "upper_inner_quadrant", "lower_outer_quadrant", "lower_inner_quadrant"):
                site = sites[f"{q}_{side}"]
                inside = data["inside"][f"{q}_{side}"]
                faces = np.flatnonzero(inside[skin.faces].all(axis=1))
                if q == "upper_outer_quadrant" and len(faces) and not safety_on:
                    patch = skin.submesh(faces)
                    lifted = type(patch)(patch.vertices + patch.vertex_normals * lift * 0.6, patch.faces)
                    out.marks.append(Mark(f"{q}_{side}", "fill", lifted, theme["uoq_color"],
                                          legend="Upper outer quadrant", opacity=float(theme["uoq_opacity"])))
                if q == "upper_outer_quadrant" and site["outline"] is not None and len(site["outline"]) > 2:
                    ring = on_skin(site["outline"], f"{q}_{side}|outline|")
                    ring = np.vstack([ring, ring[:1]])
                    out.marks.append(Mark(f"{q}_outline_{side}", "line", ring, theme["uoq_outline_color"],
                                          radius=r_line * 1.25))
                pts = skin.vertices[inside] + normals[inside] * lift
                if len(pts):
                    pts = pts[np.argsort(np.linalg.norm(pts - pts.mean(axis=0), axis=1), kind="stable")]
                    targets[f"{q}_{side}"] = ("region", pts[:: max(1, len(pts) // 800)], 0.0)
        elif base == "dorsogluteal_site":
            d = sites[f"dorsogluteal_{side}"]
            p = d["point"] + d["normal"] * lift
            out.marks.append(Mark(f"dorsogluteal_{side}", "point", p, theme["point_color"],
                                  legend="Injection point", radius=r_point))
            targets[f"dorsogluteal_{side}"] = ("point", p[None], r_point)
            needle_mark("dorsogluteal", side)
        elif base == "psis_gt_line":
            d = sites[f"dorsogluteal_{side}"]
            line = on_skin(d["lines"]["psis_gt"], f"dorsogluteal_{side}|lines|psis_gt")
            out.marks.append(Mark(f"psis_gt_line_{side}", "line", line, theme["psis_gt_color"],
                                  legend="PSIS to greater trochanter", radius=r_line, dashed=True))
            for key in ("psis", "greater_trochanter"):
                if key in d["marks"]:
                    mark = on_skin(d["marks"][key], f"dorsogluteal_{side}|marks|{key}")[0]
                    out.marks.append(Mark(f"psis_gt_{key}_{side}", "point", mark, theme["psis_gt_color"],
                                          radius=r_point * 0.7))
            order_ = np.argsort(np.abs(np.arange(len(line)) - (len(line) - 1) / 2.0), kind="stable")
            targets[f"psis_gt_line_{side}"] = ("curve", line[order_], r_line)
        elif base == "ventrogluteal_site":
            v = sites[f"ventrogluteal_{side}"]
            for key in ("index_finger", "middle_finger"):
                line = on_skin(v["lines"][key], f"ventrogluteal_{side}|lines|{key}")
                out.marks.append(Mark(f"ventrogluteal_{key}_{side}", "line", line, theme["v_color"],
                                      legend="Ventrogluteal V (index and middle finger)", radius=r_line * 1.2))
            if v["outline"] is not None and len(v["outline"]) > 2:
                tri = on_skin(v["outline"], f"ventrogluteal_{side}|outline|")
                # the triangle of the V, translucent: the area the needle goes into
                centre = tri.mean(axis=0)
                verts = np.vstack([centre, tri])
                k = len(tri)
                faces = np.column_stack([np.zeros(k, np.int64), 1 + np.arange(k), 1 + (np.arange(k) + 1) % k])
                from glute3d.geometry.mesh import Mesh

                out.marks.append(Mark(f"ventrogluteal_v_{side}", "fill", Mesh(verts, faces), theme["v_color"],
                                      opacity=float(theme["v_opacity"])))
                targets[f"ventrogluteal_v_{side}"] = ("region", tri, 0.0)
            for key in ("greater_trochanter", "asis", "iliac_tubercle"):
                if key in v["marks"]:
                    mark = on_skin(v["marks"][key], f"ventrogluteal_{side}|marks|{key}")
                    out.marks.append(Mark(f"ventrogluteal_{key}_{side}", "point", mark[0], theme["mark_color"],
                                          legend="Palpated bony landmarks", radius=r_point * 0.7))
                    targets[f"ventrogluteal_{key}_{side}"] = ("point", mark, r_point * 0.7)
            p = v["point"] + v["normal"] * lift
            out.marks.append(Mark(f"ventrogluteal_{side}", "point", p, theme["point_color"],
                                  legend="Injection point", radius=r_point))
            targets[f"ventrogluteal_{side}"] = ("point", p[None], r_point)
            needle_mark("ventrogluteal", side)
        elif base == "safety_map":
            d = np.asarray(data["safety"][side], float).copy()
            sgn = 1.0 if side == "r" else -1.0
            d[skin.vertices[:, 2] * sgn < -5.0] = np.nan  # the other side's skin keeps its colour
            if out.safety is not None:  # both sides: the nearer structure of either side counts
                d = np.fmin(out.safety.distances, d)
            out.safety = SafetyMap(d, float(data["threshold"]), float(ov.needle_mm), float(theme["vmax"]))

    if out.safety is not None:
        _apply_safety_map(scene, out, skin, meshes, theme)


def _apply_safety_map(scene: Scene, out: ResolvedScene, skin: Any, meshes: dict, theme: dict) -> None:
    """Colour the skin by the safety map (the skin is added when the layers do not draw it)."""
    colors = safety_colors(out.safety.distances, out.safety.threshold, out.safety.vmax, theme)
    for k, it in enumerate(out.items):
        if it.name == "skin":
            out.items[k] = DrawItem(it.name, skin, it.style, it.color, it.opacity if it.opacity is not None else 1.0,
                                    it.layer, it.cut, colors)
            break
    else:
        out.items.append(DrawItem("skin", skin, "skin", None, 1.0, "Skin", None, colors))
    # the colour bar explains the skin now: no legend entry of the skin's colour
    plain = {it.layer for it in out.items if it.vertex_colors is None}
    out.legend = [e for e in out.legend if e[0] in plain]
    # the danger threshold as a line on the skin
    normals = skin.vertex_normals
    for k, (line, nrm) in enumerate(iso_lines(skin, out.safety.distances, out.safety.threshold, normals)):
        out.marks.append(Mark(f"safety_threshold_{k}", "line", line + nrm * float(theme["lift"]),
                              theme["threshold_color"], radius=float(theme["line_radius"]) * 0.8,
                              legend=f"Danger threshold ({out.safety.threshold:g} mm)"))


def safety_colors(d: np.ndarray, threshold: float, vmax: float, theme: dict | None = None) -> np.ndarray:
    """RGB in [0, 1] per value of the diverging danger colour map (NaN: the skin colour).

    Below ``threshold`` the colours run from dark red (touching a nerve or artery) to a pale
    tint at the threshold; above it, through pale blue to dark blue at ``vmax`` and beyond.
    """
    theme = theme or load_theme()["injection"]
    stops = np.array([s[0] for s in theme["colormap"]], float)  # fractions of threshold .. vmax
    cols = np.array([parse_color(s[1]) for s in theme["colormap"]], float)
    d = np.asarray(d, float)
    # position on the map: 0 .. 0.5 for 0 .. threshold, 0.5 .. 1 for threshold .. vmax
    t = np.where(d <= threshold, 0.5 * np.clip(d, 0.0, None) / threshold,
                 0.5 + 0.5 * np.clip((d - threshold) / max(vmax - threshold, 1e-9), 0.0, 1.0))
    rgb = np.column_stack([np.interp(t, stops, cols[:, k]) for k in range(3)])
    skin_rgb = np.array(parse_color(load_theme()["styles"]["skin"]["color"]))
    rgb[~np.isfinite(d)] = skin_rgb
    return rgb


def iso_lines(mesh: Any, values: np.ndarray, level: float, normals: np.ndarray | None = None) -> list:
    """Polylines where the per-vertex ``values`` cross ``level`` on a triangle mesh (marching triangles).

    Returns the pieces as ``(n, 3)`` arrays, longest first, pieces shorter than 10 mm left out;
    with vertex ``normals``, ``(points, normals)`` pairs (the normals interpolated like the points).
    """
    v = np.asarray(mesh.vertices, float)
    f = np.asarray(mesh.faces, np.int64)
    s = np.asarray(values, float) - level
    ok = np.isfinite(s)[f].all(axis=1)
    f = f[ok]
    above = s[f] > 0
    cnt = above.sum(axis=1)
    f = f[(cnt == 1) | (cnt == 2)]
    if not len(f):
        return []
    segs = []
    keys = []
    nrm_of = {}
    for a, b, c in f:
        pts, ks = [], []
        for i, j in ((a, b), (b, c), (c, a)):
            if (s[i] > 0) != (s[j] > 0):
                t = s[i] / (s[i] - s[j])
                pts.append(v[i] + t * (v[j] - v[i]))
                ks.append((min(i, j), max(i, j)))
                if normals is not None:
                    n = normals[i] + t * (normals[j] - normals[i])
                    nrm_of[ks[-1]] = n / max(float(np.linalg.norm(n)), 1e-12)
        if len(pts) == 2:
            segs.append(pts)
            keys.append(ks)
    # chain segments through shared edges
    from collections import defaultdict

    by_edge: dict = defaultdict(list)
    for n, ks in enumerate(keys):
        for k in ks:
            by_edge[k].append(n)
    point_of = {}
    for n, (ks, ps) in enumerate(zip(keys, segs)):
        for k, p in zip(ks, ps):
            point_of[k] = p
    used = np.zeros(len(segs), bool)
    lines = []
    for start in range(len(segs)):
        if used[start]:
            continue
        used[start] = True
        chain = [keys[start][0], keys[start][1]]
        for direction in (1, 0):
            while True:
                end = chain[-1] if direction else chain[0]
                nxt = [n for n in by_edge[end] if not used[n]]
                if not nxt:
                    break
                n = nxt[0]
                used[n] = True
                k2 = keys[n][1] if keys[n][0] == end else keys[n][0]
                if direction:
                    chain.append(k2)
                else:
                    chain.insert(0, k2)
        pts = np.array([point_of[k] for k in chain])
        if len(pts) > 2 and np.linalg.norm(np.diff(pts, axis=0), axis=1).sum() >= 10.0:
            lines.append(pts if normals is None else (pts, np.array([nrm_of[k] for k in chain])))
    lines.sort(key=lambda p: -len(p if normals is None else p[0]))
    return lines


def _nearest_vertices(mesh: Any, points: np.ndarray, chunk: int = 48) -> np.ndarray:
    """Index of the vertex of ``mesh`` nearest each point (brute force on the GPU-less CPU, in
    chunks: ``|p|^2 - 2 p.v + |v|^2`` as one matrix product; no k-d tree to import or build)."""
    v = np.asarray(mesh.vertices, np.float64)
    pts = np.atleast_2d(np.asarray(points, np.float64))
    out = np.empty(len(pts), np.int64)
    for lo in range(0, len(pts), chunk):
        p = pts[lo : lo + chunk]
        # only the vertices near this chunk: the box of its points, grown until it holds some
        for margin in (8.0, 32.0, np.inf):
            sel = np.flatnonzero(np.all((v >= p.min(axis=0) - margin) & (v <= p.max(axis=0) + margin), axis=1))
            if len(sel):
                break
        w = v[sel]
        d2 = (w * w).sum(axis=1)[None, :] - 2.0 * (p @ w.T)
        idx = sel[np.argmin(d2, axis=1)]
        if np.isfinite(margin):  # a point whose nearest vertex may lie outside the box: check all
            far = np.sqrt(np.maximum(((v[idx] - p) ** 2).sum(axis=1), 0.0)) > margin
            if far.any():
                q = p[far]
                d2 = (v * v).sum(axis=1)[None, :] - 2.0 * (q @ v.T)
                idx[far] = np.argmin(d2, axis=1)
        out[lo : lo + chunk] = idx
    return out


def _layer_title(layer: Layer | None, name: str, style: str) -> str:
    """Legend text of a layer: its name, else its one structure's display name, else the style."""
    if layer is None:
        return display_name(name)
    if layer.name:
        return layer.name
    if len(layer.structures) == 1 and not _is_glob(layer.structures[0]):
        return display_name(layer.structures[0])
    return style.capitalize()


def _structures(scene: Scene, model: Any, lm_names: list[str]) -> dict:
    """The model's structures the scene can refer to, without building what it cannot need.

    ``model.meshes`` may generate soft tissues on first use (seconds); a scene whose names and
    patterns can only mean bones (judged by the knowledge base) is served from ``model.bones``.
    """
    bones = getattr(model, "bones", None)
    if not isinstance(bones, dict) or not scene.layers or scene.overlays.injection:
        return dict(model.meshes)
    kb = _kb_names()
    landmarks = set(lm_names)

    def bone_only(name: str) -> bool:
        if _is_glob(name):
            hits = [n for n in kb if fnmatch.fnmatchcase(n, name)]
            structural = [n for n in hits if n not in landmarks and _kb_kind(n) not in ("point", "curve", "region")]
            return bool(structural) and all(n in bones for n in structural)
        return name in bones

    names = [n for layer in scene.layers for n in layer.structures]
    names += [L.target for L in scene.labels if L.target not in landmarks]
    names += [n for n in scene.camera.focus if n not in landmarks and not _is_glob(n)]
    if all(bone_only(n) for n in names):
        return dict(bones)
    return dict(model.meshes)


def _overlay_lifts(scene: Scene) -> dict[str, float]:
    ov = load_theme()["overlay"]
    return {
        "point": float(scene.overlays.point_radius or ov["point_radius"]),
        "curve": float(scene.overlays.tube_radius or ov["tube_radius"]),
        "region": float(ov["patch_offset"]),
        "structure": 0.0,
    }


def _drop_side_words(scene: Scene, labels: list[LabelItem]) -> list[LabelItem] | None:
    """Remove ", right" / ", left" from default texts when the scene asks for it."""
    from glute3d.anatomy.knowledge import split_side

    explicit = {i for i, L in enumerate(scene.labels) if L.text is not None}
    sides = {split_side(L.target)[1] for L in labels if L.index not in explicit} - {None}
    drop = scene.label_sides == "never" or (scene.label_sides == "auto" and len(sides) <= 1)
    if not drop:
        return None
    out = []
    for L in labels:
        text = L.text
        if L.index not in explicit or L.index >= len(scene.labels):
            text = re.sub(r", (right|left)$", "", text)
        out.append(LabelItem(text=text, target=L.target, kind=L.kind, candidates=L.candidates,
                             side=L.side, leader=L.leader, lift=L.lift, index=L.index))
    return out


def _unknown_target(name: str, model_names: list[str], lm_names: list[str], extra: Iterable[str] = ()) -> str:
    kb = _kb_names()
    if name in kb:
        return f"{name!r} is not in the model yet; remove it or wait for its stage"
    base = _base(name)
    if base in INJECTION_TARGETS:
        return (f"{name!r} is an injection mark that this scene does not draw; add the overlay that "
                f"draws it to overlays.injection (choose from {', '.join(INJECTION_OVERLAYS)})")
    return f"unknown structure or landmark {name!r}{did_you_mean(name, [*model_names, *lm_names, *extra, *kb])}"


def _target_points(model: Any, meshes: dict, lm_names: list[str], name: str) -> np.ndarray | None:
    if name in meshes:
        return np.asarray(meshes[name].vertices, float)
    if name in lm_names:
        g = model.landmark(name)
        if hasattr(g, "mesh"):
            return np.asarray(g.mesh.vertices, float)
        return np.atleast_2d(np.asarray(g, float))
    return None


def _mesh_candidates(mesh: Any, n: int = 4000) -> np.ndarray:
    """Vertices of a mesh (evenly subsampled, deterministic), nearest the centroid first."""
    v = np.asarray(mesh.vertices, float)
    step = max(1, len(v) // n)
    v = v[::step]
    c = v.mean(axis=0)
    return v[np.argsort(np.linalg.norm(v - c, axis=1), kind="stable")]


def _patch_candidates(patch: Any) -> np.ndarray:
    """Vertices of a region patch, nearest its centroid first."""
    v = np.asarray(patch.mesh.vertices, float)
    c = np.asarray(patch.centroid, float)
    return v[np.argsort(np.linalg.norm(v - c, axis=1), kind="stable")]


def _style_for(name: str, layer: Layer | None) -> str:
    if layer is not None and layer.highlight:
        return "highlight"
    if layer is not None and layer.style is not None:
        return layer.style
    theme = load_theme()
    kind = _kb_kind(name)
    if kind is None and _PART_RE.search(name) and _kb_kind(_PART_RE.sub(r"_\2", name)) == "muscle":
        kind = "muscle_part"  # a part the knowledge base does not list (e.g. a middle part)
    if kind is not None and kind in theme["kinds"]:
        return theme["kinds"][kind]
    base = _base(name)
    for key, style in theme["fallback"].items():
        if base == key or base.startswith(key):
            return style
    return "other"


def _resolve_cut(scene: Scene, model: Any, path: tuple, cut: CutAway, style: str, lm_names: list[str]) -> Cut:
    normal = np.asarray(cut.normal, float)
    normal = normal / np.linalg.norm(normal)
    if isinstance(cut.origin, str):
        if cut.origin not in lm_names:
            raise scene.error(
                (*path, "origin"), f"unknown landmark {cut.origin!r}{did_you_mean(cut.origin, lm_names)}", cut.origin
            )
        g = model.landmark(cut.origin)
        origin = np.asarray(g.centroid if hasattr(g, "centroid") else np.atleast_2d(g).mean(axis=0), float)
    else:
        origin = np.asarray(cut.origin, float)
    cap = cut.cap if cut.cap is not None else style in ("bone", "muscle", "highlight")
    return Cut(origin=origin + normal * cut.offset, normal=normal, cap=cap)


# =============================================================================== pydantic -> SceneError


# =============================================================================== TOML writing
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _toml_key(k: str) -> str:
    return k if re.match(r"^[A-Za-z0-9_-]+$", k) else json.dumps(k)


def _dump_toml(data: dict) -> str:
    """TOML text for a scene dict: scalars first, then tables, then arrays of tables."""
    head, tables, arrays = [], [], []
    for k, v in data.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            arrays.append((k, v))
        else:
            head.append(f"{_toml_key(k)} = {_toml_value(v)}")
    out = head[:]
    for k, v in tables:
        out += ["", f"[{_toml_key(k)}]"] + [f"{_toml_key(a)} = {_toml_value(b)}" for a, b in v.items()]
    for k, v in arrays:
        for item in v:
            out += ["", f"[[{_toml_key(k)}]]"] + [f"{_toml_key(a)} = {_toml_value(b)}" for a, b in item.items()]
    return "\n".join(out) + "\n"

