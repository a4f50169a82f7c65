"""Tests of the anatomical knowledge base: they assert facts, not just that entries exist."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from glute3d.anatomy import (
    KINDS,
    SEED_STEMS,
    TEXTBOOK,
    Facts,
    KnowledgeBaseError,
    UnknownStructureError,
    facts,
    knowledge_base,
    split_side,
    structure_names,
    validate_knowledge_base,
    with_side,
)

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"

S000 = "000_d96ae1d9757d6593"
S001 = "001_0fb2a4669723e5ee"
S002 = "002_c1c5c4081107998f"
S003 = "003_0762d5fee89b60f3"
S004 = "004_edda6e1099886d77"

LANDMARKS = {
    "point": [
        "asis",
        "aiis",
        "psis",
        "piis",
        "iliac_tubercle",
        "iliac_crest_top",
        "hip_center",
        "ischial_spine",
        "ischial_tuberosity",
        "pubic_tubercle",
        "greater_trochanter_tip",
        "lesser_trochanter",
        "femoral_head_center",
        "gluteal_cleft_top",
    ],
    "curve": ["anterior_gluteal_line", "posterior_gluteal_line", "inferior_gluteal_line", "iliac_crest"],
    "region": [
        "gluteus_minimus_origin",
        "gluteus_medius_origin",
        "gluteus_maximus_origin",
        "piriformis_origin",
        "tfl_origin",
        "gt_anterior_facet",
        "gt_lateral_facet",
        "gt_superoposterior_facet",
        "gt_posterior_facet",
        "gt_superior_tip",
        "gluteal_tuberosity",
    ],
}
IDENTITY_FIELDS = {"display", "latin", "latin_source", "kind", "sided", "fma", "uberon", "abbreviation"}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def cited(table: Mapping[str, Any]) -> set[str]:
    """Citations of one table (its own ``seed`` / ``seeds``, not nested ones)."""
    out = set(table.get("seeds", ()))
    if "seed" in table:
        out.add(table["seed"])
    return out


def strings(value: Any) -> Iterator[str]:
    """Every string value nested in `value`."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def field_text(name: str, field: str) -> str:
    """All strings of one field, lower-cased, with snake_case names read as words."""
    return " ".join(strings(facts(name).data[field])).lower().replace("_", " ")


def joined(tables: tuple[Mapping[str, Any], ...], key: str = "text") -> str:
    return " ".join(t[key] for t in tables).lower()


def movements(name: str, *, part: str | None = None) -> set[str]:
    return {a["movement"] for a in facts(name).actions if part is None or a["part"] == part}


def topics(name: str) -> set[str]:
    return {c["topic"] for c in facts(name).clinical}


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", text)


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@pytest.fixture(scope="module")
def seed_texts() -> dict[str, str]:
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed articles not available: {SEEDS_DIR} does not exist (they live outside the repo)")
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))}


# --------------------------------------------------------------------------------------------
# origins, insertions, innervation, blood supply
# --------------------------------------------------------------------------------------------


def test_minimus_origin_between_anterior_and_inferior_lines_and_from_sciatic_notch() -> None:
    origin = facts("gluteus_minimus").data["origin"]
    text = joined(origin)
    assert "anterior gluteal line" in text
    assert "inferior gluteal line" in text
    assert "posterior gluteal line" not in text
    notch = [o for o in origin if "greater sciatic notch" in o["text"].lower()]
    assert notch and S001 in cited(notch[0])
    assert {o["region"] for o in origin} == {"gluteus_minimus_origin"}
    assert {o["bone"] for o in origin} == {"hip_bone"}


def test_medius_origin_between_anterior_and_posterior_lines() -> None:
    text = joined(facts("gluteus_medius").data["origin"])
    assert "anterior gluteal line" in text
    assert "posterior gluteal line" in text
    assert "inferior gluteal line" not in text


