"""One resolution of a scene against a model: the scene, the (posed) model, its names, the targets found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glute3d.errors import did_you_mean
from glute3d.scene.schema import SceneFields
from glute3d.scene.source import SceneSource, StructureIndex

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
    """

    scene: SceneFields
    model: SceneSource
    structures: StructureIndex
    landmarks: list[str]

    @classmethod
    def of(cls, scene: SceneFields, model: SceneSource) -> Context:
        """The context of ``scene`` on ``model``."""
        return cls(scene, model, StructureIndex(model), list(model.landmarks.names()))

    def landmark_kind(self, name: str) -> str:
        """``"point"``, ``"curve"`` or ``"region"``."""
        return self.model.landmarks.kind(name)

    def landmark_at(self, path: Sequence[str | int], name: str) -> np.ndarray:
        """The centre of landmark ``name``, named in the scene at field ``path``.

        Raises
        ------
        SceneError
            Unknown landmark (with the closest names).
        """
        if name not in self.landmarks:
            raise self.scene.error(path, f"unknown landmark {name!r}{did_you_mean(name, self.landmarks)}", name)
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
