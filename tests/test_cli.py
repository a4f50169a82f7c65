"""The ``glute3d`` command: one-line errors, PNGs written atomically, the deck and its skipping."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
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
    proc = subprocess.run(
        [*cmd, "render", str(bad), "-o", str(out), *SMALL], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
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
    "variant value": (
        """
        title = "x"
        [variants]
        sciatic = "fibular_through_piriformis"
        """,
        "variants.sciatic",
        3,
        "'fibular_pierces_piriformis'",
    ),
    "label branch": (
        """
        title = "x"
        [[layers]]
        structures = ["superior_gluteal_nerve_r"]
        [[labels]]
        target = "superior_gluteal_nerve_r"
        branch = "inferior"
        """,
        "labels[0].branch",
        6,
        "'inferior_branch'",
    ),
    "injection label": (
        """
        title = "x"
        [[layers]]
        structures = ["skin"]
        [overlays]
        injection = ["quadrants_r"]
        [[labels]]
        target = "upper_outer_quadrnt_r"
        """,
        "labels[0].target",
        7,
        "'upper_outer_quadrant_r'",
    ),
    "segment end": (
        """
        title = "x"
        [[layers]]
        structures = ["hip_bone_r"]
        [overlays]
        segments = [{ start = "asis_r", end = "psiss_r" }]
        """,
        "overlays.segments[0].end",
        5,
        "'psis_r'",
    ),
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

    a.write_text(a.read_text())  # touched, but the same text: still up to date
    assert main(["deck", str(scenes), "-o", str(out), "--no-aa"]) == 0
    assert "0 rendered, 2 up to date" in capsys.readouterr().out

    a.write_text(a.read_text().replace("from the side", "seen from the side"))  # changed
    assert main(["deck", str(scenes), "-o", str(out), "--no-aa"]) == 0
    assert "1 rendered, 1 up to date" in capsys.readouterr().out

    # other options: every picture again (another size, anti-aliasing on)
    assert main(["deck", str(scenes), "-o", str(out), "--no-aa", "--size", "320x200"]) == 0
    assert "2 rendered, 0 up to date" in capsys.readouterr().out
    from PIL import Image as _Image

    with _Image.open(out / "a.png") as png:
        assert png.size == (320, 200)
    assert main(["deck", str(scenes), "-o", str(out), "--size", "320x200"]) == 0
    assert "2 rendered, 0 up to date" in capsys.readouterr().out

    # a lost picture is rendered again; a damaged manifest only costs time
    (out / "b.png").unlink()
    (out / ".glute3d-deck.json").write_text("{not json")
    assert main(["deck", str(scenes), "-o", str(out), "--size", "320x200"]) == 0
    assert "2 rendered, 0 up to date" in capsys.readouterr().out

    assert main(["deck", str(scenes), "-o", str(out), "--size", "320x200", "--force"]) == 0
    assert "2 rendered, 0 up to date" in capsys.readouterr().out


def test_deck_is_stale_when_the_model_changes(tmp_path, capsys):
    import shutil

    from glute3d.io.modelfiles import packaged_mesh_dir

    scenes = tmp_path / "scenes"
    scene_file(scenes, "a.toml", GOOD)
    meshes = tmp_path / "meshes"
    shutil.copytree(packaged_mesh_dir(), meshes)
    out = tmp_path / "deck"
    args = ["--meshes", str(meshes), "deck", str(scenes), "-o", str(out), "--no-aa"]
    assert main(args) == 0
    capsys.readouterr()
    landmarks = meshes / "landmarks.json"
    landmarks.write_text(landmarks.read_text().replace('"units": "mm"', '"units": "mm" '))
    assert main(args) == 0
    assert "1 rendered, 0 up to date" in capsys.readouterr().out


def test_render_refuses_scenes_that_would_overwrite_each_other(tmp_path, capsys):
    one = scene_file(tmp_path / "one", "hip.toml", GOOD)
    two = scene_file(tmp_path / "two", "hip.toml", GOOD)
    assert main(["render", str(one), str(two), "-o", str(tmp_path / "o"), *SMALL]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "hip.png" in line and "rename" in line
    assert not (tmp_path / "o" / "hip.png").exists()


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
    proc = subprocess.run(
        [sys.executable, "-m", "glute3d.cli", "deck", str(scenes), "-o", str(out), "--jobs", "2", "--no-aa"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
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


# =============================================================================== version, list, doctor
def test_version(capsys):
    import glute3d

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"glute3d {glute3d.__version__}"


def test_list_structures_of_a_kind(capsys):
    assert main(["list", "structures", "--kind", "nerve"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    names = {name for name, kind in rows}
    assert {kind for _, kind in rows} == {"nerve"}
    assert {"superior_gluteal_nerve_r", "sciatic_nerve_l"} <= names
    assert not any(n.startswith("gluteus") for n in names)


def test_list_everything_the_model_can_draw(capsys):
    import glute3d

    assert main(["list", "structures"]) == 0
    names = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    model = glute3d.load_model()
    assert names == model.structure_names()
    for name in ("gluteus_minimus_anterior_r", "femur_l", "skin", "superior_gluteal_artery_r"):
        assert name in names


def test_list_unknown_kind_is_one_line(capsys):
    assert main(["list", "structures", "--kind", "nerv"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "'nerve'" in line and "muscle_part" in line


def test_list_landmarks_presets_and_scenes(capsys):
    assert main(["list", "landmarks"]) == 0
    rows = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert rows["asis_r"] == "point" and rows["anterior_gluteal_line_r"] == "curve"
    assert main(["list", "presets"]) == 0
    assert "posterolateral" in capsys.readouterr().out.split()
    assert main(["list", "scenes", str(SCENES)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(list(SCENES.glob("*.toml")))
    assert any("Superior gluteal nerve" in line for line in out)


def test_list_injection_sites_with_their_kind_and_target(capsys):
    assert main(["list", "sites"]) == 0
    rows = {
        name: (kind, target) for name, kind, target in (ln.split("\t") for ln in capsys.readouterr().out.splitlines())
    }
    assert rows["gtps_bursa_r"] == ("bursal", "subgluteus_medius_bursa_r")
    assert rows["ventrogluteal_l"] == ("intramuscular", "gluteus_medius_l")
    assert rows["upper_outer_quadrant_r"] == ("region", "-")
    assert main(["list", "sites", "--kind", "bursal"]) == 0
    assert [ln.split("\t")[0] for ln in capsys.readouterr().out.splitlines()] == ["gtps_bursa_r", "gtps_bursa_l"]
    assert main(["list", "sites", "--kind", "bursa"]) == 1
    assert "intramuscular, bursal, region" in one_error_line(capsys.readouterr().err)


def test_list_scenes_of_a_missing_folder(tmp_path, capsys):
    assert main(["list", "scenes", str(tmp_path / "none")]) == 1
    assert "list scenes DIR" in one_error_line(capsys.readouterr().err)


def test_doctor_checks_model_files_cache_and_a_test_render(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GLUTE3D_CACHE", str(tmp_path / "cache"))
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert all(line.startswith("ok ") for line in out), out
    text = "\n".join(out)
    assert "6 bones" in text and str(tmp_path / "cache") in text and "test render:" in text


def test_doctor_fails_with_the_fix_for_damaged_model_files(tmp_path, capsys):
    import shutil

    from glute3d.io.modelfiles import packaged_mesh_dir

    shutil.copytree(packaged_mesh_dir(), tmp_path / "m")
    (tmp_path / "m" / "sacrum.ply").write_bytes(b"ply\n")
    assert main(["--meshes", str(tmp_path / "m"), "doctor"]) == 1
    bad = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL")]
    assert len(bad) == 1 and "sacrum.ply" in bad[0] and "build-meshes" in bad[0]


def test_cache_command_shows_and_clears_only_its_own_files(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("GLUTE3D_CACHE", str(folder))
    scene = scene_file(
        tmp_path, "s.toml", GOOD.replace('structures = ["hip_bone_r"]', 'structures = ["gluteus_medius_r"]')
    )
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    assert main(["render", str(scene), "-o", str(tmp_path / "o"), *SMALL]) == 0
    capsys.readouterr()
    assert main(["cache"]) == 0
    line = capsys.readouterr().out
    assert str(folder) in line and "0 entries" not in line
    assert main(["cache", "--clear"]) == 0
    assert "removed" in capsys.readouterr().out
    assert main(["cache"]) == 0
    assert "0 entries" in capsys.readouterr().out
    assert (folder / "notes.txt").read_text() == "mine"


# =============================================================================== installed, from anywhere
def test_installed_package_works_from_another_folder(tmp_path):
    """The model files ship with the package: no checkout, no ./meshes needed (run in an empty folder)."""
    scene = scene_file(tmp_path / "lecture", "hip.toml", GOOD)
    env = {**os.environ, "GLUTE3D_CACHE": str(tmp_path / "cache")}
    env.pop("GLUTE3D_MESHES", None)
    code = "import glute3d, pathlib; m = glute3d.load_model(); print(m.source, len(m.structure_names('bone')))"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    source, n_bones = proc.stdout.split()
    assert Path(source).name == "meshes" and Path(source).parent.name == "glute3d" and n_bones == "6"
    exe = Path(sys.executable).with_name("glute3d")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "glute3d.cli"]
    proc = subprocess.run(
        [*cmd, "render", str(scene.relative_to(tmp_path)), "-o", "out", *SMALL],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "hip.png").stat().st_size > 1000


def test_meshes_environment_variable_points_elsewhere(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GLUTE3D_MESHES", str(tmp_path / "mine"))
    scene = scene_file(tmp_path, "s.toml", GOOD)
    assert main(["render", str(scene), "-o", str(tmp_path / "o"), *SMALL]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "$GLUTE3D_MESHES" in line and str(tmp_path / "mine") in line and "build-meshes" in line


def test_deck_reports_a_picture_it_could_not_write(tmp_path, capsys):
    """Pictures are written while the next scene renders; a failed write still fails its scene."""
    scenes = tmp_path / "scenes"
    scene_file(scenes, "a.toml", GOOD)
    scene_file(scenes, "b.toml", GOOD)
    out = tmp_path / "deck"
    out.mkdir()
    (out / "thumbs").write_text("a file where the thumbnails' folder should be")
    assert main(["deck", str(scenes), "-o", str(out), "--no-aa"]) == 1
    captured = capsys.readouterr()
    assert "0 rendered, 0 up to date, 2 failed" in captured.out
    errors = [line for line in captured.err.splitlines() if line.startswith("glute3d: error:")]
    assert len(errors) == 2 and all("thumbs" in line for line in errors), captured.err
    # and nothing counts as up to date next time
    (out / "thumbs").unlink()
    assert main(["deck", str(scenes), "-o", str(out), "--no-aa"]) == 0
    assert "2 rendered, 0 up to date" in capsys.readouterr().out


def test_deck_fingerprint_covers_the_web_pages_scripts(tmp_path, monkeypatch):
    """A change to the web page's script alone makes every deck page stale."""
    import shutil

    import glute3d
    from glute3d.cli import freshness

    pkg = tmp_path / "glute3d"
    shutil.copytree(Path(glute3d.__file__).resolve().parent, pkg)
    monkeypatch.setattr(freshness.glute3d, "__file__", str(pkg / "__init__.py"))
    theme = pkg / "data" / "theme.toml"
    before = freshness.inputs_fingerprint([], theme, None, True)
    viewer = pkg / "export" / "web" / "viewer.js"
    viewer.write_text(viewer.read_text() + "\n// changed\n")
    assert freshness.inputs_fingerprint([], theme, None, True) != before
