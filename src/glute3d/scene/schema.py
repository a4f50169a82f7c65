"""The scene schema: every field a scene file may hold, its type, default and allowed values.

The tables of a scene file are pydantic models: :class:`Layer` (with its :class:`CutAway`),
:class:`Label`, :class:`Camera`, :class:`Pose`, :class:`Overlays` (with its :class:`Segment`)
and :class:`SceneFields`, the top level.  :class:`glute3d.scene.Scene` adds reading, writing
and resolving to the top level.  The models check the *form* of a scene (types, ranges,
allowed values) without a model; names of structures and landmarks are checked when the
scene is resolved.  Every field has a ``description``: ``docs/scene-format.md`` is generated
from them (:mod:`glute3d.scene.reference`).

Examples
--------
>>> Camera(preset="lateral", side="l").effective_side
'l'
>>> Pose(flexion=30, side="r").angles("l")
(0.0, 0.0, 0.0)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any, Literal, get_args

import numpy as np
from pydantic import ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from glute3d.errors import DataFileError, did_you_mean, find_line
from glute3d.io.validation import StrictTable, format_field_path
from glute3d.scene.theme import STYLES, StyleName, check_color
from glute3d.sides import SIDES

__all__ = [
    "ANIMATION_COLOURINGS",
    "CAMERA_PRESETS",
    "FEMUR_RANGES",
    "CAMERA_PRESET_VIEWS",
    "COLOR_HELP",
    "INJECTION_BASES",
    "INJECTION_OVERLAY_VIEWS",
    "INJECTION_OVERLAYS",
    "MAX_CAPTION",
    "MAX_DURATION",
    "MAX_FRAMES",
    "MAX_COORD",
    "MAX_RESOLUTION",
    "MAX_TEXT",
    "MIN_RESOLUTION",
    "POSE_RANGES",
    "SIDED_PRESETS",
    "STYLES",
    "Animation",
    "Camera",
    "CutAway",
    "Femur",
    "Keyframe",
    "Label",
    "Layer",
    "Overlays",
    "Pose",
    "SceneError",
    "SceneFields",
    "Segment",
]

#: Ranges of the ``[femur]`` fields: those :meth:`glute3d.Model.with_femur` accepts
#: (``glute3d.anatomy.femur_shape.SHAPE_RANGES``, not imported: the scene schema stays light; a test keeps them equal).
FEMUR_RANGES: dict[str, tuple[float, float]] = {"neck_shaft_angle": (110.0, 150.0), "offset": (25.0, 60.0)}

PresetName = Literal["posterior", "lateral", "anterior", "superior", "oblique", "posterolateral"]
#: Camera presets; the lateral-type ones take a side.
CAMERA_PRESETS: tuple[str, ...] = get_args(PresetName)
#: The presets that look at one side (``camera.side``).
SIDED_PRESETS: frozenset[str] = frozenset({"lateral", "oblique", "posterolateral"})
#: Where each camera preset looks from.
CAMERA_PRESET_VIEWS: dict[str, str] = {
    "posterior": "from behind (the default)",
    "lateral": "from the side `side` names",
    "anterior": "from the front",
    "superior": "from above, the front of the body at the top of the picture",
    "oblique": "from in front of and beside the `side` hip, a little from above",
    "posterolateral": "from behind and beside the `side` hip, a little from above",
}

#: The injection overlays (drawn on the skin by :mod:`glute3d.teaching.injection`), per side,
#: and what each draws.
INJECTION_OVERLAY_VIEWS: dict[str, str] = {
    "quadrants": "the four dorsogluteal quadrants on the skin, the upper outer one filled and outlined",
    "safety_map": "the skin coloured by the safety margin of a perpendicular needle (mm it keeps from coming "
    "within 20 mm of a nerve or artery and from reaching the plane between gluteus medius and minimus; "
    "glute3d.teaching.safety), the danger limit drawn on it and a colour bar in mm",
    "ventrogluteal_site": "von Hochstetter's V (index and middle finger), the palpated bony points, the injection "
    "point and its needle track",
    "dorsogluteal_site": "the injection point in the upper outer quadrant and its needle track",
    "psis_gt_line": "the line from the posterior superior iliac spine to the greater trochanter",
    "gtps_site": "the landmark-guided injection of the subgluteus medius bursa (a bursal, not an intramuscular, "
    "injection): the injection point over the greater trochanter and its needle track to the bursa",
}
INJECTION_BASES: tuple[str, ...] = tuple(INJECTION_OVERLAY_VIEWS)
#: Every injection overlay name: ``<base>_r`` and ``<base>_l``.
INJECTION_OVERLAYS: tuple[str, ...] = tuple(f"{base}_{side}" for base in INJECTION_BASES for side in SIDES)

#: Smallest and largest picture, (width, height) in pixels.
MIN_RESOLUTION = (160, 120)
MAX_RESOLUTION = (7680, 4320)

#: Hip angle ranges in degrees (ISB conventions).
POSE_RANGES: dict[str, tuple[float, float]] = {
    "flexion": (-30.0, 120.0),
    "adduction": (-50.0, 30.0),
    "rotation": (-45.0, 45.0),
    "pelvis_tilt": (-30.0, 30.0),
    "pelvis_list": (-20.0, 20.0),
    "pelvis_rotation": (-30.0, 30.0),
    "pelvic_drop": (-20.0, 20.0),
}

#: Largest coordinate, offset or direction component (mm): 100 m, far beyond any scene.
MAX_COORD = 1e5
Coord = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_COORD, le=MAX_COORD)]
Vec3 = tuple[Coord, Coord, Coord]
SideAngles = float | dict[Literal["r", "l"], float]

#: What a colour field takes.
COLOR_HELP = "'#rgb', '#rrggbb' or a CSS colour name (e.g. 'white')"

#: Longest texts, in characters: a title, legend or label text, and a caption (a picture shows no more).
MAX_TEXT = 300
MAX_CAPTION = 3000


def _allowed(text: str) -> dict[str, Any]:
    """The ``json_schema_extra`` of a field whose allowed values a validator checks (for the reference)."""
    return {"allowed": text}


def _range_text(angle: str) -> dict[str, Any]:
    lo, hi = POSE_RANGES[angle]
    return _allowed(f"{lo:g} .. {hi:g}")


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


def _point_or_name(v: Any, what: str) -> Any:
    """A landmark name as it is, a 3-sequence of finite numbers as a tuple; anything else is an error."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, Sequence) and len(v) == 3:
        bad = [x for x in v if isinstance(x, bool) or not isinstance(x, (int, float)) or not abs(x) <= MAX_COORD]
        if not bad:
            return tuple(float(x) for x in v)
        msg = f"{what} has {bad[0]!r} in it; a point is [x, y, z], numbers between {-MAX_COORD:g} and {MAX_COORD:g} mm"
        raise ValueError(msg.strip())
    msg = f"{what} must be a point [x, y, z] in mm or a landmark name".strip()
    raise ValueError(msg)


