"""Scene files: validation with clear one-line errors, round trips, resolution against a model."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import SCENES
from glute3d.scene import INJECTION_OVERLAYS, Scene, SceneError, parse_color


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
    p = write(
        tmp_path,
        """
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
    """,
    )
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
    e = SceneError(
        "scenes/x.toml",
        "layers[2].structures[0]",
        "unknown structure 'gluteus_minimis_r'; did you mean 'gluteus_minimus_r'?",
        line=14,
    )
    assert str(e) == (
        "scenes/x.toml: layers[2].structures[0]: unknown structure 'gluteus_minimis_r'; "
        "did you mean 'gluteus_minimus_r'? (line 14)"
    )
    assert str(SceneError(None, "title", "bad")) == "<scene>: title: bad"


def test_bad_camera_preset(tmp_path):
    p = write(
        tmp_path,
        """
        title = "x"
        [camera]
        preset = "posterier"
    """,
    )
    e = error_of(p)
    assert e.field == "camera.preset" and e.line == 3
    assert "'posterior'" in e.message and "choose from" in e.message


def test_camera_side_only_for_lateral_presets(tmp_path):
    e = error_of(
        write(
            tmp_path,
            """
        [camera]
        preset = "posterior"
        side = "r"
    """,
        )
    )
    assert e.field == "camera" and "side applies only" in e.message and e.line == 1


def test_explicit_camera_needs_focal_point(tmp_path):
    e = error_of(
        write(
            tmp_path,
            """
        [camera]
        position = [0, 0, 500]
    """,
        )
    )
    assert "focal_point" in e.message


@pytest.mark.parametrize(
    ("field", "value", "lo", "hi"), [("flexion", 150, -30, 120), ("adduction", -60, -50, 30), ("rotation", 46, -45, 45)]
)
def test_pose_ranges(tmp_path, field, value, lo, hi):
    e = error_of(
        write(
            tmp_path,
            f"""
        title = "x"
        [pose]
        {field} = {value}
    """,
        )
    )
    assert e.field == f"pose.{field}" and e.line == 3
    assert f"between {lo} and {hi}" in e.message


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("[10, 1080]", "width 10 is out of range"),
        ("[1920, 9000]", "height 9000 is out of range"),
        ("[1920]", "[width, height]"),
        ("[1920.5, 1080]", "whole number"),
    ],
)
def test_resolution_bounds(tmp_path, value, needle):
    e = error_of(
        write(
            tmp_path,
            f"""
        title = "x"
        resolution = {value}
    """,
        )
    )
    assert e.field == "resolution" and needle in e.message and e.line == 2


def test_resolution_limits_accepted():
    assert Scene(resolution=(160, 120)).resolution == (160, 120)
    assert Scene(resolution=[7680, 4320]).resolution == (7680, 4320)


def test_unknown_field_suggests(tmp_path):
    e = error_of(write(tmp_path, 'titel = "x"\n'))
    assert e.field == "titel" and "did you mean 'title'?" in e.message and e.line == 1


def test_unknown_field_in_a_layer(tmp_path):
    e = error_of(
        write(
            tmp_path,
            """
        [[layers]]
        structures = ["sacrum"]
        opacitty = 0.5
    """,
        )
    )
    assert e.field == "layers[0].opacitty" and "'opacity'" in e.message and e.line == 3


def test_bad_opacity_and_style(tmp_path):
    e = error_of(
        write(
            tmp_path,
            """
        [[layers]]
        structures = ["sacrum"]
        style = "bones"
    """,
        )
    )
    assert e.field == "layers[0].style" and "'bone'" in e.message
    e = error_of(
        write(
            tmp_path,
            """
        [[layers]]
        structures = ["sacrum"]
        opacity = 1.5
    """,
        )
    )
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


def test_injection_overlay_names(tmp_path, toy_model):
    e = error_of(
        write(
            tmp_path,
            """
        [overlays]
        injection = ["quadrant_r"]
    """,
        )
    )
    assert e.field == "overlays.injection[0]" and "'quadrants_r'" in e.message and e.line == 2
    assert "psis_gt_line_l" in INJECTION_OVERLAYS and "safety_map_r" in INJECTION_OVERLAYS
    # a model without skin cannot draw them: said so, with the field
    with pytest.raises(SceneError, match="needs the skin") as info:
        Scene(overlays={"injection": ["quadrants_r"]}).resolve(toy_model)
    assert info.value.field == "overlays.injection[0]"


def test_injection_overlays_resolve(tissue_model):
    scene = Scene(
        layers=[{"structures": ["skin"]}],
        overlays={"injection": list(INJECTION_OVERLAYS[::2])},  # every kind, right side
        labels=[
            {"target": "upper_outer_quadrant_r"},
            {"target": "dorsogluteal_r"},
            {"target": "ventrogluteal_r"},
            {"target": "psis_gt_line_r"},
        ],
    )
    res = scene.resolve(tissue_model)
    kinds = {m.kind for m in res.marks}
    assert kinds == {"line", "fill", "point", "needle"}
    assert not any(m.name.startswith("upper_outer_quadrant_r") and m.kind == "fill" for m in res.marks), (
        "no filled quadrant over the safety map's colours"
    )
    assert res.safety is not None and res.safety.threshold == 0.0 and res.safety.needle_mm == 38.0
    assert res.safety.vmin < 0.0 < res.safety.vmax  # a margin: negative is danger
    skin = next(it for it in res.items if it.name == "skin")
    assert skin.vertex_colors is not None and skin.vertex_colors.shape == (len(skin.mesh.vertices), 3)
    # the left half keeps the skin colour, the right half is mapped
    d = res.safety.distances
    assert np.isnan(d[skin.mesh.vertices[:, 2] < -10]).all() and np.isfinite(d[skin.mesh.vertices[:, 2] > 10]).all()
    assert any(m.name.startswith("safety_threshold") for m in res.marks), "the danger threshold is drawn"
    assert [L.kind for L in res.labels] == ["region", "point", "point", "curve"]
    # needles go into the body, perpendicular to the skin, with the scene's length
    needle = next(m for m in res.marks if m.kind == "needle")
    assert np.linalg.norm(needle.geometry[1] - needle.geometry[0]) > 38.0


def test_dorsogluteal_site_is_clear_of_nerves_and_arteries(tissue_model):
    """What scene 21's caption claims: the dorsogluteal point lies outside the danger margin."""
    from glute3d.scene import injection_data

    data = injection_data(tissue_model, 38.0)
    for side in ("r", "l"):
        name, mm = data["needles"][f"dorsogluteal_{side}"]["nearest"]
        assert mm >= data["threshold"], f"dorsogluteal_{side}: {name} only {mm:.1f} mm from the needle"


