"""Lazy re-exports for package ``__init__`` files, so that ``import glute3d`` stays quick.

A package names what it re-exports and from where; each name is imported on first use
(PEP 562 module ``__getattr__``).  The imports still point down the layers, as import-linter
checks, only later.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import each name from its module on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name to the module that defines it (``"name"`` or ``"module:attribute"``); a
        name exported from a module of that same name with no attribute of it is the module
        itself (``"stance": "glute3d.teaching.stance"``).

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("demo", {"sqrt": "math", "tau": "math:tau"})
    >>> getattr_("sqrt")(16.0), round(getattr_("tau"), 3)
    (4.0, 6.283)
    """

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attr = target.partition(":")
        mod = importlib.import_module(module)
        if not attr and not hasattr(mod, name) and module.rsplit(".", 1)[-1] == name:
            value: Any = mod  # the module itself
        else:
            value = getattr(mod, attr or name)
        import sys

        if package in sys.modules:
            setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
