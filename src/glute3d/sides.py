"""Sides of the body: the one definition of ``"r"``/``"l"``, their signs and the mirror.

Left is made from right by mirroring the Z axis (ISB/OpenSim axes: Z points to the
subject's right), never written twice.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MIRROR", "SIDES", "SIDE_SIGN", "SIDE_WORDS", "mirror_for", "split_side", "with_side"]

#: The two sides, right first (the side every data file describes).
SIDES: tuple[str, str] = ("r", "l")
#: +1 for the right side, -1 for the left (the sign of Z on that side).
SIDE_SIGN: dict[str, float] = {"r": 1.0, "l": -1.0}
#: Words for display.
SIDE_WORDS: dict[str, str] = {"r": "right", "l": "left"}
#: Multiply a right-side point by this to get its left-side twin.
MIRROR = np.array([1.0, 1.0, -1.0])
MIRROR.setflags(write=False)


def mirror_for(side: str) -> np.ndarray:
    """The factor that takes a right-side point to ``side`` (ones for the right side).

    Examples
    --------
    >>> mirror_for("l").tolist(), mirror_for("r").tolist()
    ([1.0, 1.0, -1.0], [1.0, 1.0, 1.0])
    """
    if side not in SIDE_SIGN:
        raise ValueError(f"side must be 'r' or 'l', got {side!r}")
    return MIRROR if side == "l" else np.ones(3)


def split_side(name: str) -> tuple[str, str | None]:
    """Split a structure name into its sideless base and its side.

    Parameters
    ----------
    name : str
        A canonical name, with or without a ``_r`` / ``_l`` suffix.

    Returns
    -------
    tuple of (str, str or None)
        The base name and ``"r"``, ``"l"`` or ``None``.

    Examples
    --------
    >>> split_side("gluteus_minimus_r")
    ('gluteus_minimus', 'r')
    >>> split_side("sacrum")
    ('sacrum', None)
    """
    base, sep, suffix = name.rpartition("_")
    if sep and base and suffix in SIDES:
        return base, suffix
    return name, None


def with_side(base: str, side: str | None) -> str:
    """Join a sideless base name and a side into a canonical name.

    Parameters
    ----------
    base : str
        Sideless canonical name, e.g. ``"gluteus_medius"``.
    side : {"r", "l"} or None
        The side; ``None`` returns `base` unchanged.

    Returns
    -------
    str
        ``f"{base}_{side}"``, or `base` when `side` is ``None``.

    Raises
    ------
    ValueError
        If `side` is not ``"r"``, ``"l"`` or ``None``, or `base` already carries a side.

    Examples
    --------
    >>> with_side("gluteus_medius", "l")
    'gluteus_medius_l'
    """
    if side is None:
        return base
    if side not in SIDES:
        raise ValueError(f"side must be 'r', 'l' or None, got {side!r}")
    if split_side(base)[1] is not None:
        raise ValueError(f"{base!r} already has a side suffix; pass the sideless base name")
    return f"{base}_{side}"
