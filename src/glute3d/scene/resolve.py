"""Resolving a scene against a model: variants, pose, layers, landmarks, segments, focus; labels last.

:func:`resolve_scene` runs the steps in order; each step checks the names of its fields
against the model and adds plain data to the :class:`~glute3d.scene.resolved.ResolvedScene`.
Every unknown name is a :class:`~glute3d.scene.schema.SceneError` naming the field, its TOML
line and the closest valid names.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import numpy as np

from glute3d.errors import did_you_mean
from glute3d.scene.centrelines import foramen_targets
from glute3d.scene.context import Context, Targets
from glute3d.scene.injection import resolve_injection
from glute3d.scene.labels import resolve_labels
from glute3d.scene.naming import (
    FORAMEN_TARGETS,
    LANDMARK_KINDS,
    base_name,
    is_glob,
    kb_kind,
    kb_names,
    layer_title,
    unknown_target,
)
from glute3d.scene.resolved import Cut, DrawItem, Mark, OverlayItem, ResolvedScene
from glute3d.scene.schema import CutAway, Layer, Pose, SceneFields
from glute3d.scene.source import HasVariants, Poseable, SceneSource
from glute3d.scene.theme import load_theme
from glute3d.sides import SIDES

__all__ = ["apply_pose", "apply_variants", "resolve_scene"]

_CAPPED_STYLES = ("bone", "muscle", "highlight")


def resolve_scene(scene: SceneFields, model: SceneSource) -> ResolvedScene:
    """Check every name of ``scene`` against ``model`` and collect the geometry to draw.

    See :meth:`glute3d.scene.Scene.resolve`.
    """
    model = apply_pose(scene, apply_variants(scene, model))
    ctx = Context.of(scene, model)
    out = ResolvedScene(scene=scene)
    _add_items(ctx, out)
    shown_landmarks = _add_landmarks(ctx, out)
    targets: Targets = {}  # label and focus targets the marks and foramina provide
    if scene.overlays.injection:
        resolve_injection(scene, model, out, targets)
    asked = [L.target for L in scene.labels] + list(scene.camera.focus)
    if any(base_name(n) in FORAMEN_TARGETS for n in asked):
        for name, (points, radius) in foramen_targets(model).items():
            targets[name] = ("region", points, radius)
    _add_segments(ctx, out)
    _add_focus(ctx, out, targets)
    resolve_labels(ctx, out, targets, shown_landmarks)
    return out


# =============================================================================== variants and pose
def apply_variants(scene: SceneFields, model: SceneSource) -> SceneSource:
    """``model`` with the scene's anatomical variants switched on (itself when there are none).

    Raises
    ------
    SceneError
        An unknown switch or value, or a model without variants.
    """
    if not scene.variants:
        return model
    from glute3d.anatomy.paths.specs import VARIANTS  # validating paths.toml: only scenes with variants pay

    for key, value in scene.variants.items():
        here = ("variants", key)
        if key not in VARIANTS:
            switches = ", ".join(VARIANTS) or "none"
            raise scene.error(
                here, f"unknown variant switch {key!r}{did_you_mean(key, list(VARIANTS))} (switches: {switches})"
            )
        allowed = VARIANTS[key][1]
        if value not in allowed:
            raise scene.error(
                here,
                f"unknown value {value!r} for variant {key!r}{did_you_mean(value, allowed)} "
                f"(choose from: {', '.join(allowed)})",
                value,
            )
    if not isinstance(model, HasVariants):
        raise scene.error(
            ("variants",), "this model has no anatomical variants (model.with_variant); remove [variants]"
        )
    try:
        return model.with_variant(**scene.variants)
    except (ValueError, KeyError) as exc:
        raise scene.error(("variants",), str(exc).strip("'\"")) from None


def apply_pose(scene: SceneFields, model: SceneSource) -> SceneSource:
    """``model`` in the scene's hip pose (itself when the pose is neutral).

    Raises
    ------
    SceneError
        A model that cannot be posed, or a pose the joint model refuses.
    """
    if scene.pose.is_neutral:
        return model
    if not isinstance(model, Poseable):
        raise scene.error(
            ("pose",),
            "posing needs the kinematics stage (model.posed), which this model does not "
            "have yet; remove [pose] or set flexion, adduction and rotation to 0",
        )
    from glute3d.anatomy.pose import Pose as JointPose

    flexion, adduction, rotation = ({s: scene.pose.angles(s)[k] for s in SIDES} for k in range(3))
    try:
        pose = JointPose(flexion=flexion, adduction=adduction, rotation=rotation)
    except ValueError as exc:
        field_name = getattr(exc, "field", None)
        path = ("pose", field_name) if field_name in Pose.model_fields else ("pose",)
        raise scene.error(path, str(exc)) from None
    return model.posed(pose)


# =============================================================================== layers
def _visible_layers(scene: SceneFields) -> dict[int, Layer]:
    shown = {i: L for i, L in enumerate(scene.layers) if not L.hide}
    if any(L.isolate for L in shown.values()):
        shown = {i: L for i, L in shown.items() if L.isolate}
    return shown


def _glob_hits(ctx: Context, here: tuple, pattern: str, optional: bool) -> list[str]:
    """The structures ``pattern`` matches (not muscle parts); an error if none and not optional."""
    hits = [n for n in ctx.structures.globbable if fnmatch.fnmatchcase(n, pattern)]
    if hits or optional:
        return hits
    known = [n for n in kb_names() if fnmatch.fnmatchcase(n, pattern)]
    why = f"pattern {pattern!r} matches no structure of the model"
    if known:
        more = "..." if len(known) > 4 else ""
        why += f" (the knowledge base has {', '.join(known[:4])}{more}, not built yet)"
    raise ctx.scene.error(here, why + "; add optional = true to the layer to allow that", pattern)


def _absent_structure(ctx: Context, here: tuple, name: str) -> Exception:
    """The error for a layer naming a structure the model does not have."""
    have = ctx.structures.globbable
    if name in kb_names():
        more = "..." if len(have) > 8 else ""
        return ctx.scene.error(
            here,
            f"structure {name!r} is not in the model yet (the model has {', '.join(have[:8])}{more}); "
            "remove it or add optional = true to the layer",
            name,
        )
    valid = [*have, *[n for n in kb_names() if kb_kind(n) not in LANDMARK_KINDS]]
    return ctx.scene.error(here, f"unknown structure {name!r}{did_you_mean(name, valid)}", name)


def _layer_structures(ctx: Context, i: int, layer: Layer) -> list[str]:
    """The structures layer ``i`` names: exact names (muscle parts too) and glob matches, in its order."""
    out: list[str] = []
    for j, pattern in enumerate(layer.structures):
        here = ("layers", i, "structures", j)
        if is_glob(pattern):
            hits = _glob_hits(ctx, here, pattern, layer.optional)
        elif pattern in ctx.structures:
            hits = [pattern]
        elif layer.optional:
            continue
        else:
            raise _absent_structure(ctx, here, pattern)
        out.extend(h for h in hits if h not in out)
    return out


def _drawn(ctx: Context) -> list[tuple[str, int, Layer | None]]:
    """``(structure, layer index, layer)`` of every drawn structure in drawing order (no layers: all)."""
    scene = ctx.scene
    if not scene.layers:
        return [(n, -1, None) for n in ctx.structures.globbable]
    assignment: dict[str, tuple[int, Layer]] = {}
    for i, layer in enumerate(scene.layers):
        for name in _layer_structures(ctx, i, layer):
            assignment[name] = (i, layer)  # later layers win
    visible = _visible_layers(scene)
    return [(n, *assignment[n]) for n in ctx.structures.names if n in assignment and assignment[n][0] in visible]


def _style_for(ctx: Context, name: str, layer: Layer | None) -> str:
    """The layer's style, else the style of the structure's kind (knowledge base, else model), else by name."""
    if layer is not None and layer.highlight:
        return "highlight"
    if layer is not None and layer.style is not None:
        return layer.style
    theme = load_theme()
    kind = kb_kind(name)
    if kind is None and name in ctx.structures:
        kind = ctx.structures.kind(name)
    if kind is not None and kind in theme["kinds"]:
        return theme["kinds"][kind]
    base = base_name(name)
    for key, style in theme["fallback"].items():
        if base == key or base.startswith(key):
            return style
    return "other"


def _resolve_cut(ctx: Context, path: tuple, cut: CutAway, style: str) -> Cut:
    normal = np.asarray(cut.normal, float)
    normal = normal / np.linalg.norm(normal)
    if isinstance(cut.origin, str):
        origin = ctx.landmark_at((*path, "origin"), cut.origin)
    else:
        origin = np.asarray(cut.origin, float)
    cap = cut.cap if cut.cap is not None else style in _CAPPED_STYLES
    return Cut(origin=origin + normal * cut.offset, normal=normal, cap=cap)


def _add_items(ctx: Context, out: ResolvedScene) -> None:
    """The drawn structures, and one legend entry per layer and style in the order they are first drawn."""
    for name, i, layer in _drawn(ctx):
        style = _style_for(ctx, name, layer)
        cut = None
        if layer is not None and layer.cut_away is not None:
            cut = _resolve_cut(ctx, ("layers", i, "cut_away"), layer.cut_away, style)
        title = layer_title(layer, name, style)
        color = layer.color if layer is not None else None
        opacity = layer.opacity if layer is not None else None
        out.items.append(DrawItem(name, ctx.structures.mesh(name), style, color, opacity, title, cut))
        if (title, style, color) not in out.legend:
            out.legend.append((title, style, color))


# =============================================================================== landmarks and segments
def _landmark_hits(ctx: Context, here: tuple, pattern: str) -> list[str]:
    if is_glob(pattern):
        hits = [n for n in ctx.landmarks if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise ctx.scene.error(here, f"pattern {pattern!r} matches no landmark of the model", pattern)
        return hits
    if pattern in ctx.landmarks:
        return [pattern]
    raise ctx.scene.error(here, f"unknown landmark {pattern!r}{did_you_mean(pattern, ctx.landmarks)}", pattern)


def _add_landmarks(ctx: Context, out: ResolvedScene) -> list[str]:
    """The overlay landmarks drawn (points, curves, region patches) with their colours; their names."""
    ov = ctx.scene.overlays
    shown: list[str] = []
    for i, pattern in enumerate(ov.landmarks):
        hits = _landmark_hits(ctx, ("overlays", "landmarks", i), pattern)
        shown.extend(h for h in hits if h not in shown)
    bases = {base_name(n) for n in ctx.landmarks}
    for key in ov.colors:
        if key not in ctx.landmarks and key not in bases:
            raise ctx.scene.error(
                ("overlays", "colors", key),
                f"unknown landmark {key!r} in overlays.colors{did_you_mean(key, ctx.landmarks)}",
                key,
            )
    for name in shown:
        kind = ctx.landmark_kind(name)
        geometry: Any = ctx.model.landmark(name)
        if kind == "region":
            geometry = geometry.mesh
        color = ov.colors.get(name) or ov.colors.get(base_name(name))
        out.overlays.append(OverlayItem(name=name, kind=kind, geometry=geometry, color=color))
    return shown


def _add_segments(ctx: Context, out: ResolvedScene) -> None:
    """The straight reference lines, extended beyond both ends, as 60-point polylines."""
    ov = ctx.scene.overlays
    radius = float(ov.tube_radius or load_theme()["overlay"]["tube_radius"])
    for i, seg in enumerate(ov.segments):
        ends = []
        for key in ("start", "end"):
            v = getattr(seg, key)
            ends.append(ctx.landmark_at(("overlays", "segments", i, key), v) if isinstance(v, str) else v)
        a, b = (np.asarray(e, float) for e in ends)
        u = (b - a) / max(float(np.linalg.norm(b - a)), 1e-9)
        a, b = a - u * seg.extend, b + u * seg.extend
        line = a + np.linspace(0.0, 1.0, 60)[:, None] * (b - a)
        out.marks.append(
            Mark(name=f"segment_{i}", kind="line", geometry=line, color=seg.color, radius=radius, dashed=seg.dashed)
        )


# =============================================================================== focus
def _focus_glob(ctx: Context, out: ResolvedScene, here: tuple, pattern: str, drawn: set[str]) -> np.ndarray | None:
    """Drawn matches of a focus glob join the framed items; the points of the others are returned."""
    hits = [n for n in [*ctx.structures.globbable, *ctx.landmarks] if fnmatch.fnmatchcase(n, pattern)]
    if not hits:
        raise ctx.scene.error(here, f"pattern {pattern!r} matches no structure or landmark", pattern)
    out.focus_items.extend(h for h in hits if h in drawn)
    rest = [points for h in hits if h not in drawn and (points := ctx.points_of(h)) is not None]
    return np.vstack(rest) if rest else None


def _add_focus(ctx: Context, out: ResolvedScene, targets: Targets) -> None:
    """What the camera frames: drawn structures as drawn (after their cut-away), other names by their points."""
    focus: list[np.ndarray] = []
    drawn = {it.name for it in out.items}
    for i, name in enumerate(ctx.scene.camera.focus):
        here = ("camera", "focus", i)
        if name in drawn:
            out.focus_items.append(name)
            continue
        points = ctx.points_of(name)
        if points is None and name in targets:
            points = np.atleast_2d(targets[name][1])
        if points is None and is_glob(name):
            points = _focus_glob(ctx, out, here, name, drawn)
            if points is None:
                continue
        if points is None:
            raise ctx.scene.error(here, unknown_target(name, ctx.structures.names, ctx.landmarks, targets), name)
        focus.append(points)
    out.focus_points = np.vstack(focus) if focus else None
