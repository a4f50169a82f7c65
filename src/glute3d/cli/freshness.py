"""Honest freshness for ``glute3d deck``: a picture is up to date only when nothing that made it changed.

A stamp per scene hashes the scene file, the options (size, anti-aliasing), the theme, the model
files and glute3d's own code and data (the web pages' scripts too); the deck keeps the stamps of what it rendered in a
manifest (``.glute3d-deck.json``) beside the pictures.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import glute3d
from glute3d.io.atomic import write_atomically

__all__ = ["MANIFEST", "Stamps", "clashing_names", "inputs_fingerprint"]

#: The manifest beside the deck's pictures.
MANIFEST = ".glute3d-deck.json"


def _hash_files(h: hashlib._Hash, files: Iterable[Path], root: Path | None = None) -> None:
    for p in sorted(files):
        h.update((p.relative_to(root).as_posix() if root else p.name).encode())
        h.update(p.read_bytes())


def inputs_fingerprint(model_files: Sequence[Path], theme: Path, size: tuple[int, int] | None, aa: bool) -> str:
    """A hash of everything a deck picture depends on besides its scene file.

    Parameters
    ----------
    model_files : sequence of pathlib.Path
        The model's files (bones, landmarks, skin).
    theme : pathlib.Path
        The theme file.
    size : tuple of int or None
        The ``--size`` override.
    aa : bool
        Anti-aliasing on.
    """
    h = hashlib.sha256()
    h.update(json.dumps({"size": list(size) if size else None, "aa": aa, "version": glute3d.__version__}).encode())
    pkg = Path(glute3d.__file__).resolve().parent
    web = [f for f in (pkg / "export" / "web").rglob("*") if f.is_file()]  # the web pages' own code
    _hash_files(h, [*pkg.rglob("*.py"), *(pkg / "data").glob("*.toml"), *web], pkg)  # the code that draws
    _hash_files(h, [theme, *model_files])
    return h.hexdigest()


class Stamps:
    """The stamps of a deck folder: which scene was rendered from which inputs.

    Parameters
    ----------
    folder : pathlib.Path
        The deck's output folder.
    inputs : str
        :func:`inputs_fingerprint` of this run.
    """

    def __init__(self, folder: Path, inputs: str) -> None:
        self.path = folder / MANIFEST
        self.inputs = inputs
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.stamps: dict[str, str] = {str(k): str(v) for k, v in data.get("stamps", {}).items()}
        except (OSError, ValueError, AttributeError):
            self.stamps = {}  # none yet, or damaged: everything is rendered again

    def stamp(self, scene: Path) -> str:
        """The stamp of ``scene`` with this run's inputs."""
        return hashlib.sha256(scene.read_bytes() + self.inputs.encode()).hexdigest()

    def up_to_date(self, scene: Path, outputs: Sequence[Path]) -> bool:
        """True when every output exists and was made from the same scene and inputs."""
        return all(p.is_file() for p in outputs) and self.stamps.get(scene.name) == self.stamp(scene)

    def record(self, scene: Path) -> None:
        """Remember that ``scene`` was rendered now (call :meth:`save` to write)."""
        self.stamps[scene.name] = self.stamp(scene)

    def forget(self, scene: Path) -> None:
        """A scene that failed: rendered again next time."""
        self.stamps.pop(scene.name, None)

    def save(self) -> None:
        """Write the manifest atomically."""
        doc = {
            "about": "glute3d deck: what each picture was rendered from",
            "stamps": dict(sorted(self.stamps.items())),
        }
        write_atomically(self.path, (json.dumps(doc, indent=1) + "\n").encode())


def clashing_names(scenes: Sequence[Path]) -> list[str]:
    """Scenes that would write the same picture (the same file stem), as ``"a.toml, b.toml -> x.png"``.

    Examples
    --------
    >>> clashing_names([Path("a/x.toml"), Path("b/x.toml"), Path("a/y.toml")])
    ['a/x.toml, b/x.toml -> x.png']
    """
    by_stem: dict[str, list[Path]] = {}
    for s in scenes:
        by_stem.setdefault(s.stem, []).append(s)
    return [f"{', '.join(p.as_posix() for p in ps)} -> {stem}.png" for stem, ps in by_stem.items() if len(ps) > 1]
