"""Render the atlas-style muscle pictures of docs/images/muscles_*.png (plain pyvista, off-screen).

Usage::

    /work/venv/bin/python bench/render_muscles.py [output folder]

Bone ivory, muscles red-brown, the muscle in focus orange-red; fibre lines on the superficial
face of every muscle give the striated look of an atlas plate.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np  # noqa: E402
import pyvista as pv  # noqa: E402

import glute3d  # noqa: E402

pv.OFF_SCREEN = True

BONE = "#e8dcc0"
MUSCLE = "#9e3b2f"
HIGHLIGHT = "#e8552e"
PART_TINTS = ("#f4a06a", "#e8552e", "#b8341a")  # anterior, middle, posterior
SIZE = (1000, 1000)

# cameras for the right hip: (position, focal point, view up); mm, X anterior, Y up, Z right
LATERAL = [(-40.0, -20.0, 700.0), (-55.0, -30.0, 100.0), (0.0, 1.0, 0.0)]
POSTERIOR = [(-640.0, -10.0, 150.0), (-95.0, -30.0, 80.0), (0.0, 1.0, 0.0)]
POSTEROLATERAL = [(-540.0, 40.0, 540.0), (-80.0, -50.0, 80.0), (0.0, 1.0, 0.0)]


def _darker(color: str, f: float = 0.62) -> tuple[float, float, float]:
    rgb = np.array(pv.Color(color).float_rgb)
    return tuple(rgb * f)


def add_bones(pl: pv.Plotter, model, side: str = "r") -> None:
    for name in (f"hip_bone_{side}", "sacrum", "coccyx", f"femur_{side}"):
        pl.add_mesh(
            model.bones[name].to_pyvista(), color=BONE, smooth_shading=True, specular=0.2, split_sharp_edges=True
        )


def add_muscle(
    pl: pv.Plotter, muscle, color: str, *, opacity: float = 1.0, fibres: bool = True, mesh=None, fibre_idx=None
) -> None:
    body = (mesh if mesh is not None else muscle.mesh).to_pyvista()
    pl.add_mesh(
        body,
        color=color,
        smooth_shading=True,
        split_sharp_edges=True,
        feature_angle=50,
        opacity=opacity,
        specular=0.25,
        specular_power=12,
    )
    if fibres:
        idx = range(len(muscle.fibres)) if fibre_idx is None else fibre_idx
        lines = [muscle.superficial[i] + 0.4 * muscle.normals[i] for i in idx]
        for line in lines:
            pl.add_mesh(pv.lines_from_points(line), color=_darker(color), line_width=1.6, opacity=opacity)


def plotter(shape=(1, 1)) -> pv.Plotter:
    pl = pv.Plotter(off_screen=True, window_size=SIZE, shape=shape, border=False)
    pl.set_background("white")
    return pl


def finish(pl: pv.Plotter, path: Path) -> None:
    pl.enable_anti_aliasing("ssaa")
    pl.screenshot(str(path))
    pl.close()
    print("wrote", path)


def posterior_with_piriformis(model, out: Path, muscle: str) -> None:
    """``muscle`` (sideless, e.g. "gluteus_minimus") highlighted beside piriformis, from behind."""
    m = model.muscles
    pl = plotter()
    add_bones(pl, model)
    add_muscle(pl, m["piriformis_r"], MUSCLE)
    add_muscle(pl, m[f"{muscle}_r"], HIGHLIGHT)
    title = muscle.replace("_", " ").capitalize()
    pl.add_text(f"{title} (orange) and piriformis, posterior view", font_size=14, color="black")
    pl.camera_position = POSTERIOR
    finish(pl, out / f"muscles_{muscle.split('_')[-1]}_posterior.png")


def minimus_lateral(model, out: Path) -> None:
    mn = model.muscles["gluteus_minimus_r"]
    pl = plotter()
    add_bones(pl, model)
    for part, tint in zip(("anterior", "middle", "posterior"), PART_TINTS):
        add_muscle(pl, mn, tint, mesh=mn.part_mesh(part), fibre_idx=mn.parts[part])
    pl.add_text(
        "Gluteus minimus, lateral view: anterior, middle and posterior fibres\n"
        "fan from between the anterior and inferior gluteal lines to the anterior facet",
        font_size=13,
        color="black",
    )
    pl.camera_position = LATERAL
    finish(pl, out / "muscles_minimus_lateral.png")


def medius_over_minimus(model, out: Path) -> None:
    m = model.muscles
    pl = plotter(shape=(1, 2))
    for col, (title, show_medius) in enumerate(
        (("Deep layer: gluteus minimus", False), ("Gluteus medius laid over it", True))
    ):
        pl.subplot(0, col)
        add_bones(pl, model)
        add_muscle(pl, m["gluteus_minimus_r"], HIGHLIGHT)
        if show_medius:
            add_muscle(pl, m["gluteus_medius_r"], MUSCLE)
        pl.add_text(title, font_size=12, color="black")
        pl.camera_position = LATERAL
    finish(pl, out / "muscles_medius_over_minimus.png")


def all_layers(model, out: Path) -> None:
    m = model.muscles
    layers = [
        ("1  Deep: gluteus minimus, piriformis", ["gluteus_minimus_r", "piriformis_r"], []),
        ("2  Middle: gluteus medius", ["gluteus_medius_r"], ["gluteus_minimus_r", "piriformis_r"]),
        (
            "3  Tensor fasciae latae",
            ["tensor_fasciae_latae_r"],
            ["gluteus_minimus_r", "piriformis_r", "gluteus_medius_r"],
        ),
        (
            "4  Superficial: gluteus maximus",
            ["gluteus_maximus_r"],
            ["gluteus_minimus_r", "piriformis_r", "gluteus_medius_r", "tensor_fasciae_latae_r"],
        ),
    ]
    pl = plotter(shape=(2, 2))
    for k, (title, new, old) in enumerate(layers):
        pl.subplot(k // 2, k % 2)
        add_bones(pl, model)
        for name in old:
            add_muscle(pl, m[name], MUSCLE)
        for name in new:
            add_muscle(pl, m[name], HIGHLIGHT)
        pl.add_text(title, font_size=11, color="black")
        pl.camera_position = POSTEROLATERAL
    finish(pl, out / "muscles_all_layers.png")


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    model = glute3d.load_model()
    posterior_with_piriformis(model, out, "gluteus_medius")
    posterior_with_piriformis(model, out, "gluteus_minimus")
    minimus_lateral(model, out)
    medius_over_minimus(model, out)
    all_layers(model, out)


if __name__ == "__main__":
    main(sys.argv)
