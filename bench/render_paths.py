"""Teaching pictures of the nerve/artery paths and the injection sites (docs/images).

Run from the repository root:  python bench/render_paths.py [outdir] [which...]
"""

import os
import sys

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
import numpy as np
import pyvista as pv

import glute3d
from glute3d.teaching import injection

pv.OFF_SCREEN = True
OUT = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "images")
)
# (the safety map is scene 21's, drawn by the renderer from glute3d.teaching.safety: no second copy here)
WHICH = set(sys.argv[2:]) or {"between", "sciatic", "sites"}
BONE, MUSCLE, NERVE, ARTERY, SKIN = "#e8dcc0", "#9e3b2f", "#f2d21b", "#d3222a", "#e8b89a"
SIZE = (1600, 1200)

model = glute3d.load_model()
mu = model.muscles
P = model.paths


from glute3d.anatomy.paths.sampling import bilinear as _bilinear


def at(name, q, s, face="superficial"):
    return _bilinear(getattr(mu[name], face), q, s)[0]


def along(branch, t):
    c = branch.centreline
    return c[int(round(t * (len(c) - 1)))]


def plotter(shape=None):
    pl = pv.Plotter(window_size=SIZE, shape=shape or (1, 1), border=False)
    pl.set_background("white")
    return pl


from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def to_pixels(pl, points, renderer=None):
    ren = renderer or pl.renderer
    h = pl.window_size[1]
    out = []
    for p in np.atleast_2d(points):
        ren.SetWorldPoint(float(p[0]), float(p[1]), float(p[2]), 1.0)
        ren.WorldToDisplay()
        x, y, _ = ren.GetDisplayPoint()
        out.append((x, h - y))
    return out


def finish(pl, name, labels=(), title_text=None, caption=None):
    """Render, then draw labels with leader lines (PIL) at pixel positions.

    labels: (anchor_world_point, text, (fx, fy) label position as fractions of the image, renderer or None)
    """
    pl.enable_anti_aliasing("ssaa")
    pl.render()
    anchors = [to_pixels(pl, a, r)[0] for a, _, _, r in labels]
    img = Image.fromarray(pl.screenshot(return_img=True))
    pl.close()
    w, h = img.size
    draw = ImageDraw.Draw(img, "RGBA")
    font = ImageFont.truetype(FONT, 25)
    for (ax, ay), (_, text, (fx, fy), _) in zip(anchors, labels):
        lx, ly = fx * w, fy * h
        box = draw.multiline_textbbox((lx, ly), text, font=font, anchor="mm", align="center", spacing=4)
        pad = 7
        box = (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)
        # leader from the anchor to the nearest point of the box
        tx = min(max(ax, box[0]), box[2])
        ty = min(max(ay, box[1]), box[3])
        draw.line([(ax, ay), (tx, ty)], fill=(40, 40, 40, 255), width=3)
        draw.ellipse([ax - 5, ay - 5, ax + 5, ay + 5], fill=(40, 40, 40, 255))
        draw.rounded_rectangle(box, radius=6, fill=(255, 255, 255, 225), outline=(90, 90, 90, 255), width=2)
        draw.multiline_text((lx, ly), text, font=font, anchor="mm", align="center", fill=(20, 20, 20, 255), spacing=4)
    if title_text:
        draw.text((30, 22), title_text, font=ImageFont.truetype(FONT_BOLD, 34), fill=(15, 15, 15, 255))
    if caption:
        draw.multiline_text(
            (30, h - 22), caption, font=ImageFont.truetype(FONT, 21), fill=(70, 70, 70, 255), anchor="ld", spacing=4
        )
    path = os.path.join(OUT, name)
    img.save(path)
    print("wrote", path)


def add_bone(pl, names, **kw):
    for n in names:
        pl.add_mesh(
            model.bones[n].to_pyvista(), color=BONE, smooth_shading=True, ambient=0.22, diffuse=0.8, specular=0.15, **kw
        )


def add_muscle(pl, name, color=MUSCLE, opacity=1.0, clip=None, **kw):
    mesh = mu[name].mesh.to_pyvista().compute_normals(auto_orient_normals=False, split_vertices=False)
    if clip is not None:
        mesh = mesh.clip(normal=clip[0], origin=clip[1], invert=clip[2] if len(clip) > 2 else True)
    pl.add_mesh(mesh, color=color, opacity=opacity, smooth_shading=True, ambient=0.2, diffuse=0.85, specular=0.2, **kw)


