"""A resolved scene: every name checked against a model, the geometry to draw as plain data.

:meth:`glute3d.scene.Scene.resolve` returns a :class:`ResolvedScene`; a renderer needs nothing
else (no model, no knowledge base).  Coordinates are model space: mm, X anterior, Y superior,
Z to the subject's right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glute3d.scene.schema import SceneFields

__all__ = ["Cut", "DrawItem", "LabelItem", "Mark", "OverlayItem", "ResolvedScene", "SafetyMap"]


@dataclass(frozen=True)
class Cut:
    """A resolved cut-away plane: remove what lies on the ``normal`` side of ``origin``."""

    origin: np.ndarray
    normal: np.ndarray  # unit length
    cap: bool


@dataclass(frozen=True)
class DrawItem:
    """One structure to draw."""

    name: str
    mesh: Any  # glute3d.geometry.mesh.Mesh
    style: str
    color: str | None
    opacity: float | None
    layer: str
    cut: Cut | None = None
    vertex_colors: np.ndarray | None = None  # (n, 3) RGB in [0, 1] per vertex (a safety map)


@dataclass(frozen=True)
class OverlayItem:
    """One landmark to draw: ``kind`` is ``"point"``, ``"curve"`` or ``"region"``.

    ``geometry`` is a ``(3,)`` point, an ``(n, 3)`` polyline or a Mesh patch.
    """

    name: str
    kind: str
    geometry: Any
    color: str | None


@dataclass(frozen=True)
class LabelItem:
    """A label: its text, and the candidate anchor points of its target (first = preferred)."""

    text: str
    target: str
    kind: str  # "structure", "point", "curve" or "region"
    candidates: np.ndarray  # (n, 3)
    side: str
    leader: bool
    lift: float = 0.0  # mm the drawn target stands off the surface toward the viewer
    index: int = 0


@dataclass(frozen=True)
class Mark:
    """A drawn aid that is not a landmark: injection lines, fills, points, needles, segments.

    ``kind``: ``"line"`` (``(n, 3)`` polyline tube), ``"fill"`` (a Mesh patch), ``"point"``
    (``(3,)`` sphere) or ``"needle"`` (``(2, 3)`` hub and tip).  ``legend`` is the legend
    text (empty: not in the legend).  ``radius`` is the tube or sphere radius in mm.
    ``on_skin``: drawn on (or through) the skin, so it moves as the skin does when a hip moves;
    the others (levers, fibres, segments) hold for the scene's pose only.
    """

    name: str
    kind: str
    geometry: Any
    color: str
    legend: str = ""
    radius: float = 1.0
    opacity: float = 1.0
    dashed: bool = False
    on_skin: bool = False


@dataclass(frozen=True)
class SafetyMap:
    """The skin coloured by a needle's safety margin: values, threshold and needle for the colour bar
    (see :mod:`glute3d.teaching.safety`)."""

    distances: np.ndarray  # (n_vertices,) margin, mm, NaN where not mapped
    threshold: float
    needle_mm: float
    vmax: float
    vmin: float = 0.0


@dataclass
class ResolvedScene:
    """A scene with every name resolved against a model: plain data for a renderer.

    Attributes
    ----------
    scene : Scene
        The scene resolved.
    items : list of DrawItem
        Structures in drawing order (see :func:`glute3d.scene.source.drawing_order`).
    overlays : list of OverlayItem
        Landmarks drawn on them.
    labels : list of LabelItem
        In the scene's order, then the overlay landmarks ``overlays.label`` adds.
    focus_points : (n, 3) array or None
        Points the camera frames besides ``focus_items``.
    legend : list of (text, style, colour or None)
        One entry per layer and style, in drawing order (deep to superficial).
    marks : list of Mark
        Injection marks, the safety map's threshold line, reference segments.
    safety : SafetyMap or None
        The safety map, when a ``safety_map_*`` overlay is drawn.
    focus_items : list of str
        Drawn structures the camera frames (as drawn: after their cut-away).
    warnings : list of str
        What the picture shows that its author may not expect, one line each: a scene without
        layers (everything is drawn), a structure that two layers name, nothing drawn.
    """

    scene: SceneFields
    items: list[DrawItem] = field(default_factory=list)
    overlays: list[OverlayItem] = field(default_factory=list)
    labels: list[LabelItem] = field(default_factory=list)
    focus_points: np.ndarray | None = None
    legend: list[tuple[str, str, str | None]] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    safety: SafetyMap | None = None
    focus_items: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def has_focus(self) -> bool:
        """The camera frames chosen names rather than everything drawn."""
        return self.focus_points is not None or bool(self.focus_items)
