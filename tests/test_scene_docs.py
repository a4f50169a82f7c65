"""docs/scene-format.md: generated from the scene schema, current, and true to what scenes accept."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
from pydantic import BaseModel

from conftest import ROOT
from glute3d.scene import Scene, SceneError
from glute3d.scene.reference import COMMAND, EXAMPLE_SCENE, field_rows, scene_format_markdown
from glute3d.scene.schema import Camera, CutAway, Femur, Label, Layer, Overlays, Pose, SceneFields, Segment

DOC = ROOT / "docs" / "scene-format.md"
TABLES = (SceneFields, Camera, Layer, CutAway, Label, Pose, Femur, Overlays, Segment)


def section_rows(text: str, heading: str) -> list[list[str]]:
    """The table rows (cells, stripped) of the first table after ``heading``."""
    start = text.index(heading + "\n")
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#") and rows:
            break
        if line.startswith("| ") and not line.startswith("|---"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows[1:]  # without the header


def test_the_document_is_current():
    expected = scene_format_markdown()
    actual = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if actual != expected:
        old, new = actual.splitlines(), expected.splitlines()
        n = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
        pytest.fail(
            f"{DOC.relative_to(ROOT)} is out of date (first difference at line {n + 1}); regenerate it with: {COMMAND}"
        )


def test_the_module_prints_the_document():
    run = subprocess.run([sys.executable, "-m", "glute3d.scene.reference"], capture_output=True, text=True, check=True)
    assert run.stdout == scene_format_markdown()


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m.__name__)
def test_every_field_is_described_and_listed(model: type[BaseModel]):
    text = scene_format_markdown()
    for name, info in model.model_fields.items():
        assert info.description, f"{model.__name__}.{name} has no description"
        assert f"| `{name}` |" in text
    assert [r[0] for r in field_rows(model)] == list(model.model_fields)


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m.__name__)
def test_documented_defaults_are_the_real_ones(model: type[BaseModel]):
    for name, _, default, _, _ in field_rows(model):
        info = model.model_fields[name]
        real = None if info.is_required() else info.get_default(call_default_factory=True)
        if default == "**required**":
            assert info.is_required(), f"{model.__name__}.{name}"
        elif default == "its table's defaults":
            assert isinstance(real, BaseModel), f"{model.__name__}.{name}"
        elif default == "none":
            assert real is None, f"{model.__name__}.{name}"
        else:
            value = tomllib.loads(f"x = {default}")["x"]
            assert value == (list(real) if isinstance(real, tuple) else real), f"{model.__name__}.{name}"


def test_listed_camera_presets_are_exactly_the_accepted_ones():
    listed = [row[0].strip("`") for row in section_rows(scene_format_markdown(), "### Camera presets")]
    assert listed, "the presets are listed"
    for preset in listed:
        assert Scene(camera={"preset": preset}).camera.effective_preset == preset
    with pytest.raises(SceneError, match="choose from"):
        Scene(camera={"preset": "from_below"})
    sided = [
        row[0].strip("`") for row in section_rows(scene_format_markdown(), "### Camera presets") if row[2] == "yes"
    ]
    for preset in listed:
        if preset in sided:
            assert Scene(camera={"preset": preset, "side": "l"}).camera.effective_side == "l"
        else:
            with pytest.raises(SceneError, match="side applies only"):
                Scene(camera={"preset": preset, "side": "l"})


def test_listed_injection_overlays_and_styles_are_accepted():
    text = scene_format_markdown()
    overlays = [n.strip("`") for row in section_rows(text, "### Injection overlays") for n in row[0].split(", ")]
    assert len(overlays) == 12
    assert Scene(overlays={"injection": overlays}).overlays.injection == overlays
    styles = [row[0].strip("`") for row in section_rows(text, "### Styles")]
    assert Scene(layers=[{"structures": ["femur_r"], "style": s} for s in styles]).layers[-1].style == styles[-1]
    with pytest.raises(SceneError, match="invalid value"):
        Scene(layers=[{"structures": ["femur_r"], "style": "glass"}])


def test_the_example_scene_resolves(tissue_model):
    res = Scene.from_toml(EXAMPLE_SCENE, source="example").resolve(tissue_model)
    assert ("gluteus_medius_r", "highlight") in [(i.name, i.style) for i in res.items]
    assert [L.target for L in res.labels] == ["gluteus_medius_r", "gt_lateral_facet_r"]
    assert {o.name for o in res.overlays} == {"iliac_crest_r", "gt_lateral_facet_r"}
    assert "```toml\n" + EXAMPLE_SCENE in scene_format_markdown()


# =============================================================================== errors and warnings
TOY_BONES = [{"structures": ["hip_bone_r", "femur_r"]}]


@pytest.fixture(scope="module")
def warning_renders(toy_model):
    """Toy scenes that earn each documented warning, rendered small."""
    from conftest import RENDER_TEST
    from glute3d.render import render

    scenes = {
        "no layers": Scene(),
        "two layers": Scene(layers=[*TOY_BONES, {"structures": ["femur_r"], "style": "muscle"}]),
        "nothing drawn": Scene(layers=[{"structures": ["femur_r"], "hide": True}]),
        "cut away": Scene(
            layers=[
                *TOY_BONES,
                {"structures": ["gluteus_medius_r"], "cut_away": {"origin": "asis_r", "normal": [0, 1, 0]}},
            ]
        ),
        "hidden": Scene(layers=TOY_BONES, labels=[{"target": "asis_r"}]),  # seen from behind
        "outside": Scene(
            layers=TOY_BONES,
            camera={"preset": "anterior", "focus": ["femur_r"], "zoom": 3},
            labels=[{"target": "iliac_crest_r"}, {"target": "femur_r"}],
        ),
        "undrawn": Scene(
            layers=[{"structures": ["hip_bone_r"]}],
            camera={"focus": ["hip_bone_r", "gt_lateral_facet_r"]},
            labels=[{"target": "gt_lateral_facet_r"}],
        ),
        "too many": Scene(
            layers=TOY_BONES,
            camera={"preset": "anterior"},
            labels=[{"target": "asis_r", "text": f"Label {k}"} for k in range(40)],
        ),
    }
    return {key: render(scene, toy_model, **RENDER_TEST) for key, scene in scenes.items()}


def test_every_documented_warning_is_given(warning_renders):
    """Each warning of the reference's table is what a scene that earns it gets (x, i, N: any name or number)."""
    rows = section_rows(scene_format_markdown(), "## Errors and warnings")
    assert len(rows) == 8
    given = [w for r in warning_renders.values() for w in r.warnings]
    for row in rows:
        pattern = (
            re.escape(row[0]).replace("'x'", "'[^']+'").replace("\\[i\\]", r"\[\d+\]").replace("\\[j\\]", r"\[\d+\]")
        )
        pattern = pattern.replace("N\\ of\\ M", r"\d+\ of\ \d+")
        assert any(re.match(pattern, w) for w in given), f"no scene gives the documented warning {row[0]!r}"


