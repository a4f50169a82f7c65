"""The viewer in a Jupyter notebook: :func:`show`, through pyvista's trame back end.

``pip install "glute3d[notebook]"`` adds pyvista's Jupyter back ends (``pyvista[jupyter]``:
trame-pyvista, the trame server, its web client, vtk.js and the Vuetify widgets), all served
by the kernel from the installed packages: the notebook works without an internet
connection.  Where they are not installed, :func:`show` falls back to pyvista's ``static``
back end (a picture, no interaction) and says so in one line.
"""

from __future__ import annotations

import warnings
from typing import Any

from glute3d.viewer.viewer import Viewer

__all__ = ["NOTEBOOK_SIZE", "show", "trame_available"]

#: Size of the view in a notebook cell (width, height).
NOTEBOOK_SIZE = (960, 600)


def trame_available() -> bool:
    """Whether pyvista's trame back end is installed here (the ``notebook`` extra: ``pyvista[jupyter]``,
    whose ``trame-pyvista`` registers it under pyvista's ``pyvista.jupyter_backends`` entry points)."""
    from importlib.metadata import entry_points

    return any(ep.name == "trame" for ep in entry_points(group="pyvista.jupyter_backends"))


def show(
    scene: Any = None,
    *,
    backend: str | None = None,
    size: tuple[int, int] = NOTEBOOK_SIZE,
    model: Any = None,
    display: bool = True,
) -> Viewer:
    """Show a scene (a :class:`glute3d.Scene`, a scene file, or ``None`` for the whole model) in a notebook.

    Returns the :class:`~glute3d.viewer.viewer.Viewer`, whose methods change what is shown
    (``peel()``, ``pick(name)``, ``set_pose(flexion=..)``, ``set_camera("lateral")``,
    ``save_scene(path)``); call ``viewer.widget.update()`` after them to refresh the cell.

    Parameters
    ----------
    backend : str, optional
        pyvista's Jupyter back end: ``"trame"`` (interactive: rotate, zoom; rendered in the
        kernel, streamed as pictures), ``"client"`` (trame, rendered in the browser by vtk.js),
        or ``"static"`` (a picture).  Default ``"trame"`` when installed, else ``"static"``.
    display : bool
        Display the widget in the cell now (``False``: only ``viewer.widget``).
    """
    if backend is None:
        backend = "trame" if trame_available() else "static"
        if backend == "static":
            warnings.warn(
                'glute3d.show: trame is not installed (pip install "glute3d[notebook]"); showing a still picture',
                stacklevel=2,
            )
    viewer = Viewer(scene, off_screen=True, size=size, model=model)
    viewer.render()
    viewer.widget = viewer.plotter.show(jupyter_backend=backend, return_viewer=True, auto_close=False)
    if display:
        from IPython.display import display as ipy_display

        ipy_display(viewer.widget)
    return viewer
