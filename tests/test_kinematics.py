"""Tests of the hip pose, joint transforms, moment arms and muscle actions.

Signs follow OpenSim (hip_flexion_r about +Z, hip_adduction_r about +X, hip_rotation_r about
+Y; the left hip's axes are (0, 0, 1), (-1, 0, 0), (0, -1, 0)).  The action tests check the
position-dependent facts of the seeds against the generated muscles.
"""

from __future__ import annotations

import numpy as np
import pytest

from glute3d.anatomy import facts
from glute3d.anatomy.pose import AXES, MOVEMENTS, RANGES, Pose, PoseError, hip_axes, hip_rotation, hip_transform
from glute3d.teaching.actions import actions, lines_of_action, moment_arms, muscle_anchor

MIRROR = np.diag([1.0, 1.0, -1.0])
DOWN = np.array([0.0, -1.0, 0.0])  # from the hip toward the knee
FORWARD = np.array([1.0, 0.0, 0.0])  # a point on the front of the thigh


@pytest.fixture(scope="module")
def model(bone_model):
    return bone_model


# =============================================================================== Pose
@pytest.mark.parametrize(
    ("field", "value", "lo", "hi"),
    [
        ("flexion", 121.0, -30, 120),
        ("flexion", -31, -30, 120),
        ("adduction", 31, -50, 30),
        ("adduction", -50.5, -50, 30),
        ("rotation", 46, -45, 45),
        ("rotation", -90, -45, 45),
    ],
)
def test_pose_out_of_range_names_field_value_and_range(field, value, lo, hi):
    with pytest.raises(PoseError) as err:
        Pose(**{field: value})
    msg = str(err.value)
    assert field in msg and f"{value:g}" in msg and f"{lo:g}..{hi:g}" in msg
    assert err.value.field == field and err.value.value == value and err.value.allowed == (lo, hi)
    assert RANGES[field] == (lo, hi)


def test_pose_limits_are_inclusive():
    p = Pose(flexion=120, adduction=-50, rotation=45)
    assert p.angles("r") == (120.0, -50.0, 45.0)


@pytest.mark.parametrize("bad", ["ten", None, float("nan"), float("inf"), True, [1, 2]])
def test_pose_rejects_non_numbers(bad):
    with pytest.raises(PoseError, match="flexion"):
        Pose(flexion=bad)


def test_pose_side_and_per_side_values():
    assert Pose(flexion=30, side="r").angles("l") == (0.0, 0.0, 0.0)
    assert Pose(flexion=30, side="l").angles("l") == (30.0, 0.0, 0.0)
    p = Pose(flexion={"r": 40, "l": -10}, rotation={"l": 5})
    assert p.angles("r") == (40.0, 0.0, 0.0) and p.angles("l") == (-10.0, 0.0, 5.0)
    with pytest.raises(PoseError, match="side"):
        Pose(side="left")
    with pytest.raises(PoseError, match="unknown side"):
        Pose(flexion={"right": 10})
    with pytest.raises(PoseError, match=r"rotation \(l\) = 60"):
        Pose(rotation={"l": 60})
    assert Pose().is_neutral and not Pose(adduction=1).is_neutral


