"""The off-screen pyvista plotter of a resolved scene: window pool, actors, camera, translucency.

The window of each size is kept for the process (:func:`release_plotters` closes them): the
EGL context and the compiled shaders survive from scene to scene, and a new window costs more
than a frame.  Rendering is suppressed while actors are added (pyvista renders after every
``add_mesh`` once a window has been shown); the caller renders once.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.render.camera import CameraFrame, camera_frame, with_model_box
from glute3d.render.polydata import cut, mark_geometry, overlay_geometry, poly
from glute3d.render.style import overlay_rgb
from glute3d.scene import load_theme, parse_color

if TYPE_CHECKING:
    from glute3d.scene import Camera, ResolvedScene

__all__ = ["DEPTH_PEELS", "TRANSLUCENCY", "build_plotter", "release_plotters"]

if not os.environ.get("DISPLAY"):
    # Off-screen EGL render window; must be chosen before VTK's rendering classes load.
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

#: How translucent layers are drawn: ``"oit"``, VTK's order-independent transparency (weighted
#: blended, one pass), or ``"peeling"`` (exact, but each of the `DEPTH_PEELS` passes costs about a
#: frame on this machine's software renderer: 1.2 s instead of 0.45 s for the skin scenes at
#: 1080p, for a picture that differs by less than one grey level on average).
TRANSLUCENCY = "oit"
DEPTH_PEELS = 4

_POOL: dict[tuple[int, int], Any] = {}


def _new_plotter(size: tuple[int, int], off_screen: bool = True) -> Any:
    import pyvista as pv

    pl: Any = pv.Plotter(off_screen=off_screen, window_size=[int(size[0]), int(size[1])], lighting="light kit")
    pl.ren_win.SetMultiSamples(0)  # MSAA + depth peeling hides translucent meshes (llvmpipe)
    return pl


def _pooled_plotter(size: tuple[int, int]) -> Any:
    """The process's kept off-screen plotter of ``size``, cleared (made when missing or closed)."""
    key = (int(size[0]), int(size[1]))
    pl: Any = _POOL.get(key)
    if pl is not None and (getattr(pl, "_closed", False) or pl.render_window is None):
        pl = None
    if pl is None:
        if len(_POOL) >= 2:
            release_plotters()
        pl = _new_plotter(key)
        _POOL[key] = pl
    # pyvista renders after every add_mesh once a window has been shown: draw once, at the end
    pl.suppress_rendering = True
    if not pl._first_time:  # shown before: clear the last scene
        pl.clear_actors()
        pl.disable_depth_peeling()
        pl.renderer.SetUseFXAA(False)
    return pl


def release_plotters() -> None:
    """Close the plotters kept for reuse (done at exit; harmless to call any time)."""
    for pl in list(_POOL.values()):
        try:
            pl.close()
        except Exception:  # pragma: no cover - already closed
            pass
    _POOL.clear()


atexit.register(release_plotters)


@dataclass
class _Drawn:
    """What the actors added so far mean for the camera and the transparency pass."""

    translucent: bool = False
    frame_pts: list[np.ndarray] = field(default_factory=list)  # everything drawn (a sample)
    focus_pts: list[np.ndarray] = field(default_factory=list)  # what the camera frames, if focused


