"""Injection overlays: sites, needles and the safety map of :mod:`glute3d.teaching.injection` as marks on the skin.

:func:`injection_data` computes everything the overlays draw as plain data (a cache can keep
it); :func:`resolve_injection` turns the scene's ``overlays.injection`` names into
:class:`~glute3d.scene.resolved.Mark` s, label targets and the coloured skin of the safety map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from glute3d.scene.context import Targets
from glute3d.scene.resolved import DrawItem, Mark, ResolvedScene, SafetyMap
from glute3d.scene.schema import SceneFields
from glute3d.scene.source import OverlayCache
from glute3d.scene.surface import iso_lines, middle_first, nearest_vertices
from glute3d.scene.theme import load_theme, parse_color
from glute3d.sides import SIDE_SIGN, SIDES

__all__ = ["injection_data", "resolve_injection", "safety_colors"]

_QUADRANTS = ("upper_outer_quadrant", "upper_inner_quadrant", "lower_outer_quadrant", "lower_inner_quadrant")
_OTHER_SIDE_MM = 5.0  # skin this far across the midline keeps its colour on a one-sided safety map


# =============================================================================== data
def _plain_sites(sites: dict) -> dict[str, dict]:
    return {
        n: {
            "kind": s.kind,
            "target": s.target,
            "point": np.asarray(s.point, float),
            "normal": np.asarray(s.normal, float),
            "outline": None if s.outline is None else np.asarray(s.outline, float),
            "lines": {k: np.asarray(v, float) for k, v in s.lines.items()},
            "marks": {k: np.asarray(v, float) for k, v in s.marks.items()},
        }
        for n, s in sites.items()
    }


def _needle_reports(model: Any, sites: dict, needle_mm: float) -> dict[str, dict]:
    from glute3d.teaching import injection

    out = {}
    for n, s in sites.items():
        if s.kind == "region":
            continue
        # an intramuscular needle has the scene's length; a bursal one its site's (to the bursa)
        rep = injection.needle(model, s, needle_mm if s.kind == "intramuscular" else None)
        out[n] = {
            "entry": np.asarray(rep.entry, float),
            "tip": np.asarray(rep.tip, float),
            "length": float(rep.length),
            "tissue": rep.tissue,
            "nearest": rep.nearest,
            "layers": list(rep.layers),
        }
    return out


def _normals_along(skin: Any, normals: np.ndarray, plain: dict[str, dict]) -> dict[str, np.ndarray]:
    """The skin's normal under every drawn line, mark and outline, to lift them off the skin."""
    along = {}
    for n, site in plain.items():
        for what in ("lines", "marks"):
            for k, pts in site[what].items():
                along[f"{n}|{what}|{k}"] = normals[nearest_vertices(skin, np.atleast_2d(pts))]
        if site["outline"] is not None:
            along[f"{n}|outline|"] = normals[nearest_vertices(skin, site["outline"])]
    return along


