"""The viewer driven off-screen, as its widgets drive it: what the plotter shows after each control.

Every test opens its own small :class:`glute3d.viewer.Viewer` (the test setup closes plotters
after each test); the real window is tested under Xvfb in ``test_viewer_window.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glute3d.anatomy.pose import Pose, hip_transform
from glute3d.scene import Scene, load_theme, parse_color
from glute3d.viewer import Viewer, info_card
from glute3d.viewer.actors import geometry
from glute3d.viewer.layers import PEEL_ORDER

SIZE = (400, 300)
SCENES_DIR = Path(__file__).resolve().parents[1] / "scenes"


def points(viewer: Viewer, name: str) -> np.ndarray:
    """The points of a structure's actor, or of an overlay or mark (``"overlay:…"``, ``"mark:…"``)."""
    actor = viewer.plotter.actors[name] if ":" in name else viewer.actors[name]
    return np.array(geometry(actor).GetPoints().GetData(), float)  # the full mesh, also while dragging


def colour(viewer: Viewer, name: str) -> tuple[float, ...]:
    return tuple(round(c, 4) for c in viewer.actors[name].GetProperty().GetColor())


@pytest.fixture
def viewer(tissue_model):
    v = Viewer(None, model=tissue_model, size=SIZE)
    yield v
    v.close()


# =============================================================================== layers
def test_layers_group_every_drawn_structure_in_panel_order(viewer):
    keys = [g.key for g in viewer.layers]
    assert keys == ["skin", "gluteus_maximus", "gluteus_medius", "gluteus_minimus", "other_muscles", "nerves",
                    "arteries", "bone"]  # fmt: skip
    drawn = sorted(n for g in viewer.layers for n in g.structures)
    assert drawn == sorted(viewer.actors)
    assert viewer.layer("Gluteus medius").structures == ["gluteus_medius_r", "gluteus_medius_l"]
    with pytest.raises(KeyError, match="no layer 'tendons'.*layers: skin"):
        viewer.layer("tendons")


def test_toggle_layer_hides_and_shows_its_actors(viewer):
    assert viewer.toggle_layer("gluteus_maximus") is False
    assert not viewer.actors["gluteus_maximus_r"].GetVisibility()
    assert not viewer.actors["gluteus_maximus_l"].GetVisibility()
    assert viewer.actors["gluteus_medius_r"].GetVisibility()
    assert "gluteus_maximus_r" not in viewer.shown_structures()
    assert viewer.toggle_layer("gluteus_maximus") is True
    assert viewer.actors["gluteus_maximus_r"].GetVisibility()


def test_set_opacity_fades_a_layer_and_below_half_it_is_clicked_through(viewer):
    viewer.set_opacity("gluteus_maximus", 0.3)
    assert viewer.actors["gluteus_maximus_r"].GetProperty().GetOpacity() == pytest.approx(0.3)
    assert not viewer.actors["gluteus_maximus_r"].GetPickable()
    viewer.set_opacity("gluteus_maximus", 0.8)
    assert viewer.actors["gluteus_maximus_l"].GetProperty().GetOpacity() == pytest.approx(0.8)
    assert viewer.actors["gluteus_maximus_l"].GetPickable()
    with pytest.raises(ValueError, match="between 0 and 1"):
        viewer.set_opacity("skin", 1.5)


def test_peel_removes_layers_outside_in_and_keeps_the_bone(viewer):
    peeled = [viewer.peel() for _ in range(6)]
    assert peeled == [*PEEL_ORDER[:-1], None, None]
    for key in PEEL_ORDER[:-1]:
        assert not any(viewer.actors[s].GetVisibility() for s in viewer.layer(key).structures)
    assert viewer.actors["femur_r"].GetVisibility()
    assert viewer.unpeel() == "gluteus_minimus"
    assert viewer.actors["gluteus_minimus_r"].GetVisibility()
    assert not viewer.actors["gluteus_medius_r"].GetVisibility()


