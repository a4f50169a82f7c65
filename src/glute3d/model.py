"""The assembled model: bones with landmarks (and, as stages are added, soft tissues).

:func:`load_model` reads the generated files in ``meshes/``; it is the usual
entry point of every script, scene and test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .landmarks import Landmarks, SurfacePatch
from .mesh import Mesh, merge, read_ply

BONE_NAMES = ("hip_bone_r", "hip_bone_l", "sacrum", "coccyx", "femur_r", "femur_l")
LANDMARKS_FILE = "landmarks.json"


class ModelFilesError(FileNotFoundError):
    """The model files (``meshes/``) are missing or incomplete."""


@dataclass
class Model:
    """Bones and landmarks in the pelvis frame (mm; X anterior, Y superior, Z right).

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
    """

    bones: dict[str, Mesh]
    landmarks: Landmarks
    parameters: dict = field(default_factory=dict)
    source: Path | None = None  # the folder the model files were read from
    # --- muscles and pose (owner: muscles.py / kinematics.py) ---
    pose: Any = None  # glute3d.kinematics.Pose of the femurs; None = neutral
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ landmarks
    def landmark(self, name: str) -> np.ndarray | SurfacePatch:
        """A landmark by name: a point as ``(3,)``, a curve as ``(n, 3)``, a region as a patch.

        Raises
        ------
        KeyError
            Unknown name; the message lists the closest valid names.
        """
        lm = self.landmarks
        if name in lm.points:
            return lm.points[name][1].copy()
        if name in lm.curves:
            return lm.curves[name][1].copy()
        if name in lm.regions:
            return self.region(name)
        raise KeyError(_unknown(name, lm.names(), "landmark"))

    def region(self, name: str) -> SurfacePatch:
        """The surface patch of region ``name``."""
        if name not in self.landmarks.regions:
            raise KeyError(_unknown(name, sorted(self.landmarks.regions), "region"))
        parts = self.landmarks.regions[name]
        mesh = merge([self.bones[b].submesh(f) for b, f in parts if len(f)])
        return SurfacePatch(mesh, parts)

    def landmark_bone(self, name: str) -> str:
        """The bone a point or curve lies on (the first bone of a region)."""
        lm = self.landmarks
        for table in (lm.points, lm.curves):
            if name in table:
                return table[name][0]
        if name in lm.regions:
            return lm.regions[name][0][0]
        raise KeyError(_unknown(name, lm.names(), "landmark"))

    @property
    def hip_centers(self) -> dict[str, np.ndarray]:
        return {s: self.landmarks.points[f"hip_center_{s}"][1] for s in ("r", "l")}

    @property
    def meshes(self) -> dict[str, Mesh]:
        """Every renderable structure by name: bones, muscles (deep to superficial), nerves and
        arteries, and the skin."""
        return {
            **self.bones,
            **{name: m.mesh for name, m in self.muscles.items()},
            **{name: p.mesh for name, p in self.paths.items()},  # paths/skin section
            "skin": self.skin.mesh,  # paths/skin section
        }

    # ------------------------------------------------------ muscles and pose (owner: muscles.py)
    @property
    def neutral(self) -> Model:
        """The model at neutral pose this one was posed from (itself when not posed)."""
        return self._cache.get("neutral", self)

    @property
    def muscles(self) -> dict[str, Any]:
        """Sided name to :class:`glute3d.muscles.Muscle`, generated for this model's pose (cached)."""
        if "muscles" not in self._cache:
            from .kinematics import SIDES, Pose, hip_transform
            from .muscles import MuscleRig

            base = self.neutral._cache
            if "muscle_rig" not in base:
                base["muscle_rig"] = MuscleRig(self.neutral)
            pose = self.pose if self.pose is not None else Pose()
            transforms = {s: hip_transform(pose, s, self.hip_centers[s]) for s in SIDES}
            self._cache["muscles"] = base["muscle_rig"].build(transforms)
        return self._cache["muscles"]

    def posed(self, pose: Any) -> Model:
        """A copy with both femurs, their landmarks and the muscles moved to ``pose`` (a ``Pose``)."""
        from .kinematics import posed

        return posed(self, pose)
    # ------------------------------------------------------ end of muscles and pose

    # ------------------------------------------------------ paths, skin, variants (owner: paths.py, skin.py)
    @property
    def variants(self) -> dict[str, str]:
        """Anatomical variant switches, e.g. ``{"sciatic": "normal"}`` (see ``glute3d.paths.VARIANTS``)."""
        from .paths import check_variants

        return check_variants(self.neutral._cache.get("variants"))

    def with_variant(self, **switches: str) -> Model:
        """A copy with anatomical variants switched; the pose is kept.

        Examples
        --------
        >>> variant = load_model().with_variant(sciatic="fibular_pierces_piriformis")
        >>> sorted(variant.paths["sciatic_nerve_r"].branches)
        ['common_fibular_division', 'tibial_division']
        """
        from .paths import check_variants

        chosen = check_variants({**self.variants, **switches})
        neutral = self.neutral
        shared = {k: v for k, v in neutral._cache.items() if k in ("muscle_rig", "muscles", "path_rig", "skin")}
        shared["variants"] = chosen
        twin = type(neutral)(bones=neutral.bones, landmarks=neutral.landmarks, parameters=neutral.parameters,
                             source=neutral.source,
                             _cache=shared)
        return twin if self.pose is None else twin.posed(self.pose)

    @property
    def paths(self) -> dict[str, Any]:
        """Sided name to :class:`glute3d.paths.NeurovascularPath` (nerves and arteries), for this pose."""
        if "paths" not in self._cache:
            from .paths import generate_paths

            self._cache["paths"] = generate_paths(self, variants=self.variants)
        return self._cache["paths"]

    @property
    def skin(self) -> Any:
        """The :class:`glute3d.skin.Skin` (neutral envelope; bent with the femurs when posed)."""
        if "skin" not in self._cache:
            from .skin import skin_for

            self._cache["skin"] = skin_for(self)
        return self._cache["skin"]
    # ------------------------------------------------------ end of paths, skin, variants


