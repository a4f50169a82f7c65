"""What the offline web page of a scene shows, as a JSON manifest and one compressed binary blob.

The structures are the glTF export's nodes (:mod:`glute3d.export.model3d`: posed, cut away as
in the picture, in metres with Y up, with their names, IDs and key facts), so the page, the
``.glb`` and the picture agree.  Landmark overlays and injection marks, which the glTF file
leaves out, come from the renderer's own geometry (:func:`glute3d.render.polydata.overlay_geometry`,
:func:`~glute3d.render.polydata.mark_geometry`) as non-clickable "aids".  The camera is the
picture's (:func:`glute3d.render.camera.camera_frame`), framed with room for the label columns.

Binary layout, per mesh, each array 4-byte aligned: positions as uint16 quantised to the mesh's
bounding box (under 0.01 mm for a femur), normals as int8, per-vertex sRGB colours as uint8
(the safety map), triangle indices as uint16 or uint32.  The blob is zlib-compressed (the page
inflates it with the browser's ``DecompressionStream``).

Examples
--------
>>> import numpy as np
>>> q, lo, step = quantise(np.array([[0.0, 0.0, 0.0], [0.1, 0.2, 0.0]], np.float32))
>>> q.tolist(), [round(s * 65535, 6) for s in step]
([[0, 0, 0], [65535, 65535, 0]], [0.1, 0.2, 1.0])
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glute3d.export.gltf import GltfNode
from glute3d.export.model3d import MM_TO_M, exported_nodes

__all__ = ["PageData", "page_data", "quantise"]

#: The web page draws label columns beside the model: the share of the width the model is framed into.
_LABELLED_RECT = (0.22, 0.06, 0.78, 0.94)
_PLAIN_RECT = (0.06, 0.06, 0.94, 0.94)
#: Anchor candidates kept per label, spread over all of the target's (the renderer's choice among
#: those that show is made again in the page for every view: see viewer.js, chooseAnchor).
_MAX_ANCHORS = 400


@dataclass
class PageData:
    """The manifest (JSON-able) and the compressed binary of a scene's page."""

    manifest: dict[str, Any]
    blob: bytes  # zlib-compressed
    structures: list[str] = field(default_factory=list)
    raw_size: int = 0


def quantise(positions: np.ndarray) -> tuple[np.ndarray, list[float], list[float]]:
    """Positions as uint16 steps over their bounding box: ``(q, minimum, step)``; ``p ~ min + q*step``."""
    p = np.asarray(positions, np.float64)
    lo = p.min(axis=0)
    extent = p.max(axis=0) - lo
    step = np.where(extent > 0, extent / 65535.0, 1.0 / 65535.0)
    q = np.clip(np.round((p - lo) / step), 0, 65535).astype(np.uint16)
    return q, [float(v) for v in lo], [float(v) for v in step]


class _Blob:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, array: np.ndarray) -> int:
        data = np.ascontiguousarray(array).tobytes()
        offset = self.size
        pad = (-len(data)) % 4
        self.parts.append(data + b"\0" * pad)
        self.size += len(data) + pad
        return offset


def _srgb_bytes(linear: np.ndarray) -> np.ndarray:
    c = np.asarray(linear, np.float64)
    s = np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(np.maximum(c, 0.0), 1 / 2.4) - 0.055)
    return np.clip(np.round(s * 255), 0, 255).astype(np.uint8)


def _geometry(blob: _Blob, positions: np.ndarray, normals: np.ndarray, faces: np.ndarray) -> dict[str, Any]:
    q, lo, step = quantise(positions)
    n = np.clip(np.round(np.asarray(normals, np.float64) * 127), -127, 127).astype(np.int8)
    wide = len(q) > 65535
    return {
        "vertices": int(len(q)),
        "triangles": int(len(faces)),
        "min": [round(v, 7) for v in lo],
        "step": [float(f"{v:.9g}") for v in step],
        "position": blob.add(q),
        "normal": blob.add(n),
        "index": blob.add(np.asarray(faces, np.uint32 if wide else np.uint16).ravel()),
        "index32": wide,
    }


