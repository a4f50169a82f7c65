"""Resolving labels: each target's candidate anchor points (best first), its text and how far it stands out.

A label may point at a drawn structure, a landmark, an injection mark or a foramen.  The
renderer anchors the leader on the first candidate it can see, so the order matters: the
middle of a curve first, the centre of a region or structure first, the part a cut-away
keeps, the part nearest ``near``, or a branch of a nerve or artery.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from glute3d.geometry.mesh import Mesh
from glute3d.scene.centrelines import path_centrelines
from glute3d.scene.context import Context, Target, Targets
from glute3d.scene.naming import closest, target_display, unknown_target
from glute3d.scene.resolved import Cut, LabelItem, ResolvedScene
from glute3d.scene.schema import Label, SceneFields, Vec3
from glute3d.scene.surface import middle_first
from glute3d.scene.theme import load_theme
from glute3d.scene.unknown import hint_of
from glute3d.sides import split_side

__all__ = ["mesh_candidates", "resolve_labels"]


def mesh_candidates(mesh: Mesh, n: int = 4000) -> np.ndarray:
    """Vertices of a mesh (evenly subsampled, deterministic), nearest the centroid first."""
    v = np.asarray(mesh.vertices, float)
    v = v[:: max(1, len(v) // n)]
    return _nearest_centre_first(v, v.mean(axis=0))


def _nearest_centre_first(points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    return points[np.argsort(np.linalg.norm(points - centre, axis=1), kind="stable")]


def _overlay_lifts(scene: SceneFields) -> dict[str, float]:
    """How far a drawn landmark of each kind stands off the surface (its sphere or tube radius)."""
    ov = load_theme()["overlay"]
    return {
        "point": float(scene.overlays.point_radius or ov["point_radius"]),
        "curve": float(scene.overlays.tube_radius or ov["tube_radius"]),
        "region": float(ov["patch_offset"]),
        "structure": 0.0,
    }


def _landmark_target(ctx: Context, name: str, lift: float) -> Target:
    kind = ctx.landmark_kind(name)
    geometry = ctx.model.landmark(name)
    if kind == "point":
        candidates = np.asarray(geometry, float)[None]
    elif kind == "curve":
        candidates = middle_first(geometry)
    else:
        candidates = _nearest_centre_first(np.asarray(geometry.mesh.vertices, float), np.asarray(geometry.centroid))
    return kind, candidates, lift


def _cut_of(out: ResolvedScene, name: str) -> Cut | None:
    return next((it.cut for it in out.items if it.name == name and it.cut is not None), None)


def _kept(points: np.ndarray, cut: Cut) -> np.ndarray:
    """Which points a cut-away keeps."""
    return (points - cut.origin) @ cut.normal <= 0.0


def _branch_target(ctx: Context, out: ResolvedScene, j: int, label: Label) -> Target | None:
    """Candidates on one branch of a nerve or artery: the part the picture shows, middle first
    (``None`` for an unknown branch, which is noted)."""
    name, branch = label.target, str(label.branch)
    here = ("labels", j, "branch")
    lines = path_centrelines(ctx.model) if name in ctx.structures else {}
    if name not in lines:
        raise ctx.scene.error(here, f"branch applies to nerve and artery targets; {name!r} is not one", branch)
    branches = lines[name]["branches"]
    if branch not in branches:
        hint = hint_of(branch, branches)
        message = f"{name!r} has no branch {branch!r}" + (f"; {hint}" if hint else "")
        ctx.unknown.add(here, branch, f"{message} (branches: {', '.join(branches)})", hint or f"a branch of {name!r}")
        return None
    c = branches[branch]
    c = c[len(c) // 5 :] if len(c) > 10 else c  # away from where it leaves its parent
    cut = _cut_of(out, name)
    if cut is not None:
        kept = _kept(c, cut)
        c = c[kept] if kept.any() else c
    lift = float(lines[name].get("radii", {}).get(branch, 0.0))  # the tube's surface, not its axis
    return "curve", middle_first(c), lift


def _target(ctx: Context, out: ResolvedScene, j: int, label: Label, targets: Targets, lifts: dict) -> Target | None:
    """Kind, candidates and lift of label ``j``'s target, before ``near`` is applied (``None``: an
    unknown name, noted)."""
    name = label.target
    here = ("labels", j, "target")
    if name in ctx.structures:
        if name not in {it.name for it in out.items}:
            raise ctx.scene.error(here, f"label target {name!r} is not drawn (hidden or in no visible layer)", name)
        if label.branch is not None:
            return _branch_target(ctx, out, j, label)
        if ctx.unknown:  # the scene fails anyway: no mesh is built for it
            return "structure", np.zeros((1, 3)), 0.0
        kind, candidates, lift = "structure", mesh_candidates(ctx.structures.mesh(name)), 0.0
    elif name in ctx.landmarks:
        drawn = {o.name for o in out.overlays}
        kind, candidates, lift = _landmark_target(ctx, name, lifts[ctx.landmark_kind(name)] if name in drawn else 0.0)
    elif name in targets:
        kind, candidates, lift = targets[name]
    else:
        ctx.unknown.add(here, name, *unknown_target(name, ctx.structures.names, ctx.landmarks))
        return None
    if label.branch is not None:
        raise ctx.scene.error(
            ("labels", j, "branch"), f"branch applies to nerve and artery targets; {name!r} is not one", label.branch
        )
    cut = _cut_of(out, name)
    if cut is not None:  # not on the part a cut-away removes
        kept = _kept(candidates, cut)
        if kept.any() and not kept.all():
            candidates = candidates[kept]
            if kind == "structure":  # nearest the middle of what is left first
                candidates = _nearest_centre_first(candidates, candidates.mean(axis=0))
    return kind, candidates, lift


def _near_point(ctx: Context, path: Sequence[str | int], near: Vec3 | str) -> np.ndarray | None:
    """The point ``near`` stands for: a point, a landmark's centre or a structure's centroid
    (``None`` for an unknown name, which is noted with the closest landmarks or structures)."""
    if not isinstance(near, str):
        return np.asarray(near, float)
    if near in ctx.structures and near not in ctx.landmarks:
        return None if ctx.unknown else np.asarray(ctx.structures.mesh(near).vertices, float).mean(axis=0)
    if near in ctx.landmarks:
        return ctx.landmark_at(path, near)
    _, hint = closest(near, {"landmark": ctx.landmarks, "structure": ctx.structures.names})
    ctx.unknown.add(path, near, f"unknown landmark or structure {near!r}" + (f"; {hint}" if hint else ""), hint)
    return None


def _near(candidates: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The candidates nearest the point ``p`` (the closest fifth, nearest first)."""
    order = np.argsort(np.linalg.norm(candidates - p, axis=1), kind="stable")
    return candidates[order[: max(1, len(order) // 5)]]


def _drop_side_words(scene: SceneFields, labels: list[LabelItem]) -> list[LabelItem]:
    """Remove ", right" / ", left" from default texts unless the scene wants them (``label_sides``)."""
    explicit = {i for i, L in enumerate(scene.labels) if L.text is not None}
    sides = {split_side(L.target)[1] for L in labels if L.index not in explicit} - {None}
    drop = scene.label_sides == "never" or (scene.label_sides == "auto" and len(sides) <= 1)
    if not drop:
        return labels
    return [L if L.index in explicit else replace(L, text=re.sub(r", (right|left)$", "", L.text)) for L in labels]


def resolve_labels(ctx: Context, out: ResolvedScene, targets: Targets, shown_landmarks: list[str]) -> None:
    """The scene's labels, then one per overlay landmark when ``overlays.label`` asks for them."""
    scene = ctx.scene
    labels = list(scene.labels)
    if scene.overlays.label:
        explicit = {L.target for L in labels}
        labels += [Label(target=n) for n in shown_landmarks if n not in explicit]
    lifts = _overlay_lifts(scene)
    for j, label in enumerate(labels):
        target = _target(ctx, out, j, label, targets, lifts)
        near = None if label.near is None else _near_point(ctx, ("labels", j, "near"), label.near)
        if target is None:
            continue  # an unknown name, noted
        kind, candidates, lift = target
        if near is not None and len(candidates) > 1:
            candidates = _near(candidates, near)
        text = label.text if label.text is not None else target_display(label.target)
        out.labels.append(
            LabelItem(
                text=text,
                target=label.target,
                kind=kind,
                candidates=candidates,
                side=label.side,
                leader=label.leader,
                lift=lift,
                index=j,
            )
        )
    out.labels = _drop_side_words(scene, out.labels)