@pytest.mark.parametrize("name", ["gluteus_minimus", "gluteus_medius", "gluteus_minimus_r", "gluteus_medius_l"])
def test_small_glutes_innervated_by_superior_gluteal_nerve_l4_l5_s1(name: str) -> None:
    inn = facts(name).innervation
    assert inn is not None
    assert inn["nerve"] == "superior_gluteal_nerve"
    assert tuple(inn["roots"]) == ("L4", "L5", "S1")
    assert inn["plexus"] == "sacral_plexus"


def test_maximus_and_piriformis_have_other_nerves() -> None:
    maxi = facts("gluteus_maximus").innervation
    assert maxi["nerve"] == "inferior_gluteal_nerve" and tuple(maxi["roots"]) == ("L5", "S1", "S2")
    piri = facts("piriformis").innervation
    assert piri["nerve"] == "nerve_to_piriformis" and tuple(piri["roots"]) == ("S1", "S2")
    assert cited(maxi) == {TEXTBOOK} and cited(piri) == {TEXTBOOK}


def test_tfl_shares_the_superior_gluteal_nerve_per_seed_004() -> None:
    inn = facts("tensor_fasciae_latae").innervation
    assert inn["nerve"] == "superior_gluteal_nerve"
    assert S004 in cited(inn)
    assert "tensor_fasciae_latae" in facts("superior_gluteal_nerve").data["supplies"]["muscles"]


def test_minimus_inserts_on_anterior_facet_with_capsular_expansion() -> None:
    insertion = facts("gluteus_minimus").data["insertion"]
    assert insertion[0]["region"] == "gt_anterior_facet"
    assert "anterior facet" in insertion[0]["text"].lower()
    assert "greater trochanter" in insertion[0]["text"].lower()
    capsule = [i for i in insertion if "capsule" in i["text"].lower()]
    assert capsule and {S001, S004} <= cited(capsule[0])
    impingement = [a for a in facts("gluteus_minimus").actions if a["movement"] == "capsule_retraction"]
    assert impingement and "impingement" in impingement[0]["note"]


def test_medius_inserts_laterally_with_tendon_over_anterosuperior_trochanter_and_bursa() -> None:
    insertion = facts("gluteus_medius").data["insertion"]
    assert insertion[0]["region"] == "gt_lateral_facet"
    assert "lateral" in insertion[0]["text"].lower()
    text = joined(insertion)
    assert "anterosuperior" in text and "trochanteric bursa of gluteus medius" in text
    assert facts("trochanteric_bursa_of_gluteus_medius").kind == "bursa"


@pytest.mark.parametrize(
    ("region", "muscle"),
    [
        ("gt_anterior_facet", "gluteus_minimus"),
        ("gt_lateral_facet", "gluteus_medius"),
        ("gt_superoposterior_facet", "gluteus_medius"),
        ("gt_superior_tip", "piriformis"),
        ("gluteal_tuberosity", "gluteus_maximus"),
    ],
)
def test_insertion_regions_point_at_their_muscle(region: str, muscle: str) -> None:
    data = facts(region).data
    assert data["bone"] == "femur"
    assert data["muscle"] == muscle and data["role"] == "insertion"
    assert region in {i.get("region") for i in facts(muscle).data["insertion"]}


def test_origin_regions_point_at_their_muscle_and_bone() -> None:
    expected = {
        "gluteus_minimus_origin": ("gluteus_minimus", "hip_bone"),
        "gluteus_medius_origin": ("gluteus_medius", "hip_bone"),
        "gluteus_maximus_origin": ("gluteus_maximus", "hip_bone"),
        "piriformis_origin": ("piriformis", "sacrum"),
        "tfl_origin": ("tensor_fasciae_latae", "hip_bone"),
    }
    for region, (muscle, bone) in expected.items():
        data = facts(region).data
        assert (data["muscle"], data["role"], data["bone"]) == (muscle, "origin", bone)
        assert region in {o.get("region") for o in facts(muscle).data["origin"]}
    assert facts("gt_posterior_facet").data.get("muscle") is None  # bare facet, bursa only


