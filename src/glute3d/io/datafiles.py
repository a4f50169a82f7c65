"""The packaged data files (``glute3d/data/*.toml``): anatomy lives there, not in code.

:func:`read_data` reads one of them (or a file given in its place) through a pydantic model:
a file that is not TOML, or does not fit the model, raises one line naming the file, the
field, the line and the fix (see :mod:`glute3d.io.validation`).

Examples
--------
>>> from pydantic import BaseModel, ConfigDict
>>> class SkinFile(BaseModel):
...     model_config = ConfigDict(extra="ignore")
...     grid: dict[str, float]
>>> read_data(SkinFile, "skin.toml").grid["spacing"]
3.0
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel

from glute3d.errors import DataFileError
from glute3d.io.validation import validate

__all__ = ["DataSource", "data_source", "data_text", "load_data", "parse_toml", "read_data"]

M = TypeVar("M", bound=BaseModel)


@cache
def data_text(name: str) -> str:
    """The text of the packaged data file ``name`` (e.g. ``"muscles.toml"``), read once."""
    return resources.files("glute3d.data").joinpath(name).read_text("utf-8")


def load_data(name: str) -> dict:
    """The packaged TOML file ``name``, parsed (a fresh dict each call, safe to modify)."""
    return tomllib.loads(data_text(name))


class DataSource(NamedTuple):
    """A data file: its name for messages, its text and its parsed content."""

    source: str
    text: str
    doc: dict[str, Any]


def parse_toml(text: str, source: str | Path | None, error_type: type[DataFileError] = DataFileError) -> dict:
    """Parse TOML ``text``; a syntax error raises ``error_type`` naming ``source`` and the line.

    Examples
    --------
    >>> parse_toml("a = 1", "x.toml")
    {'a': 1}
    >>> parse_toml("a = 1\\nb = = 2", "x.toml")
    Traceback (most recent call last):
    ...
    glute3d.errors.DataFileError: x.toml: not valid TOML: Invalid value (at line 2, column 5) (line 2)
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise error_type(source, "", f"not valid TOML: {exc}", line=int(m.group(1)) if m else None) from None


def data_source(
    name: str, path: str | Path | None = None, error_type: type[DataFileError] = DataFileError
) -> DataSource:
    """The packaged data file ``name``, or the file at ``path`` standing in for it, parsed.

    Raises
    ------
    DataFileError
        Of type ``error_type``: not valid TOML (with the line).
    """
    if path is None:
        source, text = name, data_text(name)
    else:
        source, text = str(path), Path(path).read_text(encoding="utf-8")
    return DataSource(source, text, parse_toml(text, source, error_type))


def read_data(
    model: type[M],
    name: str,
    path: str | Path | None = None,
    error_type: type[DataFileError] = DataFileError,
    *,
    context: Mapping[str, Any] | None = None,
) -> M:
    """The data file ``name`` (packaged, or at ``path``) validated by ``model``.

    Parameters
    ----------
    model : type of pydantic.BaseModel
        What the file must hold.
    name : str
        Packaged file name, e.g. ``"muscles.toml"``.
    path : str or pathlib.Path, optional
        A file to read instead of the packaged one.
    error_type : type of DataFileError
        The error raised.
    context : mapping, optional
        Passed to the model's validators (names defined by other data files).

    Raises
    ------
    DataFileError
        Of type ``error_type``: one line naming the file, the field, the line and the fix.
    """
    src = data_source(name, path, error_type)
    return validate(model, src.doc, src.source, src.text, error_type, context=context)
