"""The committed model files are exactly what the generator makes, and load quickly."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import glute3d
from glute3d.anatomy.bones import BoneParameters, blueprint, coccyx_design, hip_bone_design, mesh_design, sacrum_design
from glute3d.anatomy.skeleton import BONE_NAMES
from glute3d.io.modelfiles import LANDMARKS_FILE
from glute3d.io.ply import ply_bytes, read_ply
from glute3d.model.files import mesh_file_contents

MESH_DIR = Path(__file__).resolve().parents[1] / "src" / "glute3d" / "meshes"
REAL_BONES = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "real-bones" / "opensim-gait2392"


def test_committed_mesh_files_match_the_generator():
    fresh = mesh_file_contents()
    assert sorted(fresh) == sorted([f"{n}.ply" for n in BONE_NAMES] + [LANDMARKS_FILE])
    stale = [name for name, data in fresh.items() if (MESH_DIR / name).read_bytes() != data]
    assert not stale, f"meshes/ is stale ({', '.join(stale)}): run `glute3d build-meshes`"


def test_generation_is_deterministic():
    params = BoneParameters()
    bp = blueprint()
    hip = hip_bone_design(params, bp)
    sac = sacrum_design(params, hip, bp)
    a = mesh_design(coccyx_design(params, sac, bp), bp["coccyx"])
    b = mesh_design(coccyx_design(params, sac, bp), bp["coccyx"])
    assert ply_bytes(a, "coccyx") == ply_bytes(b, "coccyx")


def test_ply_round_trip(tmp_path):
    mesh = glute3d.load_model().bones["coccyx"]
    path = tmp_path / "c.ply"
    path.write_bytes(ply_bytes(mesh, "coccyx"))
    assert read_ply(path) == mesh


def test_ply_files_open_in_other_software():
    import trimesh

    tm = trimesh.load(MESH_DIR / "femur_r.ply", process=False)
    ours = read_ply(MESH_DIR / "femur_r.ply")
    np.testing.assert_allclose(tm.vertices, ours.vertices, atol=1e-5)
    np.testing.assert_array_equal(tm.faces, ours.faces)


def test_loading_takes_well_under_a_second():
    glute3d.load_model()  # warm the file cache
    t0 = time.perf_counter()
    glute3d.load_model()
    assert time.perf_counter() - t0 < 0.5


def test_missing_model_files_explain_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="glute3d build-meshes"):
        glute3d.load_model(tmp_path)


@pytest.mark.skipif(not REAL_BONES.is_dir(), reason="shared/testdata/real-bones is absent (external test data)")
def test_proportions_match_real_bones():
    """Our generated bones against the OpenSim Gait2392 bones (real, coarse; metres)."""
    import pyvista as pv

    model = glute3d.load_model()
    real_hip = pv.read(REAL_BONES / "pelvis.vtp").points * 1000.0
    real_femur = pv.read(REAL_BONES / "femur_r.vtp").points * 1000.0
    ours_hip = model.bones["hip_bone_r"].vertices
    ours_femur = model.bones["femur_r"].vertices - model.landmark("hip_center_r")
    ext_real, ext_ours = np.ptp(real_hip, axis=0), np.ptp(ours_hip, axis=0)
    np.testing.assert_allclose(ext_ours, ext_real, rtol=0.25)
    # the femur's length and the hip centre agree closely with the real skeleton
    assert abs(np.ptp(ours_femur[:, 1]) - np.ptp(real_femur[:, 1])) < 0.1 * np.ptp(real_femur[:, 1])
    real_hc = np.array([-70.7, -66.1, 83.5])
    assert np.linalg.norm(model.landmark("hip_center_r") - real_hc) < 10
    # the real hip bone's surface passes close to our bony landmarks
    real = pv.read(REAL_BONES / "pelvis.vtp").extract_surface(algorithm="dataset_surface").triangulate()
    real.points = real.points * 1000.0
    for name in (
        "asis_r",
        "iliac_crest_top_r",
        "iliac_tubercle_r",
        "ischial_tuberosity_r",
        "psis_r",
        "pubic_tubercle_r",
    ):
        p = model.landmark(name)
        _, closest = real.find_closest_cell(p[None], return_closest_point=True)
        assert np.linalg.norm(closest - p) < 30, name
