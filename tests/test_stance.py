"""Single-leg stance statics (glute3d.stance): equilibrium, plausible forces, weakness, the lean, the scenes."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

import glute3d
from glute3d.anatomy.pose import PELVIS_RANGES
from glute3d.teaching.stance import StanceDataError, StanceError, single_leg_stance, stance_spec

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT / "scenes"


@pytest.fixture(scope="module")
def model():
    return glute3d.load_model()


@pytest.fixture(scope="module")
def normal(model):
    return single_leg_stance(model, "r")


@pytest.fixture(scope="module")
def weak(model):
    return single_leg_stance(model, "r", abductor_strength=0.5)


def _moments(s, abductor_scale=1.0, com_shift=0.0):
    """Moments about the hip centre (x, frontal plane) of the weight and of the abductors on the pelvis."""
    weight = np.array([0.0, -s.supported_weight_bw, 0.0])
    com = s.com + np.array([0.0, 0.0, com_shift])
    m_weight = np.cross(com - s.hip_center, weight)[0]
    m_abd = np.cross(s.abductor_point - s.hip_center, -abductor_scale * s.abductor_force)[0]
    return m_weight, m_abd


def test_public_name(normal):
    assert glute3d.stance.single_leg_stance is single_leg_stance
    assert normal.side == "r" and normal.abductor_strength == 1.0


def test_moments_and_forces_sum_to_zero(normal):
    m_weight, m_abd = _moments(normal)
    assert abs(m_weight) > 50.0  # BW x mm: a real moment is balanced, not two zeros
    assert m_weight + m_abd == pytest.approx(0.0, abs=1e-9)
    weight = np.array([0.0, -normal.supported_weight_bw, 0.0])
    np.testing.assert_allclose(weight - normal.abductor_force + normal.joint_force, 0.0, atol=1e-12)
    # the reported lever arms reproduce the moment
    assert normal.abductor_force_bw * normal.abductor_lever_arm_mm == pytest.approx(
        normal.supported_weight_bw * normal.weight_lever_arm_mm
    )


def test_forces_in_the_plausible_ranges(normal):
    # Pauwels-type statics: abductors about 1.5-2.5 BW, joint 2-3 BW; implants (Bergmann 2001) ~2.3 BW
    assert 1.4 < normal.abductor_force_bw < 2.5
    assert 2.0 < normal.joint_force_bw < 3.0
    assert normal.supported_weight_bw == pytest.approx(1.0 - 0.161)
    assert 40.0 < normal.abductor_lever_arm_mm < 65.0  # the abductors' lever arm in the texts: 40-70 mm
    assert 85.0 < normal.weight_lever_arm_mm < 120.0  # medial to the hip, beyond the midline
    assert 1.5 < normal.abductor_to_weight_ratio < 3.0
    assert 10.0 < normal.abductor_angle_deg < 35.0  # top medial
    assert 5.0 < normal.joint_force_angle_deg < 25.0  # from above and medial, as on the implants
    assert normal.pelvic_drop_deg == 0.0 and normal.trunk_lean_deg == 0.0


def test_lever_arm_is_the_models(model, normal):
    """The abductors' arm comes from the fibres: a moved insertion changes it."""
    from glute3d.teaching.actions import actions

    medius = -actions(model, "gluteus_medius_r").moment_arm[1]
    minimus = -actions(model, "gluteus_minimus_r").moment_arm[1]
    assert min(medius, minimus) - 5.0 < normal.abductor_lever_arm_mm < max(medius, minimus) + 5.0


def test_weakness_drops_the_pelvis(normal, weak):
    assert weak.pelvic_drop_deg > 0.0
    # the model finds no dropped position that balances: the drop runs to the pose limit
    assert weak.drop_limited and weak.pelvic_drop_deg == PELVIS_RANGES["pelvis_list"][1]
    assert not normal.drop_limited


def test_lean_restores_balance(normal, weak):
    assert 10.0 < weak.trunk_lean_deg < 30.0
    # the upper body shifted toward the stance side by h sin(lean) balances half the abductor moment
    shift = weak.lean_lever_mm * math.sin(math.radians(weak.trunk_lean_deg))
    hat_share = stance_spec().segments.hat_mass / weak.supported_weight_bw
    m_weight, m_abd = _moments(weak, abductor_scale=0.5, com_shift=hat_share * shift)  # right stance: +z lateral
    assert m_weight + m_abd == pytest.approx(0.0, abs=1e-9)
    assert weak.joint_force_lean_bw < normal.joint_force_bw  # the lean unloads the hip


def test_lean_grows_with_weakness(model):
    leans = [single_leg_stance(model, "r", s).trunk_lean_deg for s in (1.0, 0.75, 0.5, 0.0)]
    assert leans[0] == 0.0 and all(a < b for a, b in zip(leans, leans[1:]))
    assert leans[-1] < 60.0


