"""The path rig: bone distance grids built once per model, and the paths of any pose."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from glute3d.anatomy.paths.branches import generate_branch
from glute3d.anatomy.paths.context import BoneGrids, PathContext
from glute3d.anatomy.paths.result import Branch, NeurovascularPath
from glute3d.anatomy.paths.specs import VARIANTS, PathSpec, check_variants, path_specs
from glute3d.anatomy.skeleton import ShaftFrame, Skeleton
from glute3d.geometry.distance import DistanceGrid, distance_grid
from glute3d.geometry.mesh import merge
from glute3d.sides import SIDES

__all__ = ["PathRig", "generate_paths"]


class PathRig:
    """Everything pose-independent needed to generate the paths of a model.

    Parameters
    ----------
    skeleton : Skeleton
        Bones and landmarks at neutral pose.
    specs : dict of str to PathSpec, optional
        Defaults to :func:`path_specs`.
    spacing : float
        Spacing of the bone distance grids, mm.
    pelvis : DistanceGrid, optional
        A distance grid of the pelvis to reuse (the muscle rig's).
    femur : mapping of str to DistanceGrid, optional
        Distance grids of the upper femurs (neutral frames) to reuse, per side.

    """

    def __init__(
        self,
        skeleton: Skeleton,
        specs: Mapping[str, PathSpec] | None = None,
        *,
        spacing: float = 2.5,
        pelvis: DistanceGrid | None = None,
        femur: Mapping[str, DistanceGrid] | None = None,
    ):
        # written for the default adult: a body of bone `scale` s gets every length times s
        scale = float(skeleton.parameters.get("scale", 1.0))
        self.specs = {n: sp.scaled(scale) for n, sp in (dict(specs) if specs is not None else path_specs()).items()}
        self.pelvis: DistanceGrid = (
            pelvis if pelvis is not None else distance_grid(merge(skeleton.pelvis_meshes()), spacing=spacing)
        )
        self.femur: dict[str, DistanceGrid] = {}
        self.femur_neutral: dict[str, np.ndarray] = {}
        self.shaft: dict[str, ShaftFrame] = {}
        for side in SIDES:
            mesh = skeleton.bones[f"femur_{side}"]
            v = mesh.vertices
            lesser = skeleton.point(f"lesser_trochanter_{side}")
            if femur is not None and side in femur:
                self.femur[side] = femur[side]  # the muscles' grid of the upper femur (neutral frame)
            else:
                lower = v[v[:, 1] > lesser[1] - 320.0]
                self.femur[side] = distance_grid(
                    mesh, spacing=spacing, margin=24.0, lower=lower.min(0), upper=lower.max(0)
                )
            pick = np.linspace(0, len(v) - 1, 6).astype(int)
            self.femur_neutral[side] = v[pick]
            self.shaft[side] = skeleton.shaft_frame(side)

    # ------------------------------------------------------------------ generation
    def build(
        self,
        skeleton: Skeleton,
        muscles: Mapping[str, Any],
        *,
        variants: Mapping[str, str] | None = None,
        sides: Sequence[str] = SIDES,
        names: Sequence[str] | None = None,
    ) -> dict[str, NeurovascularPath]:
        """Generate the paths in the pose of ``skeleton``.

        Parameters
        ----------
        skeleton : Skeleton
            Bones and landmarks (neutral or posed) that the waypoints use.
        muscles : mapping of str to Muscle
            The muscles generated in the same pose (sided name to muscle).
        variants : mapping of str to str, optional
            Variant switches, e.g. ``{"sciatic": "fibular_pierces_piriformis"}``.
        sides : sequence of {"r", "l"}
        names : sequence of str, optional
            Sideless path names; default all.

        Returns
        -------
        dict of str to NeurovascularPath
            Sided name to path.
        """
        chosen = check_variants(variants)
        variant_of = {VARIANTS[k][0]: v for k, v in chosen.items()}
        wanted = list(self.specs) if names is None else list(names)
        unknown = [n for n in wanted if n not in self.specs]
        if unknown:
            raise KeyError(f"unknown path(s) {unknown}; known: {list(self.specs)}")
        out: dict[str, NeurovascularPath] = {}
        grids = BoneGrids(self.pelvis, self.femur, self.femur_neutral, self.shaft)
        for side in sides:
            ctx = PathContext(grids, skeleton, muscles, side)
            for name in wanted:
                spec = self.specs[name]
                variant = variant_of.get(name, "normal")
                done: dict[str, Branch] = {}
                solved: dict[str, list[np.ndarray]] = {}
                for b in spec.branches_of(variant):
                    done[b.name], solved[b.name] = generate_branch(ctx, b, done, solved)
                out[f"{name}_{side}"] = NeurovascularPath(f"{name}_{side}", spec.kind, side, done, variant)
        return out


def generate_paths(
    skeleton: Skeleton,
    muscles: Mapping[str, Any],
    *,
    variants: Mapping[str, str] | None = None,
    sides: Sequence[str] = SIDES,
    names: Sequence[str] | None = None,
    rig: PathRig | None = None,
) -> dict[str, NeurovascularPath]:
    """Generate the nerve and artery paths for a skeleton and its muscles (one pose).

    Parameters
    ----------
    skeleton : Skeleton
        Bones and landmarks, neutral or posed.
    muscles : mapping of str to Muscle
        The muscles in the same pose.
    variants : mapping of str to str, optional
        Variant switches (see `VARIANTS`), e.g. ``{"sciatic": "fibular_pierces_piriformis"}``.
    sides : sequence of {"r", "l"}
    names : sequence of str, optional
        Sideless path names (`PATH_NAMES`); default all.
    rig : PathRig, optional
        A rig built on the neutral skeleton (reuse it across poses); built here when absent,
        in which case ``skeleton`` must be neutral.

    Returns
    -------
    dict of str to NeurovascularPath
    """
    rig = rig if rig is not None else PathRig(skeleton)
    return rig.build(skeleton, muscles, variants=variants, sides=sides, names=names)
