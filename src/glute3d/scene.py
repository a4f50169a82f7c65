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

import difflib
import fnmatch
import functools
import json
import re
import tomllib
import typing
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

#: Overlay names reserved for the injection stage (validated now, drawn when the stage lands).
INJECTION_OVERLAYS: tuple[str, ...] = tuple(
    f"{base}_{side}"
    for base in ("quadrants", "safety_map", "ventrogluteal_site", "dorsogluteal_site")
    for side in ("r", "l")
)

MIN_RESOLUTION = (160, 120)
MAX_RESOLUTION = (7680, 4320)

StyleName = Literal["bone", "muscle", "nerve", "artery", "skin", "bursa", "highlight"]
Vec3 = tuple[float, float, float]


# =============================================================================== errors
class SceneError(ValueError):
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

    def __init__(self, file: str | Path | None, field: str, message: str, line: int | None = None):
        self.file = None if file is None else str(file)
        self.field = field
        self.message = message
        self.line = line
        self.path: tuple = ()
        self.value: Any = None
        super().__init__(str(self))

    def located(self, file: str | Path | None, text: str | None) -> "SceneError":
        """The same error, naming ``file`` and the line of the bad value in ``text``."""
        line = self.line if self.line else (_find_line(text, self.path, self.value) if text else None)
        out = SceneError(file, self.field, self.message, line=line)
        out.path, out.value = self.path, self.value
        return out

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        field_part = f"{self.field}: " if self.field else ""
        text = f"{self.file or '<scene>'}: {field_part}{self.message}{where}"
        return " ".join(text.split())  # always one line


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
    (``"auto"``: the nearer one).
    """

    target: str
    text: str | None = None
    leader: bool = True
    side: Literal["auto", "left", "right"] = "auto"


class Camera(_Model):
    """Where the picture is taken from.

    Either a ``preset`` (with ``side`` for lateral, oblique and posterolateral) or an explicit
    ``position`` and ``focal_point`` (and ``up``).  The view is framed to the visible structures,
    or to the ``focus`` names, with ``margin``; ``zoom`` > 1 comes closer.  ``azimuth`` and
    ``elevation`` (degrees) turn a preset about the vertical and horizontal screen axes.
    """

    preset: Literal["posterior", "lateral", "anterior", "superior", "oblique", "posterolateral"] | None = None
    side: Literal["r", "l"] | None = None
    position: Vec3 | None = None
    focal_point: Vec3 | None = None
    up: Vec3 | None = None
    zoom: float = Field(default=1.0, ge=0.1, le=20.0)
    azimuth: float = Field(default=0.0, ge=-180.0, le=180.0)
    elevation: float = Field(default=0.0, ge=-89.0, le=89.0)
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


class Pose(_Model):
    """Hip pose in degrees (ISB): flexion -30..120, adduction -50..30, rotation -45..45.

    ``side`` says which hip(s) the angles apply to.  Applied through ``model.posed(pose)``.
    """

    flexion: float = Field(default=0.0, ge=-30.0, le=120.0)
    adduction: float = Field(default=0.0, ge=-50.0, le=30.0)
    rotation: float = Field(default=0.0, ge=-45.0, le=45.0)
    side: Literal["r", "l", "both"] = "both"

    @property
    def is_neutral(self) -> bool:
        return self.flexion == 0.0 and self.adduction == 0.0 and self.rotation == 0.0


class Overlays(_Model):
    """Landmarks and (later) injection overlays drawn on the structures.

    ``landmarks`` are landmark names or glob patterns: points are drawn as spheres, curves as
    tubes, regions as coloured patches.  ``colors`` overrides colours by landmark name (sided or
    sideless).  ``label = true`` labels every overlay landmark.  ``injection`` names are reserved
    for the injection stage (e.g. ``"quadrants_r"``, ``"safety_map_r"``).
    """

    landmarks: list[str] = Field(default_factory=list)
    colors: dict[str, str] = Field(default_factory=dict)
    label: bool = False
    point_radius: float | None = Field(default=None, gt=0.0, le=50.0)
    tube_radius: float | None = Field(default=None, gt=0.0, le=20.0)
    injection: list[str] = Field(default_factory=list)

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
                close = difflib.get_close_matches(name, INJECTION_OVERLAYS, n=2, cutoff=0.5)
                hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
                raise ValueError(
                    f"[{i}] unknown injection overlay {name!r}; {hint}"
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
            raise _scene_error(exc, None, None) from None

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
            raise _scene_error(exc, source, text) from None
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
        line = _find_line(self._text, tuple(path), value) if self._text else None
        return SceneError(self._source, _format_path(path), message, line=line)

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


@dataclass
class ResolvedScene:
    """A scene with every name resolved against a model: plain data for a renderer."""

    scene: Scene
    items: list[DrawItem] = field(default_factory=list)
    overlays: list[OverlayItem] = field(default_factory=list)
    labels: list[LabelItem] = field(default_factory=list)
    focus_points: np.ndarray | None = None
    legend: list[tuple[str, str, str | None]] = field(default_factory=list)  # (text, style, colour)


# =============================================================================== resolving
def _is_glob(name: str) -> bool:
    return any(c in name for c in "*?[")


def _kb_names() -> list[str]:
    try:
        from .anatomy import structure_names

        return structure_names()
    except Exception:  # pragma: no cover - knowledge base broken: names still checked on the model
        return []


def _kb_kind(name: str) -> str | None:
    try:
        from .anatomy import facts

        return facts(name).kind
    except Exception:
        return None


def display_name(name: str) -> str:
    """The display name of a structure or landmark (knowledge base, else the name humanised)."""
    try:
        from .anatomy import facts

        return facts(name).display
    except Exception:
        from .anatomy import split_side

        base, side = split_side(name)
        text = base.replace("_", " ").capitalize()
        return f"{text}, {'right' if side == 'r' else 'left'}" if side else text


def _suggest(name: str, valid: Iterable[str], n: int = 3) -> str:
    """``"; did you mean 'x'?"`` with the closest valid names (only the best one if it is clear)."""
    choices = list(dict.fromkeys(valid))
    close = difflib.get_close_matches(name, choices, n=n, cutoff=0.6)
    if not close:
        return ""
    score = [difflib.SequenceMatcher(None, name, c).ratio() for c in close]
    if len(close) > 1 and score[0] >= 0.9 and score[0] - score[1] >= 0.02:
        close = close[:1]
    return f"; did you mean {' or '.join(repr(c) for c in close)}?"


def _match_structures(scene: Scene, path: tuple, names: list[str], model_names: list[str], optional: bool) -> list[str]:
    """Expand names and globs of a layer against the model's structures."""
    out: list[str] = []
    kb = _kb_names()
    for i, pattern in enumerate(names):
        here = (*path, i)
        if _is_glob(pattern):
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
            raise scene.error(here, f"unknown structure {pattern!r}{_suggest(pattern, valid)}", pattern)
    return out


