"""Binary PLY files of the model's meshes: written deterministically, read back exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from glute3d.geometry.mesh import Mesh

__all__ = ["ply_bytes", "read_ply"]


_PLY_HEADER = (
    "ply\nformat binary_little_endian 1.0\ncomment glute3d {name}, millimetres, X anterior Y superior Z right\n"
    "element vertex {nv}\nproperty float x\nproperty float y\nproperty float z\n"
    "element face {nf}\nproperty list uchar int vertex_indices\nend_header\n"
)


_FACE_DTYPE = np.dtype([("n", "u1"), ("v", "<i4", (3,))])


def ply_bytes(mesh: Mesh, name: str) -> bytes:
    """Serialise as binary little-endian PLY, float32 vertices (deterministic)."""
    header = _PLY_HEADER.format(name=name, nv=len(mesh.vertices), nf=len(mesh.faces)).encode()
    faces = np.empty(len(mesh.faces), _FACE_DTYPE)
    faces["n"] = 3
    faces["v"] = mesh.faces
    return header + mesh.vertices.astype("<f4").tobytes() + faces.tobytes()


def read_ply(path: str | Path) -> Mesh:
    """Read a binary PLY written by :func:`ply_bytes`."""
    data = Path(path).read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode("ascii").splitlines()
    nv = nf = 0
    for line in header:
        if line.startswith("element vertex"):
            nv = int(line.split()[-1])
        elif line.startswith("element face"):
            nf = int(line.split()[-1])
    if "format binary_little_endian 1.0" not in header:
        raise ValueError(f"{path}: only binary little-endian PLY written by glute3d can be read")
    verts = np.frombuffer(data, "<f4", nv * 3, end).reshape(nv, 3).astype(float)
    faces = np.frombuffer(data, _FACE_DTYPE, nf, end + nv * 12)
    return Mesh(verts, faces["v"].astype(np.int64))
