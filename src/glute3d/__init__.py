"""glute3d: scriptable 3D anatomy of the gluteal region.

The package is layered like its pipeline; each layer imports only the layers below it
(an import-linter contract in the tests keeps it so)::

    cli        glute3d ...: parse, call the API, one-line errors
    render     camera, plotter, labels, 2D overlay, PNG; the tissue cache
    scene      TOML scenes: schema, resolution against a model, overlays
    teaching   actions (moment arms), injection sites, needles, safety map
    model      Model: skeleton + generated soft tissue in one pose; model files
    anatomy    knowledge base, bones, landmarks, skeleton, pose, muscles, paths, skin
    io         data files, model files (PLY, JSON), atomic writes
    geometry   Mesh, SDFs, meshing, distances, curves, transforms
    errors, sides

Heavy layers (scenes, rendering) load on first use, so ``import glute3d`` stays quick.

Examples
--------
>>> import glute3d
>>> glute3d.facts("gluteus_minimus_r").innervation["nerve"]
'superior_gluteal_nerve'
"""

from __future__ import annotations

import importlib
from typing import Any

from glute3d.anatomy.knowledge import facts
from glute3d.model import Model, load_model

__version__ = "0.2.0"

__all__ = ["BoneParameters", "Model", "Pose", "Scene", "__version__", "actions", "facts", "load_model", "render"]

_LAZY = {
    "BoneParameters": ("glute3d.anatomy.bones", "BoneParameters"),
    "Pose": ("glute3d.anatomy.pose", "Pose"),
    "actions": ("glute3d.teaching.actions", "actions"),
    "Scene": ("glute3d.scene", "Scene"),
    "render": ("glute3d.render.core", "render_to_file"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'glute3d' has no attribute {name!r}")