def _landmark_names(model: Any) -> list[str]:
    lm = getattr(model, "landmarks", None)
    return list(lm.names()) if lm is not None else []


def _landmark_kind(model: Any, name: str) -> str:
    return model.landmarks.kind(name)


def _base(name: str) -> str:
    from .anatomy import split_side

    return split_side(name)[0]


def _visible_layers(scene: Scene) -> list[tuple[int, Layer]]:
    shown = [(i, L) for i, L in enumerate(scene.layers) if not L.hide]
    if any(L.isolate for _, L in shown):
        shown = [(i, L) for i, L in shown if L.isolate]
    return shown


def _resolve(scene: Scene, model: Any) -> ResolvedScene:
    # ---------------------------------------------------------------- pose
    if not scene.pose.is_neutral:
        posed = getattr(model, "posed", None)
        if posed is None:
            raise scene.error(
                ("pose",),
                "posing needs the kinematics stage (model.posed), which this model does not "
                "have yet; remove [pose] or set flexion, adduction and rotation to 0",
            )
        try:
            from .kinematics import Pose as JointPose

            p = scene.pose
            pose: Any = JointPose(flexion=p.flexion, adduction=p.adduction, rotation=p.rotation, side=p.side)
        except ImportError:  # pragma: no cover - no kinematics stage: hand over the scene's pose
            pose = scene.pose
        except ValueError as exc:
            field_name = getattr(exc, "field", None)
            path = ("pose", field_name) if field_name in Pose.model_fields else ("pose",)
            raise scene.error(path, str(exc)) from None
        model = posed(pose)

    out = ResolvedScene(scene=scene)
    lm_names = _landmark_names(model)
    meshes = _structures(scene, model, lm_names)
    model_names = list(meshes)

    # ---------------------------------------------------------------- injection overlays
    for i, name in enumerate(scene.overlays.injection):
        if getattr(model, "injection", None) is None:
            raise scene.error(
                ("overlays", "injection", i),
                f"{name!r} is not available yet: the model has no injection stage "
                "(glute3d.injection); remove it from overlays.injection",
                name,
            )

    # ---------------------------------------------------------------- layers
    assignment: dict[str, tuple[int, Layer]] = {}
    for i, layer in enumerate(scene.layers):
        names = _match_structures(scene, ("layers", i, "structures"), layer.structures, model_names, layer.optional)
        for n in names:
            assignment[n] = (i, layer)  # later layers win
    visible = dict(_visible_layers(scene))
    if not scene.layers:
        order = model_names
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
            raise scene.error(here, f"unknown landmark {pattern!r}{_suggest(pattern, lm_names)}", pattern)
        lm_overlays.extend(h for h in hits if h not in lm_overlays)
    for key in ov.colors:
        if key not in lm_names and key not in {_base(n) for n in lm_names}:
            raise scene.error(
                ("overlays", "colors", key),
                f"unknown landmark {key!r} in overlays.colors{_suggest(key, lm_names)}",
                key,
            )
    for name in lm_overlays:
        kind = _landmark_kind(model, name)
        geom = model.landmark(name)
        if kind == "region":
            geom = geom.mesh
        color = ov.colors.get(name) or ov.colors.get(_base(name))
        out.overlays.append(OverlayItem(name=name, kind=kind, geometry=geom, color=color))

    # ---------------------------------------------------------------- focus
    focus_pts = []
    for i, name in enumerate(scene.camera.focus):
        here = ("camera", "focus", i)
        pts = _target_points(model, meshes, lm_names, name)
        if pts is None and _is_glob(name):
            hits = [n for n in [*model_names, *lm_names] if fnmatch.fnmatchcase(n, name)]
            if not hits:
                raise scene.error(here, f"pattern {name!r} matches no structure or landmark", name)
            pts = np.vstack([_target_points(model, meshes, lm_names, h) for h in hits])
        if pts is None:
            raise scene.error(here, _unknown_target(name, model_names, lm_names), name)
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
        else:
            raise scene.error(here, _unknown_target(name, model_names, lm_names), name)
        text = lab.text if lab.text is not None else display_name(name)
        out.labels.append(
            LabelItem(text=text, target=name, kind=kind, candidates=cands, side=lab.side,
                      leader=lab.leader, lift=lift, index=j)
        )
    without_sides = _drop_side_words(scene, out.labels)
    if without_sides is not None:
        out.labels = without_sides
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
    if not isinstance(bones, dict) or not scene.layers:
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
    from .anatomy import split_side

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


