"""The info card of a clicked structure: its key facts from the knowledge base.

Origin, insertion, innervation, blood supply, action and one clinical note for a muscle; for a
nerve or an artery the same questions answered in its own terms (roots or parent artery,
course, what it supplies); for a bone its Latin name and ontology ID.  The text comes from
``src/glute3d/data/structures.toml`` through :func:`glute3d.facts`, never from here.

Examples
--------
>>> card = info_card("gluteus_minimus_r")
>>> card.title
'Gluteus minimus, right'
>>> dict(card.rows)["Innervation"]
'Superior gluteal nerve (L4, L5, S1)'
>>> info_card("gluteus_minimus_anterior_r").rows == card.rows   # a part: its muscle's facts
True
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from glute3d.anatomy.knowledge import UnknownStructureError, facts
from glute3d.sides import split_side

__all__ = ["InfoCard", "info_card"]

_PART_WORDS = ("anterior", "middle", "posterior", "superior", "inferior")


@dataclass(frozen=True)
class InfoCard:
    """What the viewer shows about a structure: a title, its Latin name, and labelled facts."""

    name: str
    title: str
    latin: str
    rows: tuple[tuple[str, str], ...]

    def text(self, width: int = 60) -> str:
        """The card as wrapped plain text (title, Latin name, one paragraph per fact)."""
        lines = [self.title]
        if self.latin:
            lines.append(f"({self.latin})")
        for label, value in self.rows:
            lines.extend(textwrap.wrap(f"{label}: {value}", width, subsequent_indent="  "))
        return "\n".join(lines)


def _words(name: str) -> str:
    return name.replace("_", " ")


def _cap(text: str) -> str:
    """``text`` with its first letter upper case (the rest kept: root names stay 'L4')."""
    return text[:1].upper() + text[1:]


def _first(entries: Any) -> Mapping[str, Any] | None:
    if isinstance(entries, Mapping):
        return entries
    items = list(entries or ())
    return items[0] if items else None


def _texts(entries: Any, key: str = "text") -> str:
    items = [entries] if isinstance(entries, Mapping) else list(entries or ())
    return " ".join(str(e[key]) for e in items if isinstance(e, Mapping) and e.get(key))


def _nerve(inn: Mapping[str, Any] | None) -> str:
    if not inn:
        return ""
    roots = ", ".join(inn.get("roots", ()))
    nerve = _cap(_words(str(inn.get("nerve", ""))))
    return f"{nerve} ({roots})" if roots else nerve


def _supply(entries: Iterable[Mapping[str, Any]] | None) -> str:
    parts = []
    for e in entries or ():
        source = _words(str(e.get("source", "")))
        parts.append(f"{source}, {e['branch']}" if e.get("branch") else source)
    return _cap("; ".join(p for p in parts if p))


def _action(entries: Iterable[Mapping[str, Any]], most: int = 4) -> str:
    """The whole muscle's actions in any position first, then the others, ``most`` of them."""
    ranked = sorted(entries, key=lambda e: (e.get("part", "whole") != "whole", e.get("position") not in (None, "any")))
    out: list[str] = []
    for e in ranked:
        what = _words(str(e.get("movement", "")))
        if e.get("part", "whole") != "whole":
            part = str(e["part"])
            what += f" ({part})" if part.endswith("fibres") else f" ({part} fibres)"
        elif e.get("position") not in (None, "any"):
            what += f" ({e['position']})"
        if what not in out and len(out) < most:
            out.append(what)
    return _cap("; ".join(out))


def _clinical(entries: Any) -> str:
    first = _first(entries)
    return str(first.get("note", "")) if first else ""


def _muscle_rows(d: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Origin", _texts(_first(d.get("origin")))),
        ("Insertion", _texts(_first(d.get("insertion")))),
        ("Innervation", _nerve(d.get("innervation"))),
        ("Blood supply", _supply(d.get("blood_supply"))),
        ("Action", _action(d.get("actions", ()))),
        ("Clinical", _clinical(d.get("clinical"))),
    ]


def _path_rows(d: Mapping[str, Any]) -> list[tuple[str, str]]:
    origin = d.get("origin") or {}
    if "roots" in origin:
        start = _cap(f"{_words(str(origin.get('plexus', 'plexus')))} ({', '.join(origin['roots'])})")
    else:
        start = str(origin.get("text") or _words(str(origin.get("parent_artery", ""))))
    supplies = d.get("supplies") or {}
    muscles = ", ".join(_words(m) for m in supplies.get("muscles", ()))
    if not muscles:
        muscles = "; ".join(
            f"{b['name']}: {', '.join(_words(m) for m in b.get('supplies', ()))}"
            for b in d.get("branches", ())
            if b.get("supplies")
        )
    return [
        ("Origin", start),
        ("Course", _texts(_first(d.get("course")))),
        ("Supplies", muscles),
        ("Clinical", _clinical(d.get("clinical"))),
    ]


def info_card(name: str) -> InfoCard:
    """The info card of drawn structure ``name`` (a muscle part gets its muscle's facts).

    Raises
    ------
    KeyError
        A name neither the knowledge base nor the muscle parts know.
    """
    if name == "skin":
        return InfoCard(name, "Skin", "Cutis", (("Layer", "The outermost layer, drawn translucent over the muscles."),))
    base, side = split_side(name)
    try:
        shown = facts(name)
    except UnknownStructureError:
        shown = None
    muscle, _, part = base.rpartition("_")
    if (shown is None or shown.kind == "muscle_part") and part in _PART_WORDS and muscle:
        f = facts(f"{muscle}_{side}" if side else muscle)  # a part: its muscle's facts
        title = shown.display if shown is not None else f"{f.display} ({part} part)"
    elif shown is None:
        raise UnknownStructureError(name)
    else:
        f, title = shown, shown.display
    d = f.data
    rows = _muscle_rows(d) if f.kind == "muscle" else _path_rows(d) if f.kind in ("nerve", "artery") else []
    if not rows:
        rows = [("Kind", f.kind), ("Ontology", " / ".join(i for i in (f.fma, f.uberon) if i))]
    latin = shown.latin if shown is not None else f.latin
    return InfoCard(name, title, latin, tuple((k, v) for k, v in rows if v))
