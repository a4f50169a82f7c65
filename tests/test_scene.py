"""Scene files: validation with clear one-line errors, round trips, resolution against a model."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from glute3d.scene import INJECTION_OVERLAYS, Scene, SceneError, parse_color

from conftest import SCENES


def write(tmp_path: Path, text: str, name: str = "scene.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip())
    return p


def error_of(path: Path, model=None) -> SceneError:
    with pytest.raises(SceneError) as info:
        scene = Scene.from_file(path)
        if model is not None:
            scene.resolve(model)
    return info.value


# =============================================================================== form
def test_defaults():
    s = Scene()
    assert s.resolution == (1920, 1080)
    assert s.camera.effective_preset == "posterior"
    assert s.background == "white" and not s.legend and not s.scale_bar
    assert s.pose.is_neutral


def test_unknown_structure_names_file_field_line_and_fix(tmp_path, bone_model):
    p = write(tmp_path, """
        title = "x"

        [[layers]]
        structures = ["hip_bone_r"]

        [[layers]]
        structures = ["sacrum"]

        [[layers]]
        name = "Muscles"
        structures = [
          "femur_r",
          "gluteus_minimis_r",
        ]
    """)
    e = error_of(p, bone_model)
    assert e.file == str(p)
    assert e.field == "layers[2].structures[1]"
    assert e.line == 13
    assert "gluteus_minimis_r" in e.message and "'gluteus_minimus_r'" in e.message
    text = str(e)
    assert "\n" not in text
    assert text.startswith(f"{p}: layers[2].structures[1]: unknown structure 'gluteus_minimis_r'")
    assert text.endswith("(line 13)")


def test_error_string_matches_the_documented_form():
    e = SceneError("scenes/x.toml", "layers[2].structures[0]",
                   "unknown structure 'gluteus_minimis_r'; did you mean 'gluteus_minimus_r'?", line=14)
    assert str(e) == ("scenes/x.toml: layers[2].structures[0]: unknown structure 'gluteus_minimis_r'; "
                      "did you mean 'gluteus_minimus_r'? (line 14)")
    assert str(SceneError(None, "title", "bad")) == "<scene>: title: bad"


def test_bad_camera_preset(tmp_path):
    p = write(tmp_path, """
        title = "x"
        [camera]
        preset = "posterier"
    """)
    e = error_of(p)
    assert e.field == "camera.preset" and e.line == 3
    assert "'posterior'" in e.message and "choose from" in e.message


def test_camera_side_only_for_lateral_presets(tmp_path):
    e = error_of(write(tmp_path, """
        [camera]
        preset = "posterior"
        side = "r"
    """))
    assert e.field == "camera" and "side applies only" in e.message and e.line == 1


def test_explicit_camera_needs_focal_point(tmp_path):
    e = error_of(write(tmp_path, """
        [camera]
        position = [0, 0, 500]
    """))
    assert "focal_point" in e.message


@pytest.mark.parametrize(("field", "value", "lo", "hi"), [
    ("flexion", 150, -30, 120), ("adduction", -60, -50, 30), ("rotation", 46, -45, 45)])
def test_pose_ranges(tmp_path, field, value, lo, hi):
    e = error_of(write(tmp_path, f"""
        title = "x"
        [pose]
        {field} = {value}
    """))
    assert e.field == f"pose.{field}" and e.line == 3
    assert f"between {lo} and {hi}" in e.message


@pytest.mark.parametrize(("value", "needle"), [
    ("[10, 1080]", "width 10 is out of range"),
    ("[1920, 9000]", "height 9000 is out of range"),
    ("[1920]", "[width, height]"),
    ('[1920.5, 1080]', "whole number"),
])
def test_resolution_bounds(tmp_path, value, needle):
    e = error_of(write(tmp_path, f"""
        title = "x"
        resolution = {value}
    """))
    assert e.field == "resolution" and needle in e.message and e.line == 2


def test_resolution_limits_accepted():
    assert Scene(resolution=(160, 120)).resolution == (160, 120)
    assert Scene(resolution=[7680, 4320]).resolution == (7680, 4320)


def test_unknown_field_suggests(tmp_path):
    e = error_of(write(tmp_path, 'titel = "x"\n'))
    assert e.field == "titel" and "did you mean 'title'?" in e.message and e.line == 1


def test_unknown_field_in_a_layer(tmp_path):
    e = error_of(write(tmp_path, """
        [[layers]]
        structures = ["sacrum"]
        opacitty = 0.5
    """))
    assert e.field == "layers[0].opacitty" and "'opacity'" in e.message and e.line == 3


def test_bad_opacity_and_style(tmp_path):
    e = error_of(write(tmp_path, """
        [[layers]]
        structures = ["sacrum"]
        style = "bones"
    """))
    assert e.field == "layers[0].style" and "'bone'" in e.message
    e = error_of(write(tmp_path, """
        [[layers]]
        structures = ["sacrum"]
        opacity = 1.5
    """))
    assert e.field == "layers[0].opacity" and "between 0 and 1" in e.message and e.line == 3


def test_toml_syntax_error_has_line(tmp_path):
    e = error_of(write(tmp_path, 'title = "x"\ncaption = "unterminated\n'))
    assert "not valid TOML" in e.message and e.line == 2


def test_missing_file():
    e = error_of(Path("/nonexistent/scene.toml"))
    assert "no such scene file" in str(e)


def test_colors():
    assert parse_color("#fff") == (1.0, 1.0, 1.0)
    assert parse_color("black") == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="unknown colour"):
        parse_color("blurple")
    with pytest.raises(SceneError, match="background"):
        Scene.from_dict({"background": "blurple"})
    assert Scene(background="transparent").background == "transparent"


def test_injection_overlays_reserved(tmp_path, bone_model):
    e = error_of(write(tmp_path, """
        [overlays]
        injection = ["quadrant_r"]
    """))
    assert e.field == "overlays.injection[0]" and "'quadrants_r'" in e.message and e.line == 2
    scene = Scene(overlays={"injection": [INJECTION_OVERLAYS[0]]})
    if getattr(bone_model, "injection", None) is None:
        with pytest.raises(SceneError, match="not available yet"):
            scene.resolve(bone_model)


# =============================================================================== round trips
def all_scene_files() -> list[Path]:
    return sorted(SCENES.glob("*.toml"))


@pytest.mark.parametrize("path", all_scene_files(), ids=lambda p: p.stem)
def test_round_trip(path):
    scene = Scene.from_file(path)
    assert Scene.from_dict(scene.to_dict()) == scene
    assert Scene.from_toml(scene.to_toml()) == scene


def test_round_trip_of_everything():
    scene = Scene(
        title='Quotes "and" unicode: é', caption="two\nlines",
        layers=[{"name": "a", "structures": ["femur_*"], "opacity": 0.4, "cut_away":
                 {"origin": "lesser_trochanter_r", "normal": [0, -1, 0], "offset": 5.5}},
                {"structures": ["sacrum"], "highlight": True, "color": "#123456"}],
        labels=[{"target": "asis_r", "text": "ASIS", "side": "left"}],
        camera={"preset": "oblique", "side": "l", "zoom": 1.5, "azimuth": -10, "elevation": 20,
                "projection": "perspective", "focus": ["hip_bone_l"]},
        pose={"flexion": 30, "side": "r"}, overlays={"landmarks": ["asis_*"], "colors": {"asis": "red"}},
        legend=True, scale_bar=True, background="#202020", resolution=(1280, 720),
    )
    assert Scene.from_toml(scene.to_toml()) == scene
    assert Scene.from_dict(scene.to_dict()) == scene


@pytest.mark.parametrize("path", all_scene_files(), ids=lambda p: p.stem)
def test_scene_files_resolve(path, bone_model):
    res = Scene.from_file(path).resolve(bone_model)
    assert res.items, "a scene shows something"
    for lab in res.labels:
        assert lab.candidates.ndim == 2 and len(lab.candidates) >= 1


# =============================================================================== resolution
def test_globs_styles_and_layers(toy_model):
    res = Scene(layers=[{"structures": ["*_r"]}, {"structures": ["skin"], "opacity": 0.3}]).resolve(toy_model)
    styles = {i.name: i.style for i in res.items}
    assert styles == {"hip_bone_r": "bone", "femur_r": "bone", "gluteus_medius_r": "muscle", "skin": "skin"}
    assert [i.opacity for i in res.items if i.name == "skin"] == [0.3]


def test_no_layers_shows_everything(toy_model):
    assert [i.name for i in Scene().resolve(toy_model).items] == list(toy_model.meshes)


def test_hide_isolate_highlight(toy_model):
    layers = [{"structures": ["hip_bone_r"]}, {"structures": ["femur_r"], "hide": True},
              {"structures": ["gluteus_medius_r"], "highlight": True}]
    res = Scene(layers=layers).resolve(toy_model)
    assert [(i.name, i.style) for i in res.items] == [("hip_bone_r", "bone"), ("gluteus_medius_r", "highlight")]
    layers[0]["isolate"] = True
    assert [i.name for i in Scene(layers=layers).resolve(toy_model).items] == ["hip_bone_r"]


def test_glob_matching_nothing(toy_model):
    with pytest.raises(SceneError, match="matches no structure"):
        Scene(layers=[{"structures": ["piriformis_*"]}]).resolve(toy_model)
    res = Scene(layers=[{"structures": ["piriformis_*", "femur_r"], "optional": True}]).resolve(toy_model)
    assert [i.name for i in res.items] == ["femur_r"]


def test_known_but_absent_structure(bone_model):
    absent = "superior_gluteal_artery_r"
    if absent in bone_model.meshes:
        pytest.skip("the model has arteries now")
    with pytest.raises(SceneError, match="not in the model yet"):
        Scene(layers=[{"structures": [absent]}]).resolve(bone_model)


def test_labels_default_text_and_sides(toy_model):
    res = Scene(labels=[{"target": "asis_r"}, {"target": "hip_bone_r"}]).resolve(toy_model)
    assert [L.text for L in res.labels] == ["Anterior superior iliac spine", "Hip bone"]
    res = Scene(labels=[{"target": "asis_r"}], label_sides="always").resolve(toy_model)
    assert res.labels[0].text == "Anterior superior iliac spine, right"
    res = Scene(labels=[{"target": "skin"}]).resolve(toy_model)
    assert res.labels[0].text == "Skin"


def test_label_target_unknown(tmp_path, toy_model):
    p = write(tmp_path, """
        [[labels]]
        target = "asis_r"

        [[labels]]
        target = "assis_r"
    """)
    e = error_of(p, toy_model)
    assert e.field == "labels[1].target" and "'asis_r'" in e.message and e.line == 5


def test_overlay_landmark_unknown(tmp_path, bone_model):
    e = error_of(write(tmp_path, """
        [overlays]
        landmarks = ["asis_r", "gt_anterior_facit_r"]
    """), bone_model)
    assert e.field == "overlays.landmarks[1]" and "'gt_anterior_facet_r'" in e.message and e.line == 2


def test_overlays_resolve_kinds(bone_model):
    res = Scene(overlays={"landmarks": ["asis_r", "iliac_crest_r", "gt_*_facet_r"]}).resolve(bone_model)
    kinds = {o.name: o.kind for o in res.overlays}
    assert kinds["asis_r"] == "point" and kinds["iliac_crest_r"] == "curve"
    assert kinds["gt_lateral_facet_r"] == "region"
    assert sum(k == "region" for k in kinds.values()) == 4


def test_cut_away_origin_landmark(bone_model):
    scene = Scene(layers=[{"structures": ["femur_r"], "cut_away": {
        "origin": "lesser_trochanter_r", "normal": [0, -2, 0], "offset": 10}}])
    cut = scene.resolve(bone_model).items[0].cut
    assert np.allclose(cut.normal, [0, -1, 0])
    assert np.isclose(cut.origin[1], bone_model.landmark("lesser_trochanter_r")[1] - 10)
    assert cut.cap
    with pytest.raises(SceneError, match="unknown landmark"):
        Scene(layers=[{"structures": ["femur_r"], "cut_away": {
            "origin": "lesser_trochanter", "normal": [0, -1, 0]}}]).resolve(bone_model)
    with pytest.raises(SceneError, match="zero vector"):
        Scene(layers=[{"structures": ["femur_r"], "cut_away": {"origin": [0, 0, 0], "normal": [0, 0, 0]}}])


def test_pose_needs_a_poseable_model(toy_model, bone_model):
    scene = Scene(pose={"flexion": 30})
    with pytest.raises(SceneError, match="kinematics stage") as info:
        scene.resolve(toy_model)
    assert info.value.field == "pose"
    if hasattr(bone_model, "posed"):
        s = Scene(pose={"flexion": 60, "side": "r"}, layers=[{"structures": ["femur_*"]}])
        res = s.resolve(bone_model)
        femurs = {i.name: i.mesh for i in res.items}
        assert not np.allclose(femurs["femur_r"].vertices, bone_model.bones["femur_r"].vertices)
        assert np.allclose(femurs["femur_l"].vertices, bone_model.bones["femur_l"].vertices)


def test_bone_scenes_do_not_build_soft_tissues(bone_model):
    """A bones-only scene is served from model.bones (model.meshes may generate muscles)."""

    class Guard:
        def __init__(self, m):
            self._m = m

        def __getattr__(self, name):
            if name == "meshes":
                raise AssertionError("model.meshes was built for a bones-only scene")
            return getattr(self._m, name)

    scene = Scene.from_file(SCENES / "01_bones_posterior.toml")
    assert scene.resolve(Guard(bone_model)).items
