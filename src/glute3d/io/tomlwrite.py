"""Writing TOML: plain data (tables of strings, numbers, booleans, lists) as TOML text.

The standard library reads TOML (:mod:`tomllib`) but does not write it.  This writer covers
what the project writes (scenes): top-level keys, tables, arrays of tables and inline
tables below them; ``tomllib.loads(dump_toml(data)) == data`` for such data.

Examples
--------
>>> print(dump_toml({"title": "Hip", "camera": {"preset": "lateral"}, "layers": [{"structures": ["femur_r"]}]}))
title = "Hip"
<BLANKLINE>
[camera]
preset = "lateral"
<BLANKLINE>
[[layers]]
structures = ["femur_r"]
<BLANKLINE>
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["dump_toml", "toml_key", "toml_value"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(key: str) -> str:
    """``key`` as a TOML key: bare when it can be, else quoted.

    Examples
    --------
    >>> toml_key("needle_mm"), toml_key("a b")
    ('needle_mm', '"a b"')
    """
    return key if _BARE_KEY.match(key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """``value`` as an inline TOML value (tables become inline tables).

    Raises
    ------
    TypeError
        For a value TOML cannot hold (``None``, objects); convert it to plain data first.

    Examples
    --------
    >>> toml_value([1, 2.5, True, "é"])
    '[1, 2.5, true, "é"]'
    >>> toml_value({"r": 10, "l": -10})
    '{ r = 10, l = -10 }'
    >>> toml_value("bell\\x07 and delete\\x7f")
    '"bell\\\\u0007 and delete\\\\u007f"'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # JSON escapes every control character but DEL, which TOML does not allow unescaped either
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in value.items()) + " }"
    msg = f"cannot write {type(value).__name__} as TOML; give strings, numbers, booleans, lists or tables"
    raise TypeError(msg)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, dict) for x in value)


def dump_toml(data: dict[str, Any]) -> str:
    """TOML text for ``data``: its scalars first, then its tables, then its arrays of tables.

    Parameters
    ----------
    data : dict
        Plain data; tables below the first level are written inline.

    Returns
    -------
    str
        The text, ending in a newline.
    """
    head: list[str] = []
    tables: list[tuple[str, dict]] = []
    arrays: list[tuple[str, list]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif _is_table_array(value):
            arrays.append((key, value))
        else:
            head.append(f"{toml_key(key)} = {toml_value(value)}")
    out = head[:]
    for key, table in tables:
        out += ["", f"[{toml_key(key)}]"] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
    for key, items in arrays:
        for item in items:
            out += ["", f"[[{toml_key(key)}]]"] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in item.items()]
    return "\n".join(out) + "\n"
