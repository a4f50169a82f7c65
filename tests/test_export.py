"""Exports for the classroom: lecture slides (PPTX) and 3D models (glTF binary), from the API and the CLI.

The files are read back with independent readers (python-pptx, pygltflib, trimesh) and checked
for what a lecturer relies on: order, titles, captions and notes, undistorted pictures, node
names, facts, colours and translucency, size in metres, reproducible bytes, and one-line errors
that leave nothing half-written.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import SCENES
from glute3d.cli import main
from test_cli import SMALL, one_error_line
from test_cli import scene_file as write_scene

pygltflib = pytest.importorskip("pygltflib")
pptx = pytest.importorskip("pptx")


def no_temporary_files(folder: Path) -> bool:
    return not [p for p in folder.rglob(".*") if p.name.endswith(".tmp")]


# =============================================================================== glTF helpers
_DTYPES = {5126: np.float32, 5125: np.uint32, 5123: np.uint16}
_WIDTH = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}


def load_glb(data: bytes):
    """The glTF document (pygltflib) and its JSON, checking the GLB container on the way."""
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_len, json_type = struct.unpack("<II", data[12:20])
    assert json_type == 0x4E4F534A and json_len % 4 == 0
    doc = json.loads(data[20 : 20 + json_len])
    return pygltflib.GLTF2.load_from_bytes(data), doc


def accessor(g, index: int) -> np.ndarray:
    acc = g.accessors[index]
    view = g.bufferViews[acc.bufferView]
    n = acc.count * _WIDTH[acc.type]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    out = np.frombuffer(g.binary_blob(), _DTYPES[acc.componentType], n, start)
    return out.reshape(acc.count, -1) if _WIDTH[acc.type] > 1 else out


def node_arrays(g, name: str) -> dict[str, np.ndarray]:
    node = next(n for n in g.nodes if n.name == name)
    prim = g.meshes[node.mesh].primitives[0]
    out = {
        "positions": accessor(g, prim.attributes.POSITION),
        "normals": accessor(g, prim.attributes.NORMAL),
        "faces": accessor(g, prim.indices).reshape(-1, 3),
    }
    if prim.attributes.COLOR_0 is not None:
        out["colors"] = accessor(g, prim.attributes.COLOR_0)
    return out


def material_of(g, name: str):
    node = next(n for n in g.nodes if n.name == name)
    return g.materials[g.meshes[node.mesh].primitives[0].material]


def srgb(linear: float) -> float:
    return 12.92 * linear if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055


def theme_rgb(style: str) -> tuple[float, float, float]:
    from glute3d.scene import load_theme, parse_color

    return parse_color(load_theme()["styles"][style]["color"])


# =============================================================================== glTF from the API
TOY = {
    "title": "Toy hip",
    "caption": "Simple shapes.",
    "layers": [
        {
            "name": "Bone",
            "structures": ["hip_bone_r", "femur_r"],
            "cut_away": {"origin": [0, -100, 0], "normal": [0, -1, 0]},
        },
        {"name": "Muscle", "structures": ["gluteus_medius_r"], "color": "#336699"},
        {"name": "Skin", "structures": ["skin"], "opacity": 0.35},
    ],
}


@pytest.fixture(scope="module")
def toy_glb(toy_model):
    from glute3d.export import resolved_glb
    from glute3d.scene import Scene

    res = Scene.from_dict(TOY).resolve(toy_model)
    return res, resolved_glb(res, source="toy.toml")


def test_glb_has_one_named_node_per_drawn_structure_in_metres(toy_glb, toy_model):
    res, data = toy_glb
    g, doc = load_glb(data)
    assert (
        [n.name for n in g.nodes]
        == [i.name for i in res.items]
        == ["hip_bone_r", "femur_r", "gluteus_medius_r", "skin"]
    )
    assert g.scenes[g.scene].nodes == list(range(4)) and g.scenes[0].name == "Toy hip"
    assert doc["scenes"][0]["extras"]["caption"] == "Simple shapes." and doc["scenes"][0]["extras"]["units"] == "metres"
    assert [m.name for m in g.meshes] == [n.name for n in g.nodes]
    # mm -> m and nothing else (Y stays superior): the toy's hip bone is a sphere of 40 mm
    hip = node_arrays(g, "hip_bone_r")
    np.testing.assert_allclose(hip["positions"], toy_model.structure("hip_bone_r").vertices / 1000.0, atol=1e-7)
    assert np.linalg.norm(hip["positions"], axis=1).max() == pytest.approx(0.040, abs=1e-4)
    # unit normals, pointing out of the sphere; POSITION bounds as the spec requires
    np.testing.assert_allclose(np.linalg.norm(hip["normals"], axis=1), 1.0, atol=1e-5)
    assert (np.einsum("ij,ij->i", hip["positions"], hip["normals"]) > 0).all()
    pos_acc = g.accessors[g.meshes[0].primitives[0].attributes.POSITION]
    np.testing.assert_allclose(pos_acc.min, hip["positions"].min(axis=0))
    np.testing.assert_allclose(pos_acc.max, hip["positions"].max(axis=0))


def test_glb_applies_the_cut_away(toy_glb, toy_model):
    _, data = toy_glb
    g, _ = load_glb(data)
    femur = node_arrays(g, "femur_r")["positions"]
    whole = toy_model.structure("femur_r").vertices / 1000.0
    assert whole[:, 1].min() < -0.13  # the toy femur reaches 135 mm down ...
    assert femur[:, 1].min() >= -0.100 - 1e-6  # ... the layer's cut-away takes what lies below 100 mm
    assert femur[:, 1].max() == pytest.approx(whole[:, 1].max(), abs=1e-6)
    assert material_of(g, "femur_r").doubleSided  # a cut may open a surface: both sides shown


def test_glb_materials_take_the_scene_colours_and_blend_translucent_layers(toy_glb):
    _, data = toy_glb
    g, _ = load_glb(data)
    expected = {
        "hip_bone_r": (theme_rgb("bone"), 1.0, "OPAQUE"),
        "gluteus_medius_r": ((0x33 / 255, 0x66 / 255, 0x99 / 255), 1.0, "OPAQUE"),
        "skin": (theme_rgb("skin"), 0.35, "BLEND"),
    }
    for name, (rgb, alpha, mode) in expected.items():
        m = material_of(g, name)
        factor = m.pbrMetallicRoughness.baseColorFactor
        assert [srgb(c) for c in factor[:3]] == pytest.approx(list(rgb), abs=1e-4), name  # linear light
        assert factor[3] == pytest.approx(alpha) and m.alphaMode == mode, name
        assert m.pbrMetallicRoughness.metallicFactor == 0.0
    assert material_of(g, "hip_bone_r") is material_of(g, "femur_r")  # one material per layer
    assert [m.name for m in g.materials] == ["Bone", "Muscle", "Skin"]


def test_glb_extras_carry_names_ids_and_key_facts(toy_glb):
    from glute3d.anatomy.knowledge import facts

    _, data = toy_glb
    g, _ = load_glb(data)
    extras = {n.name: n.extras for n in g.nodes}
    med = extras["gluteus_medius_r"]
    f = facts("gluteus_medius_r")
    assert (med["display"], med["latin"], med["fma"], med["uberon"]) == (f.display, f.latin, f.fma, f.uberon)
    assert med["innervation"] == "Superior gluteal nerve (L4, L5, S1)"
    assert any("greater trochanter" in s for s in med["insertion"])
    assert any("ilium" in s for s in med["origin"])
    assert "Abduction at the hip" in med["action"]
    assert med["layer"] == "Muscle" and med["style"] == "muscle"
    assert extras["femur_r"]["latin"] == "Femur" and extras["femur_r"]["cut_away"] is True
    assert extras["skin"]["display"] == "Skin" and "latin" not in extras["skin"]  # not in the knowledge base


def test_glb_is_reproducible_and_trimesh_reads_it(toy_glb, toy_model, tmp_path):
    import trimesh

    from glute3d.export import resolved_glb, write_glb
    from glute3d.scene import Scene

    res, data = toy_glb
    assert resolved_glb(res, source="toy.toml") == data
    a = write_glb(Scene.from_dict(TOY), toy_model, tmp_path / "a.glb")
    b = write_glb(Scene.from_dict(TOY), toy_model, tmp_path / "b.glb")
    assert a.path.read_bytes() == b.path.read_bytes() and a.size == a.path.stat().st_size
    assert a.structures == ["hip_bone_r", "femur_r", "gluteus_medius_r", "skin"]
    scene = trimesh.load(a.path, force="scene")
    assert set(scene.graph.nodes_geometry) == set(a.structures)
    hip = scene.geometry["hip_bone_r"]
    assert hip.is_winding_consistent and hip.volume > 0  # counter-clockwise seen from outside
    assert hip.volume == pytest.approx(4 / 3 * np.pi * 0.040**3, rel=0.02)


def test_glb_keeps_the_safety_map_colours_per_vertex(toy_model):
    from glute3d.export import resolved_glb
    from glute3d.scene import DrawItem, ResolvedScene, Scene

    skin = toy_model.structure("skin")
    colors = np.zeros((len(skin.vertices), 3))
    colors[:, 0] = 1.0  # red everywhere
    res = ResolvedScene(scene=Scene.from_dict({"title": "Map"}))
    res.items.append(DrawItem("skin", skin, "skin", None, 1.0, "Skin", None, colors))
    g, _ = load_glb(resolved_glb(res))
    arrays = node_arrays(g, "skin")
    np.testing.assert_allclose(arrays["colors"], np.tile([1.0, 0.0, 0.0], (len(skin.vertices), 1)))
    m = material_of(g, "skin")
    assert m.pbrMetallicRoughness.baseColorFactor == [1.0, 1.0, 1.0, 1.0] and m.alphaMode == "OPAQUE"


def test_glb_of_a_scene_without_structures_is_one_clear_error(toy_model):
    from glute3d.export import ExportError, resolved_glb
    from glute3d.scene import Scene

    hidden = Scene.from_dict({"layers": [{"structures": ["hip_bone_r"], "hide": True}]})
    with pytest.raises(ExportError, match="nothing to export: the scene draws no structure") as info:
        resolved_glb(hidden.resolve(toy_model), source="x.toml")
    assert str(info.value).startswith("x.toml: ") and "\n" not in str(info.value)
    everything_cut = Scene.from_dict(
        {"layers": [{"structures": ["hip_bone_r"], "cut_away": {"origin": [0, 100, 0], "normal": [0, -1, 0]}}]}
    )
    with pytest.raises(ExportError, match="cut-aways remove every structure"):
        resolved_glb(everything_cut.resolve(toy_model))


# =============================================================================== glTF of the real model
def _scene(data: dict):
    from glute3d.scene import Scene

    return Scene.from_dict(data)


def test_glb_of_the_model_is_adult_sized(tissue_model, tmp_path):
    from glute3d.export import write_glb

    bones = {"layers": [{"name": "Bone", "structures": ["hip_bone_*", "sacrum", "coccyx", "femur_*"]}]}
    result = write_glb(_scene(bones), tissue_model, tmp_path / "bones.glb")
    g, _ = load_glb(result.path.read_bytes())
    assert [n.name for n in g.nodes] == ["hip_bone_r", "hip_bone_l", "sacrum", "coccyx", "femur_r", "femur_l"]
    femur = node_arrays(g, "femur_r")["positions"]
    assert 0.40 < np.ptp(femur[:, 1]) < 0.50  # an adult femur is 40-50 cm long, along Y (superior)
    asis = {}
    for side in "rl":
        hip = node_arrays(g, f"hip_bone_{side}")["positions"]
        point = tissue_model.landmark(f"asis_{side}") / 1000.0
        assert np.linalg.norm(hip - point, axis=1).min() < 0.002  # the landmark lies on the exported bone
        asis[side] = point
    assert 0.20 < np.linalg.norm(asis["r"] - asis["l"]) < 0.28  # adult inter-ASIS distance, metres
    assert (node_arrays(g, "hip_bone_r")["positions"][:, 2] > 0).all()  # Z to the subject's right


def test_glb_of_every_structure_stays_small(tissue_model, tmp_path):
    from glute3d.export import write_glb

    names = tissue_model.structure_names()
    kinds: dict[str, list[str]] = {}
    for n in names:
        kinds.setdefault(tissue_model.structure_kind(n), []).append(n)
    scene = _scene({"layers": [{"name": k, "structures": v} for k, v in kinds.items()]})
    result = write_glb(scene, tissue_model, tmp_path / "all.glb")
    assert result.path.stat().st_size < 10_000_000
    g, _ = load_glb(result.path.read_bytes())
    assert sorted(n.name for n in g.nodes) == sorted(names) and len(g.nodes) == len(names)
    for n in g.nodes:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", n.name), n.name
        assert n.extras["display"], n.name
    assert {"gluteus_medius_r", "gluteus_medius_l", "gluteus_minimus_anterior_r", "sciatic_nerve_l", "skin"} <= set(
        result.structures
    )
    assert material_of(g, "skin").alphaMode == "BLEND"
    extras = {n.name: n.extras for n in g.nodes}
    assert extras["gluteus_minimus_anterior_r"]["part_of"] == "Gluteus minimus"
    assert extras["gluteus_minimus_anterior_r"]["innervation"].startswith("Superior gluteal nerve")
    assert extras["sciatic_nerve_l"]["origin"] == ["Sacral plexus (L4, L5, S1, S2, S3)"]
    assert "Gluteus medius" in extras["superior_gluteal_nerve_r"]["supplies"]


def test_glb_of_a_project_scene_follows_its_cut_aways(tissue_model):
    import trimesh

    from glute3d.export import resolved_glb
    from glute3d.scene import Scene

    scene = Scene.from_file(SCENES / "14_piriformis_and_sciatic_foramina.toml")
    res = scene.resolve(tissue_model)
    g, doc = load_glb(resolved_glb(res, source="14.toml"))
    assert [n.name for n in g.nodes] == [i.name for i in res.items]
    cut_y = (tissue_model.landmark("lesser_trochanter_r")[1] - 60.0) / 1000.0  # as in the scene file
    femur = node_arrays(g, "femur_r")
    assert femur["positions"][:, 1].min() >= cut_y - 1e-4
    assert tissue_model.structure("femur_r").vertices[:, 1].min() / 1000.0 < cut_y - 0.1
    capped = trimesh.Trimesh(femur["positions"], femur["faces"])  # bones are capped where cut
    capped.merge_vertices(merge_tex=True, merge_norm=True)
    assert capped.is_watertight and capped.volume > 0
    assert material_of(g, "piriformis_r").extras["style"] == "highlight"
    assert doc["scenes"][0]["extras"]["source"] == "14.toml"


def test_glb_is_posed_like_the_picture(tissue_model):
    from glute3d.export import resolved_glb

    layers = [{"structures": ["hip_bone_r", "femur_r"]}]
    neutral, _ = load_glb(resolved_glb(_scene({"layers": layers}).resolve(tissue_model)))
    posed, _ = load_glb(resolved_glb(_scene({"layers": layers, "pose": {"adduction": 10}}).resolve(tissue_model)))
    np.testing.assert_array_equal(
        node_arrays(neutral, "hip_bone_r")["positions"], node_arrays(posed, "hip_bone_r")["positions"]
    )
    a, b = node_arrays(neutral, "femur_r")["positions"], node_arrays(posed, "femur_r")["positions"]
    assert np.linalg.norm(a - b, axis=1).max() > 0.03  # the knee end swings by several centimetres
    pairs = np.linalg.norm(a[1:] - a[0], axis=1), np.linalg.norm(b[1:] - b[0], axis=1)
    np.testing.assert_allclose(*pairs, atol=1e-6)  # rigidly


# =============================================================================== slides from the API
def _png(path: Path, size: tuple[int, int], colour: str) -> Path:
    from PIL import Image

    Image.new("RGB", size, colour).save(path)
    return path


@pytest.fixture()
def three_slides(tmp_path):
    from glute3d.export import Slide

    wide = _png(tmp_path / "01_wide.png", (1920, 1080), "#a03020")
    square = _png(tmp_path / "02_square.png", (800, 800), "#2050a0")
    tall = _png(tmp_path / "03_tall.png", (600, 900), "#20a050")
    long_caption = " ".join(["The superior gluteal nerve runs between gluteus medius and minimus."] * 5)
    return [
        Slide(wide, "Bones of the hip", "Posterior view of the pelvis.", "01_wide.toml"),
        Slide(square, "Piriformis and the supra- and infrapiriform foramina", long_caption, "02_square.toml"),
        Slide(tall, "No caption", "", "03_tall.toml"),
    ]


def _emu_in(x: int) -> float:
    return x / 914400.0


def _pictures(slide):
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    return [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]


def test_slides_in_order_with_titles_pictures_captions_and_notes(three_slides, tmp_path):
    from pptx import Presentation

    from glute3d.export import write_pptx

    path = write_pptx(three_slides, tmp_path / "out" / "lecture.pptx")
    prs = Presentation(str(path))
    assert prs.slide_width * 9 == prs.slide_height * 16  # 16:9
    assert len(prs.slides) == 3
    for slide, spec in zip(prs.slides, three_slides):
        assert slide.shapes.title.text == spec.title
        (pic,) = _pictures(slide)
        assert pic.image.blob == Path(spec.picture).read_bytes()  # the deck's own picture, unchanged
        from PIL import Image

        with Image.open(spec.picture) as img:
            aspect = img.width / img.height
        assert pic.width / pic.height == pytest.approx(aspect, rel=0.005)  # not distorted
        assert 0 <= pic.left and pic.left + pic.width <= prs.slide_width
        assert abs((pic.left + pic.width / 2) - prs.slide_width / 2) < 914400 * 0.02  # centred
        title = slide.shapes.title
        assert pic.top >= title.top + title.height  # below the title
        assert all(r.font.size.pt >= 28 and r.font.bold for p in title.text_frame.paragraphs for r in p.runs)
        notes = slide.notes_slide.notes_text_frame.text
        assert notes.startswith(spec.caption) and notes.endswith(f"Scene: {spec.source}")
        captions = [s for s in slide.shapes if s.has_text_frame and s.name == "Caption"]
        if spec.caption:
            (cap,) = captions
            assert cap.text_frame.text == spec.caption
            assert all(r.font.size.pt >= 20 for p in cap.text_frame.paragraphs for r in p.runs)
            assert pic.top + pic.height <= cap.top  # above the caption
            assert cap.top + cap.height <= prs.slide_height
        else:
            assert not captions
        # as big as fits: the picture spans the width, or the height between title and caption
        bottom = captions[0].top if captions else prs.slide_height
        room = bottom - (title.top + title.height)
        assert _emu_in(pic.width) > 12.0 or pic.height > 0.9 * room


def test_slides_of_scene_pictures_show_them_once_and_larger(tmp_path, toy_model):
    """A deck picture carries the scene's title and caption: on its slide they are cropped off
    (the slide sets them as text) and the picture fills more of the slide."""
    from pptx import Presentation

    from glute3d.export import Slide, write_pptx
    from glute3d.export.slides import trim_picture
    from glute3d.render import render, write_png
    from glute3d.render.layout import text_bands
    from glute3d.scene import Scene, load_theme

    text = (SCENES / "13_superior_gluteal_nerve_and_artery.toml").read_text()
    scene_path = tmp_path / "13.toml"
    scene_path.write_text(text)
    scene = Scene.from_file(scene_path)
    toy = Scene.from_dict(
        {
            "title": scene.title,
            "caption": scene.caption,
            "resolution": [1920, 1080],
            "layers": [{"structures": ["hip_bone_r", "femur_r"]}],
        }
    )
    image = render(toy, toy_model, anti_aliasing=False).image
    png = write_png(image, tmp_path / "13.png")
    plain = Slide(png, scene.title, scene.caption, "13.toml")
    cropped = Slide(png, scene.title, scene.caption, "13.toml", scene=scene_path)
    prs = Presentation(str(write_pptx([plain, cropped], tmp_path / "s.pptx")))
    (before,), (after,) = (_pictures(s) for s in prs.slides)
    top, bottom = text_bands(scene, load_theme(), (1920, 1080))
    assert top > 40 and bottom > 40
    shown = trim_picture(image[top : 1080 - bottom])
    h, w = shown.shape[:2]
    assert after.image.size == (w, h) and w * h < 1920 * (1080 - top - bottom)  # bands and empty background go
    assert after.width / after.height == pytest.approx(w / h, rel=0.005)  # not distorted
    assert after.height / h > 1.1 * before.height / 1080  # the anatomy is larger on the slide


def test_slides_are_reproducible(three_slides, tmp_path, monkeypatch):
    from glute3d.export import write_pptx
    from glute3d.export.slides import FIXED_TIME

    first = write_pptx(three_slides, tmp_path / "a.pptx").read_bytes()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 3 * 86400)  # three days later
    second = write_pptx(three_slides, tmp_path / "b.pptx").read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    from pptx import Presentation

    props = Presentation(str(tmp_path / "a.pptx")).core_properties
    assert props.created == props.modified == FIXED_TIME and props.revision == 1


def test_slides_refuse_a_missing_picture_and_write_nothing(three_slides, tmp_path):
    from glute3d.export import ExportError, Slide, write_pptx

    target = tmp_path / "lecture.pptx"
    target.write_bytes(b"the old deck")
    with pytest.raises(ExportError, match="no such picture"):
        write_pptx([*three_slides, Slide(tmp_path / "gone.png", "Gone")], target)
    with pytest.raises(ExportError, match="no slides"):
        write_pptx([], target)
    assert target.read_bytes() == b"the old deck" and no_temporary_files(tmp_path)


# =============================================================================== the CLI
GOOD = """
title = "Small test scene"
caption = "Right hip bone from the side."
resolution = [320, 240]