def test_blood_supply_superior_gluteal_artery_and_anastomoses() -> None:
    for name in ("gluteus_minimus", "gluteus_medius"):
        supply = {b["source"]: b for b in facts(name).data["blood_supply"]}
        assert supply["superior_gluteal_artery"]["branch"] == "deep branch"
        assert set(supply["trochanteric_anastomosis"]["members"]) == {
            "superior_gluteal_artery",
            "inferior_gluteal_artery",
            "medial_circumflex_femoral_artery",
        }
    minimus = {b["source"]: b for b in facts("gluteus_minimus").data["blood_supply"]}
    assert cited(minimus["lateral_circumflex_femoral_artery"]) == {S004}


def test_superior_gluteal_artery_arises_from_internal_iliac_and_runs_deep_between_medius_and_minimus() -> None:
    artery = facts("superior_gluteal_artery").data
    assert artery["origin"]["parent_artery"] == "internal_iliac_artery"
    deep = [b for b in artery["branches"] if b["name"] == "deep branch"][0]
    assert set(deep["supplies"]) == {"gluteus_medius", "gluteus_minimus"}
    assert "between gluteus medius and gluteus minimus" in deep["text"]
    assert artery["course"][0]["exit"] == "suprapiriform"
    assert facts("inferior_gluteal_artery").data["course"][0]["exit"] == "infrapiriform"


def test_superior_gluteal_nerve_roots_course_and_branches() -> None:
    nerve = facts("superior_gluteal_nerve").data
    assert tuple(nerve["origin"]["roots"]) == ("L4", "L5", "S1")
    assert nerve["course"][0]["exit"] == "suprapiriform"
    assert any("between gluteus medius and gluteus minimus" in c["text"] for c in nerve["course"])
    branches = {b["name"]: b for b in nerve["branches"]}
    assert set(branches) == {"superior branch", "inferior branch"}
    assert "tensor_fasciae_latae" in branches["inferior branch"]["supplies"]
    assert tuple(facts("inferior_gluteal_nerve").data["origin"]["roots"]) == ("L5", "S1", "S2")
    assert facts("inferior_gluteal_nerve").data["supplies"]["muscles"] == ("gluteus_maximus",)


# --------------------------------------------------------------------------------------------
# actions, synergists, antagonists
# --------------------------------------------------------------------------------------------


def test_minimus_actions_include_abduction_internal_rotation_and_pelvic_stabilisation() -> None:
    assert {"abduction", "internal_rotation", "pelvic_stabilisation"} <= movements("gluteus_minimus")
    assert {"abduction", "internal_rotation", "pelvic_stabilisation"} <= movements("gluteus_medius")


@pytest.mark.parametrize("muscle", ["gluteus_minimus", "gluteus_medius"])
def test_anterior_fibres_flex_and_rotate_in_posterior_fibres_extend_and_rotate_out(muscle: str) -> None:
    assert {"flexion", "internal_rotation"} <= movements(muscle, part="anterior")
    assert {"extension", "external_rotation"} <= movements(muscle, part="posterior")
    assert "external_rotation" not in movements(muscle, part="anterior")
    assert {"flexion", "internal_rotation"} <= movements(f"{muscle}_anterior")
    assert {"extension", "external_rotation"} <= movements(f"{muscle}_posterior")


def test_muscle_parts_name_their_parent() -> None:
    parts = structure_names(kind="muscle_part", sided_expanded=False)
    assert set(parts) == {
        "gluteus_minimus_anterior",
        "gluteus_minimus_middle",
        "gluteus_minimus_posterior",
        "gluteus_medius_anterior",
        "gluteus_medius_middle",
        "gluteus_medius_posterior",
        "gluteus_maximus_superior",
        "gluteus_maximus_inferior",
    }
    for part in parts:
        parent = facts(part).data["parent"]
        assert part.startswith(parent) and facts(parent).kind == "muscle"
    assert "abduction" in movements("gluteus_medius_middle")


def test_every_generated_muscle_part_is_in_the_knowledge_base() -> None:
    from glute3d.anatomy.muscles import muscle_specs

    for name, spec in muscle_specs().items():
        for part in spec.parts:
            assert facts(f"{name}_{part}").kind == "muscle_part", f"{name}_{part}"


