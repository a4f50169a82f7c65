"""Where the model files are, and reading them: bone meshes (PLY), landmarks (JSON), skin (PLY).

The files of the default adult model ship inside the package (``glute3d/meshes``), so an
installed glute3d works from any folder.  ``$GLUTE3D_MESHES`` or an explicit folder
(``glute3d --meshes DIR``, ``load_model(DIR)``) points elsewhere, e.g. to the output of
``glute3d build-meshes -o DIR``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError, field_validator

from glute3d.errors import DataFileError
from glute3d.geometry.mesh import Mesh
from glute3d.io.ply import read_ply
from glute3d.io.validation import StrictTable, validation_error

__all__ = [
    "ENV_VAR",
    "LANDMARKS_FILE",
    "MAX_LANDMARK_BYTES",
    "SKIN_FILE",
    "LandmarkDocument",
    "LandmarkFileError",
    "ModelFilesError",
    "check_landmarks",
    "default_mesh_dir",
    "packaged_mesh_dir",
    "read_model_files",
]

#: Environment variable naming the folder of the model files.
ENV_VAR = "GLUTE3D_MESHES"
#: The landmark annotations (and bone parameters) of a model folder.
LANDMARKS_FILE = "landmarks.json"
#: The pre-built skin of a model folder (optional; regenerated when absent or stale).
SKIN_FILE = "skin.ply"


class ModelFilesError(FileNotFoundError):
    """The model files are missing or incomplete; the message says where and how to make them."""


class LandmarkFileError(DataFileError):
    """``landmarks.json`` is damaged: the message names the file, the field and the fix."""


#: Larger than this is not a landmark file of ours (the default one has 180 kB).
MAX_LANDMARK_BYTES = 50_000_000

_FIX = "regenerate the model files with `glute3d build-meshes -o DIR` (or reinstall glute3d)"


def _finite(rows: list) -> list:
    arr = np.asarray(rows, dtype=float)
    if not np.isfinite(arr).all() or (arr.size and np.abs(arr).max() > 1e5):
        raise ValueError("coordinates must be finite millimetres")
    return rows


class _Point(StrictTable):
    bone: str
    xyz: list[float]

    @field_validator("xyz")
    @classmethod
    def _finite_point(cls, v: list) -> list:
        if len(v) != 3:
            raise ValueError(f"a point is 3 coordinates [x, y, z], got {len(v)}")
        return _finite(v)


class _Curve(StrictTable):
    bone: str
    xyz: list[tuple[float, float, float]]

    @field_validator("xyz")
    @classmethod
    def _two_points(cls, v: list) -> list:
        if len(v) < 2:
            raise ValueError("a curve needs at least two points")
        return _finite(v)


class _RegionPart(StrictTable):
    bone: str
    faces: list[int]


class LandmarkDocument(StrictTable):
    """The form of ``landmarks.json`` (written by ``glute3d build-meshes``)."""

    units: str
    frame: str
    parameters: dict[str, float]
    points: dict[str, _Point]
    curves: dict[str, _Curve]
    regions: dict[str, list[_RegionPart]]


def check_landmarks(path: Path, text: str, bones: dict[str, Mesh]) -> dict[str, Any]:
    """Parse and check ``landmarks.json``: its form, finite coordinates, bones that exist, faces in range.

    Raises
    ------
    LandmarkFileError
        One line naming the file, the field (and line) and the fix.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LandmarkFileError(path, "", f"not valid JSON ({exc.msg}); {_FIX}", line=exc.lineno) from None
    try:
        LandmarkDocument.model_validate(doc)
    except ValidationError as exc:
        err = validation_error(exc, LandmarkDocument, path, None, LandmarkFileError)
        raise LandmarkFileError(path, err.field, f"{err.message}; {_FIX}") from None
    for table in ("points", "curves"):
        for name, entry in doc[table].items():
            if entry["bone"] not in bones:
                raise LandmarkFileError(path, f"{table}.{name}.bone", f"unknown bone {entry['bone']!r}; {_FIX}")
    for name, parts in doc["regions"].items():
        for i, part in enumerate(parts):
            mesh = bones.get(part["bone"])
            if mesh is None:
                raise LandmarkFileError(path, f"regions.{name}[{i}].bone", f"unknown bone {part['bone']!r}; {_FIX}")
            faces = np.asarray(part["faces"], np.int64)
            if faces.size and (faces.min() < 0 or faces.max() >= mesh.n_faces):
                raise LandmarkFileError(
                    path,
                    f"regions.{name}[{i}].faces",
                    f"face indices outside 0..{mesh.n_faces - 1} of {part['bone']}; {_FIX}",
                )
    return doc


def packaged_mesh_dir() -> Path:
    """The folder of the model files shipped inside the package."""
    return Path(str(resources.files("glute3d").joinpath("meshes")))


def default_mesh_dir() -> Path:
    """Where the model files are looked for: ``$GLUTE3D_MESHES`` if set, else the packaged files.

    Examples
    --------
    >>> default_mesh_dir().name
    'meshes'
    """
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else packaged_mesh_dir()


def read_model_files(folder: str | Path, bone_names: Sequence[str]) -> tuple[dict[str, Mesh], dict[str, Any], str]:
    """Read the bone meshes and the landmark file of a model folder.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder.
    bone_names : sequence of str
        The bones to read (``<name>.ply`` each).

    Returns
    -------
    tuple
        The meshes by name, the parsed landmark document, and its text.

    Raises
    ------
    ModelFilesError
        Files are missing; the message names them and the command that makes them.
    """
    folder = Path(folder)
    needed = [folder / f"{n}.ply" for n in bone_names] + [folder / LANDMARKS_FILE]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        where = f"${ENV_VAR}={folder}" if os.environ.get(ENV_VAR, "").strip() else str(folder)
        raise ModelFilesError(
            f"model files missing in {where}: {', '.join(missing)}; "
            f"run `glute3d build-meshes -o {folder}` to generate them, or point --meshes (or ${ENV_VAR}) "
            f"at a folder that has them"
        )
    size = (folder / LANDMARKS_FILE).stat().st_size
    if size > MAX_LANDMARK_BYTES:
        raise LandmarkFileError(folder / LANDMARKS_FILE, "", f"{size} bytes, more than a landmark file can be; {_FIX}")
    try:
        text = (folder / LANDMARKS_FILE).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LandmarkFileError(folder / LANDMARKS_FILE, "", f"not UTF-8 text; {_FIX}") from None
    bones = {n: read_ply(folder / f"{n}.ply") for n in bone_names}
    return bones, check_landmarks(folder / LANDMARKS_FILE, text, bones), text
