"""The handout PDF: pages, texts, fonts, pictures and errors, read back with pypdf.

Every scene gets a page with its title, picture, caption and the key facts of what it
highlights; titles in Greek, Cyrillic and CJK are set in fonts that have their characters
(embedded); the file is reproducible; bad input is one line and writes nothing.
"""

from __future__ import annotations

import io
import os

import pytest

from glute3d.cli import main
from test_cli import one_error_line
from test_cli import scene_file as write_scene

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("fpdf")

ARGS = ["--size", "480x270", "--no-aa"]

MEDIUS = """
title = "Gluteus medius from the side"
caption = "Gluteus medius fans out from the ilium to the greater trochanter."
resolution = [480, 270]

[camera]
preset = "lateral"
side = "r"

[[layers]]
structures = ["hip_bone_r", "femur_r"]

[[layers]]
structures = ["gluteus_medius_r"]
highlight = true

[[labels]]
target = "gluteus_medius_r"
"""

WORLD = """
title = "Μέσος γλουτιαίος — Средняя ягодичная — 臀中肌 — 中殿筋の起始 — 중둔근"
caption = "Landmarks: ASIS."
resolution = [480, 270]

[camera]
preset = "lateral"
side = "r"

[[layers]]
structures = ["hip_bone_r"]

[overlays]
landmarks = ["asis_r"]

[[labels]]
target = "asis_r"
text = "髂前上棘"
"""

BROKEN = """
title = "Broken"

[[layers]]
structures = ["gluteus_minimis_r"]
"""


def _text(reader) -> list[str]:
    """Each page's text, its lines joined (wrapped text reads as one line)."""
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def _fonts(reader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            for desc in font.get("/DescendantFonts", []):
                fd = desc.get_object()["/FontDescriptor"].get_object()
                assert "/FontFile2" in fd or "/FontFile3" in fd, f"{font['/BaseFont']} is not embedded"
    return names


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    folder = tmp_path_factory.mktemp("handout")
    scenes = folder / "scenes"
    write_scene(scenes, "01_medius.toml", MEDIUS)
    write_scene(scenes, "02_world.toml", WORLD)
    out = folder / "out" / "handout.pdf"
    assert main(["handout", str(scenes), "-o", str(out), *ARGS, "--title", "Gluteal region — Ягодичная область"]) == 0
    return scenes, out


def test_handout_has_a_title_page_and_a_page_per_scene(handout):
    _, out = handout
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    pages = _text(reader)
    n = len(pages)
    assert n >= 3
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4
    assert "Gluteal region — Ягодичная область" in pages[0] and "Contents" in pages[0]
    assert "Gluteus medius from the side" in pages[0]  # the contents list the scenes
    medius = pages[1]
    assert "Gluteus medius from the side" in medius and "fans out from the ilium" in medius
    for label in ("Origin", "Insertion", "Innervation", "Blood supply", "Action", "Clinical note"):
        assert label in medius, label
    assert "Superior gluteal nerve (L4, L5, S1)" in medius and "Musculus gluteus medius" in medius
    assert f"Page 2 of {n}" in medius and all(f"Page {k + 1} of {n}" in pages[k] for k in range(1, n))
    world = "".join(pages[2:])
    assert "Средняя ягодичная" in world and "Μέσος γλουτιαίος" in world
    assert "Anterior superior iliac spine" in world and "Spina iliaca anterior superior" in world
    assert sum(len(p.images) for p in reader.pages) == 2  # one picture a scene


def test_non_latin_titles_are_set_in_embedded_fonts_that_have_them(handout):
    _, out = handout
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    fonts = _fonts(reader)
    assert any("DejaVu" in f for f in fonts) and any("CJK" in f for f in fonts), fonts
    text = "".join(_text(reader))
    for word in ("臀中肌", "中殿筋", "중둔근"):
        assert word in text, word  # drawn with glyphs that map back to the characters


def test_the_pages_render(handout, tmp_path):
    """poppler draws every page without complaint (when it is installed)."""
    import shutil
    import subprocess

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    _, out = handout
    run = subprocess.run(
        ["pdftoppm", "-r", "20", "-png", str(out), str(tmp_path / "p")], capture_output=True, text=True
    )
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr
    assert len(list(tmp_path.glob("p-*.png"))) == len(pypdf.PdfReader(str(out)).pages)


def test_handout_is_reproducible(handout, tmp_path, capsys):
    scenes, out = handout
    again = tmp_path / "again.pdf"
    assert main(["handout", str(scenes), "-o", str(again), *ARGS, "--title", "Gluteal region — Ягодичная область"]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_structure_facts_come_from_the_knowledge_base():
    from glute3d.export.handout import structure_facts

    rows = dict(structure_facts("superior_gluteal_nerve_r"))
    assert "Gluteus medius" in rows["Supplies"] and "L4" in rows["Origin"]
    assert "Clinical note" in rows
    assert dict(structure_facts("superior_gluteal_artery_r"))["Origin"].startswith("Branch of the internal iliac")
    assert structure_facts("hip_bone_r") == [] and structure_facts("ventrogluteal_r") == []


# =============================================================================== errors
def test_an_empty_folder_is_one_line_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "scenes").mkdir()
    out = tmp_path / "handout.pdf"
    assert main(["handout", str(tmp_path / "scenes"), "-o", str(out)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "no scene files (*.toml) in this folder" in line
    assert not out.exists()


def test_failed_scenes_are_left_out_and_all_failing_writes_nothing(tmp_path, capsys):
    scenes = tmp_path / "scenes"
    write_scene(scenes, "01_broken.toml", BROKEN)
    out = tmp_path / "handout.pdf"
    out.write_bytes(b"the old handout")
    assert main(["handout", str(scenes), "-o", str(out), *ARGS]) == 1
    err = capsys.readouterr().err
    assert "gluteus_minimis_r" in err and "every scene failed" in err and "Traceback" not in err
    assert out.read_bytes() == b"the old handout"
    write_scene(scenes, "02_medius.toml", MEDIUS)
    assert main(["handout", str(scenes), "-o", str(out), *ARGS]) == 1  # one failed: reported, left out
    captured = capsys.readouterr()
    assert "1 scene, 1 failed" in captured.out and "gluteus_minimis_r" in one_error_line(captured.err)
    assert len(pypdf.PdfReader(str(out)).pages) == 2


def test_unwritable_or_wrong_output_is_one_line(tmp_path, capsys):
    scenes = tmp_path / "scenes"
    write_scene(scenes, "01_medius.toml", MEDIUS)
    assert main(["handout", str(scenes), "-o", str(tmp_path / "handout.docx")]) == 1
    assert "must end in .pdf" in one_error_line(capsys.readouterr().err)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["handout", str(scenes), "-o", str(blocker / "handout.pdf")]) == 1
    assert "cannot write" in one_error_line(capsys.readouterr().err)
    assert main(["handout", str(tmp_path / "nowhere"), "-o", str(tmp_path / "h.pdf")]) == 1
    assert "not a folder of scenes" in one_error_line(capsys.readouterr().err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_folder(tmp_path, capsys):
    scenes = tmp_path / "scenes"
    write_scene(scenes, "01_medius.toml", MEDIUS)
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    assert main(["handout", str(scenes), "-o", str(ro / "h.pdf")]) == 1
    assert "not writable" in one_error_line(capsys.readouterr().err)
