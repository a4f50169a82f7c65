"""The camera: preset or explicit orientation, and framing points inside a pixel rectangle.

Pure numpy: nothing here knows about VTK.  Model space is millimetres, X anterior,
Y superior, Z to the subject's right; image pixels have x to the right and y downwards.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from glute3d.scene import Camera

__all__ = ["PRESETS", "VIEW_ANGLE", "CameraFrame", "camera_frame", "orientation", "unit", "with_model_box"]

#: Directions from the focal point to the camera, and view-up, of the presets (right side).
PRESETS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "posterior": ((-1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "anterior": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "superior": ((0.0, 1.0, 0.0), (1.0, 0.0, 0.0)),
    "lateral": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
    "oblique": ((0.7, 0.3, 1.0), (0.0, 1.0, 0.0)),
    "posterolateral": ((-0.85, 0.25, 1.0), (0.0, 1.0, 0.0)),
}
#: Presets seen from one side (their Z flips for the left side).
_SIDED = ("lateral", "oblique", "posterolateral")
VIEW_ANGLE = 30.0  # degrees, perspective projection


@dataclass(frozen=True)
class CameraFrame:
    """A camera: position, focal point, view-up, projection and scale (px per mm at focus)."""

    position: np.ndarray
    focal_point: np.ndarray
    up: np.ndarray
    parallel: bool
    parallel_scale: float
    view_angle: float
    px_per_mm: float
    model_box: tuple[float, float, float, float]  # projected geometry, image pixels


def unit(v: Any) -> np.ndarray:
    """``v`` scaled to length 1.

    Examples
    --------
    >>> unit([3.0, 0.0, 4.0]).tolist()
    [0.6, 0.0, 0.8]
    """
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def _rotate(v: np.ndarray, axis: np.ndarray, degrees: float) -> np.ndarray:
    """Rodrigues rotation of ``v`` about unit ``axis``."""
    t = np.radians(degrees)
    k = unit(axis)
    return v * np.cos(t) + np.cross(k, v) * np.sin(t) + k * (k @ v) * (1 - np.cos(t))


def _explicit(cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Position and focal point of a camera without a preset (the scene schema requires both)."""
    if cam.position is None or cam.focal_point is None:
        msg = f"a camera without a preset needs position and focal_point, got {cam.position!r} and {cam.focal_point!r}"
        raise ValueError(msg)
    return np.asarray(cam.position, float), np.asarray(cam.focal_point, float)


