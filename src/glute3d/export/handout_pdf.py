"""The handout's A4 pages, laid out with fpdf2: a title page with the contents, then one scene a
page (its title, picture, caption and the fact sheets of what it shows; long sheets run on to
the next page), with page numbers.

Text is set in DejaVu Sans, embedded (Latin, Greek, Cyrillic); Chinese, Japanese and Korean
characters fall back to a font cut from Noto Sans CJK for this document
(:mod:`glute3d.export.handout_fonts`).  Pictures are embedded as JPEG (quality 90).  The same
scenes give the same bytes: the document's date is fixed (:data:`glute3d.export.slides.FIXED_TIME`
or ``$SOURCE_DATE_EPOCH``).

Examples
--------
>>> A4_MM, TEXT_WIDTH_MM
((210.0, 297.0), 178.0)
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from glute3d.export.errors import ExportError
from glute3d.export.handout_fonts import cjk_subset, dejavu_files, needs_cjk

if TYPE_CHECKING:
    from glute3d.export.handout import FactSheet, HandoutScene

__all__ = ["A4_MM", "TEXT_WIDTH_MM", "handout_pdf", "write_handout"]

A4_MM = (210.0, 297.0)
_MARGIN = 16.0
TEXT_WIDTH_MM = A4_MM[0] - 2 * _MARGIN
_GREY = (90, 90, 90)
_RULE = (190, 190, 190)
_LABEL_W = 30.0  # mm, the fact labels' column
_PICTURE_MAX_H = 125.0  # mm: a tall picture leaves room for its caption and facts
_FAMILY = "DejaVu"


def _all_text(scenes: Sequence[HandoutScene], title: str) -> str:
    parts = [title]
    for s in scenes:
        parts += [s.title, s.caption]
        for sheet in s.sheets:
            parts += [sheet.display, sheet.latin, *(t for _, t in sheet.rows)]
    return "\n".join(parts)


def _jpeg(image: np.ndarray) -> io.BytesIO:
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(image))
    if img.mode == "RGBA":  # a transparent background prints on white
        img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=90, optimize=False, progressive=False)
    buf.seek(0)
    return buf


class _Handout:
    """An fpdf2 document with the handout's fonts, footer and styles."""

    def __init__(self, title: str, text: str, tmp: Path) -> None:
        from fpdf import FPDF

        handout_title = title

        class _Doc(FPDF):
            def footer(self) -> None:
                if self.page_no() == 1:
                    return
                self.set_y(-12)
                self.set_font(_FAMILY, "", 8)
                self.set_text_color(*_GREY)
                self.cell(TEXT_WIDTH_MM / 2, 5, handout_title, align="L")
                self.cell(TEXT_WIDTH_MM / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")

        self.pdf = pdf = _Doc(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(_MARGIN, 15.0, _MARGIN)
        pdf.set_auto_page_break(True, margin=18.0)
        for style, path in dejavu_files().items():
            pdf.add_font(_FAMILY, style, path)
        if needs_cjk(text):
            self._add_cjk(text, tmp)
        pdf.set_title(title)
        pdf.set_author("glute3d")
        pdf.set_creator("glute3d")
        pdf.set_lang("en")

    def _add_cjk(self, text: str, tmp: Path) -> None:
        """A CJK fallback font in every style (bold from the bold weight)."""
        regular, bold = cjk_subset(text, False), cjk_subset(text, True)
        if regular is None:
            return  # no CJK font installed: such characters are left out by the PDF library
        for style, data in (("", regular), ("I", regular), ("B", bold or regular), ("BI", bold or regular)):
            path = tmp / f"cjk{style or 'R'}.ttf"
            path.write_bytes(data)
            self.pdf.add_font("CJK", style, str(path))
        self.pdf.set_fallback_fonts(["CJK"], exact_match=False)

    def text(
        self, text: str, size: float, style: str = "", colour: tuple[int, int, int] = (0, 0, 0), gap: float = 0.0
    ) -> None:
        self.pdf.set_font(_FAMILY, style, size)
        self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(0, size * 0.47, text, align="L", new_x="LMARGIN", new_y="NEXT")
        if gap:
            self.pdf.ln(gap)


def _title_page(doc: _Handout, title: str, n: int) -> None:
    import glute3d

    pdf = doc.pdf
    pdf.add_page()
    pdf.set_y(60)
    doc.text(title, 26, "B", gap=4)
    what = f"{n} scene{'s' * (n != 1)} of the gluteal region"
    doc.text(f"{what}, rendered from their scene files by glute3d {glute3d.__version__}", 11, "", _GREY, gap=10)
    pdf.set_draw_color(*_RULE)
    pdf.line(_MARGIN, pdf.get_y(), A4_MM[0] - _MARGIN, pdf.get_y())
    pdf.ln(6)
    doc.text("Contents", 13, "B", gap=2)
    pdf.insert_toc_placeholder(_contents, pages=1)


def _contents(pdf: Any, outline: list[Any]) -> None:
    """The contents: each scene's title and its page number, with dot leaders."""
    pdf.set_font(_FAMILY, "", 10.5)
    pdf.set_text_color(0, 0, 0)
    pdf.set_x(_MARGIN)
    for k, section in enumerate(outline, 1):
        page = str(section.page_number)
        label = f"{k}.  {section.name}"
        width = TEXT_WIDTH_MM - 12
        while pdf.get_string_width(label) > width - 4 and len(label) > 8:
            label = label[:-2].rstrip() + "…"
        dots = max(0, int((width - pdf.get_string_width(label)) / max(pdf.get_string_width(" ."), 0.1)))
        link = pdf.add_link(page=section.page_number)
        pdf.cell(width, 6.4, label + " " + " ." * dots, new_x="RIGHT", new_y="TOP", link=link)
        pdf.cell(12, 6.4, page, align="R", new_x="LMARGIN", new_y="NEXT")


def _fact_sheet(doc: _Handout, sheet: FactSheet) -> None:
    from fpdf.fonts import FontFace

    pdf = doc.pdf
    if pdf.will_page_break(18):
        pdf.add_page()
    pdf.set_font(_FAMILY, "B", 10.5)
    pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(0, 5.2, sheet.display, new_x="LMARGIN", new_y="NEXT")
    if sheet.latin:
        doc.text(sheet.latin, 9, "I", _GREY)
    pdf.ln(0.8)
    pdf.set_font(_FAMILY, "", 9)
    with pdf.table(
        col_widths=(_LABEL_W, TEXT_WIDTH_MM - _LABEL_W),
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        line_height=4.3,
        padding=(1.0, 1.2),
        text_align="LEFT",
        width=TEXT_WIDTH_MM,
    ) as table:
        for label, text in sheet.rows:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD", color=(60, 60, 60)))
            row.cell(text)
    pdf.ln(3.5)


def _md(text: str) -> str:
    """Text that fpdf2's markdown leaves as it is (its markers doubled characters: break them up)."""
    for marker in ("**", "__", "--", "~~"):
        text = text.replace(marker, marker[0] + "\u200b" + marker[1])
    return text


def _short_sheets(doc: _Handout, sheets: list[FactSheet]) -> None:
    """Structures with one fact each (landmarks): one table, a row each, the names on the left."""
    if not sheets:
        return
    pdf = doc.pdf
    pdf.set_font(_FAMILY, "", 9)
    pdf.set_text_color(0, 0, 0)
    with pdf.table(
        col_widths=(62.0, TEXT_WIDTH_MM - 62.0),
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        line_height=4.3,
        padding=(1.0, 1.2),
        text_align="LEFT",
        width=TEXT_WIDTH_MM,
        markdown=True,
    ) as table:
        for sheet in sheets:
            row = table.row()
            latin = f"\n__{_md(sheet.latin)}__" if sheet.latin else ""
            row.cell(f"**{_md(sheet.display)}**{latin}")
            row.cell(_md(sheet.rows[0][1]))
    pdf.ln(3.5)


def _scene_pages(doc: _Handout, scene: HandoutScene, new_page: bool) -> None:
    pdf = doc.pdf
    if new_page:
        pdf.add_page()
    pdf.start_section(scene.title)
    doc.text(scene.title, 15, "B", gap=2.5)
    h, w = scene.image.shape[:2]
    width = min(TEXT_WIDTH_MM, _PICTURE_MAX_H * w / h)
    height = width * h / w
    x = _MARGIN + (TEXT_WIDTH_MM - width) / 2.0
    pdf.image(_jpeg(scene.image), x=x, y=pdf.get_y(), w=width, h=height, alt_text=scene.caption or scene.title)
    pdf.set_y(pdf.get_y() + height + 2.5)
    if scene.caption:
        doc.text(scene.caption, 10, "", (40, 40, 40), gap=3)
    if scene.sheets:
        pdf.set_draw_color(*_RULE)
        pdf.line(_MARGIN, pdf.get_y(), A4_MM[0] - _MARGIN, pdf.get_y())
        pdf.ln(2.5)
        doc.text("Key facts", 11.5, "B", gap=1.5)
        short: list[FactSheet] = []
        for sheet in scene.sheets:
            if len(sheet.rows) == 1:  # a landmark's description: one row of a shared table
                short.append(sheet)
                continue
            _short_sheets(doc, short)
            short = []
            _fact_sheet(doc, sheet)
        _short_sheets(doc, short)


def handout_pdf(scenes: Sequence[HandoutScene], *, title: str) -> bytes:
    """The handout as PDF bytes: a title page with the contents, then each scene."""
    from glute3d.export.slides import document_time

    with tempfile.TemporaryDirectory(prefix="glute3d-handout-") as tmp:
        doc = _Handout(title, _all_text(scenes, title), Path(tmp))
        doc.pdf.set_creation_date(document_time())
        _title_page(doc, title, len(scenes))
        for k, scene in enumerate(scenes):
            _scene_pages(doc, scene, new_page=k > 0)  # the contents leave a new page open
        return bytes(doc.pdf.output())


def write_handout(scenes: Sequence[HandoutScene], path: str | Path, *, title: str) -> Path:
    """Write the handout PDF atomically (see :func:`handout_pdf`).

    Raises
    ------
    ExportError
        No scene to put in it (nothing is written).
    OSError
        The file cannot be written (nothing is left behind).
    """
    from glute3d.io.atomic import write_atomically

    if not scenes:
        raise ExportError(f"{path}: no pages to write: no scene was rendered; fix the scenes and run again")
    return write_atomically(Path(path), handout_pdf(scenes, title=title))
