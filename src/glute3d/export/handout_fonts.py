"""Fonts for the handout PDF: DejaVu Sans for Latin, Greek and Cyrillic, and a small TrueType
font cut from Noto Sans CJK for the Chinese, Japanese and Korean characters a handout uses.

The CJK font the project ships (``manimgx-fonts-cjk``, see :func:`glute3d.render.fonts.cjk_font_file`)
is a 32 MB collection of variable fonts with CFF2 outlines, which PDF libraries cannot embed
(and take minutes to read).  :func:`cjk_subset` keeps only the characters the document needs,
at one weight, converts their outlines to TrueType quadratics and returns a font of a few
kilobytes that any PDF library embeds; the same characters give the same bytes.

Examples
--------
>>> needs_cjk("Gluteus medius — Μέσος γλουτιαίος — Средняя ягодичная"), needs_cjk("臀中肌")
(False, True)
>>> cjk_region("中殿筋の起始"), cjk_region("중둔근"), cjk_region("臀中肌")
('JP', 'KR', 'SC')
"""

from __future__ import annotations

import functools
import io
import unicodedata
from pathlib import Path

from glute3d.render.fonts import cjk_font_file, font_path

__all__ = ["cjk_region", "cjk_subset", "dejavu_files", "needs_cjk"]


@functools.cache
def _dejavu_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    path = font_path()
    if path is None:
        return frozenset()
    return frozenset(TTFont(path, lazy=True).getBestCmap())


def dejavu_files() -> dict[str, str]:
    """DejaVu Sans by style (``""``, ``"B"``, ``"I"``, ``"BI"``): the fonts of the handout's text.

    Raises
    ------
    FileNotFoundError
        DejaVu Sans is not installed (it comes with matplotlib, a dependency of pyvista).
    """
    regular = font_path()
    if regular is None:
        raise FileNotFoundError("DejaVu Sans not found; install matplotlib (it ships the font)")
    folder = Path(regular).parent
    names = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
    names["BI"] = "DejaVuSans-BoldOblique.ttf"
    return {style: str(folder / n) if (folder / n).is_file() else regular for style, n in names.items()}


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80 and not unicodedata.category(ch).startswith(("Z", "C"))


def needs_cjk(text: str) -> bool:
    """Whether ``text`` has characters DejaVu Sans lacks that a CJK font has."""
    cmap = _dejavu_cmap()
    return any(_is_cjk(ch) and ord(ch) not in cmap for ch in text)


def cjk_region(text: str) -> str:
    """The CJK face a text wants: Japanese with kana, Korean with Hangul, else Simplified Chinese."""
    for ch in text:
        o = ord(ch)
        if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF:
            return "JP"
        if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
            return "KR"
    return "SC"


def _face_index(path: str, region: str) -> int:
    """The face of a collection whose family name ends with ``region`` (0 if none or not a collection)."""
    from fontTools.ttLib import TTCollection

    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    with open(path, "rb") as fh:
        faces = TTCollection(fh, lazy=True).fonts
        for i, face in enumerate(faces):
            if str(face["name"].getDebugName(1) or "").endswith(f" {region}"):
                return i
    return 0


def _to_truetype(font: object, location: dict[str, float]) -> None:
    """Replace the CFF or CFF2 outlines of ``font`` (a fontTools TTFont) by TrueType ones, at ``location``."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    f = font
    glyph_set = f.getGlyphSet(location=location or None)  # type: ignore[attr-defined]
    order = f.getGlyphOrder()  # type: ignore[attr-defined]
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    for tag in ("CFF ", "CFF2", "VORG", "fvar", "avar", "HVAR", "MVAR", "VVAR", "STAT", "gvar"):
        if tag in f:  # type: ignore[operator]
            del f[tag]  # type: ignore[attr-defined]
    f["loca"] = newTable("loca")  # type: ignore[index]
    glyf = f["glyf"] = newTable("glyf")  # type: ignore[index]
    glyf.glyphOrder, glyf.glyphs = order, glyphs
    maxp = f["maxp"] = newTable("maxp")  # type: ignore[index]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones maxTwilightPoints maxStorage maxFunctionDefs maxInstructionDefs maxStackElements "
        "maxSizeOfInstructions maxComponentElements numGlyphs maxPoints maxContours maxCompositePoints "
        "maxCompositeContours maxComponentDepth"
    ).split():
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    f["head"].glyphDataFormat = 0  # type: ignore[index]
    f.sfntVersion = "\x00\x01\x00\x00"  # type: ignore[attr-defined]
    post = f["post"]  # type: ignore[index]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}


@functools.lru_cache(maxsize=8)
def cjk_subset(text: str, bold: bool = False) -> bytes | None:
    """A TrueType font with the CJK characters of ``text`` (and nothing else), in the face of its
    language and the given weight; ``None`` when no CJK font is installed or ``text`` needs none."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    chars = "".join(sorted({ch for ch in text if _is_cjk(ch)}))
    path = cjk_font_file(bold)
    if not chars or path is None:
        return None
    font = TTFont(path, fontNumber=_face_index(path, cjk_region(text)), lazy=True)
    options = subset.Options()
    options.layout_features, options.hinting, options.notdef_outline = [], False, True
    options.name_IDs = ["*"]
    options.drop_tables += ["GPOS", "GSUB", "BASE", "VORG", "vhea", "vmtx", "STAT", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    if "glyf" not in font:
        location = {"wght": 700.0 if bold else 400.0} if "fvar" in font else {}
        _to_truetype(font, location)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()
