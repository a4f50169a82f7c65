"""Scenes as 3D models: what a scene draws, as a glTF 2.0 binary (GLB) for slides and 3D tools.

A scene is resolved against the model as for a picture (its pose, variants, layers and
cut-aways), and every drawn structure becomes one named node (``gluteus_medius_r``) with its
mesh in metres (glTF's unit; our Y is already superior, so only mm -> m), vertex normals, a PBR
material in the layer's colour and opacity (translucent layers alpha-blended) and, in its
``extras``, its names, ontology IDs and key facts (:func:`glute3d.export.extras.structure_extras`).
Landmark overlays, labels and injection marks are drawing aids of the picture and are left out.

The same scene and model give the same bytes.

Examples
--------
>>> from glute3d.export.model3d import linear_rgb
>>> [round(c, 4) for c in linear_rgb((1.0, 0.5, 0.0))]
[1.0, 0.214, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glute3d.export.errors import ExportError, write_export
from glute3d.export.extras import structure_extras
from glute3d.export.gltf import GltfMaterial, GltfNode, glb_bytes, srgb_to_linear

__all__ = ["MM_TO_M", "GlbResult", "exported_nodes", "linear_rgb", "resolved_glb", "write_glb"]

#: glTF lengths are metres; the model's are millimetres.
MM_TO_M = 0.001


@dataclass
class GlbResult:
    """What :func:`write_glb` wrote: the file, its structures (node names, in order) and size in bytes."""

    path: Path
    structures: list[str]
    size: int
    warnings: list[str] = field(default_factory=list)


def linear_rgb(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """An sRGB colour (the theme's, the scene's) in linear light, as glTF colour factors are."""
    r, g, b = (srgb_to_linear(c) for c in rgb)
    return (r, g, b)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _drawn_geometry(item: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Vertices (mm) and triangles of a structure as drawn: after its cut-away (the renderer's cut,
    so the model matches the picture); ``None`` when the cut leaves nothing."""
    mesh = item.mesh
    if item.cut is None:
        return np.asarray(mesh.vertices, float), np.asarray(mesh.faces, np.int64)
    from glute3d.render.polydata import cut, poly

    whole = poly(mesh)
    data = cut(whole, item.cut)
    if data is whole:  # wholly on the kept side
        return np.asarray(mesh.vertices, float), np.asarray(mesh.faces, np.int64)
    if data.n_cells == 0:
        return None
    tri = data.triangulate()
    faces = np.asarray(tri.faces, np.int64).reshape(-1, 4)[:, 1:]  # polygons only, all triangles now
    if not len(faces):
        return None
    used, inverse = np.unique(faces, return_inverse=True)  # drop points no triangle uses
    return np.asarray(tri.points, float)[used], inverse.reshape(-1, 3)


def _material(item: Any, theme: dict, vertex_colors: bool, cut: bool) -> GltfMaterial:
    """The PBR material of a drawn structure: the layer's colour and opacity, else its style's."""
    from glute3d.scene import parse_color

    style = theme["styles"][item.style]
    rgb = parse_color(item.color or style["color"])
    opacity = float(item.opacity if item.opacity is not None else style["opacity"])
    base = (1.0, 1.0, 1.0) if vertex_colors else linear_rgb(rgb)
    extras: dict[str, Any] = {"style": item.style, "opacity": opacity}
    if vertex_colors:
        extras["vertex_colors"] = "the safety map: needle-track distance per vertex"
    else:
        extras["color"] = _hex(rgb)  # as written in the scene or theme (sRGB)
    return GltfMaterial(
        name=str(getattr(item, "layer", "") or item.style),
        rgba=(*base, opacity),
        blend=opacity < 1.0,
        roughness=round(1.0 - float(style["specular"]), 3),
        double_sided=cut,  # a cut-away may leave an open surface: show its inside
        extras=extras,
    )


