"""Distance to what lies beneath a muscle: the bones of one side and the deeper muscles.

The bones come from signed-distance grids (the femur's in its own frame, so posing costs
nothing); the deeper muscles from the mid-surfaces of their bodies (:class:`Cover`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from glute3d.anatomy.muscles.grids import refine
from glute3d.anatomy.muscles.result import Muscle
from glute3d.geometry.distance import DistanceGrid, ImplicitDistance
from glute3d.geometry.mesh import merge

__all__ = ["Beneath", "Cover", "Layer"]


class Layer:
    """The refined mid-surface of one generated muscle, ready to be merged into a `Cover`."""

    def __init__(self, muscle: Muscle):
        self.mesh = muscle.mesh
        fine = refine(0.5 * (muscle.deep + muscle.superficial))
        self.shape = fine.shape[:2]
        self.points = fine.reshape(-1, 3)
        self.radius = refine(0.5 * np.linalg.norm(muscle.superficial - muscle.deep, axis=2)).ravel()
        nrm = refine(muscle.normals).reshape(-1, 3)
        self.normals = nrm / np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-9)
        step = np.maximum(
            np.linalg.norm(np.gradient(fine, axis=0), axis=2), np.linalg.norm(np.gradient(fine, axis=1), axis=2)
        )
        self.footprint = 0.75 * step.ravel()
        n_f, n_s = self.shape
        fi, si = np.divmod(np.arange(len(self.points)), n_s)
        steps = np.array([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)])
        cf = np.clip(fi[:, None] + steps[:, 0], 0, n_f - 1)
        cs = np.clip(si[:, None] + steps[:, 1], 0, n_s - 1)
        self.neighbours = cf * n_s + cs
        self.coarse = (np.arange(0, n_f, 2)[:, None] * n_s + np.arange(0, n_s, 2)[None, :]).ravel()


class Cover:
    """The muscles already generated beneath a muscle, as one distance field.

    Each mid-surface sample of each muscle (halfway between its deep and
    superficial faces, with extra samples halfway between neighbours) carries
    a ball of half the local thickness, so a body is a slab with rounded
    borders.  A point *under* a body (on its deep side, within its outline)
    counts as inside, at the depth below the superficial face: whatever lies
    on a muscle is pushed out on its superficial side, never between it and
    the bone.  Queries start with a k-d tree; repeated queries of slowly
    moving points walk the sample grids from the previous answer instead.
    """

    def __init__(self, layers: Sequence[Layer]):
        from scipy.spatial import cKDTree

        offsets = np.cumsum([0] + [len(x.points) for x in layers])[:-1]
        self.points = np.concatenate([x.points for x in layers])
        self.radius = np.concatenate([x.radius for x in layers])
        self.normals = np.concatenate([x.normals for x in layers])
        self.footprint = np.concatenate([x.footprint for x in layers])
        self.neighbours = np.concatenate([x.neighbours + o for x, o in zip(layers, offsets)])
        self.coarse = np.concatenate([x.coarse + o for x, o in zip(layers, offsets)])
        self.tree = cKDTree(self.points[self.coarse])
        self.reach = float(self.radius.max())
        self._meshes = [x.mesh for x in layers]
        self._exact: ImplicitDistance | None = None

    def exact(self, p: np.ndarray) -> np.ndarray:
        """Signed distance ``(n,)`` to the closed bodies themselves (slower than calling the cover)."""
        if self._exact is None:
            self._exact = ImplicitDistance(merge(self._meshes))
        return self._exact(p)

    def __call__(self, p: np.ndarray, hint: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distance ``(n,)`` to the nearest body, unit gradient ``(n, 3)`` and nearest sample ``(n,)``."""
        if hint is None:
            _, hint = self.tree.query(p)
            hint = self.coarse[hint]
        idx = np.asarray(hint)
        rows = np.arange(len(p))
        for _ in range(3):  # walk downhill over the sample grid from the hint
            cand = self.neighbours[idx]
            rel = p[:, None, :] - self.points[cand]
            dist = np.sqrt(np.einsum("nkd,nkd->nk", rel, rel))
            k = np.argmin(dist - self.radius[cand], axis=1)
            best = cand[rows, k]
            if np.array_equal(best, idx):
                break
            idx = best
        rel = p - self.points[idx]
        dk = np.sqrt(np.einsum("ij,ij->i", rel, rel))
        d = dk - self.radius[idx]
        g = rel / np.maximum(dk, 1e-9)[:, None]
        n = self.normals[idx]
        h = np.einsum("ij,ij->i", rel, n)
        lateral = np.sqrt(np.maximum(dk * dk - h * h, 0.0))
        under = (lateral < self.footprint[idx]) & (h < 0.0)
        d = np.where(under, h - self.radius[idx], d)
        g = np.where(under[:, None], n, g)
        return d, g, idx


