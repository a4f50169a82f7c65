"""The data model of ``data/paths.toml``: how each nerve and artery runs, by names only.

A path has a kind and branches evaluated in order; each branch is a smooth curve through
waypoints.  A waypoint is one of five kinds, told apart by its key (``landmarks``,
``border``, ``muscle``, ``between``, ``shaft``), each with its own fields (see the comments
in the file).  A path may have anatomical variants, switched by name (its ``switch``).
Names are checked against the other data files: landmark points against
``landmarks.toml``, muscles against ``muscles.toml``, paths against ``structures.toml``.

Examples
--------
>>> specs = path_specs()
>>> [b.name for b in specs["superior_gluteal_nerve"].branches]
['trunk', 'superior_branch', 'inferior_branch']
>>> VARIANTS["sciatic"]
('sciatic_nerve', ('normal', 'fibular_pierces_piriformis'))
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, RootModel, ValidationInfo, model_validator

from glute3d.anatomy.knowledge import knowledge_base
from glute3d.anatomy.landmark_defs import landmark_names
from glute3d.anatomy.muscles.specs import MUSCLE_NAMES
from glute3d.anatomy.slips import SLIP_VARIANTS
from glute3d.errors import DataFileError, did_you_mean
from glute3d.io.datafiles import read_data
from glute3d.io.validation import Problem, StrictTable

__all__ = [
    "PATH_NAMES",
    "VARIANTS",
    "BranchSpec",
    "PathDataError",
    "PathSpec",
    "PathsFile",
    "VariantSpec",
    "WaypointSpec",
    "check_variants",
    "path_specs",
]

#: Fibre coordinates of a muscle: 0 .. 1 (a little beyond either end is allowed).
Coordinate = Annotated[float, Field(ge=-0.5, le=1.5)]
Weights = Annotated[dict[str, Annotated[float, Field(gt=0.0)]], Field(min_length=1)]
Vec3 = tuple[float, float, float]

#: The kinds of waypoint (the key that names one), and the fields each needs and allows.
_COMMON = frozenset({"exit", "plane", "rest"})
WAYPOINT_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "landmarks": (frozenset({"landmarks"}), frozenset({"offset", "frame"}) | _COMMON),
    "border": (frozenset({"border", "q", "near"}), frozenset({"along", "clear"}) | _COMMON),
    "muscle": (frozenset({"muscle", "q"}), frozenset({"s", "near", "along", "depth", "lift"}) | _COMMON),
    "between": (frozenset({"between", "q", "s"}), frozenset({"rest", "exit"})),
    "shaft": (frozenset({"shaft", "below"}), frozenset({"behind", "medial"}) | _COMMON),
}


class PathDataError(DataFileError):
    """``paths.toml`` is wrong: one line naming the file, the path's field, the line and the fix."""

    placeholder = "paths.toml"


