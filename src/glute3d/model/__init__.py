"""The assembled model (skeleton, muscles, paths, skin in one pose) and its files."""

from glute3d.lazy import lazy_exports

_EXPORTS = {
    "STRUCTURE_KINDS": "glute3d.model.model",
    "Model": "glute3d.model.model",
    "build_mesh_files": "glute3d.model.files",
    "load_model": "glute3d.model.files",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
