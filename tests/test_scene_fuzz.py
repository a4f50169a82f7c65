"""Scene files fuzzed: whatever a scene file holds, only a SceneError (one line) ever escapes.

Hypothesis builds TOML documents from the schema's own field names (a valid scene of the toy
model's names, then mutated: wrong types, values out of range or not finite, unknown and
misspelt keys, misspelt names, deleted fields, deep nesting, huge lists), mangles their text
and throws random bytes and invalid UTF-8 at the loader.  A sample of the scenes that load is
resolved against the toy model, and a smaller one rendered at 160x120: the loader, resolution
and the renderer raise nothing but :class:`~glute3d.scene.SceneError`.

The runs are derandomised (the same examples every run, so CI is reproducible) and small
enough to keep the file well under a minute; every example has a deadline, so a hang fails.
Raise ``GLUTE3D_FUZZ_SCALE`` (a factor, e.g. 20) to search longer while developing.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import ToyModel
from glute3d.scene import CAMERA_PRESETS, INJECTION_OVERLAYS, STYLES, Scene, SceneError
from glute3d.scene.schema import Camera, CutAway, Label, Layer, Overlays, Pose, SceneFields, Segment

SCALE = max(1, int(os.environ.get("GLUTE3D_FUZZ_SCALE", "1")))
#: Examples per loader test; the four loader tests together throw over 1,000 files per run.
LOADER_EXAMPLES = 300 * SCALE


def fuzz_settings(n: int, deadline_ms: int) -> settings:
    """Derandomised (the same examples every run), ``n`` examples, each within ``deadline_ms``."""
    return settings(
        max_examples=n,
        deadline=deadline_ms,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# =============================================================================== names
TOY_STRUCTURES = list(ToyModel.KINDS)
TOY_LANDMARKS = ["asis_r", "psis_r", "iliac_crest_r", "gt_lateral_facet_r"]
OTHER_NAMES = [
    "gluteus_minimus_r",
    "sciatic_nerve_l",
    "dorsogluteal_r",
    "upper_outer_quadrant_l",
    "suprapiriform_foramen_r",
    "inferior_branch",
    "lesser_trochanter_r",
]
GLOBS = ["*_r", "gluteus_*", "*", "f?mur_r", "[hf]*", "piriformis_*"]
NAMES = TOY_STRUCTURES + TOY_LANDMARKS
COLORS = ["white", "#abc", "#1a2b3c", "red", "transparent", "Dark Slate Gray", "#12345", "blurple", ""]
#: Every table of the schema and its field names: what the mutations misspell and put in the wrong place.
TABLES = (SceneFields, Layer, CutAway, Label, Camera, Pose, Overlays, Segment)
FIELD_NAMES = sorted({name for table in TABLES for name in table.model_fields})

safe_text = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30)  # what a picture shows
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)  # control characters too
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e4, max_value=1e4)
point = st.tuples(finite, finite, finite).map(list)
direction = st.sampled_from([[1, 0, 0], [0, -1, 0], [0, 0, 1], [1, 1, 0], [0.2, -0.5, 0.9]])
name = st.sampled_from(NAMES + OTHER_NAMES)
structure_or_glob = st.sampled_from(TOY_STRUCTURES + GLOBS[:3])


def optional(**fields: st.SearchStrategy) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional=fields)


layer = st.fixed_dictionaries(
    {"structures": st.lists(structure_or_glob, min_size=1, max_size=3)},
    optional={
        "name": safe_text,
        "style": st.sampled_from(STYLES),
        "color": st.sampled_from(COLORS[:4]),
        "opacity": st.floats(0.0, 1.0),
        "hide": st.booleans(),
        "isolate": st.booleans(),
        "highlight": st.booleans(),
        "optional": st.booleans(),
        "cut_away": st.fixed_dictionaries(
            {"origin": st.one_of(point, st.sampled_from(TOY_LANDMARKS)), "normal": direction},
            optional={"offset": st.floats(-50, 50), "cap": st.booleans()},
        ),
    },
)
label = st.fixed_dictionaries(
    {"target": st.sampled_from(NAMES)},
    optional={
        "text": safe_text,
        "leader": st.booleans(),
        "side": st.sampled_from(["auto", "left", "right"]),
        "near": st.one_of(point, st.sampled_from(TOY_LANDMARKS)),
    },
)
camera = st.one_of(
    optional(
        preset=st.sampled_from(["posterior", "anterior", "superior"]),
        zoom=st.floats(0.1, 20.0),
        azimuth=st.floats(-180, 180),
        elevation=st.floats(-89, 89),
        roll=st.floats(-90, 90),
        focus=st.lists(st.sampled_from(NAMES + GLOBS[:2]), max_size=2),
        projection=st.sampled_from(["orthographic", "perspective"]),
        margin=st.floats(0.0, 0.4),
    ),
    st.fixed_dictionaries(
        {"preset": st.sampled_from(["lateral", "oblique", "posterolateral"])}, optional={"side": st.sampled_from("rl")}
    ),
    st.fixed_dictionaries(
        {"position": point, "focal_point": point}, optional={"up": direction, "zoom": st.floats(0.5, 3.0)}
    ),
)
overlays = optional(
    landmarks=st.lists(st.sampled_from(TOY_LANDMARKS + ["*_r", "a*"]), max_size=3),
    colors=st.dictionaries(st.sampled_from(["asis", "asis_r", "iliac_crest_r"]), st.sampled_from(COLORS[:4])),
    label=st.booleans(),
    point_radius=st.floats(0.5, 50.0),
    tube_radius=st.floats(0.5, 20.0),
    segments=st.lists(
        st.fixed_dictionaries(
            {"start": st.one_of(point, st.sampled_from(TOY_LANDMARKS)), "end": st.sampled_from(TOY_LANDMARKS)},
            optional={"dashed": st.booleans(), "extend": st.floats(0, 500), "color": st.sampled_from(COLORS[:4])},
        ),
        max_size=2,
    ),
)
scene_doc = optional(
    title=safe_text,
    caption=safe_text,
    layers=st.lists(layer, max_size=4),
    labels=st.lists(label, max_size=5),
    camera=camera,
    overlays=overlays,
    legend=st.booleans(),
    scale_bar=st.booleans(),
    background=st.sampled_from(COLORS[:5]),
    resolution=st.just([160, 120]),
    text_scale=st.floats(0.3, 4.0),
    label_sides=st.sampled_from(["auto", "always", "never"]),
)


# =============================================================================== mutations
def paths(doc: Any) -> list[tuple]:
    """The paths into ``doc`` (keys and indices), the root included, 12 levels deep at most."""
    out: list[tuple] = []
    todo: list[tuple[tuple, Any]] = [((), doc)]
    while todo:
        at, node = todo.pop()
        out.append(at)
        if len(at) >= 12:
            continue
        if isinstance(node, dict):
            todo += [((*at, k), v) for k, v in node.items()]
        elif isinstance(node, list):
            todo += [((*at, i), v) for i, v in enumerate(node[:20])]
    return sorted(out, key=lambda p: (len(p), str(p)))


def get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def put(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    get(doc, path[:-1])[path[-1]] = value
    return doc


def misspell(draw: Any, text: str) -> str:
    """``text`` with one letter dropped, doubled, swapped or changed."""
    if not text:
        return "x"
    i = draw(st.integers(0, len(text) - 1))
    op = draw(st.sampled_from(["drop", "double", "swap", "change"]))
    if op == "drop":
        return text[:i] + text[i + 1 :]
    if op == "double":
        return text[:i] + text[i] + text[i:]
    if op == "swap" and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + draw(st.sampled_from("aeioux_1")) + text[i + 1 :]


#: Values of every type TOML has, odd ones included: what a field of another type gets.
wrong_value = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.booleans(),
    any_text,
    st.sampled_from(NAMES + OTHER_NAMES + list(INJECTION_OVERLAYS) + list(CAMERA_PRESETS) + FIELD_NAMES),
    st.lists(st.one_of(st.integers(-5, 5), any_text, st.floats()), max_size=4),
    st.dictionaries(st.sampled_from(FIELD_NAMES + ["x", ""]), st.integers(-3, 3), max_size=3),
    st.builds(dict),  # fresh objects: the mutations change them in place
    st.builds(list),
)
out_of_range = st.sampled_from(
    [-1, 0, -0.0, 1e-12, 1e308, -1e308, 2**63, 2**64, math.nan, math.inf, -math.inf, 99999, 0.05, 30.0, 500.1]
    + ["x" * 301, "word " * 2000, "asis_r" * 1000]
)


def mutate_once(draw: Any, doc: dict) -> dict:
    """One mutation at a random place of ``doc``."""
    path = draw(st.sampled_from(paths(doc)))
    node = get(doc, path)
    op = draw(
        st.sampled_from(
            ["wrong", "range", "unknown_key", "misspell_key", "misspell_value", "delete", "nest", "huge", "names"]
        )
    )
    if op == "wrong":
        return put(doc, path, draw(wrong_value))
    if op == "range":
        return put(doc, path, draw(out_of_range))
    if op in ("unknown_key", "misspell_key") and isinstance(node, dict):
        if op == "misspell_key" and node:
            key = draw(st.sampled_from(sorted(node)))
            node[misspell(draw, key)] = node.pop(key)
        else:
            node[draw(st.sampled_from([*FIELD_NAMES, "colour", "", "a.b", "ünïcode", "x" * 300]))] = draw(wrong_value)
        return doc
    if op == "misspell_value" and isinstance(node, str):
        return put(doc, path, misspell(draw, node))
    if op == "delete" and path:
        parent = get(doc, path[:-1])
        del parent[path[-1]]
        return doc
    if op == "nest":
        depth = draw(st.sampled_from([2, 8, 40, 200, 3000]))
        for _ in range(depth):
            node = [node] if draw(st.booleans()) or depth > 100 else {"x": node}
        return put(doc, path, node)
    if op == "huge":  # a long list of one item (of a scalar only: lists of long lists would be gigabytes)
        item = node[0] if isinstance(node, list) and node else node
        return put(doc, path, [item] * (3 if isinstance(item, (list, dict)) else draw(st.sampled_from([50, 20000]))))
    # names: a misspelt or foreign name wherever a name goes
    if isinstance(node, str):
        return put(doc, path, draw(st.sampled_from(OTHER_NAMES + GLOBS + [misspell(draw, node)])))
    return doc


@st.composite
def mutated_doc(draw: Any) -> dict:
    doc = copy.deepcopy(draw(scene_doc))  # mutated in place: never the strategy's own objects
    for _ in range(draw(st.integers(1, 3))):
        doc = mutate_once(draw, doc)
    return doc


# =============================================================================== TOML text
def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


class _Raw(str):
    """TOML text written as it is (brackets, separators)."""


def inline(v: Any) -> str:
    """Any plain value as inline TOML (deep structures written without recursion)."""
    out: list[str] = []
    stack: list[Any] = [v]
    while stack:
        v = stack.pop()
        if isinstance(v, _Raw):
            out.append(str(v))
        elif isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, int):
            out.append(str(v))
        elif isinstance(v, float):
            out.append("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v))
        elif isinstance(v, str):
            out.append(toml_string(v))
        elif isinstance(v, list):
            parts: list[Any] = [_Raw("[")]
            for i, x in enumerate(v):
                parts += ([_Raw(", ")] if i else []) + [x]
            stack += reversed([*parts, _Raw("]")])
        else:
            parts = [_Raw("{")]
            for i, (k, x) in enumerate(v.items()):
                parts += [_Raw(f"{', ' if i else ''}{toml_key(k)} = "), x]
            stack += reversed([*parts, _Raw("}")])
    return "".join(out)


def to_toml(doc: Any, sectioned: bool) -> str:
    """TOML text of ``doc``: every key inline, or tables and arrays of tables as sections."""
    if not isinstance(doc, dict):
        return f"value = {inline(doc)}\n"
    head, body = [], []
    for k, v in doc.items():
        if sectioned and isinstance(v, dict) and v:
            body.append(f"\n[{toml_key(k)}]\n" + "".join(f"{toml_key(a)} = {inline(b)}\n" for a, b in v.items()))
        elif sectioned and isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for x in v:
                body.append(f"\n[[{toml_key(k)}]]\n" + "".join(f"{toml_key(a)} = {inline(b)}\n" for a, b in x.items()))
        else:
            head.append(f"{toml_key(k)} = {inline(v)}\n")
    return "".join(head + body)


def check_loader(text: str) -> Scene | None:
    """The property: a scene, or one SceneError of one line; never another exception."""
    try:
        return Scene.from_toml(text, source="fuzz.toml")
    except SceneError as exc:
        message = str(exc)
        assert message.startswith("fuzz.toml: ") and "\n" not in message, message
        return None


# =============================================================================== the loader
def test_the_serialiser_writes_what_tomllib_reads():
    """The test's own TOML writer is true (so the fuzzing tests the loader, not the writer)."""
    import tomllib

    doc = {"title": 'a "b"\x7f', "layers": [{"structures": ["x"], "cut_away": {"normal": [1.5, -2, 1e300]}}], "k": []}
    for sectioned in (False, True):
        assert tomllib.loads(to_toml(doc, sectioned)) == doc
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    assert to_toml({"x": deep}, False).count("[") == 5000


