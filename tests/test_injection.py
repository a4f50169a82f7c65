"""Injection sites on the skin, needle tracks and the safety map."""

from __future__ import annotations

import time

import numpy as np
import pytest

import glute3d
from glute3d.geometry.distance import point_segment_distance
from glute3d.teaching import injection
from glute3d.teaching.injection import DANGER_MM, QUADRANTS, needle, safety_map, sites, tissue_at
from glute3d.teaching.skin_surface import skin_surface

SIDES = ("r", "l")


@pytest.fixture(scope="module")
def model():
    return glute3d.load_model()


@pytest.fixture(scope="module")
def all_sites(model):
    return sites(model)


@pytest.fixture(scope="module")
def sciatic_map(model):
    return {s: safety_map(model, names=[f"sciatic_nerve_{s}"])[1] for s in SIDES}


def skin_normals(model):
    return skin_surface(model).normals


def test_sites_lie_on_the_skin_with_outward_normals(model, all_sites):
    expected = {f"{n}_{s}" for n in ("ventrogluteal", "dorsogluteal", "gtps_bursa", *QUADRANTS) for s in SIDES}
    assert set(all_sites) == expected
    skin = model.skin
    for name, site in all_sites.items():
        assert abs(skin.distance(site.point[None])[0]) < 0.5, name
        assert np.linalg.norm(site.normal) == pytest.approx(1.0)
        assert skin.contains((site.point - 5 * site.normal)[None])[0], f"{name}: normal points inward"
        if site.outline is not None:
            assert np.abs(skin.distance(site.outline)).max() < 0.5, name
    for base in ("dorsogluteal", "ventrogluteal"):  # the sides mirror each other (mirrored anatomy)
        right, left = all_sites[f"{base}_r"], all_sites[f"{base}_l"]
        assert np.linalg.norm(right.point - left.point * [1, 1, -1]) < 6.0, base


@pytest.mark.parametrize("side", SIDES)
def test_every_site_says_what_it_is_and_what_it_aims_at(model, all_sites, side):
    kinds = {n: s.kind for n, s in all_sites.items() if n.endswith(f"_{side}")}
    assert set(kinds.values()) <= set(injection.SITE_KINDS)
    assert {n for n, k in kinds.items() if k == "region"} == {f"{q}_{side}" for q in QUADRANTS}
    for base in ("dorsogluteal", "ventrogluteal"):
        site = all_sites[f"{base}_{side}"]
        assert site.kind == "intramuscular" and site.target == f"gluteus_medius_{side}"
        assert site.needle_mm is None and needle(model, site).length == injection.DEFAULT_NEEDLE_MM
        assert needle(model, site).sheets == ()  # an intramuscular report names muscles only
    # the GTPS site: a bursal injection, its needle (of the site's own length) ends in the bursa
    gtps = all_sites[f"gtps_bursa_{side}"]
    assert gtps.kind == "bursal" and gtps.target == f"subgluteus_medius_bursa_{side}"
    report = needle(model, gtps)
    assert report.length == pytest.approx(gtps.needle_mm) and report.tissue == gtps.target
    assert report.muscle == f"gluteus_medius_{side}"  # the bursa is not a muscle: the tendon over it is
    assert {f"iliotibial_tract_{side}", gtps.target} <= set(report.sheets)
    layers = [t for t, _ in report.crossed]
    assert layers[0] == "subcutaneous" and layers.index(f"iliotibial_tract_{side}") < layers.index(gtps.target)
    assert report.safe, report.nearest


@pytest.mark.parametrize("side", SIDES)
def test_dorsogluteal_site_is_in_the_upper_outer_quadrant_above_the_psis_gt_line(model, all_sites, side):
    dg = all_sites[f"dorsogluteal_{side}"]
    uoq = all_sites[f"upper_outer_quadrant_{side}"]
    assert uoq.contains(dg.point[None])[0]
    for q in QUADRANTS[1:]:
        assert not all_sites[f"{q}_{side}"].contains(dg.point[None])[0]
    # above and lateral to the line from the PSIS to the greater trochanter, seen from behind
    sgn = 1.0 if side == "r" else -1.0
    a, b = dg.marks["psis"], dg.marks["greater_trochanter"]
    yz = lambda p: np.array([p[2] * sgn, p[1]])  # noqa: E731 - (outward, up) seen from behind
    d, p = yz(b) - yz(a), yz(dg.point) - yz(a)
    assert d[0] * p[1] - d[1] * p[0] > 0, "the site must be above-lateral to the PSIS-GT line"
    # below the iliac crest, by about 6 cm
    crest_y = np.interp(dg.point[2] * sgn, dg.ceiling[:, 0], dg.ceiling[:, 1])
    assert crest_y - dg.point[1] == pytest.approx(injection.DORSOGLUTEAL_BELOW_CREST, abs=1.0)
    # the construction lines lie on the skin
    for line in dg.lines.values():
        assert np.abs(model.skin.distance(line)).max() < 0.5


