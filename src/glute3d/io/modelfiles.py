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

from glute3d.geometry.mesh import Mesh
from glute3d.io.ply import read_ply

__all__ = ["ENV_VAR", "LANDMARKS_FILE", "SKIN_FILE", "ModelFilesError", "default_mesh_dir", "packaged_mesh_dir",
           "read_model_files"]

#: Environment variable naming the folder of the model files.
ENV_VAR = "GLUTE3D_MESHES"
#: The landmark annotations (and bone parameters) of a model folder.
LANDMARKS_FILE = "landmarks.json"
#: The pre-built skin of a model folder (optional; regenerated when absent or stale).
SKIN_FILE = "skin.ply"


class ModelFilesError(FileNotFoundError):
    """The model files are missing or incomplete; the message says where and how to make them."""


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
    text = (folder / LANDMARKS_FILE).read_text(encoding="utf-8")
    bones = {n: read_ply(folder / f"{n}.ply") for n in bone_names}
    return bones, json.loads(text), text
