"""Rendering: a resolved scene becomes a picture (off-screen, through VTK's EGL back end).

Modules, one job each: ``core`` (render, render_to_file, write_png), ``layout`` (texts and
margins before the render), ``camera``, ``plotter`` (window pool, actors, translucency),
``polydata`` (meshes to pyvista geometry), ``tiles`` (large pictures drawn as tiles), ``heap``
(freed memory given back), ``anchors`` (z-buffer, label anchors), ``labels`` and
``placement`` (label layout), ``overlay`` (the Pillow text layer), ``fonts``, ``style``, and the
tissue cache: ``cache`` (CachedModel) over ``cachefiles`` (its folder and data-only files).
"""

from __future__ import annotations

from glute3d.render.cache import CachedModel, cached_model
from glute3d.render.cachefiles import CacheInfo, cache_dir, cache_info, clear_cache
from glute3d.render.camera import CameraFrame, camera_frame
from glute3d.render.core import LabelResult, Pins, RenderResult, render, render_to_file, write_png
from glute3d.render.layout import text_bands
from glute3d.render.plotter import build_plotter, release_plotters

__all__ = [
    "CacheInfo",
    "CachedModel",
    "CameraFrame",
    "LabelResult",
    "Pins",
    "RenderResult",
    "build_plotter",
    "cache_dir",
    "cache_info",
    "cached_model",
    "camera_frame",
    "clear_cache",
    "release_plotters",
    "render",
    "render_to_file",
    "text_bands",
    "write_png",
]
