"""Tests of the generated muscles: attachments, layers, wrapping, closed bodies, pose.

Numbers before pictures: every relation the seeds state about the gluteal layers is measured
(distances to bone, ray casts between muscles, attachment distances).
"""

from __future__ import annotations

import numpy as np
import pytest
import vtk
from scipy.spatial import cKDTree
from vtk.util.numpy_support import numpy_to_vtk, vtk_to_numpy

from broken_data import check_broken_data
from glute3d.anatomy.muscles import MUSCLE_NAMES, Muscle, MuscleDataError, MuscleRig, muscle_specs
from glute3d.anatomy.pose import Pose, hip_transform
from glute3d.geometry.distance import DistanceGrid, distance_grid
from glute3d.geometry.mesh import Mesh, merge

SIDES = ("r", "l")
POSES = [Pose(), Pose(flexion=60), Pose(flexion=-20, adduction=-20, rotation=30), Pose(flexion=90, rotation=-20)]


@pytest.fixture(scope="module")
def model(bone_model):
    return bone_model


@pytest.fixture(scope="module")
def muscles(model):
    return model.muscles


@pytest.fixture(scope="module", params=POSES[1:], ids=["flexed60", "ext-abd-ir", "flexed90-er"])
def posed_model(request, model):
    return model.posed(request.param)


# =============================================================================== helpers
def signed_distance(mesh: Mesh, points: np.ndarray) -> np.ndarray:
    """Exact signed distance to a closed mesh (VTK), negative inside."""
    f = vtk.vtkImplicitPolyDataDistance()
    f.SetInput(mesh.to_pyvista())
    out = vtk.vtkDoubleArray()
    f.FunctionValue(numpy_to_vtk(np.ascontiguousarray(points, float), deep=1), out)
    return vtk_to_numpy(out)


def winding_number(mesh: Mesh, points: np.ndarray) -> np.ndarray:
    """Generalised winding number (1 inside, 0 outside; robust where a body touches itself)."""
    tri = mesh.triangles.astype(np.float32)
    out = np.zeros(len(points))
    for a in range(0, len(points), 64):
        p = points[a : a + 64, None, None, :].astype(np.float32)
        r = tri[None] - p
        n = np.linalg.norm(r, axis=3)
        ra, rb, rc = r[:, :, 0], r[:, :, 1], r[:, :, 2]
        det = np.einsum("ijk,ijk->ij", ra, np.cross(rb, rc))
        den = (
            n[..., 0] * n[..., 1] * n[..., 2]
            + np.einsum("ijk,ijk->ij", ra, rb) * n[..., 2]
            + np.einsum("ijk,ijk->ij", rb, rc) * n[..., 0]
            + np.einsum("ijk,ijk->ij", rc, ra) * n[..., 1]
        )
        out[a : a + 64] = np.arctan2(det, den).sum(axis=1) / (2 * np.pi)
    return out


def inside(mesh: Mesh, points: np.ndarray) -> np.ndarray:
    """Which points lie inside a closed mesh (winding number; only points in its bounding box are tested)."""
    lo, hi = mesh.vertices.min(0), mesh.vertices.max(0)
    box = np.flatnonzero(np.all((points > lo) & (points < hi), axis=1))
    out = np.zeros(len(points), bool)
    if len(box):
        out[box] = winding_number(mesh, points[box]) > 0.5
    return out


def penetration(outer: Mesh, points: np.ndarray) -> np.ndarray:
    """Depth (mm) of the points of ``points`` that lie inside ``outer``."""
    ins = inside(outer, points)
    if not ins.any():
        return np.zeros(0)
    _, closest = outer.to_pyvista().find_closest_cell(points[ins], return_closest_point=True)
    return np.linalg.norm(closest - points[ins], axis=1)