# =============================================================================== selection
def test_pick_highlights_and_returns_the_info_card(viewer):
    before = colour(viewer, "gluteus_medius_r")
    card = viewer.pick("gluteus_medius_r")
    rows = dict(card.rows)
    assert card.title == "Gluteus medius, right"
    assert rows["Innervation"] == "Superior gluteal nerve (L4, L5, S1)"
    assert rows["Blood supply"].startswith("Superior gluteal artery")
    assert {"Origin", "Insertion", "Action", "Clinical"} <= set(rows)
    highlight = tuple(round(c, 4) for c in parse_color(load_theme()["styles"]["highlight"]["color"]))
    assert colour(viewer, "gluteus_medius_r") == highlight
    assert "Gluteus medius, right" in viewer._texts["card"].GetInput()
    viewer.pick("piriformis_r")  # the previous selection goes back to its own colour
    assert colour(viewer, "gluteus_medius_r") == before
    viewer.clear_selection()
    assert viewer.selection is None and "card" not in viewer._texts
    with pytest.raises(KeyError, match="not drawn in this view"):
        viewer.pick("vastus_lateralis_r")


def test_cards_of_nerves_arteries_parts_and_bones():
    nerve = dict(info_card("superior_gluteal_nerve_l").rows)
    assert nerve["Origin"] == "Sacral plexus (L4, L5, S1)"
    assert "gluteus medius" in nerve["Supplies"]
    assert dict(info_card("gluteus_minimus_anterior_r").rows) == dict(info_card("gluteus_minimus_r").rows)
    assert info_card("femur_l").title == "Femur, left"


