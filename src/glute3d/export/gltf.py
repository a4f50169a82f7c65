"""A small glTF 2.0 binary (GLB) writer: named mesh nodes, PBR materials, ``extras``.

Why our own writer rather than trimesh's exporter or pygltflib: a GLB is a 12-byte header, a
JSON chunk and a binary chunk, and writing it here gives full control of what a teaching model
needs and a tool shows: the node and mesh names (``gluteus_medius_r``), the ``extras`` of each
node (names, ontology IDs, facts), one material per layer with ``alphaMode`` ``BLEND`` and the
layer's opacity, uint16 indices where they fit, and byte-identical output for the same input
(no timestamps, no ids, no dict-order or float-formatting surprises).  trimesh names nodes after
its geometry keys, keeps its own idea of materials and metadata and adds a generator stamp;
pygltflib is only a test extra here (the tests read the files back with it, an independent
reader).

Everything here is plain arrays in, bytes out; :mod:`glute3d.export.model3d` turns a resolved
scene into :class:`GltfMaterial` and :class:`GltfNode` objects.

Examples
--------
>>> import numpy as np
>>> tri = GltfNode("triangle", np.eye(3), np.tile([0.0, 0.0, 1.0], (3, 1)), np.array([[0, 1, 2]]), 0)
>>> data = glb_bytes([tri], [GltfMaterial("grey", (0.5, 0.5, 0.5, 1.0))])
>>> data[:4], int.from_bytes(data[8:12], "little") == len(data)
(b'glTF', True)
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["GltfMaterial", "GltfNode", "glb_bytes", "srgb_to_linear"]

_FLOAT = 5126  # glTF component types
_UINT16 = 5123
_UINT32 = 5125
_ARRAY_BUFFER = 34962  # bufferView targets
_ELEMENT_ARRAY_BUFFER = 34963
_JSON_CHUNK = 0x4E4F534A
_BIN_CHUNK = 0x004E4942


def srgb_to_linear(value: float) -> float:
    """An sRGB channel in ``[0, 1]`` as linear light (glTF colour factors are linear).

    Examples
    --------
    >>> srgb_to_linear(1.0), srgb_to_linear(0.0), round(srgb_to_linear(0.5), 4)
    (1.0, 0.0, 0.214)
    """
    c = float(value)
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


@dataclass(frozen=True)
class GltfMaterial:
    """A PBR metallic-roughness material.

    ``rgba`` is the base colour factor in *linear* light with the alpha (opacity); ``blend``
    makes it alpha-blended (``alphaMode`` ``BLEND``) instead of opaque.
    """

    name: str
    rgba: tuple[float, float, float, float]
    blend: bool = False
    roughness: float = 0.7
    double_sided: bool = False
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GltfNode:
    """One named node with one triangle mesh, in glTF units (metres) and axes (Y up).

    ``normals`` are unit vertex normals, ``faces`` counter-clockwise seen from outside,
    ``colors`` optional per-vertex linear RGB multiplied with the material's base colour.
    """

    name: str
    positions: np.ndarray
    normals: np.ndarray
    faces: np.ndarray
    material: int
    colors: np.ndarray | None = None
    extras: dict[str, Any] = field(default_factory=dict)


class _Binary:
    """The binary chunk being built, with its buffer views and accessors."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []

    def add(self, array: np.ndarray, kind: str, component: int, target: int, bounds: bool = False) -> int:
        """Append ``array`` (4-byte aligned) as a buffer view and an accessor; returns the accessor."""
        data = np.ascontiguousarray(array).tobytes()
        self.views.append({"buffer": 0, "byteOffset": self.size, "byteLength": len(data), "target": target})
        pad = (-len(data)) % 4
        self.parts.append(data + b"\0" * pad)
        self.size += len(data) + pad
        acc: dict[str, Any] = {
            "bufferView": len(self.views) - 1,
            "componentType": component,
            "count": int(array.shape[0]),
            "type": kind,
        }
        if bounds:
            acc["min"] = [float(x) for x in array.min(axis=0)]
            acc["max"] = [float(x) for x in array.max(axis=0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def blob(self) -> bytes:
        return b"".join(self.parts)


def _material_json(m: GltfMaterial) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": m.name,
        "pbrMetallicRoughness": {
            "baseColorFactor": [round(float(c), 6) for c in m.rgba],
            "metallicFactor": 0.0,
            "roughnessFactor": round(float(m.roughness), 6),
        },
        "alphaMode": "BLEND" if m.blend else "OPAQUE",
        "doubleSided": bool(m.double_sided),
    }
    if m.extras:
        out["extras"] = m.extras
    return out


def _mesh_json(node: GltfNode, binary: _Binary) -> dict[str, Any]:
    """The mesh of one node, its arrays appended to ``binary``."""
    pos = np.asarray(node.positions, np.float32).reshape(-1, 3)
    normals = np.asarray(node.normals, np.float32).reshape(-1, 3)
    faces = np.asarray(node.faces).reshape(-1, 3)
    if len(normals) != len(pos) or (node.colors is not None and len(node.colors) != len(pos)):
        raise ValueError(f"node {node.name!r}: normals and colours need one row per vertex ({len(pos)})")
    if faces.size and (faces.min() < 0 or faces.max() >= len(pos)):
        raise ValueError(f"node {node.name!r}: a face refers to a vertex that does not exist")
    index_type = np.uint16 if len(pos) < 65535 else np.uint32  # 65535 is reserved (primitive restart)
    attributes = {
        "POSITION": binary.add(pos, "VEC3", _FLOAT, _ARRAY_BUFFER, bounds=True),
        "NORMAL": binary.add(normals, "VEC3", _FLOAT, _ARRAY_BUFFER),
    }
    if node.colors is not None:
        attributes["COLOR_0"] = binary.add(np.asarray(node.colors, np.float32), "VEC3", _FLOAT, _ARRAY_BUFFER)
    indices = binary.add(
        faces.astype(index_type).ravel(),
        "SCALAR",
        _UINT16 if index_type is np.uint16 else _UINT32,
        _ELEMENT_ARRAY_BUFFER,
    )
    primitive = {"attributes": attributes, "indices": indices, "material": int(node.material), "mode": 4}
    return {"name": node.name, "primitives": [primitive]}


def glb_bytes(
    nodes: list[GltfNode],
    materials: list[GltfMaterial],
    *,
    scene_name: str = "",
    scene_extras: dict[str, Any] | None = None,
    generator: str = "glute3d",
) -> bytes:
    """A glTF 2.0 binary file of ``nodes`` (one mesh each) as bytes, the same bytes for the same input.

    Parameters
    ----------
    nodes : list of GltfNode
        The nodes, in this order, all children of the one scene.
    materials : list of GltfMaterial
        Indexed by :attr:`GltfNode.material`.
    scene_name : str
        The scene's name (e.g. the slide title).
    scene_extras : dict, optional
        JSON-able data stored in the scene's ``extras``.
    generator : str
        ``asset.generator``.

    Raises
    ------
    ValueError
        No nodes, a node whose material does not exist, or arrays that do not fit together.
    """
    if not nodes:
        raise ValueError("a glTF file needs at least one node with a mesh")
    binary = _Binary()
    meshes, gnodes = [], []
    for i, node in enumerate(nodes):
        if not 0 <= node.material < len(materials):
            raise ValueError(f"node {node.name!r}: material {node.material} does not exist")
        meshes.append(_mesh_json(node, binary))
        gnode: dict[str, Any] = {"name": node.name, "mesh": i}
        if node.extras:
            gnode["extras"] = node.extras
        gnodes.append(gnode)
    scene: dict[str, Any] = {"name": scene_name, "nodes": list(range(len(nodes)))}
    if scene_extras:
        scene["extras"] = scene_extras
    blob = binary.blob()
    doc = {
        "asset": {"version": "2.0", "generator": generator},
        "scene": 0,
        "scenes": [scene],
        "nodes": gnodes,
        "meshes": meshes,
        "materials": [_material_json(m) for m in materials],
        "accessors": binary.accessors,
        "bufferViews": binary.views,
        "buffers": [{"byteLength": len(blob)}],
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    text += b" " * ((-len(text)) % 4)
    total = 12 + 8 + len(text) + 8 + len(blob)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<II", len(text), _JSON_CHUNK),
            text,
            struct.pack("<II", len(blob), _BIN_CHUNK),
            blob,
        ]
    )