def test_injection_label_of_an_undrawn_mark(tissue_model):
    with pytest.raises(SceneError, match="injection mark that this scene does not draw") as info:
        Scene(labels=[{"target": "ventrogluteal_v_l"}], layers=[{"structures": ["femur_r"]}]).resolve(tissue_model)
    assert "'ventrogluteal_site_l'" in info.value.message, "the overlay that draws the mark is named"


# =============================================================================== new fields
def test_variants_checked_with_file_field_line(tmp_path, tissue_model):
    p = write(
        tmp_path,
        """
        title = "x"

        [variants]
        sciatic = "fibular_pierces_piriformes"
    """,
    )
    e = error_of(p, tissue_model)
    assert (e.file, e.field, e.line) == (str(p), "variants.sciatic", 4)
    assert "'fibular_pierces_piriformis'" in e.message and "normal" in e.message
    e = error_of(
        write(
            tmp_path,
            """
        [variants]
        sciatc = "normal"
    """,
        ),
        tissue_model,
    )
    assert e.field == "variants.sciatc" and "'sciatic'" in e.message and e.line == 2
    res = Scene(
        variants={"sciatic": "fibular_pierces_piriformis"},
        layers=[{"structures": ["sciatic_nerve_r"]}],
        labels=[{"target": "sciatic_nerve_r", "branch": "common_fibular_division"}],
    ).resolve(tissue_model)
    normal = Scene(layers=[{"structures": ["sciatic_nerve_r"]}]).resolve(tissue_model)
    assert not np.array_equal(res.items[0].mesh.vertices, normal.items[0].mesh.vertices)
    assert res.labels[0].kind == "curve"


