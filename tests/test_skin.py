"""The skin: adult subcutaneous thickness over the buttock, encloses everything, clean cut edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import glute3d
from broken_data import check_broken_data
from glute3d.anatomy.pose import Pose
from glute3d.anatomy.skin import SKIN_FILE, SkinDataError, read_skin, skin_spec

MESH_DIR = Path(__file__).resolve().parents[1] / "src" / "glute3d" / "meshes"


@pytest.fixture(scope="module")
def model():
    return glute3d.load_model()


@pytest.fixture(scope="module")
def skin(model):
    return model.skin


def boundary_edges(mesh) -> np.ndarray:
    f = mesh.faces
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    uniq, counts = np.unique(e, axis=0, return_counts=True)
    assert counts.max() <= 2, "non-manifold edge"
    return uniq[counts == 1]


@pytest.mark.parametrize("side", ["r", "l"])
def test_subcutaneous_thickness_over_the_buttock_is_adult(model, skin, side):
    """15-40 mm from gluteus maximus' superficial surface to the skin, over the body of the muscle."""
    mx = model.muscles[f"gluteus_maximus_{side}"]
    n_f, n_s = mx.superficial.shape[:2]
    centre = mx.superficial[int(0.15 * n_f) : int(0.85 * n_f), int(0.2 * n_s) : int(0.7 * n_s)].reshape(-1, 3)
    depth = -skin.distance(centre)
    assert depth.min() >= 15.0 and depth.max() <= 40.0, (depth.min(), depth.max())
    assert 20.0 <= np.median(depth) <= 35.0


def test_skin_encloses_every_bone_and_muscle_between_its_cuts(model, skin):
    for name, mesh in {**model.bones, **{k: m.mesh for k, m in model.muscles.items()}}.items():
        v = mesh.vertices
        v = v[(v[:, 1] < skin.top - 0.5) & (v[:, 1] > skin.bottom + 0.5)]
        if len(v):
            assert skin.contains(v).all(), f"{name} pokes through the skin"
    # bony prominences are palpable: thin cover over the iliac crest and the PSIS
    for point in ("psis_r", "asis_l", "iliac_tubercle_r"):
        assert -skin.distance(model.landmark(point)[None])[0] < 25.0, point


def test_clean_cut_edges(model, skin):
    mesh = skin.mesh
    edges = boundary_edges(mesh)
    y = mesh.vertices[np.unique(edges), 1]
    on_top, on_bottom = np.isclose(y, skin.top, atol=1e-3), np.isclose(y, skin.bottom, atol=1e-3)
    assert (on_top | on_bottom).all(), "the open boundary lies only in the two cut planes"
    assert mesh.vertices[:, 1].max() <= skin.top + 1e-3 and mesh.vertices[:, 1].min() >= skin.bottom - 1e-3
    # the cuts: above the iliac crest and at mid-thigh (between the lesser trochanter and the knee)
    assert skin.top > max(model.landmark(f"iliac_crest_top_{s}")[1] for s in "rl") + 20
    femur = model.bones["femur_r"].vertices
    assert femur[:, 1].min() + 100 < skin.bottom < model.landmark("lesser_trochanter_r")[1] - 80
    # one loop round the trunk, one round each thigh: count boundary components
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n = len(mesh.vertices)
    adj = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    loops_top = len(set(labels[np.unique(edges)][on_top]))
    loops_bottom = len(set(labels[np.unique(edges)][on_bottom]))
    assert (loops_top, loops_bottom) == (1, 2)
    # closed with flat caps: watertight, outward
    closed = skin.closed
    assert len(boundary_edges(closed)) == 0
    assert closed.volume > 0


def test_outward_normals_and_a_gluteal_cleft(model, skin):
    mesh = skin.mesh
    v = mesh.vertices
    buttocks = (v[:, 0] < -150) & (np.abs(v[:, 2]) > 40) & (v[:, 1] > model.landmark("ischial_tuberosity_r")[1])
    assert (mesh.vertex_normals[buttocks, 0] < 0).mean() > 0.95
    # the cleft: the skin on the midline lies deeper than over the buttocks at the same height
    from glute3d.teaching.skin_surface import skin_surface

    tools = skin_surface(model)
    y = model.landmark("ischial_tuberosity_r")[1] + 40
    mid = tools.from_behind(y, 0.0)
    cheeks = [tools.from_behind(y, z) for z in (60.0, -60.0)]
    assert all(mid[0] - c[0] > 15.0 for c in cheeks)