def test_what_the_fuzzing_found_is_refused_in_one_line():
    """Nesting deeper than TOML reads, non-finite and far points, texts longer than a picture holds or with
    control characters no font draws (a legend entry of one crashed the text layout)."""
    deep = "title = " + "[" * 3000 + "]" * 3000 + "\n"
    cases = {
        deep: "<scene>: lists or tables nested too deeply to read",
        "[camera]\nfocus = " + "[" * 20 + "]" * 20 + "\n": "<scene>: camera.focus[0]: tables or lists nested 12 levels",
        "[camera]\nposition = [nan, 0, 0]\nfocal_point = [0, 0, 0]\n": "camera.position[0]: input should be a finite",
        '[[labels]]\ntarget = "asis_r"\nnear = [1e6, 0, 0]\n': "labels[0].near: near has 1000000.0 in it; a point is",
        f'title = "{"x" * 301}"\n': "title: 301 characters is too long for the picture; at most 300",
        f'caption = "{"x" * 3001}"\n': "caption: 3001 characters is too long for the picture; at most 3000",
        '[[layers]]\nstructures = ["femur_r"]\nname = "a\\u0085"\n': "layers[0].name: has the control character U+0085",
    }
    for text, start in cases.items():
        with pytest.raises(SceneError) as info:
            Scene.from_toml(text)
        assert str(info.value).startswith(start) or start in str(info.value), str(info.value)
        assert "\n" not in str(info.value) and len(str(info.value)) < 400
    with pytest.raises(SceneError, match=r"title: has the control character U\+007F at 2"):
        Scene(title="a\x7fb")


