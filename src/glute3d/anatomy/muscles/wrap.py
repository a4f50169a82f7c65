"""Fibres of one muscle in one pose: initial curves, wrapping over what lies beneath, the body.

At neutral pose the fibres start as Catmull-Rom curves through the origin, control points
set above what lies beneath, waypoints, an approach point and the insertion; in any other
pose as the neutral fibres carried along by the femur.  Either way they are pushed out of
the bones and the deeper muscles, laid onto them where the muscle hugs them, and smoothed;
then the body is built on them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from glute3d.anatomy.muscles.body import body_mesh, body_normals, relaxed_offset
from glute3d.anatomy.muscles.fields import Beneath
from glute3d.anatomy.muscles.grids import neighbour_steps, slope_floor, smooth_rows
from glute3d.anatomy.muscles.prepare import PreparedMuscle
from glute3d.anatomy.muscles.result import Muscle
from glute3d.geometry.curves import catmull_rom_basis, smoothstep

__all__ = [
    "clear_of_bone",
    "fill_gaps",
    "follow_femur",
    "generate",
    "initial_fibres",
    "rise_above",
    "settle",
    "skin_fibres",
    "wrap_fibres",
]


def generate(prep: PreparedMuscle, transform: np.ndarray, fld: Beneath, prior: np.ndarray | None = None) -> Muscle:
    """One muscle for one femur transform.

    Without ``prior`` the fibres start as curves through the control points of
    the specification; with it (the neutral fibres carried along by the femur,
    see `follow_femur`) they start from that shape, which wrapping then only
    corrects.
    """
    spec = prep.spec
    thick = prep.edge[:, None] * prep.profile[None, :]
    # distance kept from what lies beneath: the deep face's, or half the body for a centred muscle
    clear_fs = spec.clearance + (0.5 * thick if spec.body == "centred" else 0.0 * thick)
    if prior is not None:
        fib = prior.copy()
    else:
        rot, shift = transform[:3, :3], transform[:3, 3]
        ins = prep.insertion @ rot.T + shift
        ins_n = prep.insertion_normal @ rot.T
        fib = initial_fibres(prep, fld, ins, ins_n, clear_fs)
    fib, away = wrap_fibres(prep, fld, fib, clear_fs, passes=2 if prior is not None else 3)
    return skin_fibres(prep, fib, away, thick, fld)


def initial_fibres(
    prep: PreparedMuscle, fld: Beneath, ins: np.ndarray, ins_n: np.ndarray, clear_fs: np.ndarray
) -> np.ndarray:
    """Catmull-Rom curves through origin, settled via points, waypoints, approach and insertion."""
    spec = prep.spec
    origin, origin_n = prep.origin, prep.origin_normal
    n_f = len(origin)
    clear = clear_fs[:, 0]
    rot = fld.rot
    # ---- control polygon (n_f, k, 3)
    ctrl = [origin + origin_n * clear[:, None]]
    first = prep.waypoints[0] if prep.waypoints else ins
    if spec.via:  # all via points of the muscle settled together
        pts, target, hug = [], [], []
        for v, off in zip(spec.via, prep.via_offsets):
            k = min(int(round(v.t * (len(prep.s) - 1))), len(prep.s) - 1)
            target.append(v.lift + clear_fs[:, k])
            p = origin + v.t * (first - origin) + off
            pts.append(rise_above(fld, p, target[-1], prep.outward, v.rise) if v.rise > 0.0 else p)
            hug.append(np.full(n_f, v.hug))
        settled = settle(fld, np.concatenate(pts), np.concatenate(target), np.concatenate(hug), spec.pull)
        ctrl.extend(np.split(settled, len(spec.via)))
    ctrl.extend(prep.waypoints)
    along, lift = spec.approach
    end = ins + ins_n * np.where(prep.on_surface, 0.3, 0.0)[:, None]
    if along > 0 or lift > 0:
        back = (
            ctrl[-1] - ins if spec.approach_from == "path" else np.broadcast_to(rot @ prep.femur_up, ins.shape).copy()
        )
        back -= np.einsum("ij,ij->i", back, ins_n)[:, None] * ins_n
        back /= np.maximum(np.linalg.norm(back, axis=1, keepdims=True), 1e-9)
        ctrl.append(ins + back * along + ins_n * (lift + clear_fs[:, -1])[:, None])
    ctrl.append(end)
    poly = np.stack(ctrl, axis=1)
    chord = np.linalg.norm(np.diff(poly, axis=1), axis=2).mean(0)
    knots = np.concatenate([[0.0], np.cumsum(np.maximum(chord, 1e-3))])
    basis = catmull_rom_basis(knots, len(prep.s))
    return np.einsum("sk,fkd->fsd", basis, poly)


def follow_femur(fibres: np.ndarray, transform: np.ndarray, center: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Carry neutral fibres along with the femur: sample ``s`` turns by ``weight[s]`` of the hip rotation.

    Turning (rather than blending positions) keeps the fibres' length and
    spacing, so a sheet swings round the hip instead of collapsing onto it.
    """
    from scipy.spatial.transform import Rotation

    rotvec = Rotation.from_matrix(transform[:3, :3]).as_rotvec()
    turns = Rotation.from_rotvec(weight[:, None] * rotvec[None, :]).as_matrix()  # (S, 3, 3)
    return center + np.einsum("sij,fsj->fsi", turns, fibres - center)