def _node(item: Any, material: int, vertices: np.ndarray, faces: np.ndarray, colors: Any) -> GltfNode:
    from glute3d.render.polydata import vertex_normals

    extras = structure_extras(item.name)
    extras["layer"] = str(getattr(item, "layer", "") or "")
    extras["style"] = item.style
    if item.cut is not None:
        extras["cut_away"] = True
    return GltfNode(
        name=item.name,
        positions=(vertices * MM_TO_M).astype(np.float32),
        normals=vertex_normals(vertices, faces).astype(np.float32),
        faces=faces,
        material=material,
        colors=None if colors is None else np.asarray([linear_rgb(tuple(c)) for c in colors], np.float32),
        extras=extras,
    )


def _nothing(source: str, res: Any) -> ExportError:
    where = source or "the scene"
    if res.items:
        return ExportError(
            f"{where}: nothing to export: its cut-aways remove every structure it draws; "
            "move or remove a cut_away so that something is left"
        )
    return ExportError(
        f"{where}: nothing to export: the scene draws no structure (landmark overlays, labels and injection "
        "marks are not exported); show a layer of structures, e.g. [[layers]] structures = ['hip_bone_r']"
    )


def exported_nodes(res: Any, source: str) -> tuple[list[GltfNode], list[GltfMaterial]]:
    """The nodes of the drawn structures (those a cut-away leaves) and their materials: what the
    glTF file and the web page both export (``source`` names the scene in the error when none is left)."""
    from glute3d.scene import load_theme

    theme = load_theme()
    materials: list[GltfMaterial] = []
    nodes: list[GltfNode] = []
    for item in res.items:
        geometry = _drawn_geometry(item)
        if geometry is None:
            continue
        vertices, faces = geometry
        colors = item.vertex_colors if item.vertex_colors is not None and item.cut is None else None
        material = _material(item, theme, colors is not None, item.cut is not None)
        if material not in materials:
            materials.append(material)
        nodes.append(_node(item, materials.index(material), vertices, faces, colors))
    if not nodes:
        raise _nothing(source, res)
    return nodes, materials


def _glb(res: Any, source: str) -> tuple[bytes, list[str]]:
    import glute3d

    nodes, materials = exported_nodes(res, source)
    scene = res.scene
    extras = {
        "title": scene.title,
        "caption": scene.caption,
        "source": source,
        "units": "metres",
        "axes": "X anterior, Y superior, Z to the subject's right (ISB)",
    }
    data = glb_bytes(
        nodes,
        materials,
        scene_name=scene.title or source,
        scene_extras=extras,
        generator=f"glute3d {glute3d.__version__}",
    )
    return data, [n.name for n in nodes]


def resolved_glb(res: Any, *, source: str = "") -> bytes:
    """The structures a resolved scene draws, as a glTF 2.0 binary (bytes).

    Parameters
    ----------
    res : ResolvedScene
        :meth:`glute3d.scene.Scene.resolve`'s result.
    source : str
        The scene file's name, kept in the glTF scene's ``extras`` (and named in errors).

    Raises
    ------
    ExportError
        The scene draws no structure, or its cut-aways leave nothing.
    """
    return _glb(res, source)[0]


def write_glb(scene: Any, model: Any, path: str | Path) -> GlbResult:
    """Resolve ``scene`` against ``model`` and write what it draws as a glTF binary, atomically.

    Parameters
    ----------
    scene : glute3d.Scene
        The scene (its file name, when read from one, goes into the model's ``extras``).
    model : glute3d.Model
        The model (e.g. ``glute3d.render.cached_model(glute3d.load_model())``).
    path : str or pathlib.Path
        The ``.glb`` file to write; nothing is written when the export fails.

    Returns
    -------
    GlbResult

    Raises
    ------
    ExportError
        The scene draws nothing that can be exported.
    SceneError
        A name the model does not know (as for a picture).
    OSError
        The file cannot be written (nothing is left behind); ``filename`` is ``path``.
    """
    res = scene.resolve(model)
    origin = getattr(scene, "_source", None)
    source = Path(origin).name if origin else ""
    data, names = _glb(res, source)
    out = write_export(path, data)
    return GlbResult(out, names, len(data), list(getattr(res, "warnings", ())))
