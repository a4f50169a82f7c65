"""The ``glute3d`` command: parse, call the API, turn errors into one line."""

from glute3d.cli.main import main

__all__ = ["main"]
