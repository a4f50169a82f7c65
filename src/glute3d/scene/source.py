"""What a scene needs from a model (:class:`SceneSource`), and a lazy index of its structures.

A scene is resolved against anything that offers the model's one accessor for drawable
structures and its landmarks: :class:`glute3d.Model`, the renderer's disk-cached wrapper of
it, or a toy model in the tests.  Everything else is optional and asked for only by the
scene fields that need it:

=====================  =====================================  ==================================
capability             used for                               a model without it
=====================  =====================================  ==================================
``posed(pose)``        a non-neutral ``[pose]``                says so and names ``pose``
``with_variant(...)``  ``[variants]``                          says so and names ``variants``
``with_habitus(...)``  ``habitus``                            says so and names ``habitus``
``with_femur(...)``    ``[femur]``                             says so and names ``femur``
``neutral``, muscles   ``overlays.abductor_lever``            says so and names the overlay
``paths``              label ``branch``, foramen targets       has no branches or foramina
``skin``, ``paths``    ``overlays.injection``                 says so and names the overlay
=====================  =====================================  ==================================

A wrapper that keeps generated data (the renderer's cache) may also offer
``path_centrelines()`` and ``injection_data(needle_mm)`` (:class:`OverlayCache`); they
return what :func:`glute3d.scene.path_centrelines` and :func:`glute3d.scene.injection_data`
compute from ``paths`` and ``skin``.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol, runtime_checkable

from glute3d.geometry.mesh import Mesh
from glute3d.model.model import STRUCTURE_KINDS
from glute3d.sides import SIDES, with_side

__all__ = [
    "DRAWING_GROUPS",
    "STRUCTURE_KINDS",
    "HasFemur",
    "HasHabitus",
    "HasVariants",
    "LandmarkIndex",
    "OverlayCache",
    "Poseable",
    "SceneSource",
    "StructureIndex",
    "drawing_order",
]


class LandmarkIndex(Protocol):
    """The names and kinds of a model's landmarks (:class:`glute3d.anatomy.landmarks.Landmarks`)."""

    def names(self) -> list[str]:
        """Every landmark name."""
        ...

    def kind(self, name: str) -> str:
        """``"point"``, ``"curve"`` or ``"region"``."""
        ...


class SceneSource(Protocol):
    """What resolving a scene needs from a model.

    Attributes
    ----------
    landmarks : LandmarkIndex
        Landmark names and kinds.

    Methods
    -------
    landmark(name)
        A point ``(3,)``, a curve ``(n, 3)`` or a region patch (with ``mesh`` and ``centroid``).
    structure_names(kind)
        Names of the drawable structures of one kind of `STRUCTURE_KINDS` (every kind must be
        accepted; a kind the model lacks gives ``[]``), known without generating anything.
        Any order: a scene draws them in :func:`drawing_order`.
    structure(name)
        Its mesh (generated on first use): only drawn, framed or referred-to structures are
        asked for, so a scene of bones never builds the soft tissues.

    Notes
    -----
    :class:`glute3d.Model` also has ``structure_kind(name)`` and ``muscle_parts()``; a scene
    needs neither (it asks for the names of each kind once, and a muscle part is a structure
    like any other).
    """

    @property
    def landmarks(self) -> LandmarkIndex: ...

    def landmark(self, name: str) -> Any: ...

    def structure_names(self, kind: str | None = None) -> list[str]: ...

    def structure(self, name: str) -> Mesh: ...


@runtime_checkable
class Poseable(Protocol):
    """A model that can be posed (``[pose]``): ``posed`` takes a :class:`glute3d.anatomy.pose.Pose`."""

    def posed(self, pose: Any) -> Any: ...


@runtime_checkable
class HasVariants(Protocol):
    """A model with anatomical variant switches (``[variants]``)."""

    def with_variant(self, **switches: str) -> Any: ...


@runtime_checkable
class HasHabitus(Protocol):
    """A model whose skin can have more or less fat (``habitus``)."""

    def with_habitus(self, habitus: str) -> Any: ...


@runtime_checkable
class HasFemur(Protocol):
    """A model whose femurs can be reshaped (``[femur]``)."""

    def with_femur(self, neck_shaft_angle: float | None = None, offset: float | None = None) -> Any: ...


