"""Where a waypoint lies in one pose, on one side.

A ``landmarks`` waypoint is a weighted mean of landmark points plus an offset (turned with
the femur when it lies on the femur); ``shaft`` lies behind the femoral shaft; ``between``
on the superficial face of the deep muscle; ``muscle`` inside a muscle body; ``border`` just
outside the border fibre of a fan.  A waypoint that names a plane is then moved into it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glute3d.anatomy.paths.context import PathContext
from glute3d.anatomy.paths.sampling import bilinear, bilinear_row
from glute3d.anatomy.paths.specs import WaypointSpec

__all__ = ["evaluate", "plane_of"]


def plane_of(wp: WaypointSpec) -> tuple[str, str, str] | None:
    """``(deep, superficial, resting body)`` of the plane a waypoint holds the curve in, or ``None``."""
    if wp.planar is None:
        return None
    deep, sup = wp.planar
    rest = wp.rest if wp.rest is not None else ("superficial" if deep == "bone" else "deep")
    return str(deep), str(sup), str(rest)


def evaluate(ctx: PathContext, wp: WaypointSpec, radius: float) -> np.ndarray:
    """The waypoint's position (held in its plane, if it names one), ``(3,)``."""
    p = _position(ctx, wp, radius)
    plane = plane_of(wp)
    if plane is not None:
        p = ctx.in_plane(p[None], plane, radius)[0]
    return p


def _position(ctx: PathContext, wp: WaypointSpec, radius: float) -> np.ndarray:
    kind = wp.kind
    if kind == "landmarks":
        return _landmarks(ctx, wp)
    if kind == "shaft":
        c, axis, post, medial, r = ctx.shaft
        p = c - axis * wp.below + post * (r + wp.behind) + medial * wp.medial
        return ctx.femur_t[:3, :3] @ p + ctx.femur_t[:3, 3]
    if kind == "between":
        m = ctx.muscle((wp.between or ("", ""))[0])  # the deep muscle
        return bilinear(m.superficial, wp.q, wp.s)[0]
    if kind == "muscle":
        m = ctx.muscle(str(wp.muscle))
        q = wp.q
        s = _s_of(ctx, m, q, wp)
        deep, _ = bilinear(m.deep, q, s)
        sup, _ = bilinear(m.superficial, q, s)
        nrm, _ = bilinear(m.normals, q, s)
        nrm /= np.linalg.norm(nrm)
        return deep + wp.depth * (sup - deep) + wp.lift * nrm
    return _border(ctx, wp, radius)


def _landmarks(ctx: PathContext, wp: WaypointSpec) -> np.ndarray:
    weights = wp.landmarks or {}
    p = ctx.weighted(weights)
    off = np.asarray(wp.offset, float) * ctx.mirror
    frame = wp.frame
    if frame == "auto":
        bones = {ctx.skeleton.landmark_bone(ctx.skeleton.side_name(n, ctx.side)) for n in weights}
        frame = "femur" if bones == {f"femur_{ctx.side}"} else "pelvis"
    if frame == "femur":
        off = ctx.femur_t[:3, :3] @ off
    return p + off


def _s_of(ctx: PathContext, m: Any, q: float, wp: WaypointSpec) -> float:
    """Fibre parameter of a waypoint: ``s``, or the fibre point nearest ``near`` moved ``along`` mm."""
    if wp.near is None:
        return wp.s
    mid = 0.5 * (m.fibres + m.superficial)
    target = ctx.weighted(wp.near)
    line = bilinear_row(mid, q)
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    a, b = line[:-1], line[1:]
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", target - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12), 0, 1)
    dist = np.linalg.norm(a + t[:, None] * ab - target, axis=1)
    k = int(np.argmin(dist))
    at = float(np.clip(arc[k] + t[k] * seg[k] + wp.along, 0.0, arc[-1]))
    return float(np.interp(at, arc, np.linspace(0.0, 1.0, len(line))))


def _border(ctx: PathContext, wp: WaypointSpec, radius: float) -> np.ndarray:
    """Just outside the border fibre ``q`` of a fan, ``clear`` mm beyond the muscle (slid back if bone is closer)."""
    name = str(wp.border)
    m = ctx.muscle(name)
    q = wp.q
    s = _s_of(ctx, m, q, wp)
    mid = 0.5 * (m.fibres + m.superficial)
    edge, tangent = bilinear(mid, q, s)
    nb, _ = bilinear(mid, 0.85 if q > 0.5 else 0.15, s)
    out = edge - nb
    tangent /= max(np.linalg.norm(tangent), 1e-9)
    out -= (out @ tangent) * tangent
    out /= max(np.linalg.norm(out), 1e-9)
    want = radius + wp.clear
    t = np.linspace(0.0, want + 6.0, 49)
    cand = edge[None] + t[:, None] * out[None]
    dm = ctx.field(name)(cand)[0]
    db, _ = ctx.bones(cand)
    ok = (dm >= want) & (db >= radius + 0.5)
    if ok.any():
        return cand[int(np.argmax(ok))]
    # squeezed: the middle of the gap between muscle and bone
    return cand[int(np.argmax(np.minimum(dm, db - radius)))]