# =============================================================================== transforms
def test_axes_match_opensim():
    assert np.array_equal(AXES["r"], [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert np.array_equal(AXES["l"], [[0, 0, 1], [-1, 0, 0], [0, -1, 0]])


@pytest.mark.parametrize("side", ["r", "l"])
def test_flexion_moves_the_knee_forward(side):
    knee = hip_rotation(Pose(flexion=90), side) @ DOWN
    assert np.allclose(knee, [1.0, 0.0, 0.0], atol=1e-12)
    knee = hip_rotation(Pose(flexion=-20), side) @ DOWN
    assert knee[0] < -0.3  # extension: backward


@pytest.mark.parametrize(("side", "medial"), [("r", -1.0), ("l", 1.0)])
def test_adduction_moves_the_knee_toward_the_midline(side, medial):
    knee = hip_rotation(Pose(adduction=20), side) @ DOWN
    assert knee[2] * medial == pytest.approx(np.sin(np.radians(20)))
    knee = hip_rotation(Pose(adduction=-20), side) @ DOWN
    assert knee[2] * medial < 0  # abduction: away from the midline


@pytest.mark.parametrize(("side", "medial"), [("r", -1.0), ("l", 1.0)])
def test_internal_rotation_turns_the_front_of_the_thigh_medially(side, medial):
    front = hip_rotation(Pose(rotation=30), side) @ FORWARD
    assert front[2] * medial == pytest.approx(np.sin(np.radians(30)))


def test_left_hip_is_the_mirror_image_of_the_right():
    rng = np.random.default_rng(3)
    for _ in range(20):
        f, a, r = rng.uniform(-30, 30, 3)
        pose = Pose(flexion=f, adduction=a, rotation=r)
        assert np.allclose(MIRROR @ hip_rotation(pose, "r") @ MIRROR, hip_rotation(pose, "l"), atol=1e-12)


def test_rotation_order_is_flexion_then_adduction_then_rotation():
    # rotation turns about the femur's own long axis: with the hip flexed it leaves the knee in place
    flexed = hip_rotation(Pose(flexion=90), "r")
    rot = hip_rotation(Pose(flexion=90, rotation=30), "r")
    assert np.allclose(rot @ DOWN, flexed @ DOWN)
    assert not np.allclose(rot @ FORWARD, flexed @ FORWARD)
    assert np.allclose(hip_axes(Pose(flexion=90), "r")[2], [-1.0, 0.0, 0.0], atol=1e-12)
    assert np.allclose(hip_axes(Pose(), "l"), AXES["l"])


def test_hip_transform_is_rigid_and_fixes_the_hip_centre():
    c = np.array([-70.0, -66.0, 83.0])
    t = hip_transform(Pose(flexion=45, adduction=-10, rotation=20), "r", c)
    assert np.allclose(t[:3, :3] @ t[:3, :3].T, np.eye(3))
    assert np.linalg.det(t[:3, :3]) == pytest.approx(1.0)
    assert np.allclose(t[:3, :3] @ c + t[:3, 3], c)
    assert np.array_equal(t[3], [0, 0, 0, 1])


# =============================================================================== posed model
def test_posed_moves_only_the_femurs(model):
    pose = Pose(flexion={"r": 60, "l": -15}, adduction={"r": 10}, rotation={"l": 20})
    p = model.posed(pose)
    assert p.pose is pose and p.neutral is model
    for name in ("hip_bone_r", "hip_bone_l", "sacrum", "coccyx"):
        assert p.bones[name] is model.bones[name]
    for side in ("r", "l"):
        t = hip_transform(pose, side, model.hip_centers[side])
        want = model.bones[f"femur_{side}"].vertices @ t[:3, :3].T + t[:3, 3]
        assert np.allclose(p.bones[f"femur_{side}"].vertices, want)
        gt = model.landmark(f"greater_trochanter_tip_{side}")
        assert np.allclose(p.landmark(f"greater_trochanter_tip_{side}"), t[:3, :3] @ gt + t[:3, 3])
        assert np.allclose(p.landmark(f"femoral_head_center_{side}"), model.landmark(f"femoral_head_center_{side}"))
        assert np.allclose(p.landmark(f"asis_{side}"), model.landmark(f"asis_{side}"))
    # regions on the femur follow the mesh (same faces, moved vertices)
    facet = p.landmark("gt_anterior_facet_r")
    t = hip_transform(pose, "r", model.hip_centers["r"])
    assert np.allclose(facet.centroid, t[:3, :3] @ model.landmark("gt_anterior_facet_r").centroid + t[:3, 3])


def test_posing_is_absolute_and_neutral_pose_restores(model):
    twice = model.posed(Pose(flexion=30)).posed(Pose(flexion=60))
    once = model.posed(Pose(flexion=60))
    assert np.allclose(twice.bones["femur_r"].vertices, once.bones["femur_r"].vertices)
    back = once.posed(Pose())
    assert np.allclose(back.bones["femur_l"].vertices, model.bones["femur_l"].vertices)
    with pytest.raises(PoseError, match="Pose"):
        model.posed({"flexion": 10})


# =============================================================================== moment arms
def test_moment_arm_of_a_simple_fibre():
    # a fibre pulling straight up on a point 50 mm lateral to the right hip abducts it
    fib = np.array([[[0.0, 60.0, 50.0], [0.0, 30.0, 50.0], [0.0, 0.0, 50.0]]])
    arms = moment_arms(fib, np.zeros(3), AXES["r"])
    assert np.allclose(arms, [[0.0, -50.0, 0.0]])
    # mirrored fibre on the left abducts the left hip: same sign with the left axes
    arms_l = moment_arms(fib @ MIRROR, np.zeros(3), AXES["l"])
    assert np.allclose(arms_l, arms)
    # a fibre pulling forward on a point below the hip flexes it
    fib = np.array([[[60.0, -40.0, 0.0], [0.0, -40.0, 0.0]]])
    assert moment_arms(fib, np.zeros(3), AXES["r"])[0, 0] == pytest.approx(40.0)


def test_line_of_action_aims_at_the_anchor_sample():
    fib = np.array([[[0.0, 100.0, 0.0], [0.0, 50.0, 0.0], [0.0, 10.0, 0.0], [10.0, 0.0, 0.0], [20.0, 0.0, 0.0]]])
    ins, u = lines_of_action(fib, anchor=0.25)  # sample 1 of 0..4
    assert np.allclose(ins, [[20.0, 0.0, 0.0]])
    aim = np.array([0.0, 50.0, 0.0])
    assert np.allclose(u[0], (aim - ins[0]) / np.linalg.norm(aim - ins[0]))
    # between samples the aim is interpolated: 0.375 is halfway from sample 1 to sample 2
    _, u = lines_of_action(fib, anchor=0.375)
    aim = np.array([0.0, 30.0, 0.0])
    assert np.allclose(u[0], (aim - ins[0]) / np.linalg.norm(aim - ins[0]))
    with pytest.raises(ValueError, match="anchor"):
        lines_of_action(fib, anchor=1.0)


def test_each_muscle_aims_where_it_leaves_the_pelvis():
    """The anchor is the muscle's `follow` start: the pelvis-held part of the fibre ends there."""
    from glute3d.anatomy.muscles.specs import muscle_specs

    for name, spec in muscle_specs().items():
        assert muscle_anchor(f"{name}_r") == pytest.approx(spec.follow[0])
    with pytest.raises(KeyError, match="piriformis"):
        muscle_anchor("piriformus_r")


# =============================================================================== actions (seeds)
@pytest.mark.parametrize("side", ["r", "l"])
def test_small_gluteals_anterior_fibres_flex_and_rotate_inward(model, side):
    """Seeds 000, 001, 002: the ventral fibres flex and rotate the thigh inward."""
    part = actions(model, f"gluteus_minimus_anterior_{side}")
    assert part.produces("flexion"), part.movements
    assert part.produces("internal_rotation", threshold=5.0), part.movements
    # gluteus medius: at 0° only its most ventral fibres flex (the anterior third as a whole is
    # neutral, Gait2392's extends: FIDELITY.md); from 20° of flexion on the whole third flexes
    part = actions(model, f"gluteus_medius_anterior_{side}")
    assert part.produces("internal_rotation", threshold=5.0), part.movements
    ventral = part.moment_arms[: len(part.moment_arms) // 3, 0]
    assert (ventral > 3.0).all(), ventral
    assert actions(model, f"gluteus_medius_anterior_{side}", Pose(flexion=20)).produces("flexion")


@pytest.mark.parametrize("side", ["r", "l"])
def test_small_gluteals_posterior_fibres_extend_and_rotate_outward(model, side):
    """Seed 000: the dorsal fibres extend and rotate the thigh outward."""
    for muscle, ext in (("gluteus_minimus", 0.5), ("gluteus_medius", 3.0)):
        part = actions(model, f"{muscle}_posterior_{side}")
        assert part.produces("extension", threshold=ext), (muscle, part.movements)
        assert part.produces("external_rotation", threshold=5.0), (muscle, part.movements)


@pytest.mark.parametrize("side", ["r", "l"])
def test_whole_small_gluteals_abduct_in_any_position(model, side):
    """Seeds 000-004: the whole muscle abducts (the primary action) with the limb extended."""
    for pose in (Pose(), Pose(flexion=-20), Pose(rotation=20), Pose(flexion=30)):
        for muscle in ("gluteus_minimus", "gluteus_medius"):
            act = actions(model, f"{muscle}_{side}", pose)
            assert act.produces("abduction", threshold=15.0), (muscle, pose, act.movements)
            assert max(act.movements.items(), key=lambda kv: kv[1])[0] == "abduction" or pose.angles(side)[0] > 0


def test_minimus_rotation_depends_on_hip_position(model):
    """Seed 001: with the hip flexed the minimus rotates inward; with it extended, outward."""
    flexed = actions(model, "gluteus_minimus_r", Pose(flexion=60))
    neutral = actions(model, "gluteus_minimus_r", Pose())
    extended = actions(model, "gluteus_minimus_r", Pose(flexion=-20))
    assert flexed.produces("internal_rotation", threshold=15.0)
    assert flexed.strength("internal_rotation") > neutral.strength("internal_rotation") + 10.0
    assert extended.strength("internal_rotation") < neutral.strength("internal_rotation")
    assert extended.strength("external_rotation") > 0.0  # the sign turns (seed 001)
    # in flexion even the posterior fibres turn into internal rotators
    assert actions(model, "gluteus_minimus_posterior_r", Pose(flexion=90)).produces("internal_rotation")


def test_other_gluteal_muscles(model):
    maximus = actions(model, "gluteus_maximus_r")
    assert maximus.produces("extension", threshold=15.0) and maximus.produces("external_rotation", threshold=15.0)
    assert maximus.parts["superior"].produces("abduction", threshold=5.0)
    assert maximus.parts["inferior"].produces("adduction")
    assert actions(model, "piriformis_r").produces("external_rotation", threshold=15.0)
    tfl = actions(model, "tensor_fasciae_latae_l")
    for movement in ("flexion", "abduction", "internal_rotation"):
        assert tfl.produces(movement, threshold=5.0), tfl.movements


HIP_MOVEMENTS = {m for pair in MOVEMENTS for m in pair}
KB_POSES = {"any": Pose(), "hip extended": Pose(), "hip flexed": Pose(flexion=60)}
KB_PART = {
    "whole": None,
    "anterior": "anterior",
    "middle": "middle",
    "posterior": "posterior",
    "superior fibres": "superior",
}
#: Stated by one seed, contradicted by another (the knowledge base records both).
KB_CONFLICTS = {
    ("gluteus_minimus", "whole", "hip extended", "internal_rotation"),
    ("gluteus_minimus", "whole", "hip extended", "external_rotation"),
    # contested (FIDELITY.md): Gait2392 extends with it at 0°; tested fibre by fibre below
    ("gluteus_medius", "anterior", "any", "flexion"),
}


def _kb_cases():
    cases = []
    for muscle in ("gluteus_minimus", "gluteus_medius", "gluteus_maximus", "piriformis", "tensor_fasciae_latae"):
        for a in facts(muscle).actions:
            key = (muscle, a["part"], a["position"], a["movement"])
            if (
                a["joint"] == "hip"
                and a["movement"] in HIP_MOVEMENTS
                and a["position"] in KB_POSES
                and a["part"] in KB_PART
                and key not in KB_CONFLICTS
            ):
                cases.append(key)
    return cases


@pytest.mark.parametrize(("muscle", "part", "position", "movement"), _kb_cases())
def test_knowledge_base_actions_are_reproduced(model, muscle, part, position, movement):
    """Every hip movement the knowledge base gives for a muscle (part) shows up in its moment arms."""
    sub = KB_PART[part]
    name = f"{muscle}_{sub}_r" if sub else f"{muscle}_r"
    act = actions(model, name, KB_POSES[position])
    assert act.produces(movement), (name, position, act.movements)


def test_kb_cases_cover_the_seed_facts():
    cases = set(_kb_cases())
    assert ("gluteus_minimus", "anterior", "any", "flexion") in cases
    assert ("gluteus_minimus", "whole", "hip flexed", "internal_rotation") in cases
    assert ("gluteus_medius", "posterior", "any", "external_rotation") in cases
    assert len(cases) >= 15


def test_actions_api(model):
    act = actions(model, "gluteus_medius_l")
    assert set(act.parts) == {"anterior", "middle", "posterior"}
    assert act.moment_arms.shape == (len(model.muscles["gluteus_medius_l"].fibres), 3)
    assert act.weights.sum() == pytest.approx(1.0)
    per_fibre = act.fibre_movements()
    assert len(per_fibre) == len(act.moment_arms) and all(len(m) == 3 for m in per_fibre)
    assert set(act.movements) <= {
        "flexion",
        "extension",
        "abduction",
        "adduction",
        "internal_rotation",
        "external_rotation",
    }
    assert act.strength("abduction") == pytest.approx(-act.strength("adduction"))
    with pytest.raises(KeyError, match="did you mean"):
        actions(model, "gluteus_medius_anterior")
    with pytest.raises(KeyError, match="unknown movement"):
        act.strength("circumduction")


# =============================================================================== sweep
def test_actions_in_a_pose_pull_between_points_held_by_the_bones(model):
    """In any pose a fibre pulls from where it leaves the femur (carried by it) toward its anchor
    (held by the pelvis): the sweep's lines, pose by pose; a pelvis turned in the room changes nothing."""
    from glute3d.teaching.actions import held_moment_arms, moment_arm_sweep, muscle_leave

    poses = [Pose(flexion=75), Pose(adduction=-25, rotation=20), Pose(flexion=75, pelvis_tilt=15, pelvis_list=-5)]
    sweep = moment_arm_sweep(model, poses, side="r")
    for i, pose in enumerate(poses):
        for name in ("piriformis_r", "gluteus_medius_r", "gluteus_maximus_r"):
            assert np.allclose(actions(model, name, pose).moment_arms, sweep[name][i], atol=1e-9), (name, pose)
            assert np.allclose(actions(model.posed(pose), name).moment_arms, sweep[name][i], atol=1e-9)
    assert np.allclose(sweep["piriformis_r"][2], sweep["piriformis_r"][0], atol=1e-9)
    # at neutral they are the lines of the neutral fibres; flexed, the anchor stays, the exit turns
    neutral = model.neutral
    f = neutral.muscles["piriformis_r"].fibres
    c = neutral.hip_centers["r"]
    kw = {"anchor": muscle_anchor("piriformis_r"), "leave": muscle_leave("piriformis_r")}
    assert np.allclose(actions(model, "piriformis_r").moment_arms, moment_arms(f, c, AXES["r"], **kw), atol=1e-9)
    rot = hip_rotation(Pose(flexion=75), "r")
    ins, _ = lines_of_action(f, **kw)
    anchor = f[:, 14] * 0.94 + f[:, 15] * 0.06  # 0.74 of 19 samples
    r = (ins - c) @ rot.T  # the exit point turned with the femur
    u = (anchor - c - r) / np.linalg.norm(anchor - c - r, axis=1, keepdims=True)
    expect = np.cross(r, u) @ hip_axes(Pose(flexion=75), "r").T
    assert np.allclose(sweep["piriformis_r"][0], expect, atol=1e-9)
    assert np.allclose(held_moment_arms(f, c, rot[None], hip_axes(Pose(flexion=75), "r")[None], **kw)[0], expect)


def test_moment_arm_sweep_matches_the_posed_muscles(model):
    """Over flexion and ab/adduction the lines of the drawn (regenerated) fibres give nearly the
    held lines' moment arms: wrapping and smoothing shift their samples a few mm along the bones."""
    from glute3d.anatomy.pose import hip_axes as axes_of
    from glute3d.teaching.actions import moment_arm_sweep, muscle_leave

    poses = [Pose(flexion=60), Pose(flexion=90), Pose(adduction=-30), Pose(adduction=20)]
    sweep = moment_arm_sweep(model, poses, side="l")
    assert set(sweep) == {n for n in model.muscles if n.endswith("_l")}
    for i, pose in enumerate(poses):
        posed = model.posed(pose)
        for name, m in posed.muscles.items():
            if m.side != "l":
                continue
            full = moment_arms(
                m.fibres,
                posed.hip_centers["l"],
                axes_of(pose, "l"),
                anchor=muscle_anchor(name),
                leave=muscle_leave(name),
            )
            assert sweep[name][i].shape == full.shape
            assert np.abs(m.weights @ (full - sweep[name][i])).max() < 4.5, (name, pose)


# =============================================================================== the pelvis in the room
@pytest.mark.parametrize(
    ("field", "value", "lo", "hi"),
    [("pelvis_tilt", 31, -30, 30), ("pelvis_list", -21, -20, 20), ("pelvis_rotation", 45, -30, 30)],
)
def test_pelvis_angles_out_of_range_are_one_clear_line(field, value, lo, hi):
    with pytest.raises(PoseError) as err:
        Pose(**{field: value})
    msg = str(err.value)
    assert field in msg and f"{lo:g}..{hi:g}" in msg and "\n" not in msg
    with pytest.raises(PoseError, match="finite number"):
        Pose(**{field: float("nan")})


def test_pelvis_transform_follows_opensim_signs():
    from glute3d.anatomy.pose import pelvis_transform

    right = np.array([0.0, 0.0, 100.0])
    front = np.array([100.0, 0.0, 0.0])
    assert (pelvis_transform(Pose(pelvis_list=10))[:3, :3] @ right)[1] < 0  # right side down
    assert (pelvis_transform(Pose(pelvis_tilt=10))[:3, :3] @ front)[1] > 0  # front up: posterior tilt
    assert (pelvis_transform(Pose(pelvis_rotation=10))[:3, :3] @ front)[2] < 0  # front turns left
    assert not Pose(pelvis_list=5).is_neutral and "pelvis: tilt 0°, list 5°" in str(Pose(pelvis_list=5))


@pytest.mark.parametrize("side", ["r", "l"])
def test_single_leg_stance_is_one_movement_in_two_frames(model, side):
    """The pelvis drops to the swing side in the room; the stance femur stays upright, its hip adducts."""
    other = "l" if side == "r" else "r"
    pose = Pose.single_leg_stance(side, pelvic_drop=8, rotation={other: 5})
    assert pose.angles(side) == (0.0, 8.0, 0.0) and pose.angles(other) == (0.0, 0.0, 5.0)
    posed = model.posed(pose)
    # the stance femur keeps its neutral orientation in the room
    fem = f"femur_{side}"
    a = posed.bones[fem].vertices - posed.hip_centers[side]
    b = model.bones[fem].vertices - model.hip_centers[side]
    assert np.abs(a - b).max() < 1e-6
    # the swing side of the pelvis is lower by about sin(8°) x the crest width
    drop = posed.landmark(f"iliac_crest_top_{side}")[1] - posed.landmark(f"iliac_crest_top_{other}")[1]
    width = abs(model.landmark("iliac_crest_top_r")[2] - model.landmark("iliac_crest_top_l")[2])
    assert drop == pytest.approx(width * np.sin(np.radians(8)), rel=0.05)
    with pytest.raises(PoseError, match="stance side"):
        Pose.single_leg_stance("x", pelvic_drop=5)
    with pytest.raises(PoseError, match="pelvic_drop"):
        Pose.single_leg_stance(side, pelvic_drop=25)


def test_everything_follows_the_pelvis(model):
    """Muscles, paths and skin of a pelvis pose are those of the hip pose, moved into the room."""
    from glute3d.anatomy.pose import pelvis_transform

    pose = Pose(pelvis_tilt=-10, pelvis_list=6, pelvis_rotation=5, flexion={"r": 30})
    posed = model.posed(pose)
    frame = model.posed(Pose(flexion={"r": 30}))
    t = pelvis_transform(pose)

    def moved(p):
        return p @ t[:3, :3].T + t[:3, 3]

    assert np.allclose(posed.bones["sacrum"].vertices, moved(model.bones["sacrum"].vertices))
    assert np.allclose(posed.landmark("asis_l"), moved(model.landmark("asis_l")))
    for name in ("gluteus_medius_r", "piriformis_l"):
        assert np.allclose(posed.muscles[name].fibres, moved(frame.muscles[name].fibres))
        assert np.allclose(posed.muscles[name].mesh.vertices, moved(frame.muscles[name].mesh.vertices))
    sci = posed.paths["sciatic_nerve_r"]
    assert np.allclose(sci.exit, moved(frame.paths["sciatic_nerve_r"].exit))
    for name, branch in posed.paths["superior_gluteal_nerve_l"].branches.items():
        assert np.allclose(branch.centreline, moved(frame.paths["superior_gluteal_nerve_l"].branches[name].centreline))
    assert posed.structure("superior_gluteal_nerve_l").n_faces == frame.structure("superior_gluteal_nerve_l").n_faces
    skin = posed.skin
    assert np.allclose(skin.mesh.vertices, moved(frame.skin.mesh.vertices))
    # moment arms are the hip pose's: the pelvis in the room does not change them
    assert np.allclose(
        actions(posed, "gluteus_medius_r").moment_arm, actions(frame, "gluteus_medius_r").moment_arm, atol=1e-6
    )


# =============================================================================== scene files
def _scene(tmp_path, pose_text):
    from glute3d.scene import Scene

    path = tmp_path / "stance.toml"
    path.write_text('title = "t"\n[[layers]]\nstructures = ["femur_r"]\n[pose]\n' + pose_text, encoding="utf-8")
    return Scene.from_file(path)


def test_scene_pose_takes_the_pelvis_and_single_leg_stance(tmp_path):
    scene = _scene(tmp_path, 'stance = "r"\npelvic_drop = 10\nadduction = { l = -10 }\n')
    assert scene.pose.angles("r") == (0.0, 10.0, 0.0) and scene.pose.angles("l") == (0.0, -10.0, 0.0)
    assert scene.pose.pelvis == (0.0, -10.0, 0.0) and not scene.pose.is_neutral
    assert _scene(tmp_path, "pelvis_tilt = -12\n").pose.pelvis == (-12.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("pelvic_drop = 5\n", "pelvic_drop needs stance"),
        ('stance = "r"\npelvis_list = 4\n', "not both"),
        ("pelvis_list = 25\n", "between -20 and 20"),
        ('stance = "x"\n', "stance"),
    ],
)
def test_scene_pose_errors_are_one_line(tmp_path, text, needle):
    from glute3d.scene import SceneError

    with pytest.raises(SceneError) as err:
        _scene(tmp_path, text)
    msg = str(err.value)
    assert needle in msg and "stance.toml" in msg and "\n" not in msg.strip()
