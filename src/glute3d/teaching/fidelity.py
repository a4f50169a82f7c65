"""Our moment arms held against an independent model: OpenSim's Gait2392 path points.

Gait2392 (Delp et al. 1990, IEEE Trans Biomed Eng 37:757-767; the OpenSim gait model) draws
each gluteal compartment as a straight line through a few path points.  Its pelvis frame and
hip centre are ours (X anterior, Y superior, Z right, hip at ``(-70.7, -66.1, 83.5)`` mm), and
its hip joint rotates as ours (``Rz(flexion) Rx(adduction) Ry(rotation)``), so its moment arms
come straight from the points: ``((p - c) x u) . axis`` with ``p`` the first femur point, ``u``
the unit line to the last pelvis point and the joint axes of :func:`~glute3d.anatomy.pose.hip_axes`
(OpenSim's ``-dL/dq`` of a path without wrapping).  Ours are the cross-section-weighted mean of
each compartment's fibres (:mod:`glute3d.teaching.actions`).

The reference file is not part of glute3d (CC BY 3.0, credit in the file); give its path.

Examples
--------
>>> from glute3d.teaching.fidelity import COMPARTMENTS
>>> COMPARTMENTS["glut_med3_r"].muscle, COMPARTMENTS["glut_med3_r"].fibres
('gluteus_medius_r', (0.6667, 1.0))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glute3d.anatomy.pose import Pose, hip_axes, hip_rotation
from glute3d.teaching.actions import actions

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.model.model import Model

__all__ = [
    "COMPARTMENTS",
    "Compartment",
    "Comparison",
    "FidelityDataError",
    "Reference",
    "compare",
    "crossing_angle",
    "load_reference",
    "our_arms",
]


@dataclass(frozen=True)
class Compartment:
    """A Gait2392 compartment and the fibres of ours that stand for it.

    Attributes
    ----------
    name : str
        Gait2392's muscle name, e.g. ``"glut_med1_r"``.
    label : str
        For tables and plots.
    muscle : str
        Our sided muscle.
    fibres : tuple of float
        ``(q0, q1)``: our fibres whose fraction ``(k + 0.5) / n`` lies in ``[q0, q1)`` (the
        muscle's parts where it has them: medius and minimus anterior / middle / posterior;
        maximus in thirds, superior to inferior, as Gait2392's).
    """

    name: str
    label: str
    muscle: str
    fibres: tuple[float, float]


COMPARTMENTS: dict[str, Compartment] = {
    c.name: c
    for c in (
        Compartment("glut_med1_r", "gluteus medius 1 (anterior)", "gluteus_medius_r", (0.0, 0.3334)),
        Compartment("glut_med2_r", "gluteus medius 2 (middle)", "gluteus_medius_r", (0.3334, 0.6667)),
        Compartment("glut_med3_r", "gluteus medius 3 (posterior)", "gluteus_medius_r", (0.6667, 1.0)),
        Compartment("glut_min1_r", "gluteus minimus 1 (anterior)", "gluteus_minimus_r", (0.0, 0.3)),
        Compartment("glut_min2_r", "gluteus minimus 2 (middle)", "gluteus_minimus_r", (0.3, 0.7)),
        Compartment("glut_min3_r", "gluteus minimus 3 (posterior)", "gluteus_minimus_r", (0.7, 1.0)),
        Compartment("peri_r", "piriformis", "piriformis_r", (0.0, 1.0)),
        Compartment("glut_max1_r", "gluteus maximus 1 (superior)", "gluteus_maximus_r", (0.0, 1 / 3)),
        Compartment("glut_max2_r", "gluteus maximus 2 (middle)", "gluteus_maximus_r", (1 / 3, 2 / 3)),
        Compartment("glut_max3_r", "gluteus maximus 3 (inferior)", "gluteus_maximus_r", (2 / 3, 1.0)),
    )
}
#: Compartments whose turn from external to internal rotation with flexion is compared.
POSTERIOR = ("glut_med3_r", "glut_min3_r", "peri_r")


class FidelityDataError(ValueError):
    """The reference file is missing, not JSON, or lacks a field (one line: file, field, fix)."""


@dataclass(frozen=True)
class Reference:
    """Gait2392's path points of the right hip muscles, mm, pelvis frame (femur points: femur frame)."""

    hip_center: np.ndarray
    pelvis_points: dict[str, np.ndarray]
    femur_points: dict[str, np.ndarray]
    source: str

    def arms(self, name: str, pose: Pose) -> np.ndarray:
        """``(3,)`` flexion, adduction, internal-rotation moment arms of compartment ``name``, mm."""
        rot = hip_rotation(pose, "r")
        p = self.hip_center + self.femur_points[name][0] @ rot.T
        a = self.pelvis_points[name][-1]
        u = (a - p) / np.linalg.norm(a - p)
        return np.cross(p - self.hip_center, u) @ hip_axes(pose, "r").T


def load_reference(path: str | Path) -> Reference:
    """Read Gait2392's ``muscle_paths.json`` (metres) into a :class:`Reference` (mm).

    Raises
    ------
    FidelityDataError
        One line naming the file, the field and the fix.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FidelityDataError(f"{path}: no such file; give the path of Gait2392's muscle_paths.json") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FidelityDataError(f"{path}: not a readable JSON file ({exc}); restore the file") from None
    if doc.get("units") != "metres":
        raise FidelityDataError(f"{path}: field 'units' must be \"metres\", got {doc.get('units')!r}")
    try:
        hip = np.asarray(doc["frames"]["hip_r_in_pelvis"], float) * 1000.0
        muscles = doc["muscles"]
        pelvis = {n: np.asarray(muscles[n]["pelvis_points"], float).reshape(-1, 3) * 1000.0 for n in COMPARTMENTS}
        femur = {n: np.asarray(muscles[n]["femur_points"], float).reshape(-1, 3) * 1000.0 for n in COMPARTMENTS}
    except KeyError as exc:
        raise FidelityDataError(f"{path}: field {exc.args[0]!r} is missing; use the Gait2392 export") from None
    except (TypeError, ValueError) as exc:
        raise FidelityDataError(f"{path}: a path point is not a list of 3 numbers ({exc}); fix the file") from None
    if hip.shape != (3,) or any(len(v) == 0 for v in (*pelvis.values(), *femur.values())):
        raise FidelityDataError(f"{path}: 'hip_r_in_pelvis' must be 3 numbers and every muscle needs points")
    return Reference(hip, pelvis, femur, str(doc.get("source", path)))


def our_arms(model: Model, name: str) -> np.ndarray:
    """``(3,)`` cross-section-weighted moment arms of our fibres of compartment ``name`` in ``model``'s pose.

    The fibres' lines of action are those of :func:`~glute3d.teaching.actions.actions`: from the
    point where each fibre leaves the femur, carried by it, to its anchor, held by the pelvis.
    """
    comp = COMPARTMENTS[name]
    act = actions(model, comp.muscle)
    n = len(act.moment_arms)
    q = (np.arange(n) + 0.5) / n
    idx = (q >= comp.fibres[0]) & (q < comp.fibres[1])
    w = act.weights[idx]
    return np.asarray(w @ act.moment_arms[idx] / w.sum())


@dataclass(frozen=True)
class Comparison:
    """Ours and Gait2392's moment arms over a sequence of poses.

    Attributes
    ----------
    poses : list of Pose
    ours, theirs : dict of str to numpy.ndarray
        Compartment name to ``(n_poses, 3)`` mm (flexion, adduction, internal rotation).
    """

    poses: list[Pose]
    ours: dict[str, np.ndarray]
    theirs: dict[str, np.ndarray]

    def sign_agreement(self, name: str, *, above: float = 5.0) -> tuple[int, int]:
        """``(agreeing, compared)`` signs over every pose and axis where Gait2392's arm exceeds ``above`` mm."""
        o, t = self.ours[name], self.theirs[name]
        mask = np.abs(t) > above
        return int((np.sign(o[mask]) == np.sign(t[mask])).sum()), int(mask.sum())

    def ratios(self, name: str, *, above: float = 5.0) -> np.ndarray:
        """Ours / Gait2392's where Gait2392's arm exceeds ``above`` mm (flattened)."""
        o, t = self.ours[name], self.theirs[name]
        mask = np.abs(t) > above
        return np.asarray(o[mask] / t[mask])


def compare(model: Model, reference: Reference, poses: Sequence[Pose]) -> Comparison:
    """Both models' moment arms of every compartment of :data:`COMPARTMENTS` in each pose."""
    ours: dict[str, list[np.ndarray]] = {n: [] for n in COMPARTMENTS}
    theirs: dict[str, list[np.ndarray]] = {n: [] for n in COMPARTMENTS}
    for pose in poses:
        posed = model.posed(pose)
        for n in COMPARTMENTS:
            ours[n].append(our_arms(posed, n))
            theirs[n].append(reference.arms(n, pose))
    stack = {n: np.array(v) for n, v in ours.items()}
    return Comparison(list(poses), stack, {n: np.array(v) for n, v in theirs.items()})


def crossing_angle(angles: Sequence[float], arms: Sequence[float]) -> float | None:
    """The first angle at which ``arms`` turns from negative to positive (linear between samples), else None.

    Examples
    --------
    >>> crossing_angle([0, 30, 60, 90], [-20.0, -10.0, 5.0, 12.0])
    50.0
    >>> crossing_angle([0, 90], [-3.0, -1.0]) is None
    True
    """
    a = np.asarray(angles, float)
    v = np.asarray(arms, float)
    hits = np.flatnonzero((v[:-1] < 0.0) & (v[1:] >= 0.0))
    if not len(hits):
        return None
    i = int(hits[0])
    return float(a[i] + (a[i + 1] - a[i]) * -v[i] / (v[i + 1] - v[i]))
