"""Anatomy generation: knowledge base, bones, landmarks, skeleton, pose, muscles, paths, skin.

The knowledge base's public names are re-exported here (``from glute3d.anatomy import facts``).
"""

from glute3d.anatomy.knowledge import (
    KINDS,
    SEED_STEMS,
    TEXTBOOK,
    Facts,
    KnowledgeBaseError,
    UnknownStructureError,
    facts,
    knowledge_base,
    structure_names,
    validate_knowledge_base,
)
from glute3d.sides import SIDES, split_side, with_side

__all__ = [
    "KINDS",
    "SEED_STEMS",
    "SIDES",
    "TEXTBOOK",
    "Facts",
    "KnowledgeBaseError",
    "UnknownStructureError",
    "facts",
    "knowledge_base",
    "split_side",
    "structure_names",
    "validate_knowledge_base",
    "with_side",
]