def test_minimus_rotation_depends_on_hip_position_and_both_sources_are_recorded() -> None:
    acts = facts("gluteus_minimus").actions
    flexed = [a for a in acts if a["position"] == "hip flexed"]
    assert {a["movement"] for a in flexed} == {"internal_rotation"}
    assert S001 in cited(flexed[0])
    extended = {(a["movement"], frozenset(cited(a))) for a in acts if a["position"] == "hip extended"}
    assert ("external_rotation", frozenset({S001})) in extended
    assert ("internal_rotation", frozenset({S004})) in extended


def test_synergists_and_antagonists_of_minimus() -> None:
    data = facts("gluteus_minimus").data
    synergists = {s["name"] for s in data["synergists"]}
    assert {"gluteus_medius", "tensor_fasciae_latae", "quadratus_lumborum", "iliopsoas"} <= synergists
    antagonists = {a["name"]: a for a in data["antagonists"]}
    assert antagonists["lateral_rotator_group"]["opposes"] == "internal_rotation"
    assert "piriformis" in antagonists["lateral_rotator_group"]["members"]
    assert antagonists["hip_adductors"]["opposes"] == "abduction"
    maximus_actions = movements("gluteus_maximus")
    assert {"extension", "external_rotation"} <= maximus_actions


# --------------------------------------------------------------------------------------------
# relations and clinical facts
# --------------------------------------------------------------------------------------------


def test_medius_cover_and_piriformis_relation() -> None:
    text = joined(facts("gluteus_medius").data["relations"])
    assert "posterior third" in text and "gluteus maximus" in text
    assert "gluteal aponeurosis" in text
    assert "in front of piriformis" in text


def test_minimus_deep_relations_and_variants() -> None:
    data = facts("gluteus_minimus").data
    relations = joined(data["relations"])
    assert "reflected head of rectus femoris" in relations and "capsule" in relations
    assert "superior gluteal nerve" in relations
    variants = joined(data["variants"])
    for muscle in ("piriformis", "superior gemellus", "vastus lateralis"):
        assert muscle in variants
    assert "anterior and posterior parts" in variants
    features = joined(data["features"])
    assert "deltoid of the hip" in features and "multipennate" in features


def test_clinical_topics_of_small_glutes() -> None:
    assert {
        "trendelenburg_sign",
        "duchenne_gait",
        "gtps",
        "trigger_points",
        "intramuscular_injection",
        "superior_gluteal_nerve_injury",
        "postoperative_atrophy",
        "superior_gluteal_nerve_entrapment",
        "surgical_lateral_approach",
        "compensatory_trunk_lean",
    } <= topics("gluteus_minimus")
    assert {"trendelenburg_sign", "duchenne_gait", "intramuscular_injection", "gtps"} <= topics("gluteus_medius")


def clinical_notes(name: str, topic: str) -> str:
    return " ".join(c["note"] for c in facts(name).clinical if c["topic"] == topic).lower()


def test_trendelenburg_pelvis_drops_to_the_healthy_side_with_lean_to_stance_side() -> None:
    for name in ("gluteus_minimus", "gluteus_medius"):
        assert "healthy" in clinical_notes(name, "trendelenburg_sign")
        assert "stance leg" in clinical_notes(name, "compensatory_trunk_lean")
        assert "waddling" in clinical_notes(name, "duchenne_gait")


def test_injection_site_spares_sciatic_and_superior_gluteal_nerves() -> None:
    note = clinical_notes("gluteus_medius", "intramuscular_injection")
    assert "upper outer quadrant" in note and "hochstetter" in note
    assert "sciatic" in note and "superior gluteal" in note
    assert "intramuscular_injection" in topics("sciatic_nerve")
    assert "intramuscular_injection" in topics("superior_gluteal_nerve")


def test_gtps_trigger_points_atrophy_and_entrapment_details() -> None:
    gtps = clinical_notes("gluteus_minimus", "gtps")
    assert "women older than 40" in gtps and "osteoarthritis" in gtps
    trigger = clinical_notes("gluteus_minimus", "trigger_points")
    assert "lateral calf and foot" in trigger and "sciatica" in trigger and "straight-leg raise" in trigger
    assert "anterior part" in clinical_notes("gluteus_minimus", "postoperative_atrophy")
    assert "postoperative_atrophy" in topics("gluteus_minimus_anterior")
    assert "l5 radiculopathy" in clinical_notes("gluteus_minimus", "superior_gluteal_nerve_entrapment")
    assert "apart from gluteus maximus" in clinical_notes("gluteus_minimus", "rehabilitation")