def add_path(pl, name, color=None):
    p = P[name]
    pl.add_mesh(
        p.mesh.to_pyvista(),
        color=color or (NERVE if p.kind == "nerve" else ARTERY),
        smooth_shading=True,
        ambient=0.25,
        diffuse=0.8,
        specular=0.35,
        specular_power=30,
    )


def label(pl, points, texts, size=26, color="black", shape_color="white", opacity=0.85):
    pl.add_point_labels(
        np.atleast_2d(points),
        texts,
        font_size=size,
        text_color=color,
        shape_color=shape_color,
        shape_opacity=opacity,
        point_size=1,
        show_points=False,
        always_visible=True,
        margin=4,
        bold=False,
        font_family="arial",
    )


def dot(pl, point, color, radius=3.0):
    pl.add_mesh(
        pv.Sphere(radius=radius, center=point, theta_resolution=24, phi_resolution=24), color=color, smooth_shading=True
    )


def leader(pl, a, b, color="#333333", width=2):
    pl.add_mesh(pv.Line(a, b), color=color, line_width=width)


def title(pl, text, sub=None):
    pl.add_text(text, position="upper_left", font_size=16, color="black", font="arial")
    if sub:
        pl.add_text(sub, position="lower_left", font_size=10, color="#444444", font="arial")


# ----------------------------------------------------------------------------------------------
if "between" in WHICH:
    pl = plotter()
    pl.enable_depth_peeling(10)
    add_bone(pl, ["hip_bone_r", "sacrum", "coccyx", "femur_r"])
    add_muscle(pl, "gluteus_minimus_r")
    add_muscle(pl, "piriformis_r", color="#7a2d24")
    add_muscle(pl, "gluteus_medius_r", opacity=0.25)
    for n in ("superior_gluteal_nerve_r", "superior_gluteal_artery_r"):
        add_path(pl, n)
    sgn = P["superior_gluteal_nerve_r"]
    sga = P["superior_gluteal_artery_r"]
    c = np.array([-75.0, -15.0, 105.0])
    pl.camera_position = [tuple(c + np.array([-300.0, 130.0, 300.0])), tuple(c), (0, 1, 0)]
    pl.camera.view_angle = 32
    labels = [
        (along(sgn.branches["trunk"], 0.75), "Superior gluteal nerve", (0.30, 0.83), None),
        (along(sga.branches["deep_branch"], 0.8), "Superior gluteal artery\n(deep branch)", (0.52, 0.88), None),
        (along(sgn.branches["superior_branch"], 0.8), "Superior branch", (0.80, 0.22), None),
        (along(sgn.branches["inferior_branch"], 0.5), "Inferior branch\n(to tensor fasciae latae)", (0.86, 0.60), None),
        (
            along(sga.branches["superficial_branch"], 0.9),
            "Superficial branch\n(to gluteus maximus)",
            (0.12, 0.36),
            None,
        ),
        (at("gluteus_medius_r", 0.35, 0.25), "Gluteus medius\n(translucent)", (0.58, 0.14), None),
        (at("gluteus_minimus_r", 0.3, 0.75), "Gluteus minimus", (0.82, 0.80), None),
        (at("piriformis_r", 0.5, 0.45, "fibres"), "Piriformis", (0.14, 0.70), None),
        (sgn.exit, "Suprapiriform foramen", (0.13, 0.53), None),
    ]
    finish(
        pl,
        "paths_between_medius_and_minimus.png",
        labels,
        "Superior gluteal nerve and artery: between gluteus medius and minimus",
        "Right side, posterolateral view; gluteus maximus removed, gluteus medius translucent. "
        "Yellow: nerve. Red: artery. Bone: ivory.",
    )

