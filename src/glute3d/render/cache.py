"""The tissue cache: a model whose generated soft tissues are read from disk when they can be.

Generating the muscles, nerves, arteries and skin of a model takes many seconds; a scene
needs only their meshes (and, for injection overlays, the sites and the safety map).
:class:`CachedModel` keeps those results as plain data (see :mod:`glute3d.render.cachefiles`)
under a key that is a checksum of everything they depend on: the bones and landmarks, the
source and data files of the generators, the model folder's ``skin.ply``, the pose and the
anatomical variants.  The second run of any scene reads them in milliseconds.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from glute3d.geometry.mesh import Mesh
from glute3d.render.cachefiles import FORMAT, cache_dir, entry_name, read_entry, write_entry
from glute3d.sides import SIDES

__all__ = ["MEMORY_ENTRIES", "TISSUE_SOURCES", "WRAPPED_MODELS", "CachedModel", "cached_model", "model_fingerprint"]

#: Files (relative to the package) whose contents decide the generated soft tissues, with the
#: bones and landmarks.  ``scene/`` makes the cached path centrelines and injection data.
TISSUE_SOURCES = (
    "anatomy/**/*.py",
    "geometry/**/*.py",
    "io/**/*.py",
    "model/**/*.py",
    "teaching/**/*.py",
    "scene/**/*.py",
    "sides.py",
    "data/muscles.toml",
    "data/paths.toml",
    "data/skin.toml",
    "data/bursae.toml",
    "data/fascia.toml",
    "data/slips.toml",
    "data/injection.toml",
    "data/gtps.toml",
    "data/stance.toml",  # the abductor lever's forces (overlays.abductor_lever)
)
_PACKAGE = Path(__file__).resolve().parents[1]


class _Folder(enum.Enum):
    DEFAULT = "default"


#: The ``folder`` of :class:`CachedModel` that means :func:`~glute3d.render.cachefiles.cache_dir`.
DEFAULT_FOLDER = _Folder.DEFAULT

Arrays = tuple[np.ndarray, np.ndarray]


class _Store:
    """Entries in memory: plain data by key, and the mesh objects built from them (the least
    recently used beyond ``limit`` are let go; ``None``: no limit)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self.data: OrderedDict[str, Any] = OrderedDict()  # key -> plain data read or made
        self.meshes: OrderedDict[str, dict[str, Mesh]] = OrderedDict()  # key -> Mesh objects built from it

    def keep(self, table: OrderedDict, key: str, value: Any) -> Any:
        table[key] = value
        table.move_to_end(key)
        while self.limit is not None and len(table) > self.limit:
            table.popitem(last=False)
        return value


#: Entries that the wrappers made by :func:`cached_model` keep in memory, shared by all of them
#: (the key says which bones, sources, pose and variants): a session that loads the model again
#: for every picture reads each entry once and gets the same mesh objects, so the renderer's
#: geometry cache hits instead of growing.
MEMORY_ENTRIES = 32
_SHARED = _Store(MEMORY_ENTRIES)


