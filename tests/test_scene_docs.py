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
from glute3d.scene.schema import Camera, CutAway, Label, Layer, Overlays, Pose, SceneFields, Segment

DOC = ROOT / "docs" / "scene-format.md"
TABLES = (SceneFields, Camera, Layer, CutAway, Label, Pose, Overlays, Segment)


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
    assert len(overlays) == 10
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
