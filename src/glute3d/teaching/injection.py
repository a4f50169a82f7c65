"""Intramuscular injection sites of the gluteal region, needle tracks and a safety map.

Two sites are constructed on the skin of each side, as nursing texts teach them
(the seed articles name the aim: gluteus medius in the upper outer quadrant,
away from the sciatic and superior gluteal nerves, after Hochstetter).

Dorsogluteal site (quadrant method), seen from behind:

1. *C*, the top of the gluteal (natal) cleft: the skin behind the landmark
   ``gluteal_cleft_top``.
2. *L*, the lateral border of the buttock at the height of *C*: the skin's most
   lateral point there (its outline seen from behind).
3. A horizontal line from *C* to *L* and a vertical line midway between them,
   from the iliac crest down to the gluteal fold (taken
   `GLUTEAL_FOLD_BELOW_TUBEROSITY` below the ischial tuberosity), divide the
   buttock into four quadrants; the upper ones are bounded above by the iliac
   crest.
4. The injection point lies in the upper outer quadrant, midway across it and
   `DORSOGLUTEAL_BELOW_CREST` (6 cm) below the iliac crest, the middle of the
   usual "5 to 7.5 cm below the crest": clear of the sciatic nerve (below and
   medial) and of the superior gluteal vessels and nerve at the greater sciatic
   notch (medial).

A second landmark-based check is drawn with it: the line from the posterior
superior iliac spine to the greater trochanter; injections belong above and
lateral to it (the sciatic nerve runs below and medial to it).

Ventrogluteal site (von Hochstetter's method): the heel of the hand on the
greater trochanter, the index finger on the anterior superior iliac spine and
the middle finger spread back along the iliac crest toward the iliac tubercle.
The fingers form a V whose vertex is at the finger bases, taken
`VENTROGLUTEAL_APEX` of the way from the greater trochanter toward the middle
of the two fingertips; the injection point is the centre of the triangle of
the V, in gluteus medius (and minimus beneath it).

A third kind of site is not intramuscular: the landmark-guided injection of the
subgluteus medius bursa in greater trochanteric pain syndrome (``gtps_bursa_<side>``, found by
:mod:`glute3d.teaching.bursal`, its needle followed by :mod:`glute3d.teaching.gtps`), over the
greater trochanter from the side.  Every
:class:`Site` says what it is (``kind``: `SITE_KINDS`) and what the needle aims at
(``target``), so code about intramuscular injection (the danger criterion, the quadrants)
can leave the bursal site out, and code that lists sites can show every one.

Needles go in perpendicular to the skin (`DEFAULT_NEEDLE_MM` = 38 mm, the
usual 1.5 inch needle; a site may carry its own length, ``Site.needle_mm``: the bursal
needle goes to the depth of the bursa).  Distances to nerves and arteries are from the needle
track (a segment) to each centreline, minus the vessel's or nerve's radius.

`DANGER_MM` = 20 mm is the clearance from a nerve or artery of ``data/injection.toml``: two
standard deviations of the between-person spread of the sciatic nerve's position relative to the
palpable landmarks (the file cites the CT study).  Whether a needle is in danger also depends
on its depth: :mod:`glute3d.teaching.safety` adds the plane between gluteus medius and minimus,
where the superior gluteal vessels and nerve branch, and draws the safety map from both.

Examples
--------
>>> import glute3d
>>> from glute3d.teaching import injection
>>> model = glute3d.load_model()
>>> site = injection.sites(model)["ventrogluteal_r"]
>>> report = injection.needle(model, site)
>>> report.tissue in ("gluteus_medius_r", "gluteus_minimus_r")
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.geometry.distance import ImplicitDistance, segment_segment_distance
from glute3d.geometry.mesh import Mesh
from glute3d.sides import SIDES
from glute3d.teaching.bursal import bursal_point
from glute3d.teaching.skin_surface import SkinSurface, skin_surface

if TYPE_CHECKING:  # pragma: no cover
    from glute3d.anatomy.paths import NeurovascularPath
    from glute3d.model.model import Model

__all__ = [
    "DANGER_MM",
    "DEFAULT_NEEDLE_MM",
    "NeedleReport",
    "SITE_KINDS",
    "Site",
    "VENTROGLUTEAL_APEX",
    "bursal_site",
    "needle",
    "safety_map",
    "sites",
]

#: Needle length used when none is given, mm (a 1.5 inch intramuscular needle).
DEFAULT_NEEDLE_MM = 38.0
#: Tracks closer than this to a nerve or artery (surface to surface) count as dangerous, mm: the
#: ``criterion.clearance_mm`` of data/injection.toml (a test holds the two equal).
DANGER_MM = 20.0
#: Where the V of the ventrogluteal hand position has its vertex: this fraction of the way from
#: the greater trochanter to the midpoint of the two fingertips (the finger bases).
VENTROGLUTEAL_APEX = 0.3
#: The gluteal fold, the lower limit of the quadrants, this far below the ischial tuberosity, mm.
GLUTEAL_FOLD_BELOW_TUBEROSITY = 30.0
#: The dorsogluteal point lies this far below the iliac crest, mm (nursing texts: 5-7.5 cm).
DORSOGLUTEAL_BELOW_CREST = 60.0
#: A point in none of the modelled bodies but this close to a muscle belongs to it (its fascia:
#: the generated muscles keep a small clearance from bone and from each other), mm.
FASCIA_MM = 1.5
#: Quadrant names, in the order upper outer, upper inner, lower outer, lower inner.
QUADRANTS = ("upper_outer_quadrant", "upper_inner_quadrant", "lower_outer_quadrant", "lower_inner_quadrant")
#: What a site is: an intramuscular injection point, a bursal injection point (the target is a
#: bursa, not a muscle), or a region of the skin used to find a point (the quadrants).
SITE_KINDS = ("intramuscular", "bursal", "region")


# ============================================================================ results
@dataclass(frozen=True)
class Site:
    """An injection site, or a region of the skin used to find one.

    Attributes
    ----------
    name : str
        Sided name, e.g. ``"ventrogluteal_r"`` or ``"upper_outer_quadrant_r"``.
    point : numpy.ndarray
        ``(3,)`` on the skin: the injection point, or the centre of a region.
    normal : numpy.ndarray
        ``(3,)`` outward unit normal of the skin there (the needle goes in along ``-normal``).
    outline : numpy.ndarray or None
        ``(n, 3)`` closed outline on the skin (quadrants, the ventrogluteal V), or None.
    lines : dict of str to numpy.ndarray
        Construction lines on the skin, ``(n, 3)`` each.
    marks : dict of str to numpy.ndarray
        Construction points on the skin, ``(3,)`` each.
    box : tuple of float or None
        For quadrants: ``(y_low, y_high, z_low, z_high)`` of the rectangle seen from behind
        (``z`` measured outward from the midline, so the same numbers hold for both sides).
    ceiling : numpy.ndarray or None
        For the upper quadrants: ``(k, 2)`` points ``(z, y)`` of the iliac crest seen from
        behind, the upper limit (same side convention as ``box``).
    kind : str
        One of `SITE_KINDS`: ``"intramuscular"``, ``"bursal"`` or ``"region"``.
    target : str or None
        The sided structure the needle aims at (``"gluteus_medius_r"``,
        ``"subgluteus_medius_bursa_r"``); None for a region.
    needle_mm : float or None
        The needle length the technique uses, mm, when the site has its own (the bursal site:
        the depth of the bursa); None: `DEFAULT_NEEDLE_MM`.
    """

    name: str
    point: np.ndarray
    normal: np.ndarray
    outline: np.ndarray | None = None
    lines: dict[str, np.ndarray] = field(default_factory=dict)
    marks: dict[str, np.ndarray] = field(default_factory=dict)
    box: tuple[float, float, float, float] | None = None
    ceiling: np.ndarray | None = None
    kind: str = "intramuscular"
    target: str | None = None
    needle_mm: float | None = None

    @property
    def side(self) -> str:
        return self.name.rsplit("_", 1)[1]

    def contains(self, points: np.ndarray, normals: np.ndarray | None = None) -> np.ndarray:
        """Which skin points lie in this quadrant (seen from behind), ``(n,)`` bool.

        Only for quadrants.  With ``normals``, points not facing backward (the flank and the
        front of the body, seen through from behind) are left out.
        """
        if self.box is None:
            raise ValueError(f"{self.name} is not a region; only quadrants have a box")
        y0, y1, z0, z1 = self.box
        p = np.atleast_2d(points)
        z = p[:, 2] * (1.0 if self.side == "r" else -1.0)
        inside = (p[:, 1] >= y0) & (p[:, 1] <= y1) & (z >= z0) & (z <= z1)
        if self.ceiling is not None:
            inside &= p[:, 1] <= np.interp(z, self.ceiling[:, 0], self.ceiling[:, 1])
        if normals is not None:
            inside &= np.atleast_2d(normals)[:, 0] < -0.1
        return inside


@dataclass(frozen=True)
class NeedleReport:
    """Where a needle inserted perpendicular to the skin ends, and what it passes near.

    Attributes
    ----------
    entry : numpy.ndarray
        ``(3,)`` the insertion point on the skin.
    direction : numpy.ndarray
        ``(3,)`` unit direction into the body (minus the skin normal).
    length : float
        Needle length, mm.
    tip : numpy.ndarray
        ``(3,)`` ``entry + length * direction``.
    tissue : str
        What the tip lies in: a sided muscle name, ``"bone"``, ``"subcutaneous"`` (no muscle
        reached yet: the subcutaneous fat) or ``"intermuscular"`` (past a muscle but in none:
        a space the model leaves between muscles, fat and fascia in the body).
    layers : list of tuple
        ``(tissue, from_mm, to_mm)`` along the track, in order, depths from the skin.
    muscle : str or None
        The deepest muscle the needle reaches (the tip's muscle, or the last one crossed when
        the tip lies beyond it, e.g. on the ilium); None if it reaches no muscle.
    distances : dict of str to float
        Sided nerve or artery name to the shortest distance between the track and its
        surface (centreline distance minus radius), mm; negative: the track pierces it.  The
        small muscular twigs inside gluteus maximus, which every injection there crosses,
        do not count (``Branch.risk``).
    sheets : tuple of str
        The bursae and fascia among the layers (only a bursal site's report names them);
        ``tissue`` may be one of them.
    """

    entry: np.ndarray
    direction: np.ndarray
    length: float
    tip: np.ndarray
    tissue: str
    layers: list[tuple[str, float, float]]
    distances: dict[str, float]
    sheets: tuple[str, ...] = ()

    @property
    def muscle(self) -> str | None:
        """The deepest muscle reached (see the class docstring)."""
        muscles = [t for t, _, _ in self.layers if t not in ("subcutaneous", "intermuscular", "bone", *self.sheets)]
        return muscles[-1] if muscles else None

    @property
    def crossed(self) -> list[tuple[str, float]]:
        """Every layer the needle crosses, in order, with its thickness along the track, mm.

        Examples
        --------
        >>> import numpy as np
        >>> r = NeedleReport(np.zeros(3), np.array([1.0, 0, 0]), 38.0, np.array([38.0, 0, 0]), "gluteus_medius_r",
        ...                  [("subcutaneous", 0.0, 19.5), ("gluteus_medius_r", 20.0, 38.0)], {})
        >>> r.crossed
        [('subcutaneous', 20.0), ('gluteus_medius_r', 18.0)]
        """
        out = []
        for k, (t, a, b) in enumerate(self.layers):
            end = self.layers[k + 1][1] if k + 1 < len(self.layers) else b
            out.append((t, round(float(end - a), 1)))
        return out

    @property
    def reaches_deep_plane(self) -> bool:
        """Whether the needle passes gluteus medius into minimus (or beyond): the plane between them
        carries the deep branches of the superior gluteal artery and nerve (seed articles 000-004)."""
        names = [t.rsplit("_", 1)[0] for t, _, _ in self.layers]
        return "gluteus_medius" in names and any(
            n in ("gluteus_minimus", "bone") for n in names[names.index("gluteus_medius") + 1 :]
        )

    def describe(self) -> str:
        """One line: the layers crossed with their thickness and where the tip ends."""
        parts = [f"{t} {mm:.1f} mm" for t, mm in self.crossed]
        return f"{self.length:.0f} mm needle: " + ", ".join(parts) + f"; tip in {self.tissue}"

    @property
    def nearest(self) -> tuple[str, float]:
        """The nearest nerve or artery and its distance, mm."""
        name = min(self.distances, key=self.distances.__getitem__)
        return name, self.distances[name]

    @property
    def safe(self) -> bool:
        """True when every nerve and artery is at least `DANGER_MM` from the track."""
        return self.nearest[1] >= DANGER_MM


# ============================================================================ skin geometry


# ============================================================================ sites
def _lm(model: Model, name: str, side: str) -> np.ndarray:
    return np.asarray(model.landmark(name if name == "gluteal_cleft_top" else f"{name}_{side}"), float)


def _polyline(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return a + t * (b - a)


def _crest_from_behind(model: Model, side: str) -> np.ndarray:
    """The iliac crest seen from behind: ``(k, 2)`` points ``(z outward, y)``, z increasing.

    Only the part behind the iliac tubercle counts (the anterior crest turns forward
    and is not seen from behind); beyond the tubercle the height stays that of the tubercle.
    """
    sgn = 1.0 if side == "r" else -1.0
    crest = np.asarray(model.landmark(f"iliac_crest_{side}"), float)
    tub = _lm(model, "iliac_tubercle", side)
    back = crest[crest[:, 0] <= tub[0]]
    zy = np.column_stack([back[:, 2] * sgn, back[:, 1]])
    zy = zy[np.argsort(zy[:, 0])]
    zy = np.vstack([[0.0, zy[0, 1]], zy, [zy[-1, 0] + 200.0, zy[-1, 1]]])
    return zy


@dataclass
class _QuadrantFrame:
    """The dorsogluteal quadrants of one side, seen from behind: the cleft's height splits upper from
    lower, the midline of the buttock inner from outer; the iliac crest caps the upper quadrants."""

    tools: SkinSurface
    side: str
    ceiling: np.ndarray  # (n, 2): lateral z (positive outward) and height of the crest seen from behind
    cleft: np.ndarray  # the skin point behind the top of the gluteal cleft
    z_lat: float  # the buttock's outline, just inside
    y_fold: float  # the gluteal fold

    @property
    def sgn(self) -> float:
        return 1.0 if self.side == "r" else -1.0

    @property
    def z_mid(self) -> float:
        return 0.5 * self.z_lat

    @property
    def y_c(self) -> float:
        return float(self.cleft[1])

    def crest_y(self, z: np.ndarray | float) -> np.ndarray:
        return np.interp(z, self.ceiling[:, 0], self.ceiling[:, 1])

    def behind(self, yz: np.ndarray) -> np.ndarray:
        """Skin points seen from behind at heights and lateral positions ``yz``."""
        pts = [self.tools.from_behind(y, z * self.sgn) for y, z in yz]
        return np.asarray([p for p in pts if p is not None])

    def outline(self, y0: float, y1: float, z0: float, z1: float, capped: bool, n: int = 24) -> np.ndarray:
        z = np.linspace(z0, z1, n)
        top = np.column_stack([np.minimum(self.crest_y(z), y1) if capped else np.full(n, y1), z])
        edges = [
            np.column_stack([np.full(n, y0), z]),
            np.column_stack([np.linspace(y0, top[-1, 0], n), np.full(n, z1)]),
            top[::-1],
            np.column_stack([np.linspace(top[0, 0], y0, n), np.full(n, z0)]),
        ]
        return self.behind(np.vstack(edges))

    def quadrant(self, name: str, y0: float, y1: float, z0: float, z1: float) -> Site:
        upper = y0 >= self.y_c - 1e-9
        zc = 0.5 * (z0 + z1)
        yc = 0.5 * (y0 + min(y1, float(self.crest_y(zc)))) if upper else 0.5 * (y0 + y1)
        centre = self.tools.behind(yc, zc * self.sgn)
        return Site(
            f"{name}_{self.side}",
            centre,
            self.tools.normal_at(centre),
            self.outline(y0, y1, z0, z1, upper),
            box=(y0, y1, z0, z1),
            ceiling=self.ceiling if upper else None,
            kind="region",
            target=None,
        )

    def quadrants(self) -> dict[str, Site]:
        y_high, y_c, z_mid, z_lat = float(self.ceiling[:, 1].max()), self.y_c, self.z_mid, self.z_lat
        boxes = {
            "upper_outer_quadrant": (y_c, y_high, z_mid, z_lat),
            "upper_inner_quadrant": (y_c, y_high, 0.0, z_mid),
            "lower_outer_quadrant": (self.y_fold, y_c, z_mid, z_lat),
            "lower_inner_quadrant": (self.y_fold, y_c, 0.0, z_mid),
        }
        return {f"{q}_{self.side}": self.quadrant(q, *boxes[q]) for q in QUADRANTS}


def _quadrant_frame(model: Model, tools: SkinSurface, side: str) -> _QuadrantFrame:
    sgn = 1.0 if side == "r" else -1.0
    v = tools.mesh.vertices
    cleft = _lm(model, "gluteal_cleft_top", side)
    c = tools.from_behind(cleft[1], 0.0)
    if c is None:
        raise RuntimeError("the skin has no point behind the top of the gluteal cleft")
    band = v[(np.abs(v[:, 1] - c[1]) < 4.0) & (v[:, 2] * sgn > 0)]
    z_lat = float(np.max(band[:, 2] * sgn)) - 2.0  # the outline seen from behind, just inside
    y_fold = float(_lm(model, "ischial_tuberosity", side)[1]) - GLUTEAL_FOLD_BELOW_TUBEROSITY
    return _QuadrantFrame(tools, side, _crest_from_behind(model, side), c, z_lat, y_fold)


def _dorsogluteal(model: Model, tools: SkinSurface, side: str) -> dict[str, Site]:
    f = _quadrant_frame(model, tools, side)
    out = f.quadrants()
    # the line from the posterior superior iliac spine to the greater trochanter
    psis = tools.closest(_lm(model, "psis", side))
    gt = tools.closest(_lm(model, "greater_trochanter_tip", side))
    psis_gt = tools.on_skin(_polyline(psis, gt, 40), np.array([-1.0, 0.0, 0.8 * f.sgn]))
    # injection point: midway across the upper outer quadrant, 6 cm below the crest
    z_s = 0.5 * (f.z_mid + f.z_lat)
    y_s = max(float(f.crest_y(z_s)) - DORSOGLUTEAL_BELOW_CREST, f.y_c + 10.0)
    p = tools.behind(y_s, z_s * f.sgn)
    uoq = out[f"upper_outer_quadrant_{side}"]
    zs = np.linspace(0.0, f.z_lat, 40)
    lines = {
        "horizontal": f.behind(np.column_stack([np.full(40, f.y_c), zs])),
        "vertical": f.behind(
            np.column_stack([np.linspace(f.y_fold, float(f.crest_y(f.z_mid)), 50), np.full(50, f.z_mid)])
        ),
        "psis_gt": psis_gt,
        "iliac_crest": f.behind(np.column_stack([f.crest_y(zs), zs])),
    }
    marks = {
        "cleft_top": f.cleft,
        "lateral_border": tools.behind(f.y_c, f.z_lat * f.sgn),
        "psis": psis,
        "greater_trochanter": gt,
    }
    out[f"dorsogluteal_{side}"] = Site(
        f"dorsogluteal_{side}",
        p,
        tools.normal_at(p),
        uoq.outline,
        lines=lines,
        marks=marks,
        box=uoq.box,
        ceiling=f.ceiling,
        target=f"gluteus_medius_{side}",
    )
    return out


def _ventrogluteal(model: Model, tools: SkinSurface, side: str) -> Site:
    gt = tools.closest(_lm(model, "greater_trochanter_tip", side))
    asis = tools.closest(_lm(model, "asis", side))
    tub = tools.closest(_lm(model, "iliac_tubercle", side))
    apex = gt + VENTROGLUTEAL_APEX * (0.5 * (asis + tub) - gt)
    centre = (apex + asis + tub) / 3.0
    n_out = tools.normal_at(tools.closest(centre))
    p = tools.on_skin(centre[None], n_out)[0]
    outward = tools.normal_at(p)
    index = tools.on_skin(_polyline(apex, asis, 30), outward)
    middle = tools.on_skin(_polyline(apex, tub, 30), outward)
    tips = tools.on_skin(_polyline(asis, tub, 20), outward)
    outline = np.vstack([index, tips[1:], middle[::-1][1:]])
    apex_s = tools.on_skin(apex[None], outward)[0]
    return Site(
        f"ventrogluteal_{side}",
        p,
        outward,
        outline,
        lines={"index_finger": index, "middle_finger": middle},
        marks={"greater_trochanter": gt, "asis": asis, "iliac_tubercle": tub, "apex": apex_s},
        target=f"gluteus_medius_{side}",
    )


def bursal_site(model: Model, side: str) -> Site:
    """The landmark-guided GTPS injection of ``side``: a bursal site whose target is the
    subgluteus medius bursa and whose needle goes to it (:mod:`glute3d.teaching.bursal`)."""
    p = bursal_point(model, side)
    return Site(p.name, p.entry, p.normal, None, marks=p.marks, kind="bursal", target=p.target, needle_mm=p.depth)


def sites(model: Model, *, sides: Sequence[str] = SIDES) -> dict[str, Site]:
    """The injection sites and the quadrants of the buttock, on the model's skin.

    Parameters
    ----------
    model : Model
        Neutral or posed (the posed skin is only an approximation).
    sides : sequence of {"r", "l"}

    Returns
    -------
    dict of str to Site
        ``ventrogluteal_<side>``, ``dorsogluteal_<side>`` (with the construction lines
        ``horizontal``, ``vertical`` and ``psis_gt``) and the four quadrants
        ``upper_outer_quadrant_<side>``, ... (with their boxes), all ``kind`` intramuscular or
        region; and ``gtps_bursa_<side>``, ``kind`` bursal: the landmark-guided injection of the
        subgluteus medius bursa (:func:`bursal_site`).
    """
    tools = skin_surface(model)
    key = ("sites", tuple(sides))
    if key in tools.skin._cache:
        return dict(tools.skin._cache[key])
    out: dict[str, Site] = {}
    for side in sides:
        if side not in SIDES:
            raise ValueError(f"side {side!r} is not one of {SIDES}")
        out[f"ventrogluteal_{side}"] = _ventrogluteal(model, tools, side)
        out.update(_dorsogluteal(model, tools, side))
        bursal = bursal_site(model, side)
        out[bursal.name] = bursal
    tools.skin._cache[key] = out
    return dict(out)


# ============================================================================ needles
def _structures(model: Model) -> dict[str, NeurovascularPath]:
    return dict(model.paths)


def _segments(model: Model, step: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Centreline segments of the branches at risk of every path (every ``step``-th sample).

    Returns starts, ends, radii and the index of the owning path in the returned names.
    """
    paths = _structures(model)
    names = list(paths)
    a, b, r, who = [], [], [], []
    for k, name in enumerate(names):
        for br in paths[name].branches.values():
            if not br.risk:
                continue
            c = br.centreline
            if step > 1:
                idx = np.unique(np.concatenate([np.arange(0, len(c), int(step)), [len(c) - 1]]))
                c = c[idx]
            a.append(c[:-1])
            b.append(c[1:])
            r.append(np.full(len(c) - 1, br.radius))
            who.append(np.full(len(c) - 1, k))
    return np.vstack(a), np.vstack(b), np.concatenate(r), np.concatenate(who), names


def _tissue_fields(model: Model) -> dict[str, ImplicitDistance]:
    cache = model._cache
    if "injection_fields" not in cache:
        fields = {name: ImplicitDistance(m.mesh) for name, m in model.muscles.items()}
        from glute3d.geometry.mesh import merge

        fields["bone"] = ImplicitDistance(merge(list(model.bones.values())))
        cache["injection_fields"] = fields
    return cache["injection_fields"]


def _sheet_fields(model: Model, names: Sequence[str]) -> dict[str, ImplicitDistance]:
    cache = model._cache.setdefault("injection_sheet_fields", {})
    for name in names:
        if name not in cache:
            cache[name] = ImplicitDistance(model.structure(name))
    return {name: cache[name] for name in names}


def tissue_at(model: Model, points: np.ndarray, sheets: Sequence[str] = ()) -> list[str]:
    """What each point lies in: a sided muscle name, ``"bone"`` or ``"subcutaneous"``.

    Where muscle bodies overlap, the one the point is deepest inside wins.  A point in
    no body but within `FASCIA_MM` of a muscle belongs to that muscle (the generated
    muscles keep a small gap from bone and from each other; in the body it is fascia).
    ``sheets``: sided names of thin structures (bursae, fascia) that a point inside them
    lies in first, wherever they overlap a muscle (a bursa under a tendon, the iliotibial
    tract with the gluteus maximus fibres inserting into it).
    """
    pts = np.atleast_2d(np.asarray(points, float))
    fields = _tissue_fields(model)
    names = list(fields)
    d = np.column_stack([fields[n](pts) for n in names])
    muscle = np.array([n != "bone" for n in names])
    extra = _sheet_fields(model, sheets)
    inside = {n: f(pts) <= 0.0 for n, f in extra.items()}
    out = []
    for i, row in enumerate(d):
        sheet = next((n for n in extra if inside[n][i]), None)
        if sheet is not None:
            out.append(sheet)
            continue
        k = int(np.argmin(row))
        if row[k] < 0.0:
            out.append(names[k])
            continue
        km = int(np.argmin(np.where(muscle, row, np.inf)))
        out.append(names[km] if row[km] <= FASCIA_MM else "subcutaneous")
    return out


def _sheets_of(model: Model, site: Site) -> tuple[str, ...]:
    """The thin structures a needle report names besides muscles: for a bursal site, the bursae
    and fascia of its side (the target is one of them); none for an intramuscular site."""
    if site.kind != "bursal":
        return ()
    side = site.side
    return tuple(n for n in (*model.bursae, *model.fascia) if n.endswith(f"_{side}"))


def needle(model: Model, site_or_point: Site | Any, needle_mm: float | None = None) -> NeedleReport:
    """Follow a needle inserted perpendicular to the skin.

    For a bursal site (``site.kind == "bursal"``) the report names the bursae and fascia
    the track crosses besides the muscles (``NeedleReport.sheets``); an intramuscular
    report names muscles only.

    Parameters
    ----------
    model : Model
    site_or_point : Site or array_like
        A :class:`Site`, or a point (snapped to the nearest skin point).
    needle_mm : float, optional
        Needle length, mm (positive); default the site's own (``Site.needle_mm``), else
        `DEFAULT_NEEDLE_MM`.

    Returns
    -------
    NeedleReport

    Raises
    ------
    ValueError
        A non-positive needle length.
    """
    own = site_or_point.needle_mm if isinstance(site_or_point, Site) else None
    length = float(needle_mm if needle_mm is not None else own if own is not None else DEFAULT_NEEDLE_MM)
    if not np.isfinite(length) or length <= 0.0:
        raise ValueError(f"needle_mm must be a positive length in mm, got {needle_mm!r}")
    tools = skin_surface(model)
    sheets: tuple[str, ...] = ()
    if isinstance(site_or_point, Site):
        entry, normal = np.asarray(site_or_point.point, float), np.asarray(site_or_point.normal, float)
        sheets = _sheets_of(model, site_or_point)
    else:
        entry = tools.closest(np.asarray(site_or_point, float))
        normal = tools.normal_at(entry)
    direction = -normal / np.linalg.norm(normal)
    tip = entry + length * direction
    depth = np.linspace(0.0, length, max(2, int(length / 0.5) + 1))
    along = tissue_at(model, entry + depth[:, None] * direction, sheets)
    seen_muscle = False
    for i, t in enumerate(along):
        if t == "subcutaneous" and seen_muscle:
            along[i] = "intermuscular"
        seen_muscle |= t not in ("subcutaneous", "bone")  # a fascia sheet too: deep to it is not fat
    layers: list[tuple[str, float, float]] = []
    for i, t in enumerate(along):
        if layers and layers[-1][0] == t:
            layers[-1] = (t, layers[-1][1], float(depth[i]))
        else:
            layers.append((t, float(depth[i]), float(depth[i])))
    a, b, r, who, names = _segments(model)
    d = segment_segment_distance(entry[None], tip[None], a, b) - r
    dist = {n: float(d[who == k].min()) for k, n in enumerate(names)}
    return NeedleReport(entry, direction, length, tip, along[-1], layers, dist, tuple(sorted(set(along) & set(sheets))))


def safety_map(
    model: Model,
    needle_mm: float = DEFAULT_NEEDLE_MM,
    *,
    kinds: Sequence[str] = ("nerve", "artery"),
    names: Sequence[str] | None = None,
    chunk: int = 1024,
) -> tuple[Mesh, np.ndarray]:
    """For every skin vertex: how close a perpendicular needle comes to a nerve or artery.

    Parameters
    ----------
    model : Model
    needle_mm : float
        Needle length, mm.
    kinds : sequence of {"nerve", "artery"}
        Which structures count.
    names : sequence of str, optional
        Only these sided path names (e.g. ``["sciatic_nerve_r"]``).
    chunk : int
        Vertices per vectorised block (memory vs speed).

    Returns
    -------
    skin : Mesh
        The skin mesh.
    distance : numpy.ndarray
        ``(n_vertices,)`` shortest distance, mm, between each vertex's needle track and the
        surface of the nearest selected structure (below `DANGER_MM`: dangerous); muscular
        twigs (``Branch.risk`` false) do not count.
    """
    length = float(needle_mm)
    if not np.isfinite(length) or length <= 0.0:
        raise ValueError(f"needle_mm must be a positive length in mm, got {needle_mm!r}")
    tools = skin_surface(model)
    paths = _structures(model)
    a, b, r, who, all_names = _segments(model, step=3.0)
    keep = np.array([paths[n].kind in kinds and (names is None or n in names) for n in all_names])
    if names is not None:
        unknown = sorted(set(names) - set(all_names))
        if unknown:
            raise KeyError(f"unknown path name(s) {unknown}; known: {all_names}")
    sel = keep[who]
    a, b, r = a[sel], b[sel], r[sel]
    v = tools.mesh.vertices
    tip = v - length * tools.normals
    out = np.empty(len(v))
    for lo in range(0, len(v), chunk):
        hi = min(lo + chunk, len(v))
        d = segment_segment_distance(v[lo:hi, None, :], tip[lo:hi, None, :], a[None], b[None]) - r[None]
        out[lo:hi] = d.min(axis=1)
    return tools.mesh, out


_tools = skin_surface  # the old private name, until every caller uses skin_surface
