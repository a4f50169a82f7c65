"""The bursae of the greater trochanter as small closed fluid sacs between tendon and bone.

Each bursa of ``data/bursae.toml`` is an ellipsoid laid on the femur: its outline is an
ellipse in the tangent plane of the regions it lies on (long axis along the regions' long
axis), every column of the sac is cast onto the bone (or onto a tendon it rests on), and its
height is the ellipsoid's, cut down where a tendon above comes closer, so the sac is squeezed
flat between the tendon and the bone and never crosses either.  Sacs are built once at
neutral pose in the femur frame and move with the femur.

Examples
--------
>>> specs = bursa_specs()
>>> list(specs)
['subgluteus_maximus_bursa', 'subgluteus_medius_bursa', 'subgluteus_minimus_bursa']
>>> specs["subgluteus_medius_bursa"].under
('gluteus_medius',)
>>> sphere = unit_sphere(8, 12)
>>> sphere.n_faces, round(float(sphere.volume), 1)
(192, 3.9)
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, PrivateAttr, RootModel, ValidationInfo, model_validator

from glute3d.anatomy.knowledge import knowledge_base
from glute3d.anatomy.landmark_defs import region_names
from glute3d.errors import DataFileError, did_you_mean
from glute3d.geometry.distance import MeshDistance
from glute3d.geometry.mesh import Mesh, merge
from glute3d.io.datafiles import read_data
from glute3d.io.validation import Problem, StrictTable
from glute3d.sides import SIDES, mirror_for

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.anatomy.muscles import Muscle
    from glute3d.anatomy.skeleton import Skeleton

__all__ = [
    "BURSA_NAMES",
    "BursaDataError",
    "BursaSpec",
    "build_bursae",
    "bursa_mesh",
    "bursa_specs",
    "march",
    "unit_sphere",
]

Positive = Annotated[float, Field(gt=0.0)]


class BursaDataError(DataFileError):
    """``bursae.toml`` is wrong: one line naming the file, the bursa's field, the line and the fix."""

    placeholder = "bursae.toml"


class BursaSpec(StrictTable):
    """One bursa (a table of ``bursae.toml``; see the comments there)."""

    on: Annotated[tuple[str, ...], Field(min_length=1)]
    shift: tuple[float, float, float] = (0.0, 0.0, 0.0)
    size: tuple[Positive, Positive, Positive]
    over: tuple[str, ...] = ()
    under: tuple[str, ...] = ()
    clearance: Annotated[float, Field(ge=0.0, le=5.0)] = 0.5
    _name: str = PrivateAttr("")

    @property
    def name(self) -> str:
        """The sideless bursa name (the table's key)."""
        return self._name


class BursaeFile(RootModel[dict[str, BursaSpec]]):
    """The whole file: sideless bursa name to spec, checked against the knowledge base,
    ``landmarks.toml`` and ``muscles.toml`` when those are given as context."""

    @model_validator(mode="after")
    def _names(self, info: ValidationInfo) -> BursaeFile:
        ctx = info.context or {}
        for name, spec in self.root.items():
            spec._name = name
            kb = ctx.get("structures")
            if kb is not None:
                bursae = [n for n, e in kb.items() if e["kind"] == "bursa"]
                if name not in bursae:
                    hint = f"unknown bursa {name!r}{did_you_mean(name, bursae)} (define it in structures.toml)"
                    raise Problem(hint, name)
            _known(spec.on, ctx.get("regions"), name, "on", "region", "landmarks.toml")
            _known(spec.over, ctx.get("muscles"), name, "over", "muscle", "muscles.toml")
            _known(spec.under, ctx.get("muscles"), name, "under", "muscle", "muscles.toml")
        return self


def _known(values: tuple[str, ...], known: list[str] | None, name: str, field: str, what: str, where: str) -> None:
    if known is None:
        return
    for i, v in enumerate(values):
        if v not in known:
            raise Problem(
                f"unknown {what} {v!r}{did_you_mean(v, known)} (define it in {where})", name, field, i, value=v
            )


def bursa_specs(path: str | Path | None = None) -> dict[str, BursaSpec]:
    """The bursa specifications of ``path`` (default: the packaged ``data/bursae.toml``), in file order.

    Raises
    ------
    BursaDataError
        One line naming the file, the bursa's field, its line and the fix.
    """
    return dict(_specs(path) if path is not None else _packaged())


@cache
def _packaged() -> dict[str, BursaSpec]:
    return _specs(None)


def _specs(path: str | Path | None) -> dict[str, BursaSpec]:
    from glute3d.anatomy.muscles.specs import MUSCLE_NAMES

    context = {"structures": knowledge_base(), "regions": list(region_names()), "muscles": list(MUSCLE_NAMES)}
    return read_data(BursaeFile, "bursae.toml", path, BursaDataError, context=context).root


