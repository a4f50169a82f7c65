"""The closed body of a muscle: offsetting its superficial face and stitching both faces.

Examples
--------
>>> import numpy as np
>>> deep = np.stack(np.meshgrid(np.arange(3.0), np.arange(4.0), [0.0], indexing="ij"), -1)[:, :, 0]
>>> mesh = body_mesh(deep, deep + [0.0, 0.0, 1.0])
>>> mesh.n_faces, round(float(mesh.volume), 6)
(44, 6.0)
"""

from __future__ import annotations

from functools import cache

import numpy as np

from glute3d.anatomy.muscles.grids import sheet_normals, smooth_rows
from glute3d.geometry.mesh import Mesh

__all__ = ["body_faces", "body_mesh", "body_normals", "relaxed_offset"]


@cache
def body_faces(n_f: int, n_s: int) -> np.ndarray:
    """Faces of a closed body made of a deep and a superficial ``(n_f, n_s)`` grid."""
    deep = np.arange(n_f * n_s).reshape(n_f, n_s)
    sup = deep + n_f * n_s
    ring = np.concatenate([deep, sup[::-1]], axis=0)  # (2 n_f, n_s): cross-section loops
    a = ring
    b = np.roll(ring, -1, axis=0)
    q0, q1, q2, q3 = a[:, :-1], b[:, :-1], b[:, 1:], a[:, 1:]
    tube = np.concatenate([np.stack([q0, q1, q2], -1).reshape(-1, 3), np.stack([q0, q2, q3], -1).reshape(-1, 3)])
    caps = []
    for s, flip in ((0, False), (n_s - 1, True)):
        d0, d1, u0, u1 = deep[:-1, s], deep[1:, s], sup[:-1, s], sup[1:, s]
        t = np.concatenate([np.stack([d0, u0, u1], -1), np.stack([d0, u1, d1], -1)])
        caps.append(t[:, ::-1] if flip else t)
    return np.concatenate([tube, *caps]).astype(np.int64)


def body_mesh(deep: np.ndarray, superficial: np.ndarray) -> Mesh:
    """Closed mesh between a deep and a superficial ``(n_f, n_s, 3)`` grid (outward normals)."""
    n_f, n_s, _ = deep.shape
    verts = np.concatenate([deep.reshape(-1, 3), superficial.reshape(-1, 3)])
    faces = body_faces(n_f, n_s)
    t = verts[faces]
    vol = np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum()
    return Mesh(verts, faces if vol > 0 else faces[:, ::-1])


def body_normals(fib: np.ndarray, away: np.ndarray, centred: bool) -> np.ndarray:
    """Unit directions from the deep to the superficial face, ``(n_f, n_s, 3)``.

    Away from what lies beneath (``away``, blended with the sheet normal), smoothed; a
    ``centred`` body uses the sheet normal alone, which cannot flip along the fibres.
    """
    sheet = sheet_normals(smooth_rows(smooth_rows(fib, 0, times=4), 1, times=4))
    if np.einsum("fsi,fsi->", sheet, away) < 0:
        sheet = -sheet
    if not centred:  # where a sheet wraps a bone its normal may turn inward: orient it locally
        agree = smooth_rows(smooth_rows(np.einsum("fsi,fsi->fs", sheet, away), 0, times=2), 1, times=2)
        sheet = sheet * np.where(agree < 0.0, -1.0, 1.0)[..., None]
    normals = sheet if centred else smooth_rows(smooth_rows(away, 0, times=2), 1, times=2) + 0.5 * sheet
    normals = smooth_rows(smooth_rows(normals, 0, times=2), 1, times=2)
    normals /= np.maximum(np.linalg.norm(normals, axis=2, keepdims=True), 1e-9)
    return normals


def relaxed_offset(deep: np.ndarray, normals: np.ndarray, thick: np.ndarray, *, passes: int = 6) -> np.ndarray:
    """Superficial face: the deep face offset by ``thick``, smoothed so it cannot fold.

    Offsetting a sheet by more than its radius of curvature folds the offset;
    Laplacian passes unfold it while every point is kept at least 75 % of its
    thickness above the deep face.
    """
    sup = deep + normals * thick[..., None]
    floor = 0.75 * thick
    for _ in range(passes):
        sup = smooth_rows(smooth_rows(sup, 0), 1)
        rel = sup - deep
        h = np.maximum(np.einsum("fsi,fsi->fs", rel, normals), floor)
        side = rel - np.einsum("fsi,fsi->fs", rel, normals)[..., None] * normals
        # the borders rise straight up; inside, points may slide by at most half the thickness
        lim = 0.5 * thick
        lim[[0, -1], :] = 0.0
        side *= np.minimum(1.0, lim / np.maximum(np.linalg.norm(side, axis=2), 1e-9))[..., None]
        sup = deep + h[..., None] * normals + side
    return sup
