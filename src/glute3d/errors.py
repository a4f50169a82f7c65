"""The project's error types and its one "did you mean" helper.

Every error a user can cause says what is wrong, where (file, field, line) and
how to fix it, in one line.  This module sits at the bottom of the package: it
imports nothing of glute3d.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["DataFileError", "close_matches", "did_you_mean", "find_line"]


def close_matches(name: str, candidates: Iterable[str], n: int = 3, *, cutoff: float = 0.6) -> tuple[str, ...]:
    """The valid names closest to ``name``, best first (only the best when it is clearly best).

    Parameters
    ----------
    name : str
        What was asked for.
    candidates : iterable of str
        Valid names *of the same kind* (a muscle for a muscle, a landmark for a landmark).
    n : int
        At most this many.
    cutoff : float
        Similarity (0 to 1) below which a candidate is not offered.

    Examples
    --------
    >>> close_matches("gluteus_minimis_r", ["gluteus_minimus_r", "gluteus_medius_r", "piriformis_r"])
    ('gluteus_minimus_r',)
    """
    choices = list(dict.fromkeys(candidates))
    close = difflib.get_close_matches(name, choices, n=n, cutoff=cutoff)
    if len(close) > 1:
        score = [difflib.SequenceMatcher(None, name, c).ratio() for c in close]
        if score[0] >= 0.9 and score[0] - score[1] >= 0.02:
            close = close[:1]
    return tuple(close)


def did_you_mean(name: str, candidates: Iterable[str], n: int = 3, *, cutoff: float = 0.6) -> str:
    """``"; did you mean 'x' or 'y'?"`` for the closest candidates, or ``""`` when none is close.

    Examples
    --------
    >>> did_you_mean("asis_x", ["asis_r", "asis_l", "ischial_spine_r"])
    "; did you mean 'asis_r' or 'asis_l'?"
    >>> did_you_mean("zzz", ["asis_r"])
    ''
    """
    close = close_matches(name, candidates, n, cutoff=cutoff)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


class DataFileError(ValueError):
    """A data or scene file that cannot be used: which file, which field, what is wrong, the fix.

    Parameters
    ----------
    file : str or pathlib.Path or None
        The file (``None`` for data built in Python: shown as ``<scene>``).
    field : str
        Path of the faulty field, e.g. ``"layers[2].structures[0]"``.
    message : str
        What is wrong and how to fix it.
    line : int, optional
        1-based line of the bad value in the file.

    Examples
    --------
    >>> str(DataFileError("data/muscles.toml", "gluteus_medius.thickness", "must be positive", line=12))
    'data/muscles.toml: gluteus_medius.thickness: must be positive (line 12)'
    """

    placeholder = "<data>"

    def __init__(self, file: str | Path | None, field: str, message: str, line: int | None = None):
        self.file = None if file is None else str(file)
        self.field = field
        self.message = message
        self.line = line
        self.path: tuple = ()
        self.value: Any = None
        super().__init__(str(self))

    def located(self, file: str | Path | None, text: str | None) -> DataFileError:
        """The same error, naming ``file`` and the line of the bad value in ``text``."""
        line = self.line if self.line else (find_line(text, self.path, self.value) if text else None)
        out = type(self)(file, self.field, self.message, line=line)
        out.path, out.value = self.path, self.value
        return out

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        field_part = f"{self.field}: " if self.field else ""
        text = f"{self.file or self.placeholder}: {field_part}{self.message}{where}"
        return " ".join(text.split())  # always one line


# =============================================================================== TOML line finding
_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _toml_headers(lines: list[str]) -> list[tuple[int, str, str]]:
    out = []
    for n, line in enumerate(lines):
        m = _HEADER_RE.match(line)
        if m:
            name = ".".join(part.strip().strip("\"'") for part in m.group(2).split("."))
            out.append((n, m.group(1), name))
    return out


def _table_span(heads: list[tuple[int, str, str]], start: int, end: int, dotted: str, n: int) -> tuple[int, int]:
    """Lines of the table ``dotted`` (and its sub-tables) that starts at header line ``start``."""
    return start, next((h[0] for h in heads if h[0] > start and not h[2].startswith(dotted + ".")), n)


def _narrow(heads: list[tuple[int, str, str]], path: tuple, n: int) -> tuple[int, int, int, bool]:
    """Follow the table headers of ``path``: the line span of the innermost table found, how many
    parts of the path it used, and whether a table was found."""
    start, end = 0, n
    prefix: list[str] = []
    i = 0
    in_table = False
    while i < len(path) and isinstance(path[i], str):
        dotted = ".".join([*prefix, path[i]])
        if i + 1 < len(path) and isinstance(path[i + 1], int):  # an array of tables: [[dotted]] number k
            found = [h for h in heads if h[1] == "[[" and h[2] == dotted and start <= h[0] < end]
            if path[i + 1] >= len(found):
                break
            start, end = _table_span(heads, found[path[i + 1]][0], end, dotted, n)
            step = 2
        else:
            found = [h for h in heads if h[1] == "[" and h[2] == dotted and start <= h[0] < end]
            # a table given only through its sub-tables ([styles.skin] without [styles])
            implied = [h for h in heads if h[2].startswith(dotted + ".") and start <= h[0] < end]
            if not found and not implied:
                break
            start, end = _table_span(heads, (found or implied)[0][0], end, dotted, n)
            step = 1
        prefix.append(path[i])
        in_table = True
        i += step
    return start, end, i, in_table


def find_line(text: str | None, path: tuple, value: Any = None) -> int | None:
    """Best guess of the 1-based line of ``path`` (and its bad ``value``) in TOML ``text``.

    Examples
    --------
    >>> text = "[styles.bone]\\nopacity = 1.0\\n\\n[styles.skin]\\nopacity = 7.0\\n"
    >>> find_line(text, ("styles", "skin", "opacity"), 7.0)
    5
    """
    if not text:
        return None
    lines = text.splitlines()
    heads = _toml_headers(lines)
    top_level_end = heads[0][0] if heads else len(lines)
    start, end, i, in_table = _narrow(heads, path, len(lines))
    if not in_table and i < len(path) and isinstance(path[i], str):
        if _toml_key_line(lines, path[i], 0, top_level_end) is not None:
            end = top_level_end  # a top-level key: look before the first table
    rest = [p for p in path[i:] if isinstance(p, str)]
    region = range(start, end)
    if value is not None and not isinstance(value, (dict, list, tuple)):
        needles = [f'"{value}"', f"'{value}'"] if isinstance(value, str) else []
        key_lines = [n for n in region if rest and re.search(rf"(^|[\s{{,]){re.escape(rest[0])}\s*=", lines[n])]
        for n in region:
            if any(nd in lines[n] for nd in needles):
                return n + 1
        if not isinstance(value, str):
            for n in key_lines:
                if re.search(rf"=\s*[^#]*{re.escape(_toml_number(value))}", lines[n]):
                    return n + 1
    for key in reversed(rest):
        found = _toml_key_line(lines, key, start, end)
        if found is not None:
            return found + 1
    if value is not None and isinstance(value, str):  # anywhere in the file
        for n, line in enumerate(lines):
            if f'"{value}"' in line or f"'{value}'" in line:
                return n + 1
    return start + 1 if in_table else None


def _toml_key_line(lines: list[str], key: str, start: int, end: int) -> int | None:
    pat = re.compile(rf"(^|[\s{{,]){re.escape(key)}\s*=")
    for n in range(start, end):
        if pat.search(lines[n].split("#", 1)[0]):
            return n
    return None


def _toml_number(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