class CachedModel:
    """A model whose generated soft tissues come from the disk cache when they can.

    Everything not defined here is the wrapped model's (bones, landmarks, skin, paths, ...).

    Parameters
    ----------
    model : glute3d.Model
        The model (neutral or posed).
    folder : pathlib.Path or str or None, optional
        Cache folder; by default :func:`~glute3d.render.cachefiles.cache_dir`; ``None``: memory only.

    Examples
    --------
    >>> import glute3d
    >>> cached = CachedModel(glute3d.load_model(), folder=None)
    >>> cached.structure_kind("gluteus_minimus_anterior_r"), cached.structure("femur_r").n_faces > 0
    ('muscle_part', True)
    """

    def __init__(
        self,
        model: Any,
        folder: str | Path | None | _Folder = DEFAULT_FOLDER,
        *,
        _base: str | None = None,
        _variants: dict[str, str] | None = None,
        _store: _Store | None = None,
        _habitus: str = "average",
    ) -> None:
        self._model = model
        self._store = _store if _store is not None else _Store()
        self._folder = cache_dir() if folder is DEFAULT_FOLDER else (Path(folder) if folder else None)
        self._variants = dict(_variants or {})
        self._habitus = _habitus
        self._base = _base or model_fingerprint(model)
        self._objects: dict[str, Any] = {}  # what -> Mesh objects built from it (one per array pair)
        self._children: dict[tuple, CachedModel] = {}

    # ------------------------------------------------------------------ the wrapped model
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_model":
            msg = f"CachedModel has no attribute {name!r} (special attributes are not forwarded to the model)"
            raise AttributeError(msg)
        return getattr(self._model, name)

    @property
    def model(self) -> Any:
        """The wrapped model."""
        return self._model

    @property
    def folder(self) -> Path | None:
        """The cache folder (``None``: memory only)."""
        return self._folder

    def posed(self, pose: Any) -> CachedModel:
        """The posed model, wrapped (one wrapper per pose, so its meshes are read once)."""
        key = ("posed", tuple(pose.angles(s) for s in SIDES), tuple(getattr(pose, "pelvis", ())))
        if key not in self._children:
            self._children[key] = CachedModel(
                self._model.posed(pose),
                self._folder,
                _base=self._base,
                _variants=self._variants,
                _store=self._store,
                _habitus=self._habitus,
            )
        return self._children[key]

    def with_variant(self, **switches: str) -> CachedModel:
        """The model with anatomical variants switched, wrapped (one wrapper per choice)."""
        chosen = {**self._variants, **switches}
        key = ("variant", tuple(sorted(chosen.items())))
        if key not in self._children:
            self._children[key] = CachedModel(
                self._model.with_variant(**switches),
                self._folder,
                _base=self._base,
                _variants=chosen,
                _store=self._store,
                _habitus=self._habitus,
            )
        return self._children[key]

    def with_habitus(self, habitus: str) -> CachedModel:
        """The model with another body habitus (skin fat), wrapped (one wrapper per build)."""
        key = ("habitus", habitus)
        if key not in self._children:
            self._children[key] = CachedModel(
                self._model.with_habitus(habitus),
                self._folder,
                _base=self._base,
                _variants=self._variants,
                _store=self._store,
                _habitus=habitus,
            )
        return self._children[key]

    def with_femur(self, neck_shaft_angle: float | None = None, offset: float | None = None) -> CachedModel:
        """The model with reshaped femurs, wrapped (one wrapper per shape; its own key, from its bones)."""
        key = ("femur", neck_shaft_angle, offset)
        if key not in self._children:
            self._children[key] = CachedModel(
                self._model.with_femur(neck_shaft_angle=neck_shaft_angle, offset=offset),
                self._folder,
                _variants=self._variants,
                _store=self._store,
                _habitus=self._habitus,
            )
        return self._children[key]

    # ------------------------------------------------------------------ keys and entries
    def key(self, what: str) -> str:
        """The cache key of ``what`` (``"meshes"``, ``"parts"``, ...) for this model, pose and variants."""
        pose = getattr(self._model, "pose", None)
        angles: list | None = None
        if pose is not None:
            angles = [pose.angles(s) for s in SIDES]
            if any(getattr(pose, "pelvis", ())):
                angles.append(list(pose.pelvis))  # the pelvis in the room (absent: keys as before)
        variants = {k: v for k, v in sorted(self._variants.items()) if v != "normal"}
        if self._habitus != "average":  # the average body keeps the keys it always had
            variants = {**variants, "habitus": self._habitus}
        inputs = json.dumps([self._base, angles, variants, what, FORMAT], sort_keys=True, default=str)
        return hashlib.sha256(inputs.encode()).hexdigest()[:24]

    def _cached(self, what: str, make: Callable[[], Any]) -> Any:
        """The plain data ``what``: from memory, else from the folder, else made (and stored)."""
        key, data = self.key(what), self._store.data
        if key in data:
            data.move_to_end(key)
            if self._folder is not None and not (self._folder / entry_name(key)).is_file():
                write_entry(self._folder, key, data[key])  # shared in memory, but this folder lacks it
            return data[key]
        value = read_entry(self._folder, key) if self._folder is not None else None
        if value is None:
            value = make()
            if self._folder is not None:
                write_entry(self._folder, key, value)
        return self._store.keep(data, key, value)

    def preload(self) -> bool:
        """Read the soft tissues now if the cache holds them (never generates); ``True`` if it did."""
        key = self.key("meshes")
        if key not in self._store.data:
            value = read_entry(self._folder, key) if self._folder is not None else None
            if value is None:
                return False
            self._store.keep(self._store.data, key, value)
        return True

    def _meshes_of(self, what: str, make: Callable[[], dict[str, Arrays]]) -> dict[str, Mesh]:
        """Meshes by name from cached ``(vertices, faces)`` pairs, built once (so that caches
        downstream that go by the mesh object hit)."""
        if what not in self._objects:
            key = self.key(what)
            arrays = self._cached(what, make)  # memory, else this folder, else made (and written)
            meshes = self._store.meshes.get(key)
            if meshes is None:
                meshes = {n: Mesh(v, f) for n, (v, f) in arrays.items()}
            self._objects[what] = self._store.keep(self._store.meshes, key, meshes)
        return dict(self._objects[what])

    # ------------------------------------------------------------------ the model's accessors
    @property
    def meshes(self) -> dict[str, Mesh]:
        """Every whole structure by name, as :attr:`glute3d.Model.meshes`: bones (from the
        model), muscles, nerves and arteries, skin (from the cache)."""
        bones = self._model.bones

        def make() -> dict[str, Arrays]:
            return {
                n: (np.asarray(m.vertices), np.asarray(m.faces))
                for n, m in self._model.meshes.items()
                if n not in bones
            }

        return {**bones, **self._meshes_of("meshes", make)}

    def muscle_parts(self) -> dict[str, Mesh]:
        """Every muscle part's closed body by sided part name, as :meth:`glute3d.Model.muscle_parts`."""

        def make() -> dict[str, Arrays]:
            return {n: (np.asarray(m.vertices), np.asarray(m.faces)) for n, m in self._model.muscle_parts().items()}

        return self._meshes_of("parts", make)

    def structure_names(self, kind: str | None = None) -> list[str]:
        """Names of every drawable structure, or of one kind, as :meth:`glute3d.Model.structure_names`."""
        return self._model.structure_names(kind)

    def structure_kind(self, name: str) -> str:
        """The kind of structure ``name``, as :meth:`glute3d.Model.structure_kind` (``KeyError``
        with the closest names if unknown)."""
        return self._model.structure_kind(name)

    def structure(self, name: str) -> Mesh:
        """The mesh of any drawable structure, as :meth:`glute3d.Model.structure`, served from the cache.

        Raises
        ------
        KeyError
            Unknown name; the message lists the closest structure names.
        """
        kind = self.structure_kind(name)
        if kind == "bone":
            return self._model.bones[name]
        if kind == "muscle_part":
            return self.muscle_parts()[name]
        return self.meshes[name]

    # ------------------------------------------------------------------ what scenes need besides meshes
    def path_centrelines(self) -> dict:
        """Nerve and artery centrelines and exits (see :func:`glute3d.scene.path_centrelines`)."""
        from glute3d.scene import path_centrelines

        return self._cached("centrelines", lambda: path_centrelines(self._model))

    def abductor_lever(self, side: str) -> dict:
        """The abductors' line of action and lever in single-leg stance (see
        :func:`glute3d.scene.lever.abductor_lever_data`)."""
        from glute3d.scene.lever import abductor_lever_data

        return self._cached(f"abductor_lever:{side}", lambda: abductor_lever_data(self._model, side))

    def injection_data(self, needle_mm: float) -> dict:
        """Injection sites, needle reports and safety distances (see :func:`glute3d.scene.injection_data`)."""
        from glute3d.scene import injection_data

        def make() -> dict:
            data = dict(injection_data(self._model, needle_mm))
            data["skin"] = (np.asarray(data["skin"].vertices), np.asarray(data["skin"].faces))
            return data

        what = f"injection:{float(needle_mm):g}"
        data = dict(self._cached(what, make))
        if what not in self._objects:
            key = self.key(what)
            shared = self._store.meshes.get(key) or {"skin": Mesh(*data["skin"])}
            self._objects[what] = self._store.keep(self._store.meshes, key, shared)["skin"]
        data["skin"] = self._objects[what]
        return data