# ----------------------------------------------------------------------------------------------
if "sciatic" in WHICH:
    pl = plotter()
    pl.enable_depth_peeling(10)
    add_bone(pl, ["hip_bone_r", "hip_bone_l", "sacrum", "coccyx", "femur_r"])
    add_muscle(pl, "piriformis_r")
    add_muscle(pl, "gluteus_medius_r", opacity=0.18)
    add_muscle(pl, "gluteus_minimus_r", opacity=0.18)
    for n in (
        "superior_gluteal_nerve_r",
        "superior_gluteal_artery_r",
        "inferior_gluteal_nerve_r",
        "inferior_gluteal_artery_r",
        "sciatic_nerve_r",
    ):
        add_path(pl, n)
    gt = model.landmark("greater_trochanter_tip_r")
    it = model.landmark("ischial_tuberosity_r")
    mid = 0.5 * (gt + it)
    back = np.array([-14.0, 0, 0])
    pl.add_mesh(pv.Tube(gt + back, it + back, radius=1.3), color="#1f4e9a")
    dot(pl, gt + back, "#1f4e9a", 3.5)
    dot(pl, it + back, "#1f4e9a", 3.5)
    dot(pl, mid + back, "#1f4e9a", 4.5)
    c = np.array([-100.0, -95.0, 70.0])
    pl.camera_position = [tuple(c + np.array([-560.0, 30.0, 40.0])), tuple(c), (0, 1, 0)]
    pl.camera.view_angle = 33
    sci = P["sciatic_nerve_r"].branches["trunk"]
    labels = [
        (
            P["superior_gluteal_nerve_r"].exit,
            "Suprapiriform foramen:\nsuperior gluteal nerve and vessels",
            (0.20, 0.20),
            None,
        ),
        (
            P["sciatic_nerve_r"].exit,
            "Infrapiriform foramen:\nsciatic nerve, inferior gluteal\nnerve and vessels",
            (0.14, 0.50),
            None,
        ),
        (at("piriformis_r", 0.5, 0.7), "Piriformis", (0.58, 0.17), None),
        (along(sci, 0.8), "Sciatic nerve", (0.76, 0.88), None),
        (
            along(P["inferior_gluteal_nerve_r"].branches["lower_branch"], 1.0),
            "Inferior gluteal nerve\n(to gluteus maximus)",
            (0.12, 0.72),
            None,
        ),
        (gt + back, "Greater trochanter", (0.86, 0.30), None),
        (it + back, "Ischial tuberosity", (0.20, 0.86), None),
        (mid + back, "Midpoint trochanter-tuberosity:\nthe nerve passes medial to it", (0.80, 0.72), None),
    ]
    finish(
        pl,
        "paths_infrapiriform_sciatic.png",
        labels,
        "Above and below piriformis: the greater sciatic foramen",
        "Right side from behind; gluteus maximus removed, medius and minimus translucent.\n"
        "Yellow: nerves. Red: arteries. Blue: line from the greater trochanter to the ischial tuberosity.",
    )

# ----------------------------------------------------------------------------------------------
S = injection.sites(model)
skin = model.skin
skin_pv = skin.mesh.to_pyvista()
skin_pv.point_data["Normals"] = injection._tools(model).normals


def line(pl, pts, color, width=6):
    pl.add_mesh(
        pv.lines_from_points(np.asarray(pts) + 0.6 * np.asarray([injection._tools(model).normal_at(p) for p in pts])),
        color=color,
        line_width=width,
        render_lines_as_tubes=True,
    )