@fuzz_settings(LOADER_EXAMPLES, 3000)
@given(doc=scene_doc, sectioned=st.booleans())
def test_valid_scenes_load_and_round_trip(doc, sectioned):
    """Scenes built from the schema's fields and the toy model's names load, and read their own TOML back."""
    scene = check_loader(to_toml(doc, sectioned))
    if scene is not None:
        assert Scene.from_toml(scene.to_toml()) == scene


@fuzz_settings(LOADER_EXAMPLES, 3000)
@given(doc=mutated_doc(), sectioned=st.booleans())
def test_mutated_scenes_raise_only_scene_errors(doc, sectioned):
    """Wrong types, out-of-range and non-finite values, unknown and misspelt keys and names,
    deleted fields, deep nesting and huge lists: a scene or one SceneError."""
    check_loader(to_toml(doc, sectioned))


@fuzz_settings(LOADER_EXAMPLES, 3000)
@given(doc=scene_doc, data=st.data())
def test_mangled_text_raises_only_scene_errors(doc, data):
    """The text of a valid scene with characters cut, repeated or replaced (broken TOML)."""
    text = to_toml(doc, data.draw(st.booleans()))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 12)))
        text = (
            text[:i] + data.draw(st.sampled_from(["", "[", "]", "=", '"', "\n", "[[layers]]\n", "{", "\\u"])) + text[j:]
        )
    check_loader(text)