def test_bursae_supported_by_seeds() -> None:
    assert facts("trochanteric_bursa_of_gluteus_medius").seeds == {S002}
    assert facts("trochanteric_bursa_of_gluteus_minimus").seeds == {S001, S003}
    sub = facts("subgluteus_medius_bursa")
    assert S004 in sub.seeds and "gtps_injection" in {c["topic"] for c in sub.clinical}


# --------------------------------------------------------------------------------------------
# names, sides, lookup
# --------------------------------------------------------------------------------------------


def test_display_names_carry_the_side() -> None:
    assert facts("gluteus_minimus_r").display == "Gluteus minimus, right"
    assert facts("gluteus_minimus_l").display.endswith(", left")
    assert facts("gluteus_minimus").display == "Gluteus minimus"
    assert facts("gluteus_minimus_anterior_r").display == "Gluteus minimus, anterior part, right"
    f = facts("gluteus_medius_r")
    assert (f.name, f.base, f.side) == ("gluteus_medius_r", "gluteus_medius", "r")
    assert f.latin == "Musculus gluteus medius" and f.kind == "muscle"
    s = facts("sacrum")
    assert (s.side, s.display) == (None, "Sacrum")


def test_unknown_name_suggests_the_closest_valid_name() -> None:
    with pytest.raises(UnknownStructureError) as info:
        facts("gluteus_minimis_r")
    err = info.value
    assert isinstance(err, KeyError)
    assert err.suggestions[0] == "gluteus_minimus_r"
    assert "'gluteus_minimis_r'" in str(err) and "'gluteus_minimus_r'" in str(err)


def test_midline_structure_refuses_a_side() -> None:
    with pytest.raises(UnknownStructureError) as info:
        facts("sacrum_r")
    assert "sacrum" in info.value.suggestions
    with pytest.raises(UnknownStructureError):
        facts("gluteal_cleft_top_l")


def test_split_and_join_sides() -> None:
    assert split_side("gluteus_minimus_r") == ("gluteus_minimus", "r")
    assert split_side("gt_anterior_facet_l") == ("gt_anterior_facet", "l")
    assert split_side("sacrum") == ("sacrum", None)
    assert split_side("_r") == ("_r", None)
    assert with_side("gluteus_medius", "l") == "gluteus_medius_l"
    assert with_side("sacrum", None) == "sacrum"
    with pytest.raises(ValueError, match="side must be"):
        with_side("gluteus_medius", "right")
    with pytest.raises(ValueError, match="already has a side"):
        with_side("gluteus_medius_r", "l")


def test_structure_names_expand_sides_and_filter_by_kind() -> None:
    assert structure_names(kind="bone") == ["hip_bone_r", "hip_bone_l", "sacrum", "coccyx", "femur_r", "femur_l"]
    assert structure_names(kind="bone", sided_expanded=False) == ["hip_bone", "sacrum", "coccyx", "femur"]
    names = structure_names()
    for base, entry in knowledge_base().items():
        if entry["sided"]:
            assert f"{base}_r" in names and f"{base}_l" in names and base not in names
        else:
            assert base in names
    assert len(set(names)) == len(names)
    with pytest.raises(ValueError, match="unknown kind"):
        structure_names(kind="ligament")


def test_skeleton_bones_are_the_knowledge_base_bones() -> None:
    from glute3d.anatomy.skeleton import BONE_NAMES, PELVIS_BONES

    assert list(BONE_NAMES) == structure_names(kind="bone")
    assert set(PELVIS_BONES) == set(BONE_NAMES) - {"femur_r", "femur_l"}


def test_every_listed_name_resolves() -> None:
    for name in structure_names():
        f = facts(name)
        assert isinstance(f, Facts) and f.kind in KINDS