@runtime_checkable
class OverlayCache(Protocol):
    """A model that keeps the path centrelines and injection data it computed (the renderer's cache)."""

    def path_centrelines(self) -> dict[str, dict]: ...

    def injection_data(self, needle_mm: float) -> dict: ...


#: Kinds drawn together, in drawing order (deep to superficial).
DRAWING_GROUPS: tuple[tuple[str, ...], ...] = (
    ("bone",),
    ("muscle",),
    ("muscle_part",),
    ("bursa",),
    ("nerve", "artery"),
    ("fascia",),
    ("skin",),
)


@functools.cache
def _data_rank() -> dict[str, tuple[int, ...]]:
    """Where each structure comes in the model's data: bones in `BONE_NAMES` order; muscles (and
    their parts) in ``muscles.toml`` order, deep to superficial; nerves and arteries in
    ``paths.toml`` order; the right side before the left."""
    from glute3d.anatomy.muscles import muscle_specs
    from glute3d.anatomy.paths import PATH_NAMES
    from glute3d.anatomy.skeleton import BONE_NAMES

    rank: dict[str, tuple[int, ...]] = {name: (i,) for i, name in enumerate(BONE_NAMES)}
    specs = muscle_specs()
    for s, side in enumerate(SIDES):
        for m, (muscle, spec) in enumerate(specs.items()):
            rank[with_side(muscle, side)] = (s, m)
            for p, part in enumerate(spec.parts):
                rank[with_side(f"{muscle}_{part}", side)] = (s, m, p)
        for k, path in enumerate(PATH_NAMES):
            rank[with_side(path, side)] = (s, k)
    return rank


def drawing_order(names_by_kind: dict[str, list[str]]) -> list[str]:
    """Structure names in drawing order: group by group of `DRAWING_GROUPS`, each in the order of the
    model's data (the order of :attr:`glute3d.Model.meshes`); names the data does not list follow
    their group's listed names in the order given.

    Examples
    --------
    >>> drawing_order({"bone": ["femur_r", "hip_bone_r"], "muscle": ["gluteus_medius_r", "gluteus_minimus_r"],
    ...                "skin": ["skin"]})
    ['hip_bone_r', 'femur_r', 'gluteus_minimus_r', 'gluteus_medius_r', 'skin']
    """
    rank = _data_rank()
    out: list[str] = []
    for group in DRAWING_GROUPS:
        given = {n: i for i, n in enumerate(dict.fromkeys(n for kind in group for n in names_by_kind.get(kind, ())))}
        out += sorted(given, key=lambda n: (0, rank[n]) if n in rank else (1, (given[n],)))
    return list(dict.fromkeys(out))


class StructureIndex:
    """The drawable structures of a model in drawing order, their meshes fetched on first use.

    Parameters
    ----------
    source : SceneSource
        The model.

    Examples
    --------
    >>> import glute3d
    >>> index = StructureIndex(glute3d.load_model())
    >>> index.names[:3], index.kind("femur_r"), "gluteus_minimus_anterior_r" in index.parts
    (['hip_bone_r', 'hip_bone_l', 'sacrum'], 'bone', True)
    >>> index.mesh("femur_r").n_faces > 0
    True
    """

    def __init__(self, source: SceneSource) -> None:
        self._source = source
        by_kind = {kind: list(source.structure_names(kind)) for kind in STRUCTURE_KINDS}
        self._kinds: dict[str, str] = {}
        for kind, names in by_kind.items():
            for name in names:
                self._kinds.setdefault(name, kind)
        self._meshes: dict[str, Mesh] = {}
        #: Every structure name in drawing order (see :func:`drawing_order`).
        self.names: list[str] = drawing_order(by_kind)
        #: The muscle parts: drawn only when named exactly (no glob matches them).
        self.parts: frozenset[str] = frozenset(n for n, k in self._kinds.items() if k == "muscle_part")
        #: The names globs match: every structure but the muscle parts.
        self.globbable: list[str] = [n for n in self.names if n not in self.parts]

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def kind(self, name: str) -> str:
        """The kind of structure ``name`` (one of `STRUCTURE_KINDS`)."""
        return self._kinds[name]

    def mesh(self, name: str) -> Mesh:
        """The mesh of structure ``name``, asked of the model once."""
        if name not in self._meshes:
            self._meshes[name] = self._source.structure(name)
        return self._meshes[name]
