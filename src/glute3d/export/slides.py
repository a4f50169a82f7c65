"""Lecture slides: rendered pictures as a 16:9 PowerPoint file, one slide a picture, reproducibly.

Each slide carries its title (large, in the slide's title placeholder, so that outlines and
screen readers find it), the picture as large as fits without distortion, and the caption
underneath (legible from the back of a lecture hall: 20 pt at the least) and in the
speaker notes.  The file is built in memory and written atomically; the same pictures and texts
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

from glute3d.export.errors import ExportError

__all__ = [
    "FIXED_TIME",
    "SLIDE_SIZE_EMU",
    "SLIDE_SIZE_IN",
    "Slide",
    "fit_picture",
    "pptx_bytes",
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
    """

    picture: Path
    title: str = ""
    caption: str = ""
    source: str = ""


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


def _add_slide(prs: Any, slide: Slide, picture_size: tuple[int, int]) -> None:
    """One slide: title at the top, caption at the bottom, the picture as large as fits between."""
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
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
    bottom = sh - 0.25
    if slide.caption:
        cap_pt, cap_lines = _sized(slide.caption, _CAPTION_PT, width, _CAPTION_LINES)
        cap_h = cap_lines * cap_pt * _LEADING / 72.0 + 0.15
        bottom -= cap_h
        box = page.shapes.add_textbox(Inches(_MARGIN), Inches(bottom), Inches(width), Inches(cap_h))
        box.name = "Caption"
        _set_text(box.text_frame, slide.caption, cap_pt)
        box.text_frame.vertical_anchor = MSO_ANCHOR.TOP
        box.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # a wider font than estimated: shrink
    top = 0.2 + title_h + _GAP
    left, ptop, pw, ph = fit_picture(picture_size, (_MARGIN, top, width, bottom - _GAP - top))
    pic = page.shapes.add_picture(str(slide.picture), Inches(left), Inches(ptop), Inches(pw), Inches(ph))
    pic.name = f"Picture {Path(slide.picture).stem}"
    pic._element.nvPicPr.cNvPr.set("descr", slide.caption or slide.title)  # alternative text
    notes = slide.caption + (f"\n\nScene: {slide.source}" if slide.source else "")
    page.notes_slide.notes_text_frame.text = notes


def _fixed_time() -> dt.datetime:
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
    sizes = [_picture_size(Path(s.picture)) for s in slides]
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(SLIDE_SIZE_EMU[0]), Emu(SLIDE_SIZE_EMU[1])
    for slide, size in zip(slides, sizes):
        _add_slide(prs, slide, size)
    when = _fixed_time()
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
    from glute3d.io.atomic import write_atomically

    data = pptx_bytes(slides, title=title)
    try:
        return write_atomically(Path(path), data)
    except OSError as exc:  # e.g. a full disk: name the file
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
