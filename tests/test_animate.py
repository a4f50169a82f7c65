"""Animations: keyframes validated, poses eased, frames rendered through the normal path, MP4 and GIF written."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SCENES
from glute3d.cli import main
from glute3d.scene import Scene, SceneError
from glute3d.scene.animation import diverging_colour, ease, fibre_marks, frame_poses, pose_at
from glute3d.scene.schema import Animation
from test_cli import one_error_line, scene_file

# 6 frames (1 s at 5 fps), 160x120: bones only, so that no soft tissue is generated
SMALL = """
resolution = [160, 120]

[camera]
preset = "posterior"
focus = ["hip_bone_r", "femur_r"]

[[layers]]
structures = ["hip_bone_r", "femur_r"]

[animation]
fps = 5
framing = "{framing}"

[[animation.keyframes]]
time = 0

[[animation.keyframes]]
time = 1
adduction = {{ r = -40 }}
"""


def small_scene(framing: str = "all") -> Scene:
    return Scene.from_toml(SMALL.format(framing=framing))


# =============================================================================== keyframes
@pytest.mark.parametrize(
    ("keyframes", "extra", "field", "words"),
    [
        ([{"time": 0}], {}, "animation.keyframes", "at least 2"),
        ([{"time": 1}, {"time": 2}], {}, "animation", "first keyframe must be at time = 0"),
        ([{"time": 0}, {"time": 2}, {"time": 2}], {}, "animation", "must be later than keyframes[1].time"),
        ([{"time": 0}, {"time": 1, "flexion": 130}], {}, "animation.keyframes[1].flexion", "out of range"),
        ([{"time": 0}, {"time": 1, "flexon": 30}], {}, "animation.keyframes[1].flexon", ""),
        ([{"time": 0, "stance": "r"}, {"time": 1}], {}, "animation", "same stance leg"),
        ([{"time": 0}, {"time": 1, "pelvic_drop": 5}], {}, "animation.keyframes[1]", "pelvic_drop needs stance"),
        ([{"time": 0}, {"time": 3}], {"duration": 2}, "animation", "ends before the last keyframe"),
        ([{"time": 0}, {"time": 600}], {"fps": 60}, "animation", "too many"),
        ([{"time": 0}, {"time": -1}], {}, "animation.keyframes[1].time", ""),
    ],
)
def test_bad_keyframes_are_one_line_errors(keyframes, extra, field, words):
    with pytest.raises(SceneError) as err:
        Scene.from_dict({"animation": {"keyframes": keyframes, **extra}})
    text = str(err.value)
    assert "\n" not in text and field in text and words in text, text


def test_pose_and_keyframes_together_are_refused():
    with pytest.raises(SceneError, match="remove \\[pose\\]"):
        Scene.from_dict({"pose": {"flexion": 20}, "animation": {"keyframes": [{"time": 0}, {"time": 1}]}})


def test_a_still_shows_the_first_keyframe_and_survives_a_round_trip():
    scene = Scene.from_dict({"animation": {"keyframes": [{"time": 0, "flexion": 20}, {"time": 1}]}})
    assert scene.pose.angles("r") == (20.0, 0.0, 0.0)
    again = Scene.from_toml(scene.to_toml())
    assert again.pose == scene.pose and again.animation == scene.animation


def test_poses_ease_between_keyframes():
    anim = Animation(
        keyframes=[{"time": 0}, {"time": 1, "flexion": {"r": 90}}, {"time": 3, "flexion": {"r": 30}}],
        duration=4,
        fps=10,
    )
    assert anim.n_frames == 41
    flex = np.array([p.angles("r")[0] for p in frame_poses(anim)])
    assert flex[0] == 0.0 and flex[10] == pytest.approx(90.0) and flex[30] == pytest.approx(30.0)
    assert np.all(np.diff(flex[:11]) > 0) and np.all(np.diff(flex[10:31]) < 0)  # no overshoot
    assert np.all(flex[30:] == pytest.approx(30.0))  # held after the last keyframe
    # gentle at the keyframes: the first and last steps of a segment are the smallest
    steps = np.diff(flex[:11])
    assert steps[0] < steps[5] and steps[-1] < steps[5]
    assert [p.angles("l")[0] for p in frame_poses(anim)] == [0.0] * 41
    assert ease([0.25]).tolist() == [0.15625]


def test_a_stance_animation_eases_the_pelvic_drop():
    anim = Animation(keyframes=[{"time": 0, "stance": "r"}, {"time": 2, "stance": "r", "pelvic_drop": 10}])
    mid = pose_at(anim, 1.0)
    assert mid.stance == "r" and mid.pelvic_drop == pytest.approx(5.0)
    assert mid.pelvis[1] == pytest.approx(-5.0) and mid.angles("r")[1] == pytest.approx(5.0)


def test_diverging_colours_run_from_blue_through_grey_to_red():
    rgb = diverging_colour([-100.0, -30.0, 0.0, 30.0], 30.0)
    assert np.allclose(rgb[0], rgb[1])  # clipped at the colour bar's end
    assert rgb[1, 2] > rgb[1, 0] and rgb[3, 0] > rgb[3, 2]  # external blue, internal red
    assert np.allclose(rgb[2], rgb[2, 0])  # grey at 0


# =============================================================================== frames and videos
def test_first_frame_is_the_still_and_frames_move(bone_model):
    from glute3d.render import render
    from glute3d.render.animate import animation_frames

    scene = small_scene("first")
    frames = list(animation_frames(scene, bone_model, anti_aliasing=False))
    assert len(frames) == 6 and frames[0].shape == (120, 160, 3)
    still = render(scene, bone_model, anti_aliasing=False).image
    assert np.array_equal(frames[0], still)
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))


def test_the_camera_does_not_move(bone_model):
    """The hip bone stands still while the femur abducts: the top of the picture (the iliac
    crest) stays on the same row and the pelvis's pixels do not change."""
    from glute3d.render.animate import animation_frames

    frames = list(animation_frames(small_scene("all"), bone_model, anti_aliasing=False))
    tops = [int(np.argmax((f < 200).any(axis=(1, 2)))) for f in frames]
    assert len(set(tops)) == 1, tops
    rows = slice(tops[0], tops[0] + 20)  # the iliac crest, above the rising greater trochanter
    assert all(np.array_equal(frames[0][rows, :80], f[rows, :80]) for f in frames[1:])


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_video_written_and_read_back(bone_model, tmp_path, suffix):
    import imageio.v3 as iio

    from glute3d.render import render
    from glute3d.render.animate import animate

    scene = small_scene("first")
    out = animate(scene, tmp_path / f"abduction{suffix}", bone_model, anti_aliasing=False)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left
    frames = iio.imread(out, index=None)
    assert frames.shape[:3] == (6, 120, 160)
    rgb = frames[..., :3].astype(float)
    assert all(np.abs(a - b).mean() > 0.5 for a, b in zip(rgb, rgb[1:]))  # every frame differs
    still = render(scene, bone_model, anti_aliasing=False).image.astype(float)
    # lossy H.264 and the GIF palette: close to the still, and much closer than the last frame
    err_first, err_last = np.abs(rgb[0] - still).mean(), np.abs(rgb[-1] - still).mean()
    assert err_first < 4.0 and err_first < err_last / 2, (err_first, err_last)


