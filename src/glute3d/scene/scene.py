"""Scenes: a validated description of one picture, read from TOML or built in Python.

A scene says *what* to show (layers of structures with a style, landmark overlays, labels),
*from where* (a camera preset or an explicit camera) and *how* (title, caption, legend,
scale bar, background, resolution).  It knows nothing about pyvista: :mod:`glute3d.render`
turns a scene and a model into a picture.

Validation happens in two steps:

1. :meth:`Scene.from_file` / :meth:`Scene.from_dict` check the form (types, ranges, allowed
   values) without a model;
2. :meth:`Scene.resolve` checks every name against a model (structures, landmarks) and returns
   the geometry to draw as plain numpy data.

Every problem is raised as one :class:`~glute3d.scene.schema.SceneError` naming the file, the
field, the bad value, the fix and, where it can be found, the TOML line.

Examples
--------
>>> scene = Scene.from_dict({"title": "Bones", "camera": {"preset": "lateral", "side": "r"}})
>>> scene.camera.preset, scene.resolution
('lateral', (1920, 1080))
>>> Scene.from_toml(scene.to_toml()) == scene
True
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from glute3d.errors import find_line
from glute3d.io.tomlwrite import dump_toml
from glute3d.io.validation import format_field_path, validation_error
from glute3d.scene.resolve import resolve_scene
from glute3d.scene.resolved import ResolvedScene
from glute3d.scene.schema import SceneError, SceneFields
from glute3d.scene.source import SceneSource

__all__ = ["MAX_DEPTH", "Scene"]

_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)")

#: How deep tables and lists may nest in a scene file; the deepest field needs 5 levels
#: (``overlays.segments[0].start[0]``).
MAX_DEPTH = 12


def _too_deep(data: Any, limit: int = MAX_DEPTH) -> tuple[str | int, ...] | None:
    """The path of the first value nested more than ``limit`` levels deep in ``data``, or ``None``."""
    todo: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while todo:
        path, value = todo.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            if isinstance(child, (dict, list)):
                if len(path) + 1 >= limit:
                    return (*path, key)
                todo.append(((*path, key), child))
    return None


class Scene(SceneFields):
    """One picture: what to show, from where, and how.

    The fields are those of :class:`~glute3d.scene.schema.SceneFields` (see
    ``docs/scene-format.md``); building a scene with a bad field raises one
    :class:`~glute3d.scene.schema.SceneError`.
    """

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise validation_error(exc, Scene, None, None, SceneError) from None

    def __eq__(self, other: object) -> bool:
        """Scenes are equal when their fields are (where they were read from does not count)."""
        return isinstance(other, Scene) and self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_dict(cls, data: dict, *, source: str | Path | None = None, text: str | None = None) -> Scene:
        """Validate a scene given as a dict (as parsed from TOML).

        Parameters
        ----------
        data : dict
            The scene fields.
        source : str or pathlib.Path, optional
            File name used in error messages.
        text : str, optional
            The raw TOML text, used to find line numbers for errors.

        Raises
        ------
        SceneError
            The first problem found, as one line.
        """
        if not isinstance(data, dict):
            raise SceneError(source, "", f"a scene must be a table of fields, got {type(data).__name__}")
        deep = _too_deep(data)
        if deep is not None:
            msg = f"tables or lists nested {MAX_DEPTH} levels deep; no scene field nests so deep: remove the nesting"
            raise SceneError(source, format_field_path(deep[:3]), msg, line=find_line(text, deep[:3]))
        try:
            scene = cls.model_validate(data)
        except SceneError as exc:
            raise exc.located(source, text) from None
        except ValidationError as exc:
            inner = [e.get("ctx", {}).get("error") for e in exc.errors(include_url=False)]
            if inner and isinstance(inner[0], SceneError):  # raised by __init__ under validation
                raise inner[0].located(source, text) from None
            raise validation_error(exc, Scene, source, text, SceneError) from None
        scene._source = None if source is None else str(source)
        scene._text = text
        return scene

    @classmethod
    def from_toml(cls, text: str, *, source: str | Path | None = None) -> Scene:
        """Parse and validate TOML text.

        Raises
        ------
        SceneError
            Not TOML (with the line), or a field is invalid.
        """
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = _TOML_AT.search(str(exc))
            line = int(m.group(1)) if m else None
            raise SceneError(source, "", f"not valid TOML: {_TOML_AT.sub('', str(exc))}", line=line) from None
        except RecursionError:
            msg = f"lists or tables nested too deeply to read; scenes nest {MAX_DEPTH} levels at most: flatten it"
            raise SceneError(source, "", msg) from None
        return cls.from_dict(data, source=source, text=text)

    @classmethod
    def from_file(cls, path: str | Path) -> Scene:
        """Read and validate a scene file (TOML).

        Raises
        ------
        SceneError
            The file cannot be read, is not TOML, or a field is invalid.
        """
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SceneError(p, "", "no such scene file; check the path") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SceneError(p, "", f"cannot read the scene file: {exc}") from None
        return cls.from_toml(text, source=p)

    # ------------------------------------------------------------------ writing
    def to_dict(self) -> dict:
        """The scene as plain data (fields left at their defaults are omitted)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def to_toml(self) -> str:
        """The scene as TOML text that :meth:`from_toml` reads back to an equal scene."""
        # DEL may not stand raw in TOML; the writer leaves it in strings (the only place it can be)
        return dump_toml(self.to_dict()).replace("\x7f", "\\u007f")

    def with_resolution(self, width: int, height: int) -> Scene:
        """A copy at another resolution (errors still name the original file).

        Raises
        ------
        SceneError
            The size is out of bounds.
        """
        try:
            size = Scene._resolution((width, height))
        except ValueError as exc:
            raise SceneError(self._source, "resolution", f"{exc} (size asked for: {width}x{height})") from None
        new = self.model_copy(update={"resolution": size})
        new._source, new._text = self._source, self._text
        return new

    # ------------------------------------------------------------------ resolution
    def resolve(self, model: SceneSource) -> ResolvedScene:
        """Check every name against ``model`` and collect the geometry to draw.

        Parameters
        ----------
        model : SceneSource
            :class:`glute3d.Model` or anything with its structure accessor and landmarks (see
            :class:`glute3d.scene.SceneSource`); posed first when the scene has a non-neutral
            pose, switched when it has variants.

        Returns
        -------
        ResolvedScene

        Raises
        ------
        SceneError
            Unknown or missing names (with the closest valid ones), an impossible pose, an
            overlay the model cannot draw.
        """
        return resolve_scene(self, model)
