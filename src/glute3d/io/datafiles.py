"""The packaged data files (``glute3d/data/*.toml``): anatomy lives there, not in code."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def data_text(name: str) -> str:
    """The text of the packaged data file ``name`` (e.g. ``"muscles.toml"``), read once."""
    return resources.files("glute3d.data").joinpath(name).read_text("utf-8")


def load_data(name: str) -> dict:
    """The packaged TOML file ``name``, parsed (a fresh dict each call, safe to modify)."""
    return tomllib.loads(data_text(name))