def _short(v: str | None, limit: int, breaks: bool = True) -> str | None:
    """``v`` if it has at most ``limit`` characters and no control characters (``breaks``: but tabs
    and newlines, which wrapped text turns into spaces)."""
    if v is None:
        return v
    if len(v) > limit:
        msg = f"{len(v)} characters is too long for the picture; at most {limit}: shorten it"
        raise ValueError(msg)
    allowed = "\t\n" if breaks else ""
    bad = next((i for i, c in enumerate(v) if unicodedata.category(c) in ("Cc", "Zl", "Zp") and c not in allowed), None)
    if bad is not None:
        msg = f"has the control character U+{ord(v[bad]):04X} at {bad + 1}, which no font draws; remove it"
        raise ValueError(msg)
    return v


def _nonzero(v: Vec3 | None, what: str) -> None:
    if v is not None and float(np.linalg.norm(v)) < 1e-9:
        msg = f"{what} must not be the zero vector"
        raise ValueError(msg)


class _SceneTable(StrictTable):  # scenes are edited in place (CLI, animation): re-validate each assignment
    model_config = ConfigDict(frozen=False, validate_assignment=True)


# =============================================================================== layers
class CutAway(_SceneTable):
    """A plane that clips a layer: everything on the side the normal points to is removed."""

    origin: Vec3 | str = Field(
        description="A point on the plane: [x, y, z] in mm, or a landmark name such as 'lesser_trochanter_r'."
    )
    normal: Vec3 = Field(
        description="Direction [x, y, z] the plane faces; what lies that way is cut off.",
        json_schema_extra=_allowed("any direction but [0, 0, 0]; need not be of length 1"),
    )
    offset: Coord = Field(default=0.0, description="Moves the plane along the normal (mm).")
    cap: bool | None = Field(
        default=None,
        description="Close the cut surface. Default: closed for the bone, muscle and highlight styles.",
    )

    @field_validator("origin", mode="before")
    @classmethod
    def _origin(cls, v: Any) -> Any:
        return _point_or_name(v, "origin")

    @field_validator("normal")
    @classmethod
    def _normal(cls, v: Vec3) -> Vec3:
        _nonzero(v, "normal")
        return v