class WaypointSpec(StrictTable):
    """One waypoint of a branch; its `kind` is the one of ``WAYPOINT_FIELDS`` whose key it has.

    Which fields a waypoint of each kind needs and allows is checked against the fields the
    file gives; the defaults of the others are never used.
    """

    landmarks: Weights | None = None
    border: str | None = None
    muscle: str | None = None
    between: tuple[str, str] | None = None
    shaft: Literal["femur"] | None = None
    q: Coordinate = 0.0
    s: Coordinate = 0.0
    near: Weights | None = None
    along: float = 0.0
    clear: float = 2.0
    depth: Coordinate = 0.5
    lift: float = 0.0
    offset: Vec3 = (0.0, 0.0, 0.0)
    frame: Literal["auto", "pelvis", "femur"] = "auto"
    below: float = 0.0
    behind: float = 0.0
    medial: float = 0.0
    plane: tuple[str, str] | None = None
    rest: Literal["deep", "superficial"] | None = None
    exit: bool = False

    @property
    def kind(self) -> str:
        """``"landmarks"``, ``"border"``, ``"muscle"``, ``"between"`` or ``"shaft"``."""
        return next(k for k in WAYPOINT_FIELDS if getattr(self, k) is not None)

    @property
    def planar(self) -> tuple[str, str] | None:
        """``[deep muscle or "bone", superficial muscle]`` of the plane the curve is held in, if any."""
        return self.between if self.between is not None else self.plane

    @model_validator(mode="after")
    def _fields_of_kind(self) -> WaypointSpec:
        given = self.model_fields_set
        kinds = [k for k in WAYPOINT_FIELDS if k in given]
        if len(kinds) != 1:
            raise ValueError(f"a waypoint needs exactly one of {', '.join(WAYPOINT_FIELDS)}; got {sorted(given)}")
        kind = kinds[0]
        need, optional = WAYPOINT_FIELDS[kind]
        missing, extra = sorted(need - given), sorted(given - need - optional)
        if missing:
            raise Problem(f"a {kind} waypoint needs {missing[0]!r}", missing[0])
        if extra:
            allowed = ", ".join(sorted(need | optional))
            raise Problem(f"{extra[0]!r} does not apply to a {kind} waypoint (allowed: {allowed})", extra[0])
        if kind == "muscle" and "s" not in given and self.near is None:
            raise Problem("a muscle waypoint needs `s` or `near`", "muscle")
        for key in ("between", "plane"):
            pair = getattr(self, key)
            if pair is not None and pair[1] == "bone":
                raise Problem(f"{key} = {list(pair)} must be [deep muscle or 'bone', superficial muscle]", key, 1)
        if self.between is not None and self.between[0] == "bone":
            raise Problem("a between waypoint lies on the deep muscle: name a muscle, not 'bone'", "between", 0)
        return self


class BranchSpec(StrictTable):
    """How one branch of a path is generated; ``avoid`` and ``under`` default to the path's."""

    name: str
    radius: Annotated[float, Field(ge=0.2, le=15.0)]
    waypoints: Annotated[tuple[WaypointSpec, ...], Field(min_length=1)]
    avoid: tuple[str, ...] | None = None
    under: tuple[str, ...] | None = None
    parent: str | None = None
    start: int = Field(-1, alias="from")  # index of the parent's waypoint the branch leaves at
    risk: bool = True  # counts for needle safety (False: small twigs inside a muscle)


def _branch_problems(branches: tuple[BranchSpec, ...], *where: str) -> None:
    """The first branch starts the path; each later one leaves an earlier branch at one of its waypoints.

    ``where`` is the path from the path's table to ``branches``, for the message.
    """
    names: list[str] = []
    for k, b in enumerate(branches):
        if b.name in names:
            raise Problem(
                f"a second branch named {b.name!r}; give each branch its own name", *where, k, "name", value=b.name
            )
        if k == 0 and b.parent is not None:
            raise Problem(
                "the first branch cannot have a parent; it starts the path", *where, k, "parent", value=b.parent
            )
        if k > 0 and b.parent not in names:
            msg = f"parent = {b.parent!r} must name an earlier branch{did_you_mean(str(b.parent), names)}"
            raise Problem(f"{msg} (earlier: {', '.join(names)})", *where, k, "parent", value=b.parent)
        if b.parent is None and len(b.waypoints) < 2:
            raise Problem(
                f"too few waypoints ({len(b.waypoints)}); a path starts with at least 2", *where, k, "waypoints"
            )
        if b.parent is not None:
            n = len(branches[names.index(b.parent)].waypoints)
            if not -n <= b.start < n:
                raise Problem(f"from = {b.start} is not a waypoint of {b.parent!r} ({n} waypoints)", *where, k, "from")
        names.append(b.name)


class VariantSpec(StrictTable):
    """The branches of a path in one anatomical variant."""

    branches: Annotated[tuple[BranchSpec, ...], Field(min_length=1)]


