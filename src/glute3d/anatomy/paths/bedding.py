"""Muscles bedded on the nerves and vessels that run beneath them.

A muscle whose belly settles onto the layer beneath it (``fill`` in ``muscles.toml``)
would otherwise lie on the sciatic nerve and the inferior gluteal vessels as if they
were not there: they run on the lateral rotators, in the plane under gluteus maximus.
In the body the deep surface of gluteus maximus is moulded over them.  So, once the
paths are generated, the deep face of every muscle a branch runs ``under`` is lifted
where it comes nearer that branch than its radius plus a fascial clearance; never
higher than the face was before it settled (a sheet muscle's fibres), so the muscle
only gives back space it filled, and its superficial face does not move.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from glute3d.anatomy.muscles.body import body_mesh
from glute3d.anatomy.muscles.grids import smooth_rows
from glute3d.anatomy.muscles.result import Muscle
from glute3d.anatomy.paths.result import NeurovascularPath
from glute3d.anatomy.paths.specs import PathSpec

__all__ = ["BED_CLEARANCE", "bed_muscles"]

#: mm kept between a branch's surface and the deep face of a muscle it runs under (a fascial plane)
BED_CLEARANCE = 1.0


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
        for b in spec.branches:
            branch = path.branches.get(b.name)
            for m in b.under or ():
                if branch is not None:
                    tubes.setdefault(f"{m}_{path.side}", []).append((branch.centreline, branch.radius))
    out = dict(muscles)
    for name, found in tubes.items():
        if name in out:
            out[name] = _bedded(out[name], found, clearance)
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
    lifts every deep-face vertex within one grid cell of it by the shortfall, so that the
    face under the sample (an interpolation of those vertices) rises by at least as much;
    repeated until the samples are clear or the face is back where it was before it settled.
    """
    from scipy.spatial import cKDTree

    from glute3d.geometry.distance import ImplicitDistance

    dense = [_dense(c) for c, _ in tubes]
    centre = np.vstack(dense)
    reach = np.concatenate([np.full(len(p), r + clearance) for p, (_, r) in zip(dense, tubes, strict=True)])
    nrm = muscle.normals
    # the face before it settled: a sheet muscle's fibres (a centred one never settles)
    room = np.maximum(np.einsum("fsk,fsk->fs", muscle.fibres - muscle.deep, nrm), 0.0)
    if not room.any():
        return muscle
    # one grid cell: the longer of the spacings across and along the fibres
    cell = max(
        float(np.median(np.linalg.norm(np.diff(muscle.deep, axis=0), axis=2))),
        float(np.median(np.linalg.norm(np.diff(muscle.deep, axis=1), axis=2))),
    )
    lift = np.zeros(room.shape)
    deep = muscle.deep
    for _ in range(6):
        deep = muscle.deep + lift[..., None] * nrm
        d = ImplicitDistance(body_mesh(deep, muscle.superficial))(centre)
        short = reach - d
        bad = short > 0.05
        if not bad.any():
            break
        tree = cKDTree(deep.reshape(-1, 3))
        step = np.zeros(lift.size)
        for k, idx in zip(np.flatnonzero(bad), tree.query_ball_point(centre[bad], cell + reach[bad]), strict=True):
            if idx:
                step[idx] = np.maximum(step[idx], short[k] + 0.2)
        new = np.minimum(lift + step.reshape(lift.shape), room)
        if np.allclose(new, lift):
            break
        lift = new
    if not lift.any():
        return muscle
    # a smooth groove: the lift spread over the neighbouring samples, never less than needed
    soft = smooth_rows(smooth_rows(lift, 0, times=2), 1, times=2)
    lift = np.minimum(np.maximum(lift, soft), room)
    deep = muscle.deep + lift[..., None] * nrm
    thick = np.linalg.norm(muscle.superficial - deep, axis=2)
    return replace(muscle, deep=deep, thickness=thick, mesh=body_mesh(deep, muscle.superficial))
