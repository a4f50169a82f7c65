"""Rendering: a resolved scene becomes a picture (off-screen, through VTK's EGL back end)."""

from glute3d.render.core import (
    CachedModel,
    RenderResult,
    build_plotter,
    cache_dir,
    cached_model,
    camera_frame,
    release_plotters,
    render,
    render_to_file,
    write_png,
)

__all__ = ["CachedModel", "RenderResult", "build_plotter", "cache_dir", "cached_model", "camera_frame",
           "release_plotters", "render", "render_to_file", "write_png"]