def test_sides_symmetric(model, normal, weak):
    left = single_leg_stance(model, "l")
    for name in ("abductor_force_bw", "joint_force_bw", "abductor_lever_arm_mm", "weight_lever_arm_mm"):
        assert getattr(left, name) == pytest.approx(getattr(normal, name), rel=0.01)
    np.testing.assert_allclose(left.joint_force * [1, 1, -1], normal.joint_force, atol=0.02)
    left_weak = single_leg_stance(model, "l", 0.5)
    assert left_weak.trunk_lean_deg == pytest.approx(weak.trunk_lean_deg, abs=0.3)
    assert left_weak.pelvic_drop_deg == weak.pelvic_drop_deg


@pytest.mark.parametrize("bad", [-0.1, 2.5, float("nan"), "strong", None, True])
def test_strength_validated(model, bad):
    with pytest.raises(StanceError) as err:
        single_leg_stance(model, "r", abductor_strength=bad)
    text = str(err.value)
    assert "abductor_strength" in text and "\n" not in text and "0" in text and "2" in text


def test_side_validated(model):
    with pytest.raises(StanceError, match="stance side 'x'"):
        single_leg_stance(model, "x")


def test_data_file_validated(tmp_path):
    text = (ROOT / "src" / "glute3d" / "data" / "stance.toml").read_text(encoding="utf-8")
    bad = tmp_path / "stance.toml"
    bad.write_text(text.replace("leg_mass = 0.161", "leg_mass = 1.61"), encoding="utf-8")
    with pytest.raises(StanceDataError) as err:
        stance_spec(bad)
    assert "segments.leg_mass" in str(err.value) and "\n" not in str(err.value)


# ============================================================================ scenes
def _scene(name: str) -> dict:
    return tomllib.loads((SCENES / name).read_text(encoding="utf-8"))


def _numbers(text: str, unit: str) -> list[float]:
    return [float(x) for x in re.findall(rf"(\d+(?:\.\d+)?)\s*{unit}", text)]


def test_scene_17_numbers(normal):
    doc = _scene("17_single_leg_stance.toml")
    assert doc["pose"]["pelvic_drop"] == 0
    caption = doc["caption"]
    assert f"{normal.abductor_force_bw:.1f} times body weight" in caption
    assert f"{normal.joint_force_bw:.1f} times" in caption
    assert round(normal.abductor_lever_arm_mm) in _numbers(caption, "mm")
    assert round(normal.weight_lever_arm_mm) in _numbers(caption, "mm")


def test_scene_18_drop_is_computed(weak):
    doc = _scene("18_trendelenburg_sign.toml")
    assert doc["pose"]["stance"] == "r"
    assert doc["pose"]["pelvic_drop"] == pytest.approx(weak.pelvic_drop_deg)
    assert doc["pose"]["adduction"]["l"] == pytest.approx(-weak.pelvic_drop_deg)  # the swing leg hangs
    assert round(weak.pelvic_drop_deg) in _numbers(doc["caption"], "degrees")
    assert "50%" in doc["caption"]


def test_scene_26_lean_is_computed(weak):
    doc = _scene("26_duchenne_lean.toml")
    assert doc["pose"]["stance"] == "r" and doc["pose"]["pelvic_drop"] == 0
    assert round(weak.trunk_lean_deg) in _numbers(doc["caption"], "degrees")
    trunk = doc["overlays"]["segments"][0]
    start, end = np.array(trunk["start"], float), np.array(trunk["end"], float)
    np.testing.assert_allclose(start, weak.lumbosacral, atol=1.0)
    d = end - start
    assert math.degrees(math.atan2(d[2], d[1])) == pytest.approx(weak.trunk_lean_deg, abs=0.5)  # toward +z: right


def test_drop_solver_finds_a_balance_when_one_exists(model, monkeypatch):
    """With abductors whose lever arm grew fast enough with adduction, the drop would stop short of the limit."""
    from glute3d.teaching import stance as mod

    monkeypatch.setattr(mod, "_arm_ratio", lambda model, side, spec, drops: 1.0 + 0.05 * np.asarray(drops))
    s = single_leg_stance(model, "r", abductor_strength=0.8)
    assert not s.drop_limited and 0.0 < s.pelvic_drop_deg < PELVIS_RANGES["pelvis_list"][1]
    # at that drop the available moment equals the weight's (upright trunk, swing leg hanging)
    seg = stance_spec().segments
    phi = math.radians(s.pelvic_drop_deg)
    half, h = s.hip_center[2] - s.lumbosacral[2], s.lumbosacral[1] - s.hip_center[1]
    m_w = seg.hat_mass * (half * math.cos(phi) + h * math.sin(phi)) + seg.leg_mass * 2 * half * math.cos(phi)
    held = 0.8 * s.supported_weight_bw * s.weight_lever_arm_mm * (1.0 + 0.05 * s.pelvic_drop_deg)
    assert held == pytest.approx(m_w, rel=0.01)  # linear interpolation between 0.5° samples
