"""Where label leaders end: projection, the z-buffer, and choosing visible anchor points.

A label's candidate points (from the resolved scene) are projected with the render's own
camera and tested against the z-buffer of the same render, so a target that does not show is
known (it gets a dashed leader and no dot shining through), and why: hidden behind other
structures, outside the view, or where nothing is drawn (cut away, on no drawn structure).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.render.camera import CameraFrame, unit

if TYPE_CHECKING:
    from glute3d.scene import ResolvedScene

__all__ = [
    "HIDDEN",
    "OUTSIDE",
    "UNDRAWN",
    "choose_anchors",
    "depth_to_distance",
    "interior_score",
    "project",
    "zbuffer",
]

#: Why a label's target does not show: behind other structures; outside the picture (or the
#: camera's depth range); where nothing is drawn at or next to it.
HIDDEN, OUTSIDE, UNDRAWN = "hidden", "outside", "undrawn"

#: Offsets (dy, dx) of a pixel's 3x3 neighbourhood.
_NEIGHBOURS = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])


def project(pl: Any, size: tuple[int, int], pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image pixels (x right, y down) and z-buffer depth in [0, 1] of world points."""
    from pyvista import array_from_vtkmatrix

    w, h = size
    mat = array_from_vtkmatrix(pl.camera.GetCompositeProjectionTransformMatrix(w / h, -1.0, 1.0))
    hp = np.column_stack([pts, np.ones(len(pts))]) @ mat.T
    ndc = hp[:, :3] / hp[:, 3:4]
    x = (ndc[:, 0] + 1.0) / 2.0 * w
    y = h - (ndc[:, 1] + 1.0) / 2.0 * h
    depth = (ndc[:, 2] + 1.0) / 2.0
    return np.column_stack([x, y]), depth


def zbuffer(pl: Any, size: tuple[int, int]) -> np.ndarray:
    """The z-buffer of the last render as an ``(h, w)`` array, row 0 at the top (1.0: nothing drawn)."""
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkCommonCore import vtkFloatArray

    w, h = size
    arr = vtkFloatArray()
    pl.ren_win.GetZbufferData(0, 0, w - 1, h - 1, arr)
    return vtk_to_numpy(arr).reshape(h, w)[::-1].copy()


def depth_to_distance(z: np.ndarray, near: float, far: float, parallel: bool) -> np.ndarray:
    """Z-buffer depth in [0, 1] to distance from the camera along the view direction.

    Examples
    --------
    >>> depth_to_distance(np.array([0.0, 1.0]), 10.0, 100.0, parallel=False).tolist()
    [10.0, 100.0]
    """
    if parallel:
        return near + z * (far - near)
    zn = 2.0 * z - 1.0
    return 2.0 * near * far / (far + near - zn * (far - near))


def interior_score(px: np.ndarray) -> np.ndarray:
    """How surrounded each pixel point is by the others (count within a quarter of the spread).

    Examples
    --------
    >>> interior_score(np.array([[0.0, 0], [1, 0], [2, 0], [40, 0]])).tolist()
    [3.0, 3.0, 3.0, 1.0]
    """
    if len(px) < 3:
        return np.zeros(len(px))
    spread = float(np.linalg.norm(px.max(0) - px.min(0)))
    r = max(0.25 * spread, 2.0)
    d2 = ((px[:, None, :] - px[None, :, :]) ** 2).sum(-1)
    return (d2 <= r * r).sum(1).astype(float)


def _visible(
    xy: np.ndarray,
    depth: np.ndarray,
    front: np.ndarray,
    zb: np.ndarray,
    near: float,
    far: float,
    parallel: bool,
    tol: float,
) -> tuple[np.ndarray, str]:
    """Which projected points show, and why none does (``""`` when some do).

    A point shows when it is inside the picture, not farther than the farthest surface of its
    3x3 neighbourhood (generous at silhouettes and grazing angles) plus ``tol``, with a structure
    drawn at or next to it (a point of a target that is not drawn there, cut away or outside the
    picture's geometry, is no anchor).  A target none of whose points is inside the picture and
    in ``front`` of the camera is outside the view.
    """
    h, w = zb.shape
    with np.errstate(invalid="ignore"):
        inside = (xy[:, 0] >= 1) & (xy[:, 0] < w - 1) & (xy[:, 1] >= 1) & (xy[:, 1] < h - 1)
    ok = np.zeros(len(xy), bool)
    if not (inside & front).any():
        return ok, OUTSIDE
    ix = xy[inside, 0].astype(int)
    iy = xy[inside, 1].astype(int)
    yy = np.clip(iy[:, None] + _NEIGHBOURS[None, :, 0], 0, h - 1)
    xx = np.clip(ix[:, None] + _NEIGHBOURS[None, :, 1], 0, w - 1)
    nb = zb[yy, xx]
    surf = depth_to_distance(nb.max(axis=1), near, far, parallel)
    drawn = nb.min(axis=1) < 1.0
    ok[inside] = (depth_to_distance(depth[inside], near, far, parallel) <= surf + tol) & drawn
    return ok, "" if ok.any() else HIDDEN if drawn.any() else UNDRAWN


