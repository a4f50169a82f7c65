"""The assembled model: one accessor for everything drawable, posing, variants, the skeleton it hands on."""

from __future__ import annotations

import numpy as np
import pytest

import glute3d
from glute3d.anatomy.pose import Pose
from glute3d.anatomy.skeleton import Skeleton
from glute3d.model import STRUCTURE_KINDS


@pytest.fixture(scope="module")
def model():
    return glute3d.load_model()


def test_structure_names_by_kind_partition_the_model(model):
    every = model.structure_names()
    by_kind = {k: model.structure_names(k) for k in STRUCTURE_KINDS}
    assert sorted(n for names in by_kind.values() for n in names) == sorted(every)
    assert len(set(every)) == len(every)
    assert set(by_kind["bone"]) == set(model.bones)
    assert by_kind["skin"] == ["skin"]
    # every muscle part belongs to a muscle of the same side
    for part in by_kind["muscle_part"]:
        base, side = part.rsplit("_", 1)
        assert any(part.startswith(m[:-2]) and m.endswith(side) for m in by_kind["muscle"]), part


def test_structure_names_come_in_drawing_order(model):
    """Deep to superficial, as the model's meshes are drawn: bones, muscles, parts, paths, skin."""
    assert [n for n in model.structure_names() if n in model.meshes] == list(model.meshes)
    every = model.structure_names()
    first_part = min(every.index(n) for n in model.structure_names("muscle_part"))
    assert max(every.index(n) for n in model.structure_names("muscle")) < first_part
    assert every[-1] == "skin"


def test_structure_names_match_what_is_generated(model):
    assert set(model.structure_names("muscle")) == set(model.muscles)
    assert set(model.structure_names("nerve") + model.structure_names("artery")) == set(model.paths)
    assert set(model.structure_names("muscle_part")) == set(model.muscle_parts())
    kinds = {p.kind for p in model.paths.values()}
    assert kinds == {"nerve", "artery"}
    for name in model.structure_names("artery"):
        assert model.paths[name].kind == "artery"


@pytest.mark.parametrize(
    "name",
    [
        "femur_r",
        "gluteus_minimus_l",
        "gluteus_medius_posterior_r",
        "superior_gluteal_nerve_r",
        "inferior_gluteal_artery_l",
        "skin",
    ],
)
def test_structure_returns_the_closed_mesh_of_any_kind(model, name):
    mesh = model.structure(name)
    assert mesh.n_faces > 50
    assert np.isfinite(mesh.vertices).all()
    kind = model.structure_kind(name)
    assert name in model.structure_names(kind)
    if kind == "muscle":
        assert mesh is model.muscles[name].mesh
    if kind == "bone":
        assert mesh is model.bones[name]


def test_unknown_structure_suggests_names_of_the_model(model):
    with pytest.raises(KeyError, match="gluteus_minimus_r"):
        model.structure("gluteus_minimis_r")
    with pytest.raises(ValueError, match="muscle_part"):
        model.structure_names("muscles_part")


def test_posed_structures_move_with_the_femur(model):
    flexed = model.posed(Pose(flexion=45))
    a, b = model.structure("femur_r").vertices, flexed.structure("femur_r").vertices
    assert np.abs(a - b).max() > 20.0
    np.testing.assert_array_equal(model.structure("hip_bone_r").vertices, flexed.structure("hip_bone_r").vertices)
    # a muscle on the femur follows it: its insertion end moves, the origin on the pelvis stays near
    mus0, mus1 = model.muscles["gluteus_minimus_r"], flexed.muscles["gluteus_minimus_r"]
    assert np.linalg.norm(mus0.fibres[:, -1] - mus1.fibres[:, -1], axis=-1).mean() > 10.0
    assert np.linalg.norm(mus0.fibres[:, 0] - mus1.fibres[:, 0], axis=-1).mean() < 3.0


def test_generators_receive_a_skeleton_not_the_model(model):
    skel = model.skeleton
    assert type(skel) is Skeleton
    assert not hasattr(skel, "muscles")
    np.testing.assert_array_equal(skel.landmark("asis_r"), model.landmark("asis_r"))
    flexed = model.posed(Pose(flexion=30))
    assert flexed.skeleton.bones["femur_r"] is flexed.bones["femur_r"]
    # one shaft frame for every generator: a unit axis pointing up, at the lesser trochanter's level
    frame = skel.shaft_frame("r")
    assert frame.axis[1] > 0.9 and abs(np.linalg.norm(frame.axis) - 1.0) < 1e-9
    assert frame.point[1] == pytest.approx(skel.point("lesser_trochanter_r")[1], abs=5.0)
    assert 8.0 < frame.radius < 25.0


def test_pose_must_be_a_pose(model):
    from glute3d.anatomy.pose import PoseError

    with pytest.raises(PoseError, match="Pose"):
        model.posed({"flexion": 10})
