"""The interactive viewer: explore, peel, click, move the hip; on a desktop and in a notebook.

A thin interactive shell over the renderer (:mod:`glute3d.render`): the picture is the one
``glute3d render`` makes, and the viewer changes its actors in place.  Modules, one job each:
``viewer`` (:class:`Viewer`, the state and what each control does), ``layers`` (layer panel
and peel order), ``card`` (info cards from the knowledge base), ``quiz``, ``posing`` and
``update`` (moving one hip, in place), ``labels`` (the scene's labels at their targets),
``actors`` (own, move, restyle and clip actors), ``scenefile`` (the view as a scene file),
``keys`` (keys and controls), ``window`` (the window's widgets, keys and clicks) and
``notebook`` (:func:`show`, Jupyter).

Only :func:`glute3d.viewer.window.run` needs a display.
"""

from __future__ import annotations

from glute3d.lazy import lazy_exports

_EXPORTS = {
    "InfoCard": "glute3d.viewer.card",
    "Quiz": "glute3d.viewer.quiz",
    "Viewer": "glute3d.viewer.viewer",
    "default_scene": "glute3d.viewer.viewer",
    "info_card": "glute3d.viewer.card",
    "show": "glute3d.viewer.notebook",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