def test_label_branch_and_near(tmp_path, tissue_model):
    base = """
        [[layers]]
        structures = ["superior_gluteal_nerve_r", "gluteus_minimus_r"]

        [[labels]]
        target = "superior_gluteal_nerve_r"
    """
    e = error_of(write(tmp_path, base + '        branch = "inferior_brnch"\n'), tissue_model)
    assert e.field == "labels[0].branch" and "'inferior_branch'" in e.message and e.line == 6
    e = error_of(
        write(
            tmp_path, base.replace('superior_gluteal_nerve_r"\n', 'gluteus_minimus_r"\n') + '        branch = "trunk"\n'
        ),
        tissue_model,
    )
    assert e.field == "labels[0].branch" and "nerve and artery" in e.message
    e = error_of(write(tmp_path, base + '        near = "asiss_r"\n'), tissue_model)
    assert e.field == "labels[0].near" and "'asis_r'" in e.message and e.line == 6
    res = Scene.from_file(write(tmp_path, base + '        branch = "inferior_branch"\n')).resolve(tissue_model)
    lines = __import__("glute3d.scene", fromlist=["x"]).path_centrelines(tissue_model)
    branch = lines["superior_gluteal_nerve_r"]["branches"]["inferior_branch"]
    assert np.min(np.linalg.norm(branch - res.labels[0].candidates[0], axis=1)) < 1e-9
    tfl = tissue_model.landmark("tfl_origin_r").centroid
    near = Scene.from_file(write(tmp_path, base + '        near = "tfl_origin_r"\n')).resolve(tissue_model)
    far = Scene.from_file(write(tmp_path, base)).resolve(tissue_model)
    assert np.linalg.norm(near.labels[0].candidates[0] - tfl) < np.linalg.norm(far.labels[0].candidates[0] - tfl)


def test_foramen_targets(tissue_model):
    res = Scene(
        layers=[{"structures": ["piriformis_r"]}],
        labels=[{"target": "suprapiriform_foramen_r"}, {"target": "infrapiriform_foramen_r"}],
    ).resolve(tissue_model)
    sup, inf = (L.candidates[0] for L in res.labels)
    assert sup[1] > inf[1], "the suprapiriform foramen lies above the infrapiriform one"
    assert [L.text for L in res.labels] == ["Suprapiriform foramen", "Infrapiriform foramen"]


def test_muscle_parts_by_exact_name_only(tissue_model):
    parts = ["gluteus_minimus_anterior_r", "gluteus_minimus_middle_r"]
    res = Scene(layers=[{"structures": parts}]).resolve(tissue_model)
    assert [(i.name, i.style) for i in res.items] == [
        ("gluteus_minimus_anterior_r", "muscle"),
        ("gluteus_minimus_middle_r", "muscle"),
    ]
    globbed = Scene(layers=[{"structures": ["gluteus_minimus_*"]}]).resolve(tissue_model)
    assert sorted(i.name for i in globbed.items) == ["gluteus_minimus_l", "gluteus_minimus_r"]


def test_pose_per_side(tmp_path):
    scene = Scene.from_toml('[pose]\nadduction = { r = 10, l = -10 }\nflexion = 20\nside = "l"\n')
    assert scene.pose.angles("r") == (0.0, 10.0, 0.0) and scene.pose.angles("l") == (20.0, -10.0, 0.0)
    assert Scene.from_toml(scene.to_toml()) == scene
    e = error_of(
        write(
            tmp_path,
            """
        title = "x"
        [pose]
        adduction = { r = 10, l = -60 }
    """,
        )
    )
    assert e.field == "pose.adduction" and e.line == 3 and "'l'" in e.message and "between -50 and 30" in e.message