def test_label_targets_outside_the_view_and_labels_that_do_not_fit(warning_renders):
    r = warning_renders["outside"]
    assert [(L.target, L.visible) for L in r.labels] == [("iliac_crest_r", False), ("femur_r", True)]
    assert r.warnings == [
        "label 'iliac_crest_r': its target is outside the view of this camera (its dashed leader points toward it); "
        "frame it with camera.focus or less zoom, or remove the label"
    ]
    x, y = r.labels[0].anchor
    assert 0 <= x <= 400 and 0 <= y <= 300, "the leader ends in the picture, toward the target"
    assert warning_renders["hidden"].warnings[-1].startswith("label 'asis_r': its target is hidden behind other")
    assert "nothing is drawn where its target lies" in warning_renders["undrawn"].warnings[0]
    r = warning_renders["too many"]
    kept = len(r.labels)
    assert 0 < kept < 40 and all(0 <= L.box[1] and L.box[3] <= 300 for L in r.labels)
    assert [L.text for L in r.labels] == [f"Label {k}" for k in range(kept)], "the scene's first labels are kept"
    assert r.warnings == [
        f"{40 - kept} of 40 labels do not fit in the picture's margins at 400x300 and were left out ('asis_r', "
        "'asis_r', 'asis_r', 'asis_r', 'asis_r', ...); use fewer labels, a larger resolution or a smaller text_scale"
    ]
