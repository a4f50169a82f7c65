"""The data model of ``data/muscles.toml``: how each muscle is generated from the landmarks.

Tables are read in file order, which is the layer order from deep to superficial; a muscle's
``over`` list names muscles earlier in the file.  Names in the file are checked against the
other data files: origin and insertion regions and waypoint points against
``landmarks.toml``, muscles and their parts against ``structures.toml``.

Examples
--------
>>> specs = muscle_specs()
>>> specs["gluteus_medius"].over
('gluteus_minimus', 'piriformis')
>>> MUSCLE_NAMES[0], MUSCLE_NAMES[-1]
('gluteus_minimus', 'gluteus_maximus')
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    RootModel,
    ValidationInfo,
    field_validator,
    model_validator,
)

from glute3d.anatomy.knowledge import knowledge_base
from glute3d.anatomy.landmark_defs import landmark_names
from glute3d.errors import DataFileError, did_you_mean
from glute3d.io.datafiles import read_data
from glute3d.io.validation import Problem, StrictTable

__all__ = ["MUSCLE_NAMES", "MuscleDataError", "MuscleSpec", "MusclesFile", "Target", "Via", "Waypoint", "muscle_specs"]

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Vec3 = tuple[float, float, float]


class MuscleDataError(DataFileError):
    """``muscles.toml`` is wrong: one line naming the file, the muscle's field, the line and the fix."""

    placeholder = "muscles.toml"


class Target(StrictTable):
    """One insertion target: femur regions (``region``) or a band of the iliotibial tract.

    ``fibres = [q0, q1]``: the fibres whose fraction ``(k + 0.5) / fibres`` lies in
    ``[q0, q1)``; a band lies ``below_gt`` mm below the greater trochanter tip,
    ``lateral`` mm outside the femur and ``anterior`` mm forward.
    """

    fibres: tuple[Fraction, Fraction]
    regions: Annotated[tuple[str, ...], Field(alias="region", min_length=1)] = ()
    band: Literal["iliotibial_tract"] | None = None
    below_gt: tuple[float, float] = (0.0, 0.0)
    lateral: float = 10.0
    anterior: float = 0.0

    @field_validator("fibres")
    @classmethod
    def _range(cls, q: tuple[float, float]) -> tuple[float, float]:
        if not q[0] < q[1]:
            raise ValueError(f"fibres = {list(q)} must be [q0, q1] with 0 <= q0 < q1 <= 1")
        return q

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        if bool(self.regions) == (self.band is not None):
            raise ValueError("give either `region` (femur regions) or `band` (the iliotibial tract), not both")
        if self.band is not None and "below_gt" not in self.model_fields_set:
            raise Problem("a band needs below_gt = [a, b] mm below the greater trochanter tip", "below_gt")
        return self


class Via(StrictTable):
    """A control point at fraction ``t`` of the straight path, ``lift`` mm above what lies beneath."""

    t: Fraction
    lift: float
    hug: bool = False
    offset: Vec3 = (0.0, 0.0, 0.0)
    rise: Annotated[float, Field(ge=0.0)] = 0.0


class Waypoint(StrictTable):
    """A fixed pelvic point the fibres pass through, spread over ``spread`` mm along ``across``."""

    at: Annotated[dict[str, Annotated[float, Field(gt=0.0)]], Field(min_length=1)]
    offset: Vec3 = (0.0, 0.0, 0.0)
    spread: Annotated[float, Field(ge=0.0)] = 0.0
    across: Vec3 = (0.0, 1.0, 0.0)