def test_segments_and_roll(tmp_path, bone_model):
    e = error_of(
        write(
            tmp_path,
            """
        [overlays]
        segments = [{ start = "iliac_crest_top_r", end = "iliac_crest_tp_l" }]
    """,
        ),
        bone_model,
    )
    assert e.field == "overlays.segments[0].end" and "'iliac_crest_top_l'" in e.message and e.line == 2
    res = Scene(overlays={"segments": [{"start": "asis_r", "end": "asis_l", "extend": 10}]}).resolve(bone_model)
    line = res.marks[0].geometry
    a, b = bone_model.landmark("asis_r"), bone_model.landmark("asis_l")
    assert np.isclose(np.linalg.norm(line[-1] - line[0]), np.linalg.norm(b - a) + 20)
    e = error_of(write(tmp_path, "[camera]\nroll = 100\n"))
    assert e.field == "camera.roll" and "between -90 and 90" in e.message


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
        title='Quotes "and" unicode: é',
        caption="two\nlines",
        layers=[
            {
                "name": "a",
                "structures": ["femur_*"],
                "opacity": 0.4,
                "cut_away": {"origin": "lesser_trochanter_r", "normal": [0, -1, 0], "offset": 5.5},
            },
            {"structures": ["sacrum"], "highlight": True, "color": "#123456"},
        ],
        labels=[
            {"target": "asis_r", "text": "ASIS", "side": "left"},
            {"target": "sciatic_nerve_r", "branch": "tibial_division", "near": [1, 2, 3]},
        ],
        camera={
            "preset": "oblique",
            "side": "l",
            "zoom": 1.5,
            "azimuth": -10,
            "elevation": 20,
            "roll": 5,
            "projection": "perspective",
            "focus": ["hip_bone_l"],
        },
        pose={"flexion": 30, "adduction": {"r": 5, "l": -5}, "side": "r"},
        overlays={
            "landmarks": ["asis_*"],
            "colors": {"asis": "red"},
            "injection": ["quadrants_r"],
            "needle_mm": 30,
            "segments": [{"start": "asis_r", "end": [0, 0, 0], "dashed": True}],
        },
        variants={"sciatic": "fibular_pierces_piriformis"},
        legend=True,
        scale_bar=True,
        background="#202020",
        resolution=(1280, 720),
    )
    assert Scene.from_toml(scene.to_toml()) == scene
    assert Scene.from_dict(scene.to_dict()) == scene


@pytest.mark.parametrize("path", all_scene_files(), ids=lambda p: p.stem)
def test_scene_files_resolve(path, tissue_model):
    res = Scene.from_file(path).resolve(tissue_model)
    assert res.scene.title and res.scene.caption, "every lecture scene has a title and a caption"
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
    layers = [
        {"structures": ["hip_bone_r"]},
        {"structures": ["femur_r"], "hide": True},
        {"structures": ["gluteus_medius_r"], "highlight": True},
    ]
    res = Scene(layers=layers).resolve(toy_model)
    assert [(i.name, i.style) for i in res.items] == [("hip_bone_r", "bone"), ("gluteus_medius_r", "highlight")]
    layers[0]["isolate"] = True
    assert [i.name for i in Scene(layers=layers).resolve(toy_model).items] == ["hip_bone_r"]


def test_glob_matching_nothing(toy_model):
    with pytest.raises(SceneError, match="matches no structure"):
        Scene(layers=[{"structures": ["piriformis_*"]}]).resolve(toy_model)
    res = Scene(layers=[{"structures": ["piriformis_*", "femur_r"], "optional": True}]).resolve(toy_model)
    assert [i.name for i in res.items] == ["femur_r"]


def test_known_but_absent_structure(tissue_model):
    absent = "trochanteric_bursa_of_gluteus_minimus_r"  # in the knowledge base, not (yet) in the model
    if absent in tissue_model.meshes:
        pytest.skip("the model has bursae now")
    with pytest.raises(SceneError, match="not in the model yet"):
        Scene(layers=[{"structures": [absent]}]).resolve(tissue_model)


