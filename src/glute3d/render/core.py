"""Render a scene: Scene + Model -> pyvista Plotter -> PNG, off-screen.

The 3D part is one pyvista render (structures, landmark overlays, injection marks and the
safety map, light kit, FXAA, order-independent transparency when something is translucent).
Text is drawn afterwards in screen space with Pillow on a transparent layer and composited over
the render: title, caption, legend, colour bar, scale bar and labels in the side margins with
leader lines (see :mod:`glute3d.labels`).  A label's anchor is tested against the z-buffer of
the same render, so a target hidden behind another structure gets a dashed leader and no dot
instead of a dot shining through.

Speed (``glute3d deck`` renders many scenes in one process): the off-screen window is kept from
scene to scene (:func:`release_plotters` closes it), pyvista geometry is cached per mesh, and the
generated soft tissues come from a disk cache (:class:`CachedModel`).

Everything is deterministic: the same scene on the same machine gives the same pixels.

Examples
--------
>>> import glute3d
>>> from glute3d.scene import Scene
>>> from glute3d.render import render
>>> result = render(Scene.from_file("scenes/01_bones_posterior.toml"), glute3d.load_model())
>>> result.image.shape
(1080, 1920, 3)
"""

from __future__ import annotations

import io
import json
import os
import pickle
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glute3d.io.atomic import write_atomically
from glute3d.render.labels import Placement, choose_sides, layout_labels
from glute3d.scene.core import ResolvedScene, Scene, display_name, load_theme, parse_color

__all__ = ["CachedModel", "RenderResult", "build_plotter", "cache_dir", "cached_model", "camera_frame",
           "release_plotters", "render", "render_to_file", "write_png"]

if not os.environ.get("DISPLAY"):
    # Off-screen EGL render window; must be chosen before VTK's rendering classes load.
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

#: Directions from the focal point to the camera, and view-up, of the presets (right side).
_PRESETS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "posterior": ((-1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "anterior": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "superior": ((0.0, 1.0, 0.0), (1.0, 0.0, 0.0)),
    "lateral": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
    "oblique": ((0.7, 0.3, 1.0), (0.0, 1.0, 0.0)),
    "posterolateral": ((-0.85, 0.25, 1.0), (0.0, 1.0, 0.0)),
}
_VIEW_ANGLE = 30.0  # degrees, perspective projection


# =============================================================================== soft-tissue cache
#: Files whose contents decide the generated soft tissues (with the bones and landmarks).
_TISSUE_SOURCES = ("anatomy/*.py", "geometry/*.py", "io/*.py", "model/*.py", "teaching/*.py", "sides.py",
                   "data/muscles.toml", "data/paths.toml", "data/skin.toml")
_CACHE_FORMAT = 3


def cache_dir() -> Path | None:
    """Where generated soft tissues are kept between runs (``None``: no disk cache).

    ``$GLUTE3D_CACHE`` (``0``, ``off`` or empty: none), else ``$XDG_CACHE_HOME/glute3d``, else
    ``~/.cache/glute3d``.
    """
    env = os.environ.get("GLUTE3D_CACHE")
    if env is not None:
        return None if env.strip().lower() in ("", "0", "off", "no", "false") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "glute3d"


class CachedModel:
    """A model whose generated soft tissues come from a disk cache when they can.

    Generating the muscles, nerves, arteries and skin of a model takes many seconds; a scene
    needs only their meshes (and, for injection overlays, the sites and the safety map).  This
    wrapper keeps those results in files named by a fingerprint of everything they depend on
    (the bones and landmarks, the generators' source and data files, the prebuilt skin file,
    the pose and the anatomical variants), so the second run of any scene reads them in
    milliseconds.  Everything else is the wrapped model's.

    Parameters
    ----------
    model : glute3d.Model
        The model (neutral or posed).
    folder : pathlib.Path, optional
        Cache folder; default :func:`cache_dir` (``None`` there: memory only).
    """

    def __init__(self, model: Any, folder: Path | None | str = "default", *, _base: str | None = None,
                 _variants: dict | None = None):
        self._model = model
        self._folder = cache_dir() if folder == "default" else (Path(folder) if folder else None)
        self._variants = dict(_variants or {})
        self._base = _base or _model_fingerprint(model)
        self._mem: dict[str, Any] = {}
        self._children: dict[tuple, CachedModel] = {}

    # ------------------------------------------------------------------ forwarding
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._model, name)

    @property
    def model(self) -> Any:
        """The wrapped model."""
        return self._model

    def posed(self, pose: Any) -> "CachedModel":
        """The posed model, wrapped (one wrapper per pose, so its meshes are read once)."""
        key = ("posed", tuple(pose.angles(s) for s in ("r", "l")))
        if key not in self._children:
            self._children[key] = CachedModel(self._model.posed(pose), self._folder, _base=self._base,
                                              _variants=self._variants)
        return self._children[key]

    def with_variant(self, **switches: str) -> "CachedModel":
        """The model with anatomical variants switched, wrapped (one wrapper per choice)."""
        chosen = {**self._variants, **switches}
        key = ("variant", tuple(sorted(chosen.items())))
        if key not in self._children:
            self._children[key] = CachedModel(self._model.with_variant(**switches), self._folder,
                                              _base=self._base, _variants=chosen)
        return self._children[key]

    # ------------------------------------------------------------------ keys and files
    def _key(self, what: str) -> str:
        import hashlib

        pose = getattr(self._model, "pose", None)
        angles = [pose.angles(s) for s in ("r", "l")] if pose is not None else None
        variants = {k: v for k, v in sorted(self._variants.items()) if v != "normal"}
        extra = json.dumps([self._base, angles, variants, what, _CACHE_FORMAT], sort_keys=True, default=str)
        return hashlib.sha256(extra.encode()).hexdigest()[:24]

    def _cached(self, what: str, make: Any) -> Any:
        key = self._key(what)
        if key in self._mem:
            return self._mem[key]
        value = None
        path = self._folder / f"{key}.pkl" if self._folder is not None else None
        if path is not None and path.is_file():
            try:
                with open(path, "rb") as fh:
                    value = pickle.load(fh)
            except Exception:  # a broken or foreign file: make it again
                value = None
        if value is None:
            value = make()
            if path is not None:
                try:
                    write_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
                    _prune(self._folder)
                except OSError:
                    pass  # a read-only cache folder only costs time
        self._mem[key] = value
        return value

    def preload(self) -> bool:
        """Read the soft tissues now if the cache holds them (never generates); True if it did."""
        path = self._folder / f"{self._key('meshes')}.pkl" if self._folder is not None else None
        if path is None or not path.is_file():
            return False
        self.meshes  # noqa: B018 - fills the memory cache
        return True

    # ------------------------------------------------------------------ what scenes need
    @property
    def meshes(self) -> dict:
        """Bones (from the model) and the generated soft tissues (from the cache)."""
        from glute3d.geometry.mesh import Mesh

        bones = self._model.bones

        def make() -> dict:
            all_ = self._model.meshes
            return {"names": list(all_), "arrays": {n: (np.asarray(m.vertices), np.asarray(m.faces))
                                                   for n, m in all_.items() if n not in bones}}

        data = self._cached("meshes", make)
        out = {}
        for n in data["names"]:
            if n in bones:
                out[n] = bones[n]
            else:
                out[n] = _mesh_of(data["arrays"][n], Mesh)
        return out

    def part_meshes(self) -> dict:
        """Muscle parts by sided name, e.g. ``gluteus_minimus_anterior_r``."""
        from glute3d.geometry.mesh import Mesh

        def make() -> dict:
            out = {}
            for m in self._model.muscles.values():
                out.update({k: (v.vertices, v.faces) for k, v in m.part_meshes().items()})
            return out

        return {n: _mesh_of(a, Mesh) for n, a in self._cached("parts", make).items()}

    def path_centrelines(self) -> dict:
        """Nerve and artery centrelines and exits (see :func:`glute3d.scene.path_centrelines`)."""
        from glute3d.scene.core import path_centrelines

        return self._cached("centrelines", lambda: path_centrelines(self._model))

    def injection_data(self, needle_mm: float) -> dict:
        """Injection sites, needle reports and safety distances (see :func:`glute3d.scene.injection_data`)."""
        from glute3d.geometry.mesh import Mesh
        from glute3d.scene.core import injection_data

        def make() -> dict:
            data = dict(injection_data(self._model, needle_mm))
            data["skin"] = (data["skin"].vertices, data["skin"].faces)
            return data

        data = dict(self._cached(f"injection:{float(needle_mm):g}", make))
        data["skin"] = _mesh_of(data["skin"], Mesh)
        return data


