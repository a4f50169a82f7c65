"""Resolving a scene against a model: variants, pose, layers, landmarks, segments, focus; labels last.

:func:`resolve_scene` runs the steps in order; each step checks the names of its fields
against the model and adds plain data to the :class:`~glute3d.scene.resolved.ResolvedScene`.
Unknown names are noted (:class:`~glute3d.scene.unknown.UnknownNames`) and left out, and the
steps go on: at the end one :class:`~glute3d.scene.schema.SceneError` names them all, each
with its field, its TOML line and the closest valid names of the kind the field takes.  What
the picture will show that the author may not expect (no layers: everything; a structure two
layers name) becomes a warning of the resolved scene.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import numpy as np

from glute3d.scene.animation import fibre_marks
from glute3d.scene.centrelines import foramen_targets
from glute3d.scene.context import Context, Targets
from glute3d.scene.injection import resolve_injection
from glute3d.scene.labels import resolve_labels
from glute3d.scene.lever import resolve_abductor_lever
from glute3d.scene.naming import (
    FORAMEN_TARGETS,
    absent_landmark,
    absent_structure,
    base_name,
    is_glob,
    kb_kind,
    kb_names,
    layer_title,
    unknown_target,
)
from glute3d.scene.resolved import Cut, DrawItem, Mark, OverlayItem, ResolvedScene
from glute3d.scene.schema import CutAway, Layer, Pose, SceneError, SceneFields
from glute3d.scene.source import HasFemur, HasHabitus, HasVariants, Poseable, SceneSource
from glute3d.scene.theme import load_theme
from glute3d.scene.unknown import UnknownNames, hint_of
from glute3d.sides import SIDES

__all__ = ["apply_femur", "apply_habitus", "apply_pose", "apply_variants", "resolve_scene"]

_CAPPED_STYLES = ("bone", "muscle", "highlight")


def resolve_scene(scene: SceneFields, model: SceneSource) -> ResolvedScene:
    """Check every name of ``scene`` against ``model`` and collect the geometry to draw.

    See :meth:`glute3d.scene.Scene.resolve`.

    Raises
    ------
    SceneError
        Every unknown name at once; else the first other problem.
    """
    unknown = UnknownNames(scene)
    try:
        shaped = apply_habitus(scene, apply_femur(scene, model))
        model = apply_pose(scene, apply_variants(scene, shaped, unknown))
        out = _resolve(Context.of(scene, model, unknown))
    except SceneError as exc:  # unknown names found before it come first: they may be its cause
        raise (unknown.error() or exc) from None
    unknown.raise_if_any()
    return out


def _resolve(ctx: Context) -> ResolvedScene:
    """The steps of :func:`resolve_scene` after variants and pose."""
    scene, model = ctx.scene, ctx.model
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
    if scene.overlays.abductor_lever:
        resolve_abductor_lever(scene, model, out, targets)
    if scene.animation is not None and scene.animation.fibres:  # an animated scene's coloured fibres
        out.marks.extend(fibre_marks(scene, model).marks)
    _add_focus(ctx, out, targets)
    resolve_labels(ctx, out, targets, shown_landmarks)
    return out


# =============================================================================== variants and pose
def _then(hint: str) -> str:
    """A hint ("did you mean ...?") after a message: ``"; did you mean ...?"``."""
    return f"; {hint}" if hint else ""


def apply_variants(scene: SceneFields, model: SceneSource, unknown: UnknownNames | None = None) -> SceneSource:
    """``model`` with the scene's anatomical variants switched on (itself when there are none).

    ``unknown``: note unknown switches and values there (and return ``model`` unswitched)
    instead of raising them.

    Raises
    ------
    SceneError
        An unknown switch or value (without ``unknown``), or a model without variants.
    """
    if not scene.variants:
        return model
    from glute3d.anatomy.paths.specs import VARIANTS  # validating paths.toml: only scenes with variants pay

    found = unknown if unknown is not None else UnknownNames(scene)
    before = len(found.found)
    for key, value in scene.variants.items():
        here = ("variants", key)
        if key not in VARIANTS:
            switches = ", ".join(VARIANTS) or "none"
            hint = hint_of(key, VARIANTS)
            found.add(here, key, f"unknown variant switch {key!r}{_then(hint)} (switches: {switches})", hint, key=True)
        elif value not in VARIANTS[key][1]:
            allowed = VARIANTS[key][1]
            hint = hint_of(value, allowed)
            msg = f"unknown value {value!r} for variant {key!r}{_then(hint)} (choose from: {', '.join(allowed)})"
            found.add(here, value, msg, hint)
    if len(found.found) > before:
        if unknown is None:
            found.raise_if_any()
        return model  # the other names are checked on the model as it is
    if not isinstance(model, HasVariants):
        raise scene.error(
            ("variants",), "this model has no anatomical variants (model.with_variant); remove [variants]"
        )
    try:
        return model.with_variant(**scene.variants)
    except (ValueError, KeyError) as exc:
        raise scene.error(("variants",), str(exc).strip("'\"")) from None


def apply_habitus(scene: SceneFields, model: SceneSource) -> SceneSource:
    """``model`` with the scene's body habitus (itself for the average body).

    Raises
    ------
    SceneError
        An unknown habitus, or a model whose skin cannot change.
    """
    if scene.habitus == "average":
        return model
    if not isinstance(model, HasHabitus):
        raise scene.error(("habitus",), "this model has no body habitus (model.with_habitus); remove habitus")
    try:
        return model.with_habitus(scene.habitus)
    except KeyError as exc:
        raise scene.error(("habitus",), str(exc).strip("'\"")) from None


def apply_femur(scene: SceneFields, model: SceneSource) -> SceneSource:
    """``model`` with the scene's femur shape (itself when ``[femur]`` changes nothing).

    Raises
    ------
    SceneError
        A model whose femurs cannot be reshaped, or a shape it refuses.
    """
    if scene.femur.is_default:
        return model
    if not isinstance(model, HasFemur):
        raise scene.error(("femur",), "this model's femurs cannot be reshaped (model.with_femur); remove [femur]")
    try:
        return model.with_femur(neck_shaft_angle=scene.femur.neck_shaft_angle, offset=scene.femur.offset)
    except ValueError as exc:
        raise scene.error(("femur",), str(exc)) from None


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
        tilt, lst, rot = scene.pose.pelvis
        pose = JointPose(
            flexion=flexion,
            adduction=adduction,
            rotation=rotation,
            pelvis_tilt=tilt,
            pelvis_list=lst,
            pelvis_rotation=rot,
        )
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
    """The structures ``pattern`` matches (not muscle parts); noted as unknown if none and not optional."""
    hits = [n for n in ctx.structures.globbable if fnmatch.fnmatchcase(n, pattern)]
    if hits or optional:
        return hits
    known = [n for n in kb_names() if fnmatch.fnmatchcase(n, pattern)]
    why = f"pattern {pattern!r} matches no structure of the model"
    note = "matches no structure"
    if known:
        more = "..." if len(known) > 4 else ""
        why += f" (the knowledge base has {', '.join(known[:4])}{more}, not built yet)"
        note += ", none built yet"
    ctx.unknown.add(here, pattern, why + "; add optional = true to the layer to allow that", note)
    return []


def _layer_structures(ctx: Context, i: int, layer: Layer) -> dict[str, bool]:
    """The structures layer ``i`` names, in its order: exact names (muscle parts too) and glob matches,
    each with whether the layer names it exactly.  Unknown names are noted and left out."""
    out: dict[str, bool] = {}
    for j, pattern in enumerate(layer.structures):
        here = ("layers", i, "structures", j)
        if is_glob(pattern):
            for hit in _glob_hits(ctx, here, pattern, layer.optional):
                out.setdefault(hit, False)
        elif pattern in ctx.structures:
            out[pattern] = True
        elif not layer.optional:
            ctx.unknown.add(here, pattern, *absent_structure(pattern, ctx.structures.globbable, ctx.landmarks))
    return out


def _layer_name(scene: SceneFields, i: int) -> str:
    name = scene.layers[i].name
    return f"layers[{i}]" + (f" ({name!r})" if name else "")


def _named_twice(ctx: Context, named: dict[str, list[int]], winner: dict[str, int]) -> list[str]:
    """Warnings for structures that two or more shown layers name exactly: which layer's style wins."""
    notes = []
    for name, layers in named.items():
        if len(layers) < 2:
            continue
        won = winner[name]
        listed = [_layer_name(ctx.scene, i) for i in layers]
        both = ", ".join(listed[:-1]) + f" and {listed[-1]}"
        style = _style_for(ctx, name, ctx.scene.layers[won])
        notes.append(
            f"structure {name!r} is named by {both}; the later one, {_layer_name(ctx.scene, won)}, draws it "
            f"(style {style!r}); remove it from the other layer"
        )
    return notes