class Layer(_SceneTable):
    """A group of structures drawn alike (one ``[[layers]]`` table each; later layers win a structure two name)."""

    name: str | None = Field(
        default=None,
        description="Legend text. Default: the display name of its one structure, else the style name.",
        json_schema_extra=_allowed(f"one line of at most {MAX_TEXT} characters, no control characters"),
    )
    structures: list[str] = Field(
        min_length=1,
        description="Structure names or glob patterns ('gluteus_*_r'); muscle parts only by their exact name.",
    )
    style: StyleName | None = Field(
        default=None, description="How to draw them. Default: each structure's own kind (bone, muscle, ...)."
    )
    color: str | None = Field(
        default=None, description="Colour instead of the style's.", json_schema_extra=_allowed(COLOR_HELP)
    )
    opacity: float | None = Field(
        default=None, ge=0.0, le=1.0, description="0 invisible .. 1 opaque. Default: the style's."
    )
    hide: bool = Field(default=False, description="Leave the layer out (keeps it in the file for later).")
    isolate: bool = Field(default=False, description="If any layer is isolated, only isolated layers are drawn.")
    highlight: bool = Field(default=False, description="Draw in the highlight style (bright orange).")
    optional: bool = Field(default=False, description="Skip names the model does not have (yet) instead of failing.")
    cut_away: CutAway | None = Field(
        default=None, description="A plane that clips this layer ([layers.cut_away] table)."
    )

    @field_validator("color")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        return v if v is None else check_color(v)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return _short(v, MAX_TEXT, breaks=False)  # one line of the legend


# =============================================================================== labels
class Label(_SceneTable):
    """A text label in the side margin with a leader line to its target (one ``[[labels]]`` table each)."""

    target: str = Field(
        description="A drawn structure, a landmark, an injection mark (e.g. 'dorsogluteal_r') or a foramen "
        "('suprapiriform_foramen_r', 'infrapiriform_foramen_r')."
    )
    text: str | None = Field(
        default=None,
        description="The text. Default: the display name of the target.",
        json_schema_extra=_allowed(f"at most {MAX_TEXT} characters, no control characters but tabs and newlines"),
    )
    leader: bool = Field(default=True, description="Draw the leader line from the text to the target.")
    side: Literal["auto", "left", "right"] = Field(
        default="auto", description="Margin of the picture for the text; 'auto': the nearer one."
    )
    near: Vec3 | str | None = Field(
        default=None,
        description="Anchor the leader on the part of the target nearest this landmark, structure or "
        "point [x, y, z] in mm.",
    )
    branch: str | None = Field(
        default=None,
        description="For a nerve or artery target: anchor on this branch, e.g. 'inferior_branch'.",
    )

    @field_validator("near", mode="before")
    @classmethod
    def _near(cls, v: Any) -> Any:
        return _point_or_name(v, "near")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        return _short(v, MAX_TEXT)


