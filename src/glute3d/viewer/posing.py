"""Moving one hip in the viewer: the new vertices of what is shown, and only of that.

A pose slider moves one femur.  :class:`HipPoser` gives the new vertices of the structures of
that side, regenerating only what is needed:

* the femur: its neutral vertices moved by the hip transform (no regeneration);
* the muscles shown on that side: *while the slider is dragged*, the neutral muscles carried
  along by the femur (each sample by its share of the hip rotation, no wrapping: a millisecond);
  when it is let go, regenerated exactly (with the deeper ones they are wrapped over) through the
  model's muscle rig, which keeps the other hip's muscles, and bedded on the nerves and vessels
  beneath them, as the model's are;
* the nerves and arteries: regenerated exactly (:class:`~glute3d.anatomy.paths.PathRig`,
  about a quarter of a second a side) when the slider is let go; *while it is dragged* they are
  carried along with the femur by the skin's blend weights (:func:`drag_weights`), from their
  last exact shape (:class:`~glute3d.viewer.update.Blend`);
* the skin: bent with the femur by the same weights, as :func:`glute3d.anatomy.skin.bend` does,
  for the vertices near the moved hip only.

Everything here is numpy; the viewer writes the vertices into its actors in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from glute3d.anatomy.pose import Pose, hip_transform
from glute3d.geometry.curves import smoothstep
from glute3d.sides import SIDES, split_side

__all__ = ["HipPoser", "drag_weights", "muscle_of_part"]

_PART_WORDS = ("anterior", "middle", "posterior", "superior", "inferior")


def muscle_of_part(name: str) -> str:
    """The sideless muscle of a sided muscle or muscle-part name.

    Examples
    --------
    >>> muscle_of_part("gluteus_medius_anterior_r"), muscle_of_part("piriformis_l")
    ('gluteus_medius', 'piriformis')
    """
    base, _ = split_side(name)
    head, _, tail = base.rpartition("_")
    return head if tail in _PART_WORDS and head else base


def drag_weights(points: np.ndarray, hip_center: np.ndarray, lesser_trochanter: np.ndarray, side: str) -> np.ndarray:
    """How much each point follows its femur while a hip is dragged (0: stays with the pelvis, 1: rigid with it).

    The skin's weights (:func:`glute3d.anatomy.skin.bend`): 0 from 3 cm above the hip centre up,
    rising smoothly to 1 at the lesser trochanter, fading to 0 toward the midline.

    Examples
    --------
    >>> w = drag_weights(np.array([[0.0, 100, 80], [0, -80, 80], [0, -80, 0]]), np.zeros(3),
    ...                  np.array([0.0, -60, 70]), "r")
    >>> w.round(2).tolist()
    [0.0, 1.0, 0.0]
    """
    sign = 1.0 if side == "r" else -1.0
    top = float(hip_center[1]) + 30.0
    w = np.clip((top - points[:, 1]) / (top - float(lesser_trochanter[1])), 0.0, 1.0)
    w = smoothstep(w, 0.0, 1.0)
    return w * np.clip((sign * points[:, 2] - 10.0) / 40.0, 0.0, 1.0)


class HipPoser:
    """The new vertices of the structures of one moved hip (see the module's docstring).

    Parameters
    ----------
    model : glute3d.Model
        The model (neutral or posed; its neutral model is used), with the scene's variants.
    """

    def __init__(self, model: Any) -> None:
        import threading

        self.model = model.neutral
        self._lock = threading.Lock()  # the rig is built once, by whichever thread asks first
        self.angles: dict[str, tuple[float, float, float]] = {s: (0.0, 0.0, 0.0) for s in SIDES}
        self._path_rig: Any = None
        self._transform: tuple[tuple, np.ndarray] = ((), np.eye(4))

    # ------------------------------------------------------------------ transforms
    def transform(self, side: str) -> np.ndarray:
        """The ``(4, 4)`` femur transform of ``side`` at its current angles (kept until they change)."""
        key = (side, *self.angles[side])
        if self._transform[0] != key:
            f, a, r = self.angles[side]
            pose = Pose(flexion={side: f}, adduction={side: a}, rotation={side: r})
            self._transform = (key, hip_transform(pose, side, self.model.hip_centers[side]))
        return self._transform[1]

    def transforms(self) -> dict[str, np.ndarray]:
        return {s: self.transform(s) for s in SIDES}

    def skeleton(self) -> Any:
        """The skeleton with both femurs at their current angles."""
        return self.model.skeleton.moved(self.transforms())

    def warm(self) -> None:
        """Build the model's muscle rig now (seconds, once per model), e.g. in a background thread
        while the window opens, so that the first slider step does not wait for it."""
        with self._lock:
            self.model._muscle_rig().neutral()

    # ------------------------------------------------------------------ structures
    def femur(self, side: str) -> np.ndarray:
        t = self.transform(side)
        return self.model.bones[f"femur_{side}"].vertices @ t[:3, :3].T + t[:3, 3]

    def muscles(
        self, side: str, names: Iterable[str] | None = None, *, bedded: bool = False, carried: bool = False
    ) -> dict[str, Any]:
        """Sided name to Muscle for the muscles of ``side`` named (sided or sideless; default all).

        ``bedded``: as the model gives them, bedded on the nerves and vessels beneath them
        (:mod:`glute3d.anatomy.paths.bedding`; the paths are generated for that, so only when
        the slider is let go).  ``carried``: the neutral muscles carried along by the femur,
        not wrapped (:meth:`~glute3d.anatomy.muscles.rig.MuscleRig.carried`; while dragging).
        """
        wanted = None if names is None else sorted({muscle_of_part(n) for n in names})
        with self._lock:
            rig = self.model._muscle_rig()  # the model's rig: kept per model, shared with every pose
        if carried:
            return rig.carried({side: self.transform(side)}, sides=(side,), names=wanted)
        if not bedded:
            return rig.build({side: self.transform(side)}, sides=(side,), names=wanted)
        from glute3d.anatomy.paths.bedding import bed_muscles
        from glute3d.anatomy.paths.specs import path_specs

        specs = path_specs()
        asked = set(rig.specs if wanted is None else wanted)
        variants = self.model.variants
        under = sorted(
            p
            for p, spec in specs.items()
            if any(set(b.under or ()) & asked for b in spec.branches_of(variants.get(spec.switch or "", "normal")))
        )
        if not under:
            return rig.build({side: self.transform(side)}, sides=(side,), names=wanted)
        # the paths run on all the side's muscles: build them all once (the rig hands the same
        # result to the paths), then bed them on the paths
        built = rig.build({side: self.transform(side)}, sides=(side,))
        return bed_muscles(built, self._paths(side, under), specs)

    def paths(self, side: str, names: Iterable[str]) -> dict[str, Any]:
        """Exact meshes of the sided paths ``names`` of ``side`` in the current pose (their vertex count varies)."""
        wanted = sorted({split_side(n)[0] for n in names})
        return {name: path.mesh for name, path in self._paths(side, wanted).items()} if wanted else {}

    def _paths(self, side: str, wanted: list[str]) -> dict[str, Any]:
        """The sideless paths ``wanted`` of ``side`` in the current pose, generated on its muscles."""
        from glute3d.anatomy.paths import PathRig

        if self._path_rig is None:
            with self._lock:
                rig = self.model._muscle_rig()
            self._path_rig = PathRig(self.model.skeleton, pelvis=rig.pelvis, femur=rig.femur)
        return self._path_rig.build(
            self.skeleton(), self.muscles(side), variants=self.model.variants, sides=(side,), names=wanted
        )

    def neutral_skin(self) -> Any:
        """The skin's mesh at neutral pose (the viewer bends it with :func:`drag_weights`, as
        :func:`glute3d.anatomy.skin.bend` does)."""
        return self.model.skin.mesh

    def weights(self, points: np.ndarray, side: str) -> np.ndarray:
        """:func:`drag_weights` of ``points`` for hip ``side`` of this model."""
        sk = self.model.skeleton
        return drag_weights(points, sk.point(f"hip_center_{side}"), sk.point(f"lesser_trochanter_{side}"), side)

    def pose_fields(self) -> dict[str, dict[str, float]]:
        """The scene's ``[pose]`` table of the current angles (non-zero values only)."""
        out: dict[str, dict[str, float]] = {}
        for k, field in enumerate(("flexion", "adduction", "rotation")):
            values = {s: round(float(self.angles[s][k]), 3) for s in SIDES if self.angles[s][k]}
            if values:
                out[field] = values
        return out
