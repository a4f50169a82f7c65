"""The scene file reference, ``docs/scene-format.md``, generated from the scene schema.

Every table of a scene file is a pydantic model of :mod:`glute3d.scene.schema`; this module
writes one Markdown table per model from its fields (type, default, allowed values or range,
description), with a first example scene and the lists of camera presets, styles, injection
overlays and other label targets.  Regenerate the file after changing the schema::

    python -m glute3d.scene.reference > docs/scene-format.md

Examples
--------
>>> text = scene_format_markdown()
>>> text.startswith("# Scene file format") and "| `preset` |" in text
True
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from glute3d.anatomy.paths import VARIANTS
from glute3d.scene.naming import FORAMEN_TARGETS, INJECTION_TARGETS
from glute3d.scene.schema import (
    CAMERA_PRESET_VIEWS,
    COLOR_HELP,
    INJECTION_OVERLAY_VIEWS,
    MAX_COORD,
    SIDED_PRESETS,
    Animation,
    Camera,
    CutAway,
    Femur,
    Keyframe,
    Label,
    Layer,
    Overlays,
    Pose,
    SceneFields,
    Segment,
    Vec3,
)
from glute3d.scene.theme import STYLES, load_theme

__all__ = ["COMMAND", "EXAMPLE_SCENE", "field_rows", "scene_format_markdown"]

#: The command that writes the reference.
COMMAND = "python -m glute3d.scene.reference > docs/scene-format.md"

#: The first scene of the reference (checked by the tests: it resolves against the packaged model).
EXAMPLE_SCENE = """\
title = "Gluteus medius from the side"
caption = "Gluteus medius runs from the outer ilium to the greater trochanter."
legend = true

[camera]
preset = "lateral"
side = "r"

[[layers]]
name = "Bone"
structures = ["hip_bone_r", "sacrum", "femur_r"]

[[layers]]
name = "Gluteus medius"
structures = ["gluteus_medius_r"]
highlight = true

[overlays]
landmarks = ["iliac_crest_r", "gt_lateral_facet_r"]

[[labels]]
target = "gluteus_medius_r"