def _unknown(name: str, valid: list[str], what: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {what} {name!r}{hint}"


def default_mesh_dir() -> Path:
    """Where the model files are looked for.

    In order: ``$GLUTE3D_MESHES``; ``./meshes`` when it holds model files; the
    ``meshes/`` folder of the source checkout this package runs from.
    """
    env = os.environ.get("GLUTE3D_MESHES")
    if env:
        return Path(env)
    cwd = Path.cwd() / "meshes"
    if (cwd / LANDMARKS_FILE).is_file():
        return cwd
    return Path(__file__).resolve().parents[2] / "meshes"


def load_model(mesh_dir: str | Path | None = None, *, build_if_missing: bool = False) -> Model:
    """Load the generated bones and landmarks.

    Parameters
    ----------
    mesh_dir : str or pathlib.Path, optional
        Folder with the files of ``glute3d build-meshes``; see :func:`default_mesh_dir`.
    build_if_missing : bool
        Generate the files (about half a minute) when they are absent.

    Examples
    --------
    >>> import glute3d
    >>> model = glute3d.load_model()
    >>> model.landmark("asis_r").shape
    (3,)
    """
    folder = Path(mesh_dir) if mesh_dir is not None else default_mesh_dir()
    needed = [folder / f"{n}.ply" for n in BONE_NAMES] + [folder / LANDMARKS_FILE]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        if not build_if_missing:
            raise ModelFilesError(
                f"model files missing in {folder}: {', '.join(missing)}; "
                f"run `glute3d build-meshes -o {folder}` to generate them"
            )
        from .build import build_mesh_files

        build_mesh_files(folder)
    import json

    text = (folder / LANDMARKS_FILE).read_text()
    bones = {n: read_ply(folder / f"{n}.ply") for n in BONE_NAMES}
    return Model(bones=bones, landmarks=Landmarks.from_json(text), parameters=json.loads(text)["parameters"],
                 source=folder)
