"""The README's picture of the viewer's real window, driven by key and mouse events like a user.

Usage (needs an X server; under Xvfb, without the off-screen EGL window)::

    env -u VTK_DEFAULT_OPENGL_WINDOW xvfb-run -a -s "-screen 0 1920x1080x24" \\
        /work/venv/bin/python bench/render_viewer.py docs/images/viewer_window.png

Peels the skin and gluteus maximus (key d, twice), turns to the posterolateral view (key 6),
flexes the right hip 25 degrees with the flexion slider, and clicks gluteus medius.
"""

from __future__ import annotations

import sys

import numpy as np

from glute3d.viewer.viewer import Viewer
from glute3d.viewer.window import Window


def main(out: str) -> None:
    viewer = Viewer(None, off_screen=False, size=(1280, 720), panels=True)
    window = Window(viewer)
    window.build()
    pl = viewer.plotter
    pl.show(auto_close=False, interactive=False)
    iren = pl.iren.interactor

    def key(sym: str) -> None:
        iren.SetKeySym(sym)
        iren.InvokeEvent("KeyPressEvent")

    key("d")
    key("d")
    key("6")
    slider = window.pose_sliders["flexion"]
    slider.GetRepresentation().SetValue(25.0)
    slider.InvokeEvent("InteractionEvent")  # what dragging the slider sends
    slider.InvokeEvent("EndInteractionEvent")  # and letting it go
    pl.render()
    renderer = pl.renderer
    pts = np.array(viewer.actors["gluteus_medius_r"].GetMapper().GetInput().GetPoints().GetData())
    for p in pts[len(pts) // 3 :: 7]:
        renderer.SetWorldPoint(*p, 1.0)
        renderer.WorldToDisplay()
        x, y = (int(round(c)) for c in renderer.GetDisplayPoint()[:2])
        if viewer.structure_at(x, y) == "gluteus_medius_r":
            iren.SetEventInformation(x, y, 0, 0, "\0", 0)
            iren.InvokeEvent("LeftButtonPressEvent")
            iren.InvokeEvent("LeftButtonReleaseEvent")
            break
    pl.render()
    viewer.screenshot(out)
    print(f"wrote {out}: selection {viewer.selection}, pose r {viewer.poser.angles['r']}")
    pl.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "viewer_window.png")
