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

import difflib
import functools
from collections.abc import Container, Iterable, Mapping

from glute3d.errors import close_matches
from glute3d.scene.schema import INJECTION_OVERLAYS, Layer
from glute3d.scene.unknown import hint_of
from glute3d.sides import SIDE_WORDS, SIDES, split_side, with_side

__all__ = [
    "FORAMEN_TARGETS",
    "INJECTION_TARGETS",
    "LEVER_TARGETS",
    "LANDMARK_KINDS",
    "absent_landmark",
    "absent_structure",
    "base_name",
    "closest",
    "display_name",
    "is_glob",
    "kb_kind",
    "kb_landmarks",
    "kb_names",
    "kb_structures",
    "kind_of",
    "layer_title",
    "target_display",
    "unknown_target",
    "wrong_kind",
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
    "gtps_bursa": ("Injection point of the subgluteus medius bursa", "gtps_site"),
    "gtps_bursa_needle": ("Needle track to the bursa", "gtps_site"),
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

#: What ``overlays.abductor_lever`` draws, as label targets (sideless; labels add ``_r``/``_l``).
LEVER_TARGETS: dict[str, str] = {
    "abductor_line": "Abductors' line of pull",
    "abductor_moment_arm": "Abductors' lever arm",
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
    if base in LEVER_TARGETS:
        return _with_side_words(LEVER_TARGETS[base], side)
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


@functools.cache
def kb_structures() -> tuple[str, ...]:
    """The knowledge base's drawable structures (bones, muscles, muscle parts, nerves ...)."""
    return tuple(n for n in kb_names() if kb_kind(n) not in LANDMARK_KINDS)


@functools.cache
def kb_landmarks() -> tuple[str, ...]:
    """The knowledge base's landmarks (points, curves, regions)."""
    return tuple(n for n in kb_names() if kb_kind(n) in LANDMARK_KINDS)


def _sided(bases: Iterable[str]) -> list[str]:
    return [with_side(b, s) for b in bases for s in SIDES]


def kind_of(name: str, structures: Container[str] = (), landmarks: Container[str] = ()) -> str | None:
    """What ``name`` is: ``"structure"``, ``"landmark"``, ``"injection mark"``, ``"foramen"``,
    ``"injection overlay"``, or ``None`` for a name nothing has.

    Examples
    --------
    >>> kind_of("asis_r"), kind_of("femur_l"), kind_of("dorsogluteal_r"), kind_of("quadrants_l"), kind_of("x")
    ('landmark', 'structure', 'injection mark', 'injection overlay', None)
    """
    if name in structures or name in kb_structures():
        return "structure"
    if name in landmarks or name in kb_landmarks():
        return "landmark"
    base, side = split_side(name)
    if side and base in INJECTION_TARGETS:
        return "injection mark"
    if side and base in FORAMEN_TARGETS:
        return "foramen"
    return "injection overlay" if name in INJECTION_OVERLAYS else None


def _use(kind: str, name: str) -> str:
    """Where a scene takes a name of ``kind``."""
    base, side = split_side(name)
    if kind == "injection mark":
        return f"draw it with its overlay, {with_side(INJECTION_TARGETS[base][1], side)!r}, in overlays.injection"
    return {
        "structure": "draw it in a [[layers]] table",
        "landmark": "draw it with overlays.landmarks",
        "foramen": "label it in a [[labels]] table",
        "injection overlay": "put it in overlays.injection",
    }[kind]


def wrong_kind(
    name: str, wanted: str, structures: Container[str] = (), landmarks: Container[str] = ()
) -> tuple[str, str] | None:
    """When ``name`` is another kind of name than the field takes (``wanted``): the message and its short note.

    Examples
    --------
    >>> wrong_kind("asis_r", "structure")[0]
    "'asis_r' is a landmark, not a structure; draw it with overlays.landmarks"
    """
    kind = kind_of(name, structures, landmarks)
    if kind is None or kind == wanted:
        return None
    article = "an" if kind[0] in "aeiou" else "a"
    return f"{name!r} is {article} {kind}, not a {wanted}; {_use(kind, name)}", f"{article} {kind}: {_use(kind, name)}"


def closest(name: str, groups: Mapping[str, Iterable[str]]) -> tuple[str, str]:
    """The kind whose names come closest to ``name``, and the hint naming them (``("", "")``: none is close).

    Examples
    --------
    >>> closest("suprapiriform_foramn_r", {"landmark": ["piriformis_origin_r"], "foramen": ["suprapiriform_foramen_r"]})
    ('foramen', "did you mean 'suprapiriform_foramen_r'?")
    """
    best = ("", "", 0.0)
    for kind, names in groups.items():
        close = close_matches(name, names)
        score = difflib.SequenceMatcher(None, name, close[0]).ratio() if close else 0.0
        if score > best[2]:
            best = (kind, f"did you mean {' or '.join(repr(c) for c in close)}?", score)
    return best[0], best[1]


def _message(head: str, hint: str) -> str:
    return f"{head}; {hint}" if hint else head


def absent_structure(name: str, have: list[str], landmarks: Container[str]) -> tuple[str, str]:
    """Why a layer's exact name ``name`` is not drawn (the model has the structures ``have``): message and note."""
    other = wrong_kind(name, "structure", (), landmarks)
    if other is not None:
        return other
    if name in kb_structures():
        more = "..." if len(have) > 8 else ""
        return (
            f"structure {name!r} is not in the model yet (the model has {', '.join(have[:8])}{more}); "
            "remove it or add optional = true to the layer",
            "not in the model yet; remove it or add optional = true to the layer",
        )
    hint = hint_of(name, [*have, *kb_structures()])
    return _message(f"unknown structure {name!r}", hint), hint


def absent_landmark(name: str, landmarks: list[str], structures: Container[str], where: str = "") -> tuple[str, str]:
    """Why ``name`` is no landmark of the model (``where``: the field, for the message): message and note."""
    other = wrong_kind(name, "landmark", structures, landmarks)
    if other is not None:
        return other
    hint = hint_of(name, landmarks)
    return _message(f"unknown landmark {name!r}{where}", hint), hint


def unknown_target(name: str, structures: Iterable[str], landmarks: Iterable[str]) -> tuple[str, str]:
    """Why ``name`` is no label or focus target, and what it may have meant: message and short note.

    The closest names are of the one kind ``name`` comes closest to: structures, landmarks,
    injection marks or foramina.

    Examples
    --------
    >>> unknown_target("dorsoglutael_r", ["femur_r"], ["asis_r"])[0]
    "unknown injection mark 'dorsoglutael_r'; did you mean 'dorsogluteal_r'?"
    """
    if name in kb_names():
        return f"{name!r} is not in the model yet; remove it or wait for its stage", "not in the model yet"
    base, side = split_side(name)
    if base in INJECTION_TARGETS:
        overlay = with_side(INJECTION_TARGETS[base][1], side) if side else f"{INJECTION_TARGETS[base][1]}_r"
        return (
            f"{name!r} is an injection mark that this scene does not draw; add the overlay that "
            f"draws it, {overlay!r}, to overlays.injection (choose from {', '.join(INJECTION_OVERLAYS)})",
            f"an injection mark this scene does not draw; add {overlay!r} to overlays.injection",
        )
    if base in LEVER_TARGETS:
        shown = side or "r"
        return (
            f"{name!r} is drawn by overlays.abductor_lever, which this scene does not ask for; "
            f"add {shown!r} to overlays.abductor_lever",
            f"add {shown!r} to overlays.abductor_lever",
        )
    groups = {
        "structure": [*structures, *kb_structures()],
        "landmark": [*landmarks, *kb_landmarks()],
        "injection mark": _sided(INJECTION_TARGETS),
        "foramen": _sided(FORAMEN_TARGETS),
    }
    kind, hint = closest(name, groups)
    what = kind if kind in ("injection mark", "foramen") else "structure or landmark"
    return _message(f"unknown {what} {name!r}", hint), hint