[[labels]]
target = "gt_lateral_facet_r"
side = "right"
"""


# =============================================================================== one field
def _literal_values(annotation: Any) -> list[Any]:
    """The values of the ``Literal`` types in ``annotation`` (``[]`` if it has none)."""
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    return [v for arg in typing.get_args(annotation) for v in _literal_values(arg)]


def _type_text(annotation: Any) -> str:  # one branch per kind of annotation the schema uses
    """How a lecturer would name the type of a TOML value."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation == Vec3:
        return "[x, y, z]"
    if origin is typing.Annotated:
        return _type_text(args[0])
    if origin in (typing.Union, types.UnionType):
        parts = [_type_text(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is Literal:
        return "text"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if origin is list:
        inner = _type_text(args[0])
        return "list of tables" if inner == "table" else f"list of {inner}"
    if origin is dict:
        key = "r / l" if _literal_values(args[0]) else "name"
        return f"table of {key} = {_type_text(args[1])}"
    if origin is tuple:
        return "[" + ", ".join(_type_text(a) for a in args) + "]"
    names = {str: "text", bool: "true / false", float: "number", int: "whole number"}
    return names.get(annotation, str(annotation))


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }" if value else "{}"
    return repr(value)


def _default_text(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        return "its table's defaults" if isinstance(value, BaseModel) else _toml(value)
    if info.default is PydanticUndefined:
        return "**required**"
    return "none" if info.default is None else _toml(info.default)


def _bounds_text(info: FieldInfo) -> str:
    lo = hi = None
    strict_lo = strict_hi = False
    count = None
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, strict_lo = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, strict_hi = m.lt, True
        if getattr(m, "min_length", None) is not None:
            count = m.min_length
    if count is not None:
        return f"at least {count}"
    if lo is None and hi is None:
        return ""
    low = f"{'>' if strict_lo else '≥'} {lo:g}" if lo is not None else ""
    high = f"{'<' if strict_hi else '≤'} {hi:g}" if hi is not None else ""
    if lo is not None and hi is not None and not (strict_lo or strict_hi):
        return f"{lo:g} .. {hi:g}"
    return ", ".join(t for t in (low, high) if t)


def _allowed_text(info: FieldInfo) -> str:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and "allowed" in extra:
        return str(extra["allowed"])
    values = _literal_values(info.annotation)
    if values:
        return ", ".join(f"`{_toml(v)}`" for v in values)
    return _bounds_text(info)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def field_rows(model: type[BaseModel]) -> list[tuple[str, str, str, str, str]]:
    """``(field, type, default, allowed, description)`` of every field of ``model``, in schema order.

    Examples
    --------
    >>> field_rows(Segment)[-1]
    ('dashed', 'true / false', 'false', '', 'Draw the line in dashes.')
    """
    return [
        (name, _type_text(info.annotation), _default_text(info), _allowed_text(info), info.description or "")
        for name, info in model.model_fields.items()
    ]


def _table(model: type[BaseModel]) -> list[str]:
    out = ["| Field | Type | Default | Allowed | What it does |", "|---|---|---|---|---|"]
    for name, typ, default, allowed, description in field_rows(model):
        shown = default if default in ("**required**", "its table's defaults") else f"`{default}`"
        cells = [f"`{name}`", typ, shown, allowed, description]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out


def _doc(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split()).replace("``", "`")


# =============================================================================== sections
def _intro() -> list[str]:
    return [
        "# Scene file format",
        "",
        f"<!-- Generated from the scene schema (src/glute3d/scene/schema.py) by `{COMMAND}`. "
        "Do not edit by hand: change the schema's descriptions and run that command. -->",
        "",
        "A scene file is a [TOML](https://toml.io) file that describes one picture: what to show "
        "(layers of structures, landmarks, injection overlays, labels), from where (the camera) and how "
        "(title, caption, legend, size). Render it with",
        "",
        "```sh",
        "glute3d render my_scene.toml -o pictures/",
        "```",
        "",
        "Every field is optional: a file without `[[layers]]` (an empty one too) draws every structure of "
        "the model from behind, and a warning says so; add `[[layers]]` tables to choose what to show. A "
        "mistake is reported in one line with the file, the field, the line and the fix, for example "
        "`my_scene.toml: layers[1].structures[0]: unknown structure 'gluteus_minimis_r'; "
        "did you mean 'gluteus_minimus_r'? (line 14)` (see [Errors and warnings](#errors-and-warnings)).",
        "",
        "## A first scene",
        "",
        "```toml",
        EXAMPLE_SCENE.rstrip("\n"),
        "```",
        "",
        "The bones are drawn in their own style, gluteus medius in the highlight colour; the iliac crest "
        "and the lateral facet of the greater trochanter are drawn on the bones and two labels point at "
        "the muscle and the facet, whose text is put in the right margin. The sections below list every field of "
        "every table.",
        "",
    ]


def _names() -> list[str]:
    return [
        "## Names",
        "",
        "Structures and landmarks are named as in the knowledge base, with `_r` or `_l` for the side "
        "(`gluteus_medius_r`, `asis_l`; midline structures such as `sacrum` have none). List them with",
        "",
        "```sh",
        "glute3d list structures            # bones, muscles, muscle parts, nerves, arteries, skin",
        "glute3d list structures --kind muscle",
        "glute3d list landmarks             # points, curves and regions on the bones",
        "glute3d list presets               # camera presets",
        "```",
        "",
        "Where a field takes several names, glob patterns work too: `*` (any text), `?` (one character), "
        "`[rl]` (one of). `gluteus_*_r` is every right gluteal muscle; muscle parts such as "
        "`gluteus_minimus_anterior_r` are drawn only when named exactly. Model space is in millimetres: "
        "X points forward (anterior), Y up (superior), Z to the subject's right.",
        "",
        f"Colours are {COLOR_HELP}. A point `[x, y, z]` holds three finite numbers between "
        f"{-MAX_COORD:g} and {MAX_COORD:g} mm.",
        "",
    ]


def _top_level() -> list[str]:
    return ["## Top level", "", _doc(SceneFields), "", *_table(SceneFields), ""]


def _camera() -> list[str]:
    rows = [f"| `{p}` | {view} | {'yes' if p in SIDED_PRESETS else 'no'} |" for p, view in CAMERA_PRESET_VIEWS.items()]
    return [
        "## [camera]",
        "",
        _doc(Camera) + " Give either `preset` or `position` and `focal_point`, not both. The view is framed "
        "to everything drawn (or to `focus`).",
        "",
        *_table(Camera),
        "",
        "### Camera presets",
        "",
        "| Preset | Looks | Takes `side` |",
        "|---|---|---|",
        *rows,
        "",
    ]


def _layers() -> list[str]:
    styles = load_theme()["styles"]
    rows = [f"| `{s}` | `{styles[s]['color']}` | {styles[s]['opacity']:g} |" for s in STYLES]
    return [
        "## [[layers]]",
        "",
        _doc(Layer) + " With no layers at all, every structure of the model is drawn in its own style, and a "
        "warning says so. A structure that two shown layers name exactly is drawn by the later one, and a "
        "warning names the structure, both layers and the style that wins; a glob matching a structure "
        "another layer names is no conflict. A hidden layer (or, when a layer is isolated, a layer that is "
        "not) takes nothing from the layers shown.",
        "",
        *_table(Layer),
        "",
        "### Styles",
        "",
        "A structure's style is chosen from its kind (bone, muscle, nerve, artery, bursa, skin) unless the "
        "layer sets `style` or `highlight`. Colours and opacities come from the theme "
        "(`glute3d/data/theme.toml`):",
        "",
        "| Style | Colour | Opacity |",
        "|---|---|---|",
        *rows,
        "",
        "### [layers.cut_away]",
        "",
        _doc(CutAway),
        "",
        *_table(CutAway),
        "",
    ]


def _labels() -> list[str]:
    marks = [
        f"| `{base}_r`, `{base}_l` | {display} | `{overlay}_r` / `{overlay}_l` |"
        for base, (display, overlay) in INJECTION_TARGETS.items()
    ]
    foramina = [
        f"| `{base}_r`, `{base}_l` | {display} (where {', '.join(p.replace('_', ' ') for p in paths)} leave the "
        "pelvis) | - |"
        for base, (display, paths) in FORAMEN_TARGETS.items()
    ]
    return [
        "## [[labels]]",
        "",
        _doc(Label) + " A label target must be drawn: a structure of a visible layer, any landmark, "
        "or one of the marks below.",
        "",
        *_table(Label),
        "",
        "### Label targets that are not structures or landmarks",
        "",
        "| Target | Default text | Drawn by (`overlays.injection`) |",
        "|---|---|---|",
        *marks,
        *foramina,
        "",
    ]


def _pose() -> list[str]:
    return [
        "## [pose]",
        "",
        _doc(Pose) + " For example `flexion = 30` bends both hips forward; `adduction = { r = 10, l = -10 }` "
        "is standing on the right leg with the pelvis dropped to the left (a Trendelenburg sign). The femurs "
        "move and the muscles, nerves, arteries and skin follow them.",
        "",
        *_table(Pose),
        "",
    ]


def _animation() -> list[str]:
    own = [row for row in _table(Keyframe) if row.startswith("| `time`")]
    return [
        "## [animation]",
        "",
        _doc(Animation) + " Render it with `glute3d animate scene.toml -o out.mp4` (or `out.gif`); "
        "`glute3d render` and `glute3d deck` show the first keyframe's pose, and `[pose]` must then be "
        "left out. Between two keyframes every angle eases in and out (smoothstep), so the movement "
        "starts and stops gently at each keyframe and stays between the two keyframes' angles. The camera "
        "does not move during the animation.",
        "",
        *_table(Animation),
        "",
        "### [[animation.keyframes]]",
        "",
        _doc(Keyframe) + " Every field of [pose] (above) and:",
        "",
        *_table(Keyframe)[:2],
        *own,
        "",
        "```toml",
        "[animation]",
        "fps = 24",
        'fibres = ["gluteus_medius_r", "gluteus_minimus_r"]',
        "",
        "[[animation.keyframes]]",
        "time = 0",
        "",
        "[[animation.keyframes]]",
        "time = 3",
        "flexion = { r = 90 }",
        "```",
        "",
    ]


def _overlays() -> list[str]:
    rows = [f"| `{base}_r`, `{base}_l` | {view} |" for base, view in INJECTION_OVERLAY_VIEWS.items()]
    return [
        "## [overlays]",
        "",
        _doc(Overlays),
        "",
        *_table(Overlays),
        "",
        "### Injection overlays",
        "",
        "Drawn on the skin, which is added to the picture when no layer draws it. The danger threshold "
        "and the needle come from `glute3d.teaching.injection`; they are teaching aids, not clinical advice.",
        "",
        "| Overlay | Draws |",
        "|---|---|",
        *rows,
        "",
        "### overlays.segments",
        "",
        _doc(Segment) + ' Written inline, e.g. `segments = [{ start = "asis_r", end = "asis_l" }]`.',
        "",
        *_table(Segment),
        "",
    ]


def _variants() -> list[str]:
    rows = [
        f"| `{switch}` | `{path}` | {', '.join(f'`{v}`' for v in values)} |"
        for switch, (path, values) in VARIANTS.items()
    ]
    return [
        "## [variants]",
        "",
        'Anatomical variants of the model, one switch per line, e.g. `sciatic = "fibular_pierces_piriformis"`; '
        "the first value is the usual anatomy.",
        "",
        "| Switch | Changes | Values |",
        "|---|---|---|",
        *rows,
        "",
    ]


def _problems() -> list[str]:
    return [
        "## Errors and warnings",
        "",
        "A scene is checked in two steps, each stopping at an error reported in one line. Reading the file "
        "checks its form (TOML, field names, types, ranges, presets, styles, injection overlays); rendering "
        "checks the names against the model (structures, landmarks, label targets, branches, variants). Each "
        "step reports every unknown name it finds at once, each with its field, its line and the closest names "
        "of the kind the field takes:",
        "",
        "```text",
        "scenes/x.toml: 3 unknown names: layers[0].structures[1] 'gluteus_minimis_r' (line 9; did you mean "
        "'gluteus_minimus_r'?); overlays.landmarks[0] 'gluteus_medius_r' (line 14; a structure: draw it in a "
        "[[layers]] table); labels[2].target 'asiss_r' (line 20; did you mean 'asis_r'?)",
        "```",
        "",
        "A picture that may not show what its author expects is still rendered, with a warning "
        "(`glute3d: warning: <scene>: <text>`) for each of these:",
        "",
        "| Warning | What happened | The fix |",
        "|---|---|---|",
        "| the scene has no [[layers]] | every structure of the model is drawn, each in its own style "
        "| add `[[layers]]` tables |",
        "| structure 'x' is named by layers[i] and layers[j] | the later shown layer draws it, in its style "
        "| remove it from one of the layers |",
        "| no structure is drawn | every layer is hidden, or the shown layers match no structure "
        "| show a layer, name structures the model has |",
        "| layers[i].cut_away removes all of 'x' | the plane leaves nothing of the structure "
        "| move the plane (`origin`, `offset`) or turn its `normal` round |",
        "| label 'x': its target is hidden behind other structures | the leader is dashed | "
        "another camera, or a translucent layer in front |",
        "| label 'x': its target is outside the view | the target lies outside the picture; the dashed leader "
        "points toward it | frame it (`camera.focus`, less `zoom`) or remove the label |",
        "| label 'x': nothing is drawn where its target lies | cut away, or on a structure no layer draws "
        "| draw its structure, or move the cut |",
        "| N of M labels do not fit | the margins hold no more labels at this size; those are left out "
        "| fewer labels, a larger `resolution` or a smaller `text_scale` |",
        "",
    ]


def _femur() -> list[str]:
    return [
        "## [femur]",
        "",
        _doc(Femur) + " For example `neck_shaft_angle = 118` is a coxa vara, `neck_shaft_angle = 142` a coxa "
        "valga (the neck keeps its length, so the offset follows the angle); `offset = 48` at the model's 128 "
        "degrees moves the shaft and the trochanters 9 mm further out (a high-offset femur, the leg as long). "
        "Both femurs are reshaped in memory (the model files are not touched) and the muscles, nerves, arteries "
        "and skin are made on them; `overlays.abductor_lever` draws what the shape does to the abductors' lever.",
        "",
        *_table(Femur),
        "",
    ]


def scene_format_markdown() -> str:
    """The scene file reference as Markdown (the contents of ``docs/scene-format.md``)."""
    parts = [
        _intro(),
        _names(),
        _top_level(),
        _camera(),
        _layers(),
        _labels(),
        _pose(),
        _femur(),
        _animation(),
        _overlays(),
        _variants(),
        _problems(),
    ]
    return "\n".join(line for part in parts for line in part).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover - python -m glute3d.scene.reference
    print(scene_format_markdown(), end="")
