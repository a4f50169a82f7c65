"""The anatomical knowledge base: canonical names, sides, ontology IDs and sourced facts.

Every structure of the model has one canonical snake_case name. Paired structures are written
once, without a side, in ``data/structures.toml`` and get a ``_r`` / ``_l`` suffix from code;
midline structures (``sacrum``, ``coccyx``, ``gluteal_cleft_top``) have no side.

Every fact in the knowledge base cites where it comes from: a ``seed`` / ``seeds`` key naming
the file stem of one of the project's source articles, or ``"textbook"`` for standard anatomy
that none of them states.

Examples
--------
>>> from glute3d.anatomy import facts
>>> f = facts("gluteus_minimus_r")
>>> f.display
'Gluteus minimus, right'
>>> f.innervation["nerve"], list(f.innervation["roots"])
('superior_gluteal_nerve', ['L4', 'L5', 'S1'])
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from glute3d.anatomy.structures import (
    KINDS,
    SEED_STEMS,
    TEXTBOOK,
    KnowledgeBaseError,
    validate_knowledge_base,
)
from glute3d.errors import close_matches
from glute3d.io.datafiles import data_text, parse_toml
from glute3d.sides import SIDE_WORDS, SIDES, split_side, with_side

__all__ = [
    "KINDS",
    "SEED_STEMS",
    "SIDES",
    "TEXTBOOK",
    "Facts",
    "KnowledgeBaseError",
    "UnknownStructureError",
    "facts",
    "knowledge_base",
    "split_side",
    "structure_names",
    "validate_knowledge_base",
    "with_side",
]

_DATA_FILE = "structures.toml"


class UnknownStructureError(KeyError):
    """A structure name that is not in the knowledge base.

    Parameters
    ----------
    name : str
        The name that was asked for.
    suggestions : sequence of str
        The closest valid names, best first.

    Attributes
    ----------
    name : str
        The name that was asked for.
    suggestions : tuple of str
        The closest valid names, best first (may be empty).
    """

    def __init__(self, name: str, suggestions: tuple[str, ...] | list[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            hint = "did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        else:
            hint = "see glute3d.anatomy.structure_names() for the valid names."
        self.message = f"unknown structure {name!r}; {hint}"
        super().__init__(self.message)

    def __str__(self) -> str:
        # KeyError would print the repr of its argument; show the plain message instead.
        return self.message


def _freeze(value: Any) -> Any:
    """Return a read-only deep copy: tables become mapping proxies, arrays become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """Yield ``(path, key, value)`` for every key of every table nested in `value`."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            sub = f"{path}.{key}"
            yield sub, key, item
            yield from _walk(item, sub)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")


def _collect_seeds(value: Any) -> frozenset[str]:
    """All citation values (``seed`` / ``seeds``) anywhere inside `value`."""
    found: set[str] = set()
    for _, key, item in _walk(value, ""):
        if key == "seed" and isinstance(item, str):
            found.add(item)
        elif key == "seeds" and isinstance(item, list | tuple):
            found.update(s for s in item if isinstance(s, str))
    return frozenset(found)


@functools.cache
def knowledge_base() -> Mapping[str, Mapping[str, Any]]:
    """Load, validate and cache the knowledge base.

    Returns
    -------
    mapping
        Read-only mapping of sideless canonical name to entry (nested read-only mappings and
        tuples), in file order.

    Raises
    ------
    KnowledgeBaseError
        If the data file breaks a rule (see :mod:`glute3d.anatomy.structures`): one line
        naming the file, the entry's field, its line and the fix.
    """
    text = data_text(_DATA_FILE)
    data = parse_toml(text, _DATA_FILE, KnowledgeBaseError)
    validate_knowledge_base(data, source=_DATA_FILE, text=text)
    return _freeze(data)


def structure_names(*, kind: str | None = None, sided_expanded: bool = True) -> list[str]:
    """List the canonical structure names.

    Parameters
    ----------
    kind : str, optional
        Keep only entries of this kind (one of `KINDS`).
    sided_expanded : bool, default True
        Expand each paired structure into its ``_r`` and ``_l`` names; if False, list the
        sideless base names.

    Returns
    -------
    list of str
        Names in knowledge-base order.

    Raises
    ------
    ValueError
        If `kind` is not a known kind.

    Examples
    --------
    >>> structure_names(kind="bone")
    ['hip_bone_r', 'hip_bone_l', 'sacrum', 'coccyx', 'femur_r', 'femur_l']
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {sorted(KINDS)}")
    names: list[str] = []
    for base, entry in knowledge_base().items():
        if kind is not None and entry["kind"] != kind:
            continue
        if sided_expanded and entry["sided"]:
            names.extend(with_side(base, side) for side in SIDES)
        else:
            names.append(base)
    return names


