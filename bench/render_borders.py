"""Close-ups of attachment borders on the bones and of the bone triangles (a check, not a slide).

Run from the repository root:
    python bench/render_borders.py OUTDIR [MESH_DIR]

Renders the right hip bone from the side with the origins of gluteus minimus and medius
coloured, zoomed on the anterior gluteal line (where the two regions meet) and on the
inferior gluteal line, and the greater trochanter's facets, each with the mesh edges drawn:
the borders should follow their lines, with no staircase of whole triangles and no needles.
``MESH_DIR`` (default: the packaged model) lets the same views be rendered for older files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
import numpy as np
import pyvista as pv

import glute3d

pv.OFF_SCREEN = True
BONE = "#e8dcc0"
COLOURS = {
    "gluteus_minimus_origin_r": "#d99a1e",
    "gluteus_medius_origin_r": "#2f8fc9",
    "gluteus_maximus_origin_r": "#b0489a",
    "gt_anterior_facet_r": "#d99a1e",
    "gt_lateral_facet_r": "#2f8fc9",
    "gt_superoposterior_facet_r": "#1f9e74",
    "gt_posterior_facet_r": "#b0489a",
}


def render(model, bone: str, focus: np.ndarray, direction, zoom_mm: float, path: Path) -> None:
    mesh = model.bones[bone]
    pl = pv.Plotter(window_size=(1200, 900), border=False)
    pl.set_background("white")
    bare = np.ones(mesh.n_faces, bool)
    for name, colour in COLOURS.items():
        for b, faces in model.landmarks.regions.get(name, ()):
            if b == bone and len(faces):
                bare[faces] = False
                part = mesh.submesh(faces).to_pyvista()
                pl.add_mesh(part, color=colour, show_edges=True, edge_color="#404040", line_width=0.6)
    rest = mesh.submesh(np.flatnonzero(bare)).to_pyvista()
    pl.add_mesh(rest, color=BONE, show_edges=True, edge_color="#9a9080", line_width=0.6)
    for name in ("anterior_gluteal_line_r", "inferior_gluteal_line_r", "posterior_gluteal_line_r"):
        if bone.startswith("hip_bone"):
            curve = model.landmark(name)
            pl.add_mesh(pv.lines_from_points(curve + 0.3 * np.asarray(direction)), color="black", line_width=3)
    d = np.asarray(direction, float) / np.linalg.norm(direction)
    pl.camera.focal_point = tuple(focus)
    pl.camera.position = tuple(focus + d * 400.0)
    pl.camera.up = (0.0, 1.0, 0.0)
    pl.camera.view_angle = float(np.degrees(2 * np.arctan(zoom_mm / 2 / 400.0)))
    pl.enable_lightkit()
    pl.screenshot(str(path))
    pl.close()


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    model = glute3d.load_model(sys.argv[2]) if len(sys.argv) > 2 else glute3d.load_model()
    lateral = (0.15, 0.1, 1.0)
    agl = model.landmark("anterior_gluteal_line_r")
    igl = model.landmark("inferior_gluteal_line_r")
    render(model, "hip_bone_r", agl[len(agl) // 2], lateral, 40.0, out / "border_anterior_gluteal_line.png")
    render(model, "hip_bone_r", igl[len(igl) // 3], lateral, 30.0, out / "border_inferior_gluteal_line.png")
    render(model, "hip_bone_r", agl[len(agl) // 2], lateral, 160.0, out / "border_gluteal_surface.png")
    gt = model.landmark("greater_trochanter_tip_r")
    render(model, "femur_r", gt + [0.0, -14.0, 0.0], (0.1, 0.1, 1.0), 55.0, out / "border_trochanter_facets.png")
    print(f"wrote 4 pictures to {out}")


if __name__ == "__main__":
    main()
