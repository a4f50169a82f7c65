"""One branch of a path: waypoints, a smooth curve through them, relaxed into the tissue around.

1. *Waypoints* are evaluated on the model (one side; the left mirrors every z offset of the
   data); a branch with a parent starts on the parent's centreline.
2. A centripetal Catmull-Rom curve runs through them, sampled about every 2 mm.
3. Stretches between two waypoints that name the same plane are held in the plane between
   two muscles (see :meth:`~glute3d.anatomy.paths.context.PathContext.in_plane`).
4. The rest is pushed out of the bones (to the tube radius), out of the muscles in the
   branch's ``avoid`` list and beneath those in its ``under`` list, and smoothed, a few times.
5. The curve is faired like an elastic rod: curvature is smoothed away where it is
   concentrated (a kink where a push or a plane ended, a stick between two waypoints), and the
   bones and the ``avoid`` muscles push back, until no 2 mm step turns by more than
   :data:`MAX_TURN_DEG` (nor tighter than twice the tube's radius); the centreline is then
   resampled along a cubic spline, so its curvature varies continuously.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from glute3d.anatomy.paths.context import PathContext
from glute3d.anatomy.paths.result import Branch
from glute3d.anatomy.paths.specs import BranchSpec
from glute3d.anatomy.paths.waypoints import evaluate, plane_of
from glute3d.geometry.curves import catmull_rom, resample
from glute3d.geometry.distance import point_segment_distance

__all__ = ["MAX_TURN_DEG", "STEP", "generate_branch", "turning_angles"]

STEP = 2.0  # mm between centreline samples
_ITERATIONS = 6  # relaxation passes (planes, bones, muscles)
#: The sharpest turn between two consecutive 2 mm steps of a centreline (a bending radius
#: of about 9.6 mm: no kinks).  Thick branches bend no tighter than twice their radius.
MAX_TURN_DEG = 12.0
_FAIR_ITERATIONS = 40
_FAIR_ROUNDS = 6
_FAIR_CLEAR = 0.6  # mm a faired centreline keeps off the muscles it avoids
_FINAL_CLEAR = 0.3  # mm the last push-back keeps (only what the last smoothing cut into a muscle)

Plane = tuple[str, str, str]


def _smooth(a: np.ndarray, times: int = 1) -> np.ndarray:
    """[1, 2, 1] / 4 smoothing along the first axis, keeping both ends."""
    a = a.copy()
    for _ in range(times):
        if len(a) > 2:
            a[1:-1] = 0.25 * a[:-2] + 0.5 * a[1:-1] + 0.25 * a[2:]
    return a


def _gaussian(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along the first axis (``sigma`` in samples, edge values repeated)."""
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(a, sigma, axis=0, mode="nearest")


def _running_max(a: np.ndarray, half: int) -> np.ndarray:
    """Maximum over a window of ``2 * half + 1`` samples."""
    from scipy.ndimage import maximum_filter1d

    return maximum_filter1d(a, 2 * half + 1, mode="nearest")