def _material(theme: dict, style: str, color: str, opacity: float, double: bool) -> dict[str, Any]:
    s = theme["styles"].get(style, theme["styles"]["bone"])
    return {
        "color": color,
        "opacity": round(float(opacity), 4),
        "ambient": float(s["ambient"]),
        "specular": float(s["specular"]),
        "shininess": float(s["specular_power"]),
        "doubleSided": bool(double),
    }


def _structures(nodes: list[GltfNode], materials: list[Any], theme: dict, blob: _Blob) -> list[dict[str, Any]]:
    out = []
    for node in nodes:
        mat = materials[node.material]
        extras = dict(node.extras)
        entry = _geometry(blob, node.positions, node.normals, node.faces)
        colour = mat.extras.get("color", "#ffffff")
        entry["material"] = _material(theme, str(extras.get("style", "bone")), colour, mat.rgba[3], mat.double_sided)
        if node.colors is not None:
            entry["color"] = blob.add(_srgb_bytes(node.colors))
        entry["name"] = node.name
        entry["layer"] = str(extras.pop("layer", "") or str(extras.get("style", "")).capitalize())
        entry["info"] = extras
        out.append(entry)
    return out


def _triangles(data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Points, triangles and point normals of a pyvista surface (tubes come as strips)."""
    from glute3d.render.polydata import vertex_normals

    tri = data.extract_surface(algorithm="dataset_surface").triangulate()
    faces = np.asarray(tri.faces, np.int64).reshape(-1, 4)[:, 1:]
    if not len(faces):
        return None
    points = np.asarray(tri.points, float)
    return points, faces, vertex_normals(points, faces)


def _hex(rgb: Any) -> str:
    return "#" + "".join(f"{round(float(c) * 255):02x}" for c in rgb)


def _aids(res: Any, theme: dict, blob: _Blob) -> list[dict[str, Any]]:
    """Landmark overlays and injection marks: drawn as in the picture, not clickable."""
    from glute3d.render.polydata import mark_geometry, overlay_geometry
    from glute3d.render.style import overlay_rgb
    from glute3d.scene import parse_color
    from glute3d.scene.naming import display_name

    ov = theme["overlay"]
    scene = res.scene
    r_point = float(scene.overlays.point_radius or ov["point_radius"])
    r_tube = float(scene.overlays.tube_radius or ov["tube_radius"])
    items: list[tuple[str, Any, Any, float]] = [
        (
            display_name(o.name),
            overlay_geometry(o, r_point, r_tube, ov["patch_offset"]),
            overlay_rgb(o, theme, res),
            1.0,
        )
        for o in res.overlays
    ]
    items += [(m.legend or display_name(m.name), mark_geometry(m), parse_color(m.color), m.opacity) for m in res.marks]
    out = []
    for name, data, rgb, opacity in items:
        arrays = _triangles(data)
        if arrays is None:
            continue
        points, faces, normals = arrays
        entry = _geometry(blob, points * MM_TO_M, normals, faces)
        entry["name"] = name
        entry["material"] = {
            "color": _hex(rgb),
            "opacity": round(float(opacity), 4),
            "ambient": float(ov["ambient"]),
            "specular": float(ov["specular"]),
            "shininess": float(ov["specular_power"]),
            "doubleSided": False,
        }
        out.append(entry)
    return out


def _camera(res: Any, nodes: list[GltfNode]) -> dict[str, Any]:
    """The picture's camera, framing the focus (or everything drawn) with room for the labels."""
    from glute3d.render.camera import camera_frame

    scene = res.scene
    w, h = (int(v) for v in scene.resolution)
    drawn = [np.asarray(n.positions, float)[:: max(1, len(n.positions) // 3000)] / MM_TO_M for n in nodes]
    focus = [np.asarray(res.focus_points, float)] if res.focus_points is not None else []
    focus += [d for n, d in zip(nodes, drawn) if n.name in res.focus_items]
    share = _LABELLED_RECT if res.labels else _PLAIN_RECT
    rect = (share[0] * w, share[1] * h, share[2] * w, share[3] * h)
    frame = camera_frame(scene.camera, np.vstack(focus or drawn), (w, h), rect)
    cam = scene.camera
    return {
        "position": [round(float(v) * MM_TO_M, 6) for v in frame.position],
        "target": [round(float(v) * MM_TO_M, 6) for v in frame.focal_point],
        "up": [round(float(v), 6) for v in frame.up],
        "fov": float(frame.view_angle),
        "aspect": round(w / h, 6),
        "orthographic": bool(frame.parallel),
        "halfHeight": round(float(frame.parallel_scale) * MM_TO_M, 6),
        "zoom": float(cam.zoom) if cam.effective_preset is None and not frame.parallel else 1.0,
    }


def _labels(res: Any) -> list[dict[str, Any]]:
    """Label texts, sides and anchor candidates in metres (0.1 mm), in the scene's order.

    Point targets keep their point; curves their points middle-out (the page takes the first
    that shows, as the picture does); structures and regions an even sample of their surface
    points (the page takes the most interior one that shows).
    """
    out = []
    for lab in res.labels:
        c = np.asarray(lab.candidates, float).reshape(-1, 3)
        if lab.kind in ("structure", "region") and len(c) > _MAX_ANCHORS:
            c = c[np.linspace(0, len(c) - 1, _MAX_ANCHORS).round().astype(int)]
        out.append(
            {
                "text": lab.text,
                "target": lab.target,
                "kind": lab.kind,
                "side": lab.side,
                "leader": bool(lab.leader),
                "lift": round(float(lab.lift) * MM_TO_M, 6),
                "anchors": [[round(float(v) * MM_TO_M, 4) for v in p] for p in c[: max(_MAX_ANCHORS, 1)]],
            }
        )
    return out


def _safety(res: Any, theme: dict) -> dict[str, Any] | None:
    """The safety map's colour bar (as in the picture): stops, threshold and ticks in mm."""
    from glute3d.scene import safety_colors

    sm = res.safety
    if sm is None:
        return None
    vmin, vmax = float(sm.vmin), float(sm.vmax)
    values = np.linspace(vmin, vmax, 25)
    rgb = safety_colors(values, float(sm.threshold), vmax, theme["injection"], vmin=vmin)
    step = 10.0 if vmax - vmin <= 80 else 20.0
    return {
        "title": f"Safety margin of a {float(sm.needle_mm):g} mm needle inserted perpendicular to the skin "
        "(nerves and arteries, deep plane)",
        "stops": [_hex(c) for c in rgb],
        "threshold": float(sm.threshold),
        "vmin": vmin,
        "vmax": vmax,
        "ticks": [float(v) for v in np.arange(vmin, vmax + 1e-6, step)],
        "thresholdColor": theme["injection"]["threshold_color"],
    }


def page_data(res: Any, *, source: str = "") -> PageData:
    """The manifest and compressed binary of a resolved scene's web page (same scene, same bytes).

    Raises
    ------
    ExportError
        The scene draws no structure, or its cut-aways leave nothing (as for ``--glb``).
    """
    import glute3d
    from glute3d.scene import load_theme, parse_color

    theme = load_theme()
    nodes, materials = exported_nodes(res, source)
    blob = _Blob()
    structures = _structures(nodes, materials, theme, blob)
    aids = _aids(res, theme, blob)
    scene = res.scene
    background = "#ffffff" if scene.background == "transparent" else _hex(parse_color(scene.background))
    manifest = {
        "title": scene.title or source,
        "caption": scene.caption,
        "source": source,
        "generator": f"glute3d {glute3d.__version__}",
        "background": background,
        "camera": _camera(res, nodes),
        "structures": structures,
        "aids": aids,
        "labels": _labels(res),
        "safety": _safety(res, theme),
        "warnings": list(getattr(res, "warnings", ())),
    }
    raw = b"".join(blob.parts)
    return PageData(manifest, zlib.compress(raw, 9), [n.name for n in nodes], len(raw))