def injection_data(model: Any, needle_mm: float) -> dict:
    """Sites, needle reports and safety distances of the injection stage for ``model``, as plain data.

    Uses ``model.injection_data`` when the model provides it (a cached model), else
    :mod:`glute3d.teaching.injection`.

    Returns
    -------
    dict
        ``skin`` (Mesh); ``sites``: site name to a dict of ``kind``, ``target``, ``point``, ``normal``, ``outline``,
        ``lines`` and ``marks`` (see :class:`glute3d.teaching.injection.Site`); ``inside``:
        quadrant name to a ``(n_vertices,)`` bool mask of the skin; ``needles``: site name (every
        site but the regions) to a dict of ``entry``, ``tip``, ``length`` (``needle_mm`` for an
        intramuscular site, the site's own for a bursal one), ``tissue``, ``nearest`` (name, mm)
        and ``layers``; ``safety``: side to ``(n_vertices,)`` safety margins (mm) of a
        perpendicular needle against that side's nerves and arteries and the deep plane
        (:mod:`glute3d.teaching.safety`); ``threshold`` (mm, the margin of 0 that divides danger
        from safety); ``normals_along``: the skin normals under each drawn
        line, mark and outline (``"<site>|lines|<key>"``, ``"<site>|marks|<key>"``,
        ``"<site>|outline|"``).
    """
    if isinstance(model, OverlayCache):
        return model.injection_data(needle_mm)
    from glute3d.teaching import injection

    skin = model.skin.mesh
    normals = skin.vertex_normals
    sites = injection.sites(model)
    plain = _plain_sites(sites)
    inside = {
        n: np.asarray(s.contains(skin.vertices, normals), bool)
        for n, s in sites.items()
        if s.box is not None and "quadrant" in n
    }
    from glute3d.teaching import safety as criterion

    safety = {}
    for side in SIDES:
        names = [n for n in model.paths if n.endswith(f"_{side}")]
        safety[side] = np.asarray(criterion.safety_field(model, needle_mm, names=names).margin, float)
    return {
        "skin": skin,
        "sites": plain,
        "inside": inside,
        "needles": _needle_reports(model, sites, needle_mm),
        "safety": safety,
        "threshold": 0.0,
        "normals_along": _normals_along(skin, normals, plain),
    }