def _spread(disp: np.ndarray, known: np.ndarray, wp_idx: np.ndarray) -> np.ndarray:
    """Fill the displacement of unknown samples from the known ones around them.

    Between two known samples: linear interpolation.  Next to one known sample
    only: fading linearly to zero at the next waypoint (at least 4 samples on).
    """
    out = disp.copy()
    n = len(disp)
    i = 0
    while i < n:
        if known[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and not known[j + 1]:
            j += 1
        run = np.arange(i, j + 1)
        left = i - 1 if i > 0 else None
        right = j + 1 if j + 1 < n else None
        if left is not None and right is not None:
            t = (run - left) / (right - left)
            out[run] = (1 - t)[:, None] * disp[left] + t[:, None] * disp[right]
        elif left is not None:
            nxt = wp_idx[wp_idx > left]
            span = max((nxt[0] if len(nxt) else n) - left, 4)
            out[run] = np.clip(1 - (run - left) / span, 0, 1)[:, None] * disp[left]
        elif right is not None:
            prv = wp_idx[wp_idx < right]
            span = max(right - (prv[-1] if len(prv) else -1), 4)
            out[run] = np.clip(1 - (right - run) / span, 0, 1)[:, None] * disp[right]
        i = j + 1
    return out


# =============================================================================== steps
@dataclass
class _Layout:
    """The control points of a branch and what each is: kind, plane, exit, inside a muscle."""

    points: list[np.ndarray]
    kinds: list[str]
    planes: list[Plane | None]
    exits: list[bool]
    inside: list[bool]


def _layout(
    ctx: PathContext, spec: BranchSpec, done: Mapping[str, Branch], solved: Mapping[str, list[np.ndarray]]
) -> _Layout:
    """The branch's waypoints placed in this pose; a child branch starts on its parent's centreline."""
    r = spec.radius
    wps = [evaluate(ctx, w, r) for w in spec.waypoints]
    kinds = [w.kind for w in spec.waypoints]
    planes = [plane_of(w) for w in spec.waypoints]
    exits = [w.exit for w in spec.waypoints]
    inside = [k == "muscle" and 0.0 < w.depth for k, w in zip(kinds, spec.waypoints)]
    if spec.parent is not None:
        parent = done[spec.parent]
        anchor = solved[spec.parent][spec.start]
        j = int(np.argmin(np.linalg.norm(parent.centreline - anchor, axis=1)))
        wps = [parent.centreline[j], *wps]
        kinds = ["attach", *kinds]
        planes = [planes[0] if planes and planes[0] is not None else None, *planes]
        exits = [False, *exits]
        inside = [False, *inside]
    return _Layout(wps, kinds, planes, exits, inside)


@dataclass
class _Samples:
    """What each centreline sample may do: stay (fixed), follow a plane, or be pushed (free)."""

    fixed: np.ndarray
    taper: np.ndarray  # pushes fade in over a few samples next to fixed points
    plane_idx: dict[Plane, np.ndarray]
    in_plane: np.ndarray
    free: np.ndarray


def _samples(layout: _Layout, idx: list[int] | np.ndarray, n: int) -> _Samples:
    from scipy.ndimage import distance_transform_edt

    fixed = np.zeros(n, bool)
    fixed[[idx[k] for k, kind in enumerate(layout.kinds) if kind == "attach" or layout.inside[k]]] = True
    fixed[0] = True
    # pushes fade in over a few samples next to fixed points (a smooth departure, not a kink)
    taper = np.clip(distance_transform_edt(~fixed) / 6.0, 0.0, 1.0)
    groups: dict[Plane, list[int]] = {}
    planes = layout.planes
    for k in range(len(planes)):
        pl = planes[k]
        if pl is None:
            continue
        last = idx[k + 1] if k + 1 < len(planes) and planes[k + 1] == pl else idx[k]
        groups.setdefault(pl, []).extend(range(idx[k], last + 1))
    plane_idx = {pl: np.unique(v) for pl, v in groups.items()}
    in_plane = np.zeros(n, bool)
    for v in plane_idx.values():
        in_plane[v] = True
    in_plane &= ~fixed
    return _Samples(fixed, taper, plane_idx, in_plane, ~fixed & ~in_plane)


def _push_free(ctx: PathContext, p: np.ndarray, r: float, avoid: list[str], under: list[str],
               beneath: np.ndarray) -> np.ndarray:  # fmt: skip
    """How far to move the free points ``p``: out of bone and the ``avoid`` muscles, beneath the ``under`` ones.

    ``beneath`` (updated in place) is how far ``under`` has moved each point so far, capped at one radius.
    """
    m_clear = 0.5 * r + 0.5
    b_clear = r + 0.5
    db, gb = ctx.bones(p)
    move = np.maximum(b_clear - db, 0.0)[:, None] * gb
    for mname in avoid:
        fld = ctx.field(mname)
        near = np.all((p > fld.lo - m_clear - 1.0) & (p < fld.hi + m_clear + 1.0), axis=1)
        if near.any():
            dm, gm = fld(p[near])
            move[near] += np.maximum(m_clear - dm, 0.0)[:, None] * gm
    for mname in under:  # one-sided: stay beneath the muscle's deep face
        h, nrm, foot = ctx.height_under(mname, p)
        over = np.where(foot, np.maximum(h + m_clear, 0.0), 0.0)
        over = np.where(h < 40.0, over, 0.0)  # far above: another part of the body
        # bone comes first: go beneath the muscle only as far as the bone leaves room,
        # and never more than one radius in all (the model's muscles do not make way)
        over = np.minimum(over, np.maximum(db - b_clear, 0.0))
        step = -over[:, None] * nrm
        acc = beneath + step
        size = np.linalg.norm(acc, axis=1, keepdims=True)
        acc = acc * np.minimum(1.0, max(r, 3.0) / np.maximum(size, 1e-9))
        move += acc - beneath
        beneath[:] = acc
    return move


def _spread_push(push: np.ndarray, free: np.ndarray) -> np.ndarray:
    """The pushes spread along the curve (a smooth bend, not a kink), keeping their size."""
    wide = _gaussian(push, 2.5)
    mag = _running_max(np.linalg.norm(push, axis=1), 2)
    wmag = np.linalg.norm(wide, axis=1)
    push = wide * np.clip(mag / np.maximum(wmag, 1e-9), 1.0, 3.0)[:, None]
    push[~free] = 0.0
    return push


def _relax(ctx: PathContext, spec: BranchSpec, pts: np.ndarray, idx: list[int] | np.ndarray, sm: _Samples) -> None:
    """Hold the plane stretches in their planes, push the free ones clear, smooth (``pts`` in place)."""
    r = spec.radius
    avoid = [m for m in spec.avoid or () if f"{m}_{ctx.side}" in ctx.muscles]
    under = [m for m in spec.under or () if f"{m}_{ctx.side}" in ctx.muscles]
    beneath = np.zeros((len(pts), 3))
    free, fixed = sm.free, sm.fixed
    for it in range(_ITERATIONS):
        disp = np.zeros_like(pts)
        for pl, ii in sm.plane_idx.items():
            sel = ii[sm.in_plane[ii]]
            if len(sel):
                disp[sel] = ctx.in_plane(pts[sel], pl, r) - pts[sel]
        # carry the plane's displacement smoothly into the free stretches next to it
        disp = _spread(disp, sm.in_plane | fixed, np.asarray(idx))
        if free.any():
            p = pts[free] + disp[free]
            below = beneath[free]
            move = _push_free(ctx, p, r, avoid, under, below)
            beneath[free] = below
            push = np.zeros_like(pts)
            push[free] = move
            disp += _spread_push(push, free) * sm.taper[:, None]
        pts[~fixed] += disp[~fixed]
        if it < _ITERATIONS - 2:
            smooth = _smooth(pts, 2)
            keep = fixed.copy()
            keep[[0, -1]] = True
            pts[~keep] = smooth[~keep]
    # a last smoothing of the free stretches (the pushes leave small ripples), then bones win
    keep = fixed | sm.in_plane
    keep[[0, -1]] = True
    if free.any():
        smooth = _gaussian(pts, 2.0)
        pts[~keep] = smooth[~keep]
        db, gb = ctx.bones(pts[free])
        pts[free] += np.maximum(0.5 * r + 0.5 - db, 0.0)[:, None] * gb


def turning_angles(c: np.ndarray) -> np.ndarray:
    """Angle (degrees) between each pair of consecutive segments of the polyline ``c``."""
    d = np.diff(c, axis=0)
    u = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
    return np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", u[:-1], u[1:]), -1.0, 1.0)))


def _turn_limit(radius: float) -> float:
    """The largest turn (degrees) per :data:`STEP` for a tube of ``radius``: at most MAX_TURN_DEG, R >= 2 radius."""
    return min(MAX_TURN_DEG, float(np.degrees(STEP / (2.0 * radius))))


def _fair(ctx: PathContext, spec: BranchSpec, pts: np.ndarray) -> np.ndarray:
    """Smooth away concentrated curvature, keeping clear of bone and the ``avoid`` muscles.

    Each pass moves the samples around a sharp turn toward the mean of their neighbours
    (gentle bends do not move), and the bones push back; what pushes back pushes the
    neighbours too, so a curve held out at a kink lifts off into a round bend.  The
    ``avoid`` muscles push back after the bones have settled (their distance queries cost
    more), then the curve is faired again.  The ends stay.
    """
    r = spec.radius
    limit = 0.8 * _turn_limit(r)  # aim below the limit: the last pushes add a little
    avoid = [m for m in spec.avoid or () if f"{m}_{ctx.side}" in ctx.muscles]
    under = [m for m in spec.under or () if f"{m}_{ctx.side}" in ctx.muscles]
    if len(pts) < 3:
        return pts.copy()
    relaxed = pts
    for round_ in range(_FAIR_ROUNDS):
        pts = _fair_against_bone(ctx, pts, r, limit)
        # only samples the fairing moved can have come too close to a muscle
        moved = point_segment_distance(pts[:, None], relaxed[None, :-1], relaxed[None, 1:]).min(axis=1) > 0.05
        moved[[0, -1]] = False
        push = np.zeros_like(pts)
        # beneath the muscles it runs under (the relaxation's pushes beneath them stop at one
        # radius): by the height above their deep face (cheap), everywhere but the ends, once
        for mname in under if round_ == 0 else ():
            h, nrm, foot = ctx.height_under(mname, pts)
            over = np.where(foot & (h < 40.0), np.maximum(h + _FAIR_CLEAR, 0.0), 0.0)
            over[[0, -1]] = 0.0
            push -= over[:, None] * nrm
        # the avoided muscles: only where the fairing moved the curve (exact distances cost more)
        for mname in avoid if moved.any() else ():
            fld = ctx.field(mname)
            check = moved
            near = check & np.all((pts > fld.lo - 2.0) & (pts < fld.hi + 2.0), axis=1)
            if near.any():
                dm, gm = fld(pts[near])
                push[near] += np.maximum(_FAIR_CLEAR - dm, 0.0)[:, None] * gm
        if not push.any():
            break
        inner = np.zeros(len(pts), bool)
        inner[1:-1] = True
        pts = pts + _spread_push(push, inner)
    # the last pushes may have left a bend: fair it once more (moving far less than the
    # clearance the pushes left), and make the curvature change gradually too (no step from
    # straight to bent) with a light smoothing
    pts = _fair_against_bone(ctx, pts, r, limit)
    soft = _gaussian(pts, 1.0)
    pts[1:-1] = soft[1:-1]
    # that smoothing cuts the inside of every bend a little: the bones and the avoided
    # muscles push back once more, along the whole curve (a nerve in the plane between
    # two muscles bends where it leaves the plane, right against the deeper muscle)
    db, gb = ctx.bones(pts)
    push = np.maximum(0.5 * r + 0.5 - db, 0.0)[:, None] * gb
    for mname in avoid:
        fld = ctx.field(mname)
        near = np.all((pts > fld.lo - 2.0) & (pts < fld.hi + 2.0), axis=1)
        if near.any():
            dm, gm = fld(pts[near])
            push[near] += np.maximum(_FINAL_CLEAR - dm, 0.0)[:, None] * gm
    inner = np.zeros(len(pts), bool)
    inner[1:-1] = True
    # spread wide (no new bend): each push keeps its size over the samples around it
    mag = np.linalg.norm(push, axis=1)
    wide = _gaussian(push, 3.0)
    scale = _running_max(mag, 4) / np.maximum(np.linalg.norm(wide, axis=1), 1e-9)
    return pts + wide * np.clip(scale, 1.0, 3.0)[:, None] * inner[:, None]


def _fair_against_bone(ctx: PathContext, pts: np.ndarray, r: float, limit: float) -> np.ndarray:
    """The fairing passes of :func:`_fair` with only the bones pushing back (cheap grid lookups)."""
    inner = np.zeros(len(pts), bool)
    for _ in range(_FAIR_ITERATIONS):
        pts = resample(pts, STEP)  # even steps: the turn per step measures curvature
        turn = np.r_[0.0, turning_angles(pts), 0.0]
        if turn.max() <= limit:
            break
        # weight: 0 for bends under half the limit, 1 from the limit on; spread over the neighbours
        w = _running_max(np.clip((turn - 0.5 * limit) / (0.5 * limit), 0.0, 1.0), 2)
        w[[0, -1]] = 0.0
        for _ in range(3):
            mean = pts.copy()
            mean[1:-1] = 0.5 * (pts[:-2] + pts[2:])
            pts += w[:, None] * (mean - pts)
        db, gb = ctx.bones(pts)
        push = np.maximum(0.5 * r + 0.5 - db, 0.0)[:, None] * gb
        inner = np.zeros(len(pts), bool)
        inner[1:-1] = True
        pts += _spread_push(push * inner[:, None], inner)
    return pts


def _spline_resample(pts: np.ndarray, step: float) -> np.ndarray:
    """The curve resampled at equal steps along a cubic spline through ``pts`` (C2: curvature continuous)."""
    from scipy.interpolate import CubicSpline

    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    keep = np.r_[True, seg > 1e-9]
    pts = pts[keep]
    if len(pts) < 4:
        return resample(pts, step)
    arc = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))]
    spline = CubicSpline(arc, pts, bc_type="natural")
    fine = spline(np.linspace(0.0, arc[-1], 8 * len(pts)))
    return resample(fine, step)