def _unknown_target(name: str, model_names: list[str], lm_names: list[str]) -> str:
    kb = _kb_names()
    if name in kb:
        return f"{name!r} is not in the model yet; remove it or wait for its stage"
    return f"unknown structure or landmark {name!r}{_suggest(name, [*model_names, *lm_names, *kb])}"


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
                (*path, "origin"), f"unknown landmark {cut.origin!r}{_suggest(cut.origin, lm_names)}", cut.origin
            )
        g = model.landmark(cut.origin)
        origin = np.asarray(g.centroid if hasattr(g, "centroid") else np.atleast_2d(g).mean(axis=0), float)
    else:
        origin = np.asarray(cut.origin, float)
    cap = cut.cap if cut.cap is not None else style in ("bone", "muscle", "highlight")
    return Cut(origin=origin + normal * cut.offset, normal=normal, cap=cap)


# =============================================================================== pydantic -> SceneError
def _format_path(path: Sequence[str | int]) -> str:
    s = ""
    for p in path:
        if isinstance(p, int):
            s += f"[{p}]"
        else:
            s += ("." if s else "") + str(p)
    return s


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation like ``list[Layer]`` or ``Camera | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _field_at(loc: Sequence[str | int]) -> tuple[type[BaseModel] | None, Any]:
    """The model owning the last named part of ``loc`` and that field's FieldInfo."""
    cls: type[BaseModel] | None = Scene
    info = None
    for part in loc:
        if isinstance(part, int) or cls is None:
            continue
        info = cls.model_fields.get(part)
        if info is None:
            return cls, None
        nxt = _unwrap_model(info.annotation)
        if nxt is None:
            return cls, info
        cls = nxt
    return cls, info