if "sites" in WHICH:
    tools = injection._tools(model)
    normals = tools.normals
    V = skin.mesh.vertices
    dg = S["dorsogluteal_r"]
    vg = S["ventrogluteal_r"]
    fill = S["upper_outer_quadrant_r"].contains(V, normals).astype(float)
    # the ventrogluteal triangle (seen from the side): the V and the crest between the fingertips
    tri = np.array([vg.marks["apex"], vg.marks["asis"], vg.marks["iliac_tubercle"]])[:, :2]

    def in_tri(p2, t):
        d = lambda a, b, c: (a[:, 0] - c[0]) * (b[1] - c[1]) - (b[0] - c[0]) * (a[:, 1] - c[1])  # noqa: E731
        d1, d2, d3 = d(p2, t[0], t[1]), d(p2, t[1], t[2]), d(p2, t[2], t[0])
        neg = (d1 < 0) | (d2 < 0) | (d3 < 0)
        pos = (d1 > 0) | (d2 > 0) | (d3 > 0)
        return ~(neg & pos)

    vtri = in_tri(V[:, :2], tri) & (normals[:, 2] > 0.3)
    fill[vtri] = 2.0
    pl = plotter(shape=(1, 2))
    views = {}
    for col in (0, 1):
        pl.subplot(0, col)
        pl.set_background("white")
        mesh = skin_pv.copy()
        mesh.point_data["zone"] = np.where(fill == (1.0 if col == 0 else 2.0), fill, 0.0)
        pl.add_mesh(
            mesh,
            scalars="zone",
            cmap=[SKIN, "#ff9d3c", "#7fc97f"],
            clim=[0, 2],
            n_colors=3,
            show_scalar_bar=False,
            smooth_shading=True,
            ambient=0.28,
            diffuse=0.72,
            specular=0.08,
            interpolate_before_map=False,
        )
        if col == 0:
            line(pl, dg.lines["horizontal"], "#1a1a1a", 8)
            line(pl, dg.lines["vertical"], "#1a1a1a", 8)
            crest = dg.lines["iliac_crest"]
            line(pl, crest[crest[:, 2] >= dg.marks["psis"][2]], "#5a3a2a", 4)
            line(pl, dg.lines["psis_gt"], "#1f4e9a", 8)
            dot(pl, dg.point + 2.0 * dg.normal, "#c00000", 6.0)
            for k in ("psis", "greater_trochanter", "cleft_top"):
                dot(pl, dg.marks[k] + tools.normal_at(dg.marks[k]) * 2.0, "#1f4e9a", 5.0)
            c = np.array([-150.0, -40.0, 55.0])
            pl.camera_position = [tuple(c + np.array([-820.0, 70.0, 170.0])), tuple(c), (0, 1, 0)]
            pl.camera.view_angle = 30
        else:
            line(pl, vg.lines["index_finger"], "#1a1a1a", 9)
            line(pl, vg.lines["middle_finger"], "#1a1a1a", 9)
            dot(pl, vg.point + 2.0 * vg.normal, "#c00000", 6.0)
            for k in ("asis", "iliac_tubercle", "greater_trochanter"):
                dot(pl, vg.marks[k] + tools.normal_at(vg.marks[k]) * 2.0, "#1f4e9a", 5.0)
            c = np.array([-50.0, -30.0, 150.0])
            pl.camera_position = [tuple(c + np.array([-60.0, 50.0, 700.0])), tuple(c), (0, 1, 0)]
            pl.camera.view_angle = 30
        views[col] = pl.renderer
    labels = [
        (dg.point, "Dorsogluteal site", (0.33, 0.15), views[0]),
        (S["upper_outer_quadrant_r"].point + np.array([0, 25, 10.0]), "Upper outer\nquadrant", (0.43, 0.30), views[0]),
        (dg.lines["iliac_crest"][-8], "Iliac crest", (0.30, 0.24), views[0]),
        (dg.marks["psis"], "PSIS", (0.10, 0.30), views[0]),
        (dg.marks["cleft_top"], "Top of the\ngluteal cleft", (0.08, 0.62), views[0]),
        (dg.marks["greater_trochanter"], "Greater\ntrochanter", (0.45, 0.80), views[0]),
        (dg.lines["psis_gt"][30], "PSIS to trochanter:\ninject above and lateral", (0.20, 0.86), views[0]),
        (vg.point, "Ventrogluteal site\n(centre of the V)", (0.63, 0.22), views[1]),
        (vg.marks["asis"], "ASIS:\nindex finger", (0.92, 0.30), views[1]),
        (vg.marks["iliac_tubercle"], "Iliac tubercle:\nmiddle finger", (0.80, 0.13), views[1]),
        (vg.marks["greater_trochanter"], "Greater trochanter:\npalm of the hand", (0.72, 0.80), views[1]),
    ]
    finish(
        pl,
        "injection_sites.png",
        labels,
        "Gluteal injection sites (right side)",
        "Left: dorsogluteal, from behind: horizontal line from the top of the cleft to the lateral border, "
        "vertical line midway; orange = upper outer quadrant.\nRight: ventrogluteal, from the side: green = "
        "the V between index and middle finger. Red: injection points. Blue: bony landmarks.",
    )