[camera]
preset = "lateral"
side = "r"

[[layers]]
structures = ["hip_bone_r"]
"""

ONLY_OVERLAYS = """
title = "Landmarks only"

[[layers]]
structures = ["hip_bone_r"]
hide = true

[overlays]
landmarks = ["asis_r", "psis_r"]
"""


def test_deck_writes_slides_of_the_rendered_scenes(tmp_path, capsys):
    from pptx import Presentation

    scenes = tmp_path / "scenes"
    write_scene(scenes, "01_a.toml", GOOD)
    write_scene(scenes, "02_bad.toml", GOOD.replace("hip_bone_r", "hip_bone_x"))
    write_scene(scenes, "03_b.toml", GOOD.replace("Small test scene", "Second scene"))
    out = tmp_path / "deck"
    pptx_path = out / "lecture.pptx"
    args = ["deck", str(scenes), "-o", str(out), *SMALL, "--pptx", str(pptx_path)]
    assert main(args) == 1  # a scene failed: reported, and left out of the slides
    captured = capsys.readouterr()
    assert "2 rendered, 0 up to date, 1 failed" in captured.out and "slides: 2 in" in captured.out
    assert "hip_bone_x" in one_error_line(captured.err)
    prs = Presentation(str(pptx_path))
    assert [s.shapes.title.text for s in prs.slides] == ["Small test scene", "Second scene"]
    from PIL import Image

    from glute3d.export.slides import trim_picture
    from glute3d.render import text_bands
    from glute3d.scene import Scene, load_theme

    for slide, png in zip(prs.slides, ["01_a.png", "03_b.png"]):
        (pic,) = _pictures(slide)
        # the deck's picture without its own title and caption bands, pixel for pixel
        top, bottom = text_bands(Scene.from_file(scenes / png.replace(".png", ".toml")), load_theme(), (320, 240))
        assert top > 0 and bottom > 0
        full = np.asarray(Image.open(out / png).convert("RGB"))
        shown = np.asarray(Image.open(io.BytesIO(pic.image.blob)).convert("RGB"))
        assert np.array_equal(shown, trim_picture(full[top : full.shape[0] - bottom]))
        assert slide.notes_slide.notes_text_frame.text.startswith("Right hip bone from the side.")
    first = pptx_path.read_bytes()
    assert main(args) == 1
    assert "0 rendered, 2 up to date, 1 failed" in capsys.readouterr().out
    assert pptx_path.read_bytes() == first  # the same scenes, the same file


def test_deck_checks_the_slides_file_before_rendering(tmp_path, capsys):
    scenes = tmp_path / "scenes"
    write_scene(scenes, "a.toml", GOOD)
    out = tmp_path / "deck"
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["deck", str(scenes), "-o", str(out), *SMALL, "--pptx", str(blocker / "lecture.pptx")]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "cannot write" in line and "--pptx" in line
    assert main(["deck", str(scenes), "-o", str(out), *SMALL, "--pptx", str(tmp_path / "lecture.ppt")]) == 1
    assert "must end in .pptx" in one_error_line(capsys.readouterr().err)
    assert not out.exists()  # nothing rendered


def test_deck_of_only_failed_scenes_writes_no_slides(tmp_path, capsys):
    scenes = tmp_path / "scenes"
    write_scene(scenes, "bad.toml", GOOD.replace("hip_bone_r", "hip_bone_x"))
    pptx_path = tmp_path / "deck" / "lecture.pptx"
    assert main(["deck", str(scenes), "-o", str(tmp_path / "deck"), *SMALL, "--pptx", str(pptx_path)]) == 1
    err = capsys.readouterr().err
    assert "no slides written: every scene failed" in err and "Traceback" not in err
    assert not pptx_path.exists() and no_temporary_files(tmp_path)


def test_export_writes_a_glb(tmp_path, capsys):
    scene = write_scene(tmp_path, "hip.toml", GOOD)
    out = tmp_path / "models" / "hip.glb"
    assert main(["export", str(scene), "--glb", str(out)]) == 0
    assert f"wrote {out} (1 structure," in capsys.readouterr().out
    g, doc = load_glb(out.read_bytes())
    assert [n.name for n in g.nodes] == ["hip_bone_r"]
    assert doc["scenes"][0]["extras"]["source"] == "hip.toml"


def test_export_of_nothing_exportable_is_one_line_and_keeps_the_old_file(tmp_path, capsys):
    scene = write_scene(tmp_path, "marks.toml", ONLY_OVERLAYS)
    out = tmp_path / "marks.glb"
    out.write_bytes(b"an older model")
    assert main(["export", str(scene), "--glb", str(out)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("glute3d: error: marks.toml: nothing to export") and "[[layers]]" in line
    assert out.read_bytes() == b"an older model" and no_temporary_files(tmp_path)


def test_export_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    scene = write_scene(tmp_path, "hip.toml", GOOD)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["export", str(scene), "--glb", str(blocker / "hip.glb")]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "cannot write" in line and "--glb" in line
    assert main(["export", str(scene), "--glb", str(tmp_path)]) == 1  # a folder, not a file
    assert "--glb" in one_error_line(capsys.readouterr().err)
    assert main(["export", str(scene), "--glb", str(tmp_path / "hip.gltf")]) == 1
    assert "must end in .glb" in one_error_line(capsys.readouterr().err)
    assert blocker.read_text() == "not a folder" and not list(tmp_path.glob("*.glb"))


def test_export_of_a_bad_scene_is_one_line(tmp_path, capsys):
    scene = write_scene(tmp_path, "bad.toml", GOOD.replace("hip_bone_r", "hip_bone_x"))
    assert main(["export", str(scene), "--glb", str(tmp_path / "bad.glb")]) == 1
    assert "hip_bone_x" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "bad.glb").exists() and no_temporary_files(tmp_path)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["export", "x.toml", "--glb", "x.glb", "--bogus"], "glute3d export: error: unrecognized arguments: --bogus"),
        (["export", "x.toml"], "the following arguments are required: --glb"),
        (["deck", "scenes", "-o", "d", "--pptx"], "--pptx: expected one argument"),
    ],
)
def test_export_usage_errors_are_one_line_with_status_2(argv, words, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    line = one_error_line(capsys.readouterr().err)
    assert words in line and "--help" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_export_to_a_read_only_folder_is_one_line(tmp_path, capsys):
    scene = write_scene(tmp_path, "hip.toml", GOOD)
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    assert main(["export", str(scene), "--glb", str(ro / "hip.glb")]) == 1
    assert "not writable" in one_error_line(capsys.readouterr().err)
    assert not list(ro.iterdir())


def test_export_that_fails_while_writing_leaves_nothing(tmp_path, capsys, monkeypatch):
    """A full disk (the rename fails): one line naming the option, no file, no temporary file."""
    import errno

    import glute3d.io.atomic

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    scene = write_scene(tmp_path, "hip.toml", GOOD)
    out = tmp_path / "models" / "hip.glb"
    monkeypatch.setattr(glute3d.io.atomic.os, "replace", full)
    assert main(["export", str(scene), "--glb", str(out)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert f"cannot write {out}: No space left on device; choose another file with --glb" in line
    assert not out.exists() and no_temporary_files(tmp_path)


# =============================================================================== the GLB writer
def test_glb_writer_takes_32_bit_indices_for_large_meshes_and_refuses_bad_input():
    from glute3d.export.gltf import GltfMaterial, GltfNode, glb_bytes

    n = 70_000
    rng = np.random.default_rng(0)
    pos = rng.normal(size=(n, 3))
    normals = pos / np.linalg.norm(pos, axis=1, keepdims=True)
    faces = np.array([[0, n // 2, n - 1], [1, 2, 3]])
    grey = GltfMaterial("grey", (0.2, 0.2, 0.2, 1.0))
    g, _ = load_glb(glb_bytes([GltfNode("big", pos, normals, faces, 0)], [grey]))
    prim = g.meshes[0].primitives[0]
    assert g.accessors[prim.indices].componentType == 5125  # UNSIGNED_INT: 65535 and more vertices
    np.testing.assert_array_equal(accessor(g, prim.indices).reshape(-1, 3), faces)
    np.testing.assert_allclose(accessor(g, prim.attributes.POSITION), pos, rtol=1e-6)
    with pytest.raises(ValueError, match="at least one node"):
        glb_bytes([], [grey])
    with pytest.raises(ValueError, match="material 1 does not exist"):
        glb_bytes([GltfNode("big", pos, normals, faces, 1)], [grey])
    with pytest.raises(ValueError, match="a vertex that does not exist"):
        glb_bytes([GltfNode("big", pos[:3], normals[:3], faces, 0)], [grey])


def test_deck_slides_that_fail_while_writing_leave_nothing(tmp_path, capsys, monkeypatch):
    import errno

    import glute3d.io.atomic

    write = glute3d.io.atomic.write_atomically

    def full(path, data):  # the disk fills up just as the slides are written
        if str(path).endswith(".pptx"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(path, data)

    scenes = tmp_path / "scenes"
    write_scene(scenes, "a.toml", GOOD)
    pptx_path = tmp_path / "deck" / "lecture.pptx"
    monkeypatch.setattr("glute3d.io.atomic.write_atomically", full)
    assert main(["deck", str(scenes), "-o", str(tmp_path / "deck"), *SMALL, "--pptx", str(pptx_path)]) == 1
    captured = capsys.readouterr()
    assert "1 rendered" in captured.out
    line = one_error_line(captured.err)
    assert f"cannot write {pptx_path}: No space left on device; choose another file with --pptx" in line
    assert not pptx_path.exists() and no_temporary_files(tmp_path)
