"""Build the model files in ``meshes/``: bone meshes (PLY) and landmarks (JSON), and the skin.

``glute3d build-meshes`` calls :func:`build_mesh_files`.  Output is
deterministic: the same parameters give byte-identical files.  The skin
(``skin.ply``) depends on the muscles too; it is a cache that
:func:`glute3d.skin.skin_for` uses only while its fingerprint matches the model.
"""

from __future__ import annotations

from pathlib import Path

from .annotate import annotate
from .atomic import write_atomically
from .bones import BoneParameters, BoneSet, build_bones
from .landmarks import Landmarks
from .mesh import ply_bytes
from .model import BONE_NAMES, LANDMARKS_FILE


def generate(params: BoneParameters | None = None) -> tuple[BoneSet, Landmarks]:
    """Generate the bones and evaluate their landmarks."""
    bones = build_bones(params)
    return bones, annotate(bones)


def mesh_file_contents(params: BoneParameters | None = None) -> dict[str, bytes]:
    """Every file of ``meshes/`` as bytes, keyed by file name."""
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


# ---------------------------------------------------------------------- skin (owner: skin.py)
def build_skin_file(out_dir: str | Path) -> Path:
    """Generate the skin of the model in ``out_dir`` and write ``skin.ply`` there.

    The file carries a fingerprint of the bones, muscles and ``skin.toml`` it was
    made from (see :func:`glute3d.skin.fingerprint`).
    """
    from .model import load_model
    from .skin import SKIN_FILE, generate_skin, skin_ply_bytes

    out = Path(out_dir)
    model = load_model(out)
    write_atomically(out / SKIN_FILE, skin_ply_bytes(generate_skin(model), model))
    return out / SKIN_FILE
