"""Fonts and text measuring for the 2D overlay (Pillow), in any script.

Text is set in DejaVu Sans (as matplotlib ships it), which covers Latin, Greek and Cyrillic.
A character it has no glyph for is set in a fallback font instead, run by run: Noto Sans CJK
for Chinese, Japanese and Korean (the ``manimgx-fonts-cjk`` package, a dependency, or a system
copy such as Debian's ``fonts-noto-cjk``), in the face of the text's language (Japanese when it
has kana, Korean when it has Hangul, else Simplified Chinese) and, for bold text, in bold.  Text
that DejaVu Sans covers is drawn exactly as before, in one piece.

Whether a font has a character is read from what it draws: a character without a glyph is
drawn as the font's ``.notdef`` box, the same for every missing character.  Characters no font
has are reported by :meth:`Font.missing` (the renderer warns about them) and drawn as boxes.

Examples
--------
>>> f = font(20)
>>> [len(text) for text, _ in f.runs("Musculus gluteus medius")]
[23]
>>> f.missing("Gluteus \\U0010fffd")
['\\U0010fffd']
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "Font",
    "block_size",
    "cjk_font_file",
    "font",
    "font_path",
    "glyph_warning",
    "wrap",
]

#: Fonts kept (one per size and weight); a long session at many sizes keeps only the latest.
FONT_CACHE_SIZE = 48
_FONTS: OrderedDict[tuple[int, bool], Font] = OrderedDict()

#: The size at which fonts are asked whether they have a character.
_PROBE_PX = 32
#: A character no font has (the last private-use code point of plane 16): it draws ``.notdef``.
_NO_GLYPH = "\U0010fffd"

#: CJK fonts looked for on the system when the ``manimgx-fonts-cjk`` package is missing:
#: (regular file, bold file or ``None``), in order of preference.
SYSTEM_CJK_FONTS: tuple[tuple[str, str | None], ...] = (
    (  # Debian, Ubuntu: fonts-noto-cjk
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ),
    (  # Fedora, Arch: google-noto-sans-cjk-fonts, noto-fonts-cjk
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    ),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", None),  # Debian: fonts-droid-fallback
    ("C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/msyhbd.ttc"),  # Microsoft YaHei
    ("/System/Library/Fonts/Hiragino Sans GB.ttc", None),  # macOS
)


# =============================================================================== font files
def font_path(bold: bool = False) -> str | None:
    """DejaVu Sans from matplotlib's data (a pyvista dependency), without importing matplotlib;
    ``None`` when it cannot be found (Pillow's default font is used then)."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    spec = importlib.util.find_spec("matplotlib")
    for base in (spec.submodule_search_locations or []) if spec else []:
        p = Path(base) / "mpl-data" / "fonts" / "ttf" / name
        if p.is_file():
            return str(p)
    p = Path("/usr/share/fonts/truetype/dejavu") / name
    return str(p) if p.is_file() else None


@lru_cache(maxsize=2)
def cjk_font_file(bold: bool = False) -> str | None:
    """The font file used for Chinese, Japanese and Korean: Noto Sans CJK of the
    ``manimgx-fonts-cjk`` package (one variable font for every weight), else the first of
    :data:`SYSTEM_CJK_FONTS` found (its bold file for ``bold`` when there is one); ``None``
    when there is none (such text is then drawn as boxes, with a warning)."""
    spec = importlib.util.find_spec("manimgx_fonts_cjk")
    for base in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(base).glob("*.tt[cf]")) + sorted(Path(base).glob("*.otf"))
        if found:
            return str(found[0])
    for regular, bold_file in SYSTEM_CJK_FONTS:
        for name in ([bold_file] if bold and bold_file else []) + [regular]:
            if Path(name).is_file():
                return name
    return None


@dataclass(frozen=True)
class _Face:
    """One face of a font file: its index in a collection and, for a variable font, its weight."""

    path: str | None  # None: Pillow's default font
    index: int = 0
    weight: int | None = None

    def load(self, px: int) -> Any:
        from PIL import ImageFont

        if self.path is None:
            return ImageFont.load_default(px)
        fnt = ImageFont.truetype(self.path, px, index=self.index)
        if self.weight is not None:
            fnt.set_variation_by_axes([self.weight])
        return fnt


@lru_cache(maxsize=16)
def _cjk_face(region: str, bold: bool) -> _Face | None:
    """The face of the CJK font for ``region`` (``"SC"``, ``"JP"``, ``"KR"``) and weight."""
    from PIL import ImageFont

    path = cjk_font_file(bold)
    if path is None:
        return None
    index, names = 0, []
    for i in range(32):  # the faces of a collection, by family name ("Noto Sans CJK JP")
        try:
            names.append(str(ImageFont.truetype(path, _PROBE_PX, index=i).getname()[0] or ""))
        except OSError:
            break
    for i, name in enumerate(names):
        if name.endswith(f" {region}"):
            index = i
            break
    weight = None
    try:
        axes: list[Any] = list(ImageFont.truetype(path, _PROBE_PX, index=index).get_variation_axes())
        if axes and str(axes[0].get("name", b""), "latin-1", "replace").lower().startswith("weight"):
            lo, hi = int(axes[0]["minimum"]), int(axes[0]["maximum"])
            weight = min(hi, max(lo, 700 if bold else 400))
    except OSError:  # not a variable font
        pass
    return _Face(path, index, weight)


