"""The handout: every scene of a folder as an A4 page of a PDF, with the key facts of what it shows.

:func:`handout_scene` renders one scene without its title and caption bands (the page sets them
as text) and gathers the key facts of its highlighted structures (or, in a scene that
highlights nothing, of the structures and landmarks its labels name) from the knowledge base:
origin, insertion, innervation, blood supply, action, course, what a nerve supplies, a
landmark's description and one clinical note, where the knowledge base has them.
:mod:`glute3d.export.handout_pdf` lays the pages out and writes the file atomically.

Examples
--------
>>> [label for label, _ in structure_facts("gluteus_medius_r")]
['Origin', 'Insertion', 'Innervation', 'Blood supply', 'Action', 'Clinical note']
>>> structure_facts("asis_r")
[('Description', 'Front end of the iliac crest; origin of tensor fasciae latae and sartorius.')]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glute3d.anatomy.knowledge import UnknownStructureError, facts
from glute3d.export.errors import ExportError
from glute3d.export.extras import structure_extras
from glute3d.export.slides import trim_picture

__all__ = [
    "HANDOUT_SIZE",
    "MAX_STRUCTURES",
    "FactSheet",
    "HandoutScene",
    "handout_scene",
    "handout_scenes",
    "scene_files",
    "structure_facts",
]

#: The pictures' size: 16:9, about 270 dpi across the 180 mm of an A4 page's text width.
HANDOUT_SIZE = (1920, 1080)
#: Structures with facts on one scene's page at most (the first highlighted or labelled ones).
MAX_STRUCTURES = 10
_MAX_ACTIONS = 6


@dataclass(frozen=True)
class FactSheet:
    """A structure's names and its key facts as ``(label, text)`` rows."""

    name: str
    display: str
    latin: str
    rows: tuple[tuple[str, str], ...]


@dataclass
class HandoutScene:
    """One scene of the handout: its picture (without title and caption), texts and fact sheets."""

    source: str
    title: str
    caption: str
    image: np.ndarray
    sheets: list[FactSheet]
    warnings: list[str] = field(default_factory=list)


def _joined(items: Any, limit: int = 99) -> str:
    """Items in one line: sentences one after the other, phrases separated by semicolons."""
    values = [str(v).strip() for v in (items if isinstance(items, list | tuple) else [items]) if v][:limit]
    out = ""
    for v in values:
        out += v if not out else (" " if out.endswith((".", "!", "?")) else "; ") + v
    return out


def _first(data: Mapping[str, Any], key: str, field_name: str) -> str:
    for item in data.get(key, ()) or ():
        if isinstance(item, Mapping) and item.get(field_name):
            return str(item[field_name])
    return ""


def _merged_actions(actions: list[str]) -> list[str]:
    """Actions without the qualified repeats of one that holds in any position.

    Examples
    --------
    >>> _merged_actions(
    ...     ["Abduction at the hip", "Abduction at the hip (hip extended)", "Flexion at the hip (hip flexed)"])
    ['Abduction at the hip', 'Flexion at the hip (hip flexed)']
    """
    plain = {a for a in actions if "(" not in a}
    return [a for a in actions if "(" not in a or a.split(" (")[0] not in plain]


def structure_facts(name: str) -> list[tuple[str, str]]:
    """The key facts of a structure or landmark as ``(label, text)`` rows, in a fixed order
    (empty for a name the knowledge base does not know, or knows no facts of)."""
    try:
        f = facts(name)
    except UnknownStructureError:
        return []
    extras = structure_extras(name)
    rows = [
        ("Part of", _joined(extras.get("part_of"))),
        ("Description", str(f.data.get("description", ""))),
        ("Origin", _joined(extras.get("origin"))),
        ("Insertion", _joined(extras.get("insertion"))),
        ("Course", _first(f.data, "course", "text")),
        ("Innervation", _joined(extras.get("innervation"))),
        ("Supplies", ", ".join(extras.get("supplies", []))),
        ("Blood supply", _joined(extras.get("blood_supply"))),
        ("Action", _joined(_merged_actions(extras.get("action", [])), _MAX_ACTIONS)),
        ("Lies", _first(f.data, "relations", "text") if f.kind == "bursa" else ""),
        ("Clinical note", _first(f.data, "clinical", "note")),
    ]
    return [(label, text) for label, text in rows if text]


