"""The viewer's window: a layer panel, pose sliders, a cutting plane, keys and clicks, over a :class:`Viewer`.

Every widget calls a :class:`~glute3d.viewer.viewer.Viewer` method; nothing here keeps state
of its own but the widgets.  Needs a display (an X server: a desktop, or ``xvfb-run``); the
rest of glute3d does not.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glute3d.sides import SIDE_WORDS
from glute3d.viewer.keys import CAMERA_KEYS
from glute3d.viewer.viewer import Viewer

__all__ = ["POSE_SLIDERS", "Window", "next_free", "run"]

#: The pose sliders: (label, range in degrees); abduction is the scene's adduction negated.
POSE_SLIDERS: dict[str, tuple[float, float]] = {
    "flexion": (-30.0, 120.0),
    "abduction": (-30.0, 50.0),
    "rotation": (-45.0, 45.0),
}
_CLICK_PX = 4  # a press and release closer than this is a click, not a drag


def next_free(stem: str, suffix: str, folder: Path | None = None) -> Path:
    """``stem-1.suffix``, ``stem-2.suffix``, ...: the first that does not exist in ``folder``.

    Examples
    --------
    >>> next_free("glute3d-view", ".png", Path("/nonexistent")).name
    'glute3d-view-1.png'
    """
    folder = folder or Path.cwd()
    n = 1
    while (folder / f"{stem}-{n}{suffix}").exists():
        n += 1
    return folder / f"{stem}-{n}{suffix}"


@dataclass
class Window:
    """The widgets of a viewer's window (see :func:`run`)."""

    viewer: Viewer
    pose_sliders: dict[str, Any] = field(default_factory=dict)
    layer_boxes: dict[str, Any] = field(default_factory=dict)
    layer_sliders: dict[str, Any] = field(default_factory=dict)
    plane_on: bool = False
    status: str = ""
    ready: bool = False  # pyvista calls each slider's callback once as it makes it: ignored
    _press: tuple[int, int] | None = None

    # ------------------------------------------------------------------ setup
    def build(self) -> None:
        pl = self.viewer.plotter
        self._layer_panel()
        self._pose_panel()
        self._keys()
        iren = pl.iren.interactor
        iren.RemoveObservers("CharEvent")  # VTK's own keys (w: wireframe, s: surface, 3: stereo, ...) off
        # clicks are seen by the interactor style: while it rotates it holds the interactor's focus
        # and the button's release reaches nothing else
        style = iren.GetInteractorStyle()
        style.AddObserver("LeftButtonPressEvent", lambda *_: self._on_press(iren), 1.0)
        style.AddObserver("LeftButtonReleaseEvent", lambda *_: self._on_release(iren), 1.0)
        self._say("h: help")
        self.ready = True

    def _layer_panel(self) -> None:
        pl, v = self.viewer.plotter, self.viewer
        w, h = v.size
        row = 52
        for i, layer in enumerate(v.layers):
            y = h - 30 - i * row
            opacity = (
                layer.opacity if layer.opacity is not None else v.actors[layer.structures[0]].GetProperty().GetOpacity()
            )

            def on_box(state: bool, key: str = layer.key) -> None:
                if self.ready:
                    v.toggle_layer(key, bool(state))

            def on_slide(value: float, key: str = layer.key) -> None:
                if self.ready:
                    v.set_opacity(key, float(value))

            self.layer_boxes[layer.key] = pl.add_checkbox_button_widget(
                on_box, value=layer.visible, position=(12, y - 12), size=22, border_size=2,
                color_on="#3a7bd5", color_off="#d9d9d9",
            )  # fmt: skip
            self.layer_sliders[layer.key] = pl.add_slider_widget(
                on_slide,
                rng=(0.0, 1.0),
                value=float(opacity),
                title=layer.title,
                pointa=(46 / w, y / h),
                pointb=(230 / w, y / h),
                style="modern",
                title_height=0.022,
                slider_width=0.018,
                tube_width=0.004,
                interaction_event="always",
                color="#1a1a1a",
            )
            self.layer_sliders[layer.key].GetRepresentation().ShowSliderLabelOff()

    def _pose_panel(self) -> None:
        pl, v = self.viewer.plotter, self.viewer
        angles = dict(zip(("flexion", "adduction", "rotation"), v.poser.angles[v.side]))
        for k, (name, rng) in enumerate(POSE_SLIDERS.items()):
            value = -angles["adduction"] if name == "abduction" else angles[name]

            def on_pose(value: float, name: str = name) -> None:
                if self.ready:
                    angle: dict[str, Any] = {name: float(value)}
                    v.set_pose(**angle, dragging=True)

            x0 = 0.30 + k * 0.235
            widget = pl.add_slider_widget(
                on_pose,
                rng=rng,
                value=float(value),
                title=self._pose_title(name),
                pointa=(x0, 0.07),
                pointb=(x0 + 0.19, 0.07),
                style="modern",
                title_height=0.022,
                slider_width=0.02,
                tube_width=0.005,
                fmt="%.0f°",
                interaction_event="always",
                color="#1a1a1a",
            )
            widget.AddObserver("EndInteractionEvent", lambda *_: self._end_drag())
            self.pose_sliders[name] = widget

    def _pose_title(self, name: str) -> str:
        return f"Hip {name}, {SIDE_WORDS[self.viewer.side]}"

    def _end_drag(self) -> None:
        self.viewer.end_drag()
        self.viewer.plotter.render()

    def _keys(self) -> None:
        pl, v = self.viewer.plotter, self.viewer
        for key, preset in CAMERA_KEYS.items():
            pl.add_key_event(key, lambda preset=preset: self._do(lambda: v.set_camera(preset)))
        actions = {
            "x": self.switch_side,
            "d": lambda: self._after_layers(v.peel()),
            "u": lambda: self._after_layers(v.unpeel()),
            "l": v.show_labels,
            "c": self.toggle_plane,
            "z": self.toggle_quiz,
            "0": self.neutral,
            "Escape": v.clear_selection,
            "p": self.save_screenshot,
            "w": self.save_scene,
            "h": v.show_help,
        }
        for key, fn in actions.items():
            pl.add_key_event(key, lambda fn=fn: self._do(fn))

    def _do(self, fn: Any) -> None:
        try:
            fn()
        except (ValueError, KeyError, OSError) as exc:  # one line on the window, never a traceback
            self._say(str(exc).strip("'\""))
        self.viewer.plotter.render()

    # ------------------------------------------------------------------ actions
    def _after_layers(self, changed: str | None) -> None:
        for layer in self.viewer.layers:
            rep = self.layer_boxes[layer.key].GetRepresentation()
            rep.SetState(int(layer.visible))
        if changed is None:
            self._say("nothing left to peel" if self.viewer.peeled else "nothing peeled")

    def switch_side(self) -> None:
        v = self.viewer
        v.switch_side()
        angles = dict(zip(("flexion", "adduction", "rotation"), v.poser.angles[v.side]))
        for name, widget in self.pose_sliders.items():
            rep = widget.GetRepresentation()
            rep.SetValue(-angles["adduction"] if name == "abduction" else angles[name])
            rep.SetTitleText(self._pose_title(name))
        self._say(f"moving the {SIDE_WORDS[v.side]} hip")

    def neutral(self) -> None:
        v = self.viewer
        for side in ("r", "l"):
            v.set_pose(0.0, 0.0, 0.0, side=side)
        for widget in self.pose_sliders.values():
            widget.GetRepresentation().SetValue(0.0)

    def toggle_plane(self) -> None:
        pl, v = self.viewer.plotter, self.viewer
        if self.plane_on:
            pl.clear_plane_widgets()
            v.clear_cut_plane()
            self.plane_on = False
            return
        pts = v.frame_points()
        lo, hi = pts.min(0), pts.max(0)
        centre = (lo + hi) / 2.0
        centre[2] = 0.5 * (centre[2] + hi[2])  # through the right buttock: shows medius over minimus
        bounds = [lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]]
        pl.add_plane_widget(
            lambda normal, origin: v.set_cut_plane(origin, normal),
            normal=(0.0, 0.0, 1.0),
            origin=tuple(centre),
            bounds=bounds,
            outline_translation=False,
            implicit=True,
            interaction_event="always",
            color="#3a7bd5",
            normal_rotation=True,
        )
        v.set_cut_plane(centre, (0.0, 0.0, 1.0))
        self.plane_on = True

    def toggle_quiz(self) -> None:
        v = self.viewer
        if v.quiz is None:
            v.start_quiz()
        else:
            v.stop_quiz()
            v.clear_selection()

    def save_screenshot(self) -> Path:
        path = next_free("glute3d-view", ".png")
        self.viewer.screenshot(path)
        self._say(f"wrote {path.name}")
        return path

    def save_scene(self) -> Path:
        path = next_free("glute3d-view", ".toml")
        self.viewer.save_scene(path)
        self._say(f"wrote {path.name} (glute3d render {path.name} -o DIR)")
        return path

    def _say(self, text: str) -> None:
        self.status = text
        pl = self.viewer.plotter
        pl.add_text(text, position="lower_right", font_size=8, color="#444444", name="viewer:status", render=False)

    # ------------------------------------------------------------------ clicks
    def _on_press(self, iren: Any) -> None:
        self._press = iren.GetEventPosition()

    def _on_release(self, iren: Any) -> None:
        if self._press is None:
            return
        x, y = iren.GetEventPosition()
        x0, y0 = self._press
        self._press = None
        if abs(x - x0) <= _CLICK_PX and abs(y - y0) <= _CLICK_PX:
            card = self.viewer.pick_at(x, y)
            if card is None and self.viewer.quiz is None:
                self.viewer.clear_selection()
            self.viewer.plotter.render()


def run(viewer: Viewer, *, snapshot: str | Path | None = None) -> Window:
    """Open the viewer's window with its widgets; return when it is closed.

    ``snapshot``: render one frame, write it there as PNG, close the window and return.
    """
    window = Window(viewer)
    window.build()
    pl = viewer.plotter
    if snapshot is not None:
        pl.show(auto_close=False, interactive=False)
        viewer.screenshot(snapshot)
        pl.close()
        return window
    threading.Thread(target=viewer.poser.warm, daemon=True, name="glute3d-muscle-rig").start()
    pl.show(title="glute3d viewer")
    return window