@fuzz_settings(LOADER_EXAMPLES, 3000)
@given(raw=st.one_of(st.binary(max_size=200), st.binary(max_size=40).map(lambda b: b'title = "' + b + b'"\n')))
def test_random_bytes_and_invalid_utf8_raise_only_scene_errors(raw, tmp_path_factory):
    """Random bytes, and bytes that are not UTF-8, read from a file."""
    path = tmp_path_factory.getbasetemp() / "fuzz.toml"
    path.write_bytes(raw)
    try:
        Scene.from_file(path)
    except SceneError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)


# =============================================================================== resolution and rendering
@st.composite
def misnamed_doc(draw: Any) -> dict:
    """A scene of the right form with up to three names misspelt or foreign (structures, landmarks, targets)."""
    doc = copy.deepcopy(draw(scene_doc))  # mutated in place: never the strategy's own objects
    for _ in range(draw(st.integers(0, 3))):
        strings = [p for p in paths(doc) if isinstance(get(doc, p), str) and p[0] in ("layers", "labels", "overlays")]
        if strings:
            p = draw(st.sampled_from(strings))
            put(doc, p, draw(st.sampled_from([*OTHER_NAMES, *NAMES, *GLOBS, misspell(draw, get(doc, p))])))
    return doc


def check_resolution(doc: dict, model: Any) -> Any:
    """The property after loading: resolved, or one SceneError of one line."""
    scene = check_loader(to_toml(doc, True))
    if scene is None:
        event("not loaded")
        return None
    try:
        res = scene.resolve(model)
    except SceneError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.toml: "), str(exc)
        event("scene error: " + ("unknown names" if " unknown names: " in str(exc) else "one problem (or name)"))
        return None
    event("resolved")
    return res