def _sheet(name: str, both_sides: bool) -> FactSheet | None:
    """The sheet of a structure; of its sideless name when the scene shows both sides."""
    rows = structure_facts(name)
    if not rows:
        return None
    f = facts(name)
    return FactSheet(
        f.base if both_sides else name, facts(f.base).display if both_sides else f.display, f.latin, tuple(rows)
    )


def _bases(names: list[str]) -> dict[str, list[str]]:
    """The names by the knowledge base's sideless name (names it does not know by themselves)."""
    out: dict[str, list[str]] = {}
    for n in names:
        try:
            base = facts(n).base
        except UnknownStructureError:
            base = n
        out.setdefault(base, []).append(n)
    return out


def _shown_sheets(scene: Any, model: Any) -> list[FactSheet]:
    """Sheets of the highlighted structures of a scene, else of its labels' targets, in order:
    one a structure, one for both sides when the scene shows both."""
    res = scene.resolve(model)
    names = [it.name for it in res.items if it.style == "highlight"] or [lab.target for lab in res.labels]
    sheets = []
    for sided in _bases(list(dict.fromkeys(names))).values():
        sheet = _sheet(sided[0], len(sided) > 1)
        if sheet is not None:
            sheets.append(sheet)
    return sheets[:MAX_STRUCTURES]


def handout_scene(
    scene: Any, model: Any, *, size: tuple[int, int] | None = None, anti_aliasing: bool = True
) -> HandoutScene:
    """Render a scene for the handout and collect the fact sheets of what it shows.

    Raises
    ------
    SceneError
        As rendering the scene would.
    """
    from glute3d.render import render

    cached = _cached(model)
    result = render(scene, cached, size=size or HANDOUT_SIZE, anti_aliasing=anti_aliasing, bands=False)
    sheets = _shown_sheets(scene, cached)
    source = scene._source or "scene"
    title = scene.title or Path(source).stem
    return HandoutScene(source, title, scene.caption, trim_picture(result.image), sheets, result.warnings)


def _cached(model: Any) -> Any:
    from glute3d.render import cached_model

    if model is None:
        from glute3d.model.files import load_model

        model = load_model()
    return cached_model(model)


def scene_files(folder: str | Path) -> list[Path]:
    """The scene files of a folder in lecture order (by name).

    Raises
    ------
    ExportError
        Not a folder, or no scene file in it.
    """
    path = Path(folder)
    if not path.is_dir():
        raise ExportError(f"{path}: not a folder of scenes; give the folder that holds the *.toml scene files")
    files = sorted(p for p in path.glob("*.toml") if p.is_file())
    if not files:
        raise ExportError(f"{path}: no scene files (*.toml) in this folder; give the folder of a deck's scenes")
    return files


def handout_scenes(
    files: Sequence[Path],
    model: Any,
    *,
    size: tuple[int, int] | None = None,
    anti_aliasing: bool = True,
    on_error: Callable[[Path, Exception], None] | None = None,
) -> list[HandoutScene]:
    """Each scene file rendered for the handout, in order; a scene that fails is passed to
    ``on_error`` and left out (without ``on_error`` the error is raised)."""
    from glute3d.scene import Scene

    out = []
    for path in files:
        try:
            out.append(handout_scene(Scene.from_file(path), model, size=size, anti_aliasing=anti_aliasing))
        except (ValueError, KeyError) as exc:  # SceneError and the model's one-line errors
            if on_error is None:
                raise
            on_error(path, exc)
    return out
