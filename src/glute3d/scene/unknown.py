"""Unknown names of a scene, collected while it is resolved and reported at once, in one line.

Resolving a scene checks every name it holds against the model (structures, landmarks, label
targets, branches, variants).  Each unknown name is noted with its field, its line and the
closest valid names *of the kind the field takes*, and resolution goes on without it; at the
end one :class:`~glute3d.scene.schema.SceneError` names them all.  A single unknown name is
reported exactly as any other single problem (``file: field: message (line n)``).

Examples
--------
>>> from glute3d.scene.schema import SceneFields
>>> unknown = UnknownNames(SceneFields())
>>> unknown.add(("layers", 0, "structures", 1), "gluteus_minimis_r", "unknown structure 'gluteus_minimis_r'",
...             "did you mean 'gluteus_minimus_r'?")
>>> unknown.add(("labels", 2, "target"), "asiss_r", "unknown structure or landmark 'asiss_r'",
...             "did you mean 'asis_r'?")
>>> print(unknown.error())
<scene>: 2 unknown names: layers[0].structures[1] 'gluteus_minimis_r' (did you mean 'gluteus_minimus_r'?); labels[2].target 'asiss_r' (did you mean 'asis_r'?)
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from glute3d.errors import close_matches
from glute3d.scene.schema import SceneError, SceneFields

__all__ = ["MAX_LISTED", "UnknownName", "UnknownNames", "hint_of"]

#: At most this many unknown names are spelt out in the message; the rest are counted.
MAX_LISTED = 10


def hint_of(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """``"did you mean 'x' or 'y'?"`` for the closest candidates, ``""`` when none is close.

    Examples
    --------
    >>> hint_of("asiss_r", ["asis_r", "psis_r"])
    "did you mean 'asis_r'?"
    """
    close = close_matches(name, candidates, n)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


@dataclass(frozen=True)
class UnknownName:
    """One unknown name: the error it would be alone, and its short form among others."""

    error: SceneError
    value: str
    note: str  # the closest names, or what the name is instead ("a landmark, not a structure"); "": none

    def short(self) -> str:
        """``field 'value' (line n; note)``."""
        note = self.note or "no close name"
        inside = "; ".join(x for x in (f"line {self.error.line}" if self.error.line else "", note) if x)
        return f"{self.error.field} {self.value!r}" + (f" ({inside})" if inside else "")


class UnknownNames:
    """The unknown names found in one scene, in the order found.

    Parameters
    ----------
    scene : SceneFields
        The scene (for its file and text: field lines).
    """

    def __init__(self, scene: SceneFields) -> None:
        self.scene = scene
        self.found: list[UnknownName] = []

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, path: Sequence[str | int], value: str, message: str, note: str = "", *, key: bool = False) -> None:
        """Note the unknown name ``value`` at field ``path``.

        ``message`` is the whole message when it is the only problem; ``note`` its short form
        among several (the closest names, or what the name is instead).  ``key``: the name is
        the key of a table (found on its key's line rather than by its value).
        """
        error = self.scene.error(path, message, None if key else value)
        self.found.append(UnknownName(error, value, note))

    def error(self) -> SceneError | None:
        """One error naming every unknown name found (``None`` when there is none)."""
        if not self.found:
            return None
        if len(self.found) == 1:
            return self.found[0].error
        listed = [u.short() for u in self.found[:MAX_LISTED]]
        more = len(self.found) - MAX_LISTED
        if more > 0:
            listed.append(f"and {more} more")
        message = f"{len(self.found)} unknown names: {'; '.join(listed)}"
        return SceneError(self.scene.source, "", message)

    def raise_if_any(self) -> None:
        """Raise :meth:`error` if any unknown name was found.

        Raises
        ------
        SceneError
            Naming every unknown name, each with its field, line and closest valid names.
        """
        error = self.error()
        if error is not None:
            raise error
