"""Compatibility: the old single module of the scene layer, now split (see :mod:`glute3d.scene`).

Import from the package, ``glute3d.scene``; this module only re-exports what the renderer,
the command line and ``glute3d.Scene`` still import from here, and goes when they no longer do.
"""

from glute3d.scene import (
    CAMERA_PRESETS,
    INJECTION_OVERLAYS,
    STYLES,
    Camera,
    CutAway,
    Label,
    Layer,
    Overlays,
    Pose,
    ResolvedScene,
    Scene,
    SceneError,
    Segment,
    display_name,
    injection_data,
    iso_lines,
    load_theme,
    parse_color,
    path_centrelines,
    safety_colors,
)

__all__ = [
    "CAMERA_PRESETS",
    "INJECTION_OVERLAYS",
    "STYLES",
    "Camera",
    "CutAway",
    "Label",
    "Layer",
    "Overlays",
    "Pose",
    "ResolvedScene",
    "Scene",
    "SceneError",
    "Segment",
    "display_name",
    "injection_data",
    "iso_lines",
    "load_theme",
    "parse_color",
    "path_centrelines",
    "safety_colors",
]
