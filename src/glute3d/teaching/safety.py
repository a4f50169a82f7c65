"""Where a gluteal injection is dangerous: a depth-aware criterion from cited data.

A needle of a given length pushed in perpendicular to the skin is in danger (``data/injection.toml``
gives the numbers and their sources) when

1. its track comes within `clearance_mm` (20 mm) of the surface of a named nerve or artery: the
   sciatic nerve, the superior and inferior gluteal vessels and nerves (trunks and deep branches;
   not the small muscular twigs inside gluteus maximus), or
2. its tip reaches the plane between gluteus medius and gluteus minimus (or the bone under
   medius), where the deep branches of the superior gluteal artery and nerve run and divide.

The *margin* of a needle is the smaller of ``track distance - clearance`` and ``plane depth -
needle length - plane clearance``: how many millimetres it keeps from danger; negative is danger.
:func:`safety_field` computes it for every skin vertex (the safety map), :func:`assess` for one
site from the needle reports of :mod:`glute3d.teaching.injection`, and :func:`tolerance` how far
along the skin a site may be missed before the map turns to danger (the usual reason the
dorsogluteal site is taught as riskier: the site is found by eye and the sciatic nerve and the
superior gluteal vessels lie near it).

Examples
--------
>>> import glute3d
>>> from glute3d.teaching import injection, safety
>>> model = glute3d.load_model()
>>> vg = safety.assess(model, injection.sites(model, sides=("r",))["ventrogluteal_r"])
>>> vg.safe, vg.limit
(True, 'deep plane')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from glute3d.errors import DataFileError
from glute3d.geometry.mesh import Mesh
from glute3d.geometry.meshing import occupancy, occupancy_of
from glute3d.io.datafiles import read_data
from glute3d.io.validation import StrictTable
from glute3d.sides import SIDES
from glute3d.teaching import injection
from glute3d.teaching.skin_surface import skin_surface

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.model.model import Model

__all__ = [
    "SafetyDataError",
    "SafetyField",
    "SafetySpec",
    "SiteSafety",
    "assess",
    "plane_depth",
    "plane_depths",
    "safety_field",
    "safety_spec",
    "tolerance",
]

#: The deep plane lies where the track passes from gluteus medius into minimus or bone within this
#: many mm (the fascial plane between them; the generated layers keep at most 3 mm apart), mm.
PLANE_GAP_MM = 4.0
#: Node spacing of the occupancy grids the map's rays are marched through, mm.
GRID_MM = 1.0
#: Step along each ray of the map, mm.
STEP_MM = 0.5
_MM = Annotated[float, Field(ge=0.0, le=200.0)]


class SafetyDataError(DataFileError):
    """``injection.toml`` is wrong: one line naming the file, the field, the line and the fix."""

    placeholder = "injection.toml"


class Criterion(StrictTable):
    clearance_mm: _MM
    plane_clearance_mm: _MM
    plane_search_mm: Annotated[float, Field(gt=0.0, le=200.0)]


class Needle(StrictTable):
    standard_mm: Annotated[float, Field(gt=0.0, le=200.0)]


class SafetySpec(StrictTable):
    """What ``data/injection.toml`` holds (see its comments for the sources)."""

    criterion: Criterion
    needle: Needle


@cache
def _packaged() -> SafetySpec:
    return read_data(SafetySpec, "injection.toml", None, SafetyDataError)


def safety_spec(path: str | Path | None = None) -> SafetySpec:
    """The danger criterion (packaged, or the file at ``path``), validated.

    Examples
    --------
    >>> safety_spec().criterion.clearance_mm
    20.0
    """
    return _packaged() if path is None else read_data(SafetySpec, "injection.toml", path, SafetyDataError)


# ============================================================================ the deep plane
def plane_depth(report: injection.NeedleReport) -> float:
    """Depth (mm from the skin) at which ``report``'s track passes from gluteus medius into minimus or
    the bone under it; ``inf`` if it does not within its length."""
    last_medius = -np.inf  # where the track last left gluteus medius
    for tissue, start, end in report.layers:
        base = tissue if tissue in ("bone", "intermuscular") else tissue.rsplit("_", 1)[0]
        if base == "gluteus_medius":
            last_medius = end
        elif base in ("gluteus_minimus", "bone") and start - last_medius <= PLANE_GAP_MM:
            return float(start)
        elif base != "intermuscular":
            last_medius = -np.inf
    return float("inf")


@dataclass(frozen=True)
class _Grids:
    origin: np.ndarray
    medius: np.ndarray
    deep: np.ndarray  # minimus or bone


def _grids(model: Model, side: str) -> _Grids:
    from scipy import ndimage

    key = ("safety_grids", side)
    if key not in model._cache:
        medius = model.muscles[f"gluteus_medius_{side}"].mesh
        minimus = model.muscles[f"gluteus_minimus_{side}"].mesh
        v = np.vstack([medius.vertices, minimus.vertices])
        lo, hi = v.min(0) - 3 * GRID_MM, v.max(0) + 3 * GRID_MM
        dims = np.ceil((hi - lo) / GRID_MM).astype(int) + 1
        deep = occupancy_of([minimus, model.bones[f"hip_bone_{side}"], model.bones[f"femur_{side}"]], lo, GRID_MM, dims)
        # scan conversion keeps only nodes strictly inside: one node more on each body, as
        # injection.tissue_at counts `FASCIA_MM` of fascia to a muscle
        grow = ndimage.generate_binary_structure(3, 1)
        med = ndimage.binary_dilation(occupancy(medius, lo, GRID_MM, dims), grow)
        model._cache[key] = _Grids(lo, med, ndimage.binary_dilation(deep, grow))
    return model._cache[key]


def _lookup(grid: np.ndarray, origin: np.ndarray, pts: np.ndarray) -> np.ndarray:
    idx = np.rint((pts - origin) / GRID_MM).astype(np.intp)
    shape = np.array(grid.shape)
    ok = ((idx >= 0) & (idx < shape)).all(axis=-1)
    idx = np.where(ok[..., None], idx, 0)
    return grid[idx[..., 0], idx[..., 1], idx[..., 2]] & ok


def plane_depths(
    model: Model, points: np.ndarray, directions: np.ndarray, reach: float, *, chunk: int = 2048
) -> np.ndarray:
    """Depth of the medius-minimus plane along rays (``inf`` where none lies within ``reach`` mm).

    Each ray is marched every `STEP_MM` through occupancy grids (`GRID_MM`) of gluteus medius,
    and of gluteus minimus with the hip bone and femur, of the side it lies on; the plane is the
    first step inside minimus or bone within `PLANE_GAP_MM` of a step inside medius.

    Parameters
    ----------
    model : Model
    points, directions : numpy.ndarray
        ``(n, 3)`` ray starts (skin points) and unit directions into the body.
    reach : float
        How deep to look, mm.
    """
    p = np.atleast_2d(np.asarray(points, float))
    d = np.atleast_2d(np.asarray(directions, float))
    t = np.arange(0.0, reach + 1e-9, STEP_MM)
    gap = int(round(PLANE_GAP_MM / STEP_MM))
    out = np.full(len(p), np.inf)
    for side, sgn in zip(SIDES, (1.0, -1.0), strict=True):
        g = _grids(model, side)
        top = g.origin + (np.array(g.medius.shape) - 1) * GRID_MM
        near = ((p > g.origin - reach) & (p < top + reach)).all(axis=1)
        on_side = np.flatnonzero((p[:, 2] * sgn > 0) & near)
        for lo in range(0, len(on_side), chunk):
            rows = on_side[lo : lo + chunk]
            samples = p[rows, None, :] + t[None, :, None] * d[rows, None, :]
            med = _lookup(g.medius, g.origin, samples)
            deep = _lookup(g.deep, g.origin, samples)
            # a medius step within `gap` steps before: a running maximum of the last medius index
            idx = np.where(med, np.arange(len(t))[None, :], -(10**6))
            recent = np.maximum.accumulate(idx, axis=1)
            plane = deep & (np.arange(len(t))[None, :] - recent <= gap) & ~med
            hit = plane.any(axis=1)
            out[rows[hit]] = t[plane[hit].argmax(axis=1)]
    return out


# ============================================================================ the map
@dataclass(frozen=True)
class SafetyField:
    """The margin of a perpendicular needle at every skin vertex.

    Attributes
    ----------
    skin : Mesh
    needle_mm : float
    distance : numpy.ndarray
        ``(n,)`` mm from the track to the surface of the nearest named nerve or artery.
    plane : numpy.ndarray
        ``(n,)`` depth of the medius-minimus plane below the skin, mm (``inf``: none within the
        needle's length and `plane_search_mm` beyond).
    clearance, plane_clearance : float
        The criterion's clearances, mm.
    """

    skin: Mesh
    needle_mm: float
    distance: np.ndarray
    plane: np.ndarray
    clearance: float
    plane_clearance: float

    @property
    def margin(self) -> np.ndarray:
        """``(n,)`` mm the needle keeps from danger (negative: danger)."""
        return np.minimum(self.distance - self.clearance, self.plane - self.needle_mm - self.plane_clearance)

    @property
    def danger(self) -> np.ndarray:
        """``(n,)`` bool: the track comes too close to a nerve or artery, or reaches the deep plane."""
        return self.margin < 0.0

    @property
    def reaches_plane(self) -> np.ndarray:
        """``(n,)`` bool: the tip reaches the medius-minimus plane."""
        return self.plane - self.plane_clearance <= self.needle_mm


def safety_field(
    model: Model, needle_mm: float | None = None, *, names: list[str] | None = None, spec: SafetySpec | None = None
) -> SafetyField:
    """The safety map: the margin of a perpendicular needle at every skin vertex.

    Parameters
    ----------
    model : Model
    needle_mm : float, optional
        Needle length, mm (default: the standard needle of ``injection.toml``).
    names : list of str, optional
        Only these sided nerve and artery names count for the clearance (default: all).
    spec : SafetySpec, optional
        The criterion (default: the packaged ``injection.toml``).
    """
    spec = spec or safety_spec()
    length = float(spec.needle.standard_mm if needle_mm is None else needle_mm)
    skin, distance = injection.safety_map(model, length, names=names)
    tools = skin_surface(model)
    reach = length + spec.criterion.plane_clearance_mm + spec.criterion.plane_search_mm
    plane = plane_depths(model, skin.vertices, -tools.normals, reach)
    c = spec.criterion
    return SafetyField(skin, length, np.asarray(distance, float), plane, c.clearance_mm, c.plane_clearance_mm)


# ============================================================================ one site
@dataclass(frozen=True)
class SiteSafety:
    """The criterion at one site, from its needle reports.

    Attributes
    ----------
    report : injection.NeedleReport
        The needle of the given length.
    plane : float
        Depth of the medius-minimus plane below the skin along the track, mm (``inf``: none).
    clearance, plane_clearance : float
    """

    report: injection.NeedleReport
    plane: float
    clearance: float
    plane_clearance: float

    @property
    def distance_margin(self) -> float:
        """Nearest nerve or artery distance minus the clearance, mm."""
        return self.report.nearest[1] - self.clearance

    @property
    def plane_margin(self) -> float:
        """How far the tip stops short of the deep plane (less its clearance), mm."""
        return self.plane - self.report.length - self.plane_clearance

    @property
    def margin(self) -> float:
        return min(self.distance_margin, self.plane_margin)

    @property
    def safe(self) -> bool:
        return self.margin >= 0.0

    @property
    def limit(self) -> str:
        """What sets the margin: ``"deep plane"`` or the nearest nerve or artery's name."""
        return "deep plane" if self.plane_margin <= self.distance_margin else self.report.nearest[0]


def assess(model: Model, site: injection.Site, needle_mm: float | None = None) -> SiteSafety:
    """The criterion at ``site`` for a needle of ``needle_mm`` (default: the standard needle)."""
    spec = safety_spec()
    length = float(spec.needle.standard_mm if needle_mm is None else needle_mm)
    report = injection.needle(model, site, length)
    reach = length + spec.criterion.plane_clearance_mm + spec.criterion.plane_search_mm
    deep = plane_depth(injection.needle(model, site, reach))
    c = spec.criterion
    return SiteSafety(report, deep, c.clearance_mm, c.plane_clearance_mm)


def tolerance(field: SafetyField, point: np.ndarray, normal: np.ndarray, *, plane: bool = True) -> float:
    """How far (mm, straight line) from ``point`` the nearest skin vertex in danger lies, among the
    vertices of the same side facing the same way (normals within 60 degrees of ``normal``): how
    badly the site may be missed before the needle is in danger.  With ``plane=False`` only the
    clearance from nerves and arteries counts.  ``inf`` if no such vertex is in danger."""
    v = field.skin.vertices
    nrm = field.skin.vertex_normals
    facing = nrm @ (np.asarray(normal, float) / np.linalg.norm(normal)) > 0.5
    danger = field.danger if plane else field.distance < field.clearance
    bad = danger & facing & (v[:, 2] * np.sign(point[2]) > 0)
    if not bad.any():
        return float("inf")
    return float(np.linalg.norm(v[bad] - np.asarray(point, float), axis=1).min())
