"""Nerve and artery paths: smooth centrelines through anatomical waypoints, swept into tubes.

Every path is generated from names only (``data/paths.toml``): its waypoints are
landmark points, points just outside the border of a muscle fan (the exits above
and below piriformis), points of a muscle body, points in the plane between two
muscles, or points behind the femoral shaft.  So the paths follow the bone
parameters, the muscles and the pose of the model they are evaluated on.

A branch is generated in four steps:

1. *Waypoints* are evaluated on the model (one side; the left mirrors every z
   offset of the data).
2. A centripetal Catmull-Rom curve runs through them, sampled about every 2 mm.
3. Stretches between two ``between`` waypoints are held in the plane between
   the two muscles: each sample is moved along the deep muscle's surface normal
   to the point that is farthest from both muscles (the middle of the gap, or
   resting on the deep muscle where the other is far away).
4. The rest is pushed out of the bones (to the tube radius) and out of the
   muscles in the branch's ``avoid`` list, and smoothed, a few times.

Bones come from signed-distance grids built once per model (those of the muscle
rig when it exists; the femur's grid is queried in the femur's own frame, so
posing costs nothing); muscles from exact point-triangle distances to their
closed bodies, built per pose (:class:`MeshDistance`).

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

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path as FilePath
from typing import Any

import numpy as np
from scipy.ndimage import distance_transform_edt, gaussian_filter1d, maximum_filter1d
from scipy.spatial import cKDTree

from glute3d.anatomy.skeleton import ShaftFrame, Skeleton
from glute3d.geometry.curves import catmull_rom, resample, tube
from glute3d.geometry.distance import DistanceGrid, MeshDistance, distance_grid, point_segment_distance
from glute3d.geometry.mesh import Mesh, merge
from glute3d.geometry.transforms import rigid_fit
from glute3d.io.datafiles import data_text
from glute3d.sides import SIDES, mirror_for

__all__ = [
    "PATH_NAMES",
    "VARIANTS",
    "Branch",
    "NeurovascularPath",
    "PathDataError",
    "PathRig",
    "generate_paths",
    "path_specs",
]

#: The paths of ``data/paths.toml``, in file order.
PATH_NAMES = (
    "superior_gluteal_nerve",
    "superior_gluteal_artery",
    "inferior_gluteal_nerve",
    "inferior_gluteal_artery",
    "sciatic_nerve",
)
#: Variant switches: switch name -> (path it changes, allowed values; the first is the usual anatomy).
VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sciatic": ("sciatic_nerve", ("normal", "fibular_pierces_piriformis")),
}
_KINDS = ("nerve", "artery")
_STEP = 2.0  # mm between centreline samples
_ITERATIONS = 6  # relaxation passes (planes, bones, muscles)


class PathDataError(ValueError):
    """``paths.toml`` is inconsistent; the message names the path, branch and field."""


# ============================================================================ specification
@dataclass(frozen=True)
class WaypointSpec:
    """One waypoint of a branch (see ``data/paths.toml`` for the kinds and their fields)."""

    kind: str  # "landmarks" | "border" | "muscle" | "between" | "shaft"
    data: Mapping[str, Any]
    exit: bool = False


@dataclass(frozen=True)
class BranchSpec:
    """How one branch of a path is generated."""

    name: str
    radius: float
    waypoints: tuple[WaypointSpec, ...]
    avoid: tuple[str, ...]
    under: tuple[str, ...] = ()
    parent: str | None = None
    start: int = -1  # index of the parent's waypoint the branch leaves at
    risk: bool = True  # counts for needle safety (False: small twigs inside a muscle)


@dataclass(frozen=True)
class PathSpec:
    """One nerve or artery: its kind and branches, and the branches of its variants."""

    name: str
    kind: str
    branches: tuple[BranchSpec, ...]
    variants: Mapping[str, tuple[BranchSpec, ...]] = field(default_factory=dict)


_COMMON = {"exit", "plane", "rest"}
_WAYPOINT_FIELDS = {
    "landmarks": ({"landmarks"}, {"offset", "frame"} | _COMMON),
    "border": ({"border", "q", "near"}, {"along", "clear"} | _COMMON),
    "muscle": ({"muscle", "q"}, {"s", "near", "along", "depth", "lift"} | _COMMON),
    "between": ({"between", "q", "s"}, {"rest", "exit"}),
    "shaft": ({"shaft", "below"}, {"behind", "medial"} | _COMMON),
}


def _parse_waypoint(d: Mapping[str, Any], where: str) -> WaypointSpec:
    kinds = [k for k in _WAYPOINT_FIELDS if k in d]
    if len(kinds) != 1:
        raise PathDataError(
            f"paths.toml [{where}]: a waypoint needs exactly one of {list(_WAYPOINT_FIELDS)}, got keys {sorted(d)}"
        )
    kind = kinds[0]
    need, optional = _WAYPOINT_FIELDS[kind]
    missing = need - set(d)
    unknown = set(d) - need - optional
    if missing:
        raise PathDataError(f"paths.toml [{where}]: {kind} waypoint misses {sorted(missing)}")
    if unknown:
        raise PathDataError(
            f"paths.toml [{where}]: unknown field(s) {sorted(unknown)} for a {kind} waypoint; "
            f"allowed: {sorted(need | optional)}"
        )
    if kind == "muscle" and "s" not in d and "near" not in d:
        raise PathDataError(f"paths.toml [{where}]: a muscle waypoint needs `s` or `near`")
    for key in ("between", "plane"):
        if key in d and (not isinstance(d[key], list) or len(d[key]) != 2 or d[key][1] == "bone"):
            raise PathDataError(
                f"paths.toml [{where}]: {key} = {d[key]!r} must be [deep muscle or 'bone', superficial muscle]"
            )
    if d.get("rest", "deep") not in ("deep", "superficial"):
        raise PathDataError(f"paths.toml [{where}]: rest = {d['rest']!r}; use 'deep' or 'superficial'")
    if kind == "landmarks" and d.get("frame", "auto") not in ("auto", "pelvis", "femur"):
        raise PathDataError(f"paths.toml [{where}]: frame = {d['frame']!r}; use 'pelvis' or 'femur'")
    if kind == "shaft" and d["shaft"] != "femur":
        raise PathDataError(f"paths.toml [{where}]: shaft = {d['shaft']!r}; only 'femur' is known")
    for key in ("q", "s", "depth"):
        if key in d and not (isinstance(d[key], int | float) and -0.5 <= d[key] <= 1.5):
            raise PathDataError(f"paths.toml [{where}]: {key} = {d[key]!r} must be a number in [0, 1]")
    data = {k: v for k, v in d.items() if k != "exit"}
    if kind == "between":
        data["plane"] = data["between"]
    return WaypointSpec(kind, data, bool(d.get("exit", False)))


def _parse_branches(
    raw: Sequence[Mapping[str, Any]], path: str, where: str, avoid: tuple[str, ...], under: tuple[str, ...] = ()
) -> tuple[BranchSpec, ...]:
    out: list[BranchSpec] = []
    for k, b in enumerate(raw):
        here = f"{where}.branches[{k}]"
        for key in ("name", "radius", "waypoints"):
            if key not in b:
                raise PathDataError(f"paths.toml [{here}]: missing field {key!r}")
        parent = b.get("parent")
        names = [o.name for o in out]
        if k == 0 and parent is not None:
            raise PathDataError(f"paths.toml [{here}]: the first branch of {path} cannot have a parent")
        if k > 0 and parent not in names:
            raise PathDataError(
                f"paths.toml [{here}]: parent = {parent!r} must name an earlier branch of {path} ({names})"
            )
        wps = tuple(_parse_waypoint(w, f"{here}.waypoints[{i}]") for i, w in enumerate(b["waypoints"]))
        if not wps or (parent is None and len(wps) < 2):
            raise PathDataError(f"paths.toml [{here}]: too few waypoints ({len(wps)})")
        radius = float(b["radius"])
        if not 0.2 <= radius <= 15.0:
            raise PathDataError(f"paths.toml [{here}]: radius = {radius} mm is outside 0.2..15 mm")
        out.append(
            BranchSpec(
                name=str(b["name"]),
                radius=radius,
                waypoints=wps,
                avoid=tuple(b.get("avoid", avoid)),
                under=tuple(b.get("under", under)),
                parent=parent,
                start=int(b.get("from", -1)),
                risk=bool(b.get("risk", True)),
            )
        )
    return tuple(out)


def parse_specs(doc: Mapping[str, Any]) -> dict[str, PathSpec]:
    """Validate a parsed ``paths.toml`` and return its paths in file order.

    Raises
    ------
    PathDataError
        A missing or malformed field; the message names the table and field.
    """
    specs: dict[str, PathSpec] = {}
    for name, d in doc.items():
        kind = d.get("kind")
        if kind not in _KINDS:
            raise PathDataError(f"paths.toml [{name}]: kind = {kind!r}; use one of {list(_KINDS)}")
        avoid = tuple(d.get("avoid", ()))
        under = tuple(d.get("under", ()))
        branches = _parse_branches(d.get("branches", ()), name, name, avoid, under)
        if not branches:
            raise PathDataError(f"paths.toml [{name}]: no branches")
        variants = {
            v: _parse_branches(vd.get("branches", ()), name, f"{name}.variants.{v}", avoid, under)
            for v, vd in d.get("variants", {}).items()
        }
        specs[name] = PathSpec(name, kind, branches, variants)
    for switch, (path, allowed) in VARIANTS.items():
        if path in specs:
            missing = [v for v in allowed[1:] if v not in specs[path].variants]
            if missing:
                raise PathDataError(f"paths.toml [{path}]: variant(s) {missing} of switch {switch!r} are not defined")
    return specs


def path_specs(path: str | FilePath | None = None) -> dict[str, PathSpec]:
    """The path specifications of ``path`` (default: the packaged ``data/paths.toml``)."""
    text = FilePath(path).read_text() if path is not None else data_text("paths.toml")
    return parse_specs(tomllib.loads(text))


def check_variants(variants: Mapping[str, str] | None) -> dict[str, str]:
    """Validate variant switches; return them with the usual anatomy filled in.

    Raises
    ------
    ValueError
        Unknown switch or value; the message lists what is allowed.
    """
    out = {k: allowed[0] for k, (_, allowed) in VARIANTS.items()}
    for key, value in (variants or {}).items():
        if key not in VARIANTS:
            raise ValueError(f"unknown variant switch {key!r}; known switches: {sorted(VARIANTS)}")
        allowed = VARIANTS[key][1]
        if value not in allowed:
            raise ValueError(f"variant {key} = {value!r} is not one of {list(allowed)}")
        out[key] = value
    return out


# ============================================================================ result
@dataclass(frozen=True)
class Branch:
    """One branch of a path.

    Attributes
    ----------
    name : str
        ``"trunk"``, ``"superior_branch"``, ...
    centreline : numpy.ndarray
        ``(n, 3)`` samples about 2 mm apart, from the pelvis outward.
    radius : float
        Tube radius, mm.
    parent : str or None
        The branch it leaves from.
    exit : numpy.ndarray or None
        ``(3,)`` where it leaves the pelvis through the greater sciatic foramen, if it does.
    risk : bool
        Whether a needle must keep clear of it (False for the small muscular twigs that
        every intramuscular injection crosses).
    """

    name: str
    centreline: np.ndarray
    radius: float
    parent: str | None = None
    exit: np.ndarray | None = None
    risk: bool = True

    @cached_property
    def mesh(self) -> Mesh:
        """The branch as a closed, capped tube."""
        return tube(self.centreline, self.radius)

    @property
    def length(self) -> float:
        """Arc length, mm."""
        return float(np.linalg.norm(np.diff(self.centreline, axis=0), axis=1).sum())


@dataclass(frozen=True)
class NeurovascularPath:
    """A nerve or artery of one side: branches with centrelines, radii and a tube mesh.

    Attributes
    ----------
    name : str
        Sided name, e.g. ``"sciatic_nerve_r"``.
    kind : {"nerve", "artery"}
    side : {"r", "l"}
    branches : dict of str to Branch
        In generation order (parents before children).
    variant : str
        ``"normal"`` or the variant the path was generated with.
    """

    name: str
    kind: str
    side: str
    branches: dict[str, Branch]
    variant: str = "normal"

    @property
    def base(self) -> str:
        """The sideless name."""
        return self.name[: -len(self.side) - 1]

    @property
    def exit(self) -> np.ndarray:
        """``(3,)`` where the path (its first exiting branch) leaves the pelvis."""
        for b in self.branches.values():
            if b.exit is not None:
                return b.exit.copy()
        raise ValueError(f"{self.name} has no exit waypoint")

    @property
    def centrelines(self) -> dict[str, np.ndarray]:
        """Branch name to ``(n, 3)`` centreline."""
        return {k: b.centreline for k, b in self.branches.items()}

    @cached_property
    def mesh(self) -> Mesh:
        """All branches as one mesh (each branch a closed, capped tube)."""
        return merge([b.mesh for b in self.branches.values()])

    def segments(self, *, at_risk: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every centreline segment: starts ``(m, 3)``, ends ``(m, 3)`` and radii ``(m,)``.

        With ``at_risk``, only the branches a needle must keep clear of.
        """
        bs = [b for b in self.branches.values() if b.risk or not at_risk]
        a = np.vstack([b.centreline[:-1] for b in bs])
        e = np.vstack([b.centreline[1:] for b in bs])
        r = np.concatenate([np.full(len(b.centreline) - 1, b.radius) for b in bs])
        return a, e, r

    def distance(self, points: np.ndarray, *, at_risk: bool = False) -> np.ndarray:
        """Distance from ``points`` ``(n, 3)`` to the tube surface (centreline distance minus radius), mm."""
        a, e, r = self.segments(at_risk=at_risk)
        pts = np.atleast_2d(np.asarray(points, float))
        out = np.full(len(pts), np.inf)
        for lo in range(0, len(pts), 2048):
            d = point_segment_distance(pts[lo : lo + 2048, None, :], a[None], e[None]) - r[None]
            out[lo : lo + 2048] = d.min(axis=1)
        return out


