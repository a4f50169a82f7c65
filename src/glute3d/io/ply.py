"""Binary PLY files of the model's meshes: written deterministically, read back exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from glute3d.errors import DataFileError
from glute3d.geometry.mesh import Mesh

__all__ = ["MAX_ELEMENTS", "PlyError", "ply_bytes", "read_ply"]


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


#: More than this many vertices or faces is not a model file of ours (the largest has ~60,000).
MAX_ELEMENTS = 5_000_000


class PlyError(DataFileError):
    """A model PLY file that is damaged or not ours; the message names the file and the fix."""


def _fail(path: str | Path, what: str) -> PlyError:
    return PlyError(
        path,
        "",
        f"{what}; the file is damaged or not a glute3d model file: regenerate the model "
        f"files with `glute3d build-meshes -o DIR` (or reinstall glute3d)",
    )


def _header(path: str | Path, data: bytes) -> tuple[int, int, int]:
    """Vertex count, face count and the offset of the body, checked against the file's size."""
    end = data.find(b"end_header\n", 0, 4096)
    if not data.startswith(b"ply\n") or end < 0:
        raise _fail(path, "no PLY header")
    lines = data[:end].decode("ascii", "replace").splitlines()
    if "format binary_little_endian 1.0" not in lines:
        raise _fail(path, "not a binary little-endian PLY")
    counts: dict[str, int] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "element":
            if not parts[2].isdigit():
                raise _fail(path, f"bad element count {parts[2]!r}")
            counts[parts[1]] = int(parts[2])
    if set(counts) != {"vertex", "face"}:
        raise _fail(path, f"elements {sorted(counts)}, expected vertex and face")
    nv, nf = counts["vertex"], counts["face"]
    if not (0 < nv <= MAX_ELEMENTS and 0 < nf <= MAX_ELEMENTS):
        raise _fail(path, f"implausible counts: {nv} vertices, {nf} faces")
    body = end + len(b"end_header\n")
    expected = body + nv * 12 + nf * _FACE_DTYPE.itemsize
    if len(data) != expected:
        raise _fail(path, f"{len(data)} bytes where the header promises {expected} (truncated or padded)")
    return nv, nf, body


def read_ply(path: str | Path) -> Mesh:
    """Read a binary PLY written by :func:`ply_bytes`, checking it before anything is built on it.

    Raises
    ------
    PlyError
        The header, the size, a count, a coordinate (NaN, infinite) or a face index is wrong.
    OSError
        The file cannot be read.

    Examples
    --------
    >>> from glute3d.io.modelfiles import packaged_mesh_dir
    >>> read_ply(packaged_mesh_dir() / "coccyx.ply").faces.shape[1]
    3
    """
    data = Path(path).read_bytes()
    nv, nf, body = _header(path, data)
    verts = np.frombuffer(data, "<f4", nv * 3, body).reshape(nv, 3).astype(float)
    faces = np.frombuffer(data, _FACE_DTYPE, nf, body + nv * 12)
    if not np.isfinite(verts).all() or np.abs(verts).max() > 1e5:
        raise _fail(path, "coordinates that are not finite millimetres")
    if (faces["n"] != 3).any():
        raise _fail(path, "faces that are not triangles")
    idx = faces["v"].astype(np.int64)
    if idx.min() < 0 or idx.max() >= nv:
        raise _fail(path, f"face indices outside 0..{nv - 1}")
    return Mesh(verts, idx)