@dataclass(frozen=True)
class Facts:
    """What the knowledge base knows about one structure.

    Attributes
    ----------
    name : str
        The name as asked for (sided or sideless).
    base : str
        The sideless canonical name.
    side : {"r", "l"} or None
        The side, or None for midline structures and sideless requests.
    display : str
        English display name; ``", right"`` / ``", left"`` is appended for a sided name.
    latin : str
        Terminologia Anatomica name (or a descriptive Latin phrase, see ``data["latin_source"]``).
    kind : str
        One of `KINDS`.
    fma, uberon : str or None
        Verified ontology IDs, or None where none was verified.
    data : mapping
        The whole read-only entry.
    """

    name: str
    base: str
    side: str | None
    display: str
    latin: str
    kind: str
    fma: str | None
    uberon: str | None
    data: Mapping[str, Any]

    @property
    def innervation(self) -> Mapping[str, Any] | None:
        """The ``innervation`` table (``nerve``, ``roots``, citations), or None."""
        return self.data.get("innervation")

    @property
    def actions(self) -> tuple[Mapping[str, Any], ...]:
        """The ``actions`` tables (``movement``, ``joint``, ``part``, ``position``, citations)."""
        return tuple(self.data.get("actions", ()))

    @property
    def clinical(self) -> tuple[Mapping[str, Any], ...]:
        """The ``clinical`` tables (``topic``, ``note``, citations)."""
        return tuple(self.data.get("clinical", ()))

    @property
    def seeds(self) -> frozenset[str]:
        """Seed stems cited anywhere in the entry (``"textbook"`` is not a seed and is left out)."""
        return _collect_seeds(self.data) - {TEXTBOOK}


def _suggest(name: str) -> tuple[str, ...]:
    return close_matches(name, structure_names() + structure_names(sided_expanded=False))


@functools.cache
def facts(name: str) -> Facts:
    """Look up a structure.

    Parameters
    ----------
    name : str
        Canonical name, sided (``"gluteus_medius_r"``) or sideless (``"gluteus_medius"``);
        midline structures take no side (``"sacrum"``).

    Returns
    -------
    Facts
        The structure's facts; `Facts.display` names the side for a sided request.

    Raises
    ------
    UnknownStructureError
        If the name is not in the knowledge base, or carries a side the structure cannot have;
        the error suggests the closest valid names.

    Examples
    --------
    >>> facts("gluteus_medius_l").display
    'Gluteus medius, left'
    >>> facts("sacrum").side is None
    True
    """
    kb = knowledge_base()
    if name in kb:
        base, side = name, None
    else:
        base, side = split_side(name)
        if side is None or base not in kb or not kb[base]["sided"]:
            raise UnknownStructureError(name, _suggest(name))
    entry = kb[base]
    display = entry["display"] if side is None else f"{entry['display']}, {SIDE_WORDS[side]}"
    return Facts(
        name=name,
        base=base,
        side=side,
        display=display,
        latin=entry["latin"],
        kind=entry["kind"],
        fma=entry.get("fma"),
        uberon=entry.get("uberon"),
        data=entry,
    )
