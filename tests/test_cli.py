"""The ``glute3d`` command: one-line errors, PNGs written atomically, the deck and its skipping."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT, SCENES
from glute3d.cli import main

SMALL = ["--size", "320x240", "--no-aa"]

GOOD = """
title = "Small test scene"
caption = "Right hip bone from the side."
resolution = [320, 240]

[camera]
preset = "lateral"
side = "r"

[[layers]]
structures = ["hip_bone_r"]

[overlays]
landmarks = ["asis_r"]

[[labels]]
target = "asis_r"
"""

BAD = """
title = "Broken"

[[layers]]
structures = ["hip_bone_r"]

[[layers]]
structures = ["gluteus_minimis_r"]
"""


def scene_file(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(textwrap.dedent(text).lstrip())
    return p


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# =============================================================================== render
def test_render_bad_scene_console_script(tmp_path):
    """The real console script: exit status 1, one line naming file, field, line and fix; no PNG."""
    bad = scene_file(tmp_path / "scenes", "bad.toml", BAD)
    out = tmp_path / "out"
    exe = Path(sys.executable).with_name("glute3d")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "glute3d.cli"]
    proc = subprocess.run([*cmd, "render", str(bad), "-o", str(out), *SMALL],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 1
    line = one_error_line(proc.stderr)
    assert line.startswith(f"glute3d: error: {bad}: layers[1].structures[0]: unknown structure 'gluteus_minimis_r'")
    assert "did you mean 'gluteus_minimus_r'?" in line and line.endswith("(line 7)")
    assert not list(out.glob("*.png"))
    assert not list(out.glob(".*"))  # no temporary file either


def test_render_form_error_before_model(tmp_path, capsys):
    bad = scene_file(tmp_path, "bad_preset.toml", '[camera]\npreset = "behind"\n')
    assert main(["render", str(bad), "-o", str(tmp_path / "out")]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "camera.preset" in line and "(line 2)" in line
    assert not list((tmp_path / "out").glob("*.png"))


def test_render_good_scene_writes_png(tmp_path, capsys):
    good = scene_file(tmp_path, "good.toml", GOOD)
    out = tmp_path / "out"
    assert main(["render", str(good), "-o", str(out), "--no-aa"]) == 0
    png = out / "good.png"
    assert png.is_file()
    from PIL import Image

    assert Image.open(png).size == (320, 240)
    assert f"wrote {png}" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["good.png"]


def test_render_mixed_good_and_bad(tmp_path, capsys):
    good = scene_file(tmp_path, "good.toml", GOOD)
    bad = scene_file(tmp_path, "bad.toml", BAD)
    out = tmp_path / "out"
    assert main(["render", str(bad), str(good), "-o", str(out), *SMALL]) == 1
    assert (out / "good.png").is_file() and not (out / "bad.png").exists()
    assert "gluteus_minimis_r" in one_error_line(capsys.readouterr().err)


NEW_FIELD_ERRORS = {
    "variant value": ("""
        title = "x"
        [variants]
        sciatic = "fibular_through_piriformis"
        """, "variants.sciatic", 3, "'fibular_pierces_piriformis'"),
    "label branch": ("""
        title = "x"
        [[layers]]
        structures = ["superior_gluteal_nerve_r"]
        [[labels]]
        target = "superior_gluteal_nerve_r"
        branch = "inferior"
        """, "labels[0].branch", 6, "'inferior_branch'"),
    "injection label": ("""
        title = "x"
        [[layers]]
        structures = ["skin"]
        [overlays]
        injection = ["quadrants_r"]
        [[labels]]
        target = "upper_outer_quadrnt_r"
        """, "labels[0].target", 7, "'upper_outer_quadrant_r'"),
    "segment end": ("""
        title = "x"
        [[layers]]
        structures = ["hip_bone_r"]
        [overlays]
        segments = [{ start = "asis_r", end = "psiss_r" }]
        """, "overlays.segments[0].end", 5, "'psis_r'"),
}


@pytest.mark.parametrize("case", sorted(NEW_FIELD_ERRORS))
def test_errors_of_the_new_scene_fields(case, tmp_path, capsys):
    """Unknown names in variants, branches, injection labels and segments: file, field, line,
    closest names; no PNG; exit status 1."""
    text, field, line, hint = NEW_FIELD_ERRORS[case]
    bad = scene_file(tmp_path, "bad.toml", text)
    out = tmp_path / "out"
    assert main(["render", str(bad), "-o", str(out), *SMALL]) == 1
    msg = one_error_line(capsys.readouterr().err)
    assert msg.startswith(f"glute3d: error: {bad}: {field}: ") and msg.endswith(f"(line {line})"), msg
    assert hint in msg
    assert not list(out.glob("*.png")) and not list(out.glob(".*"))


def test_unwritable_output(tmp_path, capsys):
    good = scene_file(tmp_path, "good.toml", GOOD)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["render", str(good), "-o", str(blocker / "out")]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "cannot create output folder" in line and "-o" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_output(tmp_path, capsys):
    good = scene_file(tmp_path, "good.toml", GOOD)
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    assert main(["render", str(good), "-o", str(ro)]) == 1
    assert "not writable" in one_error_line(capsys.readouterr().err)


def test_missing_model_files(tmp_path, capsys):
    good = scene_file(tmp_path, "good.toml", GOOD)
    assert main(["--meshes", str(tmp_path / "nothing"), "render", str(good), "-o", str(tmp_path / "o")]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "model files missing" in line and "build-meshes" in line


def test_bad_size_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["render", "x.toml", "-o", str(tmp_path), "--size", "big"])
    assert info.value.code == 2
    assert "1920x1080" in capsys.readouterr().err


def test_size_out_of_bounds(tmp_path, capsys):
    good = scene_file(tmp_path, "good.toml", GOOD)
    assert main(["render", str(good), "-o", str(tmp_path / "o"), "--size", "10x10"]) == 1
    assert "out of range" in one_error_line(capsys.readouterr().err)


# =============================================================================== deck
def test_deck_writes_index_and_skips_up_to_date(tmp_path, capsys):
    scenes = tmp_path / "scenes"
    a = scene_file(scenes, "a.toml", GOOD)
    scene_file(scenes, "b.toml", GOOD.replace("Small test scene", "Second <scene> & more"))
    out = tmp_path / "deck"
    assert main(["deck", str(scenes), "-o", str(out), "--no-aa"]) == 0
    assert "2 rendered, 0 up to date" in capsys.readouterr().out
    index = (out / "index.html").read_text()
    # thumbnails linking to the full pictures, in file (lecture) order, with titles and captions
    assert 'href="a.png"' in index and 'src="thumbs/a.jpg"' in index and 'href="b.png"' in index
    assert index.index('href="a.png"') < index.index('href="b.png"')
    assert "Second &lt;scene&gt; &amp; more" in index and "Right hip bone from the side." in index
    from PIL import Image

    with Image.open(out / "thumbs" / "a.jpg") as thumb:
        assert thumb.width == 480
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}

    assert main(["deck", str(scenes), "-o", str(out), "--no-aa"]) == 0
    assert "0 rendered, 2 up to date" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")} == stamps

    time.sleep(0.02)
    a.write_text(a.read_text())  # touched: newer than its PNG
    assert main(["deck", str(scenes), "-o", str(out), "--no-aa"]) == 0
    assert "1 rendered, 1 up to date" in capsys.readouterr().out

    assert main(["deck", str(scenes), "-o", str(out), "--no-aa", "--force"]) == 0
    assert "2 rendered, 0 up to date" in capsys.readouterr().out


def test_deck_reports_bad_scenes_and_goes_on(tmp_path, capsys):
    scenes = tmp_path / "scenes"
    scene_file(scenes, "a.toml", GOOD)
    scene_file(scenes, "z_bad.toml", BAD)
    out = tmp_path / "deck"
    assert main(["deck", str(scenes), "-o", str(out), "--no-aa"]) == 1
    captured = capsys.readouterr()
    assert "1 rendered, 0 up to date, 1 failed" in captured.out
    assert "gluteus_minimis_r" in one_error_line(captured.err)
    assert (out / "a.png").is_file() and not (out / "z_bad.png").exists()
    assert "gluteus_minimis_r" in (out / "index.html").read_text()


def test_deck_parallel_jobs(tmp_path):
    scenes = tmp_path / "scenes"
    for name in ("a", "b", "c"):
        scene_file(scenes, f"{name}.toml", GOOD)
    out = tmp_path / "deck"
    proc = subprocess.run([sys.executable, "-m", "glute3d.cli", "deck", str(scenes), "-o", str(out),
                           "--jobs", "2", "--no-aa"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.glob("*.png")) == ["a.png", "b.png", "c.png"]
    assert "3 rendered" in proc.stdout


def test_deck_of_missing_folder(tmp_path, capsys):
    assert main(["deck", str(tmp_path / "none"), "-o", str(tmp_path / "o")]) == 1
    assert "no such folder" in one_error_line(capsys.readouterr().err)


def test_project_scenes_are_valid(capsys):
    """Every scene in scenes/ passes the form check of the CLI."""
    from glute3d.scene import Scene

    for p in sorted(SCENES.glob("*.toml")):
        Scene.from_file(p)
