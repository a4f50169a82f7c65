"""Signed-distance functions: primitives, smooth booleans and swept skeletons.

Every function takes points as an ``(n, 3)`` array and returns an ``(n,)``
array of signed distances (negative inside).  Nothing here knows anatomy:
:mod:`glute3d.bones` composes these into bones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

__all__ = [
    "SDF",
    "SweptSpheres",
    "ellipsoid",
    "grid_normals",
    "halfspace",
    "intersect",
    "loft",
    "resample_polyline",
    "smooth_intersect",
    "smooth_subtract",
    "smooth_union",
    "sphere",
    "spline",
    "union",
]

SDF = Callable[[np.ndarray], np.ndarray]


# --------------------------------------------------------------------------- primitives
def sphere(p: np.ndarray, center, radius: float) -> np.ndarray:
    """Distance to a sphere."""
    return np.linalg.norm(p - np.asarray(center, float), axis=-1) - radius


def ellipsoid(p: np.ndarray, center, radii, rotation: np.ndarray | None = None) -> np.ndarray:
    """Approximate (bound-preserving) distance to an ellipsoid.

    Parameters
    ----------
    p : numpy.ndarray
        ``(n, 3)`` query points.
    center, radii : array_like
        Centre and the three semi-axes.
    rotation : numpy.ndarray, optional
        ``(3, 3)`` matrix whose *columns* are the ellipsoid's axes in world space.
    """
    q = p - np.asarray(center, float)
    if rotation is not None:
        q = q @ np.asarray(rotation, float)
    r = np.asarray(radii, float)
    k0 = np.linalg.norm(q / r, axis=-1)
    k1 = np.linalg.norm(q / (r * r), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = k0 * (k0 - 1.0) / k1
    return np.where(k1 > 0, d, -r.min())


def halfspace(p: np.ndarray, point, normal) -> np.ndarray:
    """Distance to the half-space behind a plane (``normal`` points outside)."""
    n = np.asarray(normal, float)
    n = n / np.linalg.norm(n)
    return (p - np.asarray(point, float)) @ n


# --------------------------------------------------------------------------- booleans
def union(*ds: np.ndarray) -> np.ndarray:
    """Sharp union."""
    return np.minimum.reduce(ds)


def smooth_union(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Polynomial smooth minimum: a union with a fillet of about ``k`` mm."""
    if k <= 0:
        return np.minimum(a, b)
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b + (a - b) * h - k * h * (1.0 - h)


def smooth_subtract(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """``a`` minus ``b`` with a rounded edge of about ``k`` mm."""
    return -smooth_union(-a, b, k)


def smooth_intersect(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Intersection with a rounded edge of about ``k`` mm."""
    return -smooth_union(-a, -b, k)


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sharp intersection."""
    return np.maximum(a, b)


# --------------------------------------------------------------------------- skeletons
def spline(points, n: int) -> np.ndarray:
    """Sample a smooth curve (natural cubic spline, chord-length parameter) through control points."""
    from scipy.interpolate import CubicSpline

    pts = np.asarray(points, float)
    if len(pts) == 2:
        t = np.linspace(0.0, 1.0, n)[:, None]
        return pts[0] * (1 - t) + pts[1] * t
    chord = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))]
    cs = CubicSpline(chord / chord[-1], pts, bc_type="natural")
    return cs(np.linspace(0.0, 1.0, n))


def resample_polyline(points: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Resample a dense polyline at an even ``step``; also return the arc parameter in [0, 1]."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.r_[0.0, np.cumsum(seg)]
    n = max(int(np.ceil(s[-1] / step)) + 1, 2)
    t = np.linspace(0.0, s[-1], n)
    out = np.column_stack([np.interp(t, s, points[:, i]) for i in range(points.shape[1])])
    return out, t / s[-1]


@dataclass
class SweptSpheres:
    """A solid made of many spheres: the union of balls ``|p - c_i| <= r_i``.

    Dense samples of a curve give a tube, of a surface a plate of varying
    thickness.  Distances come from the ``k`` nearest centres, which is exact
    wherever neighbouring radii vary slowly.
    """

    centers: np.ndarray
    radii: np.ndarray
    k: int = 8
    cutoff: float = 12.0
    tree: cKDTree = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from scipy.spatial import cKDTree

        self.centers = np.asarray(self.centers, float)
        self.radii = np.asarray(self.radii, float)
        self.tree = cKDTree(self.centers)

    def __call__(self, p: np.ndarray) -> np.ndarray:
        """Signed distance, exact up to ``cutoff`` mm outside; farther points get ``cutoff``.

        The clamp keeps queries cheap and changes nothing near the surface,
        where meshing and smooth unions (with blends under ``cutoff``) look.
        """
        k = min(self.k, len(self.centers))
        rmax = float(self.radii.max())
        d, i = self.tree.query(p, k=k, workers=-1, distance_upper_bound=self.cutoff + rmax)
        if k == 1:
            d, i = d[:, None], i[:, None]
        far = ~np.isfinite(d)
        i[far] = 0
        out = np.where(far, np.inf, d - self.radii[i]).min(axis=1)
        return np.minimum(out, self.cutoff)

    @classmethod
    def tube(cls, points, radii, *, step: float = 0.5) -> SweptSpheres:
        """A tube along a smooth curve through ``points`` with radii interpolated along it."""
        pts = np.asarray(points, float)
        dense = spline(pts, 400)
        centers, t = resample_polyline(dense, step)
        r = np.asarray(radii, float)
        if r.ndim == 0:
            rr = np.full(len(centers), float(r))
        else:
            rr = np.interp(t, np.linspace(0, 1, len(r)), r)
        return cls(centers, rr)

    @classmethod
    def concat(cls, *parts: SweptSpheres) -> SweptSpheres:
        """One solid from several (a sharp union, evaluated with one tree)."""
        return cls(np.vstack([p.centers for p in parts]), np.concatenate([p.radii for p in parts]))


def loft(curve_a: np.ndarray, curve_b: np.ndarray, n_v: int) -> np.ndarray:
    """Ruled surface between two curves sampled with the same count: ``(n_u, n_v, 3)``."""
    v = np.linspace(0.0, 1.0, n_v)[None, :, None]
    return curve_a[:, None, :] * (1.0 - v) + curve_b[:, None, :] * v


def grid_normals(surface: np.ndarray) -> np.ndarray:
    """Unit normals ``d/du x d/dv`` of a sampled ``(n_u, n_v, 3)`` surface."""
    du = np.gradient(surface, axis=0)
    dv = np.gradient(surface, axis=1)
    n = np.cross(du, dv)
    return n / np.linalg.norm(n, axis=-1, keepdims=True)