def _bounds(info: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in getattr(info, "metadata", []):
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    return lo, hi


def _scene_error(exc: ValidationError, source: str | Path | None, text: str | None) -> SceneError:
    errors = exc.errors(include_url=False)
    e = errors[0]
    loc = tuple(e["loc"])
    typ = e["type"]
    value = e.get("input")
    ctx = e.get("ctx") or {}
    path = loc
    if typ == "extra_forbidden":
        parent = loc[:-1]
        key = str(loc[-1])
        owner, info = _field_at(parent)
        owner = _unwrap_model(info.annotation) if info is not None else owner
        allowed = list(owner.model_fields) if owner is not None else []
        msg = f"unknown field {key!r}{_suggest(key, allowed)}"
        if allowed:
            msg += f" (allowed: {', '.join(allowed)})"
        value = None
        line_path = loc
    elif typ == "missing":
        msg = f"missing required field {str(loc[-1])!r}"
        line_path = loc[:-1]
        value = None
    elif typ == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        msg = f"invalid value {value!r}{_suggest(str(value), expected) if isinstance(value, str) else ''}"
        if expected:
            msg += f" (choose from: {', '.join(expected)})"
        line_path = loc
    elif typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        _, info = _field_at(loc)
        lo, hi = _bounds(info)
        if lo is not None and hi is not None:
            msg = f"{value!r} is out of range; must be between {lo:g} and {hi:g}"
        else:
            msg = f"{value!r} is out of range: {e['msg'].lower()}"
        line_path = loc
    elif typ == "value_error":
        msg = str(ctx.get("error", e["msg"]))
        m = re.match(r"^\[(\d+)\] ", msg)
        if m:  # list validators report the index of the bad element first
            path = (*loc, int(m.group(1)))
            msg = msg[m.end():]
            value = value[int(m.group(1))] if isinstance(value, list) else value
        if isinstance(value, dict):
            value = None
        line_path = path
    else:
        msg = e["msg"][0].lower() + e["msg"][1:]
        if not isinstance(value, (dict, list)):
            msg += f", got {value!r}"
        else:
            value = None
        line_path = loc
    if len(errors) > 1:
        msg += f" [and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''}]"
    line = _find_line(text, tuple(line_path), value) if text else None
    err = SceneError(source, _format_path(path), msg, line=line)
    err.path, err.value = tuple(line_path), value
    return err


# =============================================================================== TOML line finding
_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _headers(lines: list[str]) -> list[tuple[int, str, str]]:
    out = []
    for n, line in enumerate(lines):
        m = _HEADER_RE.match(line)
        if m:
            name = ".".join(part.strip().strip("\"'") for part in m.group(2).split("."))
            out.append((n, m.group(1), name))
    return out


def _find_line(text: str | None, path: tuple, value: Any = None) -> int | None:
    """Best guess of the 1-based line of ``path`` (and its bad ``value``) in TOML ``text``."""
    if not text:
        return None
    lines = text.splitlines()
    heads = _headers(lines)
    start, end = 0, len(lines)
    prefix: list[str] = []
    i = 0
    top_level_end = heads[0][0] if heads else len(lines)
    in_table = False
    while i < len(path):
        key = path[i]
        if not isinstance(key, str):
            break
        dotted = ".".join([*prefix, key])
        if i + 1 < len(path) and isinstance(path[i + 1], int):
            found = [h for h in heads if h[1] == "[[" and h[2] == dotted and start <= h[0] < end]
            idx = path[i + 1]
            if idx < len(found):
                start = found[idx][0]
                end = next(
                    (h[0] for h in heads if h[0] > start and not h[2].startswith(dotted + ".")), len(lines)
                )
                prefix.append(key)
                in_table = True
                i += 2
                continue
            break
        found = [h for h in heads if h[1] == "[" and h[2] == dotted and start <= h[0] < end]
        if found:
            start = found[0][0]
            end = next((h[0] for h in heads if h[0] > start and not h[2].startswith(dotted + ".")), len(lines))
            prefix.append(key)
            in_table = True
            i += 1
            continue
        break
    if not in_table and i < len(path) and isinstance(path[i], str):
        if _key_in(lines, path[i], 0, top_level_end) is not None:
            end = top_level_end  # a top-level key: look before the first table
    rest = [p for p in path[i:] if isinstance(p, str)]
    region = range(start, end)
    if value is not None and not isinstance(value, (dict, list, tuple)):
        needles = [f'"{value}"', f"'{value}'"] if isinstance(value, str) else []
        key_lines = [n for n in region if rest and re.search(rf"(^|[\s{{,]){re.escape(rest[0])}\s*=", lines[n])]
        for n in region:
            if any(nd in lines[n] for nd in needles):
                return n + 1
        if not isinstance(value, str):
            for n in key_lines:
                if re.search(rf"=\s*[^#]*{re.escape(_toml_number(value))}", lines[n]):
                    return n + 1
    for key in reversed(rest):
        n = _key_in(lines, key, start, end)
        if n is not None:
            return n + 1
    if value is not None and isinstance(value, str):  # anywhere in the file
        for n, line in enumerate(lines):
            if f'"{value}"' in line or f"'{value}'" in line:
                return n + 1
    return start + 1 if in_table else None


def _key_in(lines: list[str], key: str, start: int, end: int) -> int | None:
    pat = re.compile(rf"(^|[\s{{,]){re.escape(key)}\s*=")
    for n in range(start, end):
        if pat.search(lines[n].split("#", 1)[0]):
            return n
    return None


def _toml_number(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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

