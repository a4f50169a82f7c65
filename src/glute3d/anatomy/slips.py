"""Variant slips of gluteus minimus to piriformis, the superior gemellus or vastus lateralis.

A slip is a thin band (``data/slips.toml``) from a point of gluteus minimus to a point of the
muscle it joins (or of the femur, where vastus lateralis arises), pushed clear of the bones
and lifted off them like a muscle.  It is a variant: ``Model.with_variant(minimus_slip=...)``
switches it on (see `SLIP_VARIANTS`), and the model then has the structure
``gluteus_minimus_slip_<side>``.

Examples
--------
>>> SLIP_VARIANTS
{'minimus_slip': ('gluteus_minimus', ('normal', 'piriformis', 'gemellus_superior', 'vastus_lateralis'))}
>>> slip_specs()["vastus_lateralis"].femur_at
(28.0, 60.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, model_validator

from glute3d.anatomy.muscles.body import body_mesh
from glute3d.anatomy.muscles.grids import smooth_rows
from glute3d.errors import DataFileError
from glute3d.geometry.distance import MeshDistance
from glute3d.geometry.mesh import Mesh, merge
from glute3d.io.datafiles import read_data
from glute3d.io.validation import Problem, StrictTable
from glute3d.sides import SIDE_SIGN

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.anatomy.muscles import Muscle
    from glute3d.anatomy.skeleton import Skeleton

__all__ = ["SLIP_NAME", "SLIP_SWITCH", "SLIP_VARIANTS", "SlipDataError", "SlipSpec", "slip_mesh", "slip_specs"]

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]

#: The variant switch and the sideless name of the slip's structure.
SLIP_SWITCH = "minimus_slip"
SLIP_NAME = "gluteus_minimus_slip"


class SlipDataError(DataFileError):
    """``slips.toml`` is wrong: one line naming the file, the slip's field, the line and the fix."""

    placeholder = "slips.toml"


class SlipSpec(StrictTable):
    """One slip (a table of ``slips.toml``)."""

    leave: tuple[Fraction, Fraction]
    muscle: str | None = None
    join: tuple[Fraction, Fraction] = (0.5, 0.8)
    femur_at: tuple[float, float] | None = None
    width: Positive = 6.0
    thickness: Positive = 2.0

    @model_validator(mode="after")
    def _one_target(self) -> SlipSpec:
        if (self.muscle is None) == (self.femur_at is None):
            raise Problem("give either `muscle` (the muscle it joins) or `femur_at` (a point of the femur)", "muscle")
        return self


class SlipsFile(StrictTable):
    """The whole file: slip name (the muscle or origin it reaches) to spec."""

    piriformis: SlipSpec
    gemellus_superior: SlipSpec
    vastus_lateralis: SlipSpec


def slip_specs(path: str | Path | None = None) -> dict[str, SlipSpec]:
    """The slips of ``path`` (default: the packaged ``data/slips.toml``), in file order.

    Raises
    ------
    SlipDataError
        One line naming the file, the field, its line and the fix.
    """
    return dict(_specs(path) if path is not None else _packaged())


@cache
def _packaged() -> dict[str, SlipSpec]:
    return _specs(None)


def _specs(path: str | Path | None) -> dict[str, SlipSpec]:
    doc = read_data(SlipsFile, "slips.toml", path, SlipDataError)
    return {name: getattr(doc, name) for name in SlipsFile.model_fields}


#: Variant switch -> (the structure it changes, its values; the first is the usual anatomy).
SLIP_VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    SLIP_SWITCH: ("gluteus_minimus", ("normal", *SlipsFile.model_fields))
}


def _sample(m: Muscle, q: float, s: float) -> np.ndarray:
    """The point of muscle ``m`` at fibre fraction ``q`` and sample fraction ``s`` (its fibre line)."""
    n_f, n_s = m.fibres.shape[:2]
    i = min(int(round(q * (n_f - 1))), n_f - 1)
    j = min(int(round(s * (n_s - 1))), n_s - 1)
    return np.asarray(m.fibres[i, j], float)


def _femur_point(skeleton: Skeleton, side: str, below: float, angle: float) -> np.ndarray:
    frame = skeleton.shaft_frame(side)
    tip = skeleton.point(f"greater_trochanter_tip_{side}")
    level = (tip - frame.point) @ frame.axis - below
    anterior, lateral = -frame.posterior, -frame.medial
    a = np.radians(angle)
    direction = np.cos(a) * anterior + np.sin(a) * lateral
    return frame.point + level * frame.axis + 60.0 * direction  # outside the bone, snapped below


# long: one band from its two ends, pushed clear of the bones, then skinned
def slip_mesh(
    skeleton: Skeleton, muscles: Mapping[str, Muscle], spec: SlipSpec, side: str, *, samples: int = 18
) -> Mesh:
    """The closed band of one slip on ``side`` (neutral or posed skeleton and muscles alike)."""
    minimus = muscles[f"gluteus_minimus_{side}"]
    start = _sample(minimus, *spec.leave)
    bones = MeshDistance(merge([skeleton.bones[f"hip_bone_{side}"], skeleton.bones[f"femur_{side}"]]))
    if spec.muscle is not None:
        end = _sample(muscles[f"{spec.muscle}_{side}"], *spec.join)
    else:
        assert spec.femur_at is not None
        p = _femur_point(skeleton, side, *spec.femur_at)
        femur = MeshDistance(skeleton.bones[f"femur_{side}"])
        for _ in range(4):
            d, g = femur(p[None])
            p = p - (d[0] - 0.5 * spec.thickness - 0.8) * g[0]
        end = p
    t = np.linspace(0.0, 1.0, samples)
    line = start + np.outer(t, end - start)
    clear = 0.5 * spec.thickness + 1.0
    for _ in range(8):  # push the middle clear of the bones
        d, g = bones(line)
        push = np.maximum(clear - d, 0.0)
        push[[0, -1]] = 0.0
        line = line + push[:, None] * g
        line[1:-1] = smooth_rows(line[None], 1)[0, 1:-1]
    d, g = bones(line)
    away = smooth_rows(g[None], 1, times=3)[0]
    tangent = np.gradient(line, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normal = away - np.einsum("ij,ij->i", away, tangent)[:, None] * tangent
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    across = np.cross(tangent, normal) * SIDE_SIGN[side]
    taper = 0.55 + 0.45 * np.sin(np.pi * t)  # thinner where it blends into its muscles
    u = np.linspace(-0.5, 0.5, 5)
    mid = line[None] + (u[:, None, None] * spec.width * taper[None, :, None]) * across[None]
    half = (0.5 * spec.thickness * taper)[None, :, None]
    return body_mesh(mid - half * normal[None], mid + half * normal[None])
