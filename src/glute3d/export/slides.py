"""Lecture slides: rendered pictures as a 16:9 PowerPoint file, one slide a picture, reproducibly.

Each slide carries its title (large, in the slide's title placeholder, so that outlines and
screen readers find it), the picture as large as fits without distortion, and the caption
underneath (legible from the back of a lecture hall: 20 pt at the least) and in the
speaker notes.  A picture rendered with its own title and caption (a deck's PNG; the slide's
``scene`` says which scene it shows) goes on the slide without them and without the empty
background around the rest, so that the slide does not say them twice and the anatomy gets
their room.  A slide with ``answers`` (a quiz's answer
slide) puts the picture on the left and the numbered answers beside it.

The file is built in memory and written atomically; the same pictures and texts
give the same bytes (the document's dates and the zip entries' times are fixed, see
:data:`FIXED_TIME`).

Examples
--------
>>> fit_picture((1920, 1080), (0.0, 0.0, 10.0, 10.0))
(0.0, 2.1875, 10.0, 5.625)
>>> wrapped_lines("a few words", 36, 12.0)
1
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glute3d.export.errors import ExportError, write_export

__all__ = [
    "FIXED_TIME",
    "document_time",
    "SLIDE_SIZE_EMU",
    "SLIDE_SIZE_IN",
    "Slide",
    "fit_picture",
    "pptx_bytes",
    "scene_bands",
    "trim_picture",
    "wrapped_lines",
    "write_pptx",
]

#: Slide size in EMU (914400 a inch): PowerPoint's 16:9 widescreen, 13.33 x 7.5 in.
SLIDE_SIZE_EMU = (12192000, 6858000)
SLIDE_SIZE_IN = (SLIDE_SIZE_EMU[0] / 914400, SLIDE_SIZE_EMU[1] / 914400)
#: The creation and modification time written into every file (the first moment a zip file can
#: record), unless ``$SOURCE_DATE_EPOCH`` gives another (the reproducible-builds convention).
FIXED_TIME = dt.datetime(1980, 1, 1)

_MARGIN = 0.35  # in, around the slide's content
_GAP = 0.12  # in, between title, picture and caption
_TITLE_PT = (36, 32, 28)  # the largest that fits the title on one line, else the smallest
_CAPTION_PT = (24, 22, 20)  # the largest that keeps the caption to four lines, else the smallest
_CAPTION_LINES = 4
_EM = 0.45  # average character width of text in Calibri (0.40 em) with room for wrapping and other fonts
_LEADING = 1.2  # line height, in em


@dataclass(frozen=True)
class Slide:
    """One slide: a picture (PNG or JPEG) with its title and caption.

    ``source`` (e.g. the scene file's name) is named at the end of the speaker notes.
    ``scene``: the scene file the picture was rendered from with its title and caption bands
    (``glute3d deck``), which are then cropped off (see :func:`scene_bands`).  ``answers``:
    numbered lines set beside the picture (a quiz); ``notes``: more speaker notes.
    """

    picture: Path
    title: str = ""
    caption: str = ""
    source: str = ""
    scene: Path | None = None
    answers: tuple[str, ...] = ()
    notes: str = ""


def wrapped_lines(text: str, size_pt: float, width_in: float) -> int:
    """How many lines ``text`` takes at ``size_pt`` in a box ``width_in`` wide (word wrap, estimated)."""
    per_line = max(1, int(width_in * 72.0 / (size_pt * _EM)))
    lines, used = 0, per_line + 1
    for word in text.split():
        if used + 1 + len(word) <= per_line:
            used += 1 + len(word)
        else:
            lines += 1 + (len(word) - 1) // per_line
            used = (len(word) - 1) % per_line + 1
    return lines


def fit_picture(size_px: tuple[int, int], box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The largest rectangle of the picture's aspect in ``box`` (left, top, width, height), centred."""
    left, top, width, height = box
    aspect = size_px[0] / size_px[1]
    w, h = (width, width / aspect) if width / height <= aspect else (height * aspect, height)
    return (left + (width - w) / 2.0, top + (height - h) / 2.0, w, h)


def _sized(text: str, sizes: tuple[int, ...], width_in: float, max_lines: int) -> tuple[int, int]:
    """The largest font size of ``sizes`` that keeps ``text`` to ``max_lines`` (else the smallest), and its lines."""
    for pt in sizes:
        lines = wrapped_lines(text, pt, width_in)
        if lines <= max_lines:
            return pt, lines
    return sizes[-1], wrapped_lines(text, sizes[-1], width_in)


def _set_text(frame: Any, text: str, size_pt: int, *, bold: bool = False) -> None:
    from pptx.util import Pt

    frame.word_wrap = True
    frame.text = text
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(size_pt)
            run.font.bold = bold


def _add_caption(page: Any, caption: str, left: float, width: float, bottom: float) -> float:
    """The caption in a box that ends at ``bottom``; the box's top (``bottom`` without a caption)."""
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
    from pptx.util import Inches

    if not caption:
        return bottom
    cap_pt, cap_lines = _sized(caption, _CAPTION_PT, width, _CAPTION_LINES)
    cap_h = cap_lines * cap_pt * _LEADING / 72.0 + 0.15
    box = page.shapes.add_textbox(Inches(left), Inches(bottom - cap_h), Inches(width), Inches(cap_h))
    box.name = "Caption"
    _set_text(box.text_frame, caption, cap_pt)
    box.text_frame.vertical_anchor = MSO_ANCHOR.TOP
    box.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # a wider font than estimated: shrink
    return bottom - cap_h


def _add_answers(page: Any, answers: tuple[str, ...], box: tuple[float, float, float, float]) -> None:
    """The numbered answers, one paragraph each, as large as the box allows (18-28 pt)."""
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    left, top, width, height = box
    lines = sum(wrapped_lines(a, 20, width) for a in answers)
    size = max(18, min(28, int(height * 72.0 / (max(1, lines) * _LEADING * 1.15))))
    shape = page.shapes.add_textbox(*(Inches(x) for x in box))
    shape.name = "Answers"
    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    for k, text in enumerate(answers):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.text = text
        paragraph.space_after = Pt(size * 0.35)
        for run in paragraph.runs:
            run.font.size = Pt(size)


def _add_slide(prs: Any, slide: Slide, picture: bytes, picture_size: tuple[int, int]) -> None:
    """One slide: title at the top, caption at the bottom, the picture as large as fits between
    (with answers: the picture on the left, the answers on the right)."""
    from pptx.enum.text import MSO_ANCHOR
    from pptx.util import Inches

    sw, sh = SLIDE_SIZE_IN
    width = sw - 2 * _MARGIN
    page = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
    title_pt, title_lines = _sized(slide.title, _TITLE_PT, width, 1)
    title_h = title_lines * title_pt * _LEADING / 72.0 + 0.2
    title = page.shapes.title
    title.left, title.top, title.width, title.height = (Inches(x) for x in (_MARGIN, 0.2, width, title_h))
    _set_text(title.text_frame, slide.title, title_pt, bold=True)
    title.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    bottom = _add_caption(page, slide.caption, _MARGIN, width, sh - 0.25)
    top = 0.2 + title_h + _GAP
    pic_w = width
    if slide.answers:
        pic_w = 0.6 * width
        _add_answers(page, slide.answers, (_MARGIN + pic_w + 0.25, top, width - pic_w - 0.25, bottom - _GAP - top))
    left, ptop, pw, ph = fit_picture(picture_size, (_MARGIN, top, pic_w, bottom - _GAP - top))
    pic = page.shapes.add_picture(io.BytesIO(picture), Inches(left), Inches(ptop), Inches(pw), Inches(ph))
    pic.name = f"Picture {Path(slide.picture).stem}"
    pic._element.nvPicPr.cNvPr.set("descr", slide.caption or slide.title)  # alternative text
    notes = "\n\n".join(t for t in (slide.caption, slide.notes) if t)
    notes += f"\n\nScene: {slide.source}" if slide.source else ""
    page.notes_slide.notes_text_frame.text = notes.strip()


def scene_bands(scene_file: str | Path, size: tuple[int, int]) -> tuple[int, int]:
    """Pixels of the title band (top) and caption band (bottom) of a ``size`` picture of a scene
    file (see :func:`glute3d.render.text_bands`); ``(0, 0)`` when the scene cannot be read (the
    picture then goes on the slide whole).

    Examples
    --------
    >>> scene_bands("no/such/scene.toml", (1920, 1080))
    (0, 0)
    """
    from glute3d.render.layout import text_bands
    from glute3d.scene import Scene, SceneError, load_theme

    try:
        scene = Scene.from_file(scene_file)
    except SceneError:
        return (0, 0)
    return text_bands(scene, load_theme(), size)


def trim_picture(image: Any, margin: float = 0.03) -> Any:
    """The picture without the empty background around what it shows (a ``margin`` of its larger
    side kept): a narrow model then fills a slide's or a page's height instead of a strip of it.

    The background is the colour of the top-left pixel; ``image`` is an ``(h, w, 3 or 4)`` array.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.full((100, 200, 3), 255, np.uint8); img[40:60, 90:110] = 0
    >>> trim_picture(img, margin=0.05).shape
    (40, 40, 3)
    """
    import numpy as np

    a = np.asarray(image)
    diff = np.abs(a.astype(np.int16) - a[0, 0].astype(np.int16)).max(axis=-1) > 8
    rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
    if not len(rows):
        return a
    m = int(round(margin * max(a.shape[:2])))
    y0, y1 = max(0, rows[0] - m), min(a.shape[0], rows[-1] + 1 + m)
    x0, x1 = max(0, cols[0] - m), min(a.shape[1], cols[-1] + 1 + m)
    return a[y0:y1, x0:x1]


def _slide_picture(slide: Slide) -> tuple[bytes, tuple[int, int]]:
    """The picture's bytes and size as it goes on the slide: when the slide names its scene,
    without the title and caption bands and the empty background around the rest (see
    :func:`trim_picture`), else the file unchanged."""
    import numpy as np
    from PIL import Image

    path = Path(slide.picture)
    size = _picture_size(path)
    data = path.read_bytes()
    top, bottom = scene_bands(slide.scene, size) if slide.scene is not None else (0, 0)
    if slide.scene is None or top + bottom >= size[1] // 2:
        return data, size
    with Image.open(io.BytesIO(data)) as img:
        pixels = np.asarray(img.convert("RGBA" if "A" in img.getbands() else "RGB"))
    shown = Image.fromarray(np.ascontiguousarray(trim_picture(pixels[top : size[1] - bottom])))
    buf = io.BytesIO()
    shown.save(buf, format="PNG", compress_level=1)
    return buf.getvalue(), shown.size


def document_time() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
    return FIXED_TIME


def _reproducible_zip(data: bytes, when: dt.datetime) -> bytes:
    """The same package with every zip entry stamped ``when`` (python-pptx stamps them now)."""
    stamp = (max(1980, when.year), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def _picture_size(path: Path) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return img.size
    except FileNotFoundError:
        raise ExportError(f"{path}: no such picture; render it first (glute3d deck)") from None
    except (OSError, UnidentifiedImageError) as exc:
        raise ExportError(f"{path}: not a picture that can go on a slide ({exc}); render it again") from None


def pptx_bytes(slides: Sequence[Slide], *, title: str = "glute3d lecture deck") -> bytes:
    """A 16:9 PowerPoint file of ``slides``, in their order, as bytes (the same bytes for the same input).

    Parameters
    ----------
    slides : sequence of Slide
        The slides, in lecture order.
    title : str
        The document's title (its properties, not a slide).

    Raises
    ------
    ExportError
        No slides, or a picture that is missing or unreadable.
    """
    from pptx import Presentation
    from pptx.util import Emu

    if not slides:
        raise ExportError("no slides to write: no picture was rendered; fix the failed scenes and run again")
    pictures = [_slide_picture(s) for s in slides]
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(SLIDE_SIZE_EMU[0]), Emu(SLIDE_SIZE_EMU[1])
    for slide, (data, size) in zip(slides, pictures):
        _add_slide(prs, slide, data, size)
    when = document_time()
    props = prs.core_properties
    props.title, props.author, props.last_modified_by = title, "glute3d", "glute3d"
    props.created = props.modified = when
    props.revision = 1
    buf = io.BytesIO()
    prs.save(buf)
    return _reproducible_zip(buf.getvalue(), when)


def write_pptx(slides: Sequence[Slide], path: str | Path, *, title: str = "glute3d lecture deck") -> Path:
    """Write ``slides`` as a 16:9 PowerPoint file, atomically (see :func:`pptx_bytes`).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ExportError
        No slides, or a picture that is missing or unreadable (nothing is written).
    OSError
        The file cannot be written (nothing is left behind); ``filename`` is ``path``.
    """
    data = pptx_bytes(slides, title=title)
    return write_export(path, data)