def _region(text: str) -> str:
    """The CJK face a text wants: Japanese with kana, Korean with Hangul, else Simplified Chinese."""
    for ch in text:
        o = ord(ch)
        if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
            return "JP"
        if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
            return "KR"
    return "SC"


# =============================================================================== coverage
class _Coverage:
    """Which characters one face draws a glyph for (remembered per character)."""

    def __init__(self, face: _Face) -> None:
        self._probe = face.load(_PROBE_PX)
        self._notdef = self._signature(_NO_GLYPH)
        self._known: dict[str, bool] = {}

    def _signature(self, ch: str) -> tuple:
        mask = self._probe.getmask(ch)
        return (self._probe.getlength(ch), self._probe.getbbox(ch), mask.size, tuple(mask.histogram()))

    def __contains__(self, ch: str) -> bool:
        hit = self._known.get(ch)
        if hit is None:
            hit = self._known[ch] = self._signature(ch) != self._notdef
        return hit


@lru_cache(maxsize=32)
def _coverage(path: str | None, index: int) -> _Coverage:
    return _Coverage(_Face(path, index))


def _neutral(ch: str) -> bool:
    """Spaces, controls, format characters and combining marks: set in the font around them."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Mn", "Me")


# =============================================================================== fonts
class Font:
    """Text of ``px`` pixels: DejaVu Sans (bold or regular), with fallbacks for other scripts.

    ``size`` is the pixel size; ``primary`` the Pillow font of DejaVu Sans.  Measure with
    :meth:`getlength`, draw with :meth:`draw`; :meth:`runs` tells which font sets which part.
    """

    def __init__(self, px: int, bold: bool = False) -> None:
        self.size, self.bold = int(px), bool(bold)
        self._primary_face = _Face(font_path(bold))
        self.primary = self._primary_face.load(self.size)
        self._loaded: dict[_Face, Any] = {self._primary_face: self.primary}

    def _chain(self, text: str) -> list[_Face]:
        """The faces tried for ``text``, in order: DejaVu Sans first (regular after bold: the
        bold weight has fewer glyphs), then the CJK font."""
        chain = [self._primary_face]
        if self.bold:
            chain.append(_Face(font_path(False)))
        cjk = _cjk_face(_region(text), self.bold)
        if cjk is not None:
            chain.append(cjk)
        return chain

    def _faces_of(self, text: str) -> tuple[list[_Face], list[int | None]]:
        """Each character's face (an index into the chain; ``-1``: a space or mark, set with
        its neighbours; ``None``: no face has it).  The fallbacks are looked up only when
        DejaVu Sans lacks a character."""
        primary = _coverage(self._primary_face.path, self._primary_face.index)
        picks: list[int | None] = [-1 if _neutral(ch) else 0 if ch in primary else None for ch in text]
        chain = [self._primary_face]
        if None in picks:
            chain = self._chain(text)
            for i, ch in enumerate(text):
                if picks[i] is None:
                    picks[i] = next((k for k, f in enumerate(chain) if ch in _coverage(f.path, f.index)), None)
        return chain, picks

    def _load(self, face: _Face) -> Any:
        if face not in self._loaded:
            self._loaded[face] = face.load(self.size)
        return self._loaded[face]

    def runs(self, text: str) -> list[tuple[str, Any]]:
        """``text`` as runs of characters set in one Pillow font each, in order (spaces and
        combining marks go with the run they are in; characters no font has, with the primary)."""
        if text.isascii():
            return [(text, self.primary)] if text else []
        chain, picks = self._faces_of(text)
        filled = [0 if p is None else p for p in picks]
        last = next((p for p in filled if p >= 0), 0)  # leading spaces: the first run's font
        out: list[tuple[str, int]] = []
        for ch, p in zip(text, filled):
            p = last if p < 0 else p
            last = p
            if out and out[-1][1] == p:
                out[-1] = (out[-1][0] + ch, p)
            else:
                out.append((ch, p))
        return [(t, self._load(chain[p])) for t, p in out]

    def missing(self, text: str) -> list[str]:
        """The characters of ``text`` (each once, in order) that no available font has."""
        if text.isascii():
            return []
        _, picks = self._faces_of(text)
        return list(dict.fromkeys(ch for ch, p in zip(text, picks) if p is None))

    def getlength(self, text: str) -> float:
        """Advance width of ``text`` in pixels (as Pillow's ``getlength``, run by run)."""
        runs = self.runs(text)
        if len(runs) == 1:
            return float(runs[0][1].getlength(text))
        return float(sum(f.getlength(t) for t, f in runs))

    def draw(
        self,
        dr: Any,
        xy: tuple[float, float],
        text: str,
        fill: Any,
        anchor: str = "la",
        stroke_width: int = 0,
        stroke_fill: Any = None,
    ) -> None:
        """Draw ``text`` with a Pillow ``ImageDraw`` at ``xy``, placed by ``anchor`` as Pillow
        places it (``"la"``, ``"ma"``, ``"rm"``, ...).  Text in one font is drawn in one call,
        exactly as Pillow draws it; other text run by run on DejaVu Sans's baseline (so a line in
        one script sits where a line in another would)."""
        runs = self.runs(text)
        if len(runs) <= 1 and (not runs or runs[0][1] is self.primary):
            dr.text(
                xy,
                text,
                font=self.primary,
                fill=fill,
                anchor=anchor,
                stroke_width=stroke_width,
                stroke_fill=stroke_fill,
            )
            return
        width = sum(f.getlength(t) for t, f in runs)
        ascent, descent = self.primary.getmetrics()
        x = xy[0] - {"l": 0.0, "m": width / 2.0, "r": width}[anchor[0]]
        y = xy[1] + {"a": ascent, "t": ascent, "m": (ascent - descent) / 2.0, "s": 0.0}.get(anchor[1], -descent)
        for t, f in runs:
            dr.text((x, y), t, font=f, fill=fill, anchor="ls", stroke_width=stroke_width, stroke_fill=stroke_fill)
            x += f.getlength(t)


def font(px: int, bold: bool = False) -> Font:
    """The :class:`Font` of ``px`` pixels (one object per size and weight, the latest
    :data:`FONT_CACHE_SIZE` kept).

    Examples
    --------
    >>> font(14).size
    14
    """
    key = (int(px), bool(bold))
    hit = _FONTS.get(key)
    if hit is None:
        hit = _FONTS[key] = Font(*key)
        while len(_FONTS) > FONT_CACHE_SIZE:
            _FONTS.popitem(last=False)
    else:
        _FONTS.move_to_end(key)
    return hit


def glyph_warning(where: str, chars: list[str]) -> str:
    """The one-line warning for characters no font has.

    Examples
    --------
    >>> glyph_warning("title", ["\\u0e01"])
    "title: no available font has a glyph for 'ก' (U+0E01): drawn as an empty box"
    """
    shown = "".join(chars[:8]) + ("…" if len(chars) > 8 else "")
    codes = ", ".join(f"U+{ord(c):04X}" for c in chars[:8]) + (", …" if len(chars) > 8 else "")
    what = "a glyph" if len(chars) == 1 else "glyphs"
    boxes = "an empty box" if len(chars) == 1 else "empty boxes"
    msg = f"{where}: no available font has {what} for {shown!r} ({codes}): drawn as {boxes}"
    if any(unicodedata.east_asian_width(c) in ("W", "F") for c in chars) and cjk_font_file() is None:
        msg += " (for Chinese, Japanese and Korean: pip install manimgx-fonts-cjk, or Debian's fonts-noto-cjk)"
    return msg


# =============================================================================== wrapping
#: Characters that never start a line (they stay with the character before them).
_NO_BREAK_BEFORE = set(
    "、。，．・：；？！）」』】〕〉》’”〜ー々ゝゞぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.;:!?)]}"
)
#: Characters that never end a line (they stay with the character after them).
_NO_BREAK_AFTER = set("（「『【〔〈《‘“([{")


def _pieces(word: str) -> list[str]:
    """A word (no spaces) in the pieces a line may break between: whole, unless it has wide
    characters (CJK), between which a line may break anywhere."""
    if word.isascii() or not any(unicodedata.east_asian_width(c) in ("W", "F") for c in word):
        return [word]
    out: list[str] = []
    glue = False  # the last piece ends with a character that stays with the next
    for ch in word:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        prev_wide = bool(out) and unicodedata.east_asian_width(out[-1][-1]) in ("W", "F")
        if out and (glue or ch in _NO_BREAK_BEFORE or not (wide or prev_wide)):
            out[-1] += ch
        else:
            out.append(ch)
        glue = ch in _NO_BREAK_AFTER
    return out


def wrap(text: str, fnt: Any, max_width: float) -> list[str]:
    """``text`` broken into lines no wider than ``max_width`` pixels (at spaces, and between
    Chinese, Japanese or Korean characters of a word too wide for a line; ``\\n`` kept).

    Examples
    --------
    >>> wrap("Gluteus minimus, right", font(14), 110.0)
    ['Gluteus', 'minimus, right']
    >>> wrap("臀中肌，臀小肌 中殿筋", font(14), 50.0)
    ['臀中', '肌，臀', '小肌', '中殿筋']
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            # break inside a word (between CJK characters) only when it does not fit a line
            pieces = [word] if fnt.getlength(word) <= max_width else _pieces(word)
            for k, piece in enumerate(pieces):
                trial = f"{line} {piece}" if (line and k == 0) else line + piece
                if line and fnt.getlength(trial) > max_width:
                    lines.append(line)
                    line = piece
                else:
                    line = trial
        lines.append(line)
    return lines


def block_size(lines: list[str], fnt: Any, leading: float) -> tuple[float, float]:
    """Width and height in pixels of a block of ``lines`` (line height ``fnt.size * leading``)."""
    width = max((fnt.getlength(t) for t in lines), default=0.0)
    return float(width), float(len(lines) * fnt.size * leading)
