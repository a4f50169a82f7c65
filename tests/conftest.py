"""Test setup: off-screen rendering under EGL, plotters closed after each test, a toy model.

Rendering tests use a small picture without anti-aliasing (``RENDER_TEST``) so that image
comparisons do not depend on the machine's anti-aliasing.  Image regression compares with the
reference pictures in ``tests/images/``; regenerate them (after looking at them!) with::

    GLUTE3D_UPDATE_IMAGES=1 python -m pytest tests/test_render.py -k regression

The tests are hermetic: the tissue cache lives in a fresh temporary folder of this run (set
``GLUTE3D_TEST_CACHE=DIR`` to reuse one between runs while developing), and ``$GLUTE3D_MESHES``
is ignored, so the packaged model files are the ones tested.
"""

from __future__ import annotations

import os

if not os.environ.get("DISPLAY"):
    # EGL off-screen window: must be chosen before VTK's rendering classes load.
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
os.environ.setdefault("ALLOW_PLOTTING", "true")

import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

# hermetic: a tissue cache of this test run only (subprocesses inherit it), the packaged model files
if os.environ.get("GLUTE3D_TEST_CACHE"):
    os.environ["GLUTE3D_CACHE"] = os.environ["GLUTE3D_TEST_CACHE"]
else:
    os.environ["GLUTE3D_CACHE"] = tempfile.mkdtemp(prefix="glute3d-test-cache-")
    atexit.register(shutil.rmtree, os.environ["GLUTE3D_CACHE"], True)
os.environ.pop("GLUTE3D_MESHES", None)

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import pyvista as pv  # noqa: E402

pv.OFF_SCREEN = True

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT / "scenes"
IMAGES = Path(__file__).resolve().parent / "images"

#: Small, un-anti-aliased renders for tests (keyword arguments of glute3d.render.render).
RENDER_TEST = {"size": (400, 300), "anti_aliasing": False, "supersample_text": 1}


@pytest.fixture(autouse=True)
def _close_plotters():
    """Close every plotter a test leaves open (a leaked render window per test adds up)."""
    yield
    pv.close_all()


@pytest.fixture(scope="session")
def bone_model():
    """The real model (bones and landmarks from meshes/)."""
    import glute3d

    return glute3d.load_model()


@pytest.fixture(scope="session")
def tissue_model(bone_model):
    """The real model with its generated soft tissues read through the renderer's disk cache
    (generated once, then milliseconds; ``GLUTE3D_CACHE`` chooses the folder)."""
    from glute3d.render import cached_model

    return cached_model(bone_model)


# =============================================================================== toy model
class ToyModel:
    """A tiny model of simple shapes with landmarks, independent of the bone generator.

    Structures: ``hip_bone_r`` (sphere, bone), ``femur_r`` (cylinder, bone),
    ``gluteus_medius_r`` (ellipsoid, muscle) and ``skin`` (large sphere, not in the knowledge
    base).  Landmarks: ``asis_r`` (point in front of the sphere), ``psis_r`` (point behind it),
    ``iliac_crest_r`` (arc over the sphere), ``gt_lateral_facet_r`` (patch on the cylinder).

    It offers the structure accessor of :class:`glute3d.Model` (``structure``,
    ``structure_names``, ``structure_kind``, ``muscle_parts``; no muscle parts), so it is a
    :class:`glute3d.scene.SceneSource`; it cannot be posed and has no variants, paths or skin
    envelope for injection overlays.
    """

    KINDS = {"hip_bone_r": "bone", "femur_r": "bone", "gluteus_medius_r": "muscle", "skin": "skin"}

    def __init__(self) -> None:
        from glute3d.anatomy.landmarks import Landmarks
        from glute3d.geometry.mesh import Mesh

        def mesh(poly) -> Mesh:
            return Mesh.from_pyvista(poly.triangulate().clean())

        sphere = mesh(pv.Sphere(radius=40.0, theta_resolution=48, phi_resolution=32))
        cyl = mesh(
            pv.Cylinder(center=(0, -90, 0), direction=(0, 1, 0), radius=14, height=90, resolution=40, capping=True)
            .triangulate()
            .subdivide(2, "linear")
        )
        ell = mesh(pv.ParametricEllipsoid(30, 12, 18).translate((10, 35, 45)))
        skin = mesh(pv.Sphere(radius=75.0, center=(0, -35, 0), theta_resolution=40, phi_resolution=30))
        self.bones = {"hip_bone_r": sphere, "femur_r": cyl}
        self.meshes = {**self.bones, "gluteus_medius_r": ell, "skin": skin}
        arc = np.array([[40 * np.cos(t), 40 * np.sin(t), 0.0] for t in np.linspace(0.2, 1.4, 30)])
        c = cyl.face_centers
        facet = np.flatnonzero((c[:, 2] > 10) & (np.abs(c[:, 1] + 90) < 25))
        self.landmarks = Landmarks(
            points={
                "asis_r": ("hip_bone_r", np.array([40.0, 0.0, 0.0])),
                "psis_r": ("hip_bone_r", np.array([-40.0, 0.0, 0.0])),
            },
            curves={"iliac_crest_r": ("hip_bone_r", arc)},
            regions={"gt_lateral_facet_r": (("femur_r", facet),)},
        )

    def landmark(self, name: str):
        from glute3d.anatomy.landmarks import SurfacePatch

        lm = self.landmarks
        if name in lm.points:
            return lm.points[name][1].copy()
        if name in lm.curves:
            return lm.curves[name][1].copy()
        parts = lm.regions[name]
        bone, faces = parts[0]
        return SurfacePatch(self.bones[bone].submesh(faces), parts)

    def structure_names(self, kind: str | None = None) -> list[str]:
        """Names of one kind (every structure without a kind), in drawing order."""
        from glute3d.model import STRUCTURE_KINDS

        if kind is not None and kind not in STRUCTURE_KINDS:
            raise ValueError(f"unknown structure kind {kind!r} (choose from {', '.join(STRUCTURE_KINDS)})")
        return [n for n, k in self.KINDS.items() if kind in (None, k)]

    def structure_kind(self, name: str) -> str:
        return self.KINDS[name]

    def structure(self, name: str):
        return self.meshes[name]

    def muscle_parts(self) -> dict:
        return {}


@pytest.fixture(scope="session")
def toy_model() -> ToyModel:
    return ToyModel()