@fuzz_settings(150 * SCALE, 5000)
@given(doc=st.one_of(scene_doc, misnamed_doc()))
def test_scenes_resolve_against_the_toy_model_or_say_why(doc, toy_model):
    res = check_resolution(doc, toy_model)
    if res is not None:
        assert all("\n" not in w for w in res.warnings)
        assert {it.name for it in res.items} <= set(toy_model.meshes)


@fuzz_settings(25 * SCALE, 30000)
@given(doc=st.one_of(scene_doc, misnamed_doc()))
def test_scenes_render_at_160x120_or_say_why(doc, toy_model):
    """A sample of the scenes that load, rendered small: a picture with one-line warnings, or a SceneError."""
    from glute3d.render import render

    scene = check_loader(to_toml(doc, True))
    if scene is None:
        event("not loaded")
        return
    try:
        result = render(scene, toy_model, size=(160, 120), anti_aliasing=False, supersample_text=1)
    except SceneError as exc:
        assert "\n" not in str(exc), str(exc)
        event("scene error")
        return
    event("rendered")
    assert result.image.shape[:2] == (120, 160)
    assert all(isinstance(w, str) and "\n" not in w for w in result.warnings)
    assert {L.target for L in result.labels} <= {L.target for L in scene.labels} | set(TOY_LANDMARKS)


BONES = ["hip_bone_r", "hip_bone_l", "sacrum", "femur_r", "femur_l"]
REAL_LANDMARKS = ["asis_r", "psis_l", "iliac_crest_r", "greater_trochanter_r", "ischial_spine_l"]


@st.composite
def bone_doc(draw: Any) -> dict:
    """A scene of the real model's bones and landmarks, some names misspelt (no soft tissue is built)."""
    names = st.sampled_from(BONES + ["hip_bone_*"])
    marks = st.sampled_from(REAL_LANDMARKS)
    doc = {
        "layers": draw(
            st.lists(
                st.fixed_dictionaries({"structures": st.lists(names, min_size=1, max_size=3)}), min_size=1, max_size=3
            )
        ),
        "labels": [{"target": t} for t in draw(st.lists(marks, max_size=4))],
        "overlays": {"landmarks": draw(st.lists(marks, max_size=3))},
        "camera": {"preset": draw(st.sampled_from(["posterior", "lateral", "anterior"]))},
    }
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        p = draw(st.sampled_from([p for p in paths(doc) if isinstance(get(doc, p), str) and p[-1] != "preset"]))
        put(doc, p, misspell(draw, get(doc, p)))
    return doc


@fuzz_settings(20 * SCALE, 30000)
@given(doc=bone_doc())
def test_bone_scenes_of_the_real_model_render_or_say_why(doc, bone_model):
    """The real model's bones, some names misspelt: resolved and rendered small, or a SceneError."""
    from glute3d.render import render

    res = check_resolution(doc, bone_model)
    if res is None:
        return
    assert res.items and {it.name for it in res.items} <= set(BONES)
    result = render(Scene.from_toml(to_toml(doc, True)), bone_model, size=(160, 120), anti_aliasing=False)
    assert result.image.shape[:2] == (120, 160) and all("\n" not in w for w in result.warnings)