def generate_branch(
    ctx: PathContext, spec: BranchSpec, done: Mapping[str, Branch], solved: Mapping[str, list[np.ndarray]]
) -> tuple[Branch, list[np.ndarray]]:
    """One branch: waypoints, curve, relaxation (planes, bones, muscles), resampling.

    Parameters
    ----------
    ctx : PathContext
        The pose and side.
    spec : BranchSpec
    done : mapping of str to Branch
        The branches generated before (a parent among them).
    solved : mapping of str to list of numpy.ndarray
        Their waypoints as placed.

    Returns
    -------
    tuple of (Branch, list of numpy.ndarray)
        The branch and its waypoints as placed (for the branches that leave from them).
    """
    layout = _layout(ctx, spec, done, solved)
    pts, idx = catmull_rom(np.vstack(layout.points), STEP)
    _relax(ctx, spec, pts, idx, _samples(layout, idx, len(pts)))
    solved_pts = [pts[i] for i in (idx[1:] if spec.parent is not None else idx)]
    exit_pt = next((pts[idx[k]].copy() for k, e in enumerate(layout.exits) if e), None)
    centreline = _spline_resample(_fair(ctx, spec, pts), STEP)
    return Branch(spec.name, centreline, spec.radius, spec.parent, exit_pt, spec.risk), solved_pts