_MESHES: dict[tuple[int, int], Any] = {}


def _mesh_of(arrays: tuple[np.ndarray, np.ndarray], cls: Any) -> Any:
    """One Mesh object per cached pair of arrays (so per-mesh caches downstream hit)."""
    key = (id(arrays[0]), id(arrays[1]))
    hit = _MESHES.get(key)
    if hit is None or hit[0] is not arrays:
        hit = (arrays, cls(arrays[0], arrays[1]))
        _MESHES[key] = hit
    return hit[1]


def _model_fingerprint(model: Any) -> str:
    """Hash of what generated soft tissues depend on (bones, landmarks, sources, skin file)."""
    import hashlib

    neutral = getattr(model, "neutral", model)
    h = hashlib.sha256()
    for name in sorted(neutral.bones):
        m = neutral.bones[name]
        h.update(name.encode())
        h.update(np.ascontiguousarray(m.vertices).tobytes())
        h.update(np.ascontiguousarray(m.faces).tobytes())
    lm = neutral.landmarks
    for table in (lm.points, lm.curves):
        for k in sorted(table):
            h.update(k.encode())
            h.update(table[k][0].encode())
            h.update(np.ascontiguousarray(table[k][1]).tobytes())
    for k in sorted(lm.regions):
        for bone, faces in lm.regions[k]:
            h.update(f"{k}:{bone}".encode())
            h.update(np.ascontiguousarray(faces).tobytes())
    h.update(json.dumps(getattr(neutral, "parameters", {}), sort_keys=True, default=str).encode())
    pkg = Path(__file__).resolve().parents[1]  # the glute3d package
    for pattern in _TISSUE_SOURCES:
        for p in sorted(pkg.glob(pattern)):
            h.update(p.relative_to(pkg).as_posix().encode())
            h.update(p.read_bytes())
    source = getattr(neutral, "source", None)
    skin = Path(source) / "skin.ply" if source is not None else None
    if skin is not None and skin.is_file():
        st = skin.stat()
        h.update(f"skin:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _prune(folder: Path | None, keep: int = 40) -> None:
    """Keep the ``keep`` most recently used cache files."""
    if folder is None:
        return
    files = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in files[keep:]:
        p.unlink(missing_ok=True)


_WRAPPED: dict[int, tuple[Any, CachedModel]] = {}


def cached_model(model: Any) -> Any:
    """``model`` wrapped in a :class:`CachedModel` (once per model object); other models as they are.

    Only models with generated soft tissues (``muscles``) are wrapped.
    """
    if isinstance(model, CachedModel):
        return model
    from glute3d.model.model import Model

    if not isinstance(model, Model):
        return model
    hit = _WRAPPED.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    wrapped = CachedModel(model)
    if len(_WRAPPED) > 16:
        _WRAPPED.clear()
    _WRAPPED[id(model)] = (model, wrapped)
    return wrapped


# =============================================================================== results
@dataclass
class LabelResult:
    """A drawn label: its text, box, anchor and whether the anchor was visible."""

    text: str
    target: str
    box: tuple[float, float, float, float]
    anchor: tuple[float, float]
    visible: bool
    side: str


@dataclass
class RenderResult:
    """The picture and what was drawn on it.

    Attributes
    ----------
    image : numpy.ndarray
        ``(h, w, 3)`` uint8, or ``(h, w, 4)`` for a transparent background.
    labels : list of LabelResult
    warnings : list of str
        Things a lecturer should know (e.g. a label target hidden behind another structure).
    """

    image: np.ndarray
    labels: list[LabelResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# =============================================================================== camera
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


def _unit(v: Any) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def _rotate(v: np.ndarray, axis: np.ndarray, degrees: float) -> np.ndarray:
    """Rodrigues rotation of ``v`` about unit ``axis``."""
    t = np.radians(degrees)
    k = _unit(axis)
    return v * np.cos(t) + np.cross(k, v) * np.sin(t) + k * (k @ v) * (1 - np.cos(t))


def _orientation(cam) -> tuple[np.ndarray, np.ndarray]:
    """Unit direction focal -> camera and orthogonal view-up for a scene camera."""
    if cam.effective_preset is not None:
        d, up = _PRESETS[cam.effective_preset]
        d, up = np.array(d, float), np.array(up, float)
        if cam.effective_preset in ("lateral", "oblique", "posterolateral") and cam.effective_side == "l":
            d[2] *= -1.0
        if cam.up is not None:
            up = np.asarray(cam.up, float)
    else:
        d = np.subtract(cam.position, cam.focal_point)
        up = np.asarray(cam.up if cam.up is not None else (0.0, 1.0, 0.0), float)
    d = _unit(d)
    if abs(_unit(up) @ d) > 0.999:
        up = np.array([1.0, 0.0, 0.0]) if abs(d[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
    up = _unit(up - (up @ d) * d)
    if cam.azimuth:
        d = _rotate(d, up, cam.azimuth)
    if cam.elevation:  # positive: the camera rises
        right = np.cross(-d, up)
        d = _rotate(d, right, -cam.elevation)
        up = _rotate(up, right, -cam.elevation)
    if getattr(cam, "roll", 0.0):  # positive: the picture turns counter-clockwise
        up = _rotate(up, d, -cam.roll)
    return _unit(d), _unit(up - (up @ d) * d)


def camera_frame(
    cam,
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
    """
    w, h = size
    d, up = _orientation(cam)
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
        focal = np.asarray(cam.focal_point, float)
        dist = float(np.linalg.norm(np.subtract(cam.position, cam.focal_point)))
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
        dist = half_h / np.tan(np.radians(_VIEW_ANGLE / 2.0))
    position = focal + d * dist
    # projected box of the points (orthographic estimate)
    fx, fy = focal @ right, focal @ up
    bx0 = w / 2.0 + (x.min() - fx) * s
    bx1 = w / 2.0 + (x.max() - fx) * s
    by0 = h / 2.0 - (y.max() - fy) * s
    by1 = h / 2.0 - (y.min() - fy) * s
    return CameraFrame(position, focal, up, parallel, half_h, _VIEW_ANGLE, s, (bx0, by0, bx1, by1))


def _with_model_box(frame: CameraFrame, points: np.ndarray, size: tuple[int, int]) -> CameraFrame:
    """``frame`` with its model box grown to the projection of ``points`` (within the picture)."""
    from dataclasses import replace

    w, h = size
    d = _unit(frame.position - frame.focal_point)
    right = np.cross(-d, frame.up)
    s = frame.px_per_mm
    fx, fy = frame.focal_point @ right, frame.focal_point @ frame.up
    x = w / 2.0 + (points @ right - fx) * s
    y = h / 2.0 - (points @ frame.up - fy) * s
    bx0, by0, bx1, by1 = frame.model_box
    box = (max(0.0, min(bx0, float(x.min()))), max(0.0, min(by0, float(y.min()))),
           min(float(w), max(bx1, float(x.max()))), min(float(h), max(by1, float(y.max()))))
    return replace(frame, model_box=box)


# =============================================================================== fonts and text
def _font_path(bold: bool = False) -> str | None:
    """DejaVu Sans from matplotlib's data (a pyvista dependency), without importing matplotlib."""
    import importlib.util

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    spec = importlib.util.find_spec("matplotlib")
    for base in (spec.submodule_search_locations or []) if spec else []:
        p = Path(base) / "mpl-data" / "fonts" / "ttf" / name
        if p.is_file():
            return str(p)
    for p in (Path("/usr/share/fonts/truetype/dejavu") / name,):
        if p.is_file():
            return str(p)
    return None


_FONTS: dict[tuple[int, bool], Any] = {}


def _font(px: int, bold: bool = False):
    from PIL import ImageFont

    key = (px, bold)
    if key not in _FONTS:
        path = _font_path(bold)
        _FONTS[key] = ImageFont.truetype(path, px) if path else ImageFont.load_default(px)
    return _FONTS[key]


def _wrap(text: str, font, max_width: float) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n"):
        words, line = para.split(), ""
        for word in words:
            trial = f"{line} {word}".strip()
            if line and font.getlength(trial) > max_width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def _block_size(lines: list[str], font, leading: float) -> tuple[float, float]:
    width = max((font.getlength(t) for t in lines), default=0.0)
    return float(width), float(len(lines) * font.size * leading)


# =============================================================================== layout before the render
@dataclass
class _Layout:
    size: tuple[int, int]
    scale: float  # text scale factor (px per "1.0")
    pad: float
    label_px: int
    title: list[str]
    title_px: int
    caption: list[str]
    caption_px: int
    label_lines: list[list[str]]
    label_sizes: np.ndarray
    sides: list[str]
    legend_entries: list[tuple[str, tuple[float, float, float]]]
    legend_rows: list[list[int]]
    legend_h: float
    bottom_h: float
    top_h: float
    gap: float
    rect: tuple[float, float, float, float]
    columns: dict[str, float]
    leading: float = 1.18
    colorbar_h: float = 0.0


def _text_color(theme: dict, background: str) -> tuple[str, str]:
    if background == "transparent":
        return theme["text"]["color"], "#ffffff"
    r, g, b = parse_color(background)
    dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45
    if dark:
        return theme["text"]["light_color"], "#000000"
    return theme["text"]["color"], "#ffffff"


def _legend_entries(res: ResolvedScene, theme: dict) -> list[tuple[str, tuple[float, float, float]]]:
    out: list[tuple[str, tuple[float, float, float]]] = []
    seen = set()
    for text, style, color in res.legend:
        rgb = parse_color(color or theme["styles"][style]["color"])
        if (text, rgb) not in seen:
            seen.add((text, rgb))
            out.append((text, rgb))
    points = False
    labelled = {L.target for L in res.labels}
    for o in res.overlays:
        if o.kind != "region" and o.name in labelled:
            continue  # the label already names it
        if o.kind == "point":
            points = True
            continue
        text = _strip_side(display_name(o.name)) if res.scene.label_sides != "always" else display_name(o.name)
        rgb = _overlay_rgb(o, theme, res)
        if (text, rgb) not in seen:
            seen.add((text, rgb))
            out.append((text, rgb))
    if points:
        out.append(("Bony landmarks", parse_color(theme["overlay"]["point_color"])))
    for m in res.marks:
        if m.legend:
            rgb = parse_color(m.color)
            if (m.legend, rgb) not in seen and m.legend not in {t for t, _ in out}:
                seen.add((m.legend, rgb))
                out.append((m.legend, rgb))
    return out


def _strip_side(text: str) -> str:
    for suffix in (", right", ", left"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def _plan(res: ResolvedScene, size: tuple[int, int], theme: dict, predicted_x: np.ndarray, center_x_world: float) -> _Layout:
    """Measure every text and reserve the bands and margins before the camera is framed."""
    scene = res.scene
    w, h = size
    t = theme["text"]
    k = scene.text_scale
    pad = round(0.022 * min(w, h))
    label_px = max(int(t["min_size"]), round(h * t["label_size"] * k))
    title_px = max(int(t["min_size"]) + 2, round(h * t["title_size"] * k))
    caption_px = max(int(t["min_size"]), round(h * t["caption_size"] * k))
    leading = 1.18
    title = _wrap(scene.title, _font(title_px, True), 0.92 * w) if scene.title else []
    caption = _wrap(scene.caption, _font(caption_px), 0.86 * w) if scene.caption else []
    lf = _font(label_px)
    max_w = t["max_label_width"] * w
    label_lines = [_wrap(L.text, lf, max_w) for L in res.labels]
    label_sizes = np.array([_block_size(lines, lf, leading) for lines in label_lines]).reshape(-1, 2)
    # legend rows
    entries = _legend_entries(res, theme) if scene.legend else []
    lg_font = _font(caption_px)
    sw = caption_px * 0.9
    rows: list[list[int]] = []
    x, row = 0.0, []
    avail = w - 2 * pad - (0.22 * w if scene.scale_bar else 0.0)
    for i, (text, _) in enumerate(entries):
        ew = sw + 0.4 * caption_px + lg_font.getlength(text) + 1.2 * caption_px
        if row and x + ew > avail:
            rows.append(row)
            row, x = [], 0.0
        row.append(i)
        x += ew
    if row:
        rows.append(row)
    legend_h = len(rows) * caption_px * 1.45
    bar_h = caption_px * 2.2 if scene.scale_bar else 0.0
    top_h = (len(title) * title_px * 1.2 + pad * 0.8) if title else 0.0
    colorbar_h = caption_px * 3.6 if res.safety is not None else 0.0
    bottom_h = len(caption) * caption_px * leading + max(legend_h, bar_h) + colorbar_h
    bottom_h += pad * 0.6 if bottom_h else 0.0
    gap = max(0.035 * w, 2.5 * label_px)
    # sides: predicted from world positions (the camera orientation is known)
    area_h = h - top_h - bottom_h - 2 * pad
    sides = choose_sides(predicted_x, [L.side for L in res.labels], center_x_world,
                         label_sizes[:, 1] + 0.35 * label_px, area_h) if res.labels else []
    for _ in range(4):  # too many labels for one margin: smaller label text
        load = max([sum(label_sizes[i, 1] + 0.35 * label_px for i, s in enumerate(sides) if s == side)
                    for side in ("left", "right")], default=0.0)
        if load <= area_h or label_px <= int(t["min_size"]):
            break
        label_px = max(int(t["min_size"]), int(label_px * area_h / load))
        lf = _font(label_px)
        label_lines = [_wrap(L.text, lf, max_w) for L in res.labels]
        label_sizes = np.array([_block_size(lines, lf, leading) for lines in label_lines]).reshape(-1, 2)
    wl = max([label_sizes[i, 0] for i, s in enumerate(sides) if s == "left"], default=0.0)
    wr = max([label_sizes[i, 0] for i, s in enumerate(sides) if s == "right"], default=0.0)
    x0 = pad + (wl + gap if wl else 0.0)
    x1 = w - pad - (wr + gap if wr else 0.0)
    y0 = pad + top_h
    y1 = h - pad - bottom_h
    return _Layout(size, k, pad, label_px, title, title_px, caption, caption_px, label_lines, label_sizes,
                   sides, entries, rows, legend_h, bottom_h, top_h, gap, (x0, y0, x1, y1),
                   {"left": float(wl), "right": float(wr)}, leading, colorbar_h)


# =============================================================================== geometry to pyvista
_GEOMETRY: "OrderedDict[tuple, tuple[Any, Any]]" = OrderedDict()  # key -> (source object, pyvista data)
_GEOMETRY_MAX = 160


def _memo(key: tuple, source: Any, make: Any) -> Any:
    """Per-process cache of pyvista geometry made from ``source`` (checked by identity)."""
    hit = _GEOMETRY.get(key)
    if hit is not None and hit[0] is source:
        _GEOMETRY.move_to_end(key)
        return hit[1]
    value = make()
    _GEOMETRY[key] = (source, value)
    while len(_GEOMETRY) > _GEOMETRY_MAX:
        _GEOMETRY.popitem(last=False)
    return value


def _poly(mesh, normals: bool = True):
    """A pyvista PolyData of a Mesh, with point normals for smooth shading (cached per mesh)."""

    def make():
        import pyvista as pv

        v = np.asarray(mesh.vertices, float)
        f = np.asarray(mesh.faces, np.int64)
        cells = np.column_stack([np.full(len(f), 3, np.int64), f]).ravel()
        poly = pv.PolyData(v, cells)
        if normals:
            poly.point_data["Normals"] = _vertex_normals(v, f)
            poly.point_data.active_normals_name = "Normals"
        return poly

    return _memo(("poly", id(mesh), normals), mesh, make)


def _vertex_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (as :attr:`glute3d.mesh.Mesh.vertex_normals`, with bincount)."""
    t = v[f]
    fn = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    idx = f.ravel()
    vn = np.column_stack([np.bincount(idx, weights=np.repeat(fn[:, k], 3), minlength=len(v)) for k in range(3)])
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def _cut(poly, cut):
    """Remove the part of ``poly`` on the normal side of the cut plane (capped if asked; cached)."""

    def make():
        side = (np.asarray(poly.points) - cut.origin) @ cut.normal
        if side.max() <= 0.0:  # wholly on the kept side: nothing to cut
            return poly
        if cut.cap:
            try:
                out = poly.clip_closed_surface(normal=tuple(-cut.normal), origin=tuple(cut.origin))
                if out.n_cells:
                    return out.compute_normals(split_vertices=True, feature_angle=50.0, auto_orient_normals=False)
            except Exception:  # not a closed surface: fall back to an open cut
                pass
        out = poly.clip(normal=tuple(cut.normal), origin=tuple(cut.origin), invert=True)
        if not out.n_cells:
            return out
        try:
            return out.extract_surface(algorithm="dataset_surface")
        except TypeError:  # pragma: no cover - older pyvista without the keyword
            return out.extract_surface()

    key = ("cut", id(poly), tuple(np.round(cut.origin, 6)), tuple(np.round(cut.normal, 6)), cut.cap)
    return _memo(key, poly, make)


def _overlay_rgb(o, theme: dict, res: ResolvedScene) -> tuple[float, float, float]:
    from glute3d.anatomy.knowledge import split_side

    if o.color:
        return parse_color(o.color)
    ov = theme["overlay"]
    if o.kind == "point":
        return parse_color(ov["point_color"])
    base = split_side(o.name)[0]
    if base in ov["colors"]:
        return parse_color(ov["colors"][base])
    palette = ov["palette"]["colors"]
    others = [x.name for x in res.overlays if x.kind != "point" and split_side(x.name)[0] not in ov["colors"]]
    return parse_color(palette[others.index(o.name) % len(palette)])


def _tube(points: np.ndarray, radius: float, *, dashed: bool = False):
    """A tube along a polyline (dashes of ~6 radii with gaps of ~4 when ``dashed``)."""
    import pyvista as pv

    pts = np.asarray(points, float)
    if not dashed:
        line = pv.lines_from_points(pts)
        return line.tube(radius=radius, n_sides=14, capping=True)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    dash, gap = 6.0 * radius, 4.0 * radius
    pieces, lines, n = [], [], 0
    start = 0.0
    while start < s[-1]:
        end = min(start + dash, s[-1])
        t = np.linspace(start, end, max(2, int((end - start) / max(radius, 0.5)) + 2))
        piece = np.column_stack([np.interp(t, s, pts[:, k]) for k in range(3)])
        pieces.append(piece)
        lines.append(np.concatenate([[len(piece)], n + np.arange(len(piece))]))
        n += len(piece)
        start = end + gap
    poly = pv.PolyData(np.vstack(pieces), lines=np.concatenate(lines))
    return poly.tube(radius=radius, n_sides=14, capping=True)


def _mark_geometry(m):
    """PolyData of a resolved Mark (cached per mark geometry)."""
    import pyvista as pv

    def make():
        if m.kind == "line":
            return _tube(m.geometry, m.radius, dashed=m.dashed)
        if m.kind == "point":
            return pv.Sphere(radius=m.radius, center=tuple(np.asarray(m.geometry, float)),
                             theta_resolution=24, phi_resolution=16)
        if m.kind == "needle":
            return _tube(m.geometry, m.radius)
        return _poly(m.geometry)

    return _memo(("mark", id(m.geometry), m.kind, m.radius, m.dashed), m.geometry, make)


# =============================================================================== plotter
_POOL: dict[tuple[int, int], Any] = {}
#: How translucent layers are drawn: ``"oit"``, VTK's order-independent transparency (weighted
#: blended, one pass), or ``"peeling"`` (exact, but each of the `DEPTH_PEELS` passes costs about a
#: frame on this machine's software renderer: 1.2 s instead of 0.45 s for the skin scenes at
#: 1080p, for a picture that differs by less than one grey level on average).
TRANSLUCENCY = "oit"
DEPTH_PEELS = 4


def _pooled_plotter(size: tuple[int, int]):
    """An off-screen plotter of ``size`` kept for the process: the EGL context and the compiled
    shaders survive from scene to scene (a new window costs more than a frame)."""
    import pyvista as pv

    key = (int(size[0]), int(size[1]))
    pl = _POOL.get(key)
    if pl is not None and (getattr(pl, "_closed", False) or pl.render_window is None):
        pl = None
    if pl is None:
        if len(_POOL) >= 2:
            release_plotters()
        pl = pv.Plotter(off_screen=True, window_size=list(key), lighting="light kit")
        pl.ren_win.SetMultiSamples(0)  # MSAA + depth peeling hides translucent meshes (llvmpipe)
        _POOL[key] = pl
    # pyvista renders after every add_mesh once a window has been shown: draw once, at the end
    pl.suppress_rendering = True
    if pl is not _POOL.get(key) or not pl._first_time:
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


import atexit  # noqa: E402

atexit.register(release_plotters)


def build_plotter(
    res: ResolvedScene,
    size: tuple[int, int],
    rect: tuple[float, float, float, float],
    *,
    anti_aliasing: bool = True,
    reuse: bool = False,
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

    Returns
    -------
    (pyvista.Plotter, CameraFrame)
    """
    import pyvista as pv

    theme = load_theme()
    scene = res.scene
    if reuse:
        pl = _pooled_plotter(size)
    else:
        pl = pv.Plotter(off_screen=True, window_size=list(size), lighting="light kit")
        pl.ren_win.SetMultiSamples(0)  # MSAA + depth peeling hides translucent meshes (llvmpipe)
    try:
        if scene.background == "transparent":
            pl.set_background("white")
        else:
            pl.set_background(parse_color(scene.background))
        translucent = False
        frame_pts = []
        focus_pts = [] if res.focus_points is None else [np.asarray(res.focus_points, float)]
        for item in res.items:
            style = theme["styles"][item.style]
            opacity = float(item.opacity if item.opacity is not None else style["opacity"])
            poly = _poly(item.mesh)
            if item.cut is not None:
                poly = _cut(poly, item.cut)
                if poly.n_cells == 0:
                    continue
            translucent |= opacity < 1.0
            kwargs: dict[str, Any] = {}
            if item.vertex_colors is not None and item.cut is None:
                poly = poly.copy(deep=False)
                poly.point_data["RGB"] = np.clip(np.round(item.vertex_colors * 255), 0, 255).astype(np.uint8)
                kwargs = dict(scalars="RGB", rgb=True)
            else:
                kwargs = dict(color=parse_color(item.color or style["color"]))
            pl.add_mesh(
                poly,
                opacity=opacity,
                smooth_shading=True,
                ambient=style["ambient"],
                diffuse=style["diffuse"],
                specular=style["specular"],
                specular_power=style["specular_power"],
                name=f"structure:{item.name}",
                reset_camera=False,
                **kwargs,
            )
            pts = np.asarray(poly.points)
            frame_pts.append(pts[:: max(1, len(pts) // 3000)])
            if item.name in res.focus_items:
                focus_pts.append(pts[:: max(1, len(pts) // 3000)])
        ov = theme["overlay"]
        r_point = float(scene.overlays.point_radius or ov["point_radius"])
        r_tube = float(scene.overlays.tube_radius or ov["tube_radius"])
        material = dict(ambient=ov["ambient"], diffuse=ov["diffuse"], specular=ov["specular"],
                        specular_power=ov["specular_power"], smooth_shading=True, reset_camera=False)
        for o in res.overlays:
            rgb = _overlay_rgb(o, theme, res)

            def make(o=o):
                if o.kind == "point":
                    return pv.Sphere(radius=r_point, center=tuple(np.asarray(o.geometry, float)),
                                     theta_resolution=20, phi_resolution=14)
                if o.kind == "curve":
                    return _tube(o.geometry, r_tube)
                mesh = o.geometry
                lifted = type(mesh)(mesh.vertices + mesh.vertex_normals * float(ov["patch_offset"]), mesh.faces)
                return _poly(lifted)

            src = o.geometry if not isinstance(o.geometry, np.ndarray) else None
            geom = _memo(("overlay", o.name, o.kind, id(src), r_point, r_tube), src, make) if src is not None \
                else make()
            pl.add_mesh(geom, color=rgb, name=f"overlay:{o.name}", **material)
            frame_pts.append(np.asarray(geom.points)[:: max(1, geom.n_points // 500)])
        for m in res.marks:
            geom = _mark_geometry(m)
            translucent |= m.opacity < 1.0
            pl.add_mesh(geom, color=parse_color(m.color), name=f"mark:{m.name}", opacity=m.opacity, **material)
            frame_pts.append(np.asarray(geom.points)[:: max(1, geom.n_points // 300)])
        pts = np.vstack(focus_pts) if focus_pts else (np.vstack(frame_pts) if frame_pts else np.zeros((1, 3)))
        frame = camera_frame(scene.camera, pts, size, rect)
        if focus_pts and frame_pts:
            # labels keep clear of everything drawn, not only of the framed part
            frame = _with_model_box(frame, np.vstack(frame_pts), size)
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
            if scene.camera.effective_preset is None:
                cam.Zoom(scene.camera.zoom)
        pl.renderer.ResetCameraClippingRange()
        if translucent and TRANSLUCENCY == "peeling":
            pl.enable_depth_peeling(number_of_peels=DEPTH_PEELS, occlusion_ratio=0.0)
        # else VTK's order-independent transparency (weighted blending, one pass) draws them
        # pyvista's enable_anti_aliasing("fxaa") refuses EGL, but VTK's FXAA works here.
        pl.renderer.SetUseFXAA(bool(anti_aliasing))
        return pl, frame
    except BaseException:
        if reuse:
            release_plotters()
        else:
            pl.close()
        raise


# =============================================================================== z-buffer and projection
def _project(pl, size: tuple[int, int], pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image pixels (x right, y down) and z-buffer depth in [0, 1] of world points."""
    w, h = size
    cam = pl.camera
    m = cam.GetCompositeProjectionTransformMatrix(w / h, -1.0, 1.0)
    mat = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])
    hp = np.column_stack([pts, np.ones(len(pts))]) @ mat.T
    ndc = hp[:, :3] / hp[:, 3:4]
    x = (ndc[:, 0] + 1.0) / 2.0 * w
    y = h - (ndc[:, 1] + 1.0) / 2.0 * h
    depth = (ndc[:, 2] + 1.0) / 2.0
    return np.column_stack([x, y]), depth


def _zbuffer(pl, size: tuple[int, int]) -> np.ndarray:
    """The z-buffer as an ``(h, w)`` array, row 0 at the top."""
    from vtkmodules.vtkCommonCore import vtkFloatArray
    from vtkmodules.util.numpy_support import vtk_to_numpy

    w, h = size
    arr = vtkFloatArray()
    pl.ren_win.GetZbufferData(0, 0, w - 1, h - 1, arr)
    return vtk_to_numpy(arr).reshape(h, w)[::-1].copy()


def _depth_to_distance(z: np.ndarray, near: float, far: float, parallel: bool) -> np.ndarray:
    if parallel:
        return near + z * (far - near)
    zn = 2.0 * z - 1.0
    return 2.0 * near * far / (far + near - zn * (far - near))


def _choose_anchors(
    pl, res: ResolvedScene, frame: CameraFrame, size: tuple[int, int], zb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Anchor pixels of the labels, whether each is visible, and the acceptable alternatives.

    A candidate point is visible when it is not farther from the camera than the surface the
    z-buffer holds at its pixel (3x3 neighbourhood, small tolerance).  Points take their only
    candidate; curves the visible point nearest the middle of the curve; regions and structures
    the visible point nearest the middle of their visible part.  The alternatives (visible
    points of the middle part of a curve, the inner part of a region or structure) let the
    layout pick anchors whose leaders do not cross.
    """
    w, h = size
    near, far = pl.camera.GetClippingRange()
    offsets = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])

    def neighbourhood(iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
        """z-buffer values of the 3x3 neighbourhood of each pixel, ``(n, 9)``."""
        yy = np.clip(iy[:, None] + offsets[None, :, 0], 0, h - 1)
        xx = np.clip(ix[:, None] + offsets[None, :, 1], 0, w - 1)
        return zb[yy, xx]
    toward = _unit(frame.position - frame.focal_point)
    tol = 1.5 + 2.0 / frame.px_per_mm
    anchors = np.zeros((len(res.labels), 2))
    visible = np.zeros(len(res.labels), bool)
    options: list[np.ndarray] = []
    up = _unit(pl.camera.GetViewUp())
    right = np.cross(-toward, up)
    ring = [np.cos(a) * right + np.sin(a) * up for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)]
    for i, lab in enumerate(res.labels):
        c = lab.candidates + toward * (lab.lift * 0.9)
        if lab.kind == "point" and lab.lift > 0:
            # a sphere counts as visible when some of its front shows
            p0 = lab.candidates[0]
            c = np.vstack([c, [p0 + toward * 0.5 * lab.lift + 0.75 * lab.lift * r for r in ring]])
        xy, depth = _project(pl, size, c)
        dist = _depth_to_distance(depth, near, far, frame.parallel)
        inside = (xy[:, 0] >= 1) & (xy[:, 0] < w - 1) & (xy[:, 1] >= 1) & (xy[:, 1] < h - 1)
        ok = np.zeros(len(c), bool)
        if inside.any():
            ix = xy[inside, 0].astype(int)
            iy = xy[inside, 1].astype(int)
            nb = neighbourhood(iy, ix)
            # the farthest surface around the pixel (generous at silhouettes and grazing angles);
            # and a structure must show at or next to it: a point of a target that is not drawn
            # there (cut away, outside the picture's geometry) is no anchor
            surf = _depth_to_distance(nb.max(axis=1), near, far, frame.parallel)
            ok[inside] = (dist[inside] <= surf + tol) & (nb.min(axis=1) < 1.0)
        if not ok.any():
            anchors[i] = xy[0]
            options.append(xy[:1])
            continue
        visible[i] = True
        if lab.kind == "point":
            anchors[i] = xy[0]  # the centre; the leader stops at the rim
            options.append(xy[:1])
        elif lab.kind == "curve":
            middle = np.zeros(len(c), bool)
            middle[: max(1, int(round(0.7 * len(c))))] = True  # candidates are ordered middle-out
            if ok[0]:  # the middle of the curve shows: near it
                pick = np.flatnonzero(ok & middle)
            else:  # the middle is hidden or cut away: the middle of the part that shows
                pick = np.flatnonzero(ok)
                centre = c[pick].mean(axis=0)
                pick = pick[np.argsort(np.linalg.norm(c[pick] - centre, axis=1), kind="stable")]
            anchors[i] = xy[pick[0]]
            mid = pick[: max(1, (len(pick) + 1) // 2)]  # alternatives: the middle half of what shows
            options.append(xy[mid[:: max(1, len(mid) // 40)]])
        else:
            vis = xy[ok][:: max(1, int(ok.sum()) // 300)]
            depth_in = _interior_score(vis)
            inner = vis[depth_in >= np.percentile(depth_in, 70)]
            med = np.median(vis, axis=0)
            # the most interior visible point (a ring-shaped patch has no point at its median)
            best = np.lexsort((np.linalg.norm(vis - med, axis=1), -depth_in))[0]
            anchors[i] = vis[best]
            options.append(inner[:: max(1, len(inner) // 40)])
    return anchors, visible, options


def _interior_score(px: np.ndarray) -> np.ndarray:
    """How surrounded each pixel point is by the others (count within a quarter of the spread)."""
    if len(px) < 3:
        return np.zeros(len(px))
    spread = float(np.linalg.norm(px.max(0) - px.min(0)))
    r = max(0.25 * spread, 2.0)
    d2 = ((px[:, None, :] - px[None, :, :]) ** 2).sum(-1)
    return (d2 <= r * r).sum(1).astype(float)


def _layout_cost(placements: list[Placement], clear: float, center_x: float | None = None,
                 far_penalty: float = 0.0, *, hard_only: bool = False) -> float:
    """How tangled a label layout is: leader lengths, crossings, leaders grazing other anchors.

    A label in the margin away from its anchor (across ``center_x``) costs ``far_penalty``.
    ``hard_only``: count only crossings and leaders through other anchors.
    """
    if not placements:
        return 0.0
    seg = np.array([(p.start[0], p.start[1], p.anchor[0], p.anchor[1]) for p in placements], float)
    s0, s1 = seg[:, :2], seg[:, 2:]
    d = s1 - s0
    cost = 0.0 if hard_only else float(np.linalg.norm(d, axis=1).sum())

    def orient(a, b, c):  # sign of the turn a -> b -> c, broadcast
        return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])

    P0, P1 = s0[:, None, :], s1[:, None, :]
    Q0, Q1 = s0[None, :, :], s1[None, :, :]
    cross = (orient(Q0, Q1, P0) * orient(Q0, Q1, P1) < 0) & (orient(P0, P1, Q0) * orient(P0, P1, Q1) < 0)
    cost += 2000.0 * float(np.triu(cross, 1).sum())
    # distance of every anchor j to every leader i
    L2 = np.maximum((d * d).sum(1), 1e-9)[:, None]
    t = np.clip(((s1[None, :, :] - s0[:, None, :]) * d[:, None, :]).sum(-1) / L2, 0.0, 1.0)
    gap = np.linalg.norm(s0[:, None, :] + t[..., None] * d[:, None, :] - s1[None, :, :], axis=-1)
    np.fill_diagonal(gap, np.inf)
    cost += 600.0 * float((gap < clear).sum())  # a leader through another anchor: confusing
    if hard_only:
        return cost
    cost += 150.0 * float(((gap >= clear) & (gap < 3.0 * clear)).sum())  # close by: crowded
    if center_x is not None and far_penalty:
        far = [(p.side == "left") != (p.anchor[0] < center_x) for p in placements]
        cost += far_penalty * sum(far)
    return cost


# =============================================================================== 2D overlay
def _draw_overlay(
    res: ResolvedScene,
    lay: _Layout,
    frame: CameraFrame,
    placements: list[Placement],
    visible: np.ndarray,
    theme: dict,
    ss: int,
    covered: np.ndarray | None = None,
):
    """Text, leaders, legend, colour bar and scale bar on a transparent RGBA image.

    Text is drawn at the picture's size (Pillow's text is anti-aliased already); the leader
    lines and their dots, which Pillow draws without anti-aliasing, are drawn ``ss`` times
    larger in a crop around them and scaled down.  Where text would sit on a structure (a
    close-up framed on ``focus``), a translucent panel of the background colour goes under it
    first (``covered``: pixels showing a structure).
    """
    from PIL import Image, ImageDraw

    w, h = lay.size
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    dr = ImageDraw.Draw(img)
    t = theme["text"]
    fg, halo = _text_color(theme, res.scene.background)
    muted = t["muted"] if fg == t["color"] else t["light_color"]
    leader = t["leader_color"] if fg == t["color"] else t["light_color"]
    lw1 = t["leader_width"] * h  # leader width at 1x, px

    bg = None if res.scene.background == "transparent" else tuple(
        int(round(c * 255)) for c in parse_color(res.scene.background))

    def panel(x0: float, y0: float, x1: float, y1: float, radius: float = 0.0) -> None:
        """A background-coloured panel under text that would sit on a structure."""
        if bg is None or covered is None:
            return
        ix0, iy0 = max(0, int(x0)), max(0, int(y0))
        ix1, iy1 = min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1)))
        if ix1 <= ix0 or iy1 <= iy0 or not covered[iy0:iy1, ix0:ix1].any():
            return
        dr.rounded_rectangle([x0, y0, x1, y1], radius=radius, fill=(*bg, 225))

    # -------------------------------------------------------------- leaders (supersampled crop)
    dot = max(2.0, lay.label_px * 0.2)
    strokes: list[tuple] = []  # ("line", pts, colour, width) / ("dot", centre, radius, colour) / ("dash", ...)
    for p in placements:
        lab = res.labels[p.index]
        if not lab.leader:
            continue
        vis = bool(visible[p.index])
        ax, ay = p.anchor
        sx, sy = p.start
        col = leader if vis else t["hidden_leader_color"]
        sphere = lab.kind == "point" and lab.lift > 0  # the sphere itself marks the point
        if sphere:
            r = lab.lift * frame.px_per_mm
            length = float(np.hypot(ax - sx, ay - sy))
            if length > r:
                ax, ay = ax + (sx - ax) * r / length, ay + (sy - ay) * r / length
        if vis:
            strokes.append(("line", (sx, sy, ax, ay), halo, lw1 + 2.0))
            strokes.append(("line", (sx, sy, ax, ay), col, lw1))
            if not sphere:
                strokes.append(("dot", (ax, ay), dot + 1.0, halo))
                strokes.append(("dot", (ax, ay), dot, col))
        else:
            strokes.append(("dash", (sx, sy, ax, ay), col, lw1, lay.label_px * 0.45))
    if strokes:
        pts = []
        for s_ in strokes:
            if s_[0] == "dot":
                (cx, cy), r = s_[1], s_[2]
                pts += [(cx - r, cy - r), (cx + r, cy + r)]
            else:
                x0_, y0_, x1_, y1_ = s_[1]
                pts += [(x0_, y0_), (x1_, y1_)]
        arr = np.asarray(pts)
        m = 3.0 + lw1 + dot
        bx0 = int(max(0, np.floor(arr[:, 0].min() - m)))
        by0 = int(max(0, np.floor(arr[:, 1].min() - m)))
        bx1 = int(min(w, np.ceil(arr[:, 0].max() + m)))
        by1 = int(min(h, np.ceil(arr[:, 1].max() + m)))
        if bx1 > bx0 and by1 > by0:
            crop = Image.new("RGBA", ((bx1 - bx0) * ss, (by1 - by0) * ss), (0, 0, 0, 0))
            cd = ImageDraw.Draw(crop)

            def L(x: float, y: float) -> tuple[float, float]:
                return ((x - bx0) * ss, (y - by0) * ss)

            for s_ in strokes:
                if s_[0] == "line":
                    x0_, y0_, x1_, y1_ = s_[1]
                    cd.line([L(x0_, y0_), L(x1_, y1_)], fill=s_[2], width=max(1, round(s_[3] * ss)))
                elif s_[0] == "dot":
                    (cx, cy), r = s_[1], s_[2]
                    (px, py) = L(cx, cy)
                    cd.ellipse([px - r * ss, py - r * ss, px + r * ss, py + r * ss], fill=s_[3])
                else:
                    x0_, y0_, x1_, y1_ = s_[1]
                    _dashed(cd, L(x0_, y0_), L(x1_, y1_), s_[2], max(1, round(s_[3] * ss)), s_[4] * ss)
            if ss != 1:
                crop = crop.resize((bx1 - bx0, by1 - by0), Image.Resampling.BOX)
            img.alpha_composite(crop, dest=(bx0, by0))

    # -------------------------------------------------------------- bands
    if lay.title:
        panel(0, 0, w, lay.pad + lay.top_h)
    if lay.bottom_h:
        panel(0, h - lay.pad - lay.bottom_h, w, h)

    # -------------------------------------------------------------- title and caption
    y = lay.pad
    for line in lay.title:
        f = _font(lay.title_px, True)
        dr.text((w / 2, y), line, font=f, fill=fg, anchor="ma", stroke_width=1, stroke_fill=halo)
        y += lay.title_px * 1.2
    yb = h - lay.pad - len(lay.caption) * lay.caption_px * lay.leading
    for line in lay.caption:
        f = _font(lay.caption_px)
        dr.text((w / 2, yb), line, font=f, fill=muted, anchor="ma", stroke_width=1, stroke_fill=halo)
        yb += lay.caption_px * lay.leading
    caption_top = h - lay.pad - len(lay.caption) * lay.caption_px * lay.leading
    row_y = caption_top - max(lay.legend_h, 0.0)
    # -------------------------------------------------------------- legend
    if lay.legend_entries:
        f = _font(lay.caption_px)
        sw = lay.caption_px * 0.9
        yy = row_y - (lay.caption_px * 0.4 if lay.caption else 0.0)
        for row in lay.legend_rows:
            x = lay.pad
            for i in row:
                text, rgb = lay.legend_entries[i]
                col = tuple(int(round(c * 255)) for c in rgb)
                dr.rounded_rectangle([x, yy + 0.1 * lay.caption_px, x + sw, yy + 0.1 * lay.caption_px + sw],
                                     radius=sw * 0.2, fill=col, outline=leader, width=1)
                x += sw + 0.4 * lay.caption_px
                dr.text((x, yy), text, font=f, fill=fg, stroke_width=1, stroke_fill=halo)
                x += f.getlength(text) + 1.2 * lay.caption_px
            yy += lay.caption_px * 1.45
    # -------------------------------------------------------------- colour bar of the safety map
    if res.safety is not None and lay.colorbar_h:
        top = caption_top - max(lay.legend_h, _scale_bar_height(lay, res)) - lay.colorbar_h - (
            lay.caption_px * 0.4 if lay.caption else 0.0)
        _draw_colorbar(dr, img, res, lay, theme, top, fg, halo)
    # -------------------------------------------------------------- scale bar
    if res.scene.scale_bar:
        target = 0.12 * w / frame.px_per_mm
        length = _nice_length(target)
        bar = length * frame.px_per_mm
        x1 = w - lay.pad
        x0 = x1 - bar
        yy = h - lay.pad - len(lay.caption) * lay.caption_px * lay.leading - (lay.caption_px * 0.5 if lay.caption else 0)
        th = max(2.0, lay.caption_px * 0.22)
        f = _font(lay.caption_px)
        dr.rectangle([x0, yy - th, x1, yy], fill=fg)
        for xe in (x0, x1):
            dr.rectangle([xe - th / 2, yy - 3 * th, xe + th / 2, yy], fill=fg)
        dr.text(((x0 + x1) / 2, yy - 3.4 * th), f"{length:g} mm", font=f, fill=fg, anchor="md",
                stroke_width=1, stroke_fill=halo)
    # -------------------------------------------------------------- label texts
    f = _font(lay.label_px)
    halo_w = max(1, round(lay.label_px / 9))
    for p in placements:
        x0, y0, x1, y1 = p.box
        m = 0.3 * lay.label_px
        panel(x0 - m, y0 - m * 0.6, x1 + m, y1 + m * 0.2, radius=m)
        lines = lay.label_lines[p.index]
        for k, line in enumerate(lines):
            yy = y0 + k * lay.label_px * lay.leading
            if p.side == "left":
                dr.text((x1, yy), line, font=f, fill=fg, anchor="ra", stroke_width=halo_w, stroke_fill=halo)
            else:
                dr.text((x0, yy), line, font=f, fill=fg, anchor="la", stroke_width=halo_w, stroke_fill=halo)
    return img


def _scale_bar_height(lay: _Layout, res: ResolvedScene) -> float:
    """Height the scale bar takes in the legend row (it shares the row with the legend)."""
    return lay.caption_px * 2.2 if res.scene.scale_bar else 0.0


def _draw_colorbar(dr, img, res: ResolvedScene, lay: _Layout, theme: dict, top: float, fg: str, halo: str) -> None:
    """The safety map's colour bar in mm, with the danger threshold marked."""
    from PIL import Image

    from glute3d.scene.core import safety_colors

    sm = res.safety
    w, _ = lay.size
    cp = lay.caption_px
    f = _font(cp)
    fs = _font(max(int(theme["text"]["min_size"]), round(cp * 0.85)))
    titles = (f"Closest approach of a {sm.needle_mm:g} mm needle, inserted perpendicular to the skin, "
              "to a nerve or artery",
              f"Closest approach of a {sm.needle_mm:g} mm needle to a nerve or artery",
              "Needle to nerve or artery")
    title = next((t for t in titles if f.getlength(t) <= 0.94 * w), titles[-1])
    bar_w = min(0.5 * w, max(24.0 * cp, f.getlength(title) * 0.75))
    x0 = (w - bar_w) / 2.0
    dr.text((w / 2, top), title, font=f, fill=fg, anchor="ma", stroke_width=1, stroke_fill=halo)
    by0 = top + cp * 1.3
    bh = cp * 0.75
    n = max(2, int(bar_w))
    values = np.linspace(0.0, sm.vmax, n)
    rgb = safety_colors(values, sm.threshold, sm.vmax, theme["injection"])
    strip = (np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)[None, :, :]).repeat(max(1, int(round(bh))), 0)
    bar = Image.fromarray(strip, "RGB").convert("RGBA")
    img.alpha_composite(bar, dest=(int(round(x0)), int(round(by0))))
    dr.rectangle([int(round(x0)), int(round(by0)), int(round(x0)) + n - 1, int(round(by0)) + bar.height - 1],
                 outline=fg, width=1)
    step = 10.0 if sm.vmax <= 80 else 20.0
    ticks = np.arange(0.0, sm.vmax + 1e-6, step)
    for v in ticks:
        x = x0 + v / sm.vmax * (n - 1)
        dr.line([x, by0 + bh, x, by0 + bh + cp * 0.25], fill=fg, width=1)
        text = f"{v:g}" + ("+" if v >= sm.vmax else "") + (" mm" if v == ticks[0] else "")
        dr.text((x, by0 + bh + cp * 0.3), text, font=fs, fill=fg, anchor="ma", stroke_width=1, stroke_fill=halo)
    # the danger threshold
    xt = x0 + sm.threshold / sm.vmax * (n - 1)
    lw = max(2, round(cp * 0.15))
    dr.line([xt, by0 - cp * 0.2, xt, by0 + bh + cp * 0.2], fill=theme["injection"]["threshold_color"], width=lw)
    dr.text((x0 - cp * 0.5, by0 + bh / 2), "danger", font=fs, fill=fg, anchor="rm", stroke_width=1, stroke_fill=halo)
    dr.text((x0 + n + cp * 0.5, by0 + bh / 2), "safer", font=fs, fill=fg, anchor="lm", stroke_width=1,
            stroke_fill=halo)


def _dashed(dr, a: tuple[float, float], b: tuple[float, float], color: str, width: int, dash: float) -> None:
    a_, b_ = np.asarray(a), np.asarray(b)
    length = float(np.linalg.norm(b_ - a_))
    if length < 1e-6:
        return
    u = (b_ - a_) / length
    pos = 0.0
    while pos < length:
        p0 = a_ + u * pos
        p1 = a_ + u * min(pos + dash, length)
        dr.line([tuple(p0), tuple(p1)], fill=color, width=width)
        pos += 2 * dash


def _nice_length(target: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``target`` (mm)."""
    k = np.floor(np.log10(max(target, 1e-9)))
    best = 10**k
    for m in (1, 2, 5):
        if m * 10**k <= target:
            best = m * 10**k
    return float(best)


# =============================================================================== entry points
def _predicted_label_x(res: ResolvedScene, d: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, float]:
    right = np.cross(-d, up)
    xs = np.array([float(np.asarray(L.candidates[: max(1, min(len(L.candidates), 50))]).mean(0) @ right)
                   for L in res.labels]) if res.labels else np.zeros(0)
    pts = [np.asarray(it.mesh.vertices)[::50] for it in res.items]
    pts += [np.atleast_2d(np.asarray(o.geometry.vertices if hasattr(o.geometry, "vertices") else o.geometry))
            for o in res.overlays]
    if res.has_focus:
        pts = [res.focus_points] if res.focus_points is not None else []
        pts += [np.asarray(it.mesh.vertices)[::50] for it in res.items if it.name in res.focus_items]
    allp = np.vstack(pts) if pts else np.zeros((1, 3))
    x = allp @ right
    return xs, float((x.max() + x.min()) / 2.0)


def _place_labels(res: ResolvedScene, lay: _Layout, frame: CameraFrame, anchors: np.ndarray,
                  options: list[np.ndarray]) -> list[Placement]:
    """Lay the labels out, then move anchors along their targets to untangle the leaders."""
    if not res.labels:
        return []
    w, h = lay.size
    area = (lay.pad, lay.pad + lay.top_h, w - lay.pad, h - lay.pad - lay.bottom_h)
    bx0, by0, bx1, by1 = frame.model_box
    model_box = (max(bx0, area[0]), by0, min(bx1, area[2]), by1)
    anchors = anchors.copy()

    sides = list(lay.sides)

    def layout() -> list[Placement]:
        return layout_labels(
            anchors, lay.label_sizes, sides, model_box=model_box, area=area, gap=lay.gap,
            spacing=0.35 * lay.label_px, first_line=np.full(len(res.labels), lay.label_px * lay.leading),
        )

    placements = layout()
    clear = 0.8 * lay.label_px
    cx, fp = (model_box[0] + model_box[2]) / 2.0, 0.12 * w

    def cost(p: list[Placement]) -> float:
        return _layout_cost(p, clear, cx, fp)

    best = cost(placements)
    capacity = area[3] - area[1]
    for _ in range(2):  # coordinate descent over the side and the anchor of each label
        improved = False
        for i, lab in enumerate(res.labels):  # the other margin, if the label fits its column
            other = "right" if sides[i] == "left" else "left"
            load = sum(lay.label_sizes[j, 1] + 0.35 * lay.label_px for j in range(len(sides)) if sides[j] == other)
            if lab.side != "auto" or lay.label_sizes[i, 0] > lay.columns[other] or load + lay.label_sizes[i, 1] > capacity:
                continue
            hard = _layout_cost(placements, clear, hard_only=True)
            sides[i] = other
            trial = layout()
            c = cost(trial)
            # change sides to untangle leaders, or to come to the side of the anchor
            clearly = abs(anchors[i, 0] - cx) > 0.1 * (model_box[2] - model_box[0])  # not on the midline
            near_side = clearly and (other == "left") == (anchors[i, 0] < cx)
            if c + 1e-6 < best and (near_side or _layout_cost(trial, clear, hard_only=True) < hard):
                best, placements, improved = c, trial, True
            else:
                sides[i] = "right" if other == "left" else "left"
        for i, opts in enumerate(options):
            if len(opts) < 2:
                continue
            keep = anchors[i].copy()
            for o in opts[:: max(1, len(opts) // 12)]:
                anchors[i] = o
                trial = layout()
                c = cost(trial)
                if c + 1e-6 < best:
                    best, keep, placements, improved = c, o.copy(), trial, True
            anchors[i] = keep
        if not improved:
            break
    return placements


def render(
    scene: Scene,
    model: Any = None,
    *,
    size: tuple[int, int] | None = None,
    anti_aliasing: bool = True,
    supersample_text: int = 2,
    reuse_plotter: bool = True,
) -> RenderResult:
    """Render a scene to an image in memory.

    Parameters
    ----------
    scene : Scene
        The scene.
    model : glute3d.Model, optional
        The model; :func:`glute3d.load_model` by default.
    size : (int, int), optional
        Override the scene's resolution (width, height).
    anti_aliasing : bool
        FXAA for the 3D part (keep it on for teaching pictures, off for image tests).
    supersample_text : int
        Draw the leader lines at this factor and downsample (smooth lines); text is drawn at
        the picture's size, anti-aliased by Pillow.
    reuse_plotter : bool
        Render in the process's kept off-screen window (fast from the second scene on: the
        EGL context and the compiled shaders are kept); ``False``: a new window, closed after.

    Returns
    -------
    RenderResult

    Raises
    ------
    SceneError
        A name the model does not know, an unavailable pose or overlay.
    """
    if size is not None and tuple(size) != tuple(scene.resolution):
        scene = scene.with_resolution(*size)
    if model is None:
        from glute3d.model.files import load_model

        model = load_model()
    model = cached_model(model)
    res = scene.resolve(model)
    theme = load_theme()
    size = tuple(scene.resolution)  # type: ignore[assignment]
    d, up = _orientation(scene.camera)
    pred_x, center_x = _predicted_label_x(res, d, up)
    lay = _plan(res, size, theme, pred_x, center_x)
    pl, frame = build_plotter(res, size, lay.rect, anti_aliasing=anti_aliasing, reuse=reuse_plotter)
    ok = False
    try:
        transparent = scene.background == "transparent"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pl.suppress_rendering = False
            if not pl._first_time:
                pl.render()  # a kept window: draw this scene (screenshot renders only the first time)
            shot = pl.screenshot(transparent_background=transparent, return_img=True)
            pl.suppress_rendering = reuse_plotter
        image = np.asarray(shot, np.uint8)
        zb = _zbuffer(pl, size)
        if res.labels:
            anchors, visible, options = _choose_anchors(pl, res, frame, size, zb)
        else:
            anchors, visible, options = np.zeros((0, 2)), np.zeros(0, bool), []
        ok = True
    finally:
        if not reuse_plotter:
            pl.close()
        elif not ok:
            release_plotters()
        else:
            pl.clear_actors()  # do not keep this scene's meshes alive in the window
    placements = _place_labels(res, lay, frame, anchors, options)
    covered = zb < 1.0  # pixels showing a structure
    overlay = _draw_overlay(res, lay, frame, placements, visible, theme, max(1, int(supersample_text)), covered)
    from PIL import Image

    base = Image.fromarray(image).convert("RGBA")
    out = Image.alpha_composite(base, overlay)
    final = np.asarray(out if transparent else out.convert("RGB"))
    labels = [
        LabelResult(res.labels[p.index].text, res.labels[p.index].target, p.box, p.anchor,
                    bool(visible[p.index]), p.side)
        for p in placements
    ]
    notes = [f"label {L.target!r}: its target is hidden behind other structures from this camera "
             "(drawn with a dashed leader)" for L in labels if not L.visible]
    return RenderResult(final, labels, notes)


#: zlib level of the PNGs: 1 writes a 1080p picture several times faster than the default 6, for
#: files about a quarter larger (flat backgrounds compress well at any level).
PNG_COMPRESS_LEVEL = 1


def write_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an image as PNG atomically (temporary file + rename): never a partial file.

    Raises
    ------
    OSError
        The folder cannot be created or written.
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return write_atomically(path, buf.getvalue())


def render_to_file(scene: Scene, path: str | Path, model: Any = None, **kwargs: Any) -> RenderResult:
    """Render ``scene`` and write it to ``path`` as PNG (atomically).

    Keyword arguments go to :func:`render`.
    """
    result = render(scene, model, **kwargs)
    write_png(result.image, path)
    return result