# =============================================================================== fingerprint
def _skeleton_digest(h: Any, neutral: Any) -> None:
    for name in sorted(neutral.bones):
        m = neutral.bones[name]
        h.update(name.encode())
        h.update(np.ascontiguousarray(m.vertices).tobytes())
        h.update(np.ascontiguousarray(m.faces).tobytes())
    lm = neutral.landmarks
    for table in (lm.points, lm.curves):
        for k in sorted(table):
            h.update(k.encode())
            h.update(table[k][0].encode())
            h.update(np.ascontiguousarray(table[k][1]).tobytes())
    for k in sorted(lm.regions):
        for bone, faces in lm.regions[k]:
            h.update(f"{k}:{bone}".encode())
            h.update(np.ascontiguousarray(faces).tobytes())
    h.update(json.dumps(getattr(neutral, "parameters", {}), sort_keys=True, default=str).encode())


def _source_digest(h: Any) -> None:
    for pattern in TISSUE_SOURCES:
        for p in sorted(_PACKAGE.glob(pattern)):
            h.update(p.relative_to(_PACKAGE).as_posix().encode())
            h.update(p.read_bytes())


def model_fingerprint(model: Any) -> str:
    """Checksum of what a model's generated soft tissues depend on: its neutral bones,
    landmarks and parameters, the files of `TISSUE_SOURCES`, and the contents of the
    ``skin.ply`` of the folder it was loaded from (``model.source``)."""
    neutral = getattr(model, "neutral", model)
    h = hashlib.sha256()
    _skeleton_digest(h, neutral)
    _source_digest(h)
    source = getattr(neutral, "source", None)
    skin = Path(source) / "skin.ply" if source is not None else None
    if skin is not None and skin.is_file():
        h.update(b"skin.ply")
        h.update(skin.read_bytes())
    return h.hexdigest()


#: Models whose wrappers are kept (the most recently used): a session that loads a new model for
#: every picture holds only these, not every model it ever rendered.
WRAPPED_MODELS = 2
_WRAPPED: OrderedDict[int, tuple[Any, CachedModel]] = OrderedDict()


def cached_model(model: Any) -> Any:
    """``model`` wrapped in a :class:`CachedModel` (once per model object, the last
    :data:`WRAPPED_MODELS` kept); other models as they are.

    Only :class:`glute3d.Model` objects (which generate soft tissues) are wrapped.
    """
    if isinstance(model, CachedModel):
        return model
    from glute3d.model.model import Model

    if not isinstance(model, Model):
        return model
    hit = _WRAPPED.get(id(model))
    if hit is not None and hit[0] is model:
        _WRAPPED.move_to_end(id(model))
        return hit[1]
    wrapped = CachedModel(model, _store=_SHARED)
    _WRAPPED[id(model)] = (model, wrapped)
    _WRAPPED.move_to_end(id(model))
    while len(_WRAPPED) > WRAPPED_MODELS:
        _WRAPPED.popitem(last=False)
    return wrapped
