"""The whole region: the other lateral rotators, the bursae, the fascia and trochanteric pain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glute3d.anatomy import facts
from glute3d.anatomy.bursae import BURSA_NAMES, BursaDataError, bursa_specs
from glute3d.anatomy.fascia import FASCIA_NAMES, FasciaDataError, fascia_specs
from glute3d.geometry.distance import ImplicitDistance
from glute3d.geometry.mesh import merge
from glute3d.teaching.actions import Pose, actions
from test_muscles import penetration, signed_distance

SIDES = ("r", "l")
#: The lateral rotators this module adds (piriformis was there before).
ROTATORS = ("obturator_externus", "obturator_internus", "gemellus_superior", "gemellus_inferior", "quadratus_femoris")
#: The seeds' lateral rotator group (004_edda6e1099886d77).
GROUP = ("piriformis", *ROTATORS)


@pytest.fixture(scope="module")
def model(bone_model):
    return bone_model


@pytest.fixture(scope="module")
def muscles(model):
    return model.muscles


def closed(mesh) -> bool:
    f = mesh.faces
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return bool(np.all(counts == 2) and mesh.volume > 0)


# =============================================================================== the lateral rotators
def test_every_rotator_of_both_sides_is_a_closed_structure(model, muscles):
    for name in ROTATORS:
        for side in SIDES:
            sided = f"{name}_{side}"
            assert model.structure_kind(sided) == "muscle"
            assert closed(muscles[sided].mesh), sided
            assert sided in model.structure_names("muscle")


def test_rotator_sizes_are_plausible(muscles):
    vol = {n: muscles[f"{n}_r"].mesh.volume / 1000.0 for n in GROUP}  # cm^3
    assert all(1.0 < v < 60.0 for v in vol.values()), vol
    assert vol["obturator_internus"] > vol["gemellus_superior"] and vol["obturator_internus"] > vol["gemellus_inferior"]
    assert vol["quadratus_femoris"] > vol["gemellus_inferior"] * 0.5


@pytest.mark.parametrize("side", SIDES)
def test_rotator_bodies_stay_out_of_bone(model, muscles, side):
    """Fibres never enter bone; the body at most a millimetre (the skinning's tolerance) between
    its attachments, where it meets the bone it arises from or inserts on."""
    bones = merge([model.bones[b] for b in (f"hip_bone_{side}", "sacrum", "coccyx", f"femur_{side}")])
    for name in ROTATORS:
        m = muscles[f"{name}_{side}"]
        assert signed_distance(bones, m.fibres.reshape(-1, 3)).min() > 0.0, name
        s = np.linspace(0.0, 1.0, m.fibres.shape[1])
        between = (s > 0.15) & (s < 0.85)
        for face in (m.deep, m.superficial):
            assert signed_distance(bones, face[:, between].reshape(-1, 3)).min() > -1.0, name


#: Pairs of muscles that touch.  The gemelli blend with the obturator internus tendon outside the
#: pelvis (checked up to two-thirds of their length); obturator externus inserts in the fossa just
#: behind the obturator internus insertion, the superior gemellus just below piriformis (checked up
#: to the last sixth, where the tendons meet on the trochanter).
PAIRS = [
    ("obturator_externus", "quadratus_femoris"),
    ("obturator_externus", "obturator_internus"),
    ("obturator_internus", "gemellus_superior"),
    ("obturator_internus", "gemellus_inferior"),
    ("gemellus_superior", "gemellus_inferior"),
    ("gemellus_inferior", "quadratus_femoris"),
    ("gemellus_superior", "piriformis"),
    ("obturator_internus", "piriformis"),
    ("quadratus_femoris", "gluteus_maximus"),
    ("gemellus_inferior", "gluteus_maximus"),
    ("obturator_internus", "gluteus_maximus"),
    ("gemellus_superior", "gluteus_medius"),
    ("obturator_internus", "gluteus_minimus"),
]
BLENDED = {"obturator_internus", "gemellus_superior", "gemellus_inferior"}
ADJACENT = [{"obturator_externus", "obturator_internus"}, {"gemellus_superior", "piriformis"}]


def _body_points(m, s_max: float) -> np.ndarray:
    s = np.linspace(0.0, 1.0, m.fibres.shape[1]) <= s_max
    return np.concatenate([m.deep[:, s].reshape(-1, 3), m.superficial[:, s].reshape(-1, 3)])


@pytest.mark.parametrize("side", SIDES)
def test_rotators_do_not_pass_through_each_other(muscles, side):
    for a, b in PAIRS:
        s_max = 0.65 if {a, b} <= BLENDED else 0.85 if {a, b} in ADJACENT else 1.01
        x, y = muscles[f"{a}_{side}"], muscles[f"{b}_{side}"]
        for p, q in ((x, y), (y, x)):
            depth = penetration(q.mesh, _body_points(p, s_max))
            assert np.sum(depth > 1.0) == 0, (p.name, q.name, np.sort(depth)[-5:])


@pytest.mark.parametrize("side", SIDES)
def test_rotators_stack_from_piriformis_down_to_quadratus_femoris(model, muscles, side):
    """Seen from behind, between the pelvis and the trochanter: piriformis, superior gemellus,
    obturator internus, inferior gemellus, quadratus femoris, from above down."""
    order = ("piriformis", "gemellus_superior", "obturator_internus", "gemellus_inferior", "quadratus_femoris")
    z_mid = 0.5 * (model.landmark(f"ischial_spine_{side}")[2] + model.landmark(f"greater_trochanter_tip_{side}")[2])
    heights = []
    for name in order:
        c = muscles[f"{name}_{side}"].fibres.reshape(-1, 3)
        band = np.abs(c[:, 2] - z_mid) < 6.0
        heights.append(np.median(c[band, 1]))
    assert heights == sorted(heights, reverse=True), dict(zip(order, np.round(heights, 1)))


@pytest.mark.parametrize("side", SIDES)
def test_obturator_internus_turns_around_the_lesser_sciatic_notch(model, muscles, side):
    notch = model.landmark(f"lesser_sciatic_notch_{side}")
    f = muscles[f"obturator_internus_{side}"].fibres
    closest = np.linalg.norm(f - notch, axis=2).min(axis=1)
    assert np.median(closest) < 12.0
    sgn = 1.0 if side == "r" else -1.0
    assert np.all(f[:, 0, 2] * sgn < notch[2] * sgn)  # arises medial to the notch, inside the pelvis
    assert np.all(f[:, -1, 2] * sgn > notch[2] * sgn + 30.0)  # inserts far lateral, on the trochanter


@pytest.mark.parametrize("side", SIDES)
def test_insertions_lie_on_their_regions(model, muscles, side):
    for name, region in (
        ("obturator_internus", "gt_medial_surface"),
        ("gemellus_superior", "gt_medial_surface"),
        ("gemellus_inferior", "gt_medial_surface"),
        ("quadratus_femoris", "quadrate_tubercle"),
        ("obturator_externus", "trochanteric_fossa"),
    ):
        pts = model.region(f"{region}_{side}").points
        ins = muscles[f"{name}_{side}"].insertion_points
        d = np.linalg.norm(ins[:, None] - pts[None], axis=2).min(axis=1)
        assert np.median(d) < 3.0, (name, d.max())


@pytest.mark.parametrize("side", SIDES)
def test_the_sciatic_nerve_runs_over_the_rotators(model, muscles, side):
    """Posterior to the gemelli, obturator internus and quadratus femoris, never through them.

    As for the muscles it avoids elsewhere, the nerve's axis keeps clear of them and its surface
    may press at most half its radius into them (the model's muscles do not make way).
    """
    nerve = model.paths[f"sciatic_nerve_{side}"]
    trunk = nerve.branches["trunk"]
    for name in ("gemellus_superior", "obturator_internus", "gemellus_inferior", "quadratus_femoris"):
        m = muscles[f"{name}_{side}"]
        assert len(penetration(m.mesh, trunk.centreline)) == 0, name
        assert np.sum(penetration(m.mesh, nerve.mesh.vertices) > 0.5 * trunk.radius) == 0, name
        f = m.fibres.reshape(-1, 3)
        line = trunk.centreline
        level = (line[:, 1] > f[:, 1].min()) & (line[:, 1] < f[:, 1].max())
        near_z = np.abs(f[:, 2][:, None] - line[level, 2][None]).min(axis=1) < 4.0
        if level.any() and near_z.any():
            assert line[level, 0].mean() < f[near_z, 0].mean(), name  # behind (X anterior)


def test_lateral_rotators_rotate_the_extended_hip_outwards(model):
    """The seeds: the lateral rotator group opposes the medial rotation of gluteus minimus."""
    extended = model.posed(Pose(flexion=-10))
    for name in GROUP:
        for side in SIDES:
            for m in (model, extended):
                act = actions(m, f"{name}_{side}")
                assert act.produces("external_rotation"), (name, side, act.movements)
    minimus = actions(model.posed(Pose(flexion=60)), "gluteus_minimus_r")
    assert minimus.produces("internal_rotation")


def test_knowledge_base_answers_for_every_new_structure():
    for name in (*ROTATORS, *BURSA_NAMES, *FASCIA_NAMES):
        f = facts(f"{name}_r")
        assert f.display.endswith(", right")
    assert facts("obturator_externus_l").innervation["nerve"] == "obturator_nerve"
    assert facts("quadratus_femoris_r").data["insertion"][0]["region"] == "quadrate_tubercle"
    group = facts("gluteus_minimus_r").data["antagonists"][0]["members"]
    assert set(GROUP) <= set(group)


# =============================================================================== bursae and fascia
def test_bursae_are_closed_sacs_between_tendon_and_bone(model):
    femur = {s: ImplicitDistance(model.bones[f"femur_{s}"]) for s in SIDES}
    vols = {}
    for name in BURSA_NAMES:
        for side in SIDES:
            mesh = model.structure(f"{name}_{side}")
            assert model.structure_kind(f"{name}_{side}") == "bursa"
            assert closed(mesh), name
            d = femur[side](mesh.vertices)
            assert d.min() > 0.0 and np.median(d) < 6.0, (name, d.min())  # on the bone, never in it
            vols[name] = mesh.volume
    assert vols["subgluteus_maximus_bursa"] > vols["subgluteus_medius_bursa"]
    assert vols["subgluteus_maximus_bursa"] > vols["subgluteus_minimus_bursa"]


@pytest.mark.parametrize("side", SIDES)
def test_bursae_stay_under_their_tendons(model, muscles, side):
    for name, spec in bursa_specs().items():
        mesh = model.structure(f"{name}_{side}")
        for m in (*spec.under, *spec.over):
            depth = penetration(muscles[f"{m}_{side}"].mesh, mesh.vertices)
            assert np.sum(depth > 1.0) == 0, (name, m, np.sort(depth)[-3:])  # as muscles (test_muscles)


def test_subgluteus_medius_bursa_lies_superficial_to_the_minimus_insertion(model):
    """Seed 004: the bursa lies just superficial to the insertion of gluteus minimus."""
    for side in SIDES:
        bursa = model.structure(f"subgluteus_medius_bursa_{side}").vertices.mean(0)
        facet = model.region(f"gt_anterior_facet_{side}").points
        d = np.linalg.norm(facet - bursa, axis=1).min()
        assert d < 25.0


def test_fascia_are_thin_closed_sheets(model, muscles):
    for side in SIDES:
        for name in FASCIA_NAMES:
            mesh = model.structure(f"{name}_{side}")
            assert model.structure_kind(f"{name}_{side}") == "fascia"
            assert closed(mesh), name
        tract = model.structure(f"iliotibial_tract_{side}")
        femur = ImplicitDistance(model.bones[f"femur_{side}"])
        assert femur(tract.vertices).min() > 5.0  # it never touches the bone


@pytest.mark.parametrize("side", SIDES)
def test_tfl_and_superficial_maximus_insert_into_the_tract(model, muscles, side):
    tract = model.structure(f"iliotibial_tract_{side}")
    for name in ("tensor_fasciae_latae", "gluteus_maximus"):
        m = muscles[f"{name}_{side}"]
        ins = m.insertion_points[: max(1, int(0.5 * len(m.insertion_points)))]
        d = np.abs(signed_distance(tract, ins))
        assert np.median(d) < 4.0, (name, np.round(d, 1))


@pytest.mark.parametrize("side", SIDES)
def test_the_tract_covers_the_bursae_and_the_aponeurosis_covers_the_anterior_medius(model, muscles, side):
    tract = model.structure(f"iliotibial_tract_{side}")
    sgn = 1.0 if side == "r" else -1.0
    for name in ("subgluteus_maximus_bursa", "subgluteus_medius_bursa"):
        b = model.structure(f"{name}_{side}").vertices
        assert np.sum(penetration(tract, b) > 0.5) == 0, name
        level = np.abs(tract.vertices[:, 1] - b[:, 1].mean()) < 6.0
        assert (tract.vertices[level, 2] * sgn).max() > (b[:, 2] * sgn).max(), name  # lateral to it
    apo = model.structure(f"gluteal_aponeurosis_{side}")
    medius = muscles[f"gluteus_medius_{side}"]
    assert np.sum(penetration(medius.mesh, apo.vertices) > 1.0) == 0  # as muscles (test_muscles)
    belly = np.linspace(0.0, 1.0, medius.fibres.shape[1]) <= 0.75  # the fascia ends where the tendon begins
    front = medius.superficial[medius.parts["anterior"]][:, belly].reshape(-1, 3)
    near = np.linalg.norm(front[:, None] - apo.vertices[None], axis=2).min(axis=1)
    assert np.mean(near < 4.0) > 0.8


def test_posed_bursae_and_tract_move_with_the_femur(model):
    posed = model.posed(Pose(flexion=60))
    t = posed._femur_transforms(posed.pose)["r"]
    b0 = model.structure("subgluteus_medius_bursa_r").vertices
    b1 = posed.structure("subgluteus_medius_bursa_r").vertices
    assert np.allclose(b1, b0 @ t[:3, :3].T + t[:3, 3])
    assert posed.structure("gluteal_aponeurosis_r").n_faces > 0


def test_bad_bursa_and_fascia_files_give_one_line(tmp_path):
    bad = tmp_path / "bursae.toml"
    bad.write_text('[subgluteus_medius_bursa]\non = ["gt_lateral_facett"]\nsize = [1.0, 1.0, 1.0]\n')
    with pytest.raises(BursaDataError) as err:
        bursa_specs(bad)
    msg = str(err.value)
    assert "\n" not in msg and "gt_lateral_facet" in msg and "bursae.toml" in msg
    bad = tmp_path / "fascia.toml"
    bad.write_text(
        '[gluteal_aponeurosis]\nmuscle = "gluteus_medus"\nfibres = [0.0, 0.5]\nsamples = [0.0, 0.8]\n'
        "[iliotibial_tract]\nabove_gt = 30.0\nbelow_gt = 300.0\nwidth = 40.0\n"
    )
    with pytest.raises(FasciaDataError) as err:
        fascia_specs(bad)
    msg = str(err.value)
    assert "\n" not in msg and "gluteus_medius" in msg and "fascia.toml" in msg


# =============================================================================== GTPS
def test_gtps_injection_reaches_the_subgluteus_medius_bursa(model):
    from glute3d.teaching import gtps

    for side in SIDES:
        report = gtps.bursa_injection(model, side)
        assert report.in_bursa and report.crosses_tract and report.safe, side
        assert 15.0 < report.bursa_depth < 80.0
        assert report.bone_depth > report.bursa_depth  # the trochanter lies just beyond the bursa
        assert report.bone_depth - report.bursa_depth < 10.0
        deep = gtps.bursa_injection(model, side, needle_mm=report.bone_depth + 5.0)
        assert not deep.safe  # a needle pushed through the bursa ends in bone


def test_gtps_data_errors_are_one_line_naming_the_field(tmp_path):
    from glute3d.teaching import gtps

    text = (Path(gtps.__file__).parents[1] / "data" / "gtps.toml").read_text()
    bad = tmp_path / "gtps.toml"
    bad.write_text(text.replace('bursa = "subgluteus_medius_bursa"', 'bursa = "subgluteus_medius_bursae"'))
    with pytest.raises(gtps.GtpsDataError) as err:
        gtps.injection_spec(bad)
    line = str(err.value)
    assert "\n" not in line and "bursa" in line and "did you mean 'subgluteus_medius_bursa'" in line, line
    bad.write_text(text.replace("film_mm = 0.5", "film_mm = -1"))
    with pytest.raises(gtps.GtpsDataError, match="film_mm"):
        gtps.injection_spec(bad)
    assert gtps.injection_spec().bursa == gtps.GTPS_BURSA == "subgluteus_medius_bursa"


# =============================================================================== variant
@pytest.mark.parametrize("target", ["piriformis", "gemellus_superior", "vastus_lateralis"])
def test_minimus_slip_variant_joins_its_target(model, target):
    assert "gluteus_minimus_slip_r" not in model.structure_names()  # the usual anatomy has none
    variant = model.with_variant(minimus_slip=target)
    assert variant.variants["minimus_slip"] == target
    minimus = variant.muscles["gluteus_minimus_r"].mesh.vertices
    for side in SIDES:
        slip = variant.structure(f"gluteus_minimus_slip_{side}")
        assert variant.structure_kind(f"gluteus_minimus_slip_{side}") == "muscle" and closed(slip)
        if side == "r":
            assert np.linalg.norm(minimus[:, None] - slip.vertices[None, ::8], axis=2).min() < 6.0
            if target != "vastus_lateralis":
                other = variant.muscles[f"{target}_r"].mesh.vertices
                assert np.linalg.norm(other[:, None] - slip.vertices[None, ::8], axis=2).min() < 6.0
    with pytest.raises(ValueError, match="minimus_slip"):
        model.with_variant(minimus_slip="vastus_medialis")
