"""Quiz sheets: numbered pins instead of label names, the answer key, the quiz slides.

The pins are checked on the renderer's own results (numbers, reading order, seeds, a layout
that does not depend on the numbering), the picture by its pixels, the files by reading them
back (Markdown, HTML, python-pptx), and the errors by their one line and the files left alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import RENDER_TEST, SCENES
from glute3d.cli import main
from glute3d.render import Pins, render, text_bands
from glute3d.render.labels import Placement, number_pins
from glute3d.scene import Scene, load_theme
from test_cli import one_error_line
from test_cli import scene_file as write_scene
from test_render import _compare, toy_scene

pptx = pytest.importorskip("pptx")

QUIZ = """
title = "Gluteus medius from the side"
caption = "Gluteus medius on the ilium."
resolution = [480, 270]

[camera]
preset = "lateral"
side = "r"

[[layers]]
structures = ["hip_bone_r", "femur_r"]

[[layers]]
structures = ["gluteus_medius_r"]
highlight = true

[overlays]
landmarks = ["asis_r"]

[[labels]]
target = "gluteus_medius_r"

[[labels]]
target = "asis_r"

[[labels]]
target = "femur_r"
"""

NO_LABELS = """
title = "Nothing named"

[[layers]]
structures = ["hip_bone_r"]
"""

QUIZ_ARGS = ["--size", "480x270", "--no-aa"]


def no_temporary_files(folder: Path) -> bool:
    return not [p for p in folder.rglob(".*") if p.name.endswith(".tmp")]


# =============================================================================== numbering
def test_pins_are_numbered_down_the_left_margin_then_the_right():
    ps = [
        Placement(0, "right", (90, 50, 100, 60), (0, 0), (0, 0)),
        Placement(1, "left", (0, 80, 10, 90), (0, 0), (0, 0)),
        Placement(2, "right", (90, 10, 100, 20), (0, 0), (0, 0)),
        Placement(3, "left", (0, 5, 10, 15), (0, 0), (0, 0)),
    ]
    assert number_pins(ps) == {3: 1, 1: 2, 2: 3, 0: 4}


def test_shuffled_numbers_are_reproducible_never_the_reading_order_and_vary_with_the_seed():
    ps = [Placement(i, "left", (0, 10 * i, 5, 10 * i + 5), (0, 0), (0, 0)) for i in range(6)]
    plain = number_pins(ps)
    versions = {tuple(sorted(number_pins(ps, seed).items())) for seed in range(20)}
    assert all(sorted(dict(v).values()) == [1, 2, 3, 4, 5, 6] for v in versions)
    assert tuple(sorted(plain.items())) not in versions
    assert len(versions) >= 15  # seeds give different versions
    assert number_pins(ps, 7) == number_pins(ps, 7)
    assert number_pins(ps[:1], 3) == {0: 1}  # one pin: nothing to shuffle


# =============================================================================== the renderer
def test_render_with_pins_numbers_every_label_and_writes_no_names(toy_model):
    scene = toy_scene()
    named = render(scene, toy_model, **RENDER_TEST)
    pinned = render(scene, toy_model, **RENDER_TEST, pins=Pins())
    assert sorted(L.number for L in pinned.labels) == list(range(1, len(pinned.labels) + 1))
    assert {L.target for L in pinned.labels} == {L.target for L in named.labels}
    assert all(L.number is None for L in named.labels)
    # the label's name is kept for the answer key; pins are squares, smaller than the names
    by_target = {L.target: L for L in named.labels}
    for L in pinned.labels:
        assert L.text == by_target[L.target].text
        x0, y0, x1, y1 = L.box
        assert x1 - x0 == pytest.approx(y1 - y0) and x1 - x0 < by_target[L.target].box[2] - by_target[L.target].box[0]
    assert not np.array_equal(pinned.image, named.image)


def test_pins_image_regression(toy_model):
    """The pins' look (ring, disc, bold number, leader) against an approved picture; regenerate
    with ``GLUTE3D_UPDATE_IMAGES=1 pytest tests/test_quiz.py -k regression`` and look at it."""
    image = render(toy_scene(), toy_model, **RENDER_TEST, bands=False, pins=Pins(shuffle=1)).image
    _compare("toy_quiz_pins", image)


def test_pins_are_discs_with_a_dark_ring(toy_model):
    result = render(toy_scene(), toy_model, **RENDER_TEST, pins=Pins())
    img = result.image.astype(int)
    for L in result.labels:
        x0, y0, x1, y1 = L.box
        cy, r = int((y0 + y1) / 2), (x1 - x0) / 2
        ring = img[cy, int(x0 + 0.5) : int(x0 + 0.25 * r) + 1]  # the disc's edge on its left
        assert ring.min() < 90, L  # the ring, in the text colour
        inside = img[int(y0 + 0.2 * r), int((x0 + x1) / 2)]  # above the number, inside the ring
        assert inside.min() > 200, L  # the disc, in the halo colour


def test_the_pins_layout_does_not_depend_on_the_seed(toy_model):
    scene = toy_scene()
    a = render(scene, toy_model, **RENDER_TEST, pins=Pins())
    b = render(scene, toy_model, **RENDER_TEST, pins=Pins(shuffle=11))
    assert [(L.target, L.box, L.anchor) for L in a.labels] == [(L.target, L.box, L.anchor) for L in b.labels]
    assert [L.number for L in a.labels] != [L.number for L in b.labels]
    again = render(scene, toy_model, **RENDER_TEST, pins=Pins(shuffle=11))
    assert np.array_equal(again.image, b.image)  # reproducible


def test_render_without_bands_gives_the_model_the_room_of_the_title_and_caption(toy_model):
    scene = toy_scene(labels=[])
    with_bands = render(scene, toy_model, **RENDER_TEST).image
    without = render(scene, toy_model, **RENDER_TEST, bands=False).image
    top, bottom = text_bands(scene, load_theme(), RENDER_TEST["size"])
    assert top > 10 and bottom > 10
    bg = with_bands[0, 0].astype(int)

    def drawn_rows(img):
        return np.flatnonzero((np.abs(img.astype(int) - bg).max(axis=-1) > 24).any(axis=1))

    rows_with, rows_without = drawn_rows(with_bands), drawn_rows(without)
    assert rows_with[0] < top  # the title is drawn in the band
    # without bands the model is larger: it covers more rows
    assert len(rows_without) > len(rows_with[(rows_with >= top) & (rows_with < with_bands.shape[0] - bottom)])
    assert text_bands(Scene.from_dict({}), load_theme(), (400, 300)) == (0, 0)


def test_text_bands_hold_the_title_and_caption_and_nothing_else(toy_model):
    """Cropping the bands off a picture leaves the model and its labels whole."""
    scene = toy_scene()
    result = render(scene, toy_model, **RENDER_TEST)
    top, bottom = text_bands(scene, load_theme(), RENDER_TEST["size"])
    h = result.image.shape[0]
    for L in result.labels:
        assert top <= L.box[1] and L.box[3] <= h - bottom
        assert top <= L.anchor[1] <= h - bottom
    no_text = render(toy_scene(title="", caption=""), toy_model, **RENDER_TEST).image
    assert np.array_equal(no_text, render(scene, toy_model, **RENDER_TEST, bands=False).image)


# =============================================================================== the quiz command
def _answer_rows(markdown: str) -> list[tuple[int, str, str, str]]:
    rows = re.findall(r"^\| (\d+) \| (.*?) \| (.*?) \| (.*?) \|$", markdown, re.M)
    return [(int(n), a, b, c) for n, a, b, c in rows]


def test_quiz_writes_the_picture_and_its_answer_key(tmp_path, capsys):
    scene = write_scene(tmp_path, "07_medius.toml", QUIZ)
    out = tmp_path / "quiz"
    assert main(["quiz", str(scene), "-o", str(out), *QUIZ_ARGS]) == 0
    assert "quiz: 3 pins" in capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "07_medius_quiz.html",
        "07_medius_quiz.png",
        "07_medius_quiz_answers.html",
        "07_medius_quiz_answers.md",
    ]
    sheet = (out / "07_medius_quiz.html").read_text()
    assert sheet.count('<td class="no">') == 3 and 'src="07_medius_quiz.png"' in sheet
    for answer in ("Gluteus medius", "Femur", "Anterior superior iliac spine", "Musculus"):
        assert answer not in sheet  # the worksheet gives nothing away
    rows = _answer_rows((out / "07_medius_quiz_answers.md").read_text())
    assert [r[0] for r in rows] == [1, 2, 3]
    by_name = {r[1]: r for r in rows}
    assert set(by_name) == {"Gluteus medius", "Anterior superior iliac spine", "Femur"}
    assert by_name["Gluteus medius"][2] == "Musculus gluteus medius"
    assert "nerve: superior gluteal nerve (L4, L5, S1)" in by_name["Gluteus medius"][3]
    assert by_name["Anterior superior iliac spine"][2] == "Spina iliaca anterior superior"
    assert "iliac crest" in by_name["Anterior superior iliac spine"][3]
    html = (out / "07_medius_quiz_answers.html").read_text()
    assert html.count("<tr><td") == 3 and 'src="07_medius_quiz.png"' in html
    assert "Musculus gluteus medius" in html and "<h1>Answers: Gluteus medius from the side</h1>" in html
    from PIL import Image

    with Image.open(out / "07_medius_quiz.png") as img:
        picture = np.asarray(img.convert("RGB"))
    assert picture.shape[0] > 100 and (picture < 200).any()  # something is drawn


def test_quiz_is_reproducible_and_seeds_give_other_versions(tmp_path, capsys):
    scene = write_scene(tmp_path, "q.toml", QUIZ)
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["quiz", str(scene), "-o", str(a), *QUIZ_ARGS, "--shuffle", "3", "--pptx"]) == 0
    assert main(["quiz", str(scene), "-o", str(b), *QUIZ_ARGS, "--shuffle", "3", "--pptx"]) == 0
    for f in a.iterdir():
        assert (b / f.name).read_bytes() == f.read_bytes(), f.name
    assert main(["quiz", str(scene), "-o", str(a), *QUIZ_ARGS]) == 0  # the plain version beside it
    capsys.readouterr()
    plain = _answer_rows((a / "q_quiz_answers.md").read_text())
    seeded = _answer_rows((a / "q_quiz_v3_answers.md").read_text())
    assert sorted(r[1:] for r in plain) == sorted(r[1:] for r in seeded)  # the same answers
    assert [r[1] for r in plain] != [r[1] for r in seeded]  # numbered otherwise
    assert "seed 3" in (a / "q_quiz_v3_answers.md").read_text()


def test_quiz_slides_ask_then_answer(tmp_path, capsys):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    scene = write_scene(tmp_path, "q.toml", QUIZ)
    assert main(["quiz", str(scene), "-o", str(tmp_path / "out"), *QUIZ_ARGS, "--pptx"]) == 0
    capsys.readouterr()
    prs = Presentation(str(tmp_path / "out" / "q_quiz.pptx"))
    question, answer = prs.slides
    assert question.shapes.title.text == "Quiz: name the structures 1–3"
    assert answer.shapes.title.text == "Answers: Gluteus medius from the side"
    key = [f"{r[0]}. {r[1]}" for r in _answer_rows((tmp_path / "out" / "q_quiz_answers.md").read_text())]
    notes = question.notes_slide.notes_text_frame.text
    assert all(k in notes for k in key)  # the lecturer sees the answers in the presenter view
    (box,) = [s for s in answer.shapes if s.has_text_frame and s.name == "Answers"]
    paragraphs = [p.text for p in box.text_frame.paragraphs]
    assert [p.split(" (")[0] for p in paragraphs] == key
    png = (tmp_path / "out" / "q_quiz.png").read_bytes()
    for slide in (question, answer):
        (pic,) = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert pic.image.blob == png
        assert pic.top >= slide.shapes.title.top + slide.shapes.title.height
    (pic,) = [s for s in answer.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert pic.left + pic.width <= box.left  # the answers beside the picture, not over it


def test_quiz_of_a_project_scene_names_branches_with_their_own_facts(tmp_path, capsys):
    import glute3d
    from glute3d.export.quiz import make_quiz
    from glute3d.render import cached_model

    scene = Scene.from_file(SCENES / "13_superior_gluteal_nerve_and_artery.toml")
    quiz = make_quiz(scene, cached_model(glute3d.load_model()), size=(640, 360), anti_aliasing=False)
    facts = {i.name: i.fact for i in quiz.items}
    assert facts["Inferior branch, to tensor fasciae latae"].endswith("gluteus minimus and tensor fasciae latae")
    assert facts["Superior gluteal nerve, superior branch"] == "Supplies gluteus medius"
    assert [i.number for i in quiz.items] == list(range(1, len(scene.labels) + 1))


# =============================================================================== errors
def test_a_scene_without_labels_is_one_line_and_writes_nothing(tmp_path, capsys):
    scene = write_scene(tmp_path, "bare.toml", NO_LABELS)
    out = tmp_path / "quiz"
    assert main(["quiz", str(scene), "-o", str(out), *QUIZ_ARGS]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "bare.toml: labels: nothing to ask about" in line and "[[labels]]" in line
    assert list(out.iterdir()) == []


def test_quiz_into_an_unwritable_place_is_one_line(tmp_path, capsys):
    scene = write_scene(tmp_path, "q.toml", QUIZ)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["quiz", str(scene), "-o", str(blocker / "out"), *QUIZ_ARGS]) == 1
    assert "cannot create output folder" in one_error_line(capsys.readouterr().err)


def test_a_failed_write_leaves_the_old_quiz_whole(tmp_path, monkeypatch):
    from glute3d.export import quiz as quiz_module

    files = {tmp_path / "a.png": b"new a", tmp_path / "b.md": b"new b"}
    for p in files:
        p.write_bytes(b"old")
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(quiz_module.os, "replace", failing_replace)
    with pytest.raises(OSError):
        quiz_module.write_files(files)
    monkeypatch.setattr(quiz_module.os, "replace", real_replace)
    assert all(p.read_bytes() == b"old" for p in files) and no_temporary_files(tmp_path)
    assert quiz_module.write_files(files) == list(files)
    assert [p.read_bytes() for p in files] == [b"new a", b"new b"]