def test_expected_structures_are_present_with_their_kind() -> None:
    expected = {
        "bone": ["hip_bone", "sacrum", "coccyx", "femur"],
        "muscle": ["gluteus_minimus", "gluteus_medius", "gluteus_maximus", "piriformis", "tensor_fasciae_latae"],
        "nerve": ["superior_gluteal_nerve", "inferior_gluteal_nerve", "sciatic_nerve"],
        "artery": ["superior_gluteal_artery", "inferior_gluteal_artery"],
        "bursa": [
            "trochanteric_bursa_of_gluteus_medius",
            "trochanteric_bursa_of_gluteus_minimus",
            "subgluteus_medius_bursa",
        ],
        **LANDMARKS,
    }
    for kind, names in expected.items():
        for name in names:
            assert facts(name).kind == kind, name


def test_landmarks_have_kind_bone_and_side() -> None:
    bones = set(structure_names(kind="bone", sided_expanded=False))
    for kind, names in LANDMARKS.items():
        for name in names:
            data = facts(name).data
            assert data["kind"] == kind and data["bone"] in bones, name
    midline = {n for n, e in knowledge_base().items() if not e["sided"]}
    assert midline == {"sacrum", "coccyx", "gluteal_cleft_top"}
    assert facts("piriformis_origin_r").data["bone"] == "sacrum"  # paired, though on a midline bone


def test_verified_ontology_ids() -> None:
    assert (facts("gluteus_minimus").fma, facts("gluteus_minimus").uberon) == ("FMA:22317", "UBERON:0008521")
    assert (facts("gluteus_medius").fma, facts("gluteus_medius").uberon) == ("FMA:22315", "UBERON:0001371")
    assert (facts("gluteus_maximus").fma, facts("gluteus_maximus").uberon) == ("FMA:22314", "UBERON:0001370")
    assert facts("superior_gluteal_artery").uberon == "UBERON:0001315"
    assert facts("superior_gluteal_nerve").fma is None  # not verified, so left out
    ids = [e[k] for e in knowledge_base().values() for k in ("fma", "uberon") if k in e]
    assert len(ids) == len(set(ids)), "an ontology ID is used twice"


def test_facts_are_read_only() -> None:
    f = facts("gluteus_minimus")
    with pytest.raises(TypeError):
        f.data["display"] = "x"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.display = "x"  # type: ignore[misc]
    assert isinstance(f.data["origin"], tuple)


def test_seeds_property_collects_citations_but_not_textbook() -> None:
    assert facts("gluteus_minimus_r").seeds == {S000, S001, S002, S003, S004}
    assert facts("asis").seeds == frozenset()
    assert TEXTBOOK not in facts("gluteus_maximus").seeds


# --------------------------------------------------------------------------------------------
# validation and traceability
# --------------------------------------------------------------------------------------------


def minimal_entry(**extra: Any) -> dict[str, Any]:
    return {"display": "X", "latin": "X", "kind": "muscle", "sided": True, **extra}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            {"foo": minimal_entry(origin=[{"text": "a", "seed": "wikipedia"}])},
            r"foo\.origin\[0\]\.seed: seed 'wikipedia'",
        ),
        (
            {"foo": minimal_entry(clinical=[{"topic": "t", "note": "n", "seeds": [S001, "005_x"]}])},
            r"foo\.clinical\[0\]\.seeds\[1\]: seed '005_x'",
        ),
        ({"foo": minimal_entry(relations=[{"text": "a", "seeds": []}])}, r"foo\.relations\[0\]\.seeds: .*non-empty"),
        ({"foo": {"display": "X", "kind": "muscle", "sided": True}}, r"foo\.latin: missing required field 'latin'"),
        ({"foo": minimal_entry(kind="organ")}, r"foo\.kind: invalid value 'organ' \(choose from: .*muscle"),
        ({"foo": minimal_entry(sided="yes")}, r"foo\.sided: .*boolean, got 'yes'"),
        ({"foo_r": minimal_entry()}, r"foo_r: write the sideless name 'foo'"),
        ({"foo": minimal_entry(fma="22317")}, r"foo\.fma: malformed FMA ID '22317'; write it like 'FMA:22317'"),
        ({"foo": minimal_entry(kind="muscle_part", parent="bar")}, r"foo\.parent: 'bar' is not a muscle entry"),
        ({"foo": minimal_entry(kind="point", bone="skull")}, r"foo\.bone: 'skull' is not a bone entry"),
        (
            {"foo": minimal_entry(kind="point", bone="femr")},
            r"foo\.bone: 'femr' is not a bone entry; did you mean 'femur'",
        ),
        ({"foo": minimal_entry(kind="point")}, r"foo\.bone: a point landmark names the bone"),
    ],
)
def test_validation_names_entry_and_field(data: dict[str, Any], match: str) -> None:
    with pytest.raises(KnowledgeBaseError, match=r"^structures\.toml: " + match) as info:
        validate_knowledge_base(data | {"femur": minimal_entry(kind="bone")})
    assert isinstance(info.value, ValueError)


