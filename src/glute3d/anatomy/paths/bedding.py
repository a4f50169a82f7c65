"""Muscles bedded on the nerves and vessels that run beneath them.

A muscle whose belly settles onto the layer beneath it (``fill`` in ``muscles.toml``)
would otherwise lie on the sciatic nerve and the inferior gluteal vessels as if they
were not there: they run on the lateral rotators, in the plane under gluteus maximus.
In the body the deep surface of gluteus maximus is moulded over them.  So, once the
paths are generated, the deep face of every muscle a branch runs ``under`` is lifted
where it comes nearer that branch than its radius plus a fascial clearance: it gives back
the space it filled when it settled, and where a thick nerve needs more, a groove of up to a
third of the belly above; its superficial face and its fibres (the lines of action) do not move.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from glute3d.anatomy.muscles.body import body_mesh
from glute3d.anatomy.muscles.grids import neighbour_steps, slope_floor, smooth_rows
from glute3d.anatomy.muscles.result import Muscle
from glute3d.anatomy.paths.result import NeurovascularPath
from glute3d.anatomy.paths.specs import PathSpec
from glute3d.geometry.mesh import Mesh

__all__ = ["BED_CLEARANCE", "bed_muscles", "unsettled_deep"]

#: mm kept between a branch's surface and the deep face of a muscle it runs under (a fascial plane)
BED_CLEARANCE = 1.0
#: the share of the belly above its unsettled deep face that a groove over a path may take
MAX_GROOVE = 1.0 / 3.0


def bed_muscles(
    muscles: Mapping[str, Muscle],
    paths: Mapping[str, NeurovascularPath],
    specs: Mapping[str, PathSpec],
    clearance: float = BED_CLEARANCE,
) -> dict[str, Muscle]:
    """``muscles`` with the deep face of each lifted off the branches that run under it.

    Parameters
    ----------
    muscles : mapping of str to Muscle
        Sided name to muscle, as generated.
    paths : mapping of str to NeurovascularPath
        The paths generated on those muscles.
    specs : mapping of str to PathSpec
        Sideless path name to its specification (which muscles each branch runs under).
    clearance : float
        mm between a branch's surface and the lifted deep face.

    Returns
    -------
    dict of str to Muscle
        The same muscles; those with a branch beneath them are new objects.
    """
    tubes: dict[str, list[tuple[np.ndarray, float]]] = {}
    for path in paths.values():
        spec = specs.get(path.base)
        if spec is None:
            continue
        for b in spec.branches_of(path.variant):  # the branches the path was built with
            branch = path.branches.get(b.name)
            for m in b.under or ():
                if branch is not None:
                    tubes.setdefault(f"{m}_{path.side}", []).append((branch.centreline, branch.radius))
    out = dict(muscles)
    for name, found in tubes.items():
        if name in out:
            out[name] = _bedded(out[name], found, clearance)
    return out


def unsettled_deep(muscle: Muscle) -> np.ndarray:
    """``(n_f, n_s, 3)`` the deep face of a sheet muscle before it settled onto the layer beneath
    (its fibres): what a path running under it keeps beneath, since the muscle beds on the path."""
    room = np.maximum(np.einsum("fsk,fsk->fs", muscle.fibres - muscle.deep, muscle.normals), 0.0)
    return muscle.deep + room[..., None] * muscle.normals


def _deep_corners(cells: np.ndarray, n_f: int, n_s: int) -> np.ndarray:
    """For faces of :func:`~glute3d.anatomy.muscles.body.body_mesh` on ``(n_f, n_s)`` grids, the
    flat indices of their deep-face corners, ``(n, 4)`` (-1 where a face has fewer: a wall or an
    end has two; a superficial face none)."""
    out = np.full((len(cells), 4), -1, dtype=np.int64)
    half = 2 * n_f * (n_s - 1)
    tube = cells < 2 * half
    i, j = np.divmod(cells % half, n_s - 1)
    deep = tube & (i < n_f - 1)
    f0 = np.where(deep, i, np.where(i == n_f - 1, n_f - 1, 0))
    f1 = np.where(deep, i + 1, f0)
    side = tube & ((i == n_f - 1) | (i == 2 * n_f - 1))
    use = deep | side
    out[use] = np.column_stack([f0 * n_s + j, f1 * n_s + j, f0 * n_s + j + 1, f1 * n_s + j + 1])[use]
    ends = ~tube  # the caps at the origin and the insertion: two triangles per fibre gap
    k = cells - 2 * half
    per = 2 * (n_f - 1)
    f = k % per % (n_f - 1)
    s = np.where(k < per, 0, n_s - 1)
    out[ends] = np.column_stack([f * n_s + s, (f + 1) * n_s + s, f * n_s + s, (f + 1) * n_s + s])[ends]
    return out


def _dense(centreline: np.ndarray, step: float = 1.0) -> np.ndarray:
    """The centreline resampled about every ``step`` mm (its vertices kept)."""
    seg = np.diff(centreline, axis=0)
    n = np.maximum(np.ceil(np.linalg.norm(seg, axis=1) / step).astype(int), 1)
    t = np.concatenate([np.arange(k) / k for k in n])
    start = np.repeat(centreline[:-1], n, axis=0)
    return np.vstack([start + t[:, None] * np.repeat(seg, n, axis=0), centreline[-1:]])


def _bedded(muscle: Muscle, tubes: list[tuple[np.ndarray, float]], clearance: float) -> Muscle:
    """One muscle's deep face lifted clear of ``tubes`` (centreline, radius).

    Each centreline sample nearer the body than its radius plus ``clearance`` (or inside it)
    lifts the deep-face corners of the body's face nearest it (a cell of the deep face, or the
    deep edge of a side wall or an end) by the shortfall, so that the face over it rises by at
    least as much; repeated until the samples are clear or the face has risen as far as it may.
    """

    from glute3d.geometry.distance import ImplicitDistance

    dense = [_dense(c) for c, _ in tubes]
    centre = np.vstack(dense)
    reach = np.concatenate([np.full(len(p), r + clearance) for p, (_, r) in zip(dense, tubes, strict=True)])
    nrm = muscle.normals
    # the face before it settled: a sheet muscle's fibres (a centred one never settles)
    settled = np.einsum("fsk,fsk->fs", unsettled_deep(muscle) - muscle.deep, nrm)
    if not settled.any():
        return muscle
    # what it gave up settling, and a third of the belly above that: a path runs beneath the
    # unsettled face, and its tube (up to 8 mm) may reach above it, into a groove in the belly
    room = settled + MAX_GROOVE * np.maximum(muscle.thickness - settled, 0.0)
    lift = np.zeros(room.shape)
    deep = muscle.deep
    for _ in range(6):
        deep = muscle.deep + lift[..., None] * nrm
        d = ImplicitDistance(body_mesh(deep, muscle.superficial))(centre)
        short = reach - d
        bad = short > 0.05
        if not bad.any():
            break
        body = body_mesh(deep, muscle.superficial)
        cells = _closest_faces(body, centre[bad])
        corners = _deep_corners(cells, *lift.shape)  # (n, 4) flat deep-face indices, -1: none
        step = np.zeros(lift.size)
        ok = corners >= 0
        np.maximum.at(step, corners[ok], np.repeat(short[bad] + 0.2, 4).reshape(-1, 4)[ok])
        new = np.minimum(lift + step.reshape(lift.shape), room)
        if np.allclose(new, lift):
            break
        lift = new
    if not lift.any():
        return muscle
    # a smoother groove: where the face was lifted, at least its neighbours' mean (the groove's
    # floor evened out, no wider than it has to be: beside it the muscle stays settled)
    soft = smooth_rows(smooth_rows(lift, 0, times=2), 1, times=2)
    lift = np.where(lift > 0.0, np.minimum(np.maximum(lift, soft), room), 0.0)
    lift = _sloped(lift, muscle.deep, room)
    deep = muscle.deep + lift[..., None] * nrm
    thick = np.linalg.norm(muscle.superficial - deep, axis=2)
    return replace(muscle, deep=deep, thickness=thick, mesh=body_mesh(deep, muscle.superficial))


def _closest_faces(mesh: Mesh, points: np.ndarray) -> np.ndarray:
    """Index of the face of ``mesh`` nearest each of ``points`` (VTK's static cell locator)."""
    from vtkmodules.vtkCommonCore import mutable
    from vtkmodules.vtkCommonDataModel import vtkGenericCell, vtkStaticCellLocator

    locator = vtkStaticCellLocator()
    locator.SetDataSet(mesh.to_vtk())
    locator.BuildLocator()
    cell, found = vtkGenericCell(), []
    for p in np.asarray(points, float).reshape(-1, 3):
        at, face, sub, d2 = [0.0, 0.0, 0.0], mutable(0), mutable(0), mutable(0.0)
        # VTK's stubs type the out-arguments as plain numbers; they are `mutable` references
        locator.FindClosestPoint(p.tolist(), at, cell, face, sub, d2)  # type: ignore[call-overload]
        found.append(int(face))
    return np.asarray(found, np.int64)


def _sloped(lift: np.ndarray, deep: np.ndarray, room: np.ndarray) -> np.ndarray:
    """``lift`` raised beside a groove until no sample lies lower than a neighbour by more than
    the distance between them (walls of at most 45 degrees: a steeper wall folds the deep face
    over itself); within ``room``, and lifting only (a higher face is still clear of the path)."""
    step_f, step_s = neighbour_steps(deep)
    for _ in range(lift.shape[0] + lift.shape[1]):
        low = np.minimum(slope_floor(lift, step_f, step_s), np.maximum(room, lift))
        if np.array_equal(low, lift):
            break
        lift = low
    return lift
