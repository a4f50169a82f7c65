"""Muscles as fans of fibres wrapped over the bones, skinned into closed bodies.

Each muscle is generated from landmark names only (``data/muscles.toml``), in
layer order from deep to superficial:

1. *Origin fan* (once per model).  The origin region is flattened onto its
   best-fit plane and cut into bins by angle around the fan centre (the
   insertion, or a waypoint) or along its long axis; the farthest region point
   of each bin lies on the far edge, which is smoothed, resampled evenly and
   snapped to the bone.  Fibres start there and run across the region, so the
   muscle's deep face covers it.  Fibres are ordered anterior to posterior
   (superior to inferior for gluteus maximus and piriformis).
2. *Insertion* (once per model, femur frame).  Fibres are spread in the same
   order along the long axis of the insertion facet(s), or along a band of the
   iliotibial tract lateral to the femoral shaft, so the fan does not twist.
3. *Fibres*.  At neutral pose: Catmull-Rom curves through the origin, control
   points set above what lies beneath (bone or deeper muscles), waypoints, an
   approach point and the insertion.  In any other pose the neutral fibres are
   carried along by the femur (each sample turning by part of the hip rotation)
   and only corrected.  Either way they are then pushed out of the bones
   (cached signed-distance grids, trilinear lookups) and out of the deeper
   muscles on their superficial side, laid onto them, and smoothed.
4. *Body*.  The superficial face is offset from the deep face by a thickness
   that grows from the origin to the belly, shrinks to a thin tendon and thins
   toward the fan's borders; Laplacian relaxation keeps the offset from
   folding.  Both faces are stitched into one closed mesh (piriformis, a
   spindle, is ``centred`` on its fibres instead).

Everything that does not depend on the pose (distance grids, origin fans,
insertions in the femur frame, the neutral muscles) lives in a
:class:`MuscleRig`, built once per model; :meth:`MuscleRig.build` does the
per-pose work (about 40 ms for all muscles of both hips on one core).

The package is split by job: ``specs`` (the data model of ``muscles.toml``), ``fan``
(fibre starts and insertion lines), ``prepare`` (what every pose shares), ``fields``
(distance to what lies beneath), ``wrap`` (the fibres of one pose), ``body`` (the closed
bodies), ``result`` (:class:`Muscle`) and ``rig`` (:class:`MuscleRig`).

Examples
--------
>>> from glute3d.anatomy.muscles import MUSCLE_NAMES, muscle_specs
>>> muscle_specs()["piriformis"].body
'centred'
>>> MUSCLE_NAMES.index("gluteus_minimus") < MUSCLE_NAMES.index("gluteus_maximus")   # deep first
True
"""

from glute3d.lazy import lazy_exports

_EXPORTS = {
    "body_mesh": "glute3d.anatomy.muscles.body",
    "Muscle": "glute3d.anatomy.muscles.result",
    "MuscleRig": "glute3d.anatomy.muscles.rig",
    "MUSCLE_NAMES": "glute3d.anatomy.muscles.specs",
    "MuscleDataError": "glute3d.anatomy.muscles.specs",
    "MuscleSpec": "glute3d.anatomy.muscles.specs",
    "Target": "glute3d.anatomy.muscles.specs",
    "Via": "glute3d.anatomy.muscles.specs",
    "Waypoint": "glute3d.anatomy.muscles.specs",
    "muscle_specs": "glute3d.anatomy.muscles.specs",
    "DistanceGrid": "glute3d.geometry.distance",
    "distance_grid": "glute3d.geometry.distance",
}
__all__ = [
    "MUSCLE_NAMES",
    "DistanceGrid",
    "Muscle",
    "MuscleDataError",
    "MuscleRig",
    "MuscleSpec",
    "Target",
    "Via",
    "Waypoint",
    "body_mesh",
    "distance_grid",
    "muscle_specs",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
