"""One check for every data file: a broken copy fails with one line naming the file, field and line."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from glute3d.io.datafiles import data_text


def check_broken_data(
    tmp_path: Path,
    name: str,
    read: Callable[[Path], object],
    error: type[Exception],
    old: str,
    new: str,
    field: str,
    needles: Sequence[str],
    header: str | None = None,
) -> None:
    """Replace ``old`` by ``new`` in a copy of the packaged data file ``name`` and read it with ``read``.

    The error must be ``error``, one line, name the copy, ``field`` and the line: the line where the
    replacement differs from the original, or (``header`` given) the line starting with ``header``;
    its message must contain every one of ``needles``.
    """
    text = data_text(name)
    assert text.count(old) == 1, f"{old!r} must occur once in {name}"
    broken = text.replace(old, new)
    path = tmp_path / name
    path.write_text(broken)
    with pytest.raises(error) as info:
        read(path)
    err = info.value
    if header is None:
        line = broken[: text.index(old) + len(os.path.commonprefix([old, new]))].count("\n") + 1
    else:
        line = next(n for n, text_line in enumerate(broken.splitlines(), 1) if text_line.startswith(header))
    assert (err.file, err.field, err.line) == (str(path), field, line), str(err)  # type: ignore[attr-defined]
    for needle in needles:
        assert needle in err.message, str(err)  # type: ignore[attr-defined]
    assert isinstance(err, ValueError) and "\n" not in str(err)