def test_labels_default_text_and_sides(toy_model):
    res = Scene(labels=[{"target": "asis_r"}, {"target": "hip_bone_r"}]).resolve(toy_model)
    assert [L.text for L in res.labels] == ["Anterior superior iliac spine", "Hip bone"]
    res = Scene(labels=[{"target": "asis_r"}], label_sides="always").resolve(toy_model)
    assert res.labels[0].text == "Anterior superior iliac spine, right"
    res = Scene(labels=[{"target": "skin"}]).resolve(toy_model)
    assert res.labels[0].text == "Skin"


def test_label_target_unknown(tmp_path, toy_model):
    p = write(
        tmp_path,
        """
        [[labels]]
        target = "asis_r"

        [[labels]]
        target = "assis_r"
    """,
    )
    e = error_of(p, toy_model)
    assert e.field == "labels[1].target" and "'asis_r'" in e.message and e.line == 5


def test_overlay_landmark_unknown(tmp_path, bone_model):
    e = error_of(
        write(
            tmp_path,
            """
        [overlays]
        landmarks = ["asis_r", "gt_anterior_facit_r"]
    """,
        ),
        bone_model,
    )
    assert e.field == "overlays.landmarks[1]" and "'gt_anterior_facet_r'" in e.message and e.line == 2


def test_overlays_resolve_kinds(bone_model):
    res = Scene(overlays={"landmarks": ["asis_r", "iliac_crest_r", "gt_*_facet_r"]}).resolve(bone_model)
    kinds = {o.name: o.kind for o in res.overlays}
    assert kinds["asis_r"] == "point" and kinds["iliac_crest_r"] == "curve"
    assert kinds["gt_lateral_facet_r"] == "region"
    assert sum(k == "region" for k in kinds.values()) == 4


def test_cut_away_origin_landmark(bone_model):
    scene = Scene(
        layers=[
            {
                "structures": ["femur_r"],
                "cut_away": {"origin": "lesser_trochanter_r", "normal": [0, -2, 0], "offset": 10},
            }
        ]
    )
    cut = scene.resolve(bone_model).items[0].cut
    assert np.allclose(cut.normal, [0, -1, 0])
    assert np.isclose(cut.origin[1], bone_model.landmark("lesser_trochanter_r")[1] - 10)
    assert cut.cap
    with pytest.raises(SceneError, match="unknown landmark"):
        Scene(
            layers=[{"structures": ["femur_r"], "cut_away": {"origin": "lesser_trochanter", "normal": [0, -1, 0]}}]
        ).resolve(bone_model)
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


# =============================================================================== the model a scene needs
def test_scenes_draw_in_the_models_order(tissue_model):
    """Deep to superficial, as the model lists its meshes: legends follow this order."""
    from glute3d.scene.source import StructureIndex

    index = StructureIndex(tissue_model)
    assert index.globbable == list(tissue_model.meshes)
    assert set(index.parts) == set(tissue_model.muscle_parts())


def test_only_the_structures_a_scene_names_are_built(bone_model):
    """Soft tissue is generated on first use: a scene of bones and one muscle asks for nothing else."""
    asked: list[str] = []

    class Recorder:
        def __init__(self, model):
            self._m = model

        def structure(self, name):
            asked.append(name)
            return self._m.structure(name) if name != "gluteus_minimus_r" else self._m.structure("femur_r")

        def __getattr__(self, name):
            if name in ("meshes", "muscles", "paths", "skin", "muscle_parts"):
                raise AssertionError(f"model.{name} was used")
            return getattr(self._m, name)

    scene = Scene(
        layers=[{"structures": ["femur_*"]}, {"structures": ["gluteus_minimus_r"]}], camera={"focus": ["hip_bone_r"]}
    )
    res = scene.resolve(Recorder(bone_model))
    assert sorted(asked) == ["femur_l", "femur_r", "gluteus_minimus_r", "hip_bone_r"]
    assert [i.name for i in res.items] == ["femur_r", "femur_l", "gluteus_minimus_r"]


