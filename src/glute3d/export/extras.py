"""What a 3D model tells about each of its structures: names, ontology IDs and key facts as plain JSON.

:func:`structure_extras` turns the knowledge base's entry of a structure
(:func:`glute3d.anatomy.knowledge.facts`) into the ``extras`` of its glTF node: the English
and Latin names, the FMA and UBERON IDs, and origin, insertion, innervation, action, blood
supply and the muscles a nerve supplies, each as short sentences a viewer can show.

Examples
--------
>>> e = structure_extras("gluteus_medius_r")
>>> e["display"], e["latin"], e["fma"]
('Gluteus medius, right', 'Musculus gluteus medius', 'FMA:22315')
>>> e["innervation"]
'Superior gluteal nerve (L4, L5, S1)'
>>> structure_extras("skin")["display"]
'Skin'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glute3d.anatomy.knowledge import UnknownStructureError, facts
from glute3d.scene.naming import display_name

__all__ = ["structure_extras"]


def _words(token: str) -> str:
    """A knowledge-base token in words: ``internal_rotation`` -> ``internal rotation``."""
    return str(token).replace("_", " ")


def _name_of(base: str) -> str:
    """The display name of a sideless knowledge-base name, else the name in words."""
    try:
        return facts(base).display
    except UnknownStructureError:
        return _words(base).capitalize()


def _roots(table: Mapping[str, Any]) -> str:
    roots = table.get("roots") or ()
    return f" ({', '.join(roots)})" if roots else ""


def _origin(value: Any) -> list[str]:
    """Origins as sentences: attachments (muscles), a plexus and roots (nerves), a parent artery."""
    if isinstance(value, Mapping):
        if value.get("text"):
            return [str(value["text"])]
        if value.get("plexus"):
            return [f"{_words(value['plexus']).capitalize()}{_roots(value)}"]
        return []
    return [str(v["text"]) for v in value or () if isinstance(v, Mapping) and v.get("text")]


def _action(a: Mapping[str, Any]) -> str:
    """``Internal rotation at the hip (anterior part; hip flexed)``."""
    text = f"{_words(a.get('movement', '')).capitalize()} at the {_words(a.get('joint', 'hip'))}"
    when = []
    if a.get("part") not in (None, "whole"):
        when.append(f"{_words(a['part'])} part")
    if a.get("position") not in (None, "any"):
        when.append(_words(a["position"]))
    return text + (f" ({'; '.join(when)})" if when else "")


def _blood(b: Mapping[str, Any]) -> str:
    branch = f" ({b['branch']})" if b.get("branch") else ""
    return f"{_name_of(str(b.get('source', '')))}{branch}"


def _facts(data: Mapping[str, Any], parent: Mapping[str, Any] | None) -> dict[str, Any]:
    """The key facts of an entry; a muscle part takes its muscle's innervation."""
    out: dict[str, Any] = {}
    origin = _origin(data.get("origin"))
    if origin:
        out["origin"] = origin
    insertion = _origin(data.get("insertion"))
    if insertion:
        out["insertion"] = insertion
    nerve = data.get("innervation") or (parent or {}).get("innervation")
    if nerve:
        out["innervation"] = f"{_name_of(nerve['nerve'])}{_roots(nerve)}"
    actions = list(dict.fromkeys(_action(a) for a in data.get("actions", ())))
    if actions:
        out["action"] = actions
    blood = list(dict.fromkeys(_blood(b) for b in data.get("blood_supply", ()) if b.get("source")))
    if blood:
        out["blood_supply"] = blood
    supplies = data.get("supplies")
    if isinstance(supplies, Mapping) and supplies.get("muscles"):
        out["supplies"] = [_name_of(m) for m in supplies["muscles"]]
    return out


def structure_extras(name: str) -> dict[str, Any]:
    """The ``extras`` of a structure's node: names, IDs and key facts (JSON-able, in a fixed order).

    Parameters
    ----------
    name : str
        A structure of the model (``gluteus_medius_r``); one the knowledge base does not know
        (the skin) gets its name in words only.

    Returns
    -------
    dict
        ``name``, ``display``, then for structures of the knowledge base ``latin``, ``kind``,
        ``fma`` and ``uberon`` (``None`` where no ID is verified), ``part_of`` for a muscle
        part, and those of ``origin``, ``insertion``, ``innervation``, ``action``,
        ``blood_supply`` and ``supplies`` it has (lists of sentences, innervation one).
    """
    try:
        f = facts(name)
    except UnknownStructureError:
        return {"name": name, "display": display_name(name)}
    out: dict[str, Any] = {"name": name, "display": f.display, "latin": f.latin, "kind": f.kind}
    out["fma"], out["uberon"] = f.fma, f.uberon
    parent = None
    if f.data.get("parent"):
        parent = facts(f.data["parent"]).data
        out["part_of"] = _name_of(f.data["parent"])
    out.update(_facts(f.data, parent))
    return out
