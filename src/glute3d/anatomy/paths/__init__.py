"""Nerve and artery paths: smooth centrelines through anatomical waypoints, swept into tubes.

Every path is generated from names only (``data/paths.toml``): its waypoints are
landmark points, points just outside the border of a muscle fan (the exits above
and below piriformis), points of a muscle body, points in the plane between two
muscles, or points behind the femoral shaft.  So the paths follow the bone
parameters, the muscles and the pose of the model they are evaluated on.

A branch is generated in four steps (see :mod:`glute3d.anatomy.paths.branches`):
waypoints evaluated on the model, a smooth curve through them, stretches held in the
plane between two muscles, the rest pushed out of the bones and the muscles it runs
beside, and smoothed.

Bones come from signed-distance grids built once per model (those of the muscle
rig when it exists; the femur's grid is queried in the femur's own frame, so
posing costs nothing); muscles from exact point-triangle distances to their
closed bodies, built per pose (:class:`~glute3d.geometry.distance.MeshDistance`).

The package is split by job: ``specs`` (the data model of ``paths.toml``), ``context``
(bones, muscles and landmarks of one pose and side), ``waypoints``, ``sampling`` (muscle
grids at fibre coordinates), ``branches`` (one branch), ``result`` and ``rig``.

Examples
--------
>>> import glute3d
>>> model = glute3d.load_model()
>>> sgn = model.paths["superior_gluteal_nerve_r"]
>>> sorted(sgn.branches)
['inferior_branch', 'superior_branch', 'trunk']
>>> sgn.branches["trunk"].centreline.shape[1]
3
"""

from glute3d.lazy import lazy_exports

_EXPORTS = {
    "Branch": "glute3d.anatomy.paths.result",
    "NeurovascularPath": "glute3d.anatomy.paths.result",
    "PathRig": "glute3d.anatomy.paths.rig",
    "generate_paths": "glute3d.anatomy.paths.rig",
    "PATH_NAMES": "glute3d.anatomy.paths.specs",
    "VARIANTS": "glute3d.anatomy.paths.specs",
    "BranchSpec": "glute3d.anatomy.paths.specs",
    "PathDataError": "glute3d.anatomy.paths.specs",
    "PathSpec": "glute3d.anatomy.paths.specs",
    "VariantSpec": "glute3d.anatomy.paths.specs",
    "WaypointSpec": "glute3d.anatomy.paths.specs",
    "check_variants": "glute3d.anatomy.paths.specs",
    "path_specs": "glute3d.anatomy.paths.specs",
}
__all__ = [
    "PATH_NAMES",
    "VARIANTS",
    "Branch",
    "BranchSpec",
    "NeurovascularPath",
    "PathDataError",
    "PathRig",
    "PathSpec",
    "VariantSpec",
    "WaypointSpec",
    "check_variants",
    "generate_paths",
    "path_specs",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
