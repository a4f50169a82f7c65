"""What every command shares: the program name, one-line errors, output folders, the cached model."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

__all__ = ["PROG", "CliError", "load_cached_model", "one_line", "prepare_out_dir"]


PROG = "glute3d"


class CliError(Exception):
    """An error already phrased for the user (one line)."""


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None


def one_line(exc: BaseException) -> str:
    """The project's exceptions as one line naming what is wrong and the fix."""
    text = str(exc) if not isinstance(exc, KeyError) or not exc.args else str(exc.args[0])
    if isinstance(exc, PermissionError | IsADirectoryError | NotADirectoryError) and exc.filename:
        text = f"cannot write {exc.filename}: {exc.strerror}; choose a writable folder with -o"
    elif isinstance(exc, OSError) and exc.filename and not text.startswith(str(exc.filename)):
        text = f"{exc.filename}: {exc.strerror or text}"
    return " ".join(text.split())


def prepare_out_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create output folder {path}: {exc.strerror}; choose another with -o") from None
    if not path.is_dir():
        raise CliError(f"output {path} is not a folder; choose a folder with -o")
    if not os.access(path, os.W_OK | os.X_OK):
        raise CliError(f"output folder {path} is not writable; choose another with -o")
    return path


def load_cached_model(mesh_dir: str | None):
    """The model, wrapped so that its generated soft tissues come from the disk cache."""
    from glute3d.model.files import load_model
    from glute3d.render import cached_model

    return cached_model(load_model(mesh_dir))


def model_files(mesh_dir: str | None) -> list[Path]:
    from glute3d.io.modelfiles import default_mesh_dir

    folder = Path(mesh_dir) if mesh_dir else default_mesh_dir()
    return sorted([*folder.glob("*.ply"), *folder.glob("*.json")])


def theme_file() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "theme.toml"