def _nothing_drawn(scene: SceneFields, visible: dict[int, Layer]) -> str:
    """Why a scene with layers draws no structure."""
    if not visible:
        why = "every layer is hidden (hide = true)"
    elif any(L.isolate for L in scene.layers):
        why = "the isolated layers match no structure of the model"
    else:
        why = "its layers match no structure of the model"
    return f"no structure is drawn: {why}; show a layer or name structures the model has"


def _drawn(ctx: Context, warnings: list[str]) -> list[tuple[str, int, Layer | None]]:
    """``(structure, layer index, layer)`` of every drawn structure in drawing order (no layers: all).

    The later shown layer wins a structure that two name; ``warnings`` gets what the author should know.
    """
    scene = ctx.scene
    if not scene.layers:
        everything = ctx.structures.globbable
        warnings.append(
            f"the scene has no [[layers]], so all {len(everything)} structures of the model are drawn, each in its "
            "own style; add [[layers]] tables to choose what to show, e.g. [[layers]] structures = ['hip_bone_r']"
        )
        return [(n, -1, None) for n in everything]
    visible = _visible_layers(scene)
    assignment: dict[str, tuple[int, Layer]] = {}
    named: dict[str, list[int]] = {}  # structure: the shown layers that name it exactly
    for i, layer in enumerate(scene.layers):
        structures = _layer_structures(ctx, i, layer)  # every layer's names are checked, shown or not
        if i not in visible:
            continue  # a hidden layer takes nothing from the shown ones
        for name, exact in structures.items():
            assignment[name] = (i, layer)  # later layers win
            if exact:
                named.setdefault(name, []).append(i)
    warnings += _named_twice(ctx, named, {n: assignment[n][0] for n in named})
    drawn: list[tuple[str, int, Layer | None]] = [(n, *assignment[n]) for n in ctx.structures.names if n in assignment]
    if not drawn and not ctx.unknown:
        warnings.append(_nothing_drawn(scene, visible))
    return drawn


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


