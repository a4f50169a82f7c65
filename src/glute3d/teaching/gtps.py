"""Greater trochanteric pain syndrome (GTPS): the landmark-guided subgluteus medius bursa injection.

The seed article on gluteus minimus names the usual injection target in GTPS: the subgluteus
medius bursa, just superficial to the minimus insertion; too deep a needle may reach the hip
joint capsule.  The landmark-guided technique taught here:

1. The patient lies on the other side; the lateral prominence of the greater trochanter is
   palpated, and the point of the skin straight lateral to the bursa (over the upper part of
   the lateral facet, `GTPS_SITE` in this model: the skin point along the bursa's outward
   direction) is marked.
2. The needle goes in perpendicular to the skin toward the trochanter, through the
   subcutaneous fat and the iliotibial tract, into the bursa, which lies deep to the gluteus
   medius tendon on the bone; the bone stops the needle just beyond it.

:func:`bursa_injection` builds the site and follows the needle with
:func:`glute3d.teaching.injection.needle`, and reports what the model can check: the depth of
the bursa, whether the needle's tip (of ``needle_mm``, default the depth of the bursa's
centre) lies in the bursa, whether the track crosses the iliotibial tract, and how far the
bone and every nerve and artery are.  The site is also one of
:func:`glute3d.teaching.injection.sites` (``gtps_bursa_<side>``, ``kind`` bursal), so its
needle report names the bursa and the fascia it crosses.  The technique's names and its
sources (landmark-guided against ultrasound-guided injection, which bursa) are in
``data/gtps.toml``.

Examples
--------
>>> import glute3d
>>> from glute3d.teaching import gtps
>>> report = gtps.bursa_injection(glute3d.load_model(), "r")
>>> report.in_bursa, report.crosses_tract, report.safe
(True, True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationInfo, model_validator

from glute3d.errors import DataFileError, did_you_mean
from glute3d.geometry.distance import ImplicitDistance
from glute3d.io.datafiles import read_data
from glute3d.io.validation import Problem
from glute3d.sides import SIDES
from glute3d.teaching.injection import DANGER_MM, NeedleReport, Site, needle
from glute3d.teaching.skin_surface import skin_surface

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.model.model import Model

__all__ = [
    "FILM_MM",
    "GTPS_BURSA",
    "GTPS_SITE",
    "BursaInjection",
    "GtpsDataError",
    "InjectionSpec",
    "bursa_injection",
    "gtps_site",
    "injection_spec",
]


class GtpsDataError(DataFileError):
    """``gtps.toml`` is wrong: one line naming the file, the field, the line and the fix."""

    placeholder = "gtps.toml"


class InjectionSpec(BaseModel):
    """The landmark-guided bursal injection (the table of ``gtps.toml``; see the comments there)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


#: The bursa the landmark-guided GTPS injection aims at (seed 004_edda6e1099886d77; ``gtps.toml``).
GTPS_BURSA = injection_spec().bursa
#: The site's sideless name (``gtps_bursa_r`` / ``gtps_bursa_l``).
GTPS_SITE = "gtps_bursa"
#: A needle tip this close to the bursa is in it: undistended, the sac is a film under the tendon, mm.
FILM_MM = injection_spec().film_mm


@dataclass(frozen=True)
class BursaInjection:
    """The needle of a GTPS bursa injection and what it reaches.

    Attributes
    ----------
    site : Site
        The entry point on the skin (``normal``: the needle goes in along ``-normal``).
    needle : NeedleReport
        The track, its layers and the distances to every nerve and artery.
    bursa : str
        The sided bursa aimed at.
    bursa_depth : float
        Depth of the bursa's centre from the skin along the track, mm.
    in_bursa : bool
        The needle's tip lies in the bursa (or within `FILM_MM` of its film).
    crosses_tract : bool
        The track passes through the iliotibial tract on its way.
    bone_depth : float
        Depth at which the track meets bone, mm (``inf`` if it does not within 120 mm).
    """

    site: Site
    needle: NeedleReport
    bursa: str
    bursa_depth: float
    in_bursa: bool
    crosses_tract: bool
    bone_depth: float

    @property
    def safe(self) -> bool:
        """Every nerve and artery at least `DANGER_MM` from the track, and the tip short of bone."""
        return self.needle.nearest[1] >= DANGER_MM and self.needle.length < self.bone_depth


def gtps_site(model: Model, side: str) -> tuple[Site, float]:
    """The skin point straight lateral to the subgluteus medius bursa, and the bursa's depth (mm).

    The site is of kind ``"bursal"`` with the bursa as its target and the bursa's depth as its
    needle length; its marks are the bursa's centre (``bursa``) and the palpated greater
    trochanter on the skin (``greater_trochanter``).
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
    site = Site(
        f"{GTPS_SITE}_{side}",
        entry,
        -direction / depth,
        None,
        marks={"bursa": centre, "greater_trochanter": palpated},
        kind="bursal",
        target=f"{spec.bursa}_{side}",
        needle_mm=depth,
    )
    return site, depth


def bursa_injection(model: Model, side: str, needle_mm: float | None = None) -> BursaInjection:
    """Follow the landmark-guided needle into the subgluteus medius bursa of ``side``.

    Parameters
    ----------
    model : Model
    side : {"r", "l"}
    needle_mm : float, optional
        How far the needle goes in, mm; default: to the centre of the bursa.

    Raises
    ------
    ValueError
        An unknown side or a non-positive needle length.
    """
    site, depth = gtps_site(model, side)
    length = depth if needle_mm is None else float(needle_mm)
    report = needle(model, site, length)
    bursa = f"{GTPS_BURSA}_{side}"
    spec = injection_spec()
    # the collapsed bursa is a film under the tendon: the tip counts if it lies within FILM_MM of it
    inside = ImplicitDistance(model.structure(bursa))(report.tip[None])[0] <= spec.film_mm
    tract = ImplicitDistance(model.structure(f"{spec.tract}_{side}"))
    depths = np.linspace(0.0, length, max(2, int(length / 0.25) + 1))
    crosses = bool((tract(site.point + depths[:, None] * report.direction) <= 0.0).any())
    bone = ImplicitDistance(model.bones[f"femur_{side}"])
    far = np.linspace(0.0, 120.0, 481)
    hit = np.flatnonzero(bone(site.point + far[:, None] * report.direction) <= 0.0)
    bone_depth = float(far[hit[0]]) if len(hit) else float("inf")
    return BursaInjection(site, report, bursa, depth, bool(inside), crosses, bone_depth)
