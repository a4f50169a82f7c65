"""One way to validate data: pydantic models, and their errors as one line naming file, field and line.

Every data file (``data/*.toml``) and every scene file is read through a pydantic model;
:func:`validation_error` turns the first problem into a :class:`~glute3d.errors.DataFileError`
that says which file, which field, on which line, what is wrong, and the closest valid names.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from glute3d.errors import DataFileError, did_you_mean, find_line

__all__ = ["format_field_path", "validation_error"]


def format_field_path(path: Sequence[str | int]) -> str:
    s = ""
    for p in path:
        if isinstance(p, int):
            s += f"[{p}]"
        else:
            s += ("." if s else "") + str(p)
    return s


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation like ``list[Layer]`` or ``Camera | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _field_at(root: type[BaseModel], loc: Sequence[str | int]) -> tuple[type[BaseModel] | None, Any]:
    """The model owning the last named part of ``loc`` and that field's FieldInfo."""
    cls: type[BaseModel] | None = root
    info = None
    for part in loc:
        if isinstance(part, int) or cls is None:
            continue
        info = cls.model_fields.get(part)
        if info is None:
            return cls, None
        nxt = _unwrap_model(info.annotation)
        if nxt is None:
            return cls, info
        cls = nxt
    return cls, info


def _bounds(info: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in getattr(info, "metadata", []):
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    return lo, hi


def validation_error(exc: ValidationError, root: type[BaseModel], source: str | Path | None, text: str | None,
                     error_type: type[DataFileError] = DataFileError) -> DataFileError:
    """The first problem of a pydantic ``ValidationError`` as one line: file, field, line, what and the fix.

    Parameters
    ----------
    exc : pydantic.ValidationError
        Raised while validating data against ``root``.
    root : type of pydantic.BaseModel
        The model the data was validated against (to name allowed fields and ranges).
    source : str or pathlib.Path or None
        The file, for the message.
    text : str or None
        The file's text, to find the line of the bad value.
    error_type : type of DataFileError
        The error class to return (e.g. ``SceneError``).
    """
    errors = exc.errors(include_url=False)
    e = errors[0]
    loc = tuple(e["loc"])
    typ = e["type"]
    value = e.get("input")
    ctx = e.get("ctx") or {}
    path = loc
    if typ == "extra_forbidden":
        parent = loc[:-1]
        key = str(loc[-1])
        owner, info = _field_at(root, parent)
        owner = _unwrap_model(info.annotation) if info is not None else owner
        allowed = list(owner.model_fields) if owner is not None else []
        msg = f"unknown field {key!r}{did_you_mean(key, allowed)}"
        if allowed:
            msg += f" (allowed: {', '.join(allowed)})"
        value = None
        line_path = loc
    elif typ == "missing":
        msg = f"missing required field {str(loc[-1])!r}"
        line_path = loc[:-1]
        value = None
    elif typ == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        msg = f"invalid value {value!r}{did_you_mean(str(value), expected) if isinstance(value, str) else ''}"
        if expected:
            msg += f" (choose from: {', '.join(expected)})"
        line_path = loc
    elif typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        _, info = _field_at(root, loc)
        lo, hi = _bounds(info)
        if lo is not None and hi is not None:
            msg = f"{value!r} is out of range; must be between {lo:g} and {hi:g}"
        else:
            msg = f"{value!r} is out of range: {e['msg'].lower()}"
        line_path = loc
    elif typ == "value_error":
        msg = str(ctx.get("error", e["msg"]))
        m = re.match(r"^\[(\d+)\] ", msg)
        if m:  # list validators report the index of the bad element first
            path = (*loc, int(m.group(1)))
            msg = msg[m.end():]
            value = value[int(m.group(1))] if isinstance(value, list) else value
        if isinstance(value, dict):
            value = None
        line_path = path
    else:
        msg = e["msg"][0].lower() + e["msg"][1:]
        if not isinstance(value, (dict, list)):
            msg += f", got {value!r}"
        else:
            value = None
        line_path = loc
    if len(errors) > 1:
        msg += f" [and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''}]"
    line = find_line(text, tuple(line_path), value) if text else None
    err = error_type(source, format_field_path(path), msg, line=line)
    err.path, err.value = tuple(line_path), value
    return err
