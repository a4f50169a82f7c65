"""The model files: loading them into a :class:`Model`, and generating them.

:func:`load_model` is the usual entry point of every script, scene and test.
``glute3d build-meshes`` calls :func:`build_mesh_files`.  Output is deterministic:
the same parameters give byte-identical files.  The skin (``skin.ply``) depends on
the muscles too; a model uses it only while its fingerprint matches.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from glute3d.anatomy.landmarks import Landmarks
from glute3d.anatomy.skeleton import BONE_NAMES
from glute3d.io.atomic import write_atomically
from glute3d.io.modelfiles import (
    LANDMARKS_FILE,
    SKIN_FILE,
    LandmarkFileError,
    ModelFilesError,
    default_mesh_dir,
    read_model_files,
)
from glute3d.io.ply import ply_bytes
from glute3d.model.model import Model
from glute3d.sides import SIDES

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.anatomy.bones import BoneParameters, BoneSet

# The generators (bones: SDFs with scipy; skin) are imported where they are needed: loading
# the model files must stay quick.

__all__ = ["build_mesh_files", "build_skin_file", "generate", "load_model", "mesh_file_contents"]


def load_model(mesh_dir: str | Path | None = None, *, build_if_missing: bool = False) -> Model:
    """Load the bones and landmarks of a model folder (the packaged adult model by default).

    Parameters
    ----------
    mesh_dir : str or pathlib.Path, optional
        Folder with the files of ``glute3d build-meshes``; default
        :func:`~glute3d.io.modelfiles.default_mesh_dir` (``$GLUTE3D_MESHES`` or the packaged files).
    build_if_missing : bool
        Generate the files (about half a minute) when they are absent.

    Raises
    ------
    ModelFilesError
        Files are missing (and ``build_if_missing`` is false).

    Examples
    --------
    >>> import glute3d
    >>> model = glute3d.load_model()
    >>> model.landmark("asis_r").shape
    (3,)
    """
    folder = Path(mesh_dir) if mesh_dir is not None else default_mesh_dir()
    try:
        bones, doc, text = read_model_files(folder, BONE_NAMES)
    except ModelFilesError:
        if not build_if_missing:
            raise
        build_mesh_files(folder)
        bones, doc, text = read_model_files(folder, BONE_NAMES)
    _check_complete(folder, doc)
    return Model(bones=bones, landmarks=Landmarks.from_doc(doc), parameters=doc["parameters"], source=folder)


def _check_complete(folder: Path, doc: dict) -> None:
    """Every landmark that ``landmarks.toml`` defines is in the file, on both sides (or on the midline)."""
    from glute3d.anatomy.landmark_defs import landmark_names

    tables = {"point": "points", "curve": "curves", "region": "regions"}
    missing = []
    for name, kind in landmark_names().items():
        have = doc[tables[kind]]
        if name not in have and not all(f"{name}_{side}" in have for side in SIDES):
            missing += [n for n in (f"{name}_r", f"{name}_l") if n not in have]
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        raise LandmarkFileError(
            folder / LANDMARKS_FILE,
            "",
            f"{len(missing)} landmark(s) missing: {shown}; the file is incomplete or from another version of "
            f"glute3d: regenerate the model files with `glute3d build-meshes -o DIR` (or reinstall glute3d)",
        )


def generate(params: BoneParameters | None = None) -> tuple[BoneSet, Landmarks]:
    """Generate the bones and evaluate their landmarks."""
    from glute3d.anatomy.annotate import annotate
    from glute3d.anatomy.bones import build_bones

    bones = build_bones(params)
    return bones, annotate(bones)


def mesh_file_contents(params: BoneParameters | None = None) -> dict[str, bytes]:
    """Every bone and landmark file of a model folder as bytes, keyed by file name."""
    bones, marks = generate(params)
    files = {f"{name}.ply": ply_bytes(bones.meshes[name], name) for name in BONE_NAMES}
    files[LANDMARKS_FILE] = marks.to_json(bones.params.as_dict()).encode()
    return files


def build_mesh_files(out_dir: str | Path, params: BoneParameters | None = None, *, skin: bool = True) -> list[Path]:
    """Generate the bones and landmarks and write them to ``out_dir``; then the skin.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Target folder.
    params : BoneParameters, optional
        Bone parameters (adult defaults).
    skin : bool
        Also generate ``skin.ply`` from the new files (needs the muscles; about ten seconds).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    written = []
    for name, data in mesh_file_contents(params).items():
        write_atomically(out / name, data)
        written.append(out / name)
    if skin:
        written.append(build_skin_file(out))
    return written


def build_skin_file(out_dir: str | Path) -> Path:
    """Generate the skin of the model in ``out_dir`` and write ``skin.ply`` there, with its fingerprint."""
    from glute3d.anatomy.skin import generate_skin, skin_ply_bytes

    out = Path(out_dir)
    model = load_model(out)
    skin = generate_skin(model.skeleton, model.muscles)
    write_atomically(out / SKIN_FILE, skin_ply_bytes(skin, model.skin_fingerprint()))
    return out / SKIN_FILE