BROKEN_KB = """\
[femur]
display = "Femur"
latin = "Femur"
kind = "bone"
sided = true

[asis]
display = "ASIS"
latin = "Spina iliaca anterior superior"
kind = "point"
sided = true
bone = "femur"
"""


@pytest.mark.parametrize(
    ("old", "new", "field", "line", "needles"),
    [
        ('kind = "point"', 'kind = "pointe"', "asis.kind", 10, ["invalid value 'pointe'", "did you mean 'point'"]),
        ('bone = "femur"', 'bone = "femu"', "asis.bone", 12, ["'femu' is not a bone entry", "did you mean 'femur'"]),
        ("sided = true\nbone", "sidd = true\nbone", "asis.sidd", 11, ["unknown field 'sidd'", "did you mean 'sided'"]),
        ('latin = "Spina iliaca anterior superior"\n', "", "asis.latin", 7, ["missing required field 'latin'"]),
    ],
)
def test_validation_errors_name_file_field_and_line(
    tmp_path: Path, old: str, new: str, field: str, line: int, needles: list[str]
) -> None:
    path = tmp_path / "structures.toml"
    text = BROKEN_KB.replace(old, new)
    assert text != BROKEN_KB
    path.write_text(text)
    with pytest.raises(KnowledgeBaseError) as info:
        validate_knowledge_base(tomllib.loads(text), source=path, text=text)
    err = info.value
    assert (err.file, err.field, err.line) == (str(path), field, line)
    for needle in needles:
        assert needle in err.message
    assert "\n" not in str(err) and str(err).startswith(f"{path}: {field}: ")


def test_shipped_knowledge_base_is_valid() -> None:
    validate_knowledge_base(knowledge_base())


def test_every_fact_is_traceable_to_a_seed_or_textbook() -> None:
    for name, entry in knowledge_base().items():
        entry_cited = bool(cited(entry))
        for key, value in entry.items():
            if key in IDENTITY_FIELDS or key in {"seed", "seeds"}:
                continue
            where = f"{name}.{key}"
            if isinstance(value, Mapping):
                assert cited(value), f"{where} has no seed/seeds"
            elif isinstance(value, tuple) and value and isinstance(value[0], Mapping):
                for i, table in enumerate(value):
                    assert cited(table), f"{where}[{i}] has no seed/seeds"
            else:
                assert entry_cited, f"{where} is a fact but {name} has no top-level seed/seeds"


def test_every_cited_seed_exists(seed_texts: dict[str, str]) -> None:
    assert SEED_STEMS == set(seed_texts)
    for name in structure_names(sided_expanded=False):
        for stem in facts(name).seeds:
            assert (SEEDS_DIR / f"{stem}.txt").is_file(), f"{name} cites missing seed {stem}"