def _add_structures(pl: Any, res: ResolvedScene, theme: dict, drawn: _Drawn) -> None:
    """The structures, in their styles (cut away, coloured per vertex where the scene says)."""
    for item in res.items:
        style = theme["styles"][item.style]
        opacity = float(item.opacity if item.opacity is not None else style["opacity"])
        data = poly(item.mesh)
        if item.cut is not None:
            data = cut(data, item.cut)
            if data.n_cells == 0:
                continue
        drawn.translucent |= opacity < 1.0
        colour: dict[str, Any]
        if item.vertex_colors is not None and item.cut is None:
            data = data.copy(deep=False)
            data.point_data["RGB"] = np.clip(np.round(item.vertex_colors * 255), 0, 255).astype(np.uint8)
            colour = {"scalars": "RGB", "rgb": True}
        else:
            colour = {"color": parse_color(item.color or style["color"])}
        pl.add_mesh(
            data,
            opacity=opacity,
            smooth_shading=True,
            ambient=style["ambient"],
            diffuse=style["diffuse"],
            specular=style["specular"],
            specular_power=style["specular_power"],
            name=f"structure:{item.name}",
            reset_camera=False,
            **colour,
        )
        pts = np.asarray(data.points)
        drawn.frame_pts.append(pts[:: max(1, len(pts) // 3000)])
        if item.name in res.focus_items:
            drawn.focus_pts.append(pts[:: max(1, len(pts) // 3000)])


def _add_overlays_and_marks(pl: Any, res: ResolvedScene, theme: dict, drawn: _Drawn) -> None:
    """Landmark overlays (spheres, tubes, lifted patches) and marks (injection aids)."""
    ov = theme["overlay"]
    scene = res.scene
    r_point = float(scene.overlays.point_radius or ov["point_radius"])
    r_tube = float(scene.overlays.tube_radius or ov["tube_radius"])
    material = dict(
        ambient=ov["ambient"],
        diffuse=ov["diffuse"],
        specular=ov["specular"],
        specular_power=ov["specular_power"],
        smooth_shading=True,
        reset_camera=False,
    )
    for o in res.overlays:
        geom = overlay_geometry(o, r_point, r_tube, ov["patch_offset"])
        pl.add_mesh(geom, color=overlay_rgb(o, theme, res), name=f"overlay:{o.name}", **material)
        drawn.frame_pts.append(np.asarray(geom.points)[:: max(1, geom.n_points // 500)])
    for m in res.marks:
        geom = mark_geometry(m)
        drawn.translucent |= m.opacity < 1.0
        pl.add_mesh(geom, color=parse_color(m.color), name=f"mark:{m.name}", opacity=m.opacity, **material)
        drawn.frame_pts.append(np.asarray(geom.points)[:: max(1, geom.n_points // 300)])


def _frame(
    camera: Camera, drawn: _Drawn, size: tuple[int, int], rect: tuple[float, float, float, float]
) -> CameraFrame:
    """The camera framing the focus (or everything drawn) into ``rect``."""
    if drawn.focus_pts:
        pts = np.vstack(drawn.focus_pts)
    else:
        pts = np.vstack(drawn.frame_pts) if drawn.frame_pts else np.zeros((1, 3))
    frame = camera_frame(camera, pts, size, rect)
    if drawn.focus_pts and drawn.frame_pts:
        # labels keep clear of everything drawn, not only of the framed part
        frame = with_model_box(frame, np.vstack(drawn.frame_pts), size)
    return frame


def _set_camera(pl: Any, camera: Camera, frame: CameraFrame) -> None:
    cam = pl.camera
    cam.SetFocalPoint(*frame.focal_point)
    cam.SetPosition(*frame.position)
    cam.SetViewUp(*frame.up)
    if frame.parallel:
        cam.SetParallelProjection(True)
        cam.SetParallelScale(frame.parallel_scale)
    else:
        cam.SetParallelProjection(False)
        cam.SetViewAngle(frame.view_angle)
        if camera.effective_preset is None:
            cam.Zoom(camera.zoom)
    pl.renderer.ResetCameraClippingRange()


def _set_passes(pl: Any, translucent: bool, anti_aliasing: bool) -> None:
    """Depth peeling when asked for (else VTK's order-independent transparency draws
    translucent layers, in one pass) and FXAA."""
    if translucent and TRANSLUCENCY == "peeling":
        pl.enable_depth_peeling(number_of_peels=DEPTH_PEELS, occlusion_ratio=0.0)
    # pyvista's enable_anti_aliasing("fxaa") refuses EGL, but VTK's FXAA works here.
    pl.renderer.SetUseFXAA(bool(anti_aliasing))


def build_plotter(
    res: ResolvedScene,
    size: tuple[int, int],
    rect: tuple[float, float, float, float],
    *,
    anti_aliasing: bool = True,
    reuse: bool = False,
    off_screen: bool = True,
    window: tuple[int, int] | None = None,
) -> tuple[Any, CameraFrame]:
    """A configured off-screen pyvista Plotter for a resolved scene (not yet rendered).

    Parameters
    ----------
    res : ResolvedScene
        What to draw.
    size : (int, int)
        Window size in pixels.
    rect : tuple of float
        Pixel rectangle the geometry is framed into.
    anti_aliasing : bool
        FXAA on (teaching renders) or off (image tests).
    reuse : bool
        Take the process's kept plotter of this size (cleared) instead of a new one; the
        caller must then *not* close it (see :func:`release_plotters`).  Without ``reuse``
        the caller must ``close()`` the plotter.
    off_screen : bool
        ``False``: a window on the display (the interactive viewer; never pooled).
    window : (int, int), optional
        The window's size when it is not the picture's (a tile of it, see
        :mod:`~glute3d.render.tiles`); the camera frames the picture of ``size``.

    Returns
    -------
    (pyvista.Plotter, CameraFrame)
    """
    theme = load_theme()
    scene = res.scene
    win = size if window is None else window
    pl = _pooled_plotter(win) if reuse and off_screen else _new_plotter(win, off_screen)
    try:
        pl.set_background("white" if scene.background == "transparent" else parse_color(scene.background))
        drawn = _Drawn(focus_pts=[] if res.focus_points is None else [np.asarray(res.focus_points, float)])
        _add_structures(pl, res, theme, drawn)
        _add_overlays_and_marks(pl, res, theme, drawn)
        frame = _frame(scene.camera, drawn, size, rect)
        _set_camera(pl, scene.camera, frame)
        _set_passes(pl, drawn.translucent, anti_aliasing)
        return pl, frame
    except BaseException:
        if reuse:
            release_plotters()
        else:
            pl.close()
        raise