#: The bursae of ``data/bursae.toml``, in file order.
BURSA_NAMES: tuple[str, ...] = tuple(bursa_specs())


# =============================================================================== geometry
def unit_sphere(n_lat: int = 14, n_lon: int = 24) -> Mesh:
    """A closed UV sphere of radius 1 (outward faces): ``n_lat`` rings between the poles."""
    theta = np.linspace(0.0, np.pi, n_lat + 2)[1:-1]
    phi = np.linspace(0.0, 2.0 * np.pi, n_lon, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    ring = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], -1).reshape(-1, 3)
    verts = np.vstack([[0.0, 0.0, 1.0], ring, [0.0, 0.0, -1.0]])
    idx = 1 + np.arange(n_lat * n_lon).reshape(n_lat, n_lon)
    nxt = np.roll(idx, -1, axis=1)
    top = np.column_stack([np.zeros(n_lon, int), idx[0], nxt[0]])
    bottom = np.column_stack([np.full(n_lon, len(verts) - 1), nxt[-1], idx[-1]])
    a, b, c, d = idx[:-1], nxt[:-1], nxt[1:], idx[1:]
    quads = np.concatenate([np.stack([a, d, c], -1).reshape(-1, 3), np.stack([a, c, b], -1).reshape(-1, 3)])
    faces = np.vstack([top, quads, bottom])
    return Mesh(verts, faces)


def _frame(skeleton: Skeleton, spec: BursaSpec, side: str) -> tuple[np.ndarray, np.ndarray]:
    """Centre of the sac on the regions and its axes (rows: long, wide, away from the bone)."""
    patch = merge([skeleton.region(f"{r}_{side}").mesh for r in spec.on])
    n = (patch.face_normals * patch.face_areas[:, None]).sum(0)
    n /= np.linalg.norm(n)
    pts = patch.vertices
    centre = pts.mean(0)
    axis = skeleton.shaft_frame(side).axis
    lat = np.array([0.0, 0.0, 1.0]) * mirror_for(side)
    lat -= (lat @ axis) * axis
    lat /= np.linalg.norm(lat)
    anterior = np.array([1.0, 0.0, 0.0]) - axis[0] * axis - lat[0] * lat
    anterior /= np.linalg.norm(anterior)
    centre = centre + spec.shift[0] * anterior + spec.shift[1] * axis + spec.shift[2] * lat
    flat = (pts - pts.mean(0)) - np.outer((pts - pts.mean(0)) @ n, n)
    long = np.linalg.svd(flat, full_matrices=False)[2][0]
    long -= (long @ n) * n
    long /= np.linalg.norm(long)
    return centre, np.vstack([long, np.cross(n, long), n])


def march(dist: MeshDistance, start: np.ndarray, step: np.ndarray, stop: float, reach: float) -> np.ndarray:
    """Sphere tracing: how far each ray ``start + t * step`` goes before it comes ``stop`` mm from
    the surface of ``dist``'s mesh, at most ``reach`` (rays that meet nothing)."""
    t = np.zeros(len(start))
    active = np.arange(len(start))
    for _ in range(60):
        if not len(active):
            break
        d, _ = dist(start[active] + t[active, None] * step[active])
        move = d - stop
        done = move < 0.05
        t[active] = np.minimum(t[active] + np.maximum(move, 0.0), reach)
        active = active[~done & (t[active] < reach)]
    return t


