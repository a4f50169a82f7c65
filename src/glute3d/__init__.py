"""glute3d: scriptable 3D anatomy of the gluteal region.

Pipeline: knowledge (``anatomy``) -> bones and landmarks (``bones``,
``landmarks``) -> model (``model``) -> scene -> output.
"""

from __future__ import annotations

from .anatomy import facts
from .bones import BoneParameters
from .model import Model, load_model

__all__ = ["BoneParameters", "Model", "facts", "load_model"]
__version__ = "0.1.0"
