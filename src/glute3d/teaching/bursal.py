"""The landmark-guided bursal injection site of greater trochanteric pain (GTPS), from ``data/gtps.toml``.

Below :mod:`glute3d.teaching.injection`, which lists this site among its sites
(``gtps_bursa_<side>``, ``kind`` bursal), and :mod:`glute3d.teaching.gtps`, which follows its
needle: this module finds the point, nothing else.  The skin point straight lateral to the
subgluteus medius bursa (along the sac's thin axis, away from the bone), the direction into
the bursa's deepest point, its depth and the palpated greater trochanter on the skin.

Examples
--------
>>> import glute3d
>>> point = bursal_point(glute3d.load_model(), "r")
>>> point.target, 15.0 < point.depth < 60.0
('subgluteus_medius_bursa_r', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, RootModel, ValidationInfo, model_validator

from glute3d.errors import DataFileError, did_you_mean
from glute3d.geometry.distance import ImplicitDistance
from glute3d.io.datafiles import read_data
from glute3d.io.validation import Problem, StrictTable
from glute3d.sides import SIDES
from glute3d.teaching.skin_surface import skin_surface

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.model.model import Model

__all__ = ["GTPS_SITE", "BursalPoint", "GtpsDataError", "InjectionSpec", "bursal_point", "injection_spec"]

#: The site's sideless name (``gtps_bursa_r`` / ``gtps_bursa_l``).
GTPS_SITE = "gtps_bursa"


class GtpsDataError(DataFileError):
    """``gtps.toml`` is wrong: one line naming the file, the field, the line and the fix."""

    placeholder = "gtps.toml"


class InjectionSpec(StrictTable):
    """The landmark-guided bursal injection (the table of ``gtps.toml``; see the comments there)."""

    bursa: str
    tract: str
    palpate: str
    film_mm: Annotated[float, Field(ge=0.0, le=3.0)] = 0.5


class GtpsFile(RootModel[dict[str, InjectionSpec]]):
    """The whole file, its names checked against the bursae, the fascia and the landmarks."""

    @model_validator(mode="after")
    def _names(self, info: ValidationInfo) -> GtpsFile:
        ctx = info.context or {}
        for name, spec in self.root.items():
            for field, known, where in (
                ("bursa", ctx.get("bursae"), "bursae.toml"),
                ("tract", ctx.get("fascia"), "fascia.toml"),
                ("palpate", ctx.get("points"), "landmarks.toml (a point)"),
            ):
                value = getattr(spec, field)
                if known is not None and value not in known:
                    raise Problem(f"unknown name {value!r}{did_you_mean(value, list(known))} (define it in {where})",
                                  name, field, value=value)  # fmt: skip
        if "subgluteus_medius_bursa_injection" not in self.root:
            raise Problem("the table [subgluteus_medius_bursa_injection] is missing; add it back")
        return self


def injection_spec(path: str | Path | None = None) -> InjectionSpec:
    """The GTPS injection of ``path`` (default: the packaged ``data/gtps.toml``).

    Raises
    ------
    GtpsDataError
        One line naming the file, the field, its line and the fix.
    """
    return _spec(None if path is None else str(path))


@cache
def _spec(path: str | None) -> InjectionSpec:
    from glute3d.anatomy.bursae import BURSA_NAMES
    from glute3d.anatomy.fascia import FASCIA_NAMES
    from glute3d.anatomy.landmark_defs import landmark_names

    points = [n for n, kind in landmark_names().items() if kind == "point"]
    context = {"bursae": BURSA_NAMES, "fascia": FASCIA_NAMES, "points": points}
    return read_data(GtpsFile, "gtps.toml", path, GtpsDataError, context=context).root[
        "subgluteus_medius_bursa_injection"
    ]


@dataclass(frozen=True)
class BursalPoint:
    """Where the landmark-guided needle of one side goes in and what it aims at.

    Attributes
    ----------
    name : str
        The site's sided name, ``gtps_bursa_<side>``.
    entry : numpy.ndarray
        ``(3,)`` on the skin, straight lateral to the bursa.
    normal : numpy.ndarray
        ``(3,)`` unit, outward: the needle goes in along ``-normal``, to the bursa's deepest point.
    depth : float
        From the skin to that point, mm.
    target : str
        The sided bursa.
    marks : dict of str to numpy.ndarray
        ``bursa``: the point aimed at; ``greater_trochanter``: the palpated trochanter on the skin.
    """

    name: str
    entry: np.ndarray
    normal: np.ndarray
    depth: float
    target: str
    marks: dict[str, np.ndarray]


def bursal_point(model: Model, side: str) -> BursalPoint:
    """The skin point straight lateral to the subgluteus medius bursa of ``side`` and its depth.

    Raises
    ------
    ValueError
        An unknown side.
    """
    if side not in SIDES:
        raise ValueError(f"side {side!r} is not one of {SIDES}")
    spec = injection_spec()
    bursa = model.structure(f"{spec.bursa}_{side}")
    v = bursa.vertices
    mean = v.mean(0)
    out = np.linalg.svd(v - mean, full_matrices=False)[2][2]  # the sac's thin axis
    femur = model.bones[f"femur_{side}"]
    near = femur.vertices[np.argsort(np.linalg.norm(femur.vertices - mean, axis=1))[:40]].mean(0)
    if out @ (mean - near) < 0.0:
        out = -out  # away from the bone
    # aim at the point of the sac's middle column deepest inside it
    probe = mean + np.outer(np.linspace(-6.0, 6.0, 49), out)
    centre = probe[np.argmin(ImplicitDistance(bursa)(probe))]
    tools = skin_surface(model)
    entry = tools.on_skin(centre[None], out)[0]
    direction = centre - entry
    depth = float(np.linalg.norm(direction))
    palpated = tools.closest(np.asarray(model.landmark(f"{spec.palpate}_{side}"), float))
    return BursalPoint(
        f"{GTPS_SITE}_{side}",
        entry,
        -direction / depth,
        depth,
        f"{spec.bursa}_{side}",
        {"bursa": centre, "greater_trochanter": palpated},
    )