# long: one pass over the sac's columns (cast down, cut, lift), clearer kept together
def bursa_mesh(
    skeleton: Skeleton,
    spec: BursaSpec,
    side: str,
    beneath: Mesh,
    above: Mesh | None,
    *,
    rings: int = 14,
    segments: int = 24,
) -> Mesh:
    """The closed sac of one bursa on ``side``.

    Parameters
    ----------
    skeleton : Skeleton
        Bones and landmarks (neutral pose).
    spec : BursaSpec
    side : {"r", "l"}
    beneath : Mesh
        What the sac rests on (this side's femur, with the tendons it lies on).
    above : Mesh or None
        The muscles it may not cross.
    """
    centre, (e_long, e_wide, n) = _frame(skeleton, spec, side)
    half = np.asarray(spec.size, float) / 2.0
    sphere = unit_sphere(rings, segments)
    x, y, z = sphere.vertices.T
    # every column (x, y): cast down along -n onto what lies beneath
    floor = MeshDistance(beneath)
    roof = MeshDistance(above) if above is not None else None
    film = 0.35 * np.sqrt(np.clip(1.0 - x**2 - y**2, 0.0, 1.0)) + 0.05  # the thinnest the sac gets
    # where a thick muscle above lies on the bone with no room for that film (gluteus maximus
    # settled onto the trochanter), the sac ends: each column is drawn in towards the centre,
    # to the farthest of a few steps along its radius that leaves room
    radial = np.outer(x * half[0], e_long) + np.outer(y * half[1], e_wide)
    base, ceiling = _columns(floor, roof, centre, radial, n, spec)
    for scale in (0.85, 0.7, 0.55, 0.4, 0.25):
        short = ceiling < film
        if not short.any():
            break
        radial = np.outer(scale * x[short] * half[0], e_long) + np.outer(scale * y[short] * half[1], e_wide)
        base[short], ceiling[short] = _columns(floor, roof, centre, radial, n, spec)
    # the column's height: the ellipsoid's, cut where a tendon above comes closer
    column = np.sqrt(np.clip(1.0 - (x**2 + y**2), 0.0, 1.0)) * 2.0 * half[2]
    height = np.maximum(np.minimum(column, ceiling), film)
    lift = height * (z + 1.0) / 2.0
    verts = base + n * lift[:, None]
    verts = _relax(verts, sphere.faces, fixed=np.zeros(len(verts), bool))
    for _ in range(3):  # smoothing may have lifted a point into a tendon or sunk one into bone
        d, g = floor(verts)
        verts += g * np.maximum(0.2 - d, 0.0)[:, None]
        if roof is not None:
            d, g = roof(verts)
            verts += g * np.maximum(spec.clearance - d, 0.0)[:, None]
    d, g = floor(verts)  # where the tendon presses the sac onto the bone, the bone has the last word
    verts += g * np.maximum(0.1 - d, 0.0)[:, None]
    return Mesh(verts, sphere.faces)


def _columns(
    floor: MeshDistance,
    roof: MeshDistance | None,
    centre: np.ndarray,
    radial: np.ndarray,
    n: np.ndarray,
    spec: BursaSpec,
) -> tuple[np.ndarray, np.ndarray]:
    """Each column's foot cast along ``-n`` onto what lies beneath (``centre + radial`` seen from
    above), and the room ``(k,)`` above it up to the muscles above (``inf`` with none; 0 inside one)."""
    high = 40.0
    outline = centre + radial
    drop = march(floor, outline + n * high, np.broadcast_to(-n, outline.shape), spec.clearance, 2.0 * high)
    base = outline + n * (high - drop)[:, None]
    missed = drop >= 2.0 * high - 1e-6  # past the edge of the bone: snap onto it instead
    if missed.any():
        base[missed] = _snap(floor, outline[missed], spec.clearance)
    if roof is None:
        return base, np.full(len(base), np.inf)
    d0, _ = roof(base)
    return base, np.where(d0 > 0.0, march(roof, base, np.broadcast_to(n, base.shape), spec.clearance, high), 0.0)


def _snap(dist: MeshDistance, p: np.ndarray, lift: float) -> np.ndarray:
    """Points moved onto the surface of ``dist``'s mesh, ``lift`` mm above it."""
    for _ in range(3):
        d, g = dist(p)
        p = p - (d - lift)[:, None] * g
    return p


def _relax(v: np.ndarray, faces: np.ndarray, fixed: np.ndarray, times: int = 3) -> np.ndarray:
    """A few passes of Laplacian smoothing (the cast columns are a little uneven)."""
    n = len(v)
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    deg = np.bincount(edges[:, 0], minlength=n).astype(float)
    for _ in range(times):
        acc = np.zeros_like(v)
        np.add.at(acc, edges[:, 0], v[edges[:, 1]])
        avg = acc / np.maximum(deg, 1.0)[:, None]
        v = np.where(fixed[:, None], v, 0.5 * v + 0.5 * avg)
    return v


def build_bursae(skeleton: Skeleton, muscles: Mapping[str, Muscle]) -> dict[str, Mesh]:
    """Every bursa of both sides at neutral pose, by sided name (right side first).

    Parameters
    ----------
    skeleton : Skeleton
        Bones and landmarks at neutral pose.
    muscles : mapping of str to Muscle
        The neutral muscles by sided name (the tendons the sacs lie on or under).
    """
    out: dict[str, Mesh] = {}
    for side in SIDES:
        femur = skeleton.bones[f"femur_{side}"]
        for name, spec in bursa_specs().items():
            beneath = merge([femur, *(muscles[f"{m}_{side}"].mesh for m in spec.over)])
            above = merge([muscles[f"{m}_{side}"].mesh for m in spec.under]) if spec.under else None
            out[f"{name}_{side}"] = bursa_mesh(skeleton, spec, side, beneath, above)
    return out
