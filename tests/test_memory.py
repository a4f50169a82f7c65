"""Memory of long sessions and of one render: caches bounded and let go, no full-size copies.

The numbers of the whole deck (20 rounds at 1080p, and the 1080p peak) are measured by
``bench/bench_memory.py``; these checks are the cheap part of it: the same renders many times in
one process, after a warm-up, must not grow the resident set, and one render must not hold more
than a few bytes of Python (numpy) memory per pixel at once.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from conftest import RENDER_TEST, SCENES
from glute3d.render import cache, polydata, render
from glute3d.render.overlay import composite_onto
from test_render import REGRESSION, toy_scene

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/self/status")


def rss_mb() -> float:
    """The resident set of this process, after a garbage collection (MB)."""
    gc.collect()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise AssertionError("no VmRSS in /proc/self/status")  # pragma: no cover


def test_the_same_scenes_rendered_again_and_again_do_not_grow_memory(toy_model):
    scenes = [toy_scene(**extra) for extra in REGRESSION.values()]
    for _ in range(3):  # warm-up: the window, its shaders, the geometry
        for s in scenes:
            render(s, toy_model, **RENDER_TEST)
    before, entries = rss_mb(), polydata.geometry_cache_size()
    for _ in range(12):
        for s in scenes:
            render(s, toy_model, **RENDER_TEST)
    after = rss_mb()
    assert polydata.geometry_cache_size() == entries, "geometry made again for the same meshes"
    assert after - before < 6.0, f"{before:.1f} -> {after:.1f} MB over 36 renders"


def test_a_model_loaded_for_every_picture_does_not_grow_memory():
    """As ``glute3d.render_to_file(scene, path)`` without a model does: a new model each time.
    Before, every model was kept (up to 17) with the geometry of its bones: +76 MB in 25 renders."""
    import glute3d
    from glute3d.scene import Scene

    scene = Scene.from_file(SCENES / "01_bones_posterior.toml")
    size = {"size": (320, 240), "anti_aliasing": False}
    for _ in range(4):
        render(scene, glute3d.load_model(), **size)
    before, entries = rss_mb(), polydata.geometry_cache_size()[0]
    for _ in range(20):
        render(scene, glute3d.load_model(), **size)
    after = rss_mb()
    assert len(cache._WRAPPED) <= cache.WRAPPED_MODELS
    assert polydata.geometry_cache_size()[0] <= entries + 2, "bone geometry kept for every model"
    assert after - before < 10.0, f"{before:.1f} -> {after:.1f} MB over 20 models"


def test_geometry_is_shared_by_equal_meshes_and_let_go_with_them():
    from glute3d.geometry.mesh import Mesh

    v = np.random.default_rng(5).normal(size=(300, 3))
    f = np.array([[i, i + 1, i + 2] for i in range(0, 297)])
    a, b = Mesh(v, f), Mesh(v.copy(), f.copy())
    pa = polydata.poly(a)
    assert polydata.poly(b) is pa  # the same vertices and faces: the same geometry
    assert polydata.poly(Mesh(v + 1.0, f)) is not pa
    keys = {k for k in polydata._GEOMETRY if k[0] == "poly" and k[1] in (id(a), id(b))}
    assert len(keys) == 2
    del a, b
    gc.collect()
    polydata.geometry_cache_size()  # notes the meshes gone
    assert not keys & set(polydata._GEOMETRY), "geometry of dropped meshes still held"


def test_geometry_cache_is_bounded_in_bytes(monkeypatch):
    from glute3d.geometry.mesh import Mesh

    monkeypatch.setattr(polydata, "GEOMETRY_MAX_BYTES", 2 * 2**20)
    rng = np.random.default_rng(7)
    meshes = [Mesh(rng.normal(size=(20000, 3)), rng.integers(0, 20000, (20000, 3))) for _ in range(8)]
    for m in meshes:
        polydata.poly(m)
    n, nbytes = polydata.geometry_cache_size()
    assert nbytes <= 2 * 2**20 or n <= 2


def test_compositing_works_in_place_without_full_size_copies():
    from PIL import Image, ImageDraw

    w, h = 1920, 1080
    image = np.full((h, w, 3), 200, np.uint8)
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((10, 10), "Title", fill="#101010")
    ImageDraw.Draw(layer).rectangle([0, 1000, w - 1, 1079], fill=(0, 0, 0, 100))
    tracemalloc.start()
    try:
        out = composite_onto(image, layer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out is image
    assert peak < 0.25 * w * h * 3, f"{peak / 2**20:.1f} MB of numpy memory for a 1080p composite"


def test_one_render_holds_few_bytes_per_pixel_of_python_memory(toy_model):
    """The 2D steps keep the picture in uint8 and the z-buffer in float32: no float64 or
    supersampled full-size copies (one float64 RGB copy alone would be 24 bytes per pixel)."""
    w, h = 960, 540
    scene = toy_scene(**REGRESSION["toy_lateral_translucent"])
    render(scene, toy_model, size=(w, h))  # warm-up: imports, window, geometry
    tracemalloc.start()
    try:
        render(scene, toy_model, size=(w, h))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak / (w * h) < 16.0, f"{peak / (w * h):.1f} bytes of numpy memory per pixel at once"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_rendering_modules_do_not_import_scipy():
    """scipy (some 50 MB resident, with its BLAS) builds the tissues; a render from the tissue
    cache does not need it, so the modules a render goes through import it only when building."""
    import subprocess

    code = (
        "import sys, glute3d, glute3d.render, glute3d.scene, glute3d.model, glute3d.teaching, glute3d.anatomy;"
        "import glute3d.teaching.safety, glute3d.anatomy.skin, glute3d.geometry.distance, glute3d.geometry.sdf;"
        "import glute3d.anatomy.paths.context, glute3d.anatomy.muscles.fields, glute3d.anatomy.muscles.prepare;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy')[:5])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"scipy imported by the rendering modules: {out.strip()}"
