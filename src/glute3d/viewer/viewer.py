"""The viewer's state and what each control does to the picture, without a window or a person.

:class:`Viewer` opens a scene (or the whole model) in a plotter made by the renderer
(:func:`glute3d.render.build_plotter`: the same actors, styles, light and camera as
``glute3d render``), and keeps what a lecturer changes: the layers shown and their opacity,
the selected structure, the hip pose, the camera, the cutting plane, the quiz.  The window
(:mod:`glute3d.viewer.window`) and the notebook (:mod:`glute3d.viewer.notebook`) only call its
methods; the tests call them too, off-screen, and look at the plotter.

Examples
--------
>>> viewer = Viewer(None, size=(320, 240))
>>> [layer.key for layer in viewer.layers][:3]
['skin', 'gluteus_maximus', 'gluteus_medius']
>>> viewer.peel(), viewer.peel()
('skin', 'gluteus_maximus')
>>> viewer.pick("gluteus_medius_r").title
'Gluteus medius, right'
>>> viewer.close()
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import numpy as np

from glute3d.render.cache import cached_model
from glute3d.render.camera import CameraFrame, camera_frame, orientation
from glute3d.render.layout import plan_layout, predicted_label_x
from glute3d.render.plotter import build_plotter
from glute3d.scene import Camera, Scene, load_theme
from glute3d.scene.schema import POSE_RANGES, SIDED_PRESETS
from glute3d.sides import SIDES, split_side
from glute3d.viewer.actors import Look, apply_look, geometry, look_of, set_clip_plane, style_look
from glute3d.viewer.attached import AttachedMarks
from glute3d.viewer.card import InfoCard, info_card
from glute3d.viewer.dragview import DragView
from glute3d.viewer.labels import SceneLabels
from glute3d.viewer.layers import PEEL_ORDER, ViewerLayer, group_layers
from glute3d.viewer.posing import HipPoser
from glute3d.viewer.quiz import Quiz, QuizResult
from glute3d.viewer.update import PoseUpdater

__all__ = ["DEFAULT_SIZE", "Viewer", "default_scene"]

#: Window size of the viewer when none is given (width, height).
DEFAULT_SIZE = (1280, 720)


def default_scene() -> Scene:
    """The whole model, posterior view: bone, the gluteal muscles, nerves and arteries, skin."""
    groups = [
        ("Bone", ["hip_bone_*", "sacrum", "coccyx", "femur_*"]),
        ("Gluteus minimus", ["gluteus_minimus_*"]),
        ("Other muscles", ["piriformis_*", "tensor_fasciae_latae_*"]),
        ("Gluteus medius", ["gluteus_medius_*"]),
        ("Gluteus maximus", ["gluteus_maximus_*"]),
        ("Nerves", ["*_nerve_*"]),
        ("Arteries", ["*_artery_*"]),
        ("Skin", ["skin"]),
    ]
    return Scene.from_dict(
        {"camera": {"preset": "posterior"}, "layers": [{"name": n, "structures": s} for n, s in groups]}
    )


def _as_scene(scene_or_path: Any) -> Scene:
    if scene_or_path is None:
        return default_scene()
    if isinstance(scene_or_path, Scene):
        return scene_or_path
    return Scene.from_file(Path(scene_or_path))


class Viewer:
    """An interactive view of a scene: layers, selection, pose, camera, cutting plane, quiz.

    Parameters
    ----------
    scene_or_path : Scene, str, pathlib.Path or None
        The scene, a scene file, or ``None`` for the whole model (:func:`default_scene`).
    off_screen : bool
        ``True``: no window (tests, notebooks, pictures); ``False``: a window on the display
        (:func:`glute3d.viewer.window.run` adds the widgets).
    model : glute3d.Model, optional
        Default :func:`glute3d.load_model`.
    size : (int, int), optional
        Window size; default `DEFAULT_SIZE`.
    panels : bool
        Frame the model clear of the window's layer panel (left) and pose sliders (bottom).

    Raises
    ------
    SceneError
        The scene cannot be read or resolved (one line naming the file and field).
    """

    def __init__(
        self,
        scene_or_path: Any = None,
        off_screen: bool = True,
        *,
        model: Any = None,
        size: tuple[int, int] | None = None,
        panels: bool = False,
    ) -> None:
        from glute3d.model.files import load_model

        base = _as_scene(scene_or_path)
        width, height = size or DEFAULT_SIZE
        self.size: tuple[int, int] = (int(width), int(height))
        self.scene = base.with_resolution(*self.size)
        raw = model.model if hasattr(model, "model") else (model or load_model())
        if not self.scene.femur.is_default and hasattr(raw, "with_femur"):  # the poser moves the scene's femurs
            raw = raw.with_femur(neck_shaft_angle=self.scene.femur.neck_shaft_angle, offset=self.scene.femur.offset)
        self.model = cached_model(raw)
        self.res = self.scene.resolve(self.model)
        self.theme = load_theme()
        d, up = orientation(self.scene.camera)
        layout = plan_layout(self.res, self.size, self.theme, *predicted_label_x(self.res, d, up))
        x0, y0, x1, y1 = layout.rect
        w, h = self.size
        # the window's panels: layers on the left, pose sliders at the bottom, the info card on the right
        fits = panels and w > 900 and h > 400
        self.rect = (max(x0, 250.0), y0, min(x1, w - 300.0), min(y1, h - 100.0)) if fits else layout.rect
        self.plotter, self.frame = build_plotter(self.res, self.size, self.rect, reuse=False, off_screen=off_screen)
        self.off_screen = off_screen
        self.items = {it.name: it for it in self.res.items}
        self.actors = {name: self.plotter.actors[f"structure:{name}"] for name in self.items}
        self.looks: dict[str, Look] = {name: look_of(a) for name, a in self.actors.items()}
        kinds = {name: raw.structure_kind(name) for name in self.items}
        self.layers: list[ViewerLayer] = group_layers(kinds)
        self.peeled: list[str] = []
        self.selection: str | None = None
        self.card: InfoCard | None = None
        self.side = self.scene.camera.effective_side
        self.preset: str | None = self.scene.camera.effective_preset
        self.projection = self.scene.camera.projection
        self.cut_plane: tuple[np.ndarray, np.ndarray] | None = None
        self.quiz: Quiz | None = None
        self.last_answer: QuizResult | None = None
        self.help_visible = False
        self.dragging = False
        self._passes = (True, True)
        variant_model = raw.with_variant(**self.scene.variants) if self.scene.variants else raw
        self.poser = HipPoser(variant_model)
        for s in SIDES:
            self.poser.angles[s] = self.scene.pose.angles(s)
        self.updater = PoseUpdater(self, kinds)
        self.drag_view = DragView(self.plotter.renderer, self.actors)
        self.attached = AttachedMarks(self, self.updater.scene_pose)
        self._texts: dict[str, Any] = {}
        self.widget: Any = None  # the notebook widget (glute3d.show)
        self._apply_pickability()
        self.labels = SceneLabels(self)

    # ------------------------------------------------------------------ layers
    def layer(self, name: str) -> ViewerLayer:
        """A layer by key (``"gluteus_medius"``) or panel title (``"Gluteus medius"``).

        Raises
        ------
        KeyError
            No such layer shown; the message lists the layers.
        """
        for layer in self.layers:
            if name in (layer.key, layer.title) or name.lower() == layer.title.lower():
                return layer
        raise KeyError(f"no layer {name!r} in this view; layers: {', '.join(g.key for g in self.layers)}")

    def toggle_layer(self, name: str, visible: bool | None = None) -> bool:
        """Show or hide a layer (``visible=None``: the opposite of now); returns whether it is shown."""
        layer = self.layer(name)
        layer.visible = (not layer.visible) if visible is None else bool(visible)
        if layer.visible:
            self.updater.refresh(layer.structures)  # posed while hidden: catch up
        for s in layer.structures:
            self.actors[s].SetVisibility(layer.visible)
        self._apply_pickability()
        self.labels.draw()
        return layer.visible

    def set_opacity(self, name: str, value: float) -> None:
        """Fade a layer: 0 invisible .. 1 opaque (a translucent layer below 0.5 is clicked through)."""
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"opacity {value!r} is out of range; must be between 0 and 1")
        layer = self.layer(name)
        layer.opacity = float(value)
        for s in layer.structures:
            self.actors[s].GetProperty().SetOpacity(layer.opacity)
            self.looks[s] = look_of(self.actors[s]) if s != self.selection else self._with_opacity(s, layer.opacity)
        self._apply_pickability()
        self.drag_view.refresh()  # a translucent mesh shows its back faces

    def _with_opacity(self, name: str, opacity: float) -> Look:
        old = self.looks[name]
        return Look(old.color, opacity, old.ambient, old.diffuse, old.specular, old.specular_power, old.scalars)

    def peel(self) -> str | None:
        """Hide the outermost layer still shown (skin, then maximus, medius, minimus; the bone stays)."""
        keys = {g.key for g in self.layers}
        for key in PEEL_ORDER[:-1]:
            if key in keys and self.layer(key).visible:
                self.toggle_layer(key, False)
                self.peeled.append(key)
                return key
        return None

    def unpeel(self) -> str | None:
        """Put back the layer peeled last."""
        if not self.peeled:
            return None
        key = self.peeled.pop()
        self.toggle_layer(key, True)
        return key

    def _apply_pickability(self) -> None:
        for layer in self.layers:
            for s in layer.structures:
                a = self.actors[s]
                a.SetPickable(bool(layer.visible and a.GetProperty().GetOpacity() >= 0.5))

    def shown_structures(self) -> list[str]:
        """Structures that can be clicked now: in a shown layer, at least half opaque."""
        return [s for g in self.layers if g.visible for s in g.structures if self.actors[s].GetPickable()]

    # ------------------------------------------------------------------ selection
    def pick(self, structure: str) -> InfoCard:
        """Select a structure: highlight it and return its info card (in quiz mode: answer the question).

        Raises
        ------
        KeyError
            A structure this view does not draw.
        """
        if structure not in self.actors:
            raise KeyError(f"{structure!r} is not drawn in this view; drawn: {', '.join(self.actors)}")
        if self.quiz is not None:
            self.last_answer = self.quiz.answer(structure)
            self._select(self.last_answer.expected)
            self._show_quiz()
            assert self.card is not None
            return self.card
        self._select(structure)
        return self.card  # type: ignore[return-value]

    def _select(self, structure: str | None) -> None:
        if self.selection is not None:
            apply_look(self.actors[self.selection], self.looks[self.selection])
        self.selection = structure
        self.card = None if structure is None else info_card(structure)
        if structure is not None:
            opacity = self.actors[structure].GetProperty().GetOpacity()
            apply_look(self.actors[structure], style_look(self.theme["styles"]["highlight"], opacity))
        self._show_card()

    def clear_selection(self) -> None:
        """No structure selected (the highlight and the card go)."""
        self._select(None)

    def pick_at(self, x: float, y: float) -> InfoCard | None:
        """Pick what is drawn at display pixel ``(x, y)`` (VTK's origin: bottom left); ``None`` if nothing."""
        name = self.structure_at(x, y)
        return None if name is None else self.pick(name)

    def structure_at(self, x: float, y: float) -> str | None:
        """The clickable structure drawn at display pixel ``(x, y)``, or ``None``."""
        import vtk

        picker = vtk.vtkCellPicker()
        picker.SetTolerance(0.0005)
        if not picker.Pick(float(x), float(y), 0.0, self.plotter.renderer):
            return None
        actor = picker.GetActor()
        return next((n for n, a in self.actors.items() if a is actor), None)

    # ------------------------------------------------------------------ pose
    def set_pose(
        self,
        flexion: float | None = None,
        abduction: float | None = None,
        rotation: float | None = None,
        *,
        adduction: float | None = None,
        side: str | None = None,
        dragging: bool = False,
    ) -> None:
        """Move one hip (default: the current side) and everything on it; angles in degrees (ISB).

        ``abduction`` is the negative of the scene's ``adduction``; give one of them.  With
        ``dragging`` the nerves and arteries are carried with the femur instead of regenerated
        (call :meth:`end_drag`, as the window does when the slider is let go).

        Raises
        ------
        ValueError
            An angle outside its range (the message gives the range).
        """
        side = side or self.side
        if side not in SIDES:
            raise ValueError(f"side must be 'r' or 'l', got {side!r}")
        f, a, r = self.poser.angles[side]
        if abduction is not None and adduction is not None:
            raise ValueError("give abduction or adduction, not both (abduction = -adduction)")
        a = -float(abduction) if abduction is not None else a if adduction is None else float(adduction)
        f = f if flexion is None else float(flexion)
        r = r if rotation is None else float(rotation)
        for field, value in zip(("flexion", "adduction", "rotation"), (f, a, r)):
            lo, hi = POSE_RANGES[field]
            if not lo <= value <= hi:
                what = "abduction" if field == "adduction" and abduction is not None else field
                shown = -value if what == "abduction" else value
                lo2, hi2 = (-hi, -lo) if what == "abduction" else (lo, hi)
                raise ValueError(f"{what} {shown:g} is out of range; must be between {lo2:g} and {hi2:g} degrees")
        self.poser.angles[side] = (f, a, r)
        self._drag_passes(dragging)
        self.updater.pose_side(side, exact=not dragging)
        self.attached.pose_side(side)
        if dragging:
            self.drag_view.follow()
            self.labels.hide()
        else:
            self.labels.draw()

    def end_drag(self) -> None:
        """The slider was let go: regenerate the nerves and arteries exactly, draw with every pass again."""
        self._drag_passes(False)
        for side in SIDES:
            self.updater.pose_side(side, exact=True, paths_only=True)
        self.labels.draw()

    def _drag_passes(self, dragging: bool) -> None:
        """While a slider is dragged, frames skip FXAA and order-independent transparency (the
        translucent skin is then blended in drawing order), are drawn at half resolution and show the
        bones and skin as coarse copies (:class:`~glute3d.viewer.dragview.DragView`); all restored after."""
        renderer = self.plotter.renderer
        if dragging and not self.dragging:
            self._passes = (renderer.GetUseFXAA(), renderer.GetUseOIT())
            renderer.SetUseFXAA(False)
            renderer.SetUseOIT(False)
            self.drag_view.start()
        elif not dragging and self.dragging:
            fxaa, oit = self._passes
            renderer.SetUseFXAA(fxaa)
            renderer.SetUseOIT(oit)
            self.drag_view.stop()
        self.dragging = dragging

    # ------------------------------------------------------------------ camera and side
    def frame_points(self) -> np.ndarray:
        """A sample of the points of the structures shown (what the camera presets frame)."""
        pts = []
        for layer in self.layers:
            if layer.visible:
                for s in layer.structures:
                    p = np.asarray(geometry(self.actors[s]).GetPoints().GetData())
                    pts.append(p[:: max(1, len(p) // 3000)])
        return np.vstack(pts) if pts else np.zeros((1, 3))

    def set_camera(self, preset: str, side: str | None = None) -> CameraFrame:
        """Look from a camera preset (posterior, lateral, anterior, superior, oblique, posterolateral)."""
        if side is not None:
            self.side = side
        self.preset = preset
        sided = preset in SIDED_PRESETS
        cam = Camera(preset=preset, side=self.side if sided else None, projection=self.projection)  # type: ignore[arg-type]
        frame = camera_frame(cam, self.frame_points(), self.size, self.rect)
        apply_frame(self.plotter, frame)
        self.frame = frame
        return frame

    def switch_side(self) -> str:
        """Switch the side the pose sliders move and the sided presets look at; returns the new side."""
        self.side = "l" if self.side == "r" else "r"
        if self.preset in SIDED_PRESETS:
            self.set_camera(self.preset)
        return self.side

    # ------------------------------------------------------------------ cutting plane
    def set_cut_plane(self, origin: Any, normal: Any) -> None:
        """Cut every structure with a plane: what lies on the side ``normal`` points to is removed."""
        n = np.asarray(normal, float)
        if n.shape != (3,) or not np.linalg.norm(n) > 1e-9:
            raise ValueError(f"normal must be a non-zero [x, y, z], got {normal!r}")
        self.cut_plane = (np.asarray(origin, float), n / np.linalg.norm(n))
        for a in self.actors.values():
            set_clip_plane(a, self.cut_plane)
        self.drag_view.refresh()  # a cut mesh shows its inside

    def clear_cut_plane(self) -> None:
        self.cut_plane = None
        for a in self.actors.values():
            set_clip_plane(a, None)
        self.drag_view.refresh()

    # ------------------------------------------------------------------ quiz
    def start_quiz(self, seed: int | None = None) -> str:
        """Quiz mode: questions over the structures shown; returns the first structure to find."""
        self.clear_selection()
        candidates = [s for s in self.shown_structures() if s != "skin"]
        self.quiz = Quiz(candidates, seed=seed)
        self.last_answer = None
        self._show_quiz()
        return self.quiz.question

    def stop_quiz(self) -> None:
        self.quiz = None
        self.last_answer = None
        self._set_text("quiz", None)

    # ------------------------------------------------------------------ texts
    def _set_text(self, key: str, text: str | None, where: str = "right", size: int = 13) -> None:
        """A text panel (white box, dark text, ``size`` px) at the top ``right``, top ``left`` or top ``centre``."""
        old = self._texts.pop(key, None)
        if old is not None:
            self.plotter.remove_actor(old, render=False)
        if not text:
            return
        w, h = self.size
        lines = text.splitlines()
        width = max(len(line) for line in lines) * size * (0.62 if key == "help" else 0.56) + 8.0
        x = {"left": 12.0, "right": w - 12.0 - width, "centre": (w - width) / 2.0}[where]
        actor = self.plotter.add_text(
            text, position=(max(4.0, x), h - 12.0), font_size=size, color="#1a1a1a", name=f"viewer:{key}", render=False
        )
        tp = actor.GetTextProperty()
        tp.SetFontSize(int(size))  # pixels (pyvista doubles the size it is given)
        tp.SetVerticalJustificationToTop()
        tp.SetBackgroundColor(1.0, 1.0, 1.0)
        tp.SetBackgroundOpacity(0.88)
        tp.SetFrame(True)
        tp.SetFrameColor(0.75, 0.75, 0.75)
        tp.SetLineSpacing(1.15)
        if key == "help":
            tp.SetFontFamilyToCourier()  # the keys in a column
        self._texts[key] = actor

    def _show_card(self) -> None:
        self._set_text("card", None if self.card is None or self.quiz is not None else self.card.text(46), "right")

    def _show_quiz(self) -> None:
        from glute3d.scene import display_name

        if self.quiz is None:
            return
        lines = []
        if self.last_answer is not None:
            got = self.last_answer
            if got.correct:
                lines.append(f"Right: {display_name(got.expected)}.")
            else:
                lines.append(
                    f"Wrong: that was {display_name(got.clicked)}; {display_name(got.expected)} is highlighted."
                )
        lines.append(f"Click: {display_name(self.quiz.question)}    (score {self.quiz.score}/{self.quiz.asked})")
        self._set_text("quiz", "\n".join(lines), "centre", 16)

    def show_labels(self, visible: bool | None = None) -> bool:
        """Show or hide the scene's labels (each at its target); returns whether they are shown."""
        self.labels.visible = (not self.labels.visible) if visible is None else bool(visible)
        self.labels.draw()
        return self.labels.visible

    def show_help(self, visible: bool | None = None) -> bool:
        """Show or hide the help overlay (the keys and controls); returns whether it is shown."""
        from glute3d.viewer.keys import help_text

        self.help_visible = (not self.help_visible) if visible is None else bool(visible)
        self._set_text("help", help_text() if self.help_visible else None, "centre", 13)
        return self.help_visible

    # ------------------------------------------------------------------ output
    def render(self) -> None:
        """Draw the view now (off-screen too)."""
        self.plotter.render_window.Render()

    def update(self) -> None:
        """Redraw after changing the view from code: the window, or the notebook cell (``glute3d.show``)."""
        self.render()
        trame_viewer = getattr(self.widget, "viewer", None)
        if trame_viewer is not None:
            trame_viewer.update()

    def screenshot(self, path: str | Path | None = None, *, texts: bool = True) -> np.ndarray:
        """The picture shown now, as ``(h, w, 3)`` uint8 (written as PNG to ``path`` if given, atomically).

        ``texts=False`` leaves out the card, help, quiz texts and labels (the 3D view alone).
        """
        from glute3d.render import write_png

        overlays = [*self._texts.values(), self.labels.actor] if self.labels.actor is not None else self._texts.values()
        hidden = [] if texts else [a for a in overlays if a.GetVisibility()]
        for a in hidden:
            a.SetVisibility(False)
        try:
            self.render()
            image = np.asarray(self.plotter.screenshot(return_img=True), np.uint8)
        finally:
            for a in hidden:
                a.SetVisibility(True)
        if path is not None:
            write_png(image, path)
        return image

    def to_scene(self) -> Scene:
        """The current view as a scene: ``glute3d render`` draws it as the viewer shows it."""
        from glute3d.viewer.scenefile import view_scene

        return view_scene(self)

    def save_scene(self, path: str | Path) -> Path:
        """Write the current view (camera, layers, pose, selection, cutting plane) as a scene file (atomically)."""
        from glute3d.io.atomic import write_atomically

        return write_atomically(path, self.to_scene().to_toml().encode("utf-8"))

    def close(self) -> None:
        """Close the plotter (and its window)."""
        self.drag_view.close()
        self.plotter.close()

    def structure_side(self, name: str) -> str | None:
        return split_side(name)[1]

    def scene_cut(self, name: str) -> Any:
        """The scene's cut-away of the layer that draws ``name`` (the last one naming it), or ``None``."""
        found = None
        for layer in self.scene.layers:
            if not layer.hide and any(p == name or fnmatch.fnmatchcase(name, p) for p in layer.structures):
                found = layer.cut_away
        return found


def apply_frame(plotter: Any, frame: CameraFrame) -> None:
    """Point the plotter's camera as ``frame`` says (orthographic or perspective)."""
    cam = plotter.camera
    cam.SetFocalPoint(*frame.focal_point)
    cam.SetPosition(*frame.position)
    cam.SetViewUp(*frame.up)
    cam.SetParallelProjection(bool(frame.parallel))
    if frame.parallel:
        cam.SetParallelScale(frame.parallel_scale)
    else:
        cam.SetViewAngle(frame.view_angle)
    plotter.renderer.ResetCameraClippingRange()
