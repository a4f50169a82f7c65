"""Scenes as offline web pages: one self-contained HTML file that opens from disk, no server, no internet.

The page draws the scene with three.js (vendored in ``glute3d/export/web/three``, MIT licence,
the licence text copied into every page): the picture's camera, a layer panel with toggles and
opacity sliders, the scene's labels as HTML text with leader lines (so they survive, unlike the
text of pyvista's and vtk.js's web exports), an info card for the structure clicked (English and
Latin names, key facts, ontology IDs: :func:`glute3d.export.extras.structure_extras`, as in the
glTF nodes) and a quiz that names a structure shown and waits for the click.

three.js is inlined as ES modules through an import map of ``data:`` URLs (a page opened from
``file://`` may not load other files); the model is the glTF export's geometry, quantised and
zlib-compressed (:mod:`glute3d.export.htmldata`).  The same scene and model give the same bytes.

Examples
--------
>>> from glute3d.export.html import THREE_VERSION, web_asset
>>> THREE_VERSION
'185'
>>> web_asset("three/LICENSE").startswith(b"The MIT License")
True
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from glute3d.export.errors import write_export
from glute3d.export.htmldata import PageData, page_data

__all__ = ["THREE_VERSION", "HtmlResult", "html_page", "resolved_html", "web_asset", "write_html"]

#: The vendored three.js release (npm ``three@0.185.1``).
THREE_VERSION = "185"
_CORE = "three/three.core.min.js"
_MODULE = "three/three.module.min.js"
_ORBIT = "three/OrbitControls.js"


@dataclass
class HtmlResult:
    """What :func:`write_html` wrote: the file, its structures (in order) and its size in bytes."""

    path: Path
    structures: list[str]
    size: int
    warnings: list[str] = field(default_factory=list)


def web_asset(name: str) -> bytes:
    """A file of ``glute3d/export/web`` (the page template, its script and style, three.js)."""
    return resources.files("glute3d.export").joinpath("web", *name.split("/")).read_bytes()


def _data_url(code: bytes) -> str:
    return "data:text/javascript;base64," + base64.b64encode(code).decode("ascii")


def _import_map() -> str:
    """``three`` and its orbit controls as ``data:`` modules; the module build's import of the core
    build (a relative path, which a ``data:`` module cannot resolve) becomes the bare ``three/core``."""
    module = web_asset(_MODULE)
    joined, n = re.subn(rb"from\s*\"\./three\.core\.min\.js\"", b'from"three/core"', module)
    if n < 1:
        raise RuntimeError(f"{_MODULE}: no import of ./three.core.min.js to rewrite; check the vendored three.js")
    imports = {
        "three": _data_url(joined),
        "three/core": _data_url(web_asset(_CORE)),
        "three/addons/controls/OrbitControls.js": _data_url(web_asset(_ORBIT)),
    }
    return json.dumps({"imports": imports}, indent=1)


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _comment(text: str) -> str:
    return text.replace("--", "- -")


def html_page(data: PageData) -> bytes:
    """The page of :func:`glute3d.export.htmldata.page_data`'s result, as UTF-8 bytes."""
    import glute3d

    m = data.manifest
    blob = base64.b64encode(data.blob).decode("ascii")
    lines = "\n".join(blob[i : i + 120] for i in range(0, len(blob), 120))  # readable in an editor
    generator = f"glute3d {glute3d.__version__}"
    fields = {
        "TITLE": html.escape(m["title"]),
        "TITLE_COMMENT": _comment(m["title"]),
        "SOURCE": html.escape(m["source"] or "a scene"),
        "SOURCE_COMMENT": _comment(m["source"] or "a scene"),
        "CAPTION": html.escape(m["caption"]),
        "GENERATOR": generator,
        "THREE_VERSION": THREE_VERSION,
        "THREE_LICENSE": _comment(web_asset("three/LICENSE").decode("utf-8").strip()),
        "CSS": web_asset("viewer.css").decode("utf-8").strip(),
        "IMPORT_MAP": _import_map(),
        "MANIFEST": _script_json(m),
        "BLOB": lines,
        "VIEWER": web_asset("viewer.js").decode("utf-8").strip(),
    }
    template = web_asset("viewer.html").decode("utf-8")
    # one pass: text put in is never searched for placeholders again
    page = re.sub(r"@([A-Z_]+)@", lambda mt: fields[mt.group(1)] if mt.group(1) in fields else mt.group(0), template)
    return page.encode("utf-8")


def resolved_html(res: Any, *, source: str = "") -> bytes:
    """The offline web page of a resolved scene (bytes; the same scene, the same bytes).

    Raises
    ------
    ExportError
        The scene draws no structure, or its cut-aways leave nothing (as for ``--glb``).
    """
    return html_page(page_data(res, source=source))


def write_html(scene: Any, model: Any, path: str | Path) -> HtmlResult:
    """Resolve ``scene`` against ``model`` and write its offline web page, atomically.

    Parameters
    ----------
    scene : glute3d.Scene
        The scene (its file name, when read from one, is shown on the page).
    model : glute3d.Model
        The model (e.g. ``glute3d.render.cached_model(glute3d.load_model())``).
    path : str or pathlib.Path
        The ``.html`` file to write; nothing is written when the export fails.

    Returns
    -------
    HtmlResult

    Raises
    ------
    ExportError
        The scene draws nothing that can be exported.
    SceneError
        A name the model does not know (as for a picture).
    OSError
        The file cannot be written (nothing is left behind); ``filename`` is ``path``.
    """
    res = scene.resolve(model)
    origin = getattr(scene, "_source", None)
    source = Path(origin).name if origin else ""
    data = page_data(res, source=source)
    page = html_page(data)
    out = write_export(path, page)
    return HtmlResult(out, data.structures, len(page), list(getattr(res, "warnings", ())))
