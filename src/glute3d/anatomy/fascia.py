"""Deep fascia as thin closed sheets: the gluteal aponeurosis and the iliotibial tract.

Both are described in ``data/fascia.toml``.

* The **gluteal aponeurosis** is laid on the superficial face of gluteus medius (the fibres
  and samples the file names, its anterior two-thirds), ``gap`` mm above it, and trimmed off
  the muscles it splits around (tensor fasciae latae in front, gluteus maximus behind).
* The **iliotibial tract** is a strip lateral to the femur from above the greater trochanter
  down the thigh.  Every point of its deep face is cast inward along the lateral direction
  onto what lies beneath (the femur, the abductor tendons, the bursae) and kept at least
  ``lateral`` mm outside the femur, where tensor fasciae latae and gluteus maximus insert into
  it (their insertion bands in ``muscles.toml``); the sheet is then smoothed.

Examples
--------
>>> specs = fascia_specs()
>>> specs.gluteal_aponeurosis.muscle, specs.iliotibial_tract.lateral
('gluteus_medius', 10.0)
>>> FASCIA_NAMES
('gluteal_aponeurosis', 'iliotibial_tract')
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, ValidationInfo, model_validator

from glute3d.anatomy.bursae import march
from glute3d.anatomy.muscles.body import body_mesh
from glute3d.anatomy.muscles.grids import smooth_rows
from glute3d.errors import DataFileError, did_you_mean
from glute3d.geometry.distance import MeshDistance
from glute3d.geometry.mesh import Mesh, merge
from glute3d.io.datafiles import read_data
from glute3d.io.validation import Problem, StrictTable
from glute3d.sides import SIDE_SIGN, SIDES

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.anatomy.muscles import Muscle
    from glute3d.anatomy.skeleton import Skeleton

__all__ = [
    "FASCIA_NAMES",
    "Aponeurosis",
    "FasciaDataError",
    "FasciaFile",
    "Tract",
    "build_fascia",
    "fascia_specs",
    "gluteal_aponeurosis",
    "iliotibial_tract",
]

Positive = Annotated[float, Field(gt=0.0)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]

#: The sheets of ``data/fascia.toml`` (their knowledge-base names).
FASCIA_NAMES: tuple[str, ...] = ("gluteal_aponeurosis", "iliotibial_tract")


class FasciaDataError(DataFileError):
    """``fascia.toml`` is wrong: one line naming the file, the field, the line and the fix."""

    placeholder = "fascia.toml"


class Aponeurosis(StrictTable):
    """A sheet on a muscle's superficial face (``[gluteal_aponeurosis]``)."""

    muscle: str
    fibres: tuple[Fraction, Fraction]
    samples: tuple[Fraction, Fraction]
    gap: Annotated[float, Field(ge=0.0)] = 0.8
    thickness: Positive = 1.0
    avoid: tuple[str, ...] = ()


class Tract(StrictTable):
    """A strip lateral to the femur (``[iliotibial_tract]``)."""

    above_gt: float
    below_gt: Positive
    width: Positive
    anterior: float = 0.0
    lateral: Positive = 10.0
    curvature: Positive = 70.0
    thickness: Positive = 1.9
    gap: Annotated[float, Field(ge=0.0)] = 0.8
    over: tuple[str, ...] = ()
    levels: Annotated[int, Field(ge=4, le=200)] = 48
    across: Annotated[int, Field(ge=3, le=60)] = 11


class FasciaFile(StrictTable):
    """The whole file; with ``context={"muscles": [...]}`` muscle names are checked."""

    gluteal_aponeurosis: Aponeurosis
    iliotibial_tract: Tract

    @model_validator(mode="after")
    def _muscles(self, info: ValidationInfo) -> FasciaFile:
        known = (info.context or {}).get("muscles")
        if known is None:
            return self
        apo, tract = self.gluteal_aponeurosis, self.iliotibial_tract
        checks: list[tuple[tuple[str | int, ...], str]] = [(("gluteal_aponeurosis", "muscle"), apo.muscle)]
        checks += [(("gluteal_aponeurosis", "avoid", i), m) for i, m in enumerate(apo.avoid)]
        checks += [(("iliotibial_tract", "over", i), m) for i, m in enumerate(tract.over)]
        for at, name in checks:
            if name not in known:
                msg = f"unknown muscle {name!r}{did_you_mean(name, known)} (define it in muscles.toml)"
                raise Problem(msg, *at, value=name)
        for field in ("fibres", "samples"):
            a, b = getattr(apo, field)
            if not a < b:
                raise Problem(
                    f"{field} = [{a}, {b}] must be [start, end] with start < end", "gluteal_aponeurosis", field
                )
        return self


def fascia_specs(path: str | Path | None = None) -> FasciaFile:
    """The checked ``data/fascia.toml`` (or the file at ``path``).

    Raises
    ------
    FasciaDataError
        One line naming the file, the field, its line and the fix.
    """
    return _specs(path) if path is not None else _packaged()


@cache
def _packaged() -> FasciaFile:
    return _specs(None)


def _specs(path: str | Path | None) -> FasciaFile:
    from glute3d.anatomy.muscles.specs import MUSCLE_NAMES

    return read_data(FasciaFile, "fascia.toml", path, FasciaDataError, context={"muscles": list(MUSCLE_NAMES)})


