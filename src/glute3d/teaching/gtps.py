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
from typing import TYPE_CHECKING

import numpy as np

from glute3d.geometry.distance import ImplicitDistance
from glute3d.teaching.bursal import GTPS_SITE, GtpsDataError, InjectionSpec, injection_spec
from glute3d.teaching.injection import DANGER_MM, NeedleReport, Site, bursal_site, needle

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


#: The bursa the landmark-guided GTPS injection aims at (seed 004_edda6e1099886d77; ``gtps.toml``).
GTPS_BURSA = injection_spec().bursa
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

    The site (``injection.sites(model)["gtps_bursa_<side>"]``) is of kind ``"bursal"`` with the
    bursa as its target and the bursa's depth as its needle length; its marks are the bursa's
    centre (``bursa``) and the palpated greater trochanter on the skin (``greater_trochanter``).
    """
    site = bursal_site(model, side)
    return site, float(site.needle_mm or 0.0)


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