def _resolve_cut(ctx: Context, path: tuple, cut: CutAway, style: str) -> Cut | None:
    """The cut-away plane (``None`` when its origin is an unknown landmark, which is noted)."""
    normal = np.asarray(cut.normal, float)
    normal = normal / np.linalg.norm(normal)
    if isinstance(cut.origin, str):
        origin = ctx.landmark_at((*path, "origin"), cut.origin)
        if origin is None:
            return None
    else:
        origin = np.asarray(cut.origin, float)
    cap = cut.cap if cut.cap is not None else style in _CAPPED_STYLES
    return Cut(origin=origin + normal * cut.offset, normal=normal, cap=cap)


def _add_items(ctx: Context, out: ResolvedScene) -> None:
    """The drawn structures, and one legend entry per layer and style in the order they are first drawn.

    When the layers hold unknown names the scene fails anyway: the other names are still checked,
    but no mesh is built for them (generating soft tissue would only delay the message).
    """
    drawn = _drawn(ctx, out.warnings)
    if ctx.unknown:
        out.items += [DrawItem(name, None, "other", None, None, "", None) for name, _, _ in drawn]
        return
    for name, i, layer in drawn:
        style = _style_for(ctx, name, layer)
        cut = None
        if layer is not None and layer.cut_away is not None:
            cut = _resolve_cut(ctx, ("layers", i, "cut_away"), layer.cut_away, style)
        title = layer_title(layer, name, style)
        color = layer.color if layer is not None else None
        opacity = layer.opacity if layer is not None else None
        mesh = ctx.structures.mesh(name)
        if cut is not None and not ((np.asarray(mesh.vertices) - cut.origin) @ cut.normal <= 0.0).any():
            out.warnings.append(
                f"layers[{i}].cut_away removes all of {name!r}: nothing of it is drawn; move the plane (origin, "
                "offset) or turn its normal round"
            )
        out.items.append(DrawItem(name, mesh, style, color, opacity, title, cut))
        if (title, style, color) not in out.legend:
            out.legend.append((title, style, color))


# =============================================================================== landmarks and segments
def _landmark_hits(ctx: Context, here: tuple, pattern: str) -> list[str]:
    """The landmarks a name or glob of ``overlays.landmarks`` stands for (none, noted, when unknown)."""
    if is_glob(pattern):
        hits = [n for n in ctx.landmarks if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            ctx.unknown.add(here, pattern, f"pattern {pattern!r} matches no landmark of the model", "matches nothing")
        return hits
    if pattern in ctx.landmarks:
        return [pattern]
    ctx.unknown.add(here, pattern, *absent_landmark(pattern, ctx.landmarks, ctx.structures))
    return []


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
            here = ("overlays", "colors", key)
            ctx.unknown.add(here, key, *absent_landmark(key, ctx.landmarks, ctx.structures, " in overlays.colors"))
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
        if any(e is None for e in ends):
            continue  # an unknown end, noted
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
        ctx.unknown.add(here, pattern, f"pattern {pattern!r} matches no structure or landmark", "matches nothing")
        return None
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
            ctx.unknown.add(here, name, *unknown_target(name, ctx.structures.names, ctx.landmarks))
            continue
        focus.append(points)
    out.focus_points = np.vstack(focus) if focus else None
