"""glute3d: scriptable 3D anatomy of the gluteal region.

Pipeline: knowledge (``anatomy``) -> bones and landmarks (``bones``,
``annotate``) -> muscles, paths (``muscles``, ``paths``) -> pose
(``kinematics``) -> scene (``scene``) -> output (``render``, ``cli``).

Heavy modules load on first use, so ``import glute3d`` stays quick.
"""

from __future__ import annotations

from typing import Any

from .anatomy import facts
from .model import Model, load_model

__all__ = ["BoneParameters", "Model", "Pose", "Scene", "actions", "facts", "load_model", "render"]
__version__ = "0.1.0"

_LAZY = {
    "BoneParameters": ("glute3d.bones", "BoneParameters"),
    "Pose": ("glute3d.kinematics", "Pose"),
    "actions": ("glute3d.kinematics", "actions"),
    "Scene": ("glute3d.scene", "Scene"),
    "render": ("glute3d.render", "render_to_file"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'glute3d' has no attribute {name!r}")