def test_a_model_without_variants_says_so(toy_model):
    with pytest.raises(SceneError, match="no anatomical variants") as info:
        Scene(variants={"sciatic": "normal"}).resolve(toy_model)
    assert info.value.field == "variants"


# =============================================================================== theme
def theme_with(old: str, new: str) -> str:
    from glute3d.io.datafiles import data_text

    text = data_text("theme.toml")
    assert old in text
    return text.replace(old, new, 1)


def test_theme_errors_name_file_field_line_and_fix():
    from glute3d.errors import DataFileError
    from glute3d.scene.theme import read_theme

    text = theme_with("min_size = 11", "min_size = 0")
    with pytest.raises(DataFileError) as info:
        read_theme(text, "theme.toml")
    e = info.value
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("min_size = 0"))
    assert (e.file, e.field, e.line) == ("theme.toml", "text.min_size", line)
    assert "between 1 and 200" in e.message and "\n" not in str(e)
    with pytest.raises(DataFileError, match="styles.skin.opacity: 1.35 is out of range; must be between 0 and 1"):
        read_theme(theme_with("opacity = 0.35", "opacity = 1.35"), "theme.toml")
    with pytest.raises(DataFileError, match="unknown field 'ambiant'; did you mean 'ambient'"):
        read_theme(theme_with("ambient = 0.22", "ambiant = 0.22"), "theme.toml")
    with pytest.raises(DataFileError, match="'muscel' is not a style; did you mean 'muscle'"):
        read_theme(theme_with('muscle_part = "muscle"', 'muscle_part = "muscel"'), "theme.toml")
    with pytest.raises(DataFileError, match="unknown colour 'blurple'"):
        read_theme(theme_with('needle_color = "#2b2f36"', 'needle_color = "blurple"'), "theme.toml")
    with pytest.raises(DataFileError, match="stops must rise from 0 to 1"):
        read_theme(theme_with("[0.38,", "[0.10,"), "theme.toml")


def test_the_packaged_theme_is_valid():
    from glute3d.scene import load_theme

    theme = load_theme()
    assert set(theme["styles"]) >= {"bone", "muscle", "nerve", "artery", "skin", "bursa", "highlight", "other"}


# =============================================================================== surface lines
def test_iso_lines_of_a_sphere_is_its_equator():
    import pyvista as pv

    from glute3d.geometry.mesh import Mesh
    from glute3d.scene import iso_lines

    sphere = Mesh.from_pyvista(pv.Sphere(radius=50.0, theta_resolution=60, phi_resolution=41).triangulate())
    lines = iso_lines(sphere, sphere.vertices[:, 2], 0.0, sphere.vertex_normals)
    assert len(lines) == 1, "one closed ring"
    pts, normals = lines[0]
    assert np.allclose(pts[:, 2], 0.0, atol=1e-9)
    r = np.linalg.norm(pts, axis=1)
    # on chords of a sphere whose vertices are float32: inside it by at most the sag of a 7.5 degree chord
    assert r.max() <= 50.0 + 1e-4 and r.min() > 50.0 * np.cos(np.radians(7.5 / 2))
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0)
    assert np.all(np.sum(normals * pts, axis=1) > 0), "normals point outward"
    assert np.array_equal(pts[0], pts[-1]), "the ring closes on itself"
    assert iso_lines(sphere, sphere.vertices[:, 2], 60.0) == [], "no crossing, no line"


