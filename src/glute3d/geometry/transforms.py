"""Rigid transforms: rotation about an axis, and the best rigid fit of two point sets."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["axis_rotation", "rigid_fit"]


def axis_rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    """Right-handed rotation matrix about unit ``axis`` (Rodrigues)."""
    a = np.asarray(axis, float)
    a = a / np.linalg.norm(a)
    t = math.radians(degrees)
    k = np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])
    return np.eye(3) + math.sin(t) * k + (1.0 - math.cos(t)) * (k @ k)


def rigid_fit(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 4x4 rigid transform taking ``src`` points onto ``dst`` (Kabsch)."""
    cs, cd = src.mean(0), dst.mean(0)
    u, _, vt = np.linalg.svd((src - cs).T @ (dst - cd))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    rot = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    t = np.eye(4)
    t[:3, :3] = rot
    t[:3, 3] = cd - rot @ cs
    return t