def ray_hits(origins: np.ndarray, directions: np.ndarray, mesh: Mesh) -> np.ndarray:
    """Whether each ray (origin + t * direction, t > 0) hits the mesh (Moller-Trumbore)."""
    tri = mesh.triangles
    v0, e1, e2 = tri[:, 0], tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    hit = np.zeros(len(origins), bool)
    for a in range(0, len(origins), 128):
        o, d = origins[a : a + 128, None, :], directions[a : a + 128, None, :]
        p = np.cross(d, e2[None])
        det = np.einsum("ijk,jk->ij", p, e1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / np.where(np.abs(det) < 1e-9, np.nan, det)
            t0 = o - v0[None]
            u = np.einsum("ijk,ijk->ij", t0, p) * inv
            q = np.cross(t0, e1[None])
            v = np.einsum("ijk,ijk->ij", d, q) * inv
            t = np.einsum("ijk,jk->ij", q, e2) * inv
            ok = (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-3)
        hit[a : a + 128] = ok.any(axis=1)
    return hit


def covered(lower: Muscle, upper: Muscle, fibres=slice(None), s_max: float = 1.01) -> float:
    """Fraction of the superficial face of ``lower`` whose outward ray hits ``upper``."""
    s = np.linspace(0.0, 1.0, lower.fibres.shape[1]) < s_max
    o = lower.superficial[fibres][:, s].reshape(-1, 3)
    d = lower.normals[fibres][:, s].reshape(-1, 3)
    return float(ray_hits(o + 0.5 * d, d, upper.mesh).mean())


def side_bones(model, side: str) -> Mesh:
    return merge([model.bones[b] for b in (f"hip_bone_{side}", "sacrum", "coccyx", f"femur_{side}")])


def closed_and_outward(mesh: Mesh) -> bool:
    f = mesh.faces
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    return bool(np.all(counts == 2) and len(np.unique(directed, axis=0)) == len(directed) and mesh.volume > 0)


# =============================================================================== structure
def test_every_muscle_of_both_sides_is_generated(muscles):
    assert set(muscles) == {f"{m}_{s}" for m in MUSCLE_NAMES for s in SIDES}
    for name, m in muscles.items():
        n_f, n_s, _ = m.fibres.shape
        assert n_f >= 10 and n_s >= 20, name
        assert m.deep.shape == m.superficial.shape == m.normals.shape == m.fibres.shape
        assert m.thickness.shape == (n_f, n_s)
        assert np.allclose(np.linalg.norm(m.normals, axis=2), 1.0)
        assert m.weights.sum() == pytest.approx(1.0)
        assert np.allclose(m.origin_points, m.fibres[:, 0]) and np.allclose(m.insertion_points, m.fibres[:, -1])


def test_bodies_are_closed_outward_meshes(muscles):
    for name, m in muscles.items():
        assert closed_and_outward(m.mesh), name
        for part_name, part in m.part_meshes().items():
            assert closed_and_outward(part), part_name


def test_muscle_sizes_are_plausible(muscles):
    """Minimus the smallest, maximus the largest of the three glutei; thick bellies, thin tendons."""
    vol = {k: m.mesh.volume / 1000.0 for k, m in muscles.items()}  # cm^3
    for s in SIDES:
        assert vol[f"gluteus_minimus_{s}"] < vol[f"gluteus_medius_{s}"] < vol[f"gluteus_maximus_{s}"]
        assert 20 < vol[f"gluteus_minimus_{s}"] < 150
        assert 100 < vol[f"gluteus_maximus_{s}"] < 900
    for name, m in muscles.items():
        t = m.thickness.max(axis=0)
        belly = t[len(t) // 3 : 2 * len(t) // 3].max()
        assert belly > 2.5 * t[-1], name  # a thin tendon at the insertion
        assert belly > 1.5 * t[0], name


def test_fibres_are_ordered_across_the_fan(muscles):
    for s in SIDES:
        for name in ("gluteus_minimus", "gluteus_medius", "tensor_fasciae_latae"):
            o = muscles[f"{name}_{s}"].origin_points
            assert o[0, 0] > o[-1, 0], name  # anterior to posterior
        for name in ("gluteus_maximus", "piriformis"):
            o = muscles[f"{name}_{s}"].origin_points
            assert o[0, 1] > o[-1, 1], name  # superior to inferior


def test_parts_tile_the_fibres(muscles):
    expected = {
        "gluteus_minimus": {"anterior", "middle", "posterior"},
        "gluteus_medius": {"anterior", "middle", "posterior"},
        "gluteus_maximus": {"superior", "inferior"},
        "piriformis": set(),
        "tensor_fasciae_latae": set(),
        **dict.fromkeys(
            ("obturator_externus", "obturator_internus", "gemellus_superior", "gemellus_inferior", "quadratus_femoris"),
            set(),
        ),
    }
    for name, m in muscles.items():
        assert set(m.parts) == expected[m.base], name
        if m.parts:
            idx = np.sort(np.concatenate(list(m.parts.values())))
            assert np.array_equal(idx, np.arange(len(m.fibres))), name
    assert muscles["gluteus_minimus_r"].part_name("anterior") == "gluteus_minimus_anterior_r"
    with pytest.raises(KeyError, match="parts"):
        muscles["piriformis_l"].part_mesh("anterior")


def test_generation_is_deterministic(model):
    a = MuscleRig(model.skeleton).build(names=["gluteus_medius"])
    b = model.muscles
    assert set(a) == {
        "gluteus_minimus_r",
        "gluteus_minimus_l",
        "piriformis_r",
        "piriformis_l",
        "gluteus_medius_r",
        "gluteus_medius_l",
    }
    for k in a:
        assert np.array_equal(a[k].mesh.vertices, b[k].mesh.vertices), k


# =============================================================================== attachments
def _distance_to_region(model, region: str, points: np.ndarray) -> np.ndarray:
    patch = model.landmark(region)
    _, closest = patch.mesh.to_pyvista().find_closest_cell(points, return_closest_point=True)
    return np.linalg.norm(np.atleast_2d(closest) - points, axis=1)


@pytest.mark.parametrize("side", SIDES)
def test_insertions_on_the_facets_the_seeds_name(model, muscles, side):
    """Minimus: anterior facet; medius: lateral and superoposterior facets; piriformis: the tip."""
    m = muscles
    assert (
        _distance_to_region(model, f"gt_anterior_facet_{side}", m[f"gluteus_minimus_{side}"].insertion_points).max()
        < 2.0
    )
    med = m[f"gluteus_medius_{side}"].insertion_points
    d = np.minimum(
        _distance_to_region(model, f"gt_lateral_facet_{side}", med),
        _distance_to_region(model, f"gt_superoposterior_facet_{side}", med),
    )
    assert d.max() < 2.0
    # both facets receive fibres: the posterior fibres the superoposterior facet, the anterior the lateral
    assert _distance_to_region(model, f"gt_superoposterior_facet_{side}", med[-3:]).max() < 2.0
    assert _distance_to_region(model, f"gt_lateral_facet_{side}", med[:3]).max() < 2.0
    assert _distance_to_region(model, f"gt_superior_tip_{side}", m[f"piriformis_{side}"].insertion_points).max() < 4.0
    mx = m[f"gluteus_maximus_{side}"]
    deep = mx.parts["inferior"]
    assert _distance_to_region(model, f"gluteal_tuberosity_{side}", mx.insertion_points[deep]).max() < 2.0


@pytest.mark.parametrize("side", SIDES)
def test_iliotibial_tract_insertions_lie_lateral_to_the_femur(model, muscles, side):
    femur = model.bones[f"femur_{side}"]
    tip = model.landmark(f"greater_trochanter_tip_{side}")
    lateral = 1.0 if side == "r" else -1.0
    for name, part, below in (("gluteus_maximus", "superior", (5, 70)), ("tensor_fasciae_latae", None, (80, 150))):
        m = muscles[f"{name}_{side}"]
        pts = m.insertion_points[m.parts[part]] if part else m.insertion_points
        drop = tip[1] - pts[:, 1]
        assert np.all((drop > below[0]) & (drop < below[1])), (name, drop)
        d = signed_distance(femur, pts)
        assert np.all((d > 3.0) & (d < 30.0)), (name, d)
        # lateral: beyond the femur's surface toward the side
        _, closest = femur.to_pyvista().find_closest_cell(pts, return_closest_point=True)
        assert np.all((pts - closest)[:, 2] * lateral > 0), name
    tfl = muscles[f"tensor_fasciae_latae_{side}"].insertion_points.mean(0)
    mx = muscles[f"gluteus_maximus_{side}"].insertion_points[muscles[f"gluteus_maximus_{side}"].parts["superior"]]
    assert tfl[0] > mx[:, 0].mean()  # TFL on the anterior, maximus on the posterior border of the tract


@pytest.mark.parametrize("side", SIDES)
def test_origins_lie_on_the_origin_regions(model, muscles, side):
    for name, region, tol in (
        ("gluteus_minimus", "gluteus_minimus_origin", 2.0),
        ("tensor_fasciae_latae", "tfl_origin", 2.0),
        ("piriformis", "piriformis_origin", 3.0),
    ):
        m = muscles[f"{name}_{side}"]
        # a centred body (a spindle) starts with its deep face on the region, its fibres run inside it
        starts = m.deep[:, 0] if name == "tensor_fasciae_latae" else m.origin_points
        d = _distance_to_region(model, f"{region}_{side}", starts)
        assert np.median(d) < tol and d.max() < 3 * tol, (name, d.max())
    # gluteus medius: its region, and forward of it the front of the gluteal surface below the crest
    # (over the origin of minimus, which medius covers entirely); most fibres start on its own region
    med = muscles[f"gluteus_medius_{side}"].origin_points
    own = _distance_to_region(model, f"gluteus_medius_origin_{side}", med)
    front = _distance_to_region(model, f"gluteus_minimus_origin_{side}", med)
    assert np.all(np.minimum(own, front) < 6.0) and np.mean(own < 3.0) > 0.7, (own.round(1), front.round(1))
    d = _distance_to_region(model, f"gluteus_maximus_origin_{side}", muscles[f"gluteus_maximus_{side}"].origin_points)
    assert np.mean(d < 3.0) > 0.8  # a few starts bridge the step between the hip-bone and sacral parts


def test_the_fan_covers_its_origin_region(model, muscles):
    """The deep face lies on the whole origin region (fibres start on its far edge)."""
    for name, region in (("gluteus_minimus", "gluteus_minimus_origin"), ("gluteus_medius", "gluteus_medius_origin")):
        m = muscles[f"{name}_r"]
        pts = model.landmark(f"{region}_r").points
        faces = [m.deep.reshape(-1, 3)]
        if name == "gluteus_medius":  # along the anterior gluteal line the rim of minimus lies between
            faces.append(muscles["gluteus_minimus_r"].deep.reshape(-1, 3))
        d, _ = cKDTree(np.vstack(faces)).query(pts)
        assert np.mean(d < 8.0) > 0.9, name


# =============================================================================== wrapping and layers
def _check_out_of_bone(model, muscles):
    for side in SIDES:
        bones = side_bones(model, side)
        for base in MUSCLE_NAMES:
            m = muscles[f"{base}_{side}"]
            d = signed_distance(bones, m.fibres.reshape(-1, 3))
            assert d.min() > 0.0, (m.name, d.min())


def test_no_fibre_point_inside_bone(model, muscles):
    _check_out_of_bone(model, muscles)


def test_no_fibre_point_inside_bone_when_posed(posed_model):
    _check_out_of_bone(posed_model, posed_model.muscles)


#: Muscles that touch: a deeper and a more superficial neighbour.
NEIGHBOURS = [
    ("gluteus_minimus", "gluteus_medius"),
    ("gluteus_minimus", "piriformis"),
    ("piriformis", "gluteus_medius"),
    ("gluteus_medius", "gluteus_maximus"),
    ("piriformis", "gluteus_maximus"),
    ("gluteus_minimus", "tensor_fasciae_latae"),
    ("gluteus_medius", "tensor_fasciae_latae"),
    ("gluteus_minimus", "gluteus_maximus"),
]


def _check_no_interpenetration(muscles, sides=SIDES, tol=1.0):
    """No vertex of one muscle lies more than ``tol`` mm inside another (both directions)."""
    for side in sides:
        for lower, upper in NEIGHBOURS:
            a, b = muscles[f"{lower}_{side}"], muscles[f"{upper}_{side}"]
            for x, y in ((a, b), (b, a)):
                depth = penetration(y.mesh, x.mesh.vertices)
                assert np.sum(depth > tol) == 0, (x.name, y.name, np.sort(depth)[-5:])


def test_no_muscle_passes_through_another(muscles):
    _check_no_interpenetration(muscles)


def test_no_muscle_passes_through_another_when_posed(posed_model):
    _check_no_interpenetration(posed_model.muscles, tol=3.5)


@pytest.mark.parametrize("side", SIDES)
def test_minimus_lies_deep_to_medius(muscles, side):
    """Seeds 000-004: the minimus is the deep layer, covered by the medius."""
    mn, md = muscles[f"gluteus_minimus_{side}"], muscles[f"gluteus_medius_{side}"]
    tfl = muscles[f"tensor_fasciae_latae_{side}"]
    assert covered(md, mn) == 0.0  # the minimus never lies over the medius
    assert covered(mn, md, mn.parts["posterior"], s_max=0.8) > 0.95
    assert covered(mn, md, s_max=0.8) > 0.6
    # the front of the minimus, in front of the anterior gluteal line, lies under the tensor fasciae latae
    belly = np.linspace(0.0, 1.0, mn.fibres.shape[1]) < 0.8
    o = mn.superficial[:, belly].reshape(-1, 3)
    d = mn.normals[:, belly].reshape(-1, 3)
    either = ray_hits(o + 0.5 * d, d, md.mesh) | ray_hits(o + 0.5 * d, d, tfl.mesh)
    assert either.mean() > 0.85


@pytest.mark.parametrize("side", SIDES)
def test_maximus_covers_only_the_posterior_third_of_medius(muscles, side):
    """Seed 002: only the posterior third of the medius is covered by the maximus."""
    md, mx = muscles[f"gluteus_medius_{side}"], muscles[f"gluteus_maximus_{side}"]
    assert covered(mx, md) < 0.01  # maximus is superficial (a ray may graze the medius at a border)
    assert covered(md, mx, md.parts["posterior"]) > 0.6
    assert covered(md, mx, md.parts["anterior"]) < 0.1
    assert covered(md, mx, md.parts["middle"]) < covered(md, mx, md.parts["posterior"])


@pytest.mark.parametrize("side", SIDES)
def test_maximus_covers_piriformis(muscles, side):
    pi, mx = muscles[f"piriformis_{side}"], muscles[f"gluteus_maximus_{side}"]
    outside = np.linspace(0, 1, pi.fibres.shape[1]) > 0.45  # past the greater sciatic foramen
    o = pi.superficial[:, outside].reshape(-1, 3)
    d = pi.normals[:, outside].reshape(-1, 3)
    assert ray_hits(o + 0.5 * d, d, mx.mesh).mean() > 0.6
    assert covered(mx, pi) == 0.0


@pytest.mark.parametrize("side", SIDES)
def test_piriformis_runs_just_below_the_small_gluteals(model, muscles, side):
    """Seeds 000, 002: piriformis passes the greater sciatic foramen just below minimus and medius."""
    pi = muscles[f"piriformis_{side}"]
    top = np.maximum(pi.deep[0, :, 1], pi.superficial[0, :, 1])  # the upper border
    n_s = len(top)
    for name in ("gluteus_minimus", "gluteus_medius"):
        border = muscles[f"{name}_{side}"].fibres[-1]  # posterior border
        dist, i = cKDTree(border[:, [0, 2]]).query(pi.fibres[0][:, [0, 2]])
        s = np.arange(n_s) / (n_s - 1)
        under = (dist < 12.0) & (s > 0.3) & (s < 0.75)  # in and just outside the foramen
        assert under.sum() >= 3, name
        gap = border[i[under], 1] - top[under]
        assert np.all(gap > -1.0) and np.median(gap) < 25.0, (name, gap)
    # through the foramen: above the ischial spine, below the posterior inferior iliac spine
    mid = pi.fibres[:, n_s // 2]
    assert np.all(mid[:, 1] > model.landmark(f"ischial_spine_{side}")[1])
    assert np.all(mid[:, 1] < model.landmark(f"piis_{side}")[1])


# =============================================================================== pose
def test_posed_model_regenerates_muscles_that_follow_the_femur(model, muscles):
    pose = Pose(flexion={"r": 70}, rotation={"r": 20})
    p = model.posed(pose)
    t = hip_transform(pose, "r", model.hip_centers["r"])
    ins = muscles["gluteus_minimus_r"].insertion_points @ t[:3, :3].T + t[:3, 3]
    assert np.allclose(p.muscles["gluteus_minimus_r"].insertion_points, ins, atol=0.05)
    assert np.allclose(p.muscles["gluteus_minimus_r"].origin_points, muscles["gluteus_minimus_r"].origin_points)
    # the left hip stayed neutral: its muscles are unchanged
    for base in MUSCLE_NAMES:
        assert np.allclose(p.muscles[f"{base}_l"].mesh.vertices, muscles[f"{base}_l"].mesh.vertices)
    # one rig per model: the posed model reuses the neutral muscles of its neutral side, not a rebuilt copy
    assert all(p.muscles[f"{base}_l"] is muscles[f"{base}_l"] for base in MUSCLE_NAMES)


def test_left_muscles_mirror_the_right_ones(muscles):
    mirror = np.array([1.0, 1.0, -1.0])
    for base in MUSCLE_NAMES:
        r, left = muscles[f"{base}_r"], muscles[f"{base}_l"]
        d, _ = cKDTree(r.mesh.vertices * mirror).query(left.mesh.vertices)
        # generated independently from each side's landmarks: equal up to tessellation noise
        assert np.median(d) < 1.5 and np.percentile(d, 95) < 4.0 and np.percentile(d, 99) < 8.0, base


def test_meshes_include_the_muscles(model, muscles):
    meshes = model.meshes
    for name in muscles:
        assert meshes[name] is muscles[name].mesh
    assert "femur_r" in meshes


# =============================================================================== distance grid and data
def test_distance_grid_matches_the_exact_distance(model):
    femur = model.bones["femur_r"]
    grid = distance_grid(femur, spacing=2.0, lower=femur.vertices.min(0) + [0, 300, 0])
    assert isinstance(grid, DistanceGrid)
    rng = np.random.default_rng(0)
    v = femur.vertices[femur.vertices[:, 1] > femur.vertices[:, 1].min() + 320]
    pts = v[rng.integers(0, len(v), 400)] + rng.normal(0.0, 4.0, (400, 3))
    d, g = grid(pts)
    exact = signed_distance(femur, pts)
    assert np.percentile(np.abs(d - exact), 95) < 0.5
    assert np.allclose(np.linalg.norm(g, axis=1), 1.0)
    far, g_far = grid(np.array([[1e4, 0.0, 0.0]]))
    assert far[0] >= 1e3 and np.all(g_far == 0)


def test_packaged_specs_are_valid():
    specs = muscle_specs()
    assert tuple(specs) == MUSCLE_NAMES  # file order is layer order, deep to superficial
    assert specs["piriformis"].body == "centred" and specs["gluteus_maximus"].sampling == "axis"
    assert all(spec.name == name for name, spec in specs.items())


# (text in the packaged file, its replacement, field named, text in the message); the line named
# is the line of the replacement, or of the muscle's table when a field is missing
BROKEN_SPECS = [
    ('over = ["gluteus_minimus"]\n', 'over = ["gluteus_maximus"]\n', "piriformis.over[0]", ["defined earlier"]),
    ('region = ["gt_anterior_facet"], fibres = [0.0, 1.0]', 'region = ["gt_anterior_facet"], fibres = [0.0, 0.5]',
     "gluteus_minimus.insertion", ["must tile [0, 1]"]),
    ('samples = 22\norder = "anterior"', 'samples = 22\norder = "sideways"', "gluteus_medius.order",
     ["invalid value 'sideways'", "choose from: anterior, superior"]),
    ('edge = 0.45', 'edge = 1.45', "piriformis.edge", ["between 0 and 1"]),
    ('band = "iliotibial_tract", below_gt = [12.0', 'band = "fascia_lata", below_gt = [12.0',
     "gluteus_maximus.insertion[0].band", ["invalid value 'fascia_lata'", "iliotibial_tract"]),
    ("thickness = [[0.0, 3.0], [0.12, 7.0]", "thickness = [[0.1, 3.0], [0.12, 7.0]", "gluteus_minimus.thickness",
     ["rise from 0 to 1"]),
    ("clearance = 0.8\nhug = [0.05, 0.75, 12.0]\nfill", "clearence = 0.8\nhug = [0.05, 0.75, 12.0]\nfill",
     "gluteus_medius.clearence", ["unknown field 'clearence'", "did you mean 'clearance'"]),
    ('origin = ["gluteus_medius_origin", "gluteus_minimus_origin"]\n', "", "gluteus_medius.origin",
     ["missing required field 'origin'"]),
    ('origin = ["tfl_origin"]', 'origin = ["tfl_orgin"]', "tensor_fasciae_latae.origin[0]",
     ["unknown region 'tfl_orgin'", "did you mean 'tfl_origin'", "landmarks.toml"]),
    ("ischial_spine = 0.5 }", "ischial_spin = 0.5 }", "piriformis.waypoints[0].at.ischial_spin",
     ["unknown point 'ischial_spin'", "did you mean 'ischial_spine'"]),
    ("parts = { superior = [0.0, 0.55]", "parts = { superor = [0.0, 0.55]", "gluteus_maximus.parts.superor",
     ["did you mean 'superior'", "structures.toml"]),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "field", "needles"), BROKEN_SPECS, ids=[b[2] for b in BROKEN_SPECS])
def test_bad_specs_name_file_field_and_line(tmp_path, old, new, field, needles):
    header = None if new else f"[{field.split('.')[0]}]"  # a missing field: the line of its table
    check_broken_data(tmp_path, "muscles.toml", muscle_specs, MuscleDataError, old, new, field, needles, header)
