"""The data model of ``data/structures.toml``, the knowledge base, and its validation.

Every entry is a table keyed by its sideless snake_case name with ``display``, ``latin``,
``kind`` and ``sided``, optional verified ontology IDs and tables of sourced facts.  Every
``seed`` is ``"textbook"`` or the stem of a seed article, every ``seeds`` a non-empty list of
them.  References between entries are checked too: a muscle part names a muscle as its
``parent``, a landmark names a bone (and, for an attachment region, a muscle and a role),
an attachment names a bone and a region.

Examples
--------
>>> validate_knowledge_base({"foo": {"display": "Foo", "latin": "Foo", "kind": "organ", "sided": True}})
Traceback (most recent call last):
...
glute3d.anatomy.structures.KnowledgeBaseError: structures.toml: foo.kind: invalid value 'organ' (choose from: ...)
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    RootModel,
    StrictBool,
    StrictStr,
    Tag,
    ValidationInfo,
    model_validator,
)

from glute3d.errors import DataFileError, did_you_mean
from glute3d.io.validation import Problem, StrictTable, validate
from glute3d.sides import split_side

__all__ = [
    "KINDS",
    "SEED_STEMS",
    "TEXTBOOK",
    "Entry",
    "KnowledgeBaseError",
    "StructuresFile",
    "validate_knowledge_base",
]

#: File stems of the source articles (``shared/seeds/<stem>.txt``) that facts may cite.
SEED_STEMS: frozenset[str] = frozenset(
    {
        "000_d96ae1d9757d6593",
        "001_0fb2a4669723e5ee",
        "002_c1c5c4081107998f",
        "003_0762d5fee89b60f3",
        "004_edda6e1099886d77",
    }
)

#: Citation for standard anatomy that no seed article states.
TEXTBOOK = "textbook"

Kind = Literal["bone", "muscle", "muscle_part", "nerve", "artery", "bursa", "fascia", "point", "curve", "region"]
#: Allowed values of an entry's ``kind``.
KINDS: frozenset[str] = frozenset(typing.get_args(Kind))

_LANDMARK_KINDS = frozenset({"point", "curve", "region"})
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_FILE = "structures.toml"


class KnowledgeBaseError(DataFileError):
    """``structures.toml`` breaks a rule: one line naming the file, the entry's field, the line and the fix."""

    placeholder = _FILE


# =============================================================================== citations and IDs
def _seed(value: str) -> str:
    if value != TEXTBOOK and value not in SEED_STEMS:
        stems = sorted(SEED_STEMS)
        raise ValueError(
            f"seed {value!r} is not {TEXTBOOK!r} or one of the seed stems{did_you_mean(value, [TEXTBOOK, *stems])}; "
            f"cite {TEXTBOOK!r} or one of {', '.join(stems)}"
        )
    return value


