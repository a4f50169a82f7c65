"""The viewer's layers: which layer each drawn structure belongs to, and the order they peel in.

A lecturer peels the buttock from the outside in: skin, gluteus maximus, gluteus medius,
gluteus minimus, down to the bone (`PEEL_ORDER`).  Every other structure falls into a layer by
its kind (other muscles, nerves, arteries, ...), so structures that later data adds get a layer
of their own without a change here.  Pure Python: nothing here draws.

Examples
--------
>>> layer_of("gluteus_medius_posterior_r", "muscle_part")
'gluteus_medius'
>>> layer_of("piriformis_l", "muscle"), layer_of("sciatic_nerve_r", "nerve")
('other_muscles', 'nerves')
>>> [g.key for g in group_layers({"skin": "skin", "femur_r": "bone", "gluteus_maximus_r": "muscle"})]
['skin', 'gluteus_maximus', 'bone']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["LAYER_TITLES", "PEEL_ORDER", "ViewerLayer", "group_layers", "layer_of"]

#: Layers removed one after another by the peel control, outside in; the last one stays.
PEEL_ORDER: tuple[str, ...] = ("skin", "gluteus_maximus", "gluteus_medius", "gluteus_minimus", "bone")

#: Panel titles of the layers, in the panel's order (superficial first).
LAYER_TITLES: dict[str, str] = {
    "skin": "Skin",
    "gluteus_maximus": "Gluteus maximus",
    "gluteus_medius": "Gluteus medius",
    "gluteus_minimus": "Gluteus minimus",
    "other_muscles": "Other muscles",
    "nerves": "Nerves",
    "arteries": "Arteries",
    "bone": "Bone",
}

_OWN_LAYER = ("gluteus_maximus", "gluteus_medius", "gluteus_minimus")
_BY_KIND = {"skin": "skin", "bone": "bone", "nerve": "nerves", "artery": "arteries", "muscle": "other_muscles"}


def layer_of(name: str, kind: str) -> str:
    """The viewer layer of structure ``name`` of ``kind`` (a kind the viewer does not know: its own layer)."""
    for muscle in _OWN_LAYER:
        if name.startswith(muscle + "_"):
            return muscle
    if kind == "muscle_part":
        return "other_muscles"
    return _BY_KIND.get(kind, kind)


@dataclass
class ViewerLayer:
    """One row of the layer panel: its structures, whether it is shown and how opaque."""

    key: str
    title: str
    structures: list[str] = field(default_factory=list)
    visible: bool = True
    opacity: float | None = None  # None: each structure's own (the scene's or its style's)


def group_layers(kinds: Mapping[str, str]) -> list[ViewerLayer]:
    """The layers of the drawn structures (name to kind), in the panel's order; empty layers left out."""
    groups: dict[str, ViewerLayer] = {}
    for name, kind in kinds.items():
        key = layer_of(name, kind)
        if key not in groups:
            groups[key] = ViewerLayer(key, LAYER_TITLES.get(key, key.replace("_", " ").capitalize()))
        groups[key].structures.append(name)
    order = list(LAYER_TITLES)
    return sorted(groups.values(), key=lambda g: order.index(g.key) if g.key in order else len(order))
