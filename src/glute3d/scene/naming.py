"""Names in scenes: display names, the knowledge base's names and kinds, label targets that are not structures.

Examples
--------
>>> display_name("gluteus_minimus_r")
'Gluteus minimus, right'
>>> target_display("suprapiriform_foramen_l")
'Suprapiriform foramen, left'
>>> is_glob("gluteus_*_r"), is_glob("femur_r")
(True, False)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from glute3d.errors import did_you_mean
from glute3d.scene.schema import INJECTION_OVERLAYS, Layer
from glute3d.sides import SIDE_WORDS, split_side, with_side

__all__ = [
    "FORAMEN_TARGETS",
    "INJECTION_TARGETS",
    "LANDMARK_KINDS",
    "base_name",
    "display_name",
    "is_glob",
    "kb_kind",
    "kb_names",
    "layer_title",
    "target_display",
    "unknown_target",
]

#: The injection marks a label can point at (sideless; labels add ``_r``/``_l``): display name,
#: and the injection overlay that draws the mark (``overlays.injection``, with the same side).
INJECTION_TARGETS: dict[str, tuple[str, str]] = {
    "dorsogluteal": ("Dorsogluteal injection site", "dorsogluteal_site"),
    "dorsogluteal_needle": ("Needle track", "dorsogluteal_site"),
    "ventrogluteal": ("Ventrogluteal injection site", "ventrogluteal_site"),
    "ventrogluteal_needle": ("Needle track", "ventrogluteal_site"),
    "ventrogluteal_v": ("V between index and middle finger", "ventrogluteal_site"),
    "ventrogluteal_asis": ("Anterior superior iliac spine (index finger)", "ventrogluteal_site"),
    "ventrogluteal_greater_trochanter": ("Greater trochanter (heel of the hand)", "ventrogluteal_site"),
    "ventrogluteal_iliac_tubercle": ("Iliac tubercle (middle finger)", "ventrogluteal_site"),
    "upper_outer_quadrant": ("Upper outer quadrant", "quadrants"),
    "upper_inner_quadrant": ("Upper inner quadrant", "quadrants"),
    "lower_outer_quadrant": ("Lower outer quadrant", "quadrants"),
    "lower_inner_quadrant": ("Lower inner quadrant", "quadrants"),
    "psis_gt_line": ("Line from posterior superior iliac spine to greater trochanter", "psis_gt_line"),
}

#: The two parts of the greater sciatic foramen, as label targets: where the paths leave the
#: pelvis above piriformis (superior gluteal nerve and vessels) and below it (sciatic nerve,
#: inferior gluteal nerve and vessels).  Base name to (display name, the paths that pass).
FORAMEN_TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "suprapiriform_foramen": ("Suprapiriform foramen", ("superior_gluteal_nerve", "superior_gluteal_artery")),
    "infrapiriform_foramen": (
        "Infrapiriform foramen",
        ("sciatic_nerve", "inferior_gluteal_nerve", "inferior_gluteal_artery"),
    ),
}

#: Knowledge-base kinds that are landmarks, not drawable structures.
LANDMARK_KINDS = ("point", "curve", "region")


def is_glob(name: str) -> bool:
    """``name`` is a glob pattern (has ``*``, ``?`` or ``[``)."""
    return any(c in name for c in "*?[")


def base_name(name: str) -> str:
    """``name`` without its side suffix."""
    return split_side(name)[0]


def _with_side_words(text: str, side: str | None) -> str:
    return f"{text}, {SIDE_WORDS[side]}" if side else text


@functools.cache
def kb_names() -> tuple[str, ...]:
    """Every sided name the knowledge base knows (structures and landmarks); empty if it is broken."""
    try:
        from glute3d.anatomy.knowledge import structure_names

        return tuple(structure_names())
    except Exception:  # pragma: no cover - knowledge base broken: names are still checked on the model
        return ()


def kb_kind(name: str) -> str | None:
    """The knowledge-base kind of ``name`` (``"bone"``, ``"muscle"``, ``"point"`` ...), ``None`` if unknown."""
    try:
        from glute3d.anatomy.knowledge import facts

        return facts(name).kind
    except Exception:
        return None


def display_name(name: str) -> str:
    """The display name of a structure or landmark (knowledge base, else the name humanised).

    Examples
    --------
    >>> display_name("skin"), display_name("made_up_thing_l")
    ('Skin', 'Made up thing, left')
    """
    try:
        from glute3d.anatomy.knowledge import facts

        return facts(name).display
    except Exception:
        base, side = split_side(name)
        return _with_side_words(base.replace("_", " ").capitalize(), side)


def target_display(name: str) -> str:
    """The default label text of a target: a foramen, an injection mark, else :func:`display_name`."""
    base, side = split_side(name)
    if base in FORAMEN_TARGETS:
        return _with_side_words(FORAMEN_TARGETS[base][0], side)
    if base in INJECTION_TARGETS:
        return _with_side_words(INJECTION_TARGETS[base][0], side)
    return display_name(name)


def layer_title(layer: Layer | None, name: str, style: str) -> str:
    """Legend text of a layer: its name, else its one structure's display name, else the style.

    Without a layer (a scene with no layers) the structure's own display name.
    """
    if layer is None:
        return display_name(name)
    if layer.name:
        return layer.name
    if len(layer.structures) == 1 and not is_glob(layer.structures[0]):
        return display_name(layer.structures[0])
    return style.capitalize()


def unknown_target(name: str, structures: Iterable[str], landmarks: Iterable[str], extra: Iterable[str] = ()) -> str:
    """Why ``name`` is no label or focus target, and what it may have meant."""
    kb = kb_names()
    if name in kb:
        return f"{name!r} is not in the model yet; remove it or wait for its stage"
    base, side = split_side(name)
    if base in INJECTION_TARGETS:
        overlay = with_side(INJECTION_TARGETS[base][1], side) if side else f"{INJECTION_TARGETS[base][1]}_r"
        return (
            f"{name!r} is an injection mark that this scene does not draw; add the overlay that "
            f"draws it, {overlay!r}, to overlays.injection (choose from {', '.join(INJECTION_OVERLAYS)})"
        )
    valid = [*structures, *landmarks, *extra, *kb]
    return f"unknown structure or landmark {name!r}{did_you_mean(name, valid)}"