def test_pick_at_a_pixel_picks_what_is_drawn_there(viewer):
    viewer.peel()  # the skin is translucent and clicked through anyway
    viewer.render()
    renderer = viewer.plotter.renderer
    pts = points(viewer, "gluteus_maximus_r")
    hits = []
    for p in pts[:: max(1, len(pts) // 60)]:
        renderer.SetWorldPoint(*p, 1.0)
        renderer.WorldToDisplay()
        x, y, _ = renderer.GetDisplayPoint()
        hits.append(viewer.structure_at(x, y))
    assert hits.count("gluteus_maximus_r") > len(hits) // 2
    assert viewer.pick_at(2, 2) is None  # the background


# =============================================================================== pose
def test_set_pose_moves_one_hip_in_place(viewer, bone_model):
    femur_before = points(viewer, "femur_r")
    left_before = points(viewer, "gluteus_medius_l")
    medius_before = points(viewer, "gluteus_medius_r")
    viewer.set_pose(flexion=44, side="r")  # the first move gives each moved actor geometry of its own
    data_object = viewer.actors["gluteus_medius_r"].GetMapper().GetInput()
    viewer.set_pose(flexion=45, side="r")
    t = hip_transform(Pose(flexion={"r": 45}), "r", bone_model.hip_centers["r"])
    assert np.allclose(points(viewer, "femur_r"), femur_before @ t[:3, :3].T + t[:3, 3], atol=1e-4)
    assert np.array_equal(points(viewer, "gluteus_medius_l"), left_before)
    moved = np.linalg.norm(points(viewer, "gluteus_medius_r") - medius_before, axis=1)
    assert moved.max() > 10.0  # mm: the insertion follows the trochanter
    assert viewer.actors["gluteus_medius_r"].GetMapper().GetInput() is data_object  # in place
    posed = bone_model.posed(Pose(flexion={"r": 45}))
    assert np.allclose(points(viewer, "gluteus_medius_r"), posed.muscles["gluteus_medius_r"].mesh.vertices)
    # the renderer's shared geometry is not touched: a fresh render of the model is neutral
    from glute3d.render.polydata import poly

    assert np.allclose(np.asarray(poly(bone_model.muscles["gluteus_medius_r"].mesh).points), medius_before)


def test_dragging_carries_paths_and_letting_go_regenerates_them(viewer, bone_model):
    renderer = viewer.plotter.renderer
    assert renderer.GetUseFXAA()
    viewer.set_pose(flexion=30, dragging=True)
    assert viewer.dragging and not renderer.GetUseFXAA() and not renderer.GetUseOIT()  # cheaper frames
    dragged = points(viewer, "sciatic_nerve_r")
    viewer.end_drag()
    assert not viewer.dragging and renderer.GetUseFXAA() and renderer.GetUseOIT()
    exact = bone_model.posed(Pose(flexion={"r": 30})).paths["sciatic_nerve_r"].mesh.vertices
    assert np.allclose(points(viewer, "sciatic_nerve_r"), exact)
    # the dragged nerve was near its exact course (the blend is an approximation while dragging)
    lowest = dragged[np.argsort(dragged[:, 1])[:50]].mean(0)
    assert np.linalg.norm(lowest - exact[np.argsort(exact[:, 1])[:50]].mean(0)) < 40.0


def test_dragging_draws_a_cheaper_frame_and_letting_go_restores_the_full_one(tissue_model):
    viewer = Viewer(None, model=tissue_model, size=SIZE)
    direct = Viewer(None, model=tissue_model, size=SIZE)
    try:
        viewer.set_pose(flexion=25, dragging=True)
        viewer.set_pose(flexion=30, dragging=True)
        drag = viewer.drag_view
        assert drag.reduction == 2  # half the window's width and height
        assert {"skin", "femur_r", "femur_l", "hip_bone_r", "sacrum"} <= set(drag.swapped)
        assert not any(n.startswith(("gluteus", "sciatic")) for n in drag.swapped)  # small meshes drawn whole
        for name in drag.swapped:
            actor, full = viewer.actors[name], geometry(viewer.actors[name])
            drawn = actor.GetMapper().GetInput()
            assert drawn is not full and drawn.GetNumberOfCells() < 0.3 * full.GetNumberOfCells()
            kept = np.asarray(full.GetPoints().GetData())[drag.coarse[name].keep]
            assert np.array_equal(np.asarray(drawn.GetPoints().GetData()), kept)  # follows the moved mesh
        # closed opaque meshes skip their back faces (never seen); the translucent, open skin does not
        culled = {n for n, a in viewer.actors.items() if a.GetProperty().GetBackfaceCulling()}
        assert {"hip_bone_r", "femur_r", "gluteus_medius_r", "sciatic_nerve_r"} <= culled and "skin" not in culled
        dragged = viewer.screenshot(texts=False).astype(int)
        viewer.set_cut_plane((0.0, 0.0, 0.0), (0.0, 0.0, 1.0))  # a cut bone shows its inside: nothing culled
        assert not any(a.GetProperty().GetBackfaceCulling() for a in viewer.actors.values())
        viewer.clear_cut_plane()
        assert viewer.actors["femur_r"].GetProperty().GetBackfaceCulling()
        viewer.end_drag()
        assert drag.reduction == 1 and not drag.swapped
        assert not any(a.GetProperty().GetBackfaceCulling() for a in viewer.actors.values())
        for name, actor in viewer.actors.items():
            assert actor.GetMapper().GetInput() is geometry(actor), name
        released = viewer.screenshot(texts=False)
        direct.set_pose(flexion=30)  # never dragged
        assert np.array_equal(released, direct.screenshot(texts=False))
        # the drag frame was a fair picture of the same model: a few levels off on average, not another view
        assert 0 < np.abs(dragged - released).mean() < 4.0
    finally:
        viewer.close()
        direct.close()


def test_letting_go_beds_gluteus_maximus_on_the_nerves_as_the_model_does(viewer, bone_model):
    viewer.set_pose(flexion=20, side="r", dragging=True)
    viewer.end_drag()
    posed = bone_model.posed(Pose(flexion={"r": 20}))
    assert np.allclose(points(viewer, "gluteus_maximus_r"), posed.muscles["gluteus_maximus_r"].mesh.vertices)
    wrapped = posed._wrapped_muscles()["gluteus_maximus_r"].mesh.vertices
    assert not np.allclose(points(viewer, "gluteus_maximus_r"), wrapped)  # the bedding is not a no-op here


def test_dragging_carries_the_muscles_and_letting_go_regenerates_them(viewer, bone_model):
    viewer.set_pose(flexion=30, side="r", dragging=True)
    dragged = points(viewer, "gluteus_medius_r")
    rig = bone_model._muscle_rig()
    t = hip_transform(Pose(flexion={"r": 30}), "r", bone_model.hip_centers["r"])
    carried = rig.carried({"r": t}, sides=("r",), names=["gluteus_medius"])["gluteus_medius_r"]
    assert np.allclose(dragged, carried.mesh.vertices)
    viewer.end_drag()
    exact = bone_model.posed(Pose(flexion={"r": 30})).muscles["gluteus_medius_r"].mesh.vertices
    assert np.allclose(points(viewer, "gluteus_medius_r"), exact)
    # the carried muscle was near the exact one: the insertion goes with the femur
    assert np.median(np.linalg.norm(dragged - exact, axis=1)) < 5.0


def test_hidden_layers_catch_up_with_the_pose_when_shown(viewer, bone_model):
    viewer.toggle_layer("gluteus_minimus", False)
    before = points(viewer, "gluteus_minimus_r")
    viewer.set_pose(abduction=20, side="r")
    assert np.array_equal(points(viewer, "gluteus_minimus_r"), before)  # hidden: not regenerated
    viewer.toggle_layer("gluteus_minimus", True)
    posed = bone_model.posed(Pose(adduction={"r": -20}))
    assert np.allclose(points(viewer, "gluteus_minimus_r"), posed.muscles["gluteus_minimus_r"].mesh.vertices)


def test_pose_out_of_range_is_one_clear_line(viewer):
    with pytest.raises(ValueError, match=r"abduction 60 is out of range; must be between -30 and 50 degrees"):
        viewer.set_pose(abduction=60)
    with pytest.raises(ValueError, match="flexion 130 is out of range"):
        viewer.set_pose(flexion=130)


# =============================================================================== camera, side, plane
def test_camera_presets_and_side_switching(viewer):
    viewer.set_camera("lateral")
    cam = viewer.plotter.camera
    d = np.subtract(cam.GetPosition(), cam.GetFocalPoint())
    assert d[2] > 0 and abs(d[0]) < 1e-6 * abs(d[2])  # looking at the right side
    assert viewer.switch_side() == "l"
    d = np.subtract(cam.GetPosition(), cam.GetFocalPoint())
    assert d[2] < 0  # now at the left side
    viewer.set_camera("posterior")
    d = np.subtract(cam.GetPosition(), cam.GetFocalPoint())
    assert d[0] < 0


def test_cutting_plane_removes_what_lies_on_its_normal_side(viewer):
    viewer.peel(), viewer.peel()
    viewer.set_camera("posterior")
    full = viewer.screenshot(texts=False)
    viewer.set_cut_plane(origin=(0.0, 0.0, 0.0), normal=(0.0, 0.0, 1.0))  # cut away the right half
    assert viewer.actors["gluteus_medius_r"].GetMapper().GetNumberOfClippingPlanes() == 1
    cut = viewer.screenshot(texts=False)
    w = full.shape[1]
    # posterior view: the subject's right is on the picture's right
    changed_right = np.abs(cut[:, w // 2 + 20 :].astype(int) - full[:, w // 2 + 20 :]).sum(axis=2) > 30
    changed_left = np.abs(cut[:, : w // 2 - 20].astype(int) - full[:, : w // 2 - 20]).sum(axis=2) > 30
    assert changed_right.mean() > 0.05 and changed_left.mean() < 0.002
    viewer.clear_cut_plane()
    assert viewer.actors["gluteus_medius_r"].GetMapper().GetNumberOfClippingPlanes() == 0


# =============================================================================== quiz and help
def test_quiz_asks_shown_structures_and_keeps_the_score(viewer):
    viewer.peel()
    first = viewer.start_quiz(seed=3)
    assert first in viewer.shown_structures() and first != "skin"
    viewer.pick(first)
    assert viewer.quiz.score == 1 and viewer.last_answer.correct
    question = viewer.quiz.question
    wrong = next(s for s in viewer.shown_structures() if s not in (question, "skin"))
    viewer.pick(wrong)
    assert (viewer.quiz.score, viewer.quiz.asked) == (1, 2)
    assert not viewer.last_answer.correct and viewer.selection == question  # the answer is highlighted
    text = viewer._texts["quiz"].GetInput()
    assert "Wrong" in text and "score 1/2" in text
    viewer.stop_quiz()
    assert "quiz" not in viewer._texts


def test_help_overlay_lists_the_keys(viewer):
    assert viewer.show_help() is True
    text = viewer._texts["help"].GetInput()
    assert "peel the outermost layer" in text and "quiz" in text
    assert viewer.show_help() is False and "help" not in viewer._texts


# =============================================================================== pictures and scene files
def test_screenshot_writes_the_view(viewer, tmp_path):
    image = viewer.screenshot(tmp_path / "view.png")
    from PIL import Image

    assert Image.open(tmp_path / "view.png").size == SIZE
    assert image.shape == (SIZE[1], SIZE[0], 3) and image.std() > 10


def test_saved_scene_renders_the_same_picture(tissue_model, tmp_path):
    """Layers, opacity, selection, pose, cutting plane and a hand-turned camera survive the scene file."""
    from glute3d.render import render

    scene = Scene.from_dict(
        {"camera": {"preset": "posterolateral", "side": "r"}, "layers": [{"structures": ["hip_bone_r", "femur_r"]},
         {"structures": ["gluteus_*_r", "piriformis_r", "superior_gluteal_*_r"]}, {"structures": ["skin"]}]}
    )  # fmt: skip
    viewer = Viewer(scene, model=tissue_model, size=SIZE)
    viewer.peel()
    viewer.set_opacity("gluteus_maximus", 0.4)
    viewer.pick("gluteus_medius_r")
    viewer.set_pose(flexion=25, side="r")
    viewer.plotter.camera.Azimuth(20)
    viewer.plotter.camera.Zoom(1.3)
    viewer.set_cut_plane((0.0, 0.0, 95.0), (0.0, 0.2, 1.0))
    shown = viewer.screenshot(texts=False)
    path = viewer.save_scene(tmp_path / "view.toml")
    saved = Scene.from_file(path)
    assert saved.pose.angles("r") == (25.0, 0.0, 0.0)
    assert [L.highlight for L in saved.layers][-1] and saved.layers[-1].structures == ["gluteus_medius_r"]
    assert any(L.hide for L in saved.layers if L.structures == ["skin"])
    rendered = render(saved, tissue_model).image
    diff = np.abs(rendered.astype(int) - shown.astype(int)).max(axis=2)
    assert rendered.shape == shown.shape
    assert (diff > 40).mean() < 0.01, f"{(diff > 40).mean():.3%} of the pixels differ"
    assert diff.mean() < 2.0


def test_scene_labels_sit_on_their_targets_and_follow_the_hip(tissue_model):
    from glute3d.viewer import Viewer as V

    viewer = V(SCENES_DIR / "08_layer3_gluteus_medius.toml", model=tissue_model, size=SIZE)
    texts = [label.text for label in viewer.labels.labels]
    assert texts == ["Gluteus medius", "Piriformis", "Tensor fasciae latae", "Sacrum"]
    assert viewer.labels.actor is not None and viewer.labels.actor.GetVisibility()
    before = {label.text: label.point.copy() for label in viewer.labels.labels}
    viewer.set_pose(flexion=30, side="r", dragging=True)
    assert not viewer.labels.actor.GetVisibility()  # out of the way while dragging
    viewer.end_drag()
    after = {label.text: label.point for label in viewer.labels.labels}
    medius = viewer.labels.labels[0]
    assert np.allclose(after["Gluteus medius"], points(viewer, "gluteus_medius_r")[medius.index])
    assert np.linalg.norm(after["Tensor fasciae latae"] - before["Tensor fasciae latae"]) > 1.0
    assert np.array_equal(after["Sacrum"], before["Sacrum"])  # the pelvis does not move
    viewer.toggle_layer("other_muscles", False)  # piriformis and TFL hidden: so are their labels
    assert viewer.labels.actor is not None
    assert viewer.show_labels() is False and viewer.labels.actor is None
    viewer.close()


def test_a_reshaped_femur_is_viewed_posed_and_saved(tissue_model, tmp_path):
    """A scene's [femur] reaches the viewer's poser and its saved scene."""
    scene = Scene.from_dict(
        {"femur": {"neck_shaft_angle": 118}, "layers": [{"structures": ["femur_r", "gluteus_medius_r"]}]}
    )
    viewer = Viewer(scene, model=tissue_model, size=SIZE)
    tip = viewer.poser.model.neutral.landmark("greater_trochanter_tip_r")
    shaped = tissue_model.model.with_femur(neck_shaft_angle=118).landmark("greater_trochanter_tip_r")
    np.testing.assert_allclose(tip, shaped, atol=1e-9)
    viewer.set_pose(flexion=20, side="r")
    saved = Scene.from_file(viewer.save_scene(tmp_path / "view.toml"))
    assert saved.femur.neck_shaft_angle == 118 and saved.pose.angles("r")[0] == 20.0


def test_overlays_and_marks_follow_the_hip_or_wait_for_the_scene_pose(tissue_model, bone_model):
    """A femoral landmark moves with its femur, a pelvic one stays; marks on the skin move with the
    skin; the abductor lever, computed for the scene's stance, is hidden while the hip is elsewhere."""
    viewer = Viewer(SCENES_DIR / "04_greater_trochanter_facets.toml", model=tissue_model, size=SIZE)
    key = "overlay:gt_lateral_facet_r"
    before = points(viewer, key)
    viewer.set_pose(flexion=30, side="r", dragging=True)
    viewer.set_pose(flexion=40, side="r")
    t = hip_transform(Pose(flexion={"r": 40}), "r", bone_model.hip_centers["r"])
    assert np.allclose(points(viewer, key), before @ t[:3, :3].T + t[:3, 3], atol=1e-4)
    label = next(lb for lb in viewer.labels.labels if lb.text.startswith("Lateral facet"))
    assert label.structure == key and np.allclose(label.point, points(viewer, key)[label.index])  # its label too
    viewer.close()

    viewer = Viewer(SCENES_DIR / "19_injection_dorsogluteal_quadrants.toml", model=tissue_model, size=SIZE)
    skin_before, line_before = points(viewer, "skin"), points(viewer, "mark:psis_gt_line_r")
    site_before = points(viewer, "mark:dorsogluteal_r")
    viewer.set_pose(flexion=60, side="r")
    skin_moved = points(viewer, "skin") - skin_before
    line_moved = np.linalg.norm(points(viewer, "mark:psis_gt_line_r") - line_before, axis=1)
    # the line from the PSIS to the trochanter: its PSIS end stays with the pelvis, its other end
    # follows the skin over the trochanter, as far as the skin beneath it moves
    assert line_moved.max() > 1.0 and line_moved.min() < 0.5
    end = line_before[np.argmax(line_moved)]
    under = np.argmin(np.linalg.norm(skin_before - end, axis=1))
    assert line_moved.max() == pytest.approx(np.linalg.norm(skin_moved[under]), abs=1.0)
    # the site, over the upper buttock, stays where the skin beneath it stays
    site_moved = np.linalg.norm(points(viewer, "mark:dorsogluteal_r") - site_before, axis=1).max()
    under = np.argmin(np.linalg.norm(skin_before - site_before.mean(axis=0), axis=1))
    assert site_moved == pytest.approx(np.linalg.norm(skin_moved[under]), abs=1.0)
    assert not viewer.attached.hidden
    viewer.close()

    viewer = Viewer(SCENES_DIR / "30_coxa_vara_abductor_lever.toml", model=tissue_model, size=SIZE)
    lever = viewer.plotter.actors["mark:abductor_line_r"]
    assert lever.GetVisibility()
    f0, a0, r0 = viewer.poser.angles["r"]
    viewer.set_pose(flexion=f0 + 20, side="r")
    assert not lever.GetVisibility() and "mark:abductor_line_r" in viewer.attached.hidden
    assert viewer.plotter.actors["overlay:greater_trochanter_tip_r"].GetVisibility()
    viewer.set_pose(flexion=f0, side="r")  # back in the scene's stance: the lever holds again
    assert lever.GetVisibility() and not viewer.attached.hidden
    viewer.close()