def orientation(cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Unit direction focal point -> camera and orthogonal view-up of a scene camera.

    Examples
    --------
    >>> from glute3d.scene import Camera
    >>> d, up = orientation(Camera(preset="lateral", side="l"))
    >>> d.tolist(), up.tolist()
    ([0.0, 0.0, -1.0], [0.0, 1.0, 0.0])
    """
    if cam.effective_preset is not None:
        d0, up0 = PRESETS[cam.effective_preset]
        d, up = np.array(d0, float), np.array(up0, float)
        if cam.effective_preset in _SIDED and cam.effective_side == "l":
            d[2] *= -1.0
        if cam.up is not None:
            up = np.asarray(cam.up, float)
    else:
        position, focal = _explicit(cam)
        d = position - focal
        up = np.asarray(cam.up if cam.up is not None else (0.0, 1.0, 0.0), float)
    d = unit(d)
    if abs(unit(up) @ d) > 0.999:
        up = np.array([1.0, 0.0, 0.0]) if abs(d[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
    up = unit(up - (up @ d) * d)
    if cam.azimuth:
        d = _rotate(d, up, cam.azimuth)
    if cam.elevation:  # positive: the camera rises
        right = np.cross(-d, up)
        d = _rotate(d, right, -cam.elevation)
        up = _rotate(up, right, -cam.elevation)
    if getattr(cam, "roll", 0.0):  # positive: the picture turns counter-clockwise
        up = _rotate(up, d, -cam.roll)
    return unit(d), unit(up - (up @ d) * d)


def camera_frame(
    cam: Camera,
    points: np.ndarray,
    size: tuple[int, int],
    rect: tuple[float, float, float, float],
) -> CameraFrame:
    """Frame ``points`` inside pixel rectangle ``rect`` of a ``size`` picture.

    Parameters
    ----------
    cam : glute3d.scene.Camera
        Preset or explicit camera, zoom and margin.
    points : numpy.ndarray
        ``(n, 3)`` points that must be in view.
    size : (int, int)
        Picture width and height.
    rect : tuple of float
        ``(x0, y0, x1, y1)`` in pixels (y down) the points are fitted into.

    Returns
    -------
    CameraFrame

    Examples
    --------
    >>> from glute3d.scene import Camera
    >>> f = camera_frame(Camera(preset="posterior"), np.array([[-10.0, -10, -10], [10, 10, 10]]),
    ...                  (400, 300), (0, 0, 400, 300))
    >>> bool(f.position[0] < f.focal_point[0])  # behind the model: at -X
    True
    """
    w, h = size
    d, up = orientation(cam)
    right = np.cross(-d, up)
    p = np.asarray(points, float)
    x, y, z = p @ right, p @ up, p @ d
    rx0, ry0, rx1, ry1 = rect
    rw, rh = max(rx1 - rx0, 1.0), max(ry1 - ry0, 1.0)
    ext_x = max(float(x.max() - x.min()), 1e-3)
    ext_y = max(float(y.max() - y.min()), 1e-3)
    fill = 1.0 - 2.0 * cam.margin
    s = min(rw / ext_x, rh / ext_y) * fill * cam.zoom  # px per mm
    radius = float(np.linalg.norm(p.max(0) - p.min(0))) / 2.0
    if cam.effective_preset is None:
        position, focal = _explicit(cam)
        dist = float(np.linalg.norm(position - focal))
    else:
        cx, cy = (x.max() + x.min()) / 2.0, (y.max() + y.min()) / 2.0
        cz = (z.max() + z.min()) / 2.0
        # the model centre goes to the rectangle centre
        dxp = (rx0 + rx1) / 2.0 - w / 2.0
        dyp = h / 2.0 - (ry0 + ry1) / 2.0
        focal = right * (cx - dxp / s) + up * (cy - dyp / s) + d * cz
        dist = 0.0
    parallel = cam.projection == "orthographic"
    half_h = (h / 2.0) / s
    if parallel:
        dist = max(dist, 3.0 * radius + 100.0)
    elif cam.effective_preset is not None:
        dist = half_h / np.tan(np.radians(VIEW_ANGLE / 2.0))
    position = focal + d * dist
    # projected box of the points (orthographic estimate)
    fx, fy = focal @ right, focal @ up
    bx0 = w / 2.0 + (x.min() - fx) * s
    bx1 = w / 2.0 + (x.max() - fx) * s
    by0 = h / 2.0 - (y.max() - fy) * s
    by1 = h / 2.0 - (y.min() - fy) * s
    return CameraFrame(position, focal, up, parallel, half_h, VIEW_ANGLE, s, (bx0, by0, bx1, by1))


def with_model_box(frame: CameraFrame, points: np.ndarray, size: tuple[int, int]) -> CameraFrame:
    """``frame`` with its model box grown to the projection of ``points`` (within the picture)."""
    w, h = size
    d = unit(frame.position - frame.focal_point)
    right = np.cross(-d, frame.up)
    s = frame.px_per_mm
    fx, fy = frame.focal_point @ right, frame.focal_point @ frame.up
    x = w / 2.0 + (points @ right - fx) * s
    y = h / 2.0 - (points @ frame.up - fy) * s
    bx0, by0, bx1, by1 = frame.model_box
    box = (
        max(0.0, min(bx0, float(x.min()))),
        max(0.0, min(by0, float(y.min()))),
        min(float(w), max(bx1, float(x.max()))),
        min(float(h), max(by1, float(y.max()))),
    )
    return replace(frame, model_box=box)
