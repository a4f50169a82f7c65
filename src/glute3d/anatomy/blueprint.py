"""The data model of ``data/bones.toml``: the blueprint the bones are generated from.

The blueprint describes the right hip bone and femur, the sacrum and the coccyx as tubes,
plates and ellipsoids (see the comments in the file).  :func:`blueprint` reads it through
:class:`BonesFile`, so a wrong or misspelt value is reported with its file, field and line
before any bone is built; the generator then reads the checked tables.

Examples
--------
>>> bp = blueprint()
>>> bp["femur"]["head_radius"]
23.2
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from glute3d.errors import DataFileError, did_you_mean
from glute3d.io.datafiles import data_source
from glute3d.io.validation import Problem, StrictTable, validate

__all__ = ["BonesDataError", "BonesFile", "blueprint"]

Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Vec2 = tuple[float, float]
Vec3 = tuple[float, float, float]


class BonesDataError(DataFileError):
    """``bones.toml`` is wrong: one line naming the file, the field, the line and the fix."""

    placeholder = "bones.toml"


def _same_length(owner: BaseModel, reference: str, *fields: str) -> None:
    """Every list in ``fields`` has as many values as the list ``reference``."""
    n = len(getattr(owner, reference))
    for name in fields:
        if len(getattr(owner, name)) != n:
            raise Problem(f"has {len(getattr(owner, name))} values; give one per value of `{reference}` ({n})", name)


class Section(StrictTable):
    """What every bone's table has: meshing resolution and smooth-union width."""

    grid_spacing: Annotated[float, Field(gt=0.0, le=5.0)]
    target_faces: Annotated[int, Field(ge=100)]
    edge_length: Annotated[float, Field(gt=0.2, le=10.0)]
    blend: NonNegative


class Pelvis(StrictTable):
    hip_center: Vec3
    symphysis_gap: NonNegative


class Acetabulum(StrictTable):
    outer_radius: Positive
    socket_radius: Positive
    rim_offset: float
    inclination_deg: float
    anteversion_deg: float
    notch_radius: Positive
    floor_thickness: Positive
    medial_wall: Positive


class HalfThickness(StrictTable):
    wing: NonNegative
    crest_lip: NonNegative
    crest_width: Positive
    body: NonNegative
    posterior: NonNegative
    anterior: NonNegative


class Ilium(StrictTable):
    crest: Annotated[list[Vec3], Field(min_length=2)]
    lower: Annotated[list[Vec3], Field(min_length=2)]
    n_u: Annotated[int, Field(ge=4)]
    n_v: Annotated[int, Field(ge=4)]
    half_thickness: HalfThickness
    outer_bulge: float


class Tube(StrictTable):
    """A swept tube: control points and a radius at each."""

    name: str
    points: Annotated[list[Vec3], Field(min_length=2)]
    radii: list[Positive]

    @model_validator(mode="after")
    def _one_radius_per_point(self) -> Tube:
        _same_length(self, "points", "radii")
        return self


class Plate(StrictTable):
    name: str
    between: tuple[str, str]
    half_thickness: Positive


class Obturator(StrictTable):
    upper: str
    lower: str
    half_thickness: Positive
    hole_uv: Vec2
    hole_radii: tuple[Positive, Positive]


class Ellipsoid(StrictTable):
    name: str
    center: Vec3
    radii: tuple[Positive, Positive, Positive]
    axis: Vec3


class HipBone(Section):
    acetabulum: Acetabulum
    ilium: Ilium
    tubes: list[Tube]
    plates: list[Plate] = []
    obturator: Obturator
    ellipsoids: list[Ellipsoid]

    @model_validator(mode="after")
    def _tubes_named(self) -> HipBone:
        tubes = [t.name for t in self.tubes]
        refs: list[tuple[tuple[str | int, ...], str]] = [
            (("plates", i, "between", j), name) for i, p in enumerate(self.plates) for j, name in enumerate(p.between)
        ]
        refs += [(("obturator", key), getattr(self.obturator, key)) for key in ("upper", "lower")]
        for at, name in refs:
            if name not in tubes:
                hint = f"unknown tube {name!r}{did_you_mean(name, tubes)} (tubes are the [[hip_bone.tubes]] tables)"
                raise Problem(hint, *at, value=name)
        return self


class Sacrum(Section):
    clearance: NonNegative
    midline: Annotated[list[Vec2], Field(min_length=2)]
    body_radius: list[Positive]
    half_width: list[Positive]
    plate_half_thickness: list[Positive]
    lateral_sweep: float
    median_crest_radius: Positive
    foramina: list[Annotated[float, Field(ge=0.0, le=1.0)]]
    foramina_offset: list[float]
    foramina_radius: list[Positive]
    articular_processes: list[Vec3]
    articular_process_radius: Positive

    @model_validator(mode="after")
    def _profiles(self) -> Sacrum:
        _same_length(self, "midline", "body_radius", "half_width", "plate_half_thickness")
        _same_length(self, "foramina", "foramina_offset", "foramina_radius")
        return self


class Coccyx(Section):
    clearance: NonNegative
    segments: Annotated[list[Vec2], Field(min_length=1)]
    half_width: list[Positive]
    half_height: list[Positive]
    half_depth: list[Positive]

    @model_validator(mode="after")
    def _profiles(self) -> Coccyx:
        _same_length(self, "segments", "half_width", "half_height", "half_depth")
        return self


class FemurEllipsoid(StrictTable):
    """An ellipsoid in shaft-local coordinates [a, u, l]; ``blend`` overrides the union width."""

    name: str
    center: Vec3
    radii: tuple[Positive, Positive, Positive]
    blend: Positive | None = None


class FemurCut(StrictTable):
    name: str
    center: Vec3
    radii: tuple[Positive, Positive, Positive]


class Ridge(StrictTable):
    name: str
    u: Annotated[list[float], Field(min_length=2)]
    angle_deg: list[float]
    radius: Positive
    depth: float

    @model_validator(mode="after")
    def _one_angle_per_height(self) -> Ridge:
        _same_length(self, "u", "angle_deg")
        return self


class Femur(Section):
    head_radius: Positive
    neck_length: Positive
    anteversion_deg: float
    shaft_tilt_deg: float
    shaft_length: Positive
    neck_radii: tuple[Positive, Positive, Positive, Positive]
    shaft_profile_u: Annotated[list[float], Field(min_length=2)]
    shaft_profile_r: list[Positive]
    shaft_bow: float
    ellipsoids: list[FemurEllipsoid]
    cuts: list[FemurCut]
    tubes: list[Tube]
    ridges: list[Ridge]

    @model_validator(mode="after")
    def _profile(self) -> Femur:
        _same_length(self, "shaft_profile_u", "shaft_profile_r")
        return self


class BonesFile(StrictTable):
    """The whole blueprint."""

    pelvis: Pelvis
    hip_bone: HipBone
    sacrum: Sacrum
    coccyx: Coccyx
    femur: Femur


def blueprint(path: str | Path | None = None) -> dict[str, Any]:
    """The checked ``data/bones.toml`` (or the file at ``path``), parsed: a fresh dict each call.

    Raises
    ------
    BonesDataError
        One line naming the file, the field, its line and the fix.
    """
    src = data_source("bones.toml", path, BonesDataError)
    validate(BonesFile, src.doc, src.source, src.text, BonesDataError)
    return src.doc