# =============================================================================== camera
class Camera(_SceneTable):
    """Where the picture is taken from: a preset, or an explicit position and focal point."""

    preset: PresetName | None = Field(
        default=None, description="A standard view. Default: 'posterior' when no position is given."
    )
    side: Literal["r", "l"] | None = Field(
        default=None,
        description="The side a lateral, oblique or posterolateral view looks at. Default: 'r'.",
    )
    position: Vec3 | None = Field(
        default=None, description="Explicit camera position [x, y, z] in mm (instead of a preset)."
    )
    focal_point: Vec3 | None = Field(default=None, description="The point looked at [x, y, z] in mm (with position).")
    up: Vec3 | None = Field(default=None, description="The screen's up direction [x, y, z] (explicit camera).")
    zoom: float = Field(default=1.0, ge=0.1, le=20.0, description="Above 1 comes closer, below 1 goes back.")
    azimuth: float = Field(
        default=0.0, ge=-180.0, le=180.0, description="Turns the view about the vertical screen axis (degrees)."
    )
    elevation: float = Field(
        default=0.0, ge=-89.0, le=89.0, description="Turns the view about the horizontal screen axis (degrees)."
    )
    roll: float = Field(
        default=0.0,
        ge=-90.0,
        le=90.0,
        description="Turns the picture about the line of sight (degrees, positive counter-clockwise).",
    )
    focus: list[str] = Field(
        default_factory=list,
        description="Frame these structures, landmarks or marks (names or globs) instead of everything drawn.",
    )
    projection: Literal["orthographic", "perspective"] = Field(
        default="orthographic", description="Orthographic keeps sizes comparable; perspective looks natural."
    )
    margin: float = Field(
        default=0.04, ge=0.0, le=0.4, description="Space around the framed structures (fraction of the view)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Camera:
        explicit = self.position is not None or self.focal_point is not None
        if explicit and self.preset is not None:
            raise ValueError("give either preset or position + focal_point, not both")
        if explicit and (self.position is None or self.focal_point is None):
            raise ValueError("an explicit camera needs both position and focal_point")
        _nonzero(self.up, "up")
        if self.side is not None and self.effective_preset not in SIDED_PRESETS:
            raise ValueError(f"side applies only to the presets {sorted(SIDED_PRESETS)}; remove it")
        if self.position is not None and self.focal_point is not None:
            if float(np.linalg.norm(np.subtract(self.focal_point, self.position))) < 1e-9:
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
        """The side a sided preset looks at (``"r"`` unless ``side`` says otherwise)."""
        return self.side or "r"


# =============================================================================== pose
class Pose(_SceneTable):
    """Hip pose in degrees (ISB); each angle is one number, or a table giving each hip its own value."""

    flexion: SideAngles = Field(
        default=0.0,
        description="Hip flexion (+) / extension (-), degrees; or a table { r = .., l = .. }.",
        json_schema_extra=_range_text("flexion"),
    )
    adduction: SideAngles = Field(
        default=0.0,
        description="Hip adduction (+) / abduction (-), degrees; or a table { r = .., l = .. }.",
        json_schema_extra=_range_text("adduction"),
    )
    rotation: SideAngles = Field(
        default=0.0,
        description="Internal (+) / external (-) rotation, degrees; or a table { r = .., l = .. }.",
        json_schema_extra=_range_text("rotation"),
    )
    side: Literal["r", "l", "both"] = Field(
        default="both", description="The hip(s) a plain number applies to (a table names its sides itself)."
    )
    pelvis_tilt: float = Field(
        default=0.0,
        description="The pelvis in the room: posterior (+) / anterior (-) tilt, degrees (OpenSim pelvis_tilt).",
        json_schema_extra=_range_text("pelvis_tilt"),
    )
    pelvis_list: float = Field(
        default=0.0,
        description="The pelvis in the room: right side down (+) / left side down (-), degrees (obliquity).",
        json_schema_extra=_range_text("pelvis_list"),
    )
    pelvis_rotation: float = Field(
        default=0.0,
        description="The pelvis in the room: front turned to the left (+) / right (-), degrees.",
        json_schema_extra=_range_text("pelvis_rotation"),
    )
    stance: Literal["r", "l"] | None = Field(
        default=None,
        description="Single-leg stance on this leg: with pelvic_drop, the stance hip adducts as the pelvis drops.",
    )
    pelvic_drop: float = Field(
        default=0.0,
        description="With stance: degrees the pelvis drops to the swing side (pelvis_list and stance-hip "
        "adduction together, one movement seen from the room and from the femur).",
        json_schema_extra=_range_text("pelvic_drop"),
    )

    @field_validator("flexion", "adduction", "rotation", "pelvis_tilt", "pelvis_list", "pelvis_rotation", "pelvic_drop")
    @classmethod
    def _range(cls, v: Any, info: ValidationInfo) -> Any:
        lo, hi = POSE_RANGES[str(info.field_name)]
        values = v.items() if isinstance(v, dict) else [(None, v)]
        for side, value in values:
            if not lo <= float(value) <= hi:
                where = f" for side {side!r}" if side else ""
                raise ValueError(f"{value!r}{where} is out of range; must be between {lo:g} and {hi:g}")
        return v

    def angles(self, side: str) -> tuple[float, float, float]:
        """``(flexion, adduction, rotation)`` of hip ``side`` (``"r"`` or ``"l"``); a missing side is 0."""
        flexion, adduction, rotation = (self._angle(name, side) for name in ("flexion", "adduction", "rotation"))
        if self.stance == side:
            adduction += self.pelvic_drop  # the stance hip adducts as the pelvis drops
        return (flexion, adduction, rotation)

    def _angle(self, name: str, side: str) -> float:
        v = getattr(self, name)
        if isinstance(v, dict):
            return float(v.get(side, 0.0))
        return float(v) if self.side in ("both", side) else 0.0

    @model_validator(mode="after")
    def _stance_alone(self) -> Pose:
        if self.pelvic_drop and self.stance is None:
            raise ValueError('pelvic_drop needs stance = "r" or "l" (the leg the body stands on)')
        if self.stance is not None and self.pelvis_list:
            raise ValueError("give either stance with pelvic_drop or pelvis_list, not both (they are one movement)")
        return self

    @property
    def pelvis(self) -> tuple[float, float, float]:
        """``(tilt, list, rotation)`` of the pelvis in the room, degrees (list includes a stance's drop)."""
        drop = 0.0 if self.stance is None else (-self.pelvic_drop if self.stance == "r" else self.pelvic_drop)
        return (self.pelvis_tilt, self.pelvis_list + drop, self.pelvis_rotation)

    @property
    def is_neutral(self) -> bool:
        """Every angle of both hips and of the pelvis is 0."""
        return all(a == 0.0 for s in SIDES for a in self.angles(s)) and not any(self.pelvis)


# =============================================================================== animation
#: Longest animation (seconds) and most frames one may have.
MAX_DURATION = 600.0
MAX_FRAMES = 3600
#: What ``animation.fibre_colour`` may colour the fibres by.
ANIMATION_COLOURINGS: tuple[str, ...] = ("rotation_moment_arm",)


class Keyframe(Pose):
    """One pose of an animation at its time (a ``[[animation.keyframes]]`` table): the angles of ``[pose]``."""

    time: float = Field(
        ge=0.0,
        le=MAX_DURATION,
        description="Seconds from the start; the first keyframe is at 0 and times increase.",
    )


class Animation(_SceneTable):
    """A pose sequence (``glute3d animate``): keyframe poses, eased smoothly from one to the next."""

    keyframes: list[Keyframe] = Field(
        min_length=2,
        description="The poses ([[animation.keyframes]] tables, at least two): time and the angles of [pose].",
    )
    fps: int = Field(default=24, ge=1, le=60, description="Frames per second of the video.")
    duration: float | None = Field(
        default=None,
        gt=0.0,
        le=MAX_DURATION,
        description="Seconds; the last pose is held after the last keyframe. Default: the last keyframe's time.",
    )
    framing: Literal["all", "first"] = Field(
        default="all",
        description="The camera, fixed for the whole animation, frames every keyframe's pose ('all') or the "
        "first pose only ('first': the first frame is then the scene's still picture).",
    )
    fibres: list[str] = Field(
        default_factory=list,
        description="Muscles (sided names, e.g. 'gluteus_medius_r') whose fibres are drawn as lines coloured "
        "by fibre_colour in every frame, with a colour bar.",
    )
    fibre_colour: Literal["rotation_moment_arm"] = Field(
        default="rotation_moment_arm",
        description="What colours the fibres: their moment arm about the hip's rotation axis in that frame's "
        "pose (internal rotation red, external blue).",
    )
    fibre_range: float = Field(
        default=30.0, gt=0.0, le=200.0, description="Moment arm (mm) at the ends of the colour bar."
    )

    @model_validator(mode="after")
    def _times(self) -> Animation:
        times = [k.time for k in self.keyframes]
        if times[0] != 0.0:
            raise ValueError(f"the first keyframe must be at time = 0, not {times[0]:g}")
        for i in range(1, len(times)):
            if times[i] <= times[i - 1]:
                raise ValueError(
                    f"keyframes[{i}].time = {times[i]:g} must be later than keyframes[{i - 1}].time = {times[i - 1]:g}"
                )
        stances = {k.stance for k in self.keyframes}
        if len(stances) > 1:
            raise ValueError("every keyframe must name the same stance leg (or none): the pose eases between them")
        if self.duration is not None and self.duration < times[-1]:
            raise ValueError(f"duration {self.duration:g} s ends before the last keyframe ({times[-1]:g} s)")
        if self.n_frames > MAX_FRAMES:
            raise ValueError(f"{self.n_frames} frames is too many; at most {MAX_FRAMES}: lower fps or duration")
        return self

    @property
    def length(self) -> float:
        """Seconds the animation lasts."""
        return float(self.duration if self.duration is not None else self.keyframes[-1].time)

    @property
    def n_frames(self) -> int:
        """Frames of the video (the first and the last pose both shown)."""
        return max(2, int(round(self.length * self.fps)) + 1)

    @property
    def first_pose(self) -> Pose:
        """The pose of the first keyframe (a still of the scene shows it)."""
        return Pose(**self.keyframes[0].model_dump(exclude={"time"}))


# =============================================================================== overlays
class Segment(_SceneTable):
    """A straight reference line between two points (one entry of ``overlays.segments``)."""

    start: Vec3 | str = Field(description="Landmark name or point [x, y, z] in mm.")
    end: Vec3 | str = Field(description="Landmark name or point [x, y, z] in mm.")
    color: str = Field(default="#1a1a1a", description="Line colour.", json_schema_extra=_allowed(COLOR_HELP))
    extend: float = Field(default=0.0, ge=0.0, le=500.0, description="Lengthens the line beyond both ends (mm).")
    dashed: bool = Field(default=False, description="Draw the line in dashes.")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _point(cls, v: Any, info: ValidationInfo) -> Any:
        return _point_or_name(v, str(info.field_name))

    @field_validator("color")
    @classmethod
    def _color(cls, v: str) -> str:
        return check_color(v)


class Overlays(_SceneTable):
    """Landmarks, injection overlays and reference lines drawn on the structures."""

    landmarks: list[str] = Field(
        default_factory=list,
        description="Landmark names or globs: points drawn as spheres, curves as tubes, regions as patches.",
    )
    colors: dict[str, str] = Field(
        default_factory=dict,
        description="Colour by landmark name, sided ('asis_r') or sideless ('asis'), e.g. { asis = 'red' }.",
        json_schema_extra=_allowed(f"landmark names of the model; colours {COLOR_HELP}"),
    )
    label: bool = Field(default=False, description="Label every overlay landmark.")
    point_radius: float | None = Field(
        default=None, gt=0.0, le=50.0, description="Sphere radius of point landmarks (mm). Default: the theme's."
    )
    tube_radius: float | None = Field(
        default=None, gt=0.0, le=20.0, description="Tube radius of curve landmarks (mm). Default: the theme's."
    )
    injection: list[str] = Field(
        default_factory=list,
        description="Injection overlays drawn on the skin (see Injection overlays below).",
        json_schema_extra=_allowed(", ".join(f"'{n}'" for n in INJECTION_OVERLAYS)),
    )
    needle_mm: float = Field(
        default=38.0,
        ge=5.0,
        le=120.0,
        description="Length of the intramuscular needles of the injection overlays (mm); the GTPS needle "
        "(gtps_site) goes to the depth of its bursa.",
    )
    segments: list[Segment] = Field(
        default_factory=list,
        description="Straight reference lines, e.g. [{ start = 'asis_r', end = 'asis_l', dashed = true }].",
    )
    abductor_lever: list[Literal["r", "l"]] = Field(
        default_factory=list,
        description="Hips whose abductors' line of action and moment arm in single-leg stance (glute3d.stance) are "
        "drawn in the frontal plane, in front of the bones as the camera sees them; label targets "
        "'abductor_line_r', 'abductor_moment_arm_r'.",
    )

    @field_validator("colors")
    @classmethod
    def _colors(cls, v: dict[str, str]) -> dict[str, str]:
        for value in v.values():
            check_color(value)
        return v

    @field_validator("injection")
    @classmethod
    def _injection(cls, v: list[str]) -> list[str]:
        """Every unknown overlay name at once, each with the closest overlays."""
        bad = [(i, name) for i, name in enumerate(v) if name not in INJECTION_OVERLAYS]
        allowed = f"choose from {', '.join(INJECTION_OVERLAYS)}"
        if len(bad) == 1:
            i, name = bad[0]
            hint = did_you_mean(name, INJECTION_OVERLAYS, 2, cutoff=0.5)
            raise ValueError(f"[{i}] unknown injection overlay {name!r}{hint}; {allowed}")
        if bad:
            listed = []
            for i, name in bad[:10]:
                hint = did_you_mean(name, INJECTION_OVERLAYS, 2, cutoff=0.5).removeprefix("; ")
                listed.append(f"[{i}] {name!r}" + (f" ({hint})" if hint else ""))
            more = f"; and {len(bad) - 10} more" if len(bad) > 10 else ""
            raise ValueError(f"{len(bad)} unknown injection overlays: {'; '.join(listed)}{more}; {allowed}")
        return v


class Femur(_SceneTable):
    """The shape of both femurs (``[femur]``): neck-shaft angle and femoral offset."""

    neck_shaft_angle: float | None = Field(
        default=None,
        description="Neck-shaft angle in degrees (coxa vara below ~120, valga above ~140); the neck keeps its "
        "length unless offset is given. Default: the model's (128).",
        json_schema_extra=_allowed("{:g} .. {:g}".format(*FEMUR_RANGES["neck_shaft_angle"])),
    )
    offset: float | None = Field(
        default=None,
        description="Femoral offset in mm, head centre to shaft axis: the shaft moves sideways, the leg keeps its "
        "length. Default: what the angle gives (39.4 at 128).",
        json_schema_extra=_allowed("{:g} .. {:g} mm".format(*FEMUR_RANGES["offset"])),
    )

    @field_validator("neck_shaft_angle", "offset", mode="before")
    @classmethod
    def _range(cls, v: Any, info: ValidationInfo) -> Any:
        if v is None:
            return v
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"must be a number, got {v!r}")
        lo, hi = FEMUR_RANGES[str(info.field_name)]
        if not lo <= float(v) <= hi:
            raise ValueError(f"{v!r} is out of range; must be between {lo:g} and {hi:g}")
        return v

    @property
    def is_default(self) -> bool:
        """No change to the model's femurs."""
        return self.neck_shaft_angle is None and self.offset is None


