"""Geometry primitives, pure and vectorised: meshes, signed-distance functions, meshing, distances,
curves and rigid transforms.  Knows nothing of anatomy."""
