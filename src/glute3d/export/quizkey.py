"""What a quiz asks and answers: each pin's structure, its English and Latin names and one key fact.

The names and facts come from the knowledge base (:func:`glute3d.anatomy.knowledge.facts`);
the English name is the one the label would show in the scene's own picture (its text, or the
structure's name), so a lecturer's wording stays.  Targets the knowledge base does not know
(an injection site, a foramen) keep their label's name, without Latin or fact.

Examples
--------
>>> key_fact("gluteus_medius_r")
'Abduction at the hip; nerve: superior gluteal nerve (L4, L5, S1)'
>>> key_fact("asis_r")
'Front end of the iliac crest; origin of tensor fasciae latae and sartorius.'
>>> key_fact("infrapiriform_foramen_r")
'Passage of the sciatic nerve, inferior gluteal nerve and inferior gluteal artery'
>>> key_fact("ventrogluteal_r")
''
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from glute3d.anatomy.knowledge import UnknownStructureError, facts
from glute3d.export.extras import structure_extras
from glute3d.scene.naming import FORAMEN_TARGETS
from glute3d.sides import split_side

__all__ = [
    "QuizItem",
    "answer_html",
    "answer_lines",
    "answer_markdown",
    "branch_fact",
    "key_fact",
    "latin_name",
    "question_html",
]


@dataclass(frozen=True)
class QuizItem:
    """One pin of a quiz: its number and the answer."""

    number: int
    target: str
    name: str
    latin: str
    fact: str
    visible: bool = True


def _in_sentence(name: str) -> str:
    """A display name inside a sentence: ``Gluteus medius`` -> ``gluteus medius``."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _listed(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = [_in_sentence(str(n)) for n in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _first_text(items: Any) -> str:
    for item in items or ():
        if isinstance(item, Mapping) and item.get("text"):
            return str(item["text"])
    return ""


def _nerve_fact(data: Mapping[str, Any], extras: Mapping[str, Any]) -> str:
    supplies = extras.get("supplies") or []
    if supplies:
        origin = f"; from the {_in_sentence(str(extras['origin'][0]))}" if extras.get("origin") else ""
        return f"Supplies {_listed(supplies)}{origin}"
    return _first_text(data.get("course"))


def key_fact(target: str) -> str:
    """One fact worth knowing about a label's target, from the knowledge base ('' if none).

    A muscle: its chief action and its nerve; a muscle part: its action; a nerve: what it
    supplies (or its course); an artery: its course; a bursa: where it lies; a landmark or
    attachment: its description; a foramen: what passes through it.  Bones and injection
    sites have no single fact in the knowledge base.
    """
    base, _ = split_side(target)
    if base in FORAMEN_TARGETS:  # what the scenes' foramina let through
        return f"Passage of the {_listed([facts(n).display for n in FORAMEN_TARGETS[base][1]])}"
    try:
        f = facts(target)
    except UnknownStructureError:
        return ""
    data, extras = f.data, structure_extras(target)
    if f.kind == "muscle":
        parts = [str(extras["action"][0])] if extras.get("action") else []
        parts += [f"nerve: {_in_sentence(str(extras['innervation']))}"] if extras.get("innervation") else []
        return "; ".join(parts)
    if f.kind == "muscle_part":
        return str(extras["action"][0]) if extras.get("action") else ""
    if f.kind == "nerve":
        return _nerve_fact(data, extras)
    if f.kind == "artery":
        return _first_text(data.get("course")) or _first_text([data.get("origin")])
    if f.kind == "bursa":
        return _first_text(data.get("relations"))
    return str(data.get("description", ""))


def branch_fact(target: str, branch: str) -> str:
    """What a branch of a nerve or artery supplies, from the knowledge base ('' if it says nothing).

    Examples
    --------
    >>> branch_fact("superior_gluteal_nerve_r", "inferior_branch")
    'Supplies gluteus medius, gluteus minimus and tensor fasciae latae'
    """
    try:
        data = facts(target).data
    except UnknownStructureError:
        return ""
    wanted = branch.replace("_", " ")
    for b in data.get("branches", ()):
        if isinstance(b, Mapping) and str(b.get("name", "")) == wanted:
            names = [facts(m).display for m in b.get("supplies", ())]
            if names:
                return f"Supplies {_listed(names)}"
            return str(b.get("text", ""))
    return ""


