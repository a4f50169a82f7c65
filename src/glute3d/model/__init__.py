"""The assembled model (skeleton, muscles, paths, skin in one pose) and its files."""

from glute3d.model.files import build_mesh_files, load_model
from glute3d.model.model import STRUCTURE_KINDS, Model

__all__ = ["STRUCTURE_KINDS", "Model", "build_mesh_files", "load_model"]
