"""One resolution of a scene against a model: the scene, the (posed) model, its names, the targets found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glute3d.scene.naming import absent_landmark
from glute3d.scene.schema import SceneFields
from glute3d.scene.source import SceneSource, StructureIndex
from glute3d.scene.unknown import UnknownNames

__all__ = ["Context", "Target", "Targets", "landmark_centroid"]

#: A label or focus target that is not a structure or landmark (an injection mark, a foramen):
#: its kind (``"point"``, ``"curve"``, ``"region"``), candidate anchor points ``(n, 3)`` (best
#: first) and how far the drawn mark stands off them (mm).
Target = tuple[str, np.ndarray, float]
Targets = dict[str, Target]


def landmark_centroid(geometry: object) -> np.ndarray:
    """The centre of a landmark: a point itself, a curve's mean point, a region's centroid."""
    if isinstance(geometry, np.ndarray):
        return np.asarray(np.atleast_2d(geometry).mean(axis=0), float)
    return np.asarray(geometry.centroid, float)  # type: ignore[attr-defined]


@dataclass
class Context:
    """A scene being resolved against ``model`` (already posed and with its variants).

    Attributes
    ----------
    scene : SceneFields
        The scene.
    model : SceneSource
        The model.
    structures : StructureIndex
        Its drawable structures, in drawing order.
    landmarks : list of str
        Its landmark names.
    unknown : UnknownNames
        The unknown names found so far (reported together when the scene is resolved).
    """

    scene: SceneFields
    model: SceneSource
    structures: StructureIndex
    landmarks: list[str]
    unknown: UnknownNames

    @classmethod
    def of(cls, scene: SceneFields, model: SceneSource, unknown: UnknownNames | None = None) -> Context:
        """The context of ``scene`` on ``model`` (``unknown``: names found unknown before, e.g. variants)."""
        found = unknown if unknown is not None else UnknownNames(scene)
        return cls(scene, model, StructureIndex(model), list(model.landmarks.names()), found)

    def landmark_kind(self, name: str) -> str:
        """``"point"``, ``"curve"`` or ``"region"``."""
        return self.model.landmarks.kind(name)

    def landmark_at(self, path: Sequence[str | int], name: str) -> np.ndarray | None:
        """The centre of landmark ``name``, named in the scene at field ``path``.

        ``None`` for an unknown name, which is noted in :attr:`unknown` (with the closest landmarks).
        """
        if name not in self.landmarks:
            self.unknown.add(path, name, *absent_landmark(name, self.landmarks, self.structures))
            return None
        return landmark_centroid(self.model.landmark(name))

    def points_of(self, name: str) -> np.ndarray | None:
        """Every point of structure or landmark ``name`` as ``(n, 3)``; ``None`` if it is neither."""
        if name in self.structures:
            return np.asarray(self.structures.mesh(name).vertices, float)
        if name in self.landmarks:
            g = self.model.landmark(name)
            if hasattr(g, "mesh"):
                return np.asarray(g.mesh.vertices, float)
            return np.atleast_2d(np.asarray(g, float))
        return None
