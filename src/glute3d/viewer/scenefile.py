"""The viewer's current view written as a scene, which ``glute3d render`` draws as the viewer shows it.

Every drawn structure is named exactly (no globs): one ``[[layers]]`` table per viewer layer
and drawing style, with the layer's opacity, ``hide`` for a hidden layer, the viewer's cutting
plane as each layer's (uncapped) ``cut_away``; the selected structure last, highlighted; the
hip pose; and the camera as an explicit position, focal point and view-up, with the zoom that
gives the renderer the viewer's scale.  Title, caption, labels, legend, overlays, variants and the
femurs' shape of the scene opened are kept (the renderer draws texts in margins the viewer does not have).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glute3d.render.camera import VIEW_ANGLE
from glute3d.scene import Scene

__all__ = ["view_scene"]


def _round(v: Any) -> list[float]:
    return [round(float(x), 4) for x in np.asarray(v, float)]


def _layers(viewer: Any) -> list[dict[str, Any]]:
    """Deep to superficial (the panel's order reversed), one table per layer and style."""
    out: list[dict[str, Any]] = []
    for layer in reversed(viewer.layers):
        groups: dict[tuple, list[str]] = {}
        for name in layer.structures:
            if name == viewer.selection:
                continue
            item = viewer.items[name]
            opacity = layer.opacity if layer.opacity is not None else item.opacity
            groups.setdefault((item.style, item.color, opacity, _cut_key(viewer, name)), []).append(name)
        for (style, color, opacity, _), names in groups.items():
            table: dict[str, Any] = {"name": layer.title, "structures": names, "style": style}
            if color is not None:
                table["color"] = color
            if opacity is not None:
                table["opacity"] = round(float(opacity), 4)
            if not layer.visible:
                table["hide"] = True
            cut = _cut(viewer, names[0])
            if cut is not None:
                table["cut_away"] = cut
            out.append(table)
    if viewer.selection is not None:
        name = viewer.selection
        table = {"name": f"Selected: {viewer.card.title if viewer.card else name}", "structures": [name]}
        table["highlight"] = True
        opacity = float(viewer.actors[name].GetProperty().GetOpacity())
        if opacity < 1.0:
            table["opacity"] = round(opacity, 4)
        cut = _cut(viewer, name)
        if cut is not None:
            table["cut_away"] = cut
        out.append(table)
    return out


def _cut_key(viewer: Any, name: str) -> Any:
    cut = _cut(viewer, name)
    return None if cut is None else repr(sorted(cut.items()))


def _cut(viewer: Any, name: str) -> dict[str, Any] | None:
    """The viewer's cutting plane (uncapped, as the viewer draws it), else the scene's cut-away of ``name``."""
    if viewer.cut_plane is not None:
        origin, normal = viewer.cut_plane
        return {"origin": _round(origin), "normal": _round(normal), "cap": False}
    cut = viewer.scene_cut(name)
    return None if cut is None else cut.model_dump(mode="json", exclude_defaults=True)


def _camera(viewer: Any, scene_fields: dict[str, Any]) -> dict[str, Any]:
    """An explicit camera at the viewer's position, with the zoom that gives the viewer's scale."""
    cam = viewer.plotter.camera
    position, focal = np.array(cam.GetPosition()), np.array(cam.GetFocalPoint())
    out: dict[str, Any] = {
        "position": _round(position),
        "focal_point": _round(focal),
        "up": _round(cam.GetViewUp()),
        "projection": "orthographic" if cam.GetParallelProjection() else "perspective",
        "margin": viewer.scene.camera.margin,
    }
    if cam.GetParallelProjection():
        # the renderer's scale is (zoom x the scale that frames what is drawn): ask it for the latter
        unit = Scene.from_dict({**scene_fields, "camera": {**out, "zoom": 1.0}})
        want = (viewer.size[1] / 2.0) / float(cam.GetParallelScale())
        zoom = want / _renderer_scale(unit, viewer)
    else:
        zoom = np.tan(np.radians(VIEW_ANGLE / 2.0)) / np.tan(np.radians(cam.GetViewAngle() / 2.0))
    out["zoom"] = float(np.clip(round(float(zoom), 6), 0.1, 20.0))
    return out


def _renderer_scale(scene: Scene, viewer: Any) -> float:
    """Pixels per mm the renderer gives ``scene`` (its camera framing what it draws, zoom 1)."""
    from glute3d.render.camera import orientation
    from glute3d.render.layout import plan_layout, predicted_label_x
    from glute3d.render.plotter import build_plotter

    res = scene.resolve(viewer.model)
    d, up = orientation(scene.camera)
    lay = plan_layout(res, viewer.size, viewer.theme, *predicted_label_x(res, d, up))
    pl, frame = build_plotter(res, viewer.size, lay.rect, reuse=True)
    pl.clear_actors()
    return float(frame.px_per_mm)


def view_scene(viewer: Any) -> Scene:
    """The scene of what ``viewer`` shows now (see the module's docstring)."""
    base = viewer.scene.to_dict()
    fields: dict[str, Any] = {
        k: v for k, v in base.items() if k in ("title", "caption", "labels", "legend", "overlays", "variants", "femur")
    }
    for k in ("background", "scale_bar", "text_scale", "label_sides"):
        if k in base:
            fields[k] = base[k]
    fields["resolution"] = list(viewer.size)
    fields["layers"] = _layers(viewer)
    pose = viewer.poser.pose_fields()
    if pose:
        fields["pose"] = pose
    fields["camera"] = _camera(viewer, fields)
    return Scene.from_dict(fields)
