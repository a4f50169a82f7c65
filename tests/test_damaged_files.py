"""Damaged model files give one line naming the file, what is wrong and the fix; never a crash."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import glute3d
from glute3d.io.modelfiles import packaged_mesh_dir
from glute3d.io.ply import PlyError, read_ply

GOOD = (packaged_mesh_dir() / "coccyx.ply").read_bytes()
BODY = GOOD.index(b"end_header\n") + len(b"end_header\n")
NV = int(GOOD[:BODY].split(b"element vertex ")[1].split(b"\n")[0])


def _with_vertex(value: float) -> bytes:
    data = bytearray(GOOD)
    data[BODY + 4 : BODY + 8] = np.float32(value).tobytes()  # the y of the first vertex
    return bytes(data)


def _with_face_index(index: int) -> bytes:
    data = bytearray(GOOD)
    start = BODY + NV * 12 + 1  # the first face's first index, after its count byte
    data[start : start + 4] = np.int32(index).tobytes()
    return bytes(data)


CASES = {
    "truncated": (GOOD[: len(GOOD) - 37], "truncated"),
    "padded": (GOOD + b"\0" * 12, "truncated or padded"),
    "garbled header": (b"plx" + GOOD[3:], "no PLY header"),
    "empty": (b"", "no PLY header"),
    "text": (b"ply\nformat ascii 1.0\nend_header\n1 2 3\n", "binary little-endian"),
    "nan vertex": (_with_vertex(float("nan")), "not finite"),
    "huge vertex": (_with_vertex(3e30), "not finite"),
    "face index out of range": (_with_face_index(NV + 5), "outside"),
    "negative face index": (_with_face_index(-1), "outside"),
    "absurd count": (GOOD.replace(f"element vertex {NV}\n".encode(), b"element vertex 999999999\n"), "implausible"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_ply_is_one_clear_error(case, tmp_path):
    data, words = CASES[case]
    path = tmp_path / "coccyx.ply"
    path.write_bytes(data)
    with pytest.raises(PlyError) as exc:
        read_ply(path)
    text = str(exc.value)
    assert "\n" not in text and str(path) in text and words in text and "glute3d build-meshes" in text


def test_random_bytes_never_crash_the_reader(tmp_path):
    rng = np.random.default_rng(7)
    path = tmp_path / "x.ply"
    for i in range(300):
        n = int(rng.integers(0, 400))
        if i % 3 == 0:  # a real header with garbage or a cut body behind it
            data = GOOD[: BODY + n] + rng.bytes(int(rng.integers(0, 64)))
        elif i % 3 == 1:  # flipped bytes anywhere in a good file
            data = bytearray(GOOD)
            for pos in rng.integers(0, len(GOOD), int(rng.integers(1, 8))):
                data[pos] = int(rng.integers(0, 256))
            data = bytes(data)
        else:
            data = rng.bytes(n)
        path.write_bytes(data)
        try:
            mesh = read_ply(path)
        except PlyError:
            continue
        # what is read is a usable mesh: finite and indices in range
        assert np.isfinite(mesh.vertices).all() and mesh.faces.max() < len(mesh.vertices)


def test_load_model_names_the_damaged_file(tmp_path, capsys):
    for f in packaged_mesh_dir().iterdir():
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "femur_l.ply").write_bytes(CASES["truncated"][0])
    with pytest.raises(PlyError, match="femur_l.ply"):
        glute3d.load_model(tmp_path)
    from glute3d.cli import main

    scene = tmp_path / "s.toml"
    scene.write_text('title = "x"\n[[layers]]\nstructures = ["femur_l"]\n')
    assert main(["--meshes", str(tmp_path), "render", str(scene), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "femur_l.ply" in err[0] and "build-meshes" in err[0]


# =============================================================================== landmarks.json
def _model_folder(tmp_path):
    for f in packaged_mesh_dir().iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path / "landmarks.json"


def _edit_json(path, change):
    import json

    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


LANDMARK_CASES = {
    "truncated": (lambda p: p.write_text(p.read_text()[:5000]), "not valid JSON"),
    "garbled": (lambda p: p.write_bytes(b"\xff\xfe" + p.read_bytes()[2:]), "landmarks.json"),
    "missing table": (lambda p: _edit_json(p, lambda d: d.pop("curves")), "curves"),
    "nan point": (
        lambda p: _edit_json(p, lambda d: d["points"]["asis_r"].update(xyz=[float("nan"), 0, 0])),
        "points.asis_r.xyz",
    ),
    "short point": (lambda p: _edit_json(p, lambda d: d["points"]["asis_r"].update(xyz=[1, 2])), "points.asis_r.xyz"),
    "unknown bone": (lambda p: _edit_json(p, lambda d: d["points"]["asis_r"].update(bone="hip_bone_x")), "hip_bone_x"),
    "face out of range": (
        lambda p: _edit_json(p, lambda d: d["regions"]["gt_lateral_facet_r"][0]["faces"].append(10**7)),
        "regions.gt_lateral_facet_r[0].faces",
    ),
}


@pytest.mark.parametrize("case", sorted(LANDMARK_CASES))
def test_damaged_landmark_file_is_one_clear_error(case, tmp_path):
    from glute3d.io.modelfiles import LandmarkFileError

    damage, words = LANDMARK_CASES[case]
    path = _model_folder(tmp_path)
    damage(path)
    with pytest.raises(LandmarkFileError) as exc:
        glute3d.load_model(tmp_path)
    text = str(exc.value)
    assert "\n" not in text and "landmarks.json" in text and words in text and "build-meshes" in text


def test_a_landmark_file_missing_a_point_fails_on_load(tmp_path):
    """Not later, as if the scene were wrong: on load, naming the file and what is missing."""
    from glute3d.io.modelfiles import LandmarkFileError

    path = _model_folder(tmp_path)
    _edit_json(path, lambda d: d["points"].pop("psis_l"))
    with pytest.raises(LandmarkFileError) as exc:
        glute3d.load_model(tmp_path)
    text = str(exc.value)
    assert "landmarks.json" in text and "psis_l" in text and "build-meshes" in text and "\n" not in text


def test_an_absurdly_large_landmark_file_is_refused_unread(tmp_path):
    from glute3d.io.modelfiles import MAX_LANDMARK_BYTES, LandmarkFileError

    path = _model_folder(tmp_path)
    with open(path, "ab") as fh:
        fh.truncate(MAX_LANDMARK_BYTES + 1)  # sparse: no disk used
    with pytest.raises(LandmarkFileError, match="bytes, more than"):
        glute3d.load_model(tmp_path)
