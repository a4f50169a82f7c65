"""Outputs for the classroom: slide decks (PPTX) and 3D models (glTF binary).

Modules, one job each: ``slides`` (pictures as a 16:9 PowerPoint file), ``model3d`` (what a
scene draws as a glTF 2.0 binary), ``gltf`` (the GLB writer: nodes, materials, extras),
``extras`` (a structure's names, IDs and key facts as JSON), ``errors`` (ExportError).
Each name below loads its module on first use.

Examples
--------
>>> from glute3d.export import Slide
>>> Slide("deck/01.png", title="Bones").title
'Bones'
"""

from __future__ import annotations

from glute3d.lazy import lazy_exports

_EXPORTS = {
    "ExportError": "glute3d.export.errors",
    "GlbResult": "glute3d.export.model3d",
    "Slide": "glute3d.export.slides",
    "pptx_bytes": "glute3d.export.slides",
    "resolved_glb": "glute3d.export.model3d",
    "structure_extras": "glute3d.export.extras",
    "write_glb": "glute3d.export.model3d",
    "write_pptx": "glute3d.export.slides",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