def wrap_fibres(
    prep: PreparedMuscle, fld: Beneath, fib: np.ndarray, clear_fs: np.ndarray, passes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Push the fibres out of what lies beneath (pulling some onto it) and smooth them.

    Returns the fibres and, at each sample, the unit direction away from what lies beneath.
    """
    spec = prep.spec
    n_f = fib.shape[0]
    n_s = fib.shape[1]
    hug_mask = np.zeros(n_s, bool)
    if spec.hug:
        hug_mask = (prep.s >= spec.hug[0]) & (prep.s <= spec.hug[1])
    shape = fib.shape
    c_all = clear_fs.ravel()
    inner = np.zeros((n_f, n_s))
    inner[:, 1:-1] = 1.0
    moving = inner.ravel()
    hug_w = np.broadcast_to(hug_mask[None, :], (n_f, n_s)).ravel() * moving
    active = fld.active(fib.reshape(-1, 3))
    for _ in range(passes):
        p = fib.reshape(-1, 3)
        d, g = fld(p, active)
        delta = np.maximum(c_all - d, 0.0) * moving
        if spec.hug:
            pull = np.clip(d - c_all, 0.0, None)
            delta -= np.where(pull < spec.hug[2], pull, 0.0) * hug_w
        fib = (p + delta[:, None] * g).reshape(shape)
        fib = smooth_rows(fib, 1, times=2)
        fib[1:-1, 1:-1] = smooth_rows(fib, 0)[1:-1, 1:-1]
    p = fib.reshape(-1, 3)
    d, g = fld(p, active)
    push = np.maximum(c_all - d, 0.0) * moving  # the attachments stay where they are
    p = p + push[:, None] * g
    # points that had to move may still be too close (e.g. a sheet pulled over the trochanter)
    low = np.flatnonzero(push > 0.0)
    for _ in range(3):
        if not len(low):
            break
        dl, gl = fld(p[low])
        bad = dl < c_all[low] - 0.2
        low, dl, gl = low[bad], dl[bad], gl[bad]
        p[low] += 1.3 * (c_all[low] - dl)[:, None] * gl
    p = clear_of_bone(fld, p, spec.clearance - 0.1, spec.clearance + 0.4)  # last word to the bones
    fib = p.reshape(shape)
    return fib, g.reshape(fib.shape)  # g: of the last push, away from what lies beneath


def skin_fibres(
    prep: PreparedMuscle, fib: np.ndarray, away: np.ndarray, thick: np.ndarray, fld: Beneath | None = None
) -> Muscle:
    """The muscle built on its wrapped fibres: faces ``thick`` mm apart, stitched into a closed body.

    With ``fill`` in the specification (and ``fld``), the deep face is then lowered onto
    the deeper muscles wherever it floats above them (see `fill_gaps`).
    """
    spec = prep.spec
    centred = spec.body == "centred"
    normals = body_normals(fib, away, centred)
    deep = fib - normals * (0.5 * thick)[..., None] if centred else fib
    sup = relaxed_offset(deep, normals, thick)
    if spec.fill is not None and fld is not None and fld.cover is not None and not centred:
        settled, drop = fill_gaps(fld, deep, normals, prep.s, spec.fill, spec.gap)
        deep = deep - drop[..., None] * normals
        # the belly sinks into the space it found settling by up to 60 % of its thickness and grows
        # down into the rest (smoothed: the superficial face is what shows, and the space beneath
        # varies from fibre to fibre); where the deep face was lowered beside its neighbours (see
        # `fill_gaps`), only the belly grows
        sink = smooth_rows(smooth_rows(np.minimum(settled, 0.6 * thick), 0, times=8), 1, times=8)
        sup = sup - np.minimum(sink, drop + 0.6 * thick)[..., None] * normals
        thick = np.linalg.norm(sup - deep, axis=2)
    name = f"{spec.name}_{prep.side}"
    return Muscle(name, prep.side, fib, deep, sup, normals, thick, prep.weights, prep.parts, body_mesh(deep, sup))


def fill_gaps(
    fld: Beneath, deep: np.ndarray, normals: np.ndarray, s: np.ndarray, fill: tuple[float, float, float], gap: float
) -> tuple[np.ndarray, np.ndarray]:
    """How far (mm, ``(n_f, n_s)``) to lower the deep face onto the deeper muscles where it floats above them.

    Only where it floats less than ``fill[2]`` mm above them, between fibre fractions
    ``fill[0]`` and ``fill[1]``; the deep face stops ``gap`` mm above the muscle beneath (a
    fascial plane) and never comes nearer a bone than 0.5 mm.  The fibres (lines of action)
    do not move: the belly settles into the space, as a real muscle lies on the layer beneath.

    Returns the drop settling found over the muscles beneath, and the drop of the deep face:
    that one with its pits filled (samples that found nothing beneath, between neighbours that
    settled far) and its cliffs cut to slopes of at most 45 degrees, clear of the bones; a
    deep face stepping tens of millimetres from one sample to the next folds over itself.
    """
    assert fld.cover is not None
    n_f, n_s = deep.shape[:2]
    nrm = normals.reshape(-1, 3)
    along = smoothstep(s, fill[0], fill[0] + 0.08) * (1.0 - smoothstep(s, fill[1] - 0.08, fill[1]))
    out = deep.copy()
    total = np.zeros((n_f, n_s))
    for _ in range(3):  # later passes close what the slant of the first left open
        d, g, _ = fld.cover(out.reshape(-1, 3))
        cos = np.einsum("ij,ij->i", g, nrm)
        beneath = cos > 0.5  # the muscle beneath lies on the deep side
        drop = np.where(beneath & (d > gap) & (d + total.ravel() < fill[2]), (d - gap) / np.maximum(cos, 0.5), 0.0)
        drop = drop.reshape(n_f, n_s) * along[None, :]
        drop = np.minimum(drop, smooth_rows(smooth_rows(drop, 0, times=2), 1, times=2) + 1.0)  # no spikes
        total += drop
        out = deep - total[..., None] * normals
    # last pass against the bodies themselves (the cover's balls overestimate a relaxed superficial face)
    d = fld.cover.exact(out.reshape(-1, 3))
    near = (beneath & (d + total.ravel() < fill[2] + 3.0)) | (total.ravel() > 0.0)
    rest = np.where(near, (d - gap) / np.maximum(cos, 0.5), 0.0).reshape(n_f, n_s) * along[None, :]
    total = np.clip(total + rest, 0.0, fill[2])  # down where a gap is left, back up where it went too far
    # settled: where the lowered face comes nearer a bone than 0.5 mm, the old face is kept
    db, _ = fld.bones((deep - total[..., None] * normals).reshape(-1, 3))
    settled = np.where((db < 0.5).reshape(n_f, n_s), 0.0, total)
    shaped = _holes_filled(fld, deep, normals, total, fill[2] * along[None, :], gap)
    shaped = _no_cliffs(deep, _short_of_bone(fld, deep, normals, shaped))
    return np.minimum(settled, shaped), shaped


#: mm by which a sample's drop may exceed, or fall short of, the mean of two opposite neighbours
#: (a zigzag from sample to sample creases the deep face)
RIPPLE = 2.0


def _holes_filled(
    fld: Beneath, deep: np.ndarray, normals: np.ndarray, total: np.ndarray, reach: np.ndarray, gap: float
) -> np.ndarray:
    """``total`` raised where a sample lags far behind its neighbours: to at least each neighbour's
    drop less the distance between them (a slope of 45 degrees) and to at least the mean of two
    opposite neighbours less `RIPPLE`; at most ``reach``.

    A sample that could not settle (nothing beneath it within reach: over a sciatic foramen, beside
    a body's rounded border) would otherwise stay up, a pit in the deep face between neighbours
    lowered tens of millimetres; the belly fills the space as its neighbours do.  The raise is cut
    back (to 3/4, 1/2, 1/4 or none of it) where it would bring the face nearer a bone than 0.5 mm
    or nearer the bodies beneath than ``gap`` less half a millimetre.
    """
    cover = fld.cover
    assert cover is not None
    step_f, step_s = neighbour_steps(deep)
    up = total.copy()
    for _ in range(total.shape[0] + total.shape[1]):
        low = np.maximum(np.minimum(slope_floor(up, step_f, step_s, RIPPLE), reach), total)
        if np.array_equal(low, up):
            break
        up = low
    return _deepest_clear(
        deep, normals, total, up - total, lambda p: (fld.bones(p)[0] >= 0.5) & (cover.exact(p) >= gap - 0.5)
    )


def _short_of_bone(fld: Beneath, deep: np.ndarray, normals: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``total`` cut back where the lowered face would come nearer a bone than 0.5 mm: to the
    deepest of 1, 3/4, 1/2, 1/4 and none of the drop that stays clear (dropping it whole would
    leave a one-sample pit in the deep face)."""
    return _deepest_clear(deep, normals, np.zeros(total.shape), total, lambda p: fld.bones(p)[0] >= 0.5)


def _deepest_clear(
    deep: np.ndarray,
    normals: np.ndarray,
    base: np.ndarray,
    extra: np.ndarray,
    clear: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """``base`` plus the largest of 1, 3/4, 1/2, 1/4 and none of ``extra`` (drops, ``(n_f, n_s)``
    mm) that leaves the lowered deep face where ``clear`` (points ``(n, 3)`` to bools) allows."""
    out = base.ravel().copy()
    more = extra.ravel()
    todo = np.flatnonzero(more > 0.0)
    for k in (1.0, 0.75, 0.5, 0.25):
        if not len(todo):
            break
        drop = out[todo] + k * more[todo]
        ok = clear(deep.reshape(-1, 3)[todo] - drop[:, None] * normals.reshape(-1, 3)[todo])
        out[todo[ok]] = drop[ok]
        todo = todo[~ok]
    return out.reshape(base.shape)


def _no_cliffs(deep: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``total`` lessened where one sample drops further below its neighbour than they lie apart.

    Beside a sample that cannot settle (over a foramen, near a bone) a neighbour dropped tens of
    millimetres would make a cliff the deep face folds over; no drop may exceed a neighbour's by
    more than the distance between them (a slope of at most 45 degrees), nor the mean of two
    opposite neighbours by more than `RIPPLE`.  Drops only shrink.
    """
    step_f, step_s = neighbour_steps(deep)
    total = total.copy()
    for _ in range(total.shape[0] + total.shape[1]):
        cap = np.maximum(-slope_floor(-total, step_f, step_s, RIPPLE), 0.0)  # no cliff, no peak
        if np.array_equal(cap, total):
            break
        total = cap
    return total


def clear_of_bone(fld: Beneath, p: np.ndarray, below: float, target: float, *, passes: int = 6) -> np.ndarray:
    """Push points closer than ``below`` mm to a bone out to ``target`` mm (none left inside bone).

    ``target`` exceeds the clearance by a margin for the error of the distance
    grids near small bony details.  Points stuck inside a thin bony plate
    (where the gradient flips from pass to pass) leave along the muscle's
    superficial direction, or jump to the nearest point clear of bone.
    """
    idx = np.arange(len(p))
    for k in range(passes):
        d, g = fld.bones(p[idx])
        low = d < (below if k == 0 else target - 0.05)
        if not low.any():
            break
        idx, d, g = idx[low], d[low], g[low]
        if k >= passes // 2 and fld.outward is not None:
            g = np.where((d < 0.0)[:, None], fld.outward, g)
        p[idx] += (target - d)[:, None] * g
    d, _ = fld.bones(p[idx]) if len(idx) else (np.zeros(0), None)
    stuck = idx[d < target - 0.3]
    if len(stuck):  # in a crevice or a thin plate: jump to the nearest probe point clear of bone
        probes = np.concatenate([r * _PROBES for r in (1.0, 2.0, 3.5, 5.0, 7.0)])
        cand = p[stuck, None, :] + probes[None]
        dc, _ = fld.bones(cand.reshape(-1, 3))
        ok = dc.reshape(len(stuck), -1) >= target
        first = np.argmax(ok, axis=1)  # probes are ordered by distance
        found = ok.any(axis=1)
        p[stuck[found]] = cand[found, first[found]]
    return p


_PROBES = np.array(
    [(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1) if (a, b, c) != (0, 0, 0)], float
)
_PROBES /= np.linalg.norm(_PROBES, axis=1, keepdims=True)


def settle(fld: Beneath, p: np.ndarray, target: np.ndarray, hug: np.ndarray, max_pull: float = 25.0) -> np.ndarray:
    """Move points along the field gradient to ``target`` mm above what lies beneath.

    Points with ``hug`` set are also pulled down (from up to ``max_pull`` mm
    above); the others are only pushed out.
    """
    for _ in range(2):
        d, g = fld(p)
        delta = target - d
        delta = np.where(hug, np.where(d > target + max_pull, 0.0, delta), np.maximum(delta, 0.0))
        p = p + delta[:, None] * g
    return p


def rise_above(fld: Beneath, p: np.ndarray, target: np.ndarray, up: np.ndarray, reach: float) -> np.ndarray:
    """Points lifted along ``up`` (unit) over what lies beneath them, ``target`` mm clear of it.

    Seen along ``up``: a point rises to where the line ``p + l up`` (``0 <= l <= reach``)
    last leaves the zone nearer than ``target`` to a bone or a deeper muscle, so a layer
    the line crosses lies beneath the point, however obliquely the line meets it.  Lines
    beside it (rings up to ``reach / 2`` mm off) count with their height less twice how far
    off they are (a slope of about 63 degrees, steep enough that fibres beside a layer stay
    near the one they lie on), so the height changes gradually across the rounded border
    of a deeper muscle: fibres passing the border drape over it, the nearer the higher,
    instead of being thrown off it or pushed through it by a millimetre's difference in
    where the border lies (pushing out along the nearest surface's normal does that:
    beside a border it points sideways, under it through the whole muscle).

    Examples
    --------
    >>> import numpy as np
    >>> class Plane:  # a layer whose surface is the plane z = 0, everything below it inside
    ...     def __call__(self, q):
    ...         return q[:, 2], np.tile([0.0, 0.0, 1.0], (len(q), 1))
    >>> up = np.array([0.0, 0.0, 1.0])
    >>> rise_above(Plane(), np.array([[0.0, 0.0, -5.0], [0.0, 0.0, 9.0]]), np.array([2.0, 2.0]), up, 20.0).tolist()
    [[0.0, 0.0, 2.0], [0.0, 0.0, 9.0]]
    """
    n_l = 80
    lam = np.linspace(0.0, reach, n_l + 1)
    a = np.cross(up, [0.0, 1.0, 0.0]) if abs(up[1]) < 0.9 else np.cross(up, [1.0, 0.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(up, a)
    turn = np.linspace(0.0, 2.0 * np.pi, 12, endpoint=False)
    ring = np.cos(turn)[:, None] * a + np.sin(turn)[:, None] * b  # (12, 3) unit offsets across ``up``
    radii = np.linspace(0.0, 0.5 * reach, 6)[1:]
    off = np.vstack([np.zeros((1, 3)), (radii[:, None, None] * ring[None]).reshape(-1, 3)])  # the line, then rings
    q = p[:, None, None, :] + off[None, :, None, :] + lam[None, None, :, None] * up
    d = fld(q.reshape(-1, 3))[0].reshape(len(p), len(off), len(lam))
    low = d < target[:, None, None]
    last = len(lam) - 1 - np.argmax(low[:, :, ::-1], axis=2)  # the last sample of each line inside the zone
    height = np.where(low.any(axis=2), lam[np.minimum(last + 1, n_l)], 0.0)
    rise = np.maximum((height - 2.0 * np.linalg.norm(off, axis=1)[None, :]).max(axis=1), 0.0)
    return p + rise[:, None] * up