class Beneath:
    """Distance to everything beneath a muscle: bones of one side (posed) and deeper muscles."""

    def __init__(
        self,
        pelvis: DistanceGrid,
        femur: DistanceGrid,
        transform: np.ndarray,
        cover: Cover | None,
        gap: float = 0.0,
        outward: np.ndarray | None = None,
    ):
        self.pelvis, self.femur, self.cover, self.gap = pelvis, femur, cover, gap
        self.outward = outward
        self.rot = transform[:3, :3]
        self.shift = transform[:3, 3]
        self.femur_lo = femur.origin
        self.femur_hi = femur.origin + femur.spacing * (np.asarray(femur.values.shape) - 1)

    def bones(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the nearest bone and its unit gradient."""
        d, g = self.pelvis(p)
        local = (p - self.shift) @ self.rot
        near = np.flatnonzero(np.all((local > self.femur_lo) & (local < self.femur_hi), axis=1))
        if len(near):
            dfm, gf = self.femur(local[near])
            use = dfm < d[near]
            idx = near[use]
            d[idx] = dfm[use]
            g[idx] = gf[use] @ self.rot.T
        return d, g

    def active(self, p: np.ndarray, margin: float = 30.0) -> list[np.ndarray] | None:
        """``[indices of p within margin mm of a deeper muscle, their nearest samples]``."""
        if self.cover is None:
            return None
        _, near = self.cover.tree.query(p, distance_upper_bound=margin + self.cover.reach)
        keep = np.flatnonzero(near < len(self.cover.coarse))
        return [keep, self.cover.coarse[near[keep]]]

    def __call__(self, p: np.ndarray, active: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Distance and unit gradient at ``p``.

        ``active`` (from :meth:`active`, updated in place) limits the deeper
        muscles to the points near them and speeds up their queries.
        """
        d, g = self.bones(p)
        if self.outward is not None:
            # inside bone and heading for its deep side: leave toward the superficial side instead
            wrong = (d < 0.0) & (g @ self.outward < -0.3)
            if wrong.any():
                g[wrong] = self.outward
        if self.cover is None:
            return d, g
        if active is None:
            idx = np.arange(len(p))
            dc, gc, _ = self.cover(p)
        else:
            idx = active[0]
            if not len(idx):
                return d, g
            dc, gc, active[1] = self.cover(p[idx], active[1])
        dc = dc - self.gap
        gb = g[idx]
        # inside a deeper muscle and heading for the bone: leave it on the superficial side
        wrong = (dc < 0.0) & (np.einsum("ij,ij->i", gc, gb) < 0.0)
        if self.outward is not None:
            wrong |= (dc < 0.0) & (gc @ self.outward < -0.3)
            away = np.where((gb @ self.outward < -0.3)[:, None], self.outward, gb)
        else:
            away = gb
        gc = np.where(wrong[:, None], away, gc)
        use = dc < d[idx]
        sel = idx[use]
        d[sel] = dc[use]
        g[sel] = gc[use]
        return d, g
