"""One way to validate data: pydantic models, and their errors as one line naming file, field and line.

Every data file (``data/*.toml``) and every scene file is read through a pydantic model;
:func:`validation_error` turns the first problem into a :class:`~glute3d.errors.DataFileError`
that says which file, which field, on which line, what is wrong, and the closest valid names.

Models may be nested in lists, tuples and tables keyed by name (``dict[str, Model]`` or a
``RootModel`` of one), and in unions told apart by a discriminator field (the tag pydantic
puts into the error location is left out of the field path).  A validator that finds a
problem *below* the value it checks (a cross-reference, one entry of a list) raises
:class:`Problem` with the path to the bad value, so the message names that field and line.

Examples
--------
>>> from pydantic import BaseModel, ConfigDict, ValidationError
>>> class Muscle(BaseModel):
...     model_config = ConfigDict(extra="forbid")
...     fibres: int
>>> try:
...     Muscle.model_validate({"fibers": 3})
... except ValidationError as exc:
...     print(validation_error(exc, Muscle, "muscles.toml", "fibers = 3"))
muscles.toml: fibers: unknown field 'fibers'; did you mean 'fibres'? (allowed: fibres) (line 1)
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, RootModel, Tag, ValidationError

from glute3d.errors import DataFileError, did_you_mean, find_line

__all__ = [
    "Problem",
    "StrictTable",
    "field_names",
    "format_field_path",
    "reference_error",
    "validate",
    "validation_error",
]

M = TypeVar("M", bound=BaseModel)
_UNSET: Any = object()


class StrictTable(BaseModel):
    """The base of every table read from a data or scene file: unknown keys are errors, values are read-only.

    ``extra="forbid"`` makes a misspelt key an error that :func:`validation_error` reports
    with the closest valid name, rather than a value silently ignored; ``frozen=True`` keeps
    checked data from being changed behind its validators' back (derive a changed copy with
    ``model_copy(update=...)``).  A model that must be edited in place overrides ``frozen``
    in its own ``model_config``, which pydantic merges with this one.

    Examples
    --------
    >>> class Fan(StrictTable):
    ...     fibres: int
    >>> fan = Fan(fibres=12)
    >>> try:
    ...     fan.fibres = 3
    ... except ValidationError as exc:
    ...     print(exc.errors()[0]["type"])
    frozen_instance
    >>> try:
    ...     Fan.model_validate({"fibers": 3})
    ... except ValidationError as exc:
    ...     print(validation_error(exc, Fan, "fans.toml", "fibers = 3"))
    fans.toml: fibers: unknown field 'fibers'; did you mean 'fibres'? (allowed: fibres) (line 1)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class Problem(ValueError):
    """A validator's complaint about a value at ``at`` below the value it validates.

    Parameters
    ----------
    message : str
        What is wrong and the fix.
    *at : str or int
        Path from the validated value to the bad one (field names and list indices).
    value : object, optional
        The bad value (used to find its line in the file).

    Examples
    --------
    >>> Problem("unknown muscle 'x'", "over", 0, value="x").at
    ('over', 0)
    """

    def __init__(self, message: str, *at: str | int, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.at = at
        self.value = value


def format_field_path(path: Sequence[str | int]) -> str:
    """A field path as text: ``("layers", 2, "name")`` -> ``"layers[2].name"``.

    Examples
    --------
    >>> format_field_path(("gluteus_medius", "insertion", 0, "fibres"))
    'gluteus_medius.insertion[0].fibres'
    """
    s = ""
    for p in path:
        if isinstance(p, int):
            s += f"[{p}]"
        else:
            s += ("." if s else "") + str(p)
    return s


# =============================================================================== walking a model
def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _strip(annotation: Any) -> Any:
    """The annotation without ``Annotated[...]``, ``X | None`` and ``RootModel`` wrappers."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif _is_union(annotation) and len([a for a in typing.get_args(annotation) if a is not type(None)]) == 1:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif isinstance(annotation, type) and issubclass(annotation, RootModel):
            annotation = annotation.model_fields["root"].annotation
        else:
            return annotation


def _model_field(cls: type[BaseModel], key: str) -> Any:
    """The FieldInfo of ``key`` (a field name or its alias) in ``cls``, or ``None``."""
    if key in cls.model_fields:
        return cls.model_fields[key]
    return next((f for f in cls.model_fields.values() if f.alias == key), None)


def field_names(cls: type[BaseModel]) -> list[str]:
    """The names a data file writes for the fields of ``cls`` (aliases where given)."""
    return [f.alias or name for name, f in cls.model_fields.items()]


def _tagged_member(annotation: Any, tag: str) -> Any:
    """The member of a discriminated union whose tag is ``tag``.

    The tag is a ``Tag`` in the member's ``Annotated`` metadata (callable discriminators) or
    a literal value of one of its fields (field discriminators).
    """
    for member in typing.get_args(annotation):
        if typing.get_origin(member) is typing.Annotated:
            if any(isinstance(m, Tag) and m.tag == tag for m in member.__metadata__):
                return member
        cls = _strip(member)
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            continue
        for info in cls.model_fields.values():
            if typing.get_origin(info.annotation) is typing.Literal and tag in typing.get_args(info.annotation):
                return cls
    return None


class _Step(NamedTuple):
    part: str | int
    shown: bool  # False for the tag of a discriminated union (not a field of the file)
    annotation: Any  # of the value reached
    info: Any  # FieldInfo of the field reached, if it is a model field


def _walk(root: Any, loc: Sequence[str | int]) -> list[_Step]:
    """Follow an error location through the annotations of ``root``."""
    steps: list[_Step] = []
    ann: Any = root
    for part in loc:
        cur = _strip(ann)
        info = None
        shown = True
        if isinstance(cur, type) and issubclass(cur, BaseModel):
            info = _model_field(cur, str(part))
            ann = info.annotation if info is not None else None
        elif _is_union(cur) and isinstance(part, str):
            ann = _tagged_member(cur, part)
            shown = ann is None
        elif typing.get_origin(cur) in (dict, Mapping) or cur in (dict, Mapping):
            args = typing.get_args(cur)
            ann = args[1] if len(args) == 2 else None
        elif typing.get_origin(cur) is tuple and isinstance(part, int):
            args = typing.get_args(cur)
            ann = args[0] if len(args) == 2 and args[1] is Ellipsis else (args[part] if part < len(args) else None)
        elif typing.get_origin(cur) in (list, Sequence, set, frozenset) and isinstance(part, int):
            args = typing.get_args(cur)
            ann = args[0] if args else None
        else:
            ann = None
        steps.append(_Step(part, shown, ann, info))
    return steps


def _shown(steps: Iterable[_Step]) -> tuple[str | int, ...]:
    return tuple(s.part for s in steps if s.shown)


def _bounds(info: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in getattr(info, "metadata", []):
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    return lo, hi


# =============================================================================== the message
def _first(errors: list[Any]) -> tuple[Any, int]:
    """The error to report and how many others there are.

    The first error, but a misspelt key rather than the missing field it stands for (which
    is then not counted as another problem).
    """
    e = errors[0]
    if e["type"] == "missing":
        parent = tuple(e["loc"][:-1])
        extra = [x for x in errors if x["type"] == "extra_forbidden" and tuple(x["loc"][:-1]) == parent]
        if extra:
            return extra[0], len(errors) - 2
    return e, len(errors) - 1


def _message(e: Any, root: Any, steps: list[_Step]) -> tuple[str, tuple[str | int, ...], Any]:
    """``(message, path of the bad value, the bad value)`` of one pydantic error.

    For a missing field the path ends with that field (its line is the line of its table).
    """
    typ, loc, value = e["type"], tuple(e["loc"]), e.get("input")
    ctx = e.get("ctx") or {}
    path = _shown(steps)
    if typ == "extra_forbidden":
        owner = _strip(steps[-2].annotation) if len(steps) > 1 else _strip(root)
        allowed = field_names(owner) if isinstance(owner, type) and issubclass(owner, BaseModel) else []
        key = str(loc[-1])
        msg = f"unknown field {key!r}{did_you_mean(key, allowed)}"
        if allowed:
            msg += f" (allowed: {', '.join(allowed)})"
        return msg, path, None
    if typ == "missing":
        return f"missing required field {str(loc[-1])!r}", path, None
    if typ == "union_tag_not_found":
        return f"missing required field {str(ctx.get('discriminator', '')).strip(chr(39))!r}", path, None
    if typ in ("literal_error", "union_tag_invalid"):
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", ctx.get("expected_tags", ""))))
        if typ == "union_tag_invalid":
            value = ctx.get("tag")
            path = (*path, str(ctx.get("discriminator", "")).strip("'"))
        msg = f"invalid value {value!r}{did_you_mean(str(value), expected) if isinstance(value, str) else ''}"
        if expected:
            msg += f" (choose from: {', '.join(expected)})"
        return msg, path, value
    if typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        lo, hi = _bounds(steps[-1].info if steps else None)
        if lo is not None and hi is not None:
            return f"{value!r} is out of range; must be between {lo:g} and {hi:g}", path, value
        return f"{value!r} is out of range: {e['msg'].lower()}", path, value
    if typ == "value_error":
        return _value_error(ctx.get("error"), e["msg"], path, value)
    msg = e["msg"][0].lower() + e["msg"][1:]
    if isinstance(value, (dict, list)):
        return msg, path, None
    return f"{msg}, got {value!r}", path, value


def _value_error(error: Any, text: str, path: tuple[str | int, ...], value: Any) -> tuple[str, tuple, Any]:
    if isinstance(error, Problem):
        return error.message, (*path, *error.at), error.value
    msg = str(error) if error is not None else text
    m = re.match(r"^\[(\d+)\] ", msg)
    if m:  # list validators report the index of the bad element first
        path = (*path, int(m.group(1)))
        msg = msg[m.end() :]
        value = value[int(m.group(1))] if isinstance(value, list) else value
    return msg, path, None if isinstance(value, dict) else value


def validation_error(
    exc: ValidationError,
    root: type[BaseModel],
    source: str | Path | None,
    text: str | None,
    error_type: type[DataFileError] = DataFileError,
) -> DataFileError:
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

    Returns
    -------
    DataFileError
        Of type ``error_type``; ``path`` and ``value`` are set for :meth:`DataFileError.located`.
    """
    e, others = _first(exc.errors(include_url=False))
    steps = _walk(root, tuple(e["loc"]))
    msg, path, value = _message(e, root, steps)
    if others:
        msg += f" [and {others} more problem{'s' if others > 1 else ''}]"
    if isinstance(value, (dict, list, tuple)):
        value = None
    line_path = tuple(path[:-1]) if e["type"] == "missing" else tuple(path)
    line = find_line(text, line_path, value) if text else None
    err = error_type(source, format_field_path(path), msg, line=line)
    err.path, err.value = line_path, value
    return err


def validate(
    model: type[M],
    data: Any,
    source: str | Path | None = None,
    text: str | None = None,
    error_type: type[DataFileError] = DataFileError,
    *,
    context: Mapping[str, Any] | None = None,
) -> M:
    """``model`` validated from ``data``; the first problem raised as one line (see :func:`validation_error`).

    Raises
    ------
    DataFileError
        Of type ``error_type``, naming ``source``, the field, its line in ``text`` and the fix.

    Examples
    --------
    >>> from pydantic import BaseModel
    >>> class Grid(BaseModel):
    ...     spacing: float
    >>> validate(Grid, {"spacing": 2}).spacing
    2.0
    """
    try:
        return model.model_validate(data, context=dict(context) if context is not None else None)
    except ValidationError as exc:
        raise validation_error(exc, model, source, text, error_type) from None


def reference_error(
    path: Sequence[str | int],
    value: str,
    what: str,
    known: Iterable[str],
    source: str | Path | None = None,
    text: str | None = None,
    error_type: type[DataFileError] = DataFileError,
    *,
    fix: str = "",
) -> DataFileError:
    """An unknown name at ``path``: the closest names of the same kind, file, field and line.

    Parameters
    ----------
    path : sequence of str or int
        Path of the field holding the name.
    value : str
        The name given.
    what : str
        What kind of name it should be (``"landmark"``, ``"muscle"``...).
    known : iterable of str
        The valid names of that kind.
    source, text : optional
        The file and its text (for the line).
    error_type : type of DataFileError
    fix : str
        Where the valid names are defined, e.g. ``"define it in landmarks.toml"``.

    Examples
    --------
    >>> print(reference_error(("piriformis", "origin", 0), "piriformis_orgin", "region",
    ...                       ["piriformis_origin", "tfl_origin"], "muscles.toml"))
    muscles.toml: piriformis.origin[0]: unknown region 'piriformis_orgin'; did you mean 'piriformis_origin'?
    """
    names = list(known)
    msg = f"unknown {what} {value!r}{did_you_mean(value, names)}"
    if fix:
        msg += f" ({fix})"
    line = find_line(text, tuple(path), value) if text else None
    err = error_type(source, format_field_path(path), msg, line=line)
    err.path, err.value = tuple(path), value
    return err