# ============================================================================ geometry helpers


# ============================================================================ distance fields


# ============================================================================ rig
class PathRig:
    """Everything pose-independent needed to generate the paths of a model.

    Parameters
    ----------
    model : Model
        The model at neutral pose (a posed model's ``neutral`` is used).
    specs : dict of str to PathSpec, optional
        Defaults to :func:`path_specs`.
    spacing : float
        Spacing of the bone distance grids, mm.
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
        self.specs = dict(specs) if specs is not None else path_specs()
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
        for side in sides:
            ctx = _Context(self, skeleton, muscles, side)
            for name in wanted:
                spec = self.specs[name]
                variant = variant_of.get(name, "normal")
                branches = spec.variants[variant] if variant != "normal" else spec.branches
                done: dict[str, Branch] = {}
                solved: dict[str, list[np.ndarray]] = {}
                for b in branches:
                    done[b.name], solved[b.name] = _generate_branch(ctx, b, done, solved)
                out[f"{name}_{side}"] = NeurovascularPath(f"{name}_{side}", spec.kind, side, done, variant)
        return out


class _Context:
    """Waypoint evaluation and distance fields for one model (pose) and one side."""

    def __init__(self, rig: PathRig, skeleton: Skeleton, muscles: Mapping[str, Any], side: str):
        self.rig, self.skeleton, self.muscles, self.side = rig, skeleton, muscles, side
        self.mirror = mirror_for(side)
        posed = skeleton.bones[f"femur_{side}"].vertices
        pick = np.linspace(0, len(posed) - 1, 6).astype(int)
        self.femur_t = rigid_fit(rig.femur_neutral[side], posed[pick])
        self._fields: dict[str, MeshDistance] = {}
        self._faces: dict[tuple[str, str], Any] = {}

    # ---------------------------------------------------------------- fields
    def muscle(self, name: str) -> Any:
        key = f"{name}_{self.side}"
        if key not in self.muscles:
            raise KeyError(f"paths.toml names muscle {name!r}, but the model has no {key!r}")
        return self.muscles[key]

    def field(self, name: str) -> MeshDistance:
        if name not in self._fields:
            self._fields[name] = MeshDistance(self.muscle(name).mesh)
        return self._fields[name]

    def bones(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the pelvis and this side's femur (posed), with the unit gradient."""
        dp, gp = self.rig.pelvis(p)
        rot, shift = self.femur_t[:3, :3], self.femur_t[:3, 3]
        df, gf = self.rig.femur[self.side]((p - shift) @ rot)
        gf = gf @ rot.T
        use = df < dp
        return np.where(use, df, dp), np.where(use[:, None], gf, gp)

    def distance(self, name: str, p: np.ndarray) -> np.ndarray:
        """Signed distance to a muscle, or to the bones for ``"bone"``."""
        if name == "bone":
            return self.bones(p)[0]
        return self.field(name)(p)[0]

    def face(self, name: str, which: str) -> tuple[cKDTree, np.ndarray, np.ndarray]:
        """A face of a muscle (``"superficial"`` or ``"deep"``), upsampled: kd-tree, points, normals.

        Normals point from the deep to the superficial face (away from what lies beneath).
        """
        key = (name, which)
        if key not in self._faces:
            m = self.muscle(name)
            pts = _upsample(m.superficial if which == "superficial" else m.fibres, 3).reshape(-1, 3)
            nrm = _upsample(m.normals, 3).reshape(-1, 3)
            nrm /= np.maximum(np.linalg.norm(nrm, axis=-1, keepdims=True), 1e-9)
            self._faces[key] = (cKDTree(pts), pts, nrm)
        return self._faces[key]

    def height_under(self, name: str, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Height of points above a muscle's deep face, along its normal.

        Returns the height ``(n,)`` (negative: beneath the muscle), the normal
        ``(n, 3)`` and whether each point lies within the muscle's footprint.
        """
        key = (name, "deep_footprint")
        if key not in self._faces:
            m = self.muscle(name)
            grid = _upsample(m.fibres, 3)
            nrm = _upsample(m.normals, 3)
            nrm /= np.maximum(np.linalg.norm(nrm, axis=-1, keepdims=True), 1e-9)
            rim = np.zeros(grid.shape[:2], bool)
            rim[[0, -1], :] = True
            rim[:, [0, -1]] = True
            self._faces[key] = (cKDTree(grid.reshape(-1, 3)), grid.reshape(-1, 3), nrm.reshape(-1, 3), rim.ravel())
        tree, pts, nrm, rim = self._faces[key]
        _, i = tree.query(p)
        rel = p - pts[i]
        h = np.einsum("ij,ij->i", rel, nrm[i])
        tangential = np.linalg.norm(rel - h[:, None] * nrm[i], axis=1)
        inside = ~rim[i] | (tangential < 1.0)
        return h, nrm[i], inside

    # ---------------------------------------------------------------- waypoints
    def landmark(self, name: str) -> np.ndarray:
        full = name if name == "gluteal_cleft_top" else f"{name}_{self.side}"
        return np.asarray(self.skeleton.landmark(full), float)

    def weighted(self, weights: Mapping[str, float]) -> np.ndarray:
        total = sum(weights.values())
        return sum(w * self.landmark(n) for n, w in weights.items()) / total

    def evaluate(self, wp: WaypointSpec, radius: float) -> np.ndarray:
        """The waypoint's position (held in its plane, if it names one)."""
        p = self._position(wp, radius)
        if "plane" in wp.data:
            p = self.in_plane(p[None], _plane(wp), radius)[0]
        return p

    def _position(self, wp: WaypointSpec, radius: float) -> np.ndarray:
        d = wp.data
        if wp.kind == "landmarks":
            p = self.weighted(d["landmarks"])
            off = np.asarray(d.get("offset", (0.0, 0.0, 0.0)), float) * self.mirror
            frame = d.get("frame", "auto")
            if frame == "auto":
                bones = {
                    self.skeleton.landmark_bone(n if n == "gluteal_cleft_top" else f"{n}_{self.side}")
                    for n in d["landmarks"]
                }
                frame = "femur" if bones == {f"femur_{self.side}"} else "pelvis"
            if frame == "femur":
                off = self.femur_t[:3, :3] @ off
            return p + off
        if wp.kind == "shaft":
            c, axis, post, medial, r = self.rig.shaft[self.side]
            p = (
                c
                - axis * float(d["below"])
                + post * (r + float(d.get("behind", 0.0)))
                + medial * float(d.get("medial", 0.0))
            )
            return self.femur_t[:3, :3] @ p + self.femur_t[:3, 3]
        if wp.kind == "between":
            m = self.muscle(d["between"][0])
            return _bilinear(m.superficial, float(d["q"]), float(d["s"]))[0]
        if wp.kind == "muscle":
            m = self.muscle(d["muscle"])
            q = float(d["q"])
            s = self._s_of(m, q, d)
            deep, _ = _bilinear(m.fibres, q, s)
            sup, _ = _bilinear(m.superficial, q, s)
            nrm, _ = _bilinear(m.normals, q, s)
            nrm /= np.linalg.norm(nrm)
            depth = float(d.get("depth", 0.5))
            return deep + depth * (sup - deep) + float(d.get("lift", 0.0)) * nrm
        if wp.kind == "border":
            return self._border(wp, radius)
        raise AssertionError(wp.kind)  # pragma: no cover - parse_specs rejects other kinds

    def _s_of(self, m: Any, q: float, d: Mapping[str, Any]) -> float:
        """Fibre parameter of a waypoint: ``s``, or the fibre point nearest ``near`` moved ``along`` mm."""
        if "near" not in d:
            return float(d["s"])
        mid = 0.5 * (m.fibres + m.superficial)
        target = self.weighted(d["near"])
        line = _bilinear_row(mid, q)
        seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(seg)])
        a, b = line[:-1], line[1:]
        ab = b - a
        t = np.clip(np.einsum("ij,ij->i", target - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12), 0, 1)
        dist = np.linalg.norm(a + t[:, None] * ab - target, axis=1)
        k = int(np.argmin(dist))
        at = float(np.clip(arc[k] + t[k] * seg[k] + float(d.get("along", 0.0)), 0.0, arc[-1]))
        return float(np.interp(at, arc, np.linspace(0.0, 1.0, len(line))))

    def _border(self, wp: WaypointSpec, radius: float) -> np.ndarray:
        d = wp.data
        m = self.muscle(d["border"])
        q = float(d["q"])
        s = self._s_of(m, q, d)
        mid = 0.5 * (m.fibres + m.superficial)
        edge, tangent = _bilinear(mid, q, s)
        nb, _ = _bilinear(mid, 0.85 if q > 0.5 else 0.15, s)
        out = edge - nb
        tangent /= max(np.linalg.norm(tangent), 1e-9)
        out -= (out @ tangent) * tangent
        out /= max(np.linalg.norm(out), 1e-9)
        want = radius + float(d.get("clear", 2.0))
        t = np.linspace(0.0, want + 6.0, 49)
        cand = edge[None] + t[:, None] * out[None]
        dm = self.field(d["border"])(cand)[0]
        db, _ = self.bones(cand)
        ok = (dm >= want) & (db >= radius + 0.5)
        if ok.any():
            return cand[int(np.argmax(ok))]
        # squeezed: the middle of the gap between muscle and bone
        return cand[int(np.argmax(np.minimum(dm, db - radius)))]

    def in_plane(self, pts: np.ndarray, plane: tuple[str, str, str], radius: float) -> np.ndarray:
        """Move points into the plane between two bodies, along the normal of the plane.

        Along the normal through each point the free space between the deep and the
        superficial body is measured; the point goes to the middle of a narrow gap,
        or rests ``radius + 0.5`` mm off the resting body where the gap is wide.
        """
        deep, sup, rest = plane
        tree, sp, sn = self.face(sup, "deep") if deep == "bone" else self.face(deep, "superficial")
        _, i = tree.query(pts)
        n = sn[i]
        base = pts - np.einsum("ij,ij->i", pts - sp[i], n)[:, None] * n
        want = radius + 0.5
        if deep == "bone":  # below the superficial muscle's deep face
            lo, hi = -(2.0 * radius + 14.0), 1.0
        else:  # above the deep muscle's superficial face
            lo, hi = -1.0, want + 2.0
        t = np.zeros(len(pts))
        for _ in range(2):
            x = base + t[:, None] * n
            d1 = self.distance(deep, x)
            d2 = self.distance(sup, x)
            if deep == "bone":
                # bone first: never closer than `want`; rest on the muscle where there is room
                # for the tissue around the nerve too (half a radius), else the middle of the gap
                wide = d1 + d2 >= 2.5 * want
                target = np.where(wide, d1 + d2 - want, np.maximum(want, 0.5 * (d1 + d2)))
                step = target - d1
            else:
                gap = d1 + d2
                if rest == "deep":
                    step = np.where(gap >= 2 * want, want - d1, 0.5 * (d2 - d1))
                else:
                    step = np.where(gap >= 2 * want, d2 - want, 0.5 * (d2 - d1))
            t = np.clip(t + step, lo, hi)
        return base + t[:, None] * n


