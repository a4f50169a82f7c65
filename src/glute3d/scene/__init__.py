"""Scenes: TOML files that say what to show and how, validated and resolved against a model.

The modules, each with one job (each imports only those listed before it)::

    theme        colours, styles and the theme file (data/theme.toml)
    schema       the scene's fields: pydantic models, allowed values, SceneError
    unknown      the unknown names of a scene, collected and reported at once
    resolved     the resolved scene: plain data for a renderer
    source       what a scene needs from a model (SceneSource), a lazy index of its structures
    naming       display names, knowledge-base names, label targets that are no structures
    context      one resolution: the scene, the model, its names
    surface      iso-lines and nearest vertices on a surface
    centrelines  nerves and arteries as centrelines; the foramina
    injection    injection sites, needles and the safety map as marks on the skin
    labels       label targets, their anchor candidates and texts
    resolve      variants, pose, layers, landmarks, segments, focus, then labels
    scene        Scene: reading, writing and resolving
    reference    docs/scene-format.md, generated from the schema

Examples
--------
>>> from glute3d.scene import Scene
>>> Scene.from_toml('title = "Hip"\\n[camera]\\npreset = "lateral"\\n').camera.effective_side
'r'
"""

from glute3d.scene.centrelines import path_centrelines
from glute3d.scene.injection import injection_data, safety_colors
from glute3d.scene.naming import display_name
from glute3d.scene.resolved import Cut, DrawItem, LabelItem, Mark, OverlayItem, ResolvedScene, SafetyMap
from glute3d.scene.scene import Scene
from glute3d.scene.schema import (
    CAMERA_PRESETS,
    INJECTION_OVERLAYS,
    STYLES,
    Camera,
    CutAway,
    Label,
    Layer,
    Overlays,
    Pose,
    SceneError,
    Segment,
)
from glute3d.scene.source import SceneSource
from glute3d.scene.surface import iso_lines
from glute3d.scene.theme import load_theme, parse_color

__all__ = [
    "CAMERA_PRESETS",
    "INJECTION_OVERLAYS",
    "STYLES",
    "Camera",
    "Cut",
    "CutAway",
    "DrawItem",
    "Label",
    "LabelItem",
    "Layer",
    "Mark",
    "OverlayItem",
    "Overlays",
    "Pose",
    "ResolvedScene",
    "SafetyMap",
    "Scene",
    "SceneError",
    "SceneSource",
    "Segment",
    "display_name",
    "injection_data",
    "iso_lines",
    "load_theme",
    "parse_color",
    "path_centrelines",
    "safety_colors",
]