# =============================================================================== top level
class SceneFields(_SceneTable):
    """One picture: what to show (layers, overlays, labels), from where (camera) and how."""

    title: str = Field(
        default="",
        description="Printed above the picture (empty: none).",
        json_schema_extra=_allowed(f"at most {MAX_TEXT} characters, no control characters but tabs and newlines"),
    )
    caption: str = Field(
        default="",
        description="Printed below the picture, wrapped (empty: none).",
        json_schema_extra=_allowed(f"at most {MAX_CAPTION} characters, no control characters but tabs and newlines"),
    )
    layers: list[Layer] = Field(
        default_factory=list,
        description="What to draw ([[layers]] tables); without any, every structure of the model in its own style "
        "(with a warning).",
    )
    labels: list[Label] = Field(default_factory=list, description="Text labels with leader lines ([[labels]] tables).")
    camera: Camera = Field(default_factory=Camera, description="Where the picture is taken from ([camera]).")
    pose: Pose = Field(default_factory=Pose, description="Hip pose ([pose]); neutral by default.")
    overlays: Overlays = Field(
        default_factory=Overlays, description="Landmarks, injection overlays and reference lines ([overlays])."
    )
    legend: bool = Field(default=False, description="Draw a legend of the layers, overlays and marks.")
    scale_bar: bool = Field(default=False, description="Draw a scale bar in mm.")
    background: str = Field(
        default="white",
        description="Background colour, or 'transparent' for a PNG with alpha.",
        json_schema_extra=_allowed(f"{COLOR_HELP}, or 'transparent'"),
    )
    resolution: tuple[int, int] = Field(
        default=(1920, 1080),
        description="[width, height] of the picture in pixels.",
        json_schema_extra=_allowed(
            f"width {MIN_RESOLUTION[0]} .. {MAX_RESOLUTION[0]}, height {MIN_RESOLUTION[1]} .. {MAX_RESOLUTION[1]}"
        ),
    )
    text_scale: float = Field(default=1.0, ge=0.3, le=4.0, description="Multiplies every font size.")
    label_sides: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Whether label texts name the side (', right'); 'auto': only when both sides are labelled.",
    )
    animation: Animation | None = Field(
        default=None,
        description="A pose sequence for `glute3d animate` ([animation] and its [[animation.keyframes]]); "
        "a still picture shows the first keyframe's pose.",
    )
    variants: dict[str, str] = Field(
        default_factory=dict,
        description="Anatomical variant switches of the model, e.g. { sciatic = 'fibular_pierces_piriformis' }; "
        "each switch and its values are listed under [variants].",
    )
    femur: Femur = Field(
        default_factory=Femur,
        description="The femurs' shape ([femur]): neck-shaft angle and offset, e.g. { neck_shaft_angle = 118 } "
        "for coxa vara; muscles and overlays are made on the reshaped bones.",
    )
    habitus: str = Field(
        default="average",
        description="Body build: how much subcutaneous fat lies between the muscles and the skin "
        "(skin.toml [habitus]); needles and the safety map follow.",
        json_schema_extra=_allowed("'lean', 'average', 'obese', 'female' or 'male'"),
    )

    _source: str | None = PrivateAttr(default=None)
    _text: str | None = PrivateAttr(default=None)

    @field_validator("title", "caption")
    @classmethod
    def _texts(cls, v: str, info: ValidationInfo) -> str:
        return str(_short(v, MAX_CAPTION if info.field_name == "caption" else MAX_TEXT))

    @field_validator("background")
    @classmethod
    def _background(cls, v: str) -> str:
        return v if v == "transparent" else check_color(v)

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

    @model_validator(mode="after")
    def _animation_pose(self) -> SceneFields:
        """An animated scene's pose is its first keyframe's: a still shows the animation's first frame."""
        if self.animation is None:
            return self
        first = self.animation.first_pose
        if self.pose != Pose() and self.pose != first:
            raise ValueError("an animated scene takes its poses from [[animation.keyframes]]; remove [pose]")
        self.__dict__["pose"] = first  # not validate_assignment: the pose is already valid
        return self

    @property
    def source(self) -> str | None:
        """The file the scene was read from, if any."""
        return self._source

    def error(self, path: Sequence[str | int], message: str, value: Any = None) -> SceneError:
        """A :class:`SceneError` for field ``path`` of this scene, with the TOML line if found.

        Examples
        --------
        >>> str(SceneFields().error(("camera", "focus", 0), "unknown structure 'x'"))
        "<scene>: camera.focus[0]: unknown structure 'x'"
        """
        line = find_line(self._text, tuple(path), value) if self._text else None
        return SceneError(self._source, format_field_path(path), message, line=line)
