"""The one error type of the exports."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ExportError", "write_export"]


class ExportError(ValueError):
    """An export that cannot be made, as one line: what is wrong and the fix.

    Examples
    --------
    >>> str(ExportError("deck.pptx: no slides: every scene failed; fix the scenes and run the deck again"))
    'deck.pptx: no slides: every scene failed; fix the scenes and run the deck again'
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def write_export(path: str | Path, data: bytes) -> Path:
    """Write an export's bytes atomically; an ``OSError`` names ``path`` as its ``filename``.

    Nothing is left behind when the write fails (e.g. a full disk or a folder that cannot be
    written), and the error names the file the user asked for, not a temporary one.
    """
    from glute3d.io.atomic import write_atomically

    try:
        return write_atomically(Path(path), data)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
