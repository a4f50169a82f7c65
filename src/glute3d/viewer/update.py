"""Writing a new hip pose into the viewer's actors, in place, for what is shown.

:class:`PoseUpdater` asks the :class:`~glute3d.viewer.posing.HipPoser` for the new geometry of
the structures of the moved side that are shown and writes it into their actors' points:

* femur: moved rigidly from the geometry drawn (its cut-away, if the scene has one, goes with it);
* muscles: regenerated when ``exact``; while a slider is dragged, the neutral muscles carried
  along by the femur; points and normals written in place (their triangles never change);
* nerves and arteries: regenerated when ``exact`` (their vertex count changes: the actor's
  geometry is replaced in its own object); while a slider is dragged, blended (:class:`Blend`);
* skin: blended with the femur near the moved hip only (:class:`Blend`), as the model bends it.

Structures hidden meanwhile are noted and caught up when their layer is shown again.  The
scene's landmark overlays and marks follow in :mod:`glute3d.viewer.attached`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from glute3d.render.polydata import cut, poly
from glute3d.sides import SIDES, split_side
from glute3d.viewer.actors import Normals, points_of, replace_geometry, set_points, touched
from glute3d.viewer.posing import muscle_of_part

__all__ = ["Blend", "PoseUpdater"]

_MUSCLE_KINDS = ("muscle", "muscle_part")
_PATH_KINDS = ("nerve", "artery")


@dataclass
class Blend:
    """Points that follow a femur by weights (linear blend skinning), only those with a weight.

    ``pts`` and ``normals`` are the points' geometry when the femur had transform ``t0``;
    :meth:`apply` writes them, moved to femur transform ``t``, into ``out`` (all points).

    Examples
    --------
    >>> b = Blend.of(np.array([[0.0, 0, 0], [1, 0, 0]]), None, np.array([0.0, 1.0]), np.eye(4))
    >>> t = np.eye(4); t[:3, 3] = [0, 0, 5]
    >>> out = np.zeros((2, 3)); b.apply(t, out, None); out.tolist()
    [[0.0, 0.0, 0.0], [1.0, 0.0, 5.0]]
    """

    idx: np.ndarray
    pts: np.ndarray
    normals: np.ndarray | None
    w: np.ndarray
    t0: np.ndarray
    rigid: bool = False

    def __post_init__(self) -> None:
        self.t0_inverse = np.linalg.inv(self.t0)
        self.every = len(self.idx) == 0 or (self.idx[0] == 0 and self.idx[-1] == len(self.idx) - 1)

    @classmethod
    def of(cls, pts: np.ndarray, normals: np.ndarray | None, w: np.ndarray, t0: np.ndarray) -> Blend:
        idx = np.flatnonzero(w > 0.0)
        n = None if normals is None else np.array(normals[idx], float)
        rigid = bool(np.all(w[idx] == 1.0))
        return cls(idx, np.array(pts[idx], float), n, w[idx, None], np.asarray(t0, float), rigid)

    def apply(self, t: np.ndarray, out: np.ndarray, out_normals: np.ndarray | None) -> None:
        rel = t @ self.t0_inverse
        r = rel[:3, :3]
        p = self.pts
        if self.rigid and self.every and len(p) == len(out):  # every point, weight 1 (a femur): a rigid move
            np.matmul(p, r.T, out=out)
            out += rel[:3, 3]
            if out_normals is not None and self.normals is not None:
                np.matmul(self.normals, r.T, out=out_normals)
            return
        out[self.idx] = p + self.w * ((p @ r.T + rel[:3, 3]) - p)
        if out_normals is not None and self.normals is not None:
            n = self.normals
            n = n + self.w * (n @ r.T - n)
            out_normals[self.idx] = n / np.maximum(np.sqrt(np.einsum("ij,ij->i", n, n))[:, None], 1e-12)


class PoseUpdater:
    """Moves the actors of a :class:`~glute3d.viewer.viewer.Viewer` when a hip moves (see the module)."""

    def __init__(self, viewer: Any, kinds: Mapping[str, str]) -> None:
        self.viewer = viewer
        self.kinds = dict(kinds)
        self.dirty: set[str] = set()
        self.faces = {name: np.asarray(it.mesh.faces) for name, it in viewer.items.items()}
        self.normals: dict[str, Normals] = {}
        self.blends: dict[tuple[str, str], Blend] = {}  # (structure, side): how it follows that femur
        self.unbedded: set[tuple[str, str]] = set()  # (muscle, side) regenerated while dragging, not bedded
        self.scene_pose = {s: viewer.poser.transform(s) for s in SIDES}  # femur transforms the scene was drawn in
        self.made_at: dict[str, np.ndarray] = {}  # femur transform a structure's drawn geometry was made for
        self.moving = {side: self._moving(side) for side in SIDES}

    # ------------------------------------------------------------------ which structures
    def _moving(self, side: str) -> list[str]:
        """The drawn structures that move with hip ``side``: its femur, muscles, paths, and the skin."""
        out = []
        for name, kind in self.kinds.items():
            if name == "skin" or (
                split_side(name)[1] == side and (kind in _MUSCLE_KINDS + _PATH_KINDS or name == f"femur_{side}")
            ):
                out.append(name)
        return out

    def _shown(self) -> set[str]:
        return {s for g in self.viewer.layers if g.visible for s in g.structures}

    # ------------------------------------------------------------------ updates
    def pose_side(self, side: str, *, exact: bool, paths_only: bool = False) -> None:
        """Write hip ``side``'s pose into its shown structures (``exact``: paths regenerated)."""
        shown = self._shown()
        names = self.moving[side]
        if paths_only:  # after a drag: the paths that were blended, the muscles not yet bedded on them
            names = [
                n
                for n in names
                if (self.kinds[n] in _PATH_KINDS and (n, side) in self.blends) or (n, side) in self.unbedded
            ]
        todo = [n for n in names if n in shown]
        self.dirty.update(n for n in names if n not in shown)
        self._write(side, todo, exact)

    def refresh(self, names: Iterable[str]) -> None:
        """Catch up structures posed while they were hidden."""
        stale = [n for n in names if n in self.dirty]
        for side in SIDES:
            mine = [n for n in stale if n == "skin" or split_side(n)[1] == side]
            if mine:
                self._write(side, mine, exact=True)

    def _write(self, side: str, names: list[str], exact: bool) -> None:
        for name in names:
            self.dirty.discard(name)
        if f"femur_{side}" in names or "skin" in names:
            t = self.viewer.poser.transform(side)
            for name in (f"femur_{side}", "skin"):
                if name in names:
                    self._blend(name, side, t)
        muscles = [n for n in names if self.kinds[n] in _MUSCLE_KINDS]
        if muscles:
            built = self.viewer.poser.muscles(side, muscles, bedded=exact, carried=not exact)
            for name in muscles:  # while dragging, the muscles are carried: regenerated when let go
                (self.unbedded.discard if exact else self.unbedded.add)((name, side))
            for name in muscles:
                if self.kinds[name] == "muscle":
                    mesh = built[name].mesh
                else:
                    muscle = muscle_of_part(name)
                    mesh = built[f"{muscle}_{side}"].part_mesh(split_side(name)[0][len(muscle) + 1 :])
                self._mesh(name, mesh)
        paths = [n for n in names if self.kinds[n] in _PATH_KINDS]
        if paths and exact:
            for name, mesh in self.viewer.poser.paths(side, paths).items():
                self._mesh(name, mesh)
                self.blends.pop((name, side), None)  # the next drag starts from this shape
        elif paths:
            t = self.viewer.poser.transform(side)
            for name in paths:
                self._blend(name, side, t)

    def _blend(self, name: str, side: str, t: np.ndarray) -> None:
        """Move ``name`` with femur ``side`` by blend weights (the femur: weight 1, rigid)."""
        actor = self.viewer.actors[name]
        pts, normals = points_of(actor)
        blend = self.blends.get((name, side))
        if blend is None:
            if name == "skin":  # from the neutral skin, as the model bends it
                neutral = self.viewer.poser.neutral_skin()
                base, t0 = np.asarray(neutral.vertices, float), np.eye(4)
                base_normals = None if normals is None else Normals(neutral.faces, len(base))(base)
            else:  # from the geometry drawn now, in the pose it was made for
                base, t0 = pts, self.made_at.get(name, self.scene_pose[side])
                base_normals = normals
            w = np.ones(len(base)) if name.startswith("femur_") else self.viewer.poser.weights(base, side)
            blend = self.blends[name, side] = Blend.of(base, base_normals, w, t0)
        blend.apply(t, pts, normals)
        touched(actor)

    def _mesh(self, name: str, mesh: Any) -> None:
        """A structure's new mesh: points moved in place when the triangles are the same, else replaced."""
        actor = self.viewer.actors[name]
        item = self.viewer.items[name]
        side = split_side(name)[1]
        if side is not None:
            self.made_at[name] = self.viewer.poser.transform(side)
        if item.cut is not None:
            replace_geometry(actor, cut(poly(mesh), item.cut))
            return
        faces = np.asarray(mesh.faces)
        old = self.faces[name]
        if faces is old or (faces.shape == old.shape and np.array_equal(faces, old)):
            if name not in self.normals:
                self.normals[name] = Normals(faces, len(mesh.vertices))
            set_points(actor, np.asarray(mesh.vertices), self.normals[name])
        else:
            replace_geometry(actor, poly(mesh))
            self.faces[name] = faces
            self.normals.pop(name, None)
