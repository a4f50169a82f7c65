"""Our moment arms held against OpenSim Gait2392's path points (../shared/testdata, external).

The numbers asserted are those of FIDELITY.md, the same for every compartment; where ours and
Gait2392 differ in sign or size, FIDELITY.md gives the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from glute3d.anatomy.pose import Pose
from glute3d.teaching.fidelity import (
    COMPARTMENTS,
    FidelityDataError,
    compare,
    crossing_angle,
    load_reference,
)

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(os.environ.get("GLUTE3D_TESTDATA", ROOT.parent / "shared" / "testdata"))
PATHS = TESTDATA / "opensim-gait2392-muscles" / "muscle_paths.json"
needs_data = pytest.mark.skipif(
    not PATHS.is_file(), reason=f"external Gait2392 path points absent ({PATHS}); see FIDELITY.md"
)
FLEXION = np.arange(0, 91, 10)
CLOSE = list(COMPARTMENTS)


@pytest.fixture(scope="module")
def ref():
    return load_reference(PATHS)


@pytest.fixture(scope="module")
def flexion(bone_model, ref):
    return compare(bone_model, ref, [Pose(flexion=float(f)) for f in FLEXION])


@pytest.fixture(scope="module")
def other_ranges(bone_model, ref):
    poses = [Pose(adduction=float(a)) for a in (-40, -20, 20)] + [Pose(rotation=float(r)) for r in (-40, -20, 20, 40)]
    return compare(bone_model, ref, poses)


@needs_data
def test_reference_reproduces_the_known_gait2392_neutral_arms(ref):
    # gluteus medius 1 at neutral, by hand from the path points: extension 14.5 mm, abduction 48 mm
    arms = ref.arms("glut_med1_r", Pose())
    assert arms[0] == pytest.approx(-14.5, abs=0.5) and arms[1] == pytest.approx(-48.0, abs=1.0)


@needs_data
@pytest.mark.parametrize(
    ("name", "tolerance"),
    # the posterior compartments and piriformis within the 15° of the issue (FIDELITY.md)
    [("glut_med3_r", 15.0), ("peri_r", 15.0), ("glut_min3_r", 15.0), ("glut_max1_r", 15.0), ("glut_max2_r", 15.0)],
)
def test_posterior_compartments_turn_to_internal_rotation_where_gait2392_does(flexion, name, tolerance):
    ours = crossing_angle(FLEXION, flexion.ours[name][:, 2])
    theirs = crossing_angle(FLEXION, flexion.theirs[name][:, 2])
    assert ours is not None and theirs is not None
    assert abs(ours - theirs) <= tolerance, (name, ours, theirs)


@needs_data
def test_piriformis_becomes_an_internal_rotator_in_deep_flexion(flexion):
    """Delp et al. 1999 (cadavers): about 29 mm external at 0°, 14 mm internal at 90°."""
    arms = flexion.ours["peri_r"][:, 2]
    assert arms[0] < -20.0 and 3.0 < arms[-1] < 25.0
    assert (np.diff(arms) > 0).all()  # steadily toward internal rotation


@needs_data
@pytest.mark.parametrize("name", CLOSE)
def test_signs_agree_where_gait2392_is_clear(flexion, other_ranges, name):
    agree = [c.sign_agreement(name) for c in (flexion, other_ranges)]
    a, t = sum(x[0] for x in agree), sum(x[1] for x in agree)
    # FIDELITY.md lists each disagreement and its reason (anterior medius/minimus flex, as the
    # anatomical texts say, where Gait2392's points extend; maximus 1 abducts more in abduction)
    assert a / t >= 0.84, (name, a, t)


@needs_data
@pytest.mark.parametrize("name", CLOSE)
def test_magnitudes_are_within_35_percent_on_the_median(flexion, other_ranges, name):
    r = np.concatenate([flexion.ratios(name), other_ranges.ratios(name)])
    assert 0.65 <= float(np.median(r)) <= 1.35, (name, np.median(r))


def test_reference_errors_are_one_line(tmp_path):
    with pytest.raises(FidelityDataError, match="no such file"):
        load_reference(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(FidelityDataError, match="not a readable JSON"):
        load_reference(bad)
    bad.write_text('{"units": "metres", "frames": {"hip_r_in_pelvis": [0, 0, 0]}, "muscles": {}}', encoding="utf-8")
    with pytest.raises(FidelityDataError, match="'glut_med1_r' is missing") as err:
        load_reference(bad)
    assert "\n" not in str(err.value)
    bad.write_text('{"units": "mm"}', encoding="utf-8")
    with pytest.raises(FidelityDataError, match="units"):
        load_reference(bad)
