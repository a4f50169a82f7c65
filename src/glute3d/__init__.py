"""glute3d: scriptable 3D anatomy of the gluteal region.

The package is layered like its pipeline; each layer imports only the layers below it
(an import-linter contract in the tests keeps it so)::

    cli        glute3d ...: parse, call the API, one-line errors
    viewer     the interactive viewer: window, notebook, and its state (Viewer)
    render     camera, plotter, labels, 2D overlay, PNG; the tissue cache
    scene      TOML scenes: schema, resolution against a model, overlays
    teaching   actions (moment arms), single-leg stance, bone shape, injection sites, needles, safety map
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

from glute3d.lazy import lazy_exports

__version__ = "0.2.0"

#: The public face; each name loads its layer on first use.
_EXPORTS = {
    "BoneParameters": "glute3d.anatomy.bones",
    "Model": "glute3d.model.model",
    "Pose": "glute3d.anatomy.pose",
    "Scene": "glute3d.scene",
    "actions": "glute3d.teaching.actions",
    "boneshape": "glute3d.teaching.boneshape",
    "facts": "glute3d.anatomy.knowledge",
    "load_model": "glute3d.model.files",
    "render_to_file": "glute3d.render.core",
    "show": "glute3d.viewer.notebook",
    "stance": "glute3d.teaching.stance",
}
# (``glute3d.render`` is the rendering subpackage: render a scene with ``glute3d.render_to_file``.)
__all__ = ["__version__", *_EXPORTS]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
