"""The muscle rig: what every pose shares, built once per model, and the muscles of any pose.

Everything that does not depend on the pose (distance grids, origin fans, insertions in the
femur frame, the neutral muscles) lives in a :class:`MuscleRig`; :meth:`MuscleRig.build`
does the per-pose work (about 40 ms for all muscles of both hips on one core).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from glute3d.anatomy.muscles.body import body_mesh
from glute3d.anatomy.muscles.fields import Beneath, Cover, Layer
from glute3d.anatomy.muscles.prepare import PreparedMuscle, prepare_muscle
from glute3d.anatomy.muscles.result import Muscle
from glute3d.anatomy.muscles.specs import MuscleSpec, muscle_specs
from glute3d.anatomy.muscles.wrap import follow_femur, generate
from glute3d.anatomy.skeleton import Skeleton
from glute3d.geometry.distance import DistanceGrid, distance_grid
from glute3d.sides import MIRROR, SIDES

__all__ = ["GRID_SPACING", "MuscleRig"]

#: Spacing of the bones' distance grids, mm.
GRID_SPACING = 2.0


class MuscleRig:
    """Everything needed to generate the muscles of a model in any pose.

    Parameters
    ----------
    skeleton : Skeleton
        Bones and landmarks at neutral pose.
    specs : dict of str to MuscleSpec, optional
        Defaults to :func:`muscle_specs`.
    spacing : float
        Distance-grid spacing, mm.
    pelvis : DistanceGrid, optional
        The pelvis's distance grid, when another rig of the same pelvis has it (a model whose
        femurs were reshaped keeps its pelvis: the grid takes seconds to build).

    Examples
    --------
    >>> import glute3d
    >>> rig = MuscleRig(glute3d.load_model().skeleton)
    >>> muscles = rig.build()          # neutral pose; both sides
    >>> sorted(muscles)[:2]
    ['gemellus_inferior_l', 'gemellus_inferior_r']
    """

    def __init__(
        self,
        skeleton: Skeleton,
        specs: Mapping[str, MuscleSpec] | None = None,
        *,
        spacing: float = GRID_SPACING,
        pelvis: DistanceGrid | None = None,
    ):
        model = skeleton
        # the specs are written for the default adult: a body of bone `scale` s gets every length
        # of them times s, so its muscles are the default ones scaled (volumes times s cubed)
        scale = float(skeleton.parameters.get("scale", 1.0))
        self.specs = {n: sp.scaled(scale) for n, sp in (dict(specs) if specs is not None else muscle_specs()).items()}
        self.hip_centers = {s: np.asarray(model.hip_centers[s], float) for s in SIDES}
        self.pelvis = pelvis if pelvis is not None else distance_grid(model.pelvis_meshes(), spacing=spacing)
        self.prepared: dict[tuple[str, str], PreparedMuscle] = {}
        self._skeleton, self._spacing = model, spacing
        self._femur: dict[str, DistanceGrid] = {}
        self._neutral: dict[str, Muscle] | None = None
        self._last: dict[str, tuple] = {}  # per side: the last transform built and its muscles

    @property
    def femur(self) -> dict[str, DistanceGrid]:
        """The upper femur's distance grid by side (neutral frame); the muscles of a side are
        prepared only when they are generated or carried."""
        for side in SIDES:
            if side not in self._femur:
                self._femur[side] = self._femur_grid(side)
        return self._femur

    def _prepare(self, side: str) -> None:
        """The femur's grid and the prepared muscles of ``side``, made when a side is first needed
        (a model built for one hip's statics never pays for the other)."""
        if (next(iter(self.specs)), side) in self.prepared:
            return
        model = self._skeleton
        grid = self._femur[side] if side in self._femur else self._femur_grid(side)
        for name, spec in self.specs.items():
            self.prepared[name, side] = prepare_muscle(model, spec, side, self.pelvis, grid)
        self._femur[side] = grid

    def _femur_grid(self, side: str) -> DistanceGrid:
        """The distance grid of the upper femur of ``side`` (down to 30 mm below its lowest insertion).

        The left one is the right one's mirror image when the left femur and its insertions mirror
        the right ones exactly (as the built bones do): the same grid, mirrored, in place of a
        second scan conversion and distance transform of the mirrored bone.
        """
        femur = self._skeleton.bones[f"femur_{side}"]
        lowest = self._grid_floor(side)
        other = "r" if side == "l" else "l"
        if other in self._femur and self._mirrors(other, side, lowest):
            return self._femur[other].mirrored()
        v = femur.vertices[femur.vertices[:, 1] > lowest]
        return distance_grid(femur, spacing=self._spacing, lower=v.min(0), upper=v.max(0))

    def _grid_floor(self, side: str) -> float:
        """The height (mm) the femur grid of ``side`` reaches down to: 30 mm below its lowest insertion."""
        return min(t[:, 1].min() for t in self._raw_targets(self._skeleton, side)) - 30.0

    def _mirrors(self, done: str, side: str, lowest: float) -> bool:
        """Whether femur ``side`` with grid floor ``lowest`` is the exact mirror image of femur ``done``."""
        bones = self._skeleton.bones
        a, b = bones[f"femur_{done}"].vertices, bones[f"femur_{side}"].vertices
        return a.shape == b.shape and self._grid_floor(done) == lowest and bool(np.array_equal(a * MIRROR, b))

    # ------------------------------------------------------------------ preparation
    def _raw_targets(self, model: Skeleton, side: str) -> list[np.ndarray]:
        out = []
        for spec in self.specs.values():
            for t in spec.insertion:
                if t.regions:
                    out.append(np.vstack([model.region(f"{r}_{side}").points for r in t.regions]))
                else:
                    tip = model.point(f"greater_trochanter_tip_{side}")
                    out.append(tip[None] - [0.0, t.below_gt[1] + 10.0, 0.0])
        return out

    # ------------------------------------------------------------------ generation
    def neutral(self) -> dict[str, Muscle]:
        """The muscles at neutral pose (computed once, cached)."""
        if self._neutral is None:
            self._neutral = self.build(_use_prior=False)
        return self._neutral

    def neutral_side(self, side: str, names: Sequence[str]) -> dict[str, Muscle]:
        """The muscles ``names`` of one side at neutral pose, with those they lie on: taken from
        the neutral muscles when they are built, else generated alone (not kept).

        The same muscles as :meth:`neutral`'s: each is wrapped over the same side's deeper
        muscles only.
        """
        wanted = self._with_deeper(names)
        if self._neutral is not None:
            return {f"{n}_{side}": self._neutral[f"{n}_{side}"] for n in self.specs if n in wanted}
        return self._build_side(side, np.eye(4), wanted, None)

    def build(
        self,
        transforms: Mapping[str, np.ndarray] | None = None,
        *,
        sides: Sequence[str] = SIDES,
        names: Sequence[str] | None = None,
        reuse: bool = True,
        _use_prior: bool = True,
    ) -> dict[str, Muscle]:
        """Generate the muscles for femur transforms.

        A side at neutral pose returns the cached neutral muscles; with
        ``reuse``, a side whose transform equals that of the previous call
        returns the previous muscles (the viewer moves one hip at a time).

        Parameters
        ----------
        transforms : mapping of side to (4, 4) array, optional
            Femur transform per side (see :func:`glute3d.kinematics.hip_transform`);
            identity (neutral pose) where missing.
        sides : sequence of {"r", "l"}
            Sides to generate.
        names : sequence of str, optional
            Sideless muscle names to generate (deeper muscles they lie on are
            generated too); default all.
        reuse : bool
            Reuse the last result of a side whose transform is unchanged.

        Returns
        -------
        dict of str to Muscle
            Sided name to muscle, deep to superficial.
        """
        transforms = transforms or {}
        wanted = set(self.specs) if names is None else self._with_deeper(names)
        neutral = self.neutral() if _use_prior else None
        out: dict[str, Muscle] = {}
        made: list[tuple[np.ndarray, dict[str, Muscle]]] = []  # right sides built in this call
        for side in sides:
            t = np.asarray(transforms.get(side, np.eye(4)), float)
            if neutral is not None and np.allclose(t, np.eye(4), atol=1e-12):
                out.update({f"{n}_{side}": neutral[f"{n}_{side}"] for n in self.specs if n in wanted})
                continue
            key = (t.tobytes(), frozenset(wanted))
            last = self._last.get(side)
            if reuse and neutral is not None and last is not None and last[0] == key:  # hip not moved
                out.update(last[1])
                continue
            built = self._build_side(side, t, wanted, neutral, made)
            if neutral is not None:
                self._last[side] = (key, built)
            out.update(built)
        return out

    def carried(
        self,
        transforms: Mapping[str, np.ndarray] | None = None,
        *,
        sides: Sequence[str] = SIDES,
        names: Sequence[str] | None = None,
    ) -> dict[str, Muscle]:
        """The neutral muscles carried along by the femurs, without wrapping (a quick approximation).

        Each sample turns about the hip centre by its share of the hip rotation (the ``follow``
        weights that :meth:`build` starts its wrapping from), faces and normals alike: about a
        millisecond for all muscles of a side, where :meth:`build` takes a hundred or more.  The
        viewer draws these while a pose slider is dragged and builds the exact muscles when it is let
        go.  Only the named muscles are carried (none beneath them is needed).
        """
        transforms = transforms or {}
        neutral = self.neutral()
        wanted = list(self.specs) if names is None else [n for n in self.specs if n in set(names)]
        out: dict[str, Muscle] = {}
        for side in sides:
            t = np.asarray(transforms.get(side, np.eye(4)), float)
            centre = self.hip_centers[side]
            self._prepare(side)  # the follow weights (the left side's are prepared only when asked)
            for name in wanted:
                m = neutral[f"{name}_{side}"]
                if np.allclose(t, np.eye(4), atol=1e-12):
                    out[m.name] = m
                    continue
                w = self.prepared[name, side].follow
                deep = follow_femur(m.deep, t, centre, w)
                sup = follow_femur(m.superficial, t, centre, w)
                out[m.name] = replace(
                    m,
                    fibres=follow_femur(m.fibres, t, centre, w),
                    deep=deep,
                    superficial=sup,
                    normals=follow_femur(m.normals, t, np.zeros(3), w),
                    mesh=body_mesh(deep, sup),
                )
        return out

    def _build_side(
        self,
        side: str,
        t: np.ndarray,
        wanted: set[str],
        neutral: dict[str, Muscle] | None,
        made: list[tuple[np.ndarray, dict[str, Muscle]]] | None = None,
    ) -> dict[str, Muscle]:
        """The wanted muscles of one side for femur transform ``t``, deep to superficial.

        Each muscle is wrapped over the bones and the muscles it lies on (built before it);
        with ``neutral``, its fibres start from the neutral ones carried along by the femur.
        The left side is the mirror image of the right built in the mirrored pose (the left
        bones mirror the right ones), so the two sides are exact mirror images in mirrored
        poses, as the bones are.  ``made`` holds the right sides already built in the same call:
        a left side in the mirror image of such a pose (both hips at neutral, say) mirrors those
        muscles instead of generating the same right side again.
        """
        if side == "l":
            flip = np.diag([1.0, 1.0, -1.0, 1.0])
            right = self._build_side("r", flip @ t @ flip, wanted, neutral, made)
            return {f"{m.base}_l": m.mirrored("l") for m in right.values()}
        for done_t, done_muscles in made or ():
            if np.array_equal(done_t, t):
                return done_muscles
        self._prepare(side)
        done: dict[str, Muscle] = {}
        layers: dict[str, Layer] = {}
        for name, spec in self.specs.items():
            if name not in wanted:
                continue
            below = [layers[o] for o in spec.over if o in layers]
            prep = self.prepared[name, side]
            fld = Beneath(self.pelvis, self._femur[side], t, Cover(below) if below else None, spec.gap, prep.outward)
            prior = None
            if neutral is not None:
                prior = follow_femur(neutral[f"{name}_{side}"].fibres, t, self.hip_centers[side], prep.follow)
            done[name] = generate(prep, t, fld, prior)
            if any(name in s.over for s in self.specs.values()):
                layers[name] = Layer(done[name])
        result = {f"{name}_{side}": m for name, m in done.items()}
        if made is not None:
            made.append((t.copy(), result))
        return result

    def _with_deeper(self, names: Sequence[str]) -> set[str]:
        unknown = [n for n in names if n not in self.specs]
        if unknown:
            raise KeyError(f"unknown muscle(s) {unknown}; known: {list(self.specs)}")
        todo, seen = list(names), set()
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(self.specs[n].over)
        return seen