# =============================================================================== marks
class _SkinMarks:
    """Draws the injection overlays of one scene on the skin: marks, label targets, the safety map."""

    def __init__(self, scene: SceneFields, data: dict, out: ResolvedScene, targets: Targets) -> None:
        self.theme = load_theme()["injection"]
        self.needle_mm = scene.overlays.needle_mm
        self.data, self.out, self.targets = data, out, targets
        self.skin = data["skin"]
        self.normals = self.skin.vertex_normals
        self.sites = data["sites"]
        self.along = data.get("normals_along", {})
        self.lift = float(self.theme["lift"])
        self.r_line = float(self.theme["line_radius"])
        self.r_point = float(self.theme["point_radius"])
        # the safety map colours the skin: no filled quadrant over it
        self.safety_on = any(n.startswith("safety_map_") for n in scene.overlays.injection)

    def draw(self, name: str) -> None:
        """Draw injection overlay ``name`` (one of `INJECTION_OVERLAYS`)."""
        base, side = name.rsplit("_", 1)
        steps: dict[str, Callable[[str], None]] = {
            "quadrants": self.quadrants,
            "dorsogluteal_site": self.dorsogluteal_site,
            "psis_gt_line": self.psis_gt_line,
            "ventrogluteal_site": self.ventrogluteal_site,
            "safety_map": self.safety_map,
            "gtps_site": self.gtps_site,
        }
        steps[base](side)

    # ------------------------------------------------------------------ helpers
    def on_skin(self, pts: np.ndarray, key: str = "") -> np.ndarray:
        """Lift a polyline on the skin a little off it, toward the outside (``key``: the site's
        line or mark, whose skin normals the injection data holds)."""
        pts = np.atleast_2d(np.asarray(pts, float))
        nrm = self.along.get(key)
        if nrm is None or len(nrm) != len(pts):
            nrm = self.normals[nearest_vertices(self.skin, pts)]
        return pts + nrm * self.lift

    def add(self, mark: Mark, target: tuple[str, np.ndarray, float] | None = None) -> None:
        """Draw ``mark`` (on the skin); with ``target``, a label can point at it by the mark's name."""
        self.out.marks.append(replace(mark, on_skin=True))
        if target is not None:
            self.targets[mark.name] = target

    def injection_point(self, key: str, side: str) -> None:
        """The injection point of site ``key`` and its needle track."""
        site = self.sites[f"{key}_{side}"]
        p = site["point"] + site["normal"] * self.lift
        mark = Mark(
            f"{key}_{side}", "point", p, self.theme["point_color"], legend="Injection point", radius=self.r_point
        )
        self.add(mark, ("point", p[None], self.r_point))
        self.needle(key, side)

    def needle(self, key: str, side: str) -> None:
        """The needle of site ``key``: from its hub outside the skin to its tip."""
        rep = self.data["needles"].get(f"{key}_{side}")
        if rep is None:
            return
        entry, tip = np.asarray(rep["entry"], float), np.asarray(rep["tip"], float)
        hub = entry - (tip - entry) / np.linalg.norm(tip - entry) * float(self.theme["hub_mm"])
        radius = float(self.theme["needle_radius"])
        length = float(rep.get("length", self.needle_mm))
        mark = Mark(
            f"{key}_needle_{side}",
            "needle",
            np.vstack([hub, tip]),
            self.theme["needle_color"],
            legend=f"Needle track ({round(length, 1):g} mm)",
            radius=radius,
        )
        along = np.vstack([entry + (tip - entry) * t for t in (0.5, 0.35, 0.65)])
        self.add(mark, ("curve", along, radius))

    # ------------------------------------------------------------------ overlays
    def quadrants(self, side: str) -> None:
        """The quadrant lines, the upper outer quadrant filled and outlined, every quadrant a target."""
        d = self.sites[f"dorsogluteal_{side}"]
        for key in ("horizontal", "vertical", "iliac_crest"):
            if key in d["lines"] and len(d["lines"][key]) > 1:
                line = self.on_skin(d["lines"][key], f"dorsogluteal_{side}|lines|{key}")
                self.add(
                    Mark(
                        f"quadrant_{key}_{side}",
                        "line",
                        line,
                        self.theme["quadrant_color"],
                        legend="Quadrant lines",
                        radius=self.r_line,
                    )
                )
        for q in _QUADRANTS:
            inside = self.data["inside"][f"{q}_{side}"]
            if q == "upper_outer_quadrant":
                self.upper_outer_quadrant(side, inside)
            pts = self.skin.vertices[inside] + self.normals[inside] * self.lift
            if len(pts):
                pts = pts[np.argsort(np.linalg.norm(pts - pts.mean(axis=0), axis=1), kind="stable")]
                self.targets[f"{q}_{side}"] = ("region", pts[:: max(1, len(pts) // 800)], 0.0)

    def upper_outer_quadrant(self, side: str, inside: np.ndarray) -> None:
        """The upper outer quadrant: filled (unless the safety map colours the skin) and outlined."""
        q = "upper_outer_quadrant"
        faces = np.flatnonzero(inside[self.skin.faces].all(axis=1))
        if len(faces) and not self.safety_on:
            patch = self.skin.submesh(faces)
            lifted = type(patch)(patch.vertices + patch.vertex_normals * self.lift * 0.6, patch.faces)
            self.add(
                Mark(
                    f"{q}_{side}",
                    "fill",
                    lifted,
                    self.theme["uoq_color"],
                    legend="Upper outer quadrant",
                    opacity=float(self.theme["uoq_opacity"]),
                )
            )
        outline = self.sites[f"{q}_{side}"]["outline"]
        if outline is not None and len(outline) > 2:
            ring = self.on_skin(outline, f"{q}_{side}|outline|")
            ring = np.vstack([ring, ring[:1]])
            self.add(
                Mark(f"{q}_outline_{side}", "line", ring, self.theme["uoq_outline_color"], radius=self.r_line * 1.25)
            )

    def dorsogluteal_site(self, side: str) -> None:
        """The dorsogluteal injection point and its needle."""
        self.injection_point("dorsogluteal", side)

    def psis_gt_line(self, side: str) -> None:
        """The dashed line from the posterior superior iliac spine to the greater trochanter, and its ends."""
        d = self.sites[f"dorsogluteal_{side}"]
        color = self.theme["psis_gt_color"]
        line = self.on_skin(d["lines"]["psis_gt"], f"dorsogluteal_{side}|lines|psis_gt")
        self.add(
            Mark(
                f"psis_gt_line_{side}",
                "line",
                line,
                color,
                legend="PSIS to greater trochanter",
                radius=self.r_line,
                dashed=True,
            )
        )
        for key in ("psis", "greater_trochanter"):
            if key in d["marks"]:
                mark = self.on_skin(d["marks"][key], f"dorsogluteal_{side}|marks|{key}")[0]
                self.add(Mark(f"psis_gt_{key}_{side}", "point", mark, color, radius=self.r_point * 0.7))
        self.targets[f"psis_gt_line_{side}"] = ("curve", middle_first(line), self.r_line)

    def ventrogluteal_site(self, side: str) -> None:
        """Von Hochstetter's V (the fingers' lines and the translucent triangle), the palpated points,
        the injection point and its needle."""
        from glute3d.geometry.mesh import Mesh

        key = f"ventrogluteal_{side}"
        v = self.sites[key]
        color = self.theme["v_color"]
        for finger in ("index_finger", "middle_finger"):
            line = self.on_skin(v["lines"][finger], f"{key}|lines|{finger}")
            self.add(
                Mark(
                    f"ventrogluteal_{finger}_{side}",
                    "line",
                    line,
                    color,
                    legend="Ventrogluteal V (index and middle finger)",
                    radius=self.r_line * 1.2,
                )
            )
        if v["outline"] is not None and len(v["outline"]) > 2:
            tri = self.on_skin(v["outline"], f"{key}|outline|")
            verts = np.vstack([tri.mean(axis=0), tri])  # a fan around the centre: the area the needle goes into
            k = len(tri)
            faces = np.column_stack([np.zeros(k, np.int64), 1 + np.arange(k), 1 + (np.arange(k) + 1) % k])
            self.add(
                Mark(
                    f"ventrogluteal_v_{side}", "fill", Mesh(verts, faces), color, opacity=float(self.theme["v_opacity"])
                ),
                ("region", tri, 0.0),
            )
        for bone in ("greater_trochanter", "asis", "iliac_tubercle"):
            if bone in v["marks"]:
                mark = self.on_skin(v["marks"][bone], f"{key}|marks|{bone}")
                r = self.r_point * 0.7
                self.add(
                    Mark(
                        f"ventrogluteal_{bone}_{side}",
                        "point",
                        mark[0],
                        self.theme["mark_color"],
                        legend="Palpated bony landmarks",
                        radius=r,
                    ),
                    ("point", mark, r),
                )
        self.injection_point("ventrogluteal", side)

    def gtps_site(self, side: str) -> None:
        """The bursal injection of greater trochanteric pain: the injection point straight lateral to
        the subgluteus medius bursa, over the palpated greater trochanter, and the needle to the bursa."""
        self.injection_point("gtps_bursa", side)

    def safety_map(self, side: str) -> None:
        """The distances of one side's skin; with both sides, the nearer structure of either counts."""
        d = np.asarray(self.data["safety"][side], float).copy()
        d[self.skin.vertices[:, 2] * SIDE_SIGN[side] < -_OTHER_SIDE_MM] = np.nan  # the other side keeps its colour
        if self.out.safety is not None:
            d = np.fmin(self.out.safety.distances, d)
        vmin, vmax = float(self.theme["vmin"]), float(self.theme["vmax"])
        self.out.safety = SafetyMap(d, float(self.data["threshold"]), float(self.needle_mm), vmax, vmin)

    def colour_skin(self, safety: SafetyMap) -> None:
        """Colour the skin by ``safety`` (adding the skin when the layers do not draw it), draw the
        danger threshold on it, and drop the skin's plain colour from the legend."""
        out = self.out
        colors = safety_colors(safety.distances, safety.threshold, safety.vmax, self.theme, vmin=safety.vmin)
        for k, it in enumerate(out.items):
            if it.name == "skin":
                opacity = it.opacity if it.opacity is not None else 1.0
                out.items[k] = DrawItem(it.name, self.skin, it.style, it.color, opacity, it.layer, it.cut, colors)
                break
        else:
            out.items.append(DrawItem("skin", self.skin, "skin", None, 1.0, "Skin", None, colors))
        plain = {it.layer for it in out.items if it.vertex_colors is None}
        out.legend = [e for e in out.legend if e[0] in plain]
        lines = iso_lines(self.skin, safety.distances, safety.threshold, self.skin.vertex_normals)
        for k, (line, nrm) in enumerate(lines):
            self.add(
                Mark(
                    f"safety_threshold_{k}",
                    "line",
                    line + nrm * self.lift,
                    self.theme["threshold_color"],
                    radius=self.r_line * 0.8,
                    legend="Danger limit (no margin left)",
                )
            )


def resolve_injection(scene: SceneFields, model: Any, out: ResolvedScene, targets: Targets) -> None:
    """Marks (lines, fills, points, needles) and the safety map of ``overlays.injection``.

    The label targets the marks provide (``dorsogluteal_r``, ``upper_outer_quadrant_l`` ...) are
    added to ``targets``.

    Raises
    ------
    SceneError
        The model has no skin, or the injection sites cannot be built on it.
    """
    ov = scene.overlays
    if not isinstance(model, OverlayCache) and getattr(model, "skin", None) is None:
        raise scene.error(
            ("overlays", "injection", 0),
            f"{ov.injection[0]!r} needs the skin and the injection stage (glute3d.teaching.injection), "
            "which this model does not have; remove it from overlays.injection",
            ov.injection[0],
        )
    try:
        data = injection_data(model, ov.needle_mm)
    except (ValueError, RuntimeError, KeyError) as exc:
        raise scene.error(("overlays", "injection"), f"the injection sites cannot be built: {exc}") from None
    marks = _SkinMarks(scene, data, out, targets)
    for name in ov.injection:
        marks.draw(name)
    if out.safety is not None:
        marks.colour_skin(out.safety)


def safety_colors(
    d: np.ndarray, threshold: float, vmax: float, theme: dict | None = None, *, vmin: float = 0.0
) -> np.ndarray:
    """RGB in [0, 1] per value of the diverging danger colour map (NaN: the skin colour).

    Below ``threshold`` the colours run from dark red (at ``vmin`` and below) to a pale tint at
    the threshold; above it, through pale blue to dark blue at ``vmax`` and beyond.

    Parameters
    ----------
    d : (n,) array
        Distances in mm.
    threshold, vmax : float
        The danger threshold and the end of the colour bar (mm).
    vmin : float
        The start of the colour bar (mm), below the threshold.
    theme : dict, optional
        The theme's ``[injection]`` table (default: the packaged theme's).

    Examples
    --------
    >>> rgb = safety_colors(np.array([0.0, 20.0, 100.0, np.nan]), 20.0, 60.0)
    >>> bool(rgb[0, 0] > rgb[0, 2]), bool(rgb[2, 2] > rgb[2, 0])  # red when near, blue when far
    (True, True)
    """
    theme = theme or load_theme()["injection"]
    stops = np.array([s[0] for s in theme["colormap"]], float)  # fractions of threshold .. vmax
    cols = np.array([parse_color(s[1]) for s in theme["colormap"]], float)
    d = np.asarray(d, float)
    # position on the map: 0 .. 0.5 for vmin .. threshold, 0.5 .. 1 for threshold .. vmax
    t = np.where(
        d <= threshold,
        0.5 * np.clip(d - vmin, 0.0, None) / max(threshold - vmin, 1e-9),
        0.5 + 0.5 * np.clip((d - threshold) / max(vmax - threshold, 1e-9), 0.0, 1.0),
    )
    rgb = np.column_stack([np.interp(t, stops, cols[:, k]) for k in range(3)])
    rgb[~np.isfinite(d)] = np.array(parse_color(load_theme()["styles"]["skin"]["color"]))
    return rgb
