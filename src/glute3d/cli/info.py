"""``glute3d list`` and ``glute3d doctor``: what the model offers, and where things are."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from glute3d.cli.common import CliError

__all__ = ["LISTS", "cmd_cache", "cmd_doctor", "cmd_list"]

#: What ``glute3d list`` can list.
LISTS = ("structures", "landmarks", "presets", "scenes", "sites")


def cmd_list(args: argparse.Namespace) -> int:
    """Print one name a line (structures with their kind, scenes with their title)."""
    what = args.what
    if what == "structures":
        from glute3d.model.files import load_model

        model = load_model(args.meshes)
        volumes = getattr(args, "volumes", False)
        for name in model.structure_names(args.kind):  # in drawing order, deep to superficial
            kind = model.structure_kind(name)
            if volumes and kind == "muscle":
                print(f"{name}\t{kind}\t{model.muscles[name].volume_cm3:.0f} cm³")
            else:
                print(f"{name}\t{kind}")
    elif what == "landmarks":
        from glute3d.model.files import load_model

        lm = load_model(args.meshes).landmarks
        for name in lm.names():
            print(f"{name}\t{lm.kind(name)}")
    elif what == "sites":
        _list_sites(args)
    elif what == "presets":
        from glute3d.scene import CAMERA_PRESETS

        for name in CAMERA_PRESETS:
            print(name)
    else:
        _list_scenes(Path(args.folder or "scenes"))
    return 0


def _list_sites(args: argparse.Namespace) -> None:
    """The injection sites with their kind and target (``-`` for a region of the skin)."""
    from glute3d.model.files import load_model
    from glute3d.teaching.injection import SITE_KINDS, sites

    if args.kind is not None and args.kind not in SITE_KINDS:
        raise CliError(f"--kind {args.kind!r}: injection sites are of kind {', '.join(SITE_KINDS)}; choose one")
    for name, site in sites(load_model(args.meshes)).items():
        if args.kind in (None, site.kind):
            print(f"{name}\t{site.kind}\t{site.target or '-'}")


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


def cmd_cache(args: argparse.Namespace) -> int:
    """Where the tissue cache is and how big; ``--clear`` removes its entries (and nothing else)."""
    from glute3d.render import cache_info, clear_cache

    info = cache_info()
    if info.folder is None:
        print("tissue cache: off ($GLUTE3D_CACHE is 0, off or empty)")
        return 0
    if args.clear:
        n = clear_cache()
        print(f"tissue cache: removed {n} entries ({info.bytes / 1e6:.1f} MB) from {info.folder}")
    else:
        print(f"tissue cache: {info.folder} ({info.entries} entries, {info.bytes / 1e6:.1f} MB)")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the installation, one fact a line, each problem with its fix; non-zero when one fails."""
    checks = [_versions, _model_files, _cache, _render_backend]
    failed = 0
    for check in checks:
        ok, line = check(args)
        print(f"{'ok' if ok else 'FAIL':<5}{line}")
        failed += not ok
    return 1 if failed else 0


def _versions(args: argparse.Namespace) -> tuple[bool, str]:
    import numpy
    import pyvista
    import vtk

    import glute3d

    return True, (
        f"glute3d {glute3d.__version__} in {Path(glute3d.__file__).parent}; Python "
        f"{sys.version.split()[0]}, numpy {numpy.__version__}, VTK {vtk.vtkVersion.GetVTKVersion()}, "
        f"pyvista {pyvista.__version__}"
    )


def _model_files(args: argparse.Namespace) -> tuple[bool, str]:
    from glute3d.io.modelfiles import ENV_VAR, default_mesh_dir
    from glute3d.model.files import load_model

    folder = Path(args.meshes) if args.meshes else default_mesh_dir()
    source = "--meshes" if args.meshes else (f"${ENV_VAR}" if os.environ.get(ENV_VAR, "").strip() else "packaged")
    try:
        model = load_model(folder)
    except (OSError, ValueError) as exc:
        return False, f"model files ({source}): {exc}"
    skin = "with its skin" if (folder / "skin.ply").is_file() else "no skin.ply (generated on first use, slower)"
    return (
        True,
        f"model files ({source}): {folder}: {len(model.bones)} bones, {len(model.landmarks.names())} landmarks, {skin}",
    )


def _cache(args: argparse.Namespace) -> tuple[bool, str]:
    from glute3d.render import cache_info

    info = cache_info()
    if info.folder is None:
        return True, "tissue cache: off ($GLUTE3D_CACHE): every run generates the soft tissue (seconds)"
    writable = (
        os.access(info.folder, os.W_OK)
        if info.folder.exists()
        else os.access(next((p for p in info.folder.parents if p.exists()), Path("/")), os.W_OK)
    )
    line = (
        f"tissue cache: {info.folder} ({info.entries} entries, {info.bytes / 1e6:.1f} MB); "
        f"clear it with `glute3d cache --clear`"
    )
    if not writable:
        return False, line + "; the folder is not writable: set $GLUTE3D_CACHE to a folder you can write"
    return True, line


def _render_backend(args: argparse.Namespace) -> tuple[bool, str]:
    """A 64 x 48 off-screen test render of a sphere: which window class VTK chose, and that it drew."""
    import time

    import numpy as np
    import pyvista as pv

    t0 = time.perf_counter()
    try:
        pl = pv.Plotter(off_screen=True, window_size=[64, 48])
        pl.add_mesh(pv.Sphere(), color="red")
        image = np.asarray(pl.screenshot(return_img=True))
        window = type(pl.render_window).__name__ if pl.render_window is not None else "?"
        pl.close()
    except Exception as exc:  # the back end itself failed: say which fix applies
        return False, (
            f"test render failed ({' '.join(str(exc).split())[:200]}); off-screen rendering needs "
            f"Mesa's EGL (Debian: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri) and "
            f"VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow, or a display"
        )
    red = int(((image[..., 0] > 150) & (image[..., 1] < 80)).sum())
    ms = 1000 * (time.perf_counter() - t0)
    if red == 0:
        return False, f"test render with {window} drew nothing; check the OpenGL drivers (Mesa) and try again"
    return True, f"test render: {window} drew {red} of {image.shape[0] * image.shape[1]} pixels in {ms:.0f} ms"
