"""Quiz sheets: a scene's picture with numbered pins instead of names, and its answer key.

:func:`make_quiz` renders the scene with :class:`~glute3d.render.Pins` (no title, caption or
legend either: they would give the answers away) and pairs each pin's number with the name its
label would show, the Latin name and one key fact (:mod:`glute3d.export.quizkey`).
:func:`quiz_files` turns a quiz into files, all made in memory first: the picture (PNG), a
printable worksheet (HTML), the answer key (Markdown and HTML) and, if asked, two slides (the
question, with the answers in its speaker notes, and the answers).  :func:`write_quiz` writes them all or none.  A seed
(``shuffle``) numbers the pins in another order, the same for the same seed, and names the
files, so that versions of one quiz sit side by side.

Examples
--------
>>> quiz_stem("scenes/13_nerves.toml", None), quiz_stem("scenes/13_nerves.toml", 7)
('13_nerves_quiz', '13_nerves_quiz_v7')
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glute3d.export.errors import ExportError
from glute3d.export.quizkey import (
    QuizItem,
    answer_html,
    answer_lines,
    answer_markdown,
    branch_fact,
    key_fact,
    latin_name,
    question_html,
)
from glute3d.export.slides import trim_picture

__all__ = ["Quiz", "make_quiz", "quiz_files", "quiz_stem", "write_files", "write_quiz"]

#: The quiz picture's size when the scene does not say otherwise (16:9, sharp on a slide and on paper).
QUIZ_SIZE = (1920, 1080)


@dataclass
class Quiz:
    """A rendered quiz: the picture, what each pin asks, and where it came from."""

    title: str
    source: str
    shuffle: int | None
    image: np.ndarray
    items: list[QuizItem]
    warnings: list[str] = field(default_factory=list)

    @property
    def version(self) -> str:
        """Which numbering this is, in words."""
        return "pins in reading order" if self.shuffle is None else f"shuffled with seed {self.shuffle}"


def quiz_stem(scene_file: str | Path, shuffle: int | None) -> str:
    """The file name stem of a quiz of ``scene_file`` (one per seed)."""
    return f"{Path(scene_file).stem}_quiz" + ("" if shuffle is None else f"_v{shuffle}")


def _nothing_to_ask(source: str, why: str) -> ExportError:
    fix = "add [[labels]] naming the structures to ask for"
    return ExportError(f"{source}: labels: nothing to ask about: {why}; {fix}")


def _quiz_scene(scene: Any) -> Any:
    """The scene without the texts that would name its structures (legend); errors still name its file."""
    new = scene.model_copy(update={"legend": False})
    new._source, new._text = scene._source, scene._text
    return new


def make_quiz(
    scene: Any,
    model: Any = None,
    *,
    shuffle: int | None = None,
    size: tuple[int, int] | None = None,
    anti_aliasing: bool = True,
) -> Quiz:
    """Render ``scene`` with numbered pins and collect its answers.

    Parameters
    ----------
    scene : glute3d.Scene
        A scene with labels: each label becomes a pin.
    model : glute3d.Model, optional
        The model (:func:`glute3d.load_model` by default).
    shuffle : int, optional
        Number the pins in an order drawn from this seed (reproducible) instead of reading order.
    size : (int, int), optional
        The picture's size; by default the scene's resolution, at least :data:`QUIZ_SIZE`'s height.

    Raises
    ------
    ExportError
        The scene labels nothing, or none of its labels fits the picture.
    SceneError
        As rendering the scene would.
    """
    from glute3d.render import Pins, render

    source = scene._source or "scene"
    if not scene.labels and not (scene.overlays.label and scene.overlays.landmarks):
        raise _nothing_to_ask(source, "the scene has no labels")
    if size is None:
        w, h = (int(v) for v in scene.resolution)
        size = (w, h) if h >= QUIZ_SIZE[1] else (round(w * QUIZ_SIZE[1] / h), QUIZ_SIZE[1])
    result = render(_quiz_scene(scene), model, size=size, anti_aliasing=anti_aliasing, bands=False, pins=Pins(shuffle))
    if not result.labels:
        raise _nothing_to_ask(source, "none of its labels could be placed in the picture")
    branches = {j: L.branch for j, L in enumerate(scene.labels) if L.branch}
    items = []
    for lab in result.labels:
        assert lab.number is not None
        fact = branch_fact(lab.target, branches[lab.index]) if lab.index in branches else key_fact(lab.target)
        items.append(QuizItem(lab.number, lab.target, lab.text, latin_name(lab.target), fact, lab.visible))
    title = scene.title or Path(source).stem
    image = trim_picture(result.image)
    return Quiz(title, source, shuffle, image, sorted(items, key=lambda i: i.number), result.warnings)


def _png_bytes(image: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _quiz_pptx(quiz: Quiz, png: Path, picture: bytes) -> bytes:
    """Two slides: the question (answers in its speaker notes) and the answers beside the picture."""
    from glute3d.export.slides import Slide, pptx_bytes

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / png.name
        path.write_bytes(picture)
        answers = tuple(answer_lines(quiz.items))
        n = len(quiz.items)
        question = Slide(
            path,
            f"Quiz: name the structures 1–{n}" if n > 1 else "Quiz: name the structure",
            "",
            quiz.source,
            notes="Answers:\n" + "\n".join(answers),
        )
        answer = Slide(path, f"Answers: {quiz.title}", "", quiz.source, answers=answers)
        return pptx_bytes([question, answer], title=f"Quiz: {quiz.title}")


def quiz_files(quiz: Quiz, out_dir: str | Path, *, pptx: bool = False) -> dict[Path, bytes]:
    """The files of a quiz, by path (nothing written): the picture ``<stem>.png``, a printable
    worksheet ``<stem>.html`` (the picture and blank rows), the answer key ``<stem>_answers.md``
    and ``<stem>_answers.html`` and, with ``pptx``, ``<stem>.pptx`` (see :func:`quiz_stem`)."""
    out = Path(out_dir)
    stem = quiz_stem(quiz.source, quiz.shuffle)
    png = out / f"{stem}.png"
    picture = _png_bytes(quiz.image)
    files = {
        png: picture,
        out / f"{stem}.html": question_html(quiz.items, png.name, quiz.version).encode(),
        out / f"{stem}_answers.md": answer_markdown(quiz.title, quiz.items, png.name, quiz.version).encode(),
        out / f"{stem}_answers.html": answer_html(quiz.title, quiz.items, png.name, quiz.version).encode(),
    }
    if pptx:
        files[out / f"{stem}.pptx"] = _quiz_pptx(quiz, png, picture)
    return files


def write_files(files: Mapping[Path, bytes]) -> list[Path]:
    """Write every file or none: each goes to a temporary file beside it first, and only when all
    are written are they renamed into place (a full disk leaves the old files as they were).

    Raises
    ------
    OSError
        A folder cannot be created or written; no temporary file is left behind.
    """
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temps.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
    return list(files)


def write_quiz(quiz: Quiz, out_dir: str | Path, *, pptx: bool = False) -> list[Path]:
    """Write a quiz's files into ``out_dir``, all or none (see :func:`quiz_files`)."""
    return write_files(quiz_files(quiz, out_dir, pptx=pptx))
