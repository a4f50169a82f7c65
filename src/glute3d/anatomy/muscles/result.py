"""A generated muscle: fibres, faces, thickness, parts and its closed body."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from glute3d.anatomy.muscles.body import body_mesh
from glute3d.geometry.mesh import Mesh
from glute3d.sides import MIRROR

__all__ = ["Muscle"]


@dataclass(frozen=True)
class Muscle:
    """One generated muscle of one side.

    Attributes
    ----------
    name : str
        Sided name, e.g. ``"gluteus_medius_r"``.
    side : {"r", "l"}
    fibres : numpy.ndarray
        ``(n_fibres, n_samples, 3)`` fibre polylines from origin to insertion, ordered
        anterior to posterior (superior to inferior for gluteus maximus and piriformis);
        the lines of action.  For a sheet muscle they form its deep face, for a
        ``centred`` muscle (piriformis) they run through the middle of the body.
    deep : numpy.ndarray
        ``(n_fibres, n_samples, 3)`` the deep face.
    superficial : numpy.ndarray
        ``(n_fibres, n_samples, 3)`` the matching points of the superficial face.
    normals : numpy.ndarray
        ``(n_fibres, n_samples, 3)`` unit directions from the deep to the superficial face.
    thickness : numpy.ndarray
        ``(n_fibres, n_samples)`` mm.
    weights : numpy.ndarray
        ``(n_fibres,)`` each fibre's share of the cross-section (sums to 1).
    parts : dict of str to numpy.ndarray
        Part name (``"anterior"``...) to fibre indices.
    mesh : Mesh
        Closed, outward-oriented body.
    """

    name: str
    side: str
    fibres: np.ndarray
    deep: np.ndarray
    superficial: np.ndarray
    normals: np.ndarray
    thickness: np.ndarray
    weights: np.ndarray
    parts: dict[str, np.ndarray]
    mesh: Mesh

    def transformed(self, matrix: np.ndarray) -> Muscle:
        """The same muscle moved by a ``4 x 4`` rigid transform (the pelvis posed in the room)."""
        m = np.asarray(matrix, float)
        rot, shift = m[:3, :3], m[:3, 3]
        return replace(
            self,
            fibres=self.fibres @ rot.T + shift,
            deep=self.deep @ rot.T + shift,
            superficial=self.superficial @ rot.T + shift,
            normals=self.normals @ rot.T,
            mesh=self.mesh.transformed(m),
        )

    def mirrored(self, side: str) -> Muscle:
        """The mirror image across the midsagittal plane, named for ``side`` (the other side's muscle)."""
        m = MIRROR
        return replace(
            self,
            name=f"{self.base}_{side}",
            side=side,
            fibres=self.fibres * m,
            deep=self.deep * m,
            superficial=self.superficial * m,
            normals=self.normals * m,
            mesh=self.mesh.mirrored(),
        )

    @property
    def volume_cm3(self) -> float:
        """Volume of the closed body, cm³ (the mesh is in mm)."""
        return float(self.mesh.volume) / 1000.0

    @property
    def origin_points(self) -> np.ndarray:
        """``(n_fibres, 3)`` where the fibres start (on the bone)."""
        return self.fibres[:, 0]

    @property
    def insertion_points(self) -> np.ndarray:
        """``(n_fibres, 3)`` where the fibres end (on the femur or the iliotibial tract)."""
        return self.fibres[:, -1]

    @property
    def base(self) -> str:
        """The sideless name."""
        return self.name[: -len(self.side) - 1]

    def part_name(self, part: str) -> str:
        """Sided name of a part, e.g. ``"gluteus_minimus_anterior_r"``."""
        return f"{self.base}_{part}_{self.side}"

    def part_mesh(self, part: str) -> Mesh:
        """A closed body of the fibres of ``part`` (the parts of a muscle tile its body).

        Raises
        ------
        KeyError
            Unknown part; the message lists this muscle's parts.
        """
        if part not in self.parts:
            raise KeyError(f"{self.name} has no part {part!r}; parts: {sorted(self.parts) or 'none'}")
        idx = self.parts[part]
        lo, hi = int(idx.min()), int(idx.max())
        hi = min(hi + 1, len(self.fibres) - 1)  # share the border fibre with the next part
        return body_mesh(self.deep[lo : hi + 1], self.superficial[lo : hi + 1])

    def part_meshes(self) -> dict[str, Mesh]:
        """Sided part name to closed body, for every part."""
        return {self.part_name(p): self.part_mesh(p) for p in self.parts}