def _toward(xy: np.ndarray, frame: CameraFrame, size: tuple[int, int]) -> np.ndarray:
    """An anchor for a target that does not show: its first point, kept within the framed model
    and the picture (a target outside the view: the edge toward it)."""
    w, h = size
    bx0, by0, bx1, by1 = frame.model_box
    x0, x1 = (max(0.0, bx0), min(w - 1.0, bx1)) if max(0.0, bx0) < min(w - 1.0, bx1) else (0.0, w - 1.0)
    y0, y1 = (max(0.0, by0), min(h - 1.0, by1)) if max(0.0, by0) < min(h - 1.0, by1) else (0.0, h - 1.0)
    p = xy[0] if np.isfinite(xy[0]).all() else np.array([(x0 + x1) / 2.0, (y0 + y1) / 2.0])
    return np.array([np.clip(p[0], x0, x1), np.clip(p[1], y0, y1)])


def _pick(kind: str, c: np.ndarray, xy: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The anchor pixel among visible candidates, and the acceptable alternatives.

    Points: their centre.  Curves: the visible point nearest the middle of the curve (the
    candidates are ordered middle-out), or the middle of the part that shows.  Regions and
    structures: the most interior visible point (a ring-shaped patch has no point at its
    median); alternatives are the inner part.
    """
    if kind == "point":
        return xy[0], xy[:1]  # the centre; the leader stops at the rim
    if kind == "curve":
        middle = np.zeros(len(c), bool)
        middle[: max(1, int(round(0.7 * len(c))))] = True
        if ok[0]:  # the middle of the curve shows: near it
            pick = np.flatnonzero(ok & middle)
        else:  # the middle is hidden or cut away: the middle of the part that shows
            pick = np.flatnonzero(ok)
            centre = c[pick].mean(axis=0)
            pick = pick[np.argsort(np.linalg.norm(c[pick] - centre, axis=1), kind="stable")]
        mid = pick[: max(1, (len(pick) + 1) // 2)]  # alternatives: the middle half of what shows
        return xy[pick[0]], xy[mid[:: max(1, len(mid) // 40)]]
    vis = xy[ok][:: max(1, int(ok.sum()) // 300)]
    depth_in = interior_score(vis)
    inner = vis[depth_in >= np.percentile(depth_in, 70)]
    med = np.median(vis, axis=0)
    best = np.lexsort((np.linalg.norm(vis - med, axis=1), -depth_in))[0]
    return vis[best], inner[:: max(1, len(inner) // 40)]


def choose_anchors(
    pl: Any, res: ResolvedScene, frame: CameraFrame, size: tuple[int, int], zb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[str]]:
    """Anchor pixels of the labels, whether each is visible, the acceptable alternatives, and why
    each invisible one does not show (`HIDDEN`, `OUTSIDE` or `UNDRAWN`; ``""`` when visible).

    A candidate point is visible when it is not farther from the camera than the surface the
    z-buffer holds at its pixel (3x3 neighbourhood, small tolerance).  The alternatives let
    the layout pick anchors whose leaders do not cross.  The anchor of a target that does not
    show stays within the picture.
    """
    near, far = pl.camera.GetClippingRange()
    toward = unit(frame.position - frame.focal_point)
    tol = 1.5 + 2.0 / frame.px_per_mm
    up = unit(pl.camera.GetViewUp())
    right = np.cross(-toward, up)
    ring = [np.cos(a) * right + np.sin(a) * up for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)]
    anchors = np.zeros((len(res.labels), 2))
    visible = np.zeros(len(res.labels), bool)
    options: list[np.ndarray] = []
    why: list[str] = []
    for i, lab in enumerate(res.labels):
        c = lab.candidates + toward * (lab.lift * 0.9)
        if lab.kind == "point" and lab.lift > 0:
            # a sphere counts as visible when some of its front shows
            p0 = lab.candidates[0]
            c = np.vstack([c, [p0 + toward * 0.5 * lab.lift + 0.75 * lab.lift * r for r in ring]])
        xy, depth = project(pl, size, c)
        front = frame.parallel | ((c - frame.position) @ -toward > 0.0)
        ok, reason = _visible(xy, depth, front, zb, near, far, frame.parallel, tol)
        why.append(reason)
        if not ok.any():
            anchors[i] = _toward(xy, frame, size)
            options.append(anchors[i][None].copy())
            continue
        visible[i] = True
        anchors[i], alternatives = _pick(lab.kind, c, xy, ok)
        options.append(alternatives)
    return anchors, visible, options, why
