"""``glute3d list`` and ``glute3d doctor``: what the model offers, and where things are."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from glute3d.cli.common import CliError

__all__ = ["LISTS", "cmd_doctor", "cmd_list"]

#: What ``glute3d list`` can list.
LISTS = ("structures", "landmarks", "presets", "scenes")


def cmd_list(args: argparse.Namespace) -> int:
    """Print one name a line (structures with their kind, scenes with their title)."""
    what = args.what
    if what == "structures":
        from glute3d.model.files import load_model

        model = load_model(args.meshes)
        kinds = [args.kind] if args.kind else None
        for kind in kinds or _kinds():
            for name in model.structure_names(kind):
                print(f"{name}\t{kind}")
    elif what == "landmarks":
        from glute3d.model.files import load_model

        lm = load_model(args.meshes).landmarks
        for name in lm.names():
            print(f"{name}\t{lm.kind(name)}")
    elif what == "presets":
        from glute3d.scene import CAMERA_PRESETS

        for name in CAMERA_PRESETS:
            print(name)
    else:
        _list_scenes(Path(args.folder or "scenes"))
    return 0


def _kinds() -> tuple[str, ...]:
    from glute3d.model.model import STRUCTURE_KINDS

    return STRUCTURE_KINDS


def _list_scenes(folder: Path) -> None:
    from glute3d.scene import Scene, SceneError

    if not folder.is_dir():
        raise CliError(f"{folder}: no such folder of scenes; give it as `glute3d list scenes DIR`")
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise CliError(f"{folder}: no scene files (*.toml) in this folder")
    for p in files:
        try:
            title = Scene.from_file(p).title
        except SceneError as exc:
            title = f"(invalid: {exc.message})"
        print(f"{p}\t{title}")


def cmd_doctor(args: argparse.Namespace) -> int:
    """Versions, the model folder, the tissue cache and the rendering back end, one fact a line."""
    import glute3d
    from glute3d.io.modelfiles import ENV_VAR, default_mesh_dir

    folder = Path(args.meshes) if args.meshes else default_mesh_dir()
    print(f"glute3d {glute3d.__version__} (Python {sys.version.split()[0]})")
    print(f"package: {Path(glute3d.__file__).parent}")
    source = "--meshes" if args.meshes else (f"${ENV_VAR}" if os.environ.get(ENV_VAR, "").strip() else "packaged")
    print(f"model files: {folder} ({source}; {'found' if (folder / 'landmarks.json').is_file() else 'MISSING'})")
    from glute3d.render import cache_info

    info = cache_info()
    if info.folder is None:
        print("tissue cache: off ($GLUTE3D_CACHE)")
    else:
        print(f"tissue cache: {info.folder} ({info.entries} entries, {info.bytes / 1e6:.1f} MB; "
              f"clear with `glute3d cache --clear`)")
    window = os.environ.get("VTK_DEFAULT_OPENGL_WINDOW", "(VTK default)")
    print(f"render window: {window}")
    return 0