def test_skin_bends_with_the_hips(model, skin):
    flexed = model.posed(Pose(flexion=45)).skin
    assert np.array_equal(flexed.mesh.faces, skin.mesh.faces)
    v0, v1 = skin.mesh.vertices, flexed.mesh.vertices
    moved = np.linalg.norm(v1 - v0, axis=1)
    assert moved[v0[:, 1] > model.landmark("iliac_crest_top_r")[1] - 20].max() < 1e-9  # trunk stays
    thigh = (v0[:, 1] < skin.bottom + 30) & (np.abs(v0[:, 2]) > 40)
    assert moved[thigh].min() > 50.0  # the thigh swings forward


# (text in the packaged file, its replacement, field named, text in the message, line named: None for
# the line of the replacement, else the line of that table header)
BROKEN_SKIN = [
    ("spacing = 3.0", "spacing = 30.0", "grid.spacing", ["30.0 is out of range", "between 1 and 6"], None),
    ("smoothing = 2.6", "smothing = 2.6", "grid.smothing", ["unknown field 'smothing'", "did you mean 'smoothing'"],
     None),
    ("cap = 70.0", "", "trunk.cap", ["missing required field 'cap'"], "[trunk] "),
    ('landmark = "iliac_tubercle"', 'landmark = "iliac_tubercule"', "trunk.side.landmark",
     ["unknown point landmark 'iliac_tubercule'", "did you mean 'iliac_tubercle'", "landmarks.toml"], None),
    ('curve = "iliac_crest"', 'curve = "iliac_crst"', "thickness.bumps[4].curve",
     ["unknown curve landmark 'iliac_crst'", "did you mean 'iliac_crest'"], None),
    ('curve = "iliac_crest"', 'curve = "iliac_crest"\nat = { asis = 1.0 }', "thickness.bumps[4]",
     ["give one of `at`, `curve` or `midline`"], "[[thickness.bumps]]      # iliac crest"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "field", "needles", "header"), BROKEN_SKIN, ids=[b[2] for b in BROKEN_SKIN])
def test_bad_data_names_file_field_and_line(tmp_path, old, new, field, needles, header):
    check_broken_data(tmp_path, "skin.toml", skin_spec, SkinDataError, old, new, field, needles, header)


def test_a_file_that_is_not_toml_names_the_line(tmp_path):
    path = tmp_path / "skin.toml"
    path.write_text("[grid]\nspacing = = 3.0\n")
    with pytest.raises(SkinDataError, match=r"not valid TOML.*\(line 2\)$"):
        skin_spec(path)


def test_committed_skin_file_is_fresh(model, skin):
    """meshes/skin.ply was made from today's bones, muscles and skin.toml (else: glute3d build-meshes)."""
    path = MESH_DIR / SKIN_FILE
    assert path.is_file(), "meshes/skin.ply is missing: run `glute3d build-meshes`"
    stored = read_skin(path)
    header = path.read_bytes()[:300].decode("ascii", "replace")
    assert f"fingerprint={model.skin_fingerprint()}" in header, (
        "meshes/skin.ply is stale (the bones, muscles or skin.toml changed): run `glute3d build-meshes`"
    )
    from glute3d.anatomy.skin import generate_skin

    fresh = generate_skin(model.skeleton, model.muscles)  # deterministic: the same mesh again
    np.testing.assert_array_equal(stored.mesh.faces, fresh.mesh.faces)
    np.testing.assert_allclose(stored.mesh.vertices, fresh.mesh.vertices, atol=1e-4)
    assert (stored.top, stored.bottom) == pytest.approx((fresh.top, fresh.bottom))


def test_skin_is_read_from_the_folder_the_model_came_from(tmp_path, model):
    """A model loaded from another folder uses that folder's skin.ply (when made for that model),
    and generates the skin when the file there is damaged."""
    import shutil

    from glute3d.anatomy.skin import Skin, skin_ply_bytes
    from glute3d.geometry.mesh import Mesh
    from glute3d.io.modelfiles import packaged_mesh_dir

    for f in packaged_mesh_dir().iterdir():
        shutil.copy(f, tmp_path / f.name)
    packaged = read_skin(packaged_mesh_dir() / SKIN_FILE)
    shifted = Skin(Mesh(packaged.mesh.vertices + [0.0, 0.0, 5.0], packaged.mesh.faces), packaged.top, packaged.bottom)
    (tmp_path / SKIN_FILE).write_bytes(skin_ply_bytes(shifted, model.skin_fingerprint()))
    theirs = glute3d.load_model(tmp_path)
    assert theirs.source == tmp_path
    np.testing.assert_allclose(theirs.skin.mesh.vertices, shifted.mesh.vertices, atol=1e-4)

    (tmp_path / SKIN_FILE).write_bytes(b"not a ply")  # damaged there: generated again, the same skin
    again = glute3d.load_model(tmp_path).skin
    np.testing.assert_array_equal(again.mesh.faces, packaged.mesh.faces)
    np.testing.assert_allclose(again.mesh.vertices, packaged.mesh.vertices, atol=1e-4)