def latin_name(target: str) -> str:
    """The Terminologia Anatomica (or descriptive Latin) name of a target, '' if unknown.

    Examples
    --------
    >>> latin_name("piriformis_r"), latin_name("upper_outer_quadrant_r")
    ('Musculus piriformis', '')
    """
    try:
        return facts(target).latin
    except UnknownStructureError:
        return ""


def answer_lines(items: Sequence[QuizItem]) -> list[str]:
    """``"3. Gluteus medius (Musculus gluteus medius)"``, one a pin, in number order."""
    return [f"{i.number}. {i.name}" + (f" ({i.latin})" if i.latin else "") for i in sorted(items, key=_num)]


def _num(item: QuizItem) -> int:
    return item.number


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or "–"


def answer_markdown(title: str, items: Sequence[QuizItem], picture: str, version: str) -> str:
    """The answer key as Markdown: a table of number, English name, Latin name and key fact."""
    lines = [
        f"# Answers: {_md_cell(title)}",
        "",
        f"Quiz picture: ![numbered pins]({picture})" if picture else "",
        "",
        f"Version: {version}",
        "",
        "| No. | Structure | Latin name | Key fact |",
        "|---:|---|---|---|",
    ]
    for i in sorted(items, key=_num):
        hidden = " (behind other structures: dashed leader)" if not i.visible else ""
        lines.append(f"| {i.number} | {_md_cell(i.name)}{hidden} | {_md_cell(i.latin)} | {_md_cell(i.fact)} |")
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: "DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", Arial, sans-serif; margin: 2em auto;
       max-width: 60em; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } img { max-width: 100%; max-height: 75vh; border: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; margin-top: 1em; }
th, td { border: 1px solid #bbb; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
th { background: #eee; } td.no { text-align: right; font-weight: bold; width: 3em; }
td.la { font-style: italic; } .note { color: #666; font-size: 0.9em; } td.blank { height: 2.2em; }
@media print { body { margin: 0; } img { max-height: 45vh; } tr { break-inside: avoid; } }
"""


def answer_html(title: str, items: Sequence[QuizItem], picture: str, version: str) -> str:
    """The answer key as one self-contained HTML page (the picture linked beside it), printable."""
    e = html.escape
    rows = []
    for i in sorted(items, key=_num):
        hidden = ' <span class="note">(behind other structures: dashed leader)</span>' if not i.visible else ""
        rows.append(
            f'<tr><td class="no">{i.number}</td><td>{e(i.name)}{hidden}</td>'
            f'<td class="la">{e(i.latin) or "–"}</td><td>{e(i.fact) or "–"}</td></tr>'
        )
    img = f'<p><img src="{e(picture)}" alt="The quiz picture: numbered pins"></p>' if picture else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>Answers: {e(title)}</title>'
        f"<style>{_CSS}</style></head>\n<body>\n<h1>Answers: {e(title)}</h1>\n{img}\n"
        f'<p class="note">Version: {e(version)}</p>\n'
        "<table><thead><tr><th>No.</th><th>Structure</th><th>Latin name</th><th>Key fact</th></tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n</body></html>\n"
    )


def question_html(items: Sequence[QuizItem], picture: str, version: str) -> str:
    """The worksheet: the picture and a blank row to write each pin's English and Latin name in
    (no names and no scene title: they would give the answers away), printable."""
    e = html.escape
    n = len(items)
    heading = f"Name the numbered structures (1–{n})" if n > 1 else "Name the numbered structure"
    rows = [
        f'<tr><td class="no">{i.number}</td><td class="blank"></td><td class="blank"></td></tr>'
        for i in sorted(items, key=_num)
    ]
    img = f'<p><img src="{e(picture)}" alt="Numbered pins on the anatomy"></p>' if picture else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>Quiz: {e(heading)}</title>'
        f"<style>{_CSS}</style></head>\n<body>\n<h1>{e(heading)}</h1>\n{img}\n"
        f'<p class="note">Version: {e(version)}. Name: ______________________</p>\n'
        "<table><thead><tr><th>No.</th><th>Structure</th><th>Latin name</th></tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n</body></html>\n"
    )