# =============================================================================== every unknown name; warnings
def test_every_unknown_name_at_once_each_with_names_of_its_kind(tmp_path, tissue_model):
    p = write(
        tmp_path,
        """
        [[layers]]
        structures = ["hip_bone_r", "gluteus_minimis_r", "asis_r"]

        [overlays]
        landmarks = ["gluteus_medius_r"]
        injection = ["quadrants_r"]

        [[labels]]
        target = "suprapiriform_foramn_r"

        [[labels]]
        target = "dorsoglutael_r"
        near = "psiss_r"

        [[labels]]
        target = "hip_bone_r"
        near = "femur_r"
    """,
    )

    class Counting:  # a scene that fails builds no mesh: generating soft tissue would only delay the message
        def __init__(self, model):
            self._m, self.built = model, []

        def structure(self, name):
            return self.built.append(name) or self._m.structure(name)

        def __getattr__(self, name):
            return getattr(self._m, name)

    text = str(error_of(p, counting := Counting(tissue_model)))
    assert counting.built == []
    assert "\n" not in text and text.startswith(f"{p}: 6 unknown names: "), text
    assert text.split(": 6 unknown names: ")[1].startswith(
        "layers[0].structures[1] 'gluteus_minimis_r' (line 2; did you mean 'gluteus_minimus_r'?); "
    )
    for part in [
        "layers[0].structures[2] 'asis_r' (line 2; a landmark: draw it with overlays.landmarks)",
        "overlays.landmarks[0] 'gluteus_medius_r' (line 5; a structure: draw it in a [[layers]] table)",
        "labels[0].target 'suprapiriform_foramn_r' (line 9; did you mean 'suprapiriform_foramen_r'?)",
        "labels[1].target 'dorsoglutael_r' (line 12; did you mean 'dorsogluteal_r'?)",
        "labels[1].near 'psiss_r' (line 13; did you mean 'psis_r'?)",
    ]:
        assert part in text, part
    # alone, each keeps the one-problem form: file, field, message with the names of its kind, line
    one = str(error_of(write(tmp_path, '[[labels]]\ntarget = "suprapiriform_foramn_r"\n'), tissue_model))
    assert one == (
        f"{tmp_path / 'scene.toml'}: labels[0].target: unknown foramen 'suprapiriform_foramn_r'; "
        "did you mean 'suprapiriform_foramen_r'? (line 2)"
    )


def test_every_unknown_injection_overlay_at_once(tmp_path):
    e = error_of(write(tmp_path, '[overlays]\ninjection = ["quadrants_r", "quadrant_l", "saftey_map_r"]\n'))
    assert e.field == "overlays.injection" and e.line == 2
    assert e.message.startswith(
        "2 unknown injection overlays: [1] 'quadrant_l' (did you mean 'quadrants_l'?); "
        "[2] 'saftey_map_r' (did you mean 'safety_map_r'?); choose from quadrants_r, "
    )


def test_a_scene_without_layers_draws_everything_and_says_so(toy_model):
    for text in ("", 'title = "Hip"\n'):
        res = Scene.from_toml(text).resolve(toy_model)
        assert [i.name for i in res.items] == list(toy_model.meshes)
        assert res.warnings == [
            "the scene has no [[layers]], so all 4 structures of the model are drawn, each in its own style; "
            "add [[layers]] tables to choose what to show, e.g. [[layers]] structures = ['hip_bone_r']"
        ]
    assert Scene(layers=[{"structures": ["*"]}]).resolve(toy_model).warnings == []
    hidden = Scene(layers=[{"structures": ["femur_r"], "hide": True}]).resolve(toy_model)
    assert hidden.items == [] and hidden.warnings == [
        "no structure is drawn: every layer is hidden (hide = true); show a layer or name structures the model has"
    ]


def test_a_structure_in_two_layers_warns_which_style_wins(toy_model):
    layers = [
        {"name": "Bones", "structures": ["hip_bone_r", "femur_r"]},
        {"structures": ["femur_r"], "style": "muscle"},
        {"structures": ["femur_r"], "style": "nerve", "hide": True},  # left out: takes nothing
    ]
    res = Scene(layers=layers).resolve(toy_model)
    assert [(i.name, i.style) for i in res.items] == [("hip_bone_r", "bone"), ("femur_r", "muscle")]
    assert res.warnings == [
        "structure 'femur_r' is named by layers[0] ('Bones') and layers[1]; the later one, layers[1], draws it "
        "(style 'muscle'); remove it from the other layer"
    ]
    globbed = Scene(layers=[{"structures": ["*_r"]}, {"structures": ["femur_r"], "style": "muscle"}])
    assert globbed.resolve(toy_model).warnings == [], "a glob and an exact name are no conflict"