def test_fibres_flip_from_external_to_internal_rotation_with_flexion(tissue_model):
    """Posterior gluteus medius fibres rotate externally standing, internally at 90 degrees of flexion."""
    from glute3d.scene.resolve import apply_pose

    scene = Scene.from_dict(
        {
            "layers": [{"structures": ["hip_bone_r", "femur_r"]}],
            "animation": {
                "keyframes": [{"time": 0}, {"time": 1, "flexion": {"r": 90}}],
                "fibres": ["gluteus_medius_r"],
            },
        }
    )
    values = []
    for pose in (pose_at(scene.animation, 0.0), pose_at(scene.animation, 1.0)):
        frame = scene.model_copy(update={"pose": pose})
        colouring = fibre_marks(frame, apply_pose(frame, tissue_model))
        assert len(colouring.marks) == len(colouring.values) > 10
        assert all(m.kind == "line" and m.color.startswith("#") for m in colouring.marks)
        values.append(colouring.values)
    # fibres run anterior to posterior: the posterior quarter turns from external (-) to internal (+)
    n = len(values[0])
    back = slice(0, n // 4) if values[0][: n // 4].mean() < values[0][-n // 4 :].mean() else slice(-(n // 4), None)
    assert values[0][back].mean() < 0 < values[1][back].mean()


def test_fibre_frames_have_a_colour_bar(tissue_model):
    from glute3d.render.animate import animation_frames

    scene = Scene.from_dict(
        {
            "resolution": [320, 240],
            "layers": [{"structures": ["hip_bone_r", "femur_r"]}],
            "camera": {"preset": "lateral"},
            "animation": {
                "keyframes": [{"time": 0}, {"time": 1, "flexion": {"r": 60}}],
                "fps": 1,
                "fibres": ["gluteus_minimus_r"],
            },
        }
    )
    frames = list(animation_frames(scene, tissue_model, anti_aliasing=False))
    assert len(frames) == 2
    for f in frames:
        px = f.reshape(-1, 3).astype(int)
        blue = ((px[:, 2] - px[:, 0]) > 80).sum()  # the bar's external end, and external fibres
        red = ((px[:, 0] - px[:, 2]) > 80).sum()
        assert blue > 50 and red > 50


def test_unknown_fibre_muscle_names_the_field(tissue_model):
    from glute3d.scene.resolve import apply_pose

    scene = Scene.from_dict({"animation": {"keyframes": [{"time": 0}, {"time": 1}], "fibres": ["gluteus_medus_r"]}})
    with pytest.raises(SceneError, match=r"animation\.fibres\[0\].*gluteus_medius"):
        fibre_marks(scene, apply_pose(scene, tissue_model))


# =============================================================================== the command
def test_cli_writes_a_gif(tmp_path, capsys):
    scene = scene_file(tmp_path, "a.toml", SMALL.format(framing="all"))
    out = tmp_path / "out" / "a.gif"
    assert main(["animate", str(scene), "-o", str(out), "--no-aa"]) == 0
    assert out.is_file() and "6 frames" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("output", "words"),
    [("a.avi", "unknown video format '.avi'"), ("a", "unknown video format '(none)'"), ("blocker/a.mp4", "writable")],
)
def test_cli_output_errors_are_one_line(tmp_path, capsys, output, words):
    scene = scene_file(tmp_path, "a.toml", SMALL.format(framing="all"))
    (tmp_path / "blocker").write_text("a file, not a folder")
    assert main(["animate", str(scene), "-o", str(tmp_path / output)]) == 1
    assert words in one_error_line(capsys.readouterr().err)


def test_cli_scene_errors_are_one_line(tmp_path, capsys):
    still = scene_file(tmp_path, "still.toml", "[[layers]]\nstructures = ['hip_bone_r']\n")
    assert main(["animate", str(still), "-o", str(tmp_path / "x.mp4")]) == 1
    assert "has no [animation]" in one_error_line(capsys.readouterr().err)
    bad = scene_file(tmp_path, "bad.toml", "[animation]\nkeyframes = [{ time = 0 }, { time = 0 }]\n")
    assert main(["animate", str(bad), "-o", str(tmp_path / "x.mp4")]) == 1
    assert "bad.toml" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "x.mp4").exists()


def test_lecture_animations_are_valid_and_their_stills_show_the_first_pose():
    files = sorted(SCENES.glob("2[789]_animation_*.toml"))
    assert len(files) == 3
    for p in files:
        scene = Scene.from_file(p)
        assert scene.animation is not None and scene.animation.n_frames > 48
        assert scene.pose == scene.animation.first_pose
    assert Scene.from_file(files[1]).animation.fibres
