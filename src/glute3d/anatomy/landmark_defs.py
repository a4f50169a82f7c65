"""The data model of ``data/landmarks.toml``: where each landmark lies on the generated bones.

Points, curves and regions are written once, for the right side, with sideless names that
the knowledge base (``structures.toml``) defines with the same kind.  Each is found by a
``method`` (see the comments in the file), and each method takes its own fields.
:func:`landmark_definitions` reads the file through :class:`LandmarksFile`;
:func:`glute3d.anatomy.annotate.annotate` evaluates it on the bones.

Examples
--------
>>> defs = landmark_definitions()
>>> defs.points["asis"].method, defs.regions["gt_anterior_facet"].parts[0].bone
('extreme', 'femur')
>>> "gluteus_medius_origin" in region_names()
True
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, ValidationInfo, model_validator

from glute3d.anatomy.knowledge import knowledge_base
from glute3d.errors import DataFileError, did_you_mean
from glute3d.io.datafiles import read_data
from glute3d.io.validation import Problem, StrictTable

__all__ = [
    "Capsule",
    "Curve",
    "IliumPolygon",
    "LandmarkDataError",
    "LandmarksFile",
    "Point",
    "Region",
    "SacrumSurface",
    "landmark_definitions",
    "landmark_names",
    "region_names",
]

#: The right-side bones landmarks are defined on (sideless names of the knowledge base).
Bone = Literal["hip_bone", "sacrum", "coccyx", "femur"]
Vec2 = tuple[float, float]
Vec3 = tuple[float, float, float]
Positive = Annotated[float, Field(gt=0.0)]


class LandmarkDataError(DataFileError):
    """``landmarks.toml`` is wrong: one line naming the file, the field, the line and the fix."""

    placeholder = "landmarks.toml"


# =============================================================================== points
class DesignPoint(StrictTable):
    """The design point ``near`` itself (a joint centre, inside the bone)."""

    bone: Bone
    method: Literal["design"]
    near: str


class ExtremePoint(StrictTable):
    """The surface vertex farthest along ``direction`` within ``radius`` mm of the design point ``near``."""

    bone: Bone
    method: Literal["extreme"]
    near: str
    radius: Positive
    direction: Vec3


class ProjectPoint(StrictTable):
    """The surface point closest to the design point ``near``, moved first by ``offset`` mm (pelvis frame)."""

    bone: Bone
    method: Literal["project"]
    near: str
    offset: Vec3 = (0.0, 0.0, 0.0)


Point = Annotated[DesignPoint | ExtremePoint | ProjectPoint, Field(discriminator="method")]


# =============================================================================== curves
class IliumUVCurve(StrictTable):
    """A smooth curve through ``(u, v)`` points of the iliac wing's outer face."""

    bone: Literal["hip_bone"]
    method: Literal["ilium_uv"]
    samples: Annotated[int, Field(ge=2)]
    uv: Annotated[list[Vec2], Field(min_length=2)]


class IliumCrestCurve(StrictTable):
    """The top of the iliac crest from ASIS to PSIS."""

    bone: Literal["hip_bone"]
    method: Literal["ilium_crest"]
    samples: Annotated[int, Field(ge=2)]


Curve = Annotated[IliumUVCurve | IliumCrestCurve, Field(discriminator="method")]


# =============================================================================== regions
def _curve_or_uv(value: Any) -> str:
    return "curve" if isinstance(value, str) else "uv"


#: A polygon vertex: an ``ilium_uv`` curve's name (``"-name"``: reversed) or a ``(u, v)`` point.
PolygonItem = Annotated[
    Annotated[str, Tag("curve")] | Annotated[Vec2, Tag("uv")],
    Discriminator(_curve_or_uv),
]


class IliumPolygon(StrictTable):
    """Faces of the gluteal surface whose ``(u, v)`` falls inside a polygon."""

    bone: Literal["hip_bone"]
    method: Literal["ilium_uv_polygon"]
    polygon: Annotated[list[PolygonItem], Field(min_length=3)]


class Capsule(StrictTable):
    """Faces within ``radius`` of the segment a-b whose normal is within ``max_angle`` of ``normal``.

    On the femur ``a``, ``b`` and ``normal`` are shaft-local [anterior, up, lateral]; else pelvis frame.
    """

    bone: Bone
    method: Literal["capsule"]
    a: Vec3
    b: Vec3
    radius: Positive
    normal: Vec3
    max_angle: Annotated[float, Field(gt=0.0, le=180.0)]


class SacrumSurface(StrictTable):
    """Faces of the anterior or dorsal sacral surface in a band of ``t`` and of distance ``z``."""

    bone: Literal["sacrum"]
    method: Literal["sacrum_surface"]
    surface: Literal["anterior", "dorsal"]
    t: Vec2
    z: Vec2


Part = Annotated[IliumPolygon | Capsule | SacrumSurface, Field(discriminator="method")]


class Region(StrictTable):
    """A surface region: the faces of one or more parts."""

    parts: Annotated[list[Part], Field(min_length=1)]


# =============================================================================== the file
class LandmarksFile(StrictTable):
    """All landmark definitions, sideless names in file order.

    With ``context={"structures": <knowledge base>}`` every name must be an entry of the
    knowledge base of the same kind.
    """

    points: dict[str, Point]
    curves: dict[str, Curve]
    regions: dict[str, Region]

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> LandmarksFile:
        uv_curves = [n for n, c in self.curves.items() if c.method == "ilium_uv"]
        for name, region in self.regions.items():
            for i, part in enumerate(region.parts):
                for j, item in enumerate(part.polygon if isinstance(part, IliumPolygon) else ()):
                    if isinstance(item, str) and item.lstrip("-") not in uv_curves:
                        hint = f"unknown ilium_uv curve {item!r}{did_you_mean(item.lstrip('-'), uv_curves)}"
                        raise Problem(hint, "regions", name, "parts", i, "polygon", j, value=item)
        kb = (info.context or {}).get("structures")
        if kb is not None:
            for kind, table in (("point", self.points), ("curve", self.curves), ("region", self.regions)):
                _in_knowledge_base(kb, kind, table)
        return self


def _in_knowledge_base(kb: Mapping[str, Any], kind: str, table: Mapping[str, Any]) -> None:
    known = [n for n, e in kb.items() if e["kind"] == kind]
    for name in table:
        if name not in known:
            hint = f"{name!r} is not a {kind} of structures.toml{did_you_mean(name, known)}; add it there first"
            raise Problem(hint, f"{kind}s", name)


def landmark_definitions(path: str | Path | None = None) -> LandmarksFile:
    """The checked ``data/landmarks.toml`` (or the file at ``path``).

    Raises
    ------
    LandmarkDataError
        One line naming the file, the field, its line and the fix.
    """
    return read_data(LandmarksFile, "landmarks.toml", path, LandmarkDataError, context={"structures": knowledge_base()})


def landmark_names() -> dict[str, str]:
    """Sideless landmark name to its kind (``"point"``, ``"curve"`` or ``"region"``), in file order."""
    defs = _packaged()
    return {**dict.fromkeys(defs.points, "point"), **dict.fromkeys(defs.curves, "curve"),
            **dict.fromkeys(defs.regions, "region")}  # fmt: skip


def region_names() -> tuple[str, ...]:
    """The sideless names of the regions, in file order."""
    return tuple(_packaged().regions)


@cache
def _packaged() -> LandmarksFile:
    return landmark_definitions()