@pytest.mark.parametrize("side", SIDES)
def test_ventrogluteal_tip_in_medius_or_minimus_and_far_from_the_sciatic_nerve(model, all_sites, sciatic_map, side):
    vg = all_sites[f"ventrogluteal_{side}"]
    report = needle(model, vg)
    # the tip lies in gluteus medius or minimus, or (a needle that is a little long for this
    # model's thin cover) touches the ilium right beneath minimus, as nurses are taught it may
    small = (f"gluteus_medius_{side}", f"gluteus_minimus_{side}")
    assert report.muscle in small and report.tissue in (*small, "bone"), report.layers
    if report.tissue == "bone":
        assert report.layers[-1][2] - report.layers[-1][1] < 2.0, report.layers
    assert needle(model, vg, needle_mm=34.0).tissue in small
    assert report.safe, report.nearest  # clear of the superior gluteal vessels and nerve too
    sciatic = model.paths[f"sciatic_nerve_{side}"]
    tip_to_nerve = sciatic.distance(report.tip[None])[0]
    skin = model.skin.mesh
    liq = all_sites[f"lower_inner_quadrant_{side}"].contains(skin.vertices, skin_normals(model))
    assert liq.sum() > 100
    assert tip_to_nerve > sciatic.distance(skin.vertices[liq]).max()
    assert tip_to_nerve > 60.0
    # the V: between the anterior superior iliac spine and the iliac tubercle, above the trochanter
    m = vg.marks
    assert m["greater_trochanter"][1] < vg.point[1] < max(m["asis"][1], m["iliac_tubercle"][1])


@pytest.mark.parametrize("side", SIDES)
def test_upper_outer_quadrant_is_farther_from_the_sciatic_nerve(model, all_sites, sciatic_map, side):
    skin = model.skin.mesh
    normals = skin_normals(model)
    d = sciatic_map[side]
    median = {q: np.median(d[all_sites[f"{q}_{side}"].contains(skin.vertices, normals)]) for q in QUADRANTS}
    assert median["upper_outer_quadrant"] > median["lower_inner_quadrant"] + 30.0
    assert median["upper_outer_quadrant"] == max(median.values())
    # and a needle at the dorsogluteal site keeps clear of every nerve and artery
    report = needle(model, all_sites[f"dorsogluteal_{side}"])
    assert report.safe, report.nearest
    # while the lower inner quadrant puts the sciatic nerve in danger somewhere
    liq = all_sites[f"lower_inner_quadrant_{side}"].contains(skin.vertices, normals)
    assert d[liq].min() < DANGER_MM


def test_needle_report_is_consistent(model, all_sites):
    site = all_sites["ventrogluteal_r"]
    r = needle(model, site, needle_mm=50)
    assert np.allclose(r.direction, -site.normal)
    assert np.allclose(r.tip, r.entry + 50 * r.direction)
    assert r.length == 50 and tissue_at(model, r.tip[None])[0] in (r.tissue, "subcutaneous")
    # layers tile the track from the skin to the tip
    assert r.layers[0][0] == "subcutaneous" and r.layers[0][1] == 0.0
    assert r.layers[-1][2] == pytest.approx(50.0) and r.layers[-1][0] == r.tissue
    for (_, _, end), (_, start, _) in zip(r.layers, r.layers[1:]):
        assert 0 < start - end <= 0.5 + 1e-9
    # distances: brute force on a dense sampling of the track, against every branch
    track = r.entry + np.linspace(0, 50, 2001)[:, None] * r.direction
    for name, path in model.paths.items():
        brute = min(
            point_segment_distance(track[:, None], b.centreline[None, :-1], b.centreline[None, 1:]).min() - b.radius
            for b in path.branches.values()
            if b.risk  # muscular twigs do not count
        )
        assert r.distances[name] == pytest.approx(brute, abs=0.05), name
    assert r.nearest[1] == min(r.distances.values())
    # a point near the skin works too, and a longer needle goes deeper
    near = needle(model, site.point + 3 * site.normal)
    assert np.linalg.norm(near.entry - site.point) < 1.0
    with pytest.raises(ValueError, match="positive"):
        needle(model, site, needle_mm=0)


def test_safety_map_matches_needles_and_is_fast(model, all_sites):
    t0 = time.perf_counter()
    skin, d = safety_map(model)
    elapsed = time.perf_counter() - t0
    assert d.shape == (len(skin.vertices),) and np.isfinite(d).all()
    assert elapsed < 4.0, f"safety map took {elapsed:.1f} s"
    rng = np.random.default_rng(3)
    normals = skin_normals(model)
    for i in rng.choice(len(skin.vertices), 12, replace=False):
        site = injection.Site("probe_r", skin.vertices[i], normals[i])
        r = needle(model, site)
        assert d[i] == pytest.approx(r.nearest[1], abs=1.5)  # the map uses 6 mm chords of the centrelines
    assert (d < DANGER_MM).any() and (d > 3 * DANGER_MM).any()
    with pytest.raises(KeyError, match="unknown path"):
        safety_map(model, names=["sciatic_nerve_x"])
