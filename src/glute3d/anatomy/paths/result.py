"""A generated nerve or artery: branches with centrelines, radii and tube meshes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from glute3d.geometry.curves import tube
from glute3d.geometry.distance import point_segment_distance
from glute3d.geometry.mesh import Mesh, merge

__all__ = ["Branch", "NeurovascularPath"]


@dataclass(frozen=True)
class Branch:
    """One branch of a path.

    Attributes
    ----------
    name : str
        ``"trunk"``, ``"superior_branch"``, ...
    centreline : numpy.ndarray
        ``(n, 3)`` samples about 2 mm apart, from the pelvis outward.
    radius : float
        Tube radius, mm.
    parent : str or None
        The branch it leaves from.
    exit : numpy.ndarray or None
        ``(3,)`` where it leaves the pelvis through the greater sciatic foramen, if it does.
    risk : bool
        Whether a needle must keep clear of it (False for the small muscular twigs that
        every intramuscular injection crosses).
    """

    name: str
    centreline: np.ndarray
    radius: float
    parent: str | None = None
    exit: np.ndarray | None = None
    risk: bool = True

    @cached_property
    def mesh(self) -> Mesh:
        """The branch as a closed, capped tube."""
        return tube(self.centreline, self.radius)

    @property
    def length(self) -> float:
        """Arc length, mm."""
        return float(np.linalg.norm(np.diff(self.centreline, axis=0), axis=1).sum())


@dataclass(frozen=True)
class NeurovascularPath:
    """A nerve or artery of one side: branches with centrelines, radii and a tube mesh.

    Attributes
    ----------
    name : str
        Sided name, e.g. ``"sciatic_nerve_r"``.
    kind : {"nerve", "artery"}
    side : {"r", "l"}
    branches : dict of str to Branch
        In generation order (parents before children).
    variant : str
        ``"normal"`` or the variant the path was generated with.
    """

    name: str
    kind: str
    side: str
    branches: dict[str, Branch]
    variant: str = "normal"

    @property
    def base(self) -> str:
        """The sideless name."""
        return self.name[: -len(self.side) - 1]

    def transformed(self, matrix: np.ndarray) -> NeurovascularPath:
        """The same path moved by a ``4 x 4`` rigid transform (the pelvis posed in the room)."""
        m = np.asarray(matrix, float)
        rot, shift = m[:3, :3], m[:3, 3]

        def move(b: Branch) -> Branch:
            ex = None if b.exit is None else b.exit @ rot.T + shift
            return replace(b, centreline=b.centreline @ rot.T + shift, exit=ex)

        return replace(self, branches={k: move(b) for k, b in self.branches.items()})

    @property
    def exit(self) -> np.ndarray:
        """``(3,)`` where the path (its first exiting branch) leaves the pelvis."""
        for b in self.branches.values():
            if b.exit is not None:
                return b.exit.copy()
        raise ValueError(f"{self.name} has no exit waypoint")

    @property
    def centrelines(self) -> dict[str, np.ndarray]:
        """Branch name to ``(n, 3)`` centreline."""
        return {k: b.centreline for k, b in self.branches.items()}

    @cached_property
    def mesh(self) -> Mesh:
        """All branches as one mesh (each branch a closed, capped tube)."""
        return merge([b.mesh for b in self.branches.values()])

    def segments(self, *, at_risk: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every centreline segment: starts ``(m, 3)``, ends ``(m, 3)`` and radii ``(m,)``.

        With ``at_risk``, only the branches a needle must keep clear of.
        """
        bs = [b for b in self.branches.values() if b.risk or not at_risk]
        a = np.vstack([b.centreline[:-1] for b in bs])
        e = np.vstack([b.centreline[1:] for b in bs])
        r = np.concatenate([np.full(len(b.centreline) - 1, b.radius) for b in bs])
        return a, e, r

    def distance(self, points: np.ndarray, *, at_risk: bool = False) -> np.ndarray:
        """Distance from ``points`` ``(n, 3)`` to the tube surface (centreline distance minus radius), mm."""
        a, e, r = self.segments(at_risk=at_risk)
        pts = np.atleast_2d(np.asarray(points, float))
        out = np.full(len(pts), np.inf)
        for lo in range(0, len(pts), 2048):
            d = point_segment_distance(pts[lo : lo + 2048, None, :], a[None], e[None]) - r[None]
            out[lo : lo + 2048] = d.min(axis=1)
        return out