def _seeds(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("seeds must be a non-empty list of seed stems (or use `seed` for one)")
    return value


def _id_check(prefix: str, pattern: str, example: str) -> Callable[[str], str]:
    """A validator of ontology IDs of one kind."""
    rx = re.compile(pattern)

    def check(value: str) -> str:
        if not rx.match(value):
            raise ValueError(f"malformed {prefix} ID {value!r}; write it like {example!r}")
        return value

    return check


Seed = Annotated[StrictStr, AfterValidator(_seed)]
Seeds = Annotated[list[Seed], AfterValidator(_seeds)]
FmaId = Annotated[StrictStr, AfterValidator(_id_check("FMA", r"^FMA:\d+$", "FMA:22317"))]
UberonId = Annotated[StrictStr, AfterValidator(_id_check("Uberon", r"^UBERON:\d{7}$", "UBERON:0008521"))]


class Cited(StrictTable):
    """A table that may cite its sources (``seed`` or ``seeds``)."""

    seed: Seed | None = None
    seeds: Seeds | None = None


# =============================================================================== fact tables
class Note(Cited):
    """A sourced statement (``features``, ``relations``, ``variants``)."""

    text: str
    name: str | None = None


class Course(Cited):
    """A stretch of a nerve's or artery's course; ``exit`` names the foramen it leaves by."""

    text: str
    exit: Literal["suprapiriform", "infrapiriform"] | None = None


class Attachment(Cited):
    """An origin or insertion: text, and the bone and landmark region it lies on."""

    text: str | None = None
    bone: str | None = None
    region: str | None = None
    roots: list[str] | None = None
    plexus: str | None = None
    parent_artery: str | None = None


class Innervation(Cited):
    nerve: str
    roots: list[str]
    plexus: str
    note: str | None = None


class Supply(Cited):
    source: str
    branch: str | None = None
    members: list[str] | None = None
    note: str | None = None


class Action(Cited):
    movement: str
    joint: str
    part: str
    position: str
    note: str | None = None


class Synergist(Cited):
    name: str
    context: str


class Antagonist(Cited):
    name: str
    opposes: str
    members: list[str] | None = None
    note: str | None = None


class Clinical(Cited):
    topic: str
    note: str


class BranchFact(Cited):
    name: str
    text: str
    supplies: list[str] | None = None


class Supplies(Cited):
    muscles: list[str]


class Division(Cited):
    name: str
    branch: str
    text: str


class Anastomosis(Cited):
    name: str
    text: str


def _list_or_table(value: Any) -> str:
    return "list" if isinstance(value, list) else "table"


#: A muscle has a list of origins, a nerve or an artery one origin table.
Origins = Annotated[
    Annotated[list[Attachment], Tag("list")] | Annotated[Attachment, Tag("table")],
    Discriminator(_list_or_table),
]


# =============================================================================== entries
class Entry(Cited):
    """One structure of the knowledge base (sideless)."""

    display: StrictStr
    latin: StrictStr
    kind: Kind
    sided: StrictBool
    latin_source: Literal["descriptive"] | None = None
    fma: FmaId | None = None
    uberon: UberonId | None = None
    abbreviation: str | None = None
    description: str | None = None
    bone: str | None = None
    also_on: list[str] | None = None
    surface: str | None = None
    muscle: str | None = None
    role: Literal["origin", "insertion"] | None = None
    parent: str | None = None
    features: list[Note] | None = None
    origin: Origins | None = None
    insertion: list[Attachment] | None = None
    innervation: Innervation | None = None
    blood_supply: list[Supply] | None = None
    actions: list[Action] | None = None
    synergists: list[Synergist] | None = None
    antagonists: list[Antagonist] | None = None
    relations: list[Note] | None = None
    variants: list[Note] | None = None
    clinical: list[Clinical] | None = None
    course: list[Course] | None = None
    branches: list[BranchFact] | None = None
    supplies: Supplies | None = None
    divisions: list[Division] | None = None
    anastomoses: list[Anastomosis] | None = None

    @model_validator(mode="after")
    def _kind_rules(self) -> Entry:
        if self.kind == "muscle_part" and self.parent is None:
            raise Problem("a muscle part names its muscle: add parent = '<muscle>'", "parent")
        if self.kind in _LANDMARK_KINDS and self.bone is None:
            raise Problem(f"a {self.kind} landmark names the bone it lies on: add bone = '<bone>'", "bone")
        if (self.muscle is None) != (self.role is None):
            missing = "role" if self.role is None else "muscle"
            raise Problem(f"an attachment region names both its muscle and its role: add {missing}", missing)
        return self


class StructuresFile(RootModel[dict[str, Entry]]):
    """The whole knowledge base: sideless name to entry, in file order."""

    @model_validator(mode="after")
    def _names_and_references(self, info: ValidationInfo) -> StructuresFile:
        for name in self.root:
            if not _NAME_RE.match(name):
                raise Problem("names must be lower-case snake_case, e.g. 'gluteus_minimus'", name)
            if split_side(name)[1] is not None:
                raise Problem(
                    f"write the sideless name {split_side(name)[0]!r}; sides '_r'/'_l' are added by code", name
                )
        for name, entry in self.root.items():
            _check_references(self.root, name, entry)
        return self


def _check_references(kb: Mapping[str, Entry], name: str, entry: Entry) -> None:
    """Names of other entries in ``entry`` must be entries of the right kind."""

    def need(kind: str, value: str | None, *at: str | int) -> None:
        if value is None:
            return
        target = kb.get(value)
        if target is None or target.kind != kind:
            known = [n for n, e in kb.items() if e.kind == kind]
            raise Problem(f"{value!r} is not a {kind} entry{did_you_mean(value, known)}", name, *at, value=value)

    if entry.kind == "muscle_part":
        need("muscle", entry.parent, "parent")
    need("bone", entry.bone, "bone")
    for i, bone in enumerate(entry.also_on or ()):
        need("bone", bone, "also_on", i)
    need("muscle", entry.muscle, "muscle")
    origins = entry.origin if isinstance(entry.origin, list) else []
    for field, tables in (("origin", origins), ("insertion", entry.insertion or [])):
        for i, table in enumerate(tables):
            need("bone", table.bone, field, i, "bone")
            need("region", table.region, field, i, "region")


def validate_knowledge_base(
    data: Mapping[str, Any], *, source: str | Path | None = _FILE, text: str | None = None
) -> None:
    """Check a parsed knowledge base; raise on the first problem found.

    Parameters
    ----------
    data : mapping
        The parsed TOML document, entry name to entry table.
    source : str or pathlib.Path, optional
        The file, for the message.
    text : str, optional
        The file's text, for the line of the problem.

    Raises
    ------
    KnowledgeBaseError
        One line naming the file, the entry and its field, the line and the fix.
    """
    validate(StructuresFile, _plain(data), source, text, KnowledgeBaseError)


def _plain(value: Any) -> Any:
    """Plain dicts and lists of a (possibly read-only) parsed document."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
