"""Anatomy generation: knowledge base, bones, landmarks, skeleton, pose, muscles, paths, skin.

The knowledge base's public names are re-exported here (``from glute3d.anatomy import facts``).
"""

from glute3d.lazy import lazy_exports

_EXPORTS = {
    **{
        name: "glute3d.anatomy.knowledge"
        for name in (
            "KINDS",
            "SEED_STEMS",
            "TEXTBOOK",
            "Facts",
            "KnowledgeBaseError",
            "UnknownStructureError",
            "facts",
            "knowledge_base",
            "structure_names",
            "validate_knowledge_base",
        )
    },
    **{name: "glute3d.sides" for name in ("SIDES", "split_side", "with_side")},
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
