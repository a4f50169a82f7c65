"""The assembled model: the skeleton, and the soft tissue generated on it, in any pose.

:class:`Model` owns the caches; the generators (``glute3d.anatomy``) receive only a
:class:`~glute3d.anatomy.skeleton.Skeleton` and, where they need them, the muscles.
Every drawable structure is reached through :meth:`Model.structure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.anatomy.landmarks import Landmarks, SurfacePatch
from glute3d.anatomy.pose import Pose, PoseError, hip_transform
from glute3d.anatomy.skeleton import Skeleton
from glute3d.errors import did_you_mean
from glute3d.geometry.mesh import Mesh
from glute3d.io.modelfiles import SKIN_FILE
from glute3d.sides import SIDES

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.anatomy.femur_shape import FemurShape
    from glute3d.anatomy.muscles import Muscle, MuscleRig
    from glute3d.anatomy.paths import NeurovascularPath
    from glute3d.anatomy.skin import Skin
    from glute3d.geometry.distance import DistanceGrid

# The generators (muscles, paths, skin: scipy and pydantic models) are imported where they are
# first needed, so that loading a model and drawing its bones stays quick.

__all__ = ["STRUCTURE_KINDS", "Model"]

#: Kinds of drawable structure, in drawing order (deep to superficial).
STRUCTURE_KINDS = ("bone", "muscle", "muscle_part", "bursa", "nerve", "artery", "fascia", "skin")


#: cache entries every twin of a model (another variant or habitus) shares with it
_TWIN_SHARED = ("muscle_rig", "wrapped", "path_rig", "structure_index", "unshaped", "pelvis_grid", "pelvis_source")


@dataclass
class Model:
    """Bones and landmarks in the pelvis frame (mm; X anterior, Y superior, Z right), and the soft
    tissue generated on them (muscles, nerves and arteries, skin), in one pose.

    Attributes
    ----------
    bones : dict of str to Mesh
        ``hip_bone_r``, ``hip_bone_l``, ``sacrum``, ``coccyx``, ``femur_r``, ``femur_l``.
    landmarks : Landmarks
        Points, curves and regions of both sides.
    parameters : dict
        The bone parameters the files were generated with.
    source : pathlib.Path or None
        The folder the model files were read from (``None`` for a model built in memory).
    pose : Pose or None
        The hip pose (``None``: neutral).

    Examples
    --------
    >>> import glute3d
    >>> model = glute3d.load_model()
    >>> model.structure("gluteus_minimus_r").n_faces > 0
    True
    >>> model.structure_names("nerve")[:2]
    ['superior_gluteal_nerve_r', 'inferior_gluteal_nerve_r']
    """

    bones: dict[str, Mesh]
    landmarks: Landmarks
    parameters: dict = field(default_factory=dict)
    source: Path | None = None
    pose: Pose | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ skeleton
    @cached_property
    def skeleton(self) -> Skeleton:
        """The bones and landmarks in this model's pose (what the generators are given)."""
        return Skeleton(self.bones, self.landmarks, self.parameters)

    def landmark(self, name: str) -> np.ndarray | SurfacePatch:
        """A landmark by name: a point as ``(3,)``, a curve as ``(n, 3)``, a region as a patch.

        Raises
        ------
        KeyError
            Unknown name; the message lists the closest landmark names.
        """
        return self.skeleton.landmark(name)

    def region(self, name: str) -> SurfacePatch:
        """The surface patch of region ``name``."""
        return self.skeleton.region(name)

    def landmark_bone(self, name: str) -> str:
        """The bone a point or curve lies on (the first bone of a region)."""
        return self.skeleton.landmark_bone(name)

    @property
    def hip_centers(self) -> dict[str, np.ndarray]:
        """The femoral head centres by side."""
        return self.skeleton.hip_centers

    # ------------------------------------------------------------------ pose and variants
    @property
    def neutral(self) -> Model:
        """The model at neutral pose this one was posed from (itself when not posed)."""
        return self._cache.get("neutral", self)

    def posed(self, pose: Pose) -> Model:
        """A copy with both femurs (meshes and landmarks) and everything on them moved to ``pose``.

        The pose is absolute: posing a posed model starts again from its neutral model.
        The copy shares the pelvis and every pose-independent cache with this model.  A pose
        with pelvis angles (``pelvis_tilt``, ``pelvis_list``, ``pelvis_rotation``) moves the
        whole model rigidly in the room after the hips: bones, landmarks, muscles, paths and
        skin are those of the same hip pose, turned with the pelvis.
        """
        if not isinstance(pose, Pose):
            msg = f"pose must be a glute3d.Pose, got {type(pose).__name__}"
            raise PoseError(msg, field="pose", value=pose, allowed="Pose")
        neutral = self.neutral
        if any(pose.pelvis):
            return self._pelvis_posed(pose)
        moved = neutral.skeleton.moved(self._femur_transforms(pose))
        return Model(
            bones=moved.bones,
            landmarks=moved.landmarks,
            parameters=neutral.parameters,
            source=neutral.source,
            pose=pose,
            _cache={"neutral": neutral},
        )

    @property
    def room(self) -> np.ndarray:
        """``(4, 4)`` where the pelvis stands in the room: identity unless the pose tilts, lists or turns it."""
        return np.array(self._cache.get("room", np.eye(4)))

    def _pelvis_posed(self, pose: Pose) -> Model:
        """The model of ``pose``'s hip angles in the pelvis frame (cached as ``frame``), turned into the room."""
        from dataclasses import replace

        from glute3d.anatomy.pose import pelvis_transform

        frame = self.neutral.posed(replace(pose, pelvis_tilt=0.0, pelvis_list=0.0, pelvis_rotation=0.0))
        t = pelvis_transform(pose)
        world = frame.skeleton.moved({}, every_bone=t)
        return Model(
            bones=world.bones,
            landmarks=world.landmarks,
            parameters=frame.parameters,
            source=frame.source,
            pose=pose,
            _cache={"neutral": self.neutral, "frame": frame, "room": t},
        )

    def _femur_transforms(self, pose: Pose | None) -> dict[str, np.ndarray]:
        centres = self.neutral.hip_centers
        return {s: hip_transform(pose or Pose(), s, centres[s]) for s in SIDES}

    @property
    def variants(self) -> dict[str, str]:
        """Anatomical variant switches, e.g. ``{"sciatic": "normal"}`` (see ``glute3d.anatomy.paths.VARIANTS``)."""
        from glute3d.anatomy.paths.specs import check_variants

        return check_variants(self.neutral._cache.get("variants"))

    def with_variant(self, **switches: str) -> Model:
        """A copy with anatomical variants switched; the pose is kept.

        Examples
        --------
        >>> import glute3d
        >>> variant = glute3d.load_model().with_variant(sciatic="fibular_pierces_piriformis")
        >>> sorted(variant.paths["sciatic_nerve_r"].branches)
        ['common_fibular_division', 'tibial_division']
        """
        from glute3d.anatomy.paths.specs import check_variants

        chosen = check_variants({**self.variants, **switches})
        # what no variant changes: the bones' tissue before the paths, the skin, bursae and fascia
        return self._twin(("skin", "bursae", "fascia", "habitus"), variants=chosen)

    @property
    def habitus(self) -> str:
        """The body build whose subcutaneous fat the skin has (``"average"`` unless chosen)."""
        return str(self.neutral._cache.get("habitus", "average"))

    def with_habitus(self, habitus: str) -> Model:
        """A copy with more or less subcutaneous fat; the pose and variants are kept.

        ``habitus`` names a build of ``skin.toml``'s ``[habitus]`` table (``"lean"``,
        ``"average"``, ``"obese"``, ``"female"``, ``"male"``): its ``fat`` factor scales the
        fat between the muscles and the skin.  Bones, muscles, nerves and arteries are
        shared; the skin (and everything on it: injection sites, needles, the safety map)
        is made again (a few seconds).

        Raises
        ------
        KeyError
            Unknown habitus; the message lists the known ones.

        Examples
        --------
        >>> import glute3d
        >>> glute3d.load_model().with_habitus("obese").habitus
        'obese'
        """
        from glute3d.anatomy.skin_spec import skin_spec

        skin_spec().fat_factor(habitus)  # KeyError naming the known builds
        # everything but the skin (kept only for the same build)
        same = ("skin",) if habitus == self.habitus else ()
        return self._twin(("muscles", "paths", "variants", *same), habitus=habitus)

    def _twin(self, keep: tuple[str, ...], **entries: Any) -> Model:
        """A model on the same bones sharing the neutral model's `_TWIN_SHARED` and ``keep``
        cache entries, with ``entries`` set, in this model's pose."""
        neutral = self.neutral
        shared = {k: v for k, v in neutral._cache.items() if k in _TWIN_SHARED or k in keep}
        shared.update(entries)
        twin = Model(
            bones=neutral.bones,
            landmarks=neutral.landmarks,
            parameters=neutral.parameters,
            source=neutral.source,
            _cache=shared,
        )
        return twin if self.pose is None else twin.posed(self.pose)

    @property
    def femur_shape(self) -> FemurShape:
        """The femurs' neck-shaft angle (degrees) and offset (mm, head centre to shaft axis)."""
        from glute3d.anatomy.femur_shape import femur_shape_of

        return femur_shape_of(self.neutral.parameters)

    # long: the arguments checked one by one, then one new model
    def with_femur(self, neck_shaft_angle: float | None = None, offset: float | None = None) -> Model:
        """A copy whose femurs have another neck-shaft angle and/or femoral offset; pose, variants
        and habitus are kept.

        Both femurs are reshaped in memory (:func:`~glute3d.anatomy.femur_shape.reshape_femur`:
        the head stays in the acetabulum, the shaft and trochanters move, the neck turns and
        stretches to them; a fraction of a second); the muscles, nerves, arteries and skin are
        generated again on them when first asked for.  The model files are not touched.

        Parameters
        ----------
        neck_shaft_angle : float, optional
            Degrees, 110 (coxa vara) .. 150 (coxa valga): the neck turns about the head centre.
            Given alone, the neck keeps its length, so the offset follows the angle as on a bent
            neck (larger in vara, smaller in valga).
        offset : float, optional
            Femoral offset, mm (25 .. 60; head centre to shaft axis): the shaft and trochanters
            move sideways at the same angle and leg length, the neck lengthened to meet them.

        Raises
        ------
        FemurShapeError
            A value out of range or not a number (one line naming it and the range).

        Examples
        --------
        >>> import glute3d
        >>> vara = glute3d.load_model().with_femur(neck_shaft_angle=118)
        >>> vara.femur_shape.neck_shaft_angle, round(vara.femur_shape.offset, 1)
        (118.0, 44.1)
        """
        from glute3d.anatomy.femur_shape import FemurShape, natural_offset, reshape_femur

        neutral = self.neutral
        base_bones, base_landmarks, base_parameters = neutral._cache.get(
            "unshaped", (neutral.bones, neutral.landmarks, neutral.parameters)
        )
        now = neutral.femur_shape
        angle = now.neck_shaft_angle if neck_shaft_angle is None else neck_shaft_angle
        if offset is None:  # the neck keeps its length (and the shaft its sideways move): the offset follows
            FemurShape(angle, now.offset)  # the angle checked (one line) before it is used
            shift = now.offset - natural_offset(base_parameters, now.neck_shaft_angle)
            offset = natural_offset(base_parameters, angle) + shift
        shape = FemurShape(angle, offset)
        bones, landmarks, parameters = reshape_femur(
            base_bones, base_landmarks, base_parameters, neutral.hip_centers, shape
        )
        cache = {k: v for k, v in neutral._cache.items() if k in ("variants", "habitus", "structure_index")}
        cache["unshaped"] = (base_bones, base_landmarks, base_parameters)
        cache["pelvis_source"] = neutral._cache.get("pelvis_source", neutral)  # the same pelvis: one grid
        twin = Model(bones=bones, landmarks=landmarks, parameters=parameters, source=None, _cache=cache)
        return twin if self.pose is None else twin.posed(self.pose)

    # ------------------------------------------------------------------ generated soft tissue
    @property
    def muscles(self) -> dict[str, Muscle]:
        """Sided name to :class:`~glute3d.anatomy.muscles.Muscle`, generated for this pose (cached)."""
        if "muscles" not in self._cache:
            if "frame" in self._cache:  # the pelvis posed in the room
                t = self._cache["room"]
                self._cache["muscles"] = {k: m.transformed(t) for k, m in self._cache["frame"].muscles.items()}
            else:
                from glute3d.anatomy.paths.bedding import bed_muscles
                from glute3d.anatomy.paths.specs import path_specs

                wrapped = self._wrapped_muscles()
                neutral = self.neutral
                same: set[str] = set()
                if neutral is not self:  # a hip left at neutral keeps its neutral muscles (objects)
                    before = neutral._wrapped_muscles()
                    same = {k for k, m in wrapped.items() if before.get(k) is m}
                bedded = bed_muscles({k: m for k, m in wrapped.items() if k not in same}, self.paths, path_specs())
                done = neutral.muscles if same else {}
                self._cache["muscles"] = {k: done[k] if k in same else bedded[k] for k in wrapped}
        return self._cache["muscles"]

    def _wrapped_muscles(self) -> dict[str, Muscle]:
        """The muscles as wrapped over the bones and each other, before they bed on the nerves
        and vessels beneath them (the paths run on these; see :mod:`glute3d.anatomy.paths.bedding`)."""
        if "wrapped" not in self._cache:
            self._cache["wrapped"] = self._muscle_rig().build(self._femur_transforms(self.pose))
        return self._cache["wrapped"]

    def neutral_muscles(self, side: str, names: Sequence[str]) -> dict[str, Muscle]:
        """Muscles ``names`` (sideless) of hip ``side`` at neutral pose, and those they lie on,
        without generating the others (the statics of one hip need only its abductors).

        Examples
        --------
        >>> import glute3d
        >>> sorted(glute3d.load_model().neutral_muscles("r", ["gluteus_minimus"]))
        ['gluteus_minimus_r']
        """
        return self.neutral._muscle_rig().neutral_side(side, names)

    def _muscle_rig(self) -> MuscleRig:
        from glute3d.anatomy.muscles.rig import MuscleRig

        base = self.neutral._cache
        if "muscle_rig" not in base:
            base["muscle_rig"] = MuscleRig(self.neutral.skeleton, pelvis=self._pelvis_grid())
        return base["muscle_rig"]

    def _pelvis_grid(self) -> DistanceGrid:
        """The pelvis's distance grid (shared with the model whose femurs this one reshaped)."""
        from glute3d.anatomy.muscles.rig import GRID_SPACING
        from glute3d.geometry.distance import distance_grid

        base = self.neutral._cache
        if "muscle_rig" in base:
            return base["muscle_rig"].pelvis
        if "pelvis_grid" not in base:
            source = base.get("pelvis_source")
            base["pelvis_grid"] = (
                source._pelvis_grid()
                if source is not None
                else distance_grid(self.neutral.skeleton.pelvis_meshes(), spacing=GRID_SPACING)
            )
        return base["pelvis_grid"]

    @property
    def paths(self) -> dict[str, NeurovascularPath]:
        """Sided name to :class:`~glute3d.anatomy.paths.NeurovascularPath` (nerves and arteries), for this pose."""
        from glute3d.anatomy.paths.rig import PathRig

        if "paths" not in self._cache and "frame" in self._cache:
            t = self._cache["room"]
            self._cache["paths"] = {k: p.transformed(t) for k, p in self._cache["frame"].paths.items()}
        if "paths" not in self._cache:
            base = self.neutral._cache
            if "path_rig" not in base:
                muscles = self._muscle_rig()
                base["path_rig"] = PathRig(self.neutral.skeleton, pelvis=muscles.pelvis, femur=muscles.femur)
            self._cache["paths"] = base["path_rig"].build(
                self.skeleton, self._wrapped_muscles(), variants=self.variants
            )
        return self._cache["paths"]

    @property
    def skin(self) -> Skin:
        """The :class:`~glute3d.anatomy.skin.Skin`: neutral envelope, bent with the femurs when posed.

        The neutral skin is read from the model folder's ``skin.ply`` when that file was made
        from the same bones, muscles and ``skin.toml`` (its fingerprint matches); otherwise it
        is generated (a few seconds).
        """
        from glute3d.anatomy.skin import bend, generate_skin

        neutral = self.neutral
        base = neutral._cache
        if "skin" not in base:
            base["skin"] = neutral._read_skin() or generate_skin(
                neutral.skeleton, neutral.muscles, habitus=neutral.habitus
            )
        if neutral is self or self.pose is None:
            return base["skin"]
        if "frame" in self._cache:
            if "skin" not in self._cache:
                self._cache["skin"] = self._cache["frame"].skin.transformed(self._cache["room"])
            return self._cache["skin"]
        return bend(base["skin"], neutral.skeleton, self.skeleton)

    def skin_fingerprint(self) -> str:
        """What the neutral skin depends on, hashed (see :func:`glute3d.anatomy.skin.fingerprint`)."""
        from glute3d.anatomy.skin import fingerprint

        neutral = self.neutral
        return fingerprint(neutral.skeleton, neutral.muscles, neutral.habitus)

    def _read_skin(self) -> Skin | None:
        from glute3d.anatomy.skin import read_skin

        if self.source is None or self.habitus != "average":  # the packaged skin is the average body's
            return None
        path = Path(self.source) / SKIN_FILE
        if not path.is_file():
            return None
        try:
            return read_skin(path, self.skin_fingerprint())
        except (ValueError, KeyError, IndexError):
            return None

    # ------------------------------------------------------------------ bursae and fascia (the whole region)
    @property
    def bursae(self) -> dict[str, Mesh]:
        """The bursae of the greater trochanter by sided name (fluid sacs; built at neutral pose,
        moved with the femur)."""
        from glute3d.anatomy.bursae import build_bursae

        base = self.neutral._cache
        if "bursae" not in base:
            base["bursae"] = build_bursae(self.neutral.skeleton, self.neutral.muscles)
        if self.pose is None:
            return base["bursae"]
        if "bursae" not in self._cache:
            moves = self._femur_transforms(self.pose)
            self._cache["bursae"] = {n: m.transformed(moves[n[-1]]) for n, m in base["bursae"].items()}
        return self._cache["bursae"]

    @property
    def fascia(self) -> dict[str, Mesh]:
        """The gluteal aponeurosis (on this pose's gluteus medius) and the iliotibial tract (built at
        neutral pose, moved with the femur), by sided name."""
        from glute3d.anatomy.fascia import build_fascia, fascia_specs, gluteal_aponeurosis

        base = self.neutral._cache
        if "fascia" not in base:
            base["fascia"] = build_fascia(self.neutral.skeleton, self.neutral.muscles, self.neutral.bursae)
        if self.pose is None:
            return base["fascia"]
        if "fascia" not in self._cache:
            moves, apo, out = self._femur_transforms(self.pose), fascia_specs().gluteal_aponeurosis, {}
            for name, mesh in base["fascia"].items():
                side = name[-1]
                if name.startswith("iliotibial_tract"):
                    out[name] = mesh.transformed(moves[side])
                else:
                    avoid = [self.muscles[f"{m}_{side}"] for m in apo.avoid]
                    out[name] = gluteal_aponeurosis(apo, self.muscles[f"{apo.muscle}_{side}"], avoid)
            self._cache["fascia"] = out
        return self._cache["fascia"]

    @property
    def slips(self) -> dict[str, Mesh]:
        """The variant slip of gluteus minimus by sided name (empty in the usual anatomy; see
        ``with_variant(minimus_slip=...)``), in this pose."""
        from glute3d.anatomy.slips import SLIP_NAME, SLIP_SWITCH, slip_mesh, slip_specs

        target = self.variants.get(SLIP_SWITCH, "normal")
        if target == "normal":
            return {}
        if "slips" not in self._cache:
            spec = slip_specs()[target]
            self._cache["slips"] = {
                f"{SLIP_NAME}_{side}": slip_mesh(self.skeleton, self.muscles, spec, side) for side in SIDES
            }
        return self._cache["slips"]

    # ------------------------------------------------------------------ one accessor for everything drawable
    def structure_names(self, kind: str | None = None) -> list[str]:
        """Names of every drawable structure, or of one kind (see `STRUCTURE_KINDS`), in drawing order.

        Drawing order is deep to superficial: bones, muscles (``muscles.toml`` order), muscle
        parts, nerves and arteries (``paths.toml`` order), skin; the right side before the left
        (the order of :attr:`meshes`).  Known from the data, without generating anything.

        Raises
        ------
        ValueError
            Unknown kind.
        """
        if kind is not None and kind not in STRUCTURE_KINDS:
            raise ValueError(
                f"unknown structure kind {kind!r}{did_you_mean(kind, STRUCTURE_KINDS)} "
                f"(choose from {', '.join(STRUCTURE_KINDS)})"
            )
        index = self._structure_index()
        return [n for n, k in index.items() if kind is None or k == kind]

    def _structure_index(self) -> dict[str, str]:
        """Name to kind of every drawable structure, in drawing order (built once per model)."""
        from glute3d.anatomy.bursae import BURSA_NAMES
        from glute3d.anatomy.fascia import FASCIA_NAMES
        from glute3d.anatomy.muscles.specs import muscle_specs
        from glute3d.anatomy.paths.specs import path_specs

        base = self.neutral._cache  # the same names in every pose and variant
        if "structure_index" not in base:
            muscles, paths = muscle_specs(), path_specs()
            index = dict.fromkeys(self.bones, "bone")
            index.update((f"{name}_{side}", "muscle") for side in SIDES for name in muscles)
            index.update(
                (f"{name}_{part}_{side}", "muscle_part")
                for side in SIDES
                for name, spec in muscles.items()
                for part in spec.parts
            )
            index.update((f"{name}_{side}", "bursa") for side in SIDES for name in BURSA_NAMES)
            index.update((f"{name}_{side}", p.kind) for side in SIDES for name, p in paths.items())
            index.update((f"{name}_{side}", "fascia") for side in SIDES for name in FASCIA_NAMES)
            index["skin"] = "skin"
            base["structure_index"] = index
        if self.variants.get("minimus_slip", "normal") == "normal":
            return base["structure_index"]
        from glute3d.anatomy.slips import SLIP_NAME  # a variant slip joins the muscles

        with_slip: dict[str, str] = {}
        for name, kind in base["structure_index"].items():
            if kind == "muscle_part" and f"{SLIP_NAME}_r" not in with_slip:  # after the muscles
                with_slip.update((f"{SLIP_NAME}_{side}", "muscle") for side in SIDES)
            with_slip[name] = kind
        return with_slip

    def structure_kind(self, name: str) -> str:
        """The kind of structure ``name`` (``KeyError`` with the closest names if unknown)."""
        index = self._structure_index()
        if name not in index:
            raise KeyError(f"unknown structure {name!r}{did_you_mean(name, index)}")
        return index[name]

    def structure(self, name: str) -> Mesh:
        """The mesh of any drawable structure in this pose: bone, muscle, muscle part, bursa, nerve,
        artery, fascia or skin.

        Raises
        ------
        KeyError
            Unknown name; the message lists the closest structure names.
        """
        kind = self.structure_kind(name)
        if kind == "bone":
            return self.bones[name]
        if kind == "muscle":
            return self.muscles[name].mesh if name in self.muscles else self.slips[name]
        if kind == "muscle_part":
            return self.muscle_parts()[name]
        if kind == "skin":
            return self.skin.mesh
        if kind == "bursa":
            return self.bursae[name]
        if kind == "fascia":
            return self.fascia[name]
        return self.paths[name].mesh

    def muscle_parts(self) -> dict[str, Mesh]:
        """Every muscle part's closed body, by sided part name (e.g. ``gluteus_minimus_anterior_r``)."""
        if "parts" not in self._cache:
            out: dict[str, Mesh] = {}
            for m in self.muscles.values():
                out.update(m.part_meshes())
            self._cache["parts"] = out
        return self._cache["parts"]

    @property
    def meshes(self) -> dict[str, Mesh]:
        """Every whole structure by name: bones, muscles (deep to superficial), bursae, nerves and
        arteries, fascia, skin."""
        return {
            **self.bones,
            **{name: m.mesh for name, m in self.muscles.items()},
            **self.slips,
            **self.bursae,
            **{name: p.mesh for name, p in self.paths.items()},
            **self.fascia,
            "skin": self.skin.mesh,
        }