# (seed, term as the seed's key-fact table states it, structure, KB field, what the KB must say)
KEY_FACTS = [
    (
        S001,
        "anterior gluteal line and inferior gluteal line",
        "gluteus_minimus",
        "origin",
        ["anterior gluteal line", "inferior gluteal line"],
    ),
    (S001, "Greater trochanter of the femur", "gluteus_minimus", "insertion", ["greater trochanter"]),
    (S001, "superior gluteal artery", "gluteus_minimus", "blood_supply", ["superior gluteal artery"]),
    (
        S001,
        "superior gluteal nerve (L4, L5, S1",
        "gluteus_minimus",
        "innervation",
        ["superior gluteal nerve", "l4", "l5", "s1"],
    ),
    (S001, "abduction of the hip", "gluteus_minimus", "actions", ["abduction"]),
    (S001, "Medial rotation of thigh", "gluteus_minimus", "actions", ["internal rotation"]),
    (S001, "lateral rotator group", "gluteus_minimus", "antagonists", ["lateral rotator group"]),
    (
        S002,
        "between anterior and posterior gluteal lines",
        "gluteus_medius",
        "origin",
        ["anterior gluteal line", "posterior gluteal line"],
    ),
    (
        S002,
        "Lateral aspect of greater trochanter",
        "gluteus_medius",
        "insertion",
        ["lateral aspect of the greater trochanter"],
    ),
    (S002, "Superior gluteal nerve (L4-S1)", "gluteus_medius", "innervation", ["superior gluteal nerve", "l4", "s1"]),
    (
        S002,
        "Deep branch of superior gluteal artery, trochanteric anastomosis",
        "gluteus_medius",
        "blood_supply",
        ["deep branch", "superior gluteal artery", "trochanteric anastomosis"],
    ),
    (S002, "thigh internal rotation (anterior part)", "gluteus_medius", "actions", ["internal rotation", "anterior"]),
    (S002, "Pelvis stabilization", "gluteus_medius", "actions", ["pelvic stabilisation"]),
    (
        S004,
        "anterior gluteal line and inferior gluteal line",
        "gluteus_minimus",
        "origin",
        ["anterior gluteal line", "inferior gluteal line"],
    ),
    (
        S004,
        "Greater trochanter of the femur (anterior facet)",
        "gluteus_minimus",
        "insertion",
        ["greater trochanter", "anterior facet"],
    ),
    (
        S004,
        "Gluteus Medius, Tensor Fasciae Latae, Gluteus Maximus",
        "gluteus_minimus",
        "synergists",
        ["gluteus medius", "tensor fasciae latae", "gluteus maximus"],
    ),
    (S004, "Lateral Rotator Group", "gluteus_minimus", "antagonists", ["lateral rotator group"]),
    (S004, "L4, L5, S1", "gluteus_minimus", "innervation", ["l4", "l5", "s1"]),
    (S004, "Superior gluteal nerve", "gluteus_minimus", "innervation", ["superior gluteal nerve"]),
    (S004, "Superior gluteal artery", "gluteus_minimus", "blood_supply", ["superior gluteal artery"]),
]


@pytest.mark.parametrize(("seed", "term", "name", "field", "kb_terms"), KEY_FACTS)
def test_key_fact_tables_agree_with_the_knowledge_base(
    seed_texts: dict[str, str], seed: str, term: str, name: str, field: str, kb_terms: list[str]
) -> None:
    seed_text = " ".join(seed_texts[seed].split()).lower()
    assert term.lower() in seed_text, f"{term!r} is not in seed {seed}"
    kb_text = field_text(name, field)
    for kb_term in kb_terms:
        assert kb_term in kb_text, f"{name}.{field} does not say {kb_term!r}"
    value = facts(name).data[field]
    tables = value if isinstance(value, tuple) else (value,)
    assert any(seed in cited(t) for t in tables), f"{name}.{field} does not cite {seed}"


def test_no_text_reproduces_twelve_consecutive_words_of_a_seed(seed_texts: dict[str, str]) -> None:
    n = 12
    seed_grams: set[tuple[str, ...]] = set()
    for text in seed_texts.values():
        seed_grams |= ngrams(words(text), n)
    copied = [
        (name, text)
        for name, entry in knowledge_base().items()
        for text in strings(entry)
        if ngrams(words(text), n) & seed_grams
    ]
    assert not copied, f"reword needed, text copied from a seed: {copied}"
