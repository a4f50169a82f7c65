"""Landmark annotations: points, curves and surface regions, and their file format.

:mod:`glute3d.anatomy.annotate` evaluates the definitions in ``data/landmarks.toml`` on
the generated bones; this module holds the result (:class:`Landmarks`) and the
surface patches of regions, and reads and writes them as JSON.

Examples
--------
>>> import numpy as np
>>> lm = Landmarks(points={"asis_r": ("hip_bone_r", np.array([0.0, 0.0, 118.0]))})
>>> Landmarks.from_json(lm.to_json({})).points["asis_r"][1].tolist(), lm.kind("asis_r")
([0.0, 0.0, 118.0], 'point')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from glute3d.geometry.mesh import Mesh

__all__ = ["Landmarks", "SurfacePatch"]


@dataclass(frozen=True)
class SurfacePatch:
    """A region of a bone surface: its own small mesh plus where it came from.

    Attributes
    ----------
    mesh : Mesh
        The patch (all parts merged).
    parts : tuple of (str, numpy.ndarray)
        ``(bone name, face indices into that bone's mesh)`` per part.
    """

    mesh: Mesh
    parts: tuple[tuple[str, np.ndarray], ...]

    @property
    def points(self) -> np.ndarray:
        return self.mesh.vertices

    @property
    def faces(self) -> np.ndarray:
        return self.mesh.faces

    @property
    def area(self) -> float:
        return float(self.mesh.face_areas.sum())

    @property
    def centroid(self) -> np.ndarray:
        """Area-weighted centroid of the patch."""
        a = self.mesh.face_areas
        return (self.mesh.face_centers * a[:, None]).sum(0) / a.sum()


@dataclass
class Landmarks:
    """All landmark annotations of a model (both sides), in the pelvis frame at neutral pose."""

    points: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    curves: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    regions: dict[str, tuple[tuple[str, np.ndarray], ...]] = field(default_factory=dict)

    def names(self) -> list[str]:
        return sorted([*self.points, *self.curves, *self.regions])

    def kind(self, name: str) -> str:
        if name in self.points:
            return "point"
        if name in self.curves:
            return "curve"
        if name in self.regions:
            return "region"
        raise KeyError(name)

    def to_json(self, parameters: dict) -> str:
        """Deterministic JSON text (coordinates rounded to 1 µm)."""

        def r(a):
            return np.round(np.asarray(a, float), 3).tolist()

        doc = {
            "units": "mm",
            "frame": "pelvis: origin at the ASIS midpoint; X anterior, Y superior, Z right",
            "parameters": parameters,
            "points": {k: {"bone": b, "xyz": r(p)} for k, (b, p) in sorted(self.points.items())},
            "curves": {k: {"bone": b, "xyz": r(c)} for k, (b, c) in sorted(self.curves.items())},
            "regions": {
                k: [{"bone": b, "faces": f.astype(int).tolist()} for b, f in parts]
                for k, parts in sorted(self.regions.items())
            },
        }
        return json.dumps(doc, indent=1, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Landmarks:
        """Read the text of :meth:`to_json`."""
        return cls.from_doc(json.loads(text))

    @classmethod
    def from_doc(cls, doc: dict) -> Landmarks:
        """Build from the parsed document of :meth:`to_json` (e.g. one already checked)."""
        return cls(
            points={k: (v["bone"], np.asarray(v["xyz"], float)) for k, v in doc["points"].items()},
            curves={k: (v["bone"], np.asarray(v["xyz"], float)) for k, v in doc["curves"].items()},
            regions={
                k: tuple((p["bone"], np.asarray(p["faces"], np.int64)) for p in parts)
                for k, parts in doc["regions"].items()
            },
        )