def _plane(wp: WaypointSpec) -> tuple[str, str, str]:
    deep, sup = wp.data["plane"]
    rest = wp.data.get("rest", "superficial" if deep == "bone" else "deep")
    return str(deep), str(sup), str(rest)


# ============================================================================ branch generation
def _smooth(a: np.ndarray, times: int = 1) -> np.ndarray:
    """[1, 2, 1] / 4 smoothing along the first axis, keeping both ends."""
    a = a.copy()
    for _ in range(times):
        if len(a) > 2:
            a[1:-1] = 0.25 * a[:-2] + 0.5 * a[1:-1] + 0.25 * a[2:]
    return a


def _gaussian(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along the first axis (``sigma`` in samples, edge values repeated)."""
    return gaussian_filter1d(a, sigma, axis=0, mode="nearest")


def _running_max(a: np.ndarray, half: int) -> np.ndarray:
    """Maximum over a window of ``2 * half + 1`` samples."""
    return maximum_filter1d(a, 2 * half + 1, mode="nearest")


def _spread(disp: np.ndarray, known: np.ndarray, wp_idx: np.ndarray) -> np.ndarray:
    """Fill the displacement of unknown samples from the known ones around them.

    Between two known samples: linear interpolation.  Next to one known sample
    only: fading linearly to zero at the next waypoint (at least 4 samples on).
    """
    out = disp.copy()
    n = len(disp)
    i = 0
    while i < n:
        if known[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and not known[j + 1]:
            j += 1
        run = np.arange(i, j + 1)
        left = i - 1 if i > 0 else None
        right = j + 1 if j + 1 < n else None
        if left is not None and right is not None:
            t = (run - left) / (right - left)
            out[run] = (1 - t)[:, None] * disp[left] + t[:, None] * disp[right]
        elif left is not None:
            nxt = wp_idx[wp_idx > left]
            span = max((nxt[0] if len(nxt) else n) - left, 4)
            out[run] = np.clip(1 - (run - left) / span, 0, 1)[:, None] * disp[left]
        elif right is not None:
            prv = wp_idx[wp_idx < right]
            span = max(right - (prv[-1] if len(prv) else -1), 4)
            out[run] = np.clip(1 - (right - run) / span, 0, 1)[:, None] * disp[right]
        i = j + 1
    return out


def _generate_branch(
    ctx: _Context, spec: BranchSpec, done: Mapping[str, Branch], solved: Mapping[str, list[np.ndarray]]
) -> tuple[Branch, list[np.ndarray]]:
    """One branch: waypoints, curve, relaxation (planes, bones, muscles), resampling.

    Returns the branch and its waypoints as placed (for the branches that leave from them).
    """
    r = spec.radius
    wps = [ctx.evaluate(w, r) for w in spec.waypoints]
    kinds = [w.kind for w in spec.waypoints]
    planes = [_plane(w) if "plane" in w.data else None for w in spec.waypoints]
    exits = [w.exit for w in spec.waypoints]
    if spec.parent is not None:
        parent = done[spec.parent]
        anchor = solved[spec.parent][spec.start]
        j = int(np.argmin(np.linalg.norm(parent.centreline - anchor, axis=1)))
        wps = [parent.centreline[j], *wps]
        kinds = ["attach", *kinds]
        planes = [planes[0] if planes and planes[0] is not None else None, *planes]
        exits = [False, *exits]
    ctrl = np.vstack(wps)
    pts, idx = catmull_rom(ctrl, _STEP)
    n = len(pts)

    fixed = np.zeros(n, bool)
    own = kinds[len(kinds) - len(spec.waypoints) :]
    inside = [k == "muscle" and 0.0 < float(w.data.get("depth", 0.5)) for k, w in zip(own, spec.waypoints)]
    inside = [False] * (len(kinds) - len(inside)) + inside
    fixed[[idx[k] for k, kind in enumerate(kinds) if kind == "attach" or inside[k]]] = True
    fixed[0] = True
    # pushes fade in over a few samples next to fixed points (a smooth departure, not a kink)
    taper = np.clip(distance_transform_edt(~fixed) / 6.0, 0.0, 1.0)
    beneath = np.zeros((n, 3))  # how far `under` has moved each sample so far (capped at one radius)
    groups: dict[tuple[str, str, str], list[int]] = {}
    for k in range(len(ctrl)):
        pl = planes[k]
        if pl is None:
            continue
        last = idx[k + 1] if k + 1 < len(ctrl) and planes[k + 1] == pl else idx[k]
        groups.setdefault(pl, []).extend(range(idx[k], last + 1))
    plane_idx = {pl: np.unique(v) for pl, v in groups.items()}
    in_plane = np.zeros(n, bool)
    for v in plane_idx.values():
        in_plane[v] = True
    in_plane &= ~fixed
    free = ~fixed & ~in_plane
    avoid = [m for m in spec.avoid if f"{m}_{ctx.side}" in ctx.muscles]
    under = [m for m in spec.under if f"{m}_{ctx.side}" in ctx.muscles]
    m_clear = 0.5 * r + 0.5
    b_clear = r + 0.5

    for it in range(_ITERATIONS):
        disp = np.zeros_like(pts)
        for pl, ii in plane_idx.items():
            sel = ii[in_plane[ii]]
            if len(sel):
                disp[sel] = ctx.in_plane(pts[sel], pl, r) - pts[sel]
        # carry the plane's displacement smoothly into the free stretches next to it
        disp = _spread(disp, in_plane | fixed, np.asarray(idx))
        if free.any():
            p = pts[free] + disp[free]
            db, gb = ctx.bones(p)
            move = np.maximum(b_clear - db, 0.0)[:, None] * gb
            for mname in avoid:
                fld = ctx.field(mname)
                near = np.all((p > fld.lo - m_clear - 1.0) & (p < fld.hi + m_clear + 1.0), axis=1)
                if near.any():
                    dm, gm = fld(p[near])
                    move[near] += np.maximum(m_clear - dm, 0.0)[:, None] * gm
            for mname in under:  # one-sided: stay beneath the muscle's deep face
                h, nrm, foot = ctx.height_under(mname, p)
                over = np.where(foot, np.maximum(h + m_clear, 0.0), 0.0)
                over = np.where(h < 40.0, over, 0.0)  # far above: another part of the body
                # bone comes first: go beneath the muscle only as far as the bone leaves room,
                # and never more than one radius in all (the model's muscles do not make way)
                over = np.minimum(over, np.maximum(db - b_clear, 0.0))
                step = -over[:, None] * nrm
                acc = beneath[free] + step
                size = np.linalg.norm(acc, axis=1, keepdims=True)
                acc = acc * np.minimum(1.0, max(r, 3.0) / np.maximum(size, 1e-9))
                move += acc - beneath[free]
                beneath[free] = acc
            push = np.zeros_like(pts)
            push[free] = move
            # spread the pushes along the curve (a smooth bend, not a kink), keeping their size
            wide = _gaussian(push, 2.5)
            mag = _running_max(np.linalg.norm(push, axis=1), 2)
            wmag = np.linalg.norm(wide, axis=1)
            push = wide * np.clip(mag / np.maximum(wmag, 1e-9), 1.0, 3.0)[:, None]
            push[~free] = 0.0
            disp += push * taper[:, None]
        pts[~fixed] += disp[~fixed]
        if it < _ITERATIONS - 2:
            sm = _smooth(pts, 2)
            keep = fixed.copy()
            keep[[0, -1]] = True
            pts[~keep] = sm[~keep]
    # a last smoothing of the free stretches (the pushes leave small ripples), then bones win
    keep = fixed | in_plane
    keep[[0, -1]] = True
    if free.any():
        sm = _gaussian(pts, 2.0)
        pts[~keep] = sm[~keep]
        db, gb = ctx.bones(pts[free])
        pts[free] += np.maximum(0.5 * r + 0.5 - db, 0.0)[:, None] * gb
    solved_pts = [pts[i] for i in (idx[1:] if spec.parent is not None else idx)]
    exit_pt = next((pts[idx[k]].copy() for k, e in enumerate(exits) if e), None)
    return Branch(spec.name, resample(pts, _STEP), r, spec.parent, exit_pt, spec.risk), solved_pts


# ============================================================================ grid sampling
def _upsample(grid: np.ndarray, k: int) -> np.ndarray:
    """Bilinear upsampling of an ``(nf, ns, 3)`` grid by ``k`` in both directions."""
    nf, ns = grid.shape[:2]
    qf = np.linspace(0, nf - 1, (nf - 1) * k + 1)
    qs = np.linspace(0, ns - 1, (ns - 1) * k + 1)
    i0 = np.clip(np.floor(qf).astype(int), 0, nf - 2)
    j0 = np.clip(np.floor(qs).astype(int), 0, ns - 2)
    fi = (qf - i0)[:, None, None]
    fj = (qs - j0)[None, :, None]
    g00 = grid[i0][:, j0]
    g01 = grid[i0][:, j0 + 1]
    g10 = grid[i0 + 1][:, j0]
    g11 = grid[i0 + 1][:, j0 + 1]
    return (1 - fi) * ((1 - fj) * g00 + fj * g01) + fi * ((1 - fj) * g10 + fj * g11)


def _bilinear_row(grid: np.ndarray, q: float) -> np.ndarray:
    """The ``(ns, 3)`` polyline of fibre fraction ``q`` (0 first fibre .. 1 last)."""
    nf = grid.shape[0]
    x = float(np.clip(q, 0.0, 1.0)) * (nf - 1)
    i = min(int(np.floor(x)), nf - 2)
    f = x - i
    return (1 - f) * grid[i] + f * grid[i + 1]


def _bilinear(grid: np.ndarray, q: float, s: float) -> tuple[np.ndarray, np.ndarray]:
    """Point at ``(q, s)`` of an ``(nf, ns, 3)`` grid and the tangent along the fibre there."""
    row = _bilinear_row(grid, q)
    ns = len(row)
    y = float(np.clip(s, 0.0, 1.0)) * (ns - 1)
    j = min(int(np.floor(y)), ns - 2)
    g = y - j
    return (1 - g) * row[j] + g * row[j + 1], row[j + 1] - row[j]


# ============================================================================ entry point
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
