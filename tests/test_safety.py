"""The depth-aware danger criterion of the injection safety map (glute3d.teaching.safety)."""

from __future__ import annotations

import numpy as np
import pytest

import glute3d
from glute3d.teaching import injection, safety


@pytest.fixture(scope="module")
def model():
    return glute3d.load_model()


@pytest.fixture(scope="module")
def average(model):
    return safety.safety_field(model)


def test_the_clearance_is_the_cited_one():
    spec = safety.safety_spec()
    assert injection.DANGER_MM == spec.criterion.clearance_mm == 20.0
    assert spec.needle.standard_mm == injection.DEFAULT_NEEDLE_MM


def test_bad_criterion_names_file_and_field(tmp_path):
    bad = tmp_path / "injection.toml"
    bad.write_text(
        "[criterion]\nclearance_mm = -5.0\nplane_clearance_mm = 0.0\nplane_search_mm = 40.0\n"
        "[needle]\nstandard_mm = 38.0\n"
    )
    with pytest.raises(safety.SafetyDataError) as info:
        safety.safety_spec(bad)
    msg = str(info.value)
    assert "\n" not in msg and "injection.toml" in msg and "clearance_mm" in msg


@pytest.mark.parametrize("side", ["r", "l"])
def test_map_agrees_with_the_needle_reports_at_the_sites(model, average, side):
    """At each site's nearest skin vertex the map tells what a needle put in at that vertex reports
    (the same needle: the map's vertex, along the map's normal there), and its danger flag is the
    site's own verdict.

    The map is compared with the needle at its own vertex, not at the site: the vertex lies a few
    millimetres off the site, and where the site is near the edge of danger (the dorsogluteal
    point, 21 mm of slack) the distance to the nearest nerve changes by about as much across those
    millimetres, which says nothing about whether the map computes the needle right."""
    from dataclasses import replace

    from glute3d.teaching.skin_surface import skin_surface

    v = average.skin.vertices
    normals = skin_surface(model).normals
    for name in ("ventrogluteal", "dorsogluteal"):
        site = injection.sites(model)[f"{name}_{side}"]
        i = int(np.argmin(np.linalg.norm(v - site.point, axis=1)))
        at = safety.assess(model, replace(site, point=v[i], normal=normals[i]))
        # a 1 mm grid for the paths' distances: the vertex's needle agrees within a few mm
        assert average.distance[i] == pytest.approx(at.report.nearest[1], abs=2.0), name
        assert average.plane[i] == pytest.approx(at.plane, abs=2.0), name
        assert average.danger[i] == (not at.safe) == (not safety.assess(model, site).safe), name


def test_depth_decides(model, average):
    """The same points turn dangerous with a longer needle: the criterion is not a bare distance."""
    longer = safety.safety_field(model, 60.0)
    assert (longer.margin <= average.margin + 1e-9).all()
    assert longer.reaches_plane.sum() > 3 * average.reaches_plane.sum() > 0
    site = injection.sites(model, sides=("r",))["ventrogluteal_r"]
    assert safety.assess(model, site).safe
    deep = safety.assess(model, site, 50.0)
    assert not deep.safe and deep.limit == "deep plane" and deep.report.reaches_deep_plane


def test_the_deep_plane_follows_the_fat(model):
    """In the lean body a 38 mm ventrogluteal needle passes medius into minimus: danger; in the
    average body it stops short of the plane; in the obese body far short of it."""
    margins = {}
    for habitus in ("lean", "average", "obese"):
        m = model.with_habitus(habitus)
        a = safety.assess(m, injection.sites(m, sides=("r",))["ventrogluteal_r"])
        assert a.plane == pytest.approx(safety.plane_depth(injection.needle(m, a.report.entry, 80.0)), abs=1.0)
        margins[habitus] = a.plane_margin
    assert margins["lean"] < 0.0 < margins["average"] < margins["obese"]


def test_dorsogluteal_is_the_riskier_site_for_nerves_and_arteries(model, average):
    """The teaching's reasons, computed: the sciatic nerve nearer, less room to miss the site."""
    for side in ("r", "l"):
        s = injection.sites(model)
        vg, dg = s[f"ventrogluteal_{side}"], s[f"dorsogluteal_{side}"]
        tol = [safety.tolerance(average, x.point, x.normal, plane=False) for x in (vg, dg)]
        assert tol[0] > tol[1] + 5.0, tol
        d = [injection.needle(model, x).distances[f"sciatic_nerve_{side}"] for x in (vg, dg)]
        assert d[0] > d[1] + 30.0


def test_the_map_marks_the_sciatic_nerve_and_the_notch(model, average):
    s = injection.sites(model)
    skin = model.skin.mesh
    for side in ("r", "l"):
        liq = s[f"lower_inner_quadrant_{side}"].contains(skin.vertices, skin.vertex_normals)
        assert average.danger[liq].mean() > 0.2
    assert 0.05 < average.danger.mean() < 0.5