# =============================================================================== the aponeurosis
def gluteal_aponeurosis(spec: Aponeurosis, muscle: Muscle, avoid: list[Muscle]) -> Mesh:
    """The aponeurosis over ``muscle``: its superficial face lifted by ``gap``, trimmed off ``avoid``."""
    n_f, n_s = muscle.fibres.shape[:2]
    q = (np.arange(n_f) + 0.5) / n_f
    s = np.linspace(0.0, 1.0, n_s)
    rows = np.flatnonzero((q >= spec.fibres[0]) & (q <= spec.fibres[1]))
    cols = np.flatnonzero((s >= spec.samples[0]) & (s <= spec.samples[1]))
    face = muscle.superficial[np.ix_(rows, cols)]
    normals = muscle.normals[np.ix_(rows, cols)]
    deep = face + normals * spec.gap
    if avoid:
        clear = np.ones(deep.shape[:2], bool)
        for other in avoid:
            d, _ = MeshDistance(other.mesh)(deep.reshape(-1, 3))
            clear &= d.reshape(deep.shape[:2]) > spec.gap
        keep = _longest_run(clear.mean(axis=1) > 0.85)
        deep, normals = deep[keep], normals[keep]
    deep = smooth_rows(smooth_rows(deep, 0, times=2), 1, times=2)
    d, _ = MeshDistance(muscle.mesh)(deep.reshape(-1, 3))  # smoothing may dip into the muscle
    deep = deep + normals * np.maximum(spec.gap - d, 0.0).reshape(deep.shape[:2])[..., None]
    return body_mesh(deep, deep + normals * spec.thickness)


def _longest_run(ok: np.ndarray) -> slice:
    """The longest run of ``True`` (at least two rows, else everything)."""
    best, start = (0, 0), None
    for i, v in enumerate([*ok.tolist(), False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return slice(*best) if best[1] - best[0] >= 2 else slice(None)


# =============================================================================== the tract
def _tract_frame(skeleton: Skeleton, side: str) -> tuple[np.ndarray, ...]:
    """Shaft point, axis (up), lateral and anterior unit vectors, and the tip's level on the axis."""
    frame = skeleton.shaft_frame(side)
    axis = frame.axis
    lat = np.array([0.0, 0.0, SIDE_SIGN[side]])
    lat = lat - (lat @ axis) * axis
    lat /= np.linalg.norm(lat)
    ant = np.cross(axis, lat) * SIDE_SIGN[side]
    ant /= np.linalg.norm(ant)
    tip = skeleton.point(f"greater_trochanter_tip_{side}")
    return frame.point, axis, lat, ant, np.array((tip - frame.point) @ axis)


def iliotibial_tract(spec: Tract, skeleton: Skeleton, side: str, beneath: list[Mesh]) -> Mesh:
    """The tract of ``side`` at neutral pose, over the femur and the meshes ``beneath``."""
    point, axis, lat, ant, level_tip = _tract_frame(skeleton, side)
    femur = skeleton.bones[f"femur_{side}"]
    levels = level_tip + np.linspace(spec.above_gt, -spec.below_gt, spec.levels)
    across = np.linspace(-0.5, 0.5, spec.across) * spec.width + spec.anterior
    lv, ac = np.meshgrid(levels, across, indexing="ij")  # (levels, across)
    rel = femur.vertices - point
    h, radial = rel @ axis, rel @ lat
    # how far the femur reaches laterally at each level (the insertion bands' reference)
    reach = np.array([radial[np.abs(h - x) < 4.0].max(initial=0.0) for x in levels])
    floor = reach[:, None] + spec.lateral - ac**2 / (2.0 * spec.curvature)
    base = point + lv[..., None] * axis + ac[..., None] * ant
    far = 120.0
    start = (base + far * lat).reshape(-1, 3)
    stuff = MeshDistance(merge([femur, *beneath]))
    t = march(stuff, start, np.broadcast_to(-lat, start.shape), spec.gap, far)  # inward to what lies beneath
    hit = (far - t).reshape(lv.shape)
    out = np.maximum(hit, floor)
    for _ in range(4):  # smooth, never sinking below what lies beneath
        out = np.maximum(smooth_rows(smooth_rows(out, 0), 1), np.maximum(hit, floor) - 0.3)
    deep = base + out[..., None] * lat
    return body_mesh(deep, deep + lat * spec.thickness)


def build_fascia(
    skeleton: Skeleton, muscles: Mapping[str, Muscle], bursae: Mapping[str, Mesh], *, sides: tuple[str, ...] = SIDES
) -> dict[str, Mesh]:
    """Both sheets of both sides at the muscles' pose, by sided name.

    The tract is built on the neutral femur: pass the neutral skeleton, muscles and bursae
    and move it with the femur for other poses.
    """
    spec = fascia_specs()
    out: dict[str, Mesh] = {}
    apo, tract = spec.gluteal_aponeurosis, spec.iliotibial_tract
    for side in sides:  # side by side, in FASCIA_NAMES order (the model's drawing order)
        avoid = [muscles[f"{m}_{side}"] for m in apo.avoid]
        out[f"gluteal_aponeurosis_{side}"] = gluteal_aponeurosis(apo, muscles[f"{apo.muscle}_{side}"], avoid)
        under = [muscles[f"{m}_{side}"].mesh for m in tract.over]
        under += [m for n, m in bursae.items() if n.endswith(f"_{side}")]
        out[f"iliotibial_tract_{side}"] = iliotibial_tract(tract, skeleton, side, under)
    return out
