"""The data model of ``data/skin.toml``: how the skin envelope is generated (see the file's comments).

Landmark names are sideless (``_r`` / ``_l`` added by code), except midline ones such as
``gluteal_cleft_top``; they are checked against ``landmarks.toml``.

Examples
--------
>>> spec = skin_spec()
>>> spec.grid.spacing, spec.cut.top.landmark
(3.0, 'iliac_crest_top')
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, model_validator

from glute3d.anatomy.landmark_defs import landmark_names
from glute3d.errors import DataFileError, did_you_mean
from glute3d.io.datafiles import read_data
from glute3d.io.validation import Problem, StrictTable

__all__ = ["Bump", "Habitus", "SkinDataError", "SkinSpec", "skin_spec"]

Positive = Annotated[float, Field(gt=0.0)]
Vec3 = tuple[float, float, float]


class SkinDataError(DataFileError):
    """``skin.toml`` is wrong: one line naming the file, the field, the line and the fix."""

    placeholder = "skin.toml"


class Grid(StrictTable):
    spacing: Annotated[float, Field(ge=1.0, le=6.0)]  # mm between samples of the distance field
    smoothing: Annotated[float, Field(ge=0.0)]  # Gaussian sigma, samples
    blend: Positive  # mm: fillet between the tissue envelope and the fillers
    faces: Annotated[int, Field(ge=1000)]  # triangle budget


class LandmarkOffset(StrictTable):
    """A coordinate of a landmark (both sides: the extreme one) plus ``offset`` mm."""

    landmark: str
    offset: float


class Cut(StrictTable):
    top: LandmarkOffset
    bottom: LandmarkOffset


class Bump(StrictTable):
    """A Gaussian change of the subcutaneous thickness: ``delta`` mm, width ``sigma`` mm.

    Centred on weighted landmark points (``at``, plus ``offset``), on a landmark ``curve``,
    or on the ``midline`` plane behind the depth ``behind``.
    """

    at: Annotated[dict[str, Positive], Field(min_length=1)] | None = None
    curve: str | None = None
    midline: Literal[True] | None = None
    behind: LandmarkOffset | None = None
    offset: Vec3 = (0.0, 0.0, 0.0)
    delta: float
    sigma: Positive
    sided: bool = True

    @model_validator(mode="after")
    def _one_centre(self) -> Bump:
        given = [k for k in ("at", "curve", "midline") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give one of `at`, `curve` or `midline` (got {', '.join(given) or 'none'})")
        if self.midline and self.behind is None:
            raise Problem("a midline bump needs behind = { landmark = ..., offset = ... }", "behind")
        return self


class Thickness(StrictTable):
    base: Positive
    bumps: tuple[Bump, ...] = ()


class Trunk(StrictTable):
    front: LandmarkOffset
    back: LandmarkOffset
    side: LandmarkOffset
    bottom: LandmarkOffset
    cap: Positive
    waist: Annotated[float, Field(gt=0.0, le=1.5)] = 1.0


class Thigh(StrictTable):
    top_below: float
    bottom_below: float
    anterior: float
    medial: float
    radius_top: Positive
    radius_bottom: Positive


class Habitus(StrictTable):
    """A body build: ``fat`` multiplies the subcutaneous thickness (1: the average model)."""

    fat: Annotated[float, Field(gt=0.0, le=4.0)]


class SkinSpec(StrictTable):
    """The whole file.

    With ``context={"landmarks": {name: kind}}`` the landmark names are checked.
    """

    grid: Grid
    cut: Cut
    thickness: Thickness
    trunk: Trunk
    thigh: Thigh
    habitus: dict[str, Habitus] = {"average": Habitus(fat=1.0)}

    @model_validator(mode="after")
    def _has_average(self) -> SkinSpec:
        if "average" not in self.habitus:
            raise Problem("add [habitus.average] (fat = 1.0): the default body", "habitus")
        return self

    def fat_factor(self, habitus: str) -> float:
        """The ``fat`` factor of ``habitus`` (``KeyError`` listing the known builds if unknown)."""
        if habitus not in self.habitus:
            known = ", ".join(self.habitus)
            raise KeyError(
                f"unknown habitus {habitus!r}{did_you_mean(habitus, self.habitus)}; skin.toml defines: {known}"
            )
        return float(self.habitus[habitus].fat)

    @model_validator(mode="after")
    def _landmarks(self, info: ValidationInfo) -> SkinSpec:
        known = (info.context or {}).get("landmarks")
        if known is not None:
            for at, name, kind in self._names():
                _check(known, at, name, kind, key=len(at) > 3 and at[3] == "at")
        return self

    def _names(self) -> list[tuple[tuple, str, str]]:
        """``(path, landmark name, kind)`` of every landmark the file names."""
        out: list[tuple[tuple, str, str]] = []
        out += [(("cut", k, "landmark"), getattr(self.cut, k).landmark, "point") for k in ("top", "bottom")]
        sides = ("front", "back", "side", "bottom")
        out += [(("trunk", k, "landmark"), getattr(self.trunk, k).landmark, "point") for k in sides]
        for i, b in enumerate(self.thickness.bumps):
            here = ("thickness", "bumps", i)
            out += [((*here, "at", n), n, "point") for n in b.at or {}]
            if b.curve is not None:
                out.append(((*here, "curve"), b.curve, "curve"))
            if b.behind is not None:
                out.append(((*here, "behind", "landmark"), b.behind.landmark, "point"))
        return out


def _check(known: Mapping[str, str], at: tuple, name: str, kind: str, *, key: bool) -> None:
    """``name`` (at ``at``; a table key if ``key``) must be a landmark of ``kind``."""
    if known.get(name) != kind:
        names = [n for n, k in known.items() if k == kind]
        msg = f"unknown {kind} landmark {name!r}{did_you_mean(name, names)} (define it in landmarks.toml)"
        raise Problem(msg, *at, value=None if key else name)


def skin_spec(path: str | Path | None = None) -> SkinSpec:
    """The checked ``skin.toml`` (default: the packaged one).

    Raises
    ------
    SkinDataError
        One line naming the file, the field, its line and the fix.
    """
    return read_data(SkinSpec, "skin.toml", path, SkinDataError, context={"landmarks": landmark_names()})
