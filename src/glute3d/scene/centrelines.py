"""Nerves and arteries as plain centrelines, and the two foramina they leave the pelvis through."""

from __future__ import annotations

from typing import Any

import numpy as np

from glute3d.geometry.curves import tube
from glute3d.scene.naming import FORAMEN_TARGETS
from glute3d.scene.source import OverlayCache
from glute3d.sides import SIDES

__all__ = ["FORAMEN_RUN_MM", "foramen_targets", "path_centrelines"]

#: How much of each path beyond its exit from the pelvis marks a foramen (mm).
FORAMEN_RUN_MM = 25.0
_EXIT_TOLERANCE_MM = 3.0  # a branch passes the exit when it comes this near (beyond its own radius)


def path_centrelines(model: Any) -> dict[str, dict]:
    """Every nerve and artery as plain data.

    Parameters
    ----------
    model : SceneSource
        A model with ``paths`` (or a cache with ``path_centrelines()``, whose answer is returned);
        a model without paths has none.

    Returns
    -------
    dict
        Sided name to ``{"exit": (3,) or None, "branches": {branch: (n, 3) centreline},
        "radii": {branch: mm}}``.
    """
    if isinstance(model, OverlayCache):
        return model.path_centrelines()
    out = {}
    for name, path in getattr(model, "paths", {}).items():
        try:
            exit_ = np.asarray(path.exit, float)
        except ValueError:
            exit_ = None
        out[name] = {
            "exit": exit_,
            "branches": {k: np.asarray(b.centreline, float) for k, b in path.branches.items()},
            "radii": {k: float(b.radius) for k, b in path.branches.items()},
        }
    return out


def _run_beyond_exit(info: dict) -> tuple[np.ndarray, float] | None:
    """The first `FORAMEN_RUN_MM` of the first branch passing the path's exit, and that branch's radius."""
    for branch, c in info["branches"].items():
        radius = float(info.get("radii", {}).get(branch, 0.0))
        d = np.linalg.norm(c - info["exit"], axis=1)
        k = int(np.argmin(d))
        # the faired curve may pass its exit waypoint a few mm off: the thicker, the farther
        if d[k] < _EXIT_TOLERANCE_MM + radius:
            run = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(c[k:], axis=0), axis=1))])
            return c[k:][run <= FORAMEN_RUN_MM], radius
    return None


def foramen_targets(model: Any) -> dict[str, tuple[np.ndarray, float]]:
    """Candidate anchor points of the supra- and infrapiriform foramina of each side, and their lift.

    The points lie on the surfaces of the paths that pass the foramen, over the first
    `FORAMEN_RUN_MM` of each beyond its exit (rings of points around each tube, so the
    thick sciatic nerve does not hide the foramen's thinner vessels and nerves from every
    view), nearest the mean of the exits first; their lift is 0.  A foramen no path of the
    model passes is left out.
    """
    lines = path_centrelines(model)
    out = {}
    for base, (_, paths) in FORAMEN_TARGETS.items():
        for side in SIDES:
            runs = []
            for p in paths:
                info = lines.get(f"{p}_{side}")
                if info is not None and info["exit"] is not None:
                    run = _run_beyond_exit(info)
                    if run is not None:
                        runs.append(run)
            if runs:
                points = np.vstack([_tube_surface(pts, radius) for pts, radius in runs])
                centre = np.mean([pts[0] for pts, _ in runs], axis=0)
                order = np.argsort(np.linalg.norm(points - centre, axis=1), kind="stable")
                out[f"{base}_{side}"] = (points[order], 0.0)
    return out


def _tube_surface(c: np.ndarray, radius: float) -> np.ndarray:
    """Rings of 8 points around the tube of ``radius`` along centreline ``c``, just inside its surface."""
    if len(c) < 2 or radius <= 0.0:
        return c
    return tube(c, 0.95 * radius, sides=8).vertices[:-2]  # the rings, not the centres of the end caps
