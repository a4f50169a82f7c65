"""The injection scenes say what the model computes: each claim of a caption checked against needle reports.

Every injection scene is listed here with the phrases of its caption that make a claim and the check
of that claim on the model (a scene added without an entry fails the first test).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import glute3d
from glute3d.scene import Scene
from glute3d.teaching import injection, safety
from glute3d.teaching.injection import DANGER_MM

SCENES = Path(__file__).resolve().parents[1] / "scenes"


@pytest.fixture(scope="module")
def model():
    return glute3d.load_model()


_reports: dict = {}


def report(model, habitus: str, site: str, length: float = injection.DEFAULT_NEEDLE_MM):
    key = (habitus, site, length)
    if key not in _reports:
        m = model.with_habitus(habitus)
        s = injection.sites(m, sides=("r",))[site]
        _reports[key] = injection.needle(m, s, length)
    return _reports[key]


def fat(rep) -> float:
    return dict(rep.crossed).get("subcutaneous", 0.0)


def number(caption: str, before: str) -> float:
    """The number just before ``before`` in the caption, e.g. ``about 17 mm of fat``."""
    m = re.search(r"(\d+(?:\.\d+)?) mm " + re.escape(before), caption)
    assert m, f"caption has no 'N mm {before}'"
    return float(m.group(1))


def check_19(model, caption):
    long = report(model, "average", "dorsogluteal_r", 70.0)
    assert "into gluteus medius in the upper outer quadrant" in caption
    assert report(model, "average", "dorsogluteal_r").tissue == "gluteus_medius_r"
    order = [t for t, _ in long.crossed[:3]]
    assert order == ["subcutaneous", "gluteus_maximus_r", "gluteus_medius_r"], long.describe()
    assert abs(number(caption, "of fat") - fat(long)) <= 3.0
    assert abs(number(caption, "of gluteus maximus") - dict(long.crossed)["gluteus_maximus_r"]) <= 3.0


def check_20(model, caption):
    long = report(model, "average", "ventrogluteal_r", 70.0)
    assert "into gluteus medius with minimus beneath" in caption
    assert report(model, "average", "ventrogluteal_r").tissue == "gluteus_medius_r"
    assert [t for t, _ in long.crossed[:3]] == ["subcutaneous", "gluteus_medius_r", "gluteus_minimus_r"]
    assert abs(number(caption, "of fat") - fat(long)) <= 3.0
    assert abs(number(caption, "of gluteus medius") - dict(long.crossed)["gluteus_medius_r"]) <= 3.0
    assert report(model, "average", "ventrogluteal_r").distances["sciatic_nerve_r"] > 2 * DANGER_MM


def number_in(caption: str, pattern: str) -> float:
    """The number matched by the group ``(N)`` of ``pattern`` in the caption."""
    m = re.search(pattern.replace("(N)", r"(\d+(?:\.\d+)?)"), caption)
    assert m, f"caption has no {pattern!r}"
    return float(m.group(1))


_fields: dict = {}


def field(model, names):
    key = tuple(names)
    if key not in _fields:
        _fields[key] = safety.safety_field(model, names=list(names))
    return _fields[key]


def check_21(model, caption):
    """The safety map: ventrogluteal safe and dorsogluteal riskier, with the computed reasons; where the
    model differs from the teaching (the deep plane), the numbers."""
    s = injection.sites(model, sides=("r",))
    vg, dg = (safety.assess(model, s[f"{k}_r"]) for k in ("ventrogluteal", "dorsogluteal"))
    assert vg.safe and dg.safe, (vg.margin, dg.margin)
    assert f"within {DANGER_MM:g} mm of a nerve or artery" in caption
    assert "reaching the plane between gluteus medius and minimus" in caption
    # the sciatic nerve: farther from the ventrogluteal needle
    sci_vg, sci_dg = (r.report.distances["sciatic_nerve_r"] for r in (vg, dg))
    assert sci_vg > sci_dg + 30.0
    assert abs(number_in(caption, r"sciatic nerve lies (N) mm from the ventrogluteal") - sci_vg) <= 2.0
    assert abs(number_in(caption, r"and (N) mm from the dorsogluteal one") - sci_dg) <= 2.0
    # how badly each point may be missed before a needle comes within the clearance of a nerve or artery
    f = field(model, [n for n in model.paths if n.endswith("_r")])
    tol = {
        k: safety.tolerance(f, s[f"{k}_r"].point, s[f"{k}_r"].normal, plane=False)
        for k in ("ventrogluteal", "dorsogluteal")
    }
    assert tol["ventrogluteal"] > tol["dorsogluteal"] + 5.0, tol
    assert abs(number_in(caption, r"ventrogluteal point may be missed by (N) mm") - tol["ventrogluteal"]) <= 3.0
    assert abs(number_in(caption, r"the dorsogluteal point by only (N) mm") - tol["dorsogluteal"]) <= 3.0
    # where the model differs: the ventrogluteal needle stops just short of the deep plane
    assert "Where this model differs from the teaching" in caption
    assert vg.limit == "deep plane" and vg.plane_margin < dg.plane_margin
    assert abs(number_in(caption, r"stops only (N) mm short of the deep plane") - vg.plane_margin) <= 1.5
    assert abs(number_in(caption, r"\((N) mm deep there") - vg.plane) <= 1.5
    assert abs(number_in(caption, r"(N) mm at the dorsogluteal point") - dg.plane) <= 1.5
    missed = safety.tolerance(f, s["ventrogluteal_r"].point, s["ventrogluteal_r"].normal)
    assert abs(number_in(caption, r"ventrogluteal point missed by (N) mm already") - missed) <= 3.0


def check_21a(model, caption):
    rep = report(model, "lean", "dorsogluteal_r")
    assert "ends in gluteus medius" in caption
    assert rep.tissue == "gluteus_medius_r", rep.describe()
    assert abs(number(caption, "of fat") - fat(report(model, "lean", "dorsogluteal_r", 70.0))) <= 3.0


def check_21b(model, caption):
    rep = report(model, "obese", "dorsogluteal_r")
    assert "ends in the subcutaneous fat" in caption
    assert rep.tissue == "subcutaneous", rep.describe()
    deep = fat(report(model, "obese", "dorsogluteal_r", 70.0))
    assert deep > rep.length and abs(number(caption, "deep here") - deep) <= 3.0


def check_24a(model, caption):
    site = injection.sites(model, sides=("r",))["gtps_bursa_r"]
    assert "A bursal, not an intramuscular, injection" in caption
    assert site.kind == "bursal" and site.target == "subgluteus_medius_bursa_r"
    rep = report(model, "average", "gtps_bursa_r", site.needle_mm)
    assert rep.tissue == "subgluteus_medius_bursa_r", rep.describe()
    layers = [t for t, _ in rep.crossed]
    # fat, then the tract with the maximus fibres inserting into it, loose tissue, the medius tendon
    assert layers[0] == "subcutaneous" and layers[-2:] == ["gluteus_medius_r", "subgluteus_medius_bursa_r"]
    k = layers.index("intermuscular")
    assert "iliotibial_tract_r" in layers[1:k] and set(layers[1:k]) <= {"iliotibial_tract_r", "gluteus_maximus_r"}
    tract = sum(mm for t, mm in rep.crossed[1:k])
    assert abs(number(caption, "of fat") - fat(rep)) <= 3.0
    assert abs(number(caption, "of the iliotibial tract") - tract) <= 1.5
    assert abs(number(caption, "of the gluteus medius tendon") - dict(rep.crossed)["gluteus_medius_r"]) <= 1.5
    assert abs(number(caption, "deep") - site.needle_mm) <= 1.0
    bone = report(model, "average", "gtps_bursa_r", site.needle_mm + 10.0)
    bone_at = next(a for t, a, _ in bone.layers if t == "bone")
    assert 0.0 < bone_at - site.needle_mm < number(caption, "beyond it")  # "less than 1 mm beyond it"
    assert rep.safe, rep.nearest  # no nerve or artery near the lateral trochanter


CHECKS = {
    "19_injection_dorsogluteal_quadrants": check_19,
    "20_injection_ventrogluteal": check_20,
    "21_injection_safety_map": check_21,
    "21a_injection_dorsogluteal_lean": check_21a,
    "21b_injection_dorsogluteal_obese": check_21b,
    "24a_injection_gtps_subgluteus_medius_bursa": check_24a,
}


def test_every_injection_scene_has_its_claims_checked():
    found = {p.stem for p in SCENES.glob("*.toml") if Scene.from_file(p).overlays.injection}
    assert found == set(CHECKS), sorted(found ^ set(CHECKS))


@pytest.mark.parametrize("stem", sorted(CHECKS))
def test_caption_claims_agree_with_the_needle_reports(model, stem):
    scene = Scene.from_file(SCENES / f"{stem}.toml")
    CHECKS[stem](model, scene.caption)


def test_the_readme_tells_the_safety_numbers_the_model_computes(model):
    """The README's paragraph on the safety map says what scene 21's caption says (checked against the
    model above), and the lean body's ventrogluteal needle passes as far into minimus as it says."""
    readme = (SCENES.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("In the average body the sciatic nerve lies")
    text = " ".join(readme[start : readme.index("\n\n", start)].split())
    caption = Scene.from_file(SCENES / "21_injection_safety_map.toml").caption
    for phrase in (
        r"sciatic nerve lies (N) mm from the ventrogluteal",
        r"and (N) mm from the dorsogluteal one",
        r"ventrogluteal point may be missed by (N) mm",
        r"the dorsogluteal point by only (N) mm",
        r"stops only (N) mm short of the deep plane",
        r"\((N) mm deep there",
        r"(N) mm at the dorsogluteal point",
    ):
        assert number_in(text, phrase) == number_in(caption, phrase), phrase
    lean = report(model, "lean", "ventrogluteal_r")
    assert lean.tissue == "gluteus_minimus_r", lean.describe()
    assert abs(number(text, "into gluteus minimus") - dict(lean.crossed)["gluteus_minimus_r"]) <= 1.5