class PathSpec(StrictTable):
    """One nerve or artery: its kind and branches, and the branches of its variants."""

    kind: Literal["nerve", "artery"]
    avoid: tuple[str, ...] = ()
    under: tuple[str, ...] = ()
    switch: str | None = None
    branches: Annotated[tuple[BranchSpec, ...], Field(min_length=1)]
    variants: dict[str, VariantSpec] = {}
    _name: str = PrivateAttr("")

    @property
    def name(self) -> str:
        """The sideless path name (the table's key)."""
        return self._name

    def scaled(self, factor: float) -> PathSpec:
        """This path for bones ``factor`` times the default adult's size: every length (mm) times
        ``factor``: the branches' radii and the waypoints' offsets, distances and clearances (as
        the muscles' lengths scale; see :meth:`glute3d.anatomy.muscles.specs.MuscleSpec.scaled`).

        Examples
        --------
        >>> spec = path_specs()["sciatic_nerve"]
        >>> spec.scaled(1.2).branches[0].radius == 1.2 * spec.branches[0].radius, spec.scaled(1.2).name
        (True, 'sciatic_nerve')
        """
        if factor == 1.0:
            return self
        f = float(factor)

        def waypoint(w: WaypointSpec) -> WaypointSpec:
            lengths = {k: getattr(w, k) * f for k in ("along", "clear", "lift", "below", "behind", "medial")}
            return w.model_copy(update={**lengths, "offset": (w.offset[0] * f, w.offset[1] * f, w.offset[2] * f)})

        def branches(bs: tuple[BranchSpec, ...]) -> tuple[BranchSpec, ...]:
            return tuple(
                b.model_copy(update={"radius": b.radius * f, "waypoints": tuple(waypoint(w) for w in b.waypoints)})
                for b in bs
            )

        return self.model_copy(
            update={
                "branches": branches(self.branches),
                "variants": {
                    k: v.model_copy(update={"branches": branches(v.branches)}) for k, v in self.variants.items()
                },
            }
        )

    @model_validator(mode="after")
    def _resolved(self) -> PathSpec:
        """Check the branches; branches without their own ``avoid`` / ``under`` take the path's."""
        _branch_problems(self.branches, "branches")
        for v, variant in self.variants.items():
            _branch_problems(variant.branches, "variants", v, "branches")
        if bool(self.variants) != (self.switch is not None):
            raise Problem("a path with variants names the `switch` that chooses them (and only then)", "switch")
        return self.model_copy(
            update={
                "branches": self._inherit(self.branches),
                "variants": {v: VariantSpec(branches=self._inherit(s.branches)) for v, s in self.variants.items()},
            }
        )

    def _inherit(self, branches: tuple[BranchSpec, ...]) -> tuple[BranchSpec, ...]:
        return tuple(
            b.model_copy(update={"avoid": self.avoid if b.avoid is None else b.avoid,
                                 "under": self.under if b.under is None else b.under})
            for b in branches
        )  # fmt: skip

    def branches_of(self, variant: str) -> tuple[BranchSpec, ...]:
        """The branches in ``variant`` (``"normal"``: the usual anatomy)."""
        return self.branches if variant == "normal" else self.variants[variant].branches


class PathsFile(RootModel[dict[str, PathSpec]]):
    """The whole file: sideless path name to spec, in file order.

    With ``context={"landmarks": {name: kind}, "muscles": [...], "structures": <knowledge base>}``
    the names the paths use are checked against those files.
    """

    @model_validator(mode="after")
    def _names(self, info: ValidationInfo) -> PathsFile:
        switches: dict[str, str] = {}
        for name, spec in self.root.items():
            spec._name = name
            if spec.switch is not None and spec.switch in switches:
                msg = f"switch {spec.switch!r} already chooses the variants of {switches[spec.switch]!r}"
                raise Problem(msg, name, "switch", value=spec.switch)
            if spec.switch is not None:
                switches[spec.switch] = name
        ctx = info.context or {}
        for name, spec in self.root.items():
            _check_references(name, spec, ctx)
        return self


def _unknown(what: str, value: str, known: list[str], at: tuple, where: str, key: bool = False) -> Problem:
    return Problem(f"unknown {what} {value!r}{did_you_mean(value, known)} (define it in {where})", *at,
                   value=None if key else value)  # fmt: skip


def _check_references(name: str, spec: PathSpec, ctx: Mapping[str, Any]) -> None:
    """Names of landmarks, muscles and the path itself must be defined in their files."""
    if "structures" in ctx:
        kb = ctx["structures"]
        if kb.get(name, {}).get("kind") != spec.kind:
            known = [n for n, e in kb.items() if e["kind"] == spec.kind]
            raise Problem(f"{name!r} is not a {spec.kind} of structures.toml{did_you_mean(name, known)}", name)
    muscles = list(ctx["muscles"]) if "muscles" in ctx else None
    points = [n for n, k in ctx["landmarks"].items() if k == "point"] if "landmarks" in ctx else None
    for at, value, what in _names_used(name, spec):
        if what == "muscle" and muscles is not None and value not in muscles:
            raise _unknown("muscle", value, muscles, at, "muscles.toml")
        if what == "point" and points is not None and value not in points:
            raise _unknown("point", value, points, at, "landmarks.toml", key=True)


