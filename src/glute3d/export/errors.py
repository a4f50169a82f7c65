"""The one error type of the exports."""

from __future__ import annotations

__all__ = ["ExportError"]


class ExportError(ValueError):
    """An export that cannot be made, as one line: what is wrong and the fix.

    Examples
    --------
    >>> str(ExportError("deck.pptx: no slides: every scene failed; fix the scenes and run the deck again"))
    'deck.pptx: no slides: every scene failed; fix the scenes and run the deck again'
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