class MuscleSpec(StrictTable):
    """How one muscle is generated (one table of ``muscles.toml``; see the comments there)."""

    origin: Annotated[tuple[str, ...], Field(min_length=1)]
    insertion: Annotated[tuple[Target, ...], Field(min_length=1)]
    fibres: Annotated[int, Field(ge=2, le=200)]
    samples: Annotated[int, Field(ge=4, le=200)] = 28
    order: Literal["anterior", "superior"] = "anterior"
    fan_center: Literal["insertion", "waypoint"] = "insertion"
    via: tuple[Via, ...] = ()
    waypoints: tuple[Waypoint, ...] = ()
    approach: tuple[float, float] = (0.0, 0.0)
    thickness: Annotated[tuple[tuple[Fraction, Annotated[float, Field(gt=0.0)]], ...], Field(min_length=2)]
    edge: float | tuple[float, float] = 0.3
    clearance: Annotated[float, Field(ge=0.0)] = 0.8
    hug: tuple[Fraction, Fraction, float] | None = None
    over: tuple[str, ...] = ()
    parts: dict[str, tuple[Fraction, Fraction]] = {}
    body: Literal["sheet", "centred"] = "sheet"
    gap: Annotated[float, Field(ge=0.0)] = 1.0
    sampling: Literal["angle", "axis"] = "angle"
    approach_from: Literal["path", "femur"] = "path"
    follow: tuple[Fraction, Fraction] = (0.3, 1.0)
    origin_span: tuple[Fraction, Fraction] = (0.0, 1.0)
    fill: tuple[Fraction, Fraction, Annotated[float, Field(ge=0.0)]] | None = None
    pull: Annotated[float, Field(ge=0.0)] = 25.0
    _name: str = PrivateAttr("")

    @property
    def name(self) -> str:
        """The sideless muscle name (the table's key)."""
        return self._name

    def scaled(self, factor: float) -> MuscleSpec:
        """This spec for bones ``factor`` times the default adult's size: every length (mm) times
        ``factor`` (thicknesses, lifts, offsets, clearances, gaps, tract bands, pulls), so that the
        muscle's volume scales with ``factor`` cubed as the bones' lengths scale with ``factor``.

        Examples
        --------
        >>> spec = muscle_specs()["gluteus_medius"]
        >>> spec.scaled(1.2).thickness[1][1] == 1.2 * spec.thickness[1][1], spec.scaled(1.2).name
        (True, 'gluteus_medius')
        """
        if factor == 1.0:
            return self
        f = float(factor)

        def vec(v: Vec3) -> Vec3:
            return (v[0] * f, v[1] * f, v[2] * f)

        def band(b: tuple[float, float, float] | None) -> tuple[float, float, float] | None:
            return None if b is None else (b[0], b[1], b[2] * f)

        targets = tuple(
            t.model_copy(
                update={"below_gt": (t.below_gt[0] * f, t.below_gt[1] * f), "lateral": t.lateral * f,
                        "anterior": t.anterior * f}
            )
            for t in self.insertion
        )  # fmt: skip
        out = self.model_copy(
            update={
                "insertion": targets,
                "via": tuple(
                    v.model_copy(update={"lift": v.lift * f, "offset": vec(v.offset), "rise": v.rise * f})
                    for v in self.via
                ),
                "waypoints": tuple(
                    w.model_copy(update={"offset": vec(w.offset), "spread": w.spread * f}) for w in self.waypoints
                ),
                "approach": (self.approach[0] * f, self.approach[1] * f),
                "thickness": tuple((k, mm * f) for k, mm in self.thickness),
                "clearance": self.clearance * f,
                "hug": band(self.hug),
                "gap": self.gap * f,
                "fill": band(self.fill),
                "pull": self.pull * f,
            }
        )
        out._name = self._name
        return out

    @field_validator("insertion")
    @classmethod
    def _tile(cls, targets: tuple[Target, ...]) -> tuple[Target, ...]:
        covered = sorted(t.fibres for t in targets)
        if covered[0][0] != 0.0 or covered[-1][1] != 1.0 or any(a[1] != b[0] for a, b in zip(covered, covered[1:])):
            raise ValueError(f"fibre ranges {[list(c) for c in covered]} must tile [0, 1] without gaps or overlaps")
        return targets

    @field_validator("edge")
    @classmethod
    def _edge(cls, v: float | tuple[float, float]) -> float | tuple[float, float]:
        values = v if isinstance(v, tuple) else (v,)
        if not all(0.0 <= x <= 1.0 for x in values):
            raise ValueError(f"edge {v!r} must lie between 0 and 1 (one factor, or [fibre 0's border, the last's])")
        return v

    @field_validator("thickness")
    @classmethod
    def _rising(cls, knots: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        if knots[0][0] != 0.0 or knots[-1][0] != 1.0 or any(b[0] <= a[0] for a, b in zip(knots, knots[1:])):
            raise ValueError(f"the s values {[k[0] for k in knots]} must rise from 0 to 1 ([[s, mm], ...])")
        return knots

    @model_validator(mode="after")
    def _fan_needs_waypoint(self) -> MuscleSpec:
        if self.fan_center == "waypoint" and not self.waypoints:
            raise Problem("fan_center = 'waypoint' needs `waypoints`; add one or use 'insertion'", "fan_center")
        return self


class MusclesFile(RootModel[dict[str, MuscleSpec]]):
    """The whole file: sideless muscle name to spec, deep to superficial.

    With ``context={"landmarks": {name: kind}, "structures": <knowledge base>}`` the names
    the muscles use are checked against those files.
    """

    @model_validator(mode="after")
    def _names(self, info: ValidationInfo) -> MusclesFile:
        earlier: list[str] = []
        for name, spec in self.root.items():
            spec._name = name
            for i, o in enumerate(spec.over):
                if o not in earlier:
                    hint = f"{o!r} must name a muscle defined earlier in the file{did_you_mean(o, earlier)}"
                    raise Problem(f"{hint} (earlier: {', '.join(earlier) or 'none'})", name, "over", i, value=o)
            earlier.append(name)
        ctx = info.context or {}
        if "landmarks" in ctx:
            for name, spec in self.root.items():
                _check_landmarks(name, spec, ctx["landmarks"])
        if "structures" in ctx:
            for name, spec in self.root.items():
                _check_structures(name, spec, ctx["structures"])
        return self


def _unknown(what: str, value: str, known: list[str], *at: str | int, where: str, key: bool = False) -> Problem:
    msg = f"unknown {what} {value!r}{did_you_mean(value, known)} (define it in {where})"
    return Problem(msg, *at, value=None if key else value)


def _check_landmarks(name: str, spec: MuscleSpec, landmarks: Mapping[str, str]) -> None:
    regions = [n for n, k in landmarks.items() if k == "region"]
    points = [n for n, k in landmarks.items() if k == "point"]
    for i, r in enumerate(spec.origin):
        if r not in regions:
            raise _unknown("region", r, regions, name, "origin", i, where="landmarks.toml")
    for i, t in enumerate(spec.insertion):
        for j, r in enumerate(t.regions):
            if r not in regions:
                raise _unknown("region", r, regions, name, "insertion", i, "region", j, where="landmarks.toml")
    for i, w in enumerate(spec.waypoints):
        for lm in w.at:
            if lm not in points:
                raise _unknown("point", lm, points, name, "waypoints", i, "at", lm, where="landmarks.toml", key=True)


def _check_structures(name: str, spec: MuscleSpec, kb: Mapping[str, Any]) -> None:
    muscles = [n for n, e in kb.items() if e["kind"] == "muscle"]
    if name not in muscles:
        raise _unknown("muscle", name, muscles, name, where="structures.toml", key=True)
    parts = [n for n, e in kb.items() if e["kind"] == "muscle_part" and e.get("parent") == name]
    for part in spec.parts:
        if f"{name}_{part}" not in parts:
            known = [p.removeprefix(f"{name}_") for p in parts]
            raise _unknown(f"part of {name}", part, known, name, "parts", part, where="structures.toml", key=True)


def muscle_specs(path: str | Path | None = None) -> dict[str, MuscleSpec]:
    """The muscle specifications of ``path`` (default: the packaged ``data/muscles.toml``), in file order.

    Raises
    ------
    MuscleDataError
        One line naming the file, the muscle's field, its line and the fix (closest names for a
        misspelt key or an unknown landmark, muscle or part).
    """
    return dict(_specs(path) if path is not None else _packaged())


@cache
def _packaged() -> dict[str, MuscleSpec]:
    return _specs(None)


def _specs(path: str | Path | None) -> dict[str, MuscleSpec]:
    context = {"landmarks": landmark_names(), "structures": knowledge_base()}
    return read_data(MusclesFile, "muscles.toml", path, MuscleDataError, context=context).root


#: The muscles of ``data/muscles.toml``, in file (layer) order, deep to superficial.
MUSCLE_NAMES: tuple[str, ...] = tuple(muscle_specs())