def _names_used(name: str, spec: PathSpec) -> list[tuple[tuple, str, str]]:
    """``(path to the name, name, "muscle" or "point")`` of every name a path uses."""
    out: list[tuple[tuple, str, str]] = []
    for key in ("avoid", "under"):
        out += [((name, key, i), m, "muscle") for i, m in enumerate(getattr(spec, key))]
    tables: list[tuple[tuple[str | int, ...], tuple[BranchSpec, ...]]] = [((name, "branches"), spec.branches)]
    tables += [((name, "variants", v, "branches"), s.branches) for v, s in spec.variants.items()]
    for where, branches in tables:
        for k, b in enumerate(branches):
            for key in ("avoid", "under"):
                out += [((*where, k, key, i), m, "muscle") for i, m in enumerate(getattr(b, key) or ())]
            for i, w in enumerate(b.waypoints):
                here = (*where, k, "waypoints", i)
                out += [((*here, key), getattr(w, key), "muscle") for key in ("border", "muscle") if getattr(w, key)]
                for key in ("between", "plane"):
                    pair = getattr(w, key) or ()
                    out += [((*here, key, j), m, "muscle") for j, m in enumerate(pair) if m != "bone"]
                for key in ("landmarks", "near"):
                    out += [((*here, key, lm), lm, "point") for lm in getattr(w, key) or {}]
    return out


def path_specs(path: str | Path | None = None) -> dict[str, PathSpec]:
    """The path specifications of ``path`` (default: the packaged ``data/paths.toml``), in file order.

    Raises
    ------
    PathDataError
        One line naming the file, the path's field, its line and the fix (closest names for a
        misspelt key or an unknown landmark, muscle or branch).
    """
    return dict(_specs(path) if path is not None else _packaged())


@cache
def _packaged() -> dict[str, PathSpec]:
    return _specs(None)


def _specs(path: str | Path | None) -> dict[str, PathSpec]:
    context = {"landmarks": landmark_names(), "muscles": MUSCLE_NAMES, "structures": knowledge_base()}
    return read_data(PathsFile, "paths.toml", path, PathDataError, context=context).root


def check_variants(variants: Mapping[str, str] | None) -> dict[str, str]:
    """Validate variant switches; return them with the usual anatomy filled in.

    Raises
    ------
    ValueError
        Unknown switch or value; the message names the closest and lists what is allowed.

    Examples
    --------
    >>> check_variants({"sciatic": "fibular_pierces_piriformis"})
    {'sciatic': 'fibular_pierces_piriformis', 'minimus_slip': 'normal'}
    >>> check_variants(None)
    {'sciatic': 'normal', 'minimus_slip': 'normal'}
    """
    out = {k: allowed[0] for k, (_, allowed) in VARIANTS.items()}
    for key, value in (variants or {}).items():
        if key not in VARIANTS:
            raise ValueError(
                f"unknown variant switch {key!r}{did_you_mean(key, VARIANTS)}; known switches: {', '.join(VARIANTS)}"
            )
        allowed = VARIANTS[key][1]
        if value not in allowed:
            raise ValueError(
                f"variant {key} = {value!r} is not one of {list(allowed)}{did_you_mean(str(value), allowed)}"
            )
        out[key] = value
    return out


#: The paths of ``data/paths.toml``, in file order.
PATH_NAMES: tuple[str, ...] = tuple(path_specs())
#: Variant switches: switch name -> (path it changes, allowed values; the first is the usual anatomy).
VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    spec.switch: (name, ("normal", *spec.variants)) for name, spec in path_specs().items() if spec.switch is not None
}
VARIANTS.update(SLIP_VARIANTS)  # the muscle variants (slips of gluteus minimus) switch the same way
