"""Text in any script: Latin, Greek and Cyrillic in DejaVu Sans, Chinese, Japanese and Korean in
the CJK fallback, warnings for characters no font has; checked on what is drawn, not only on
what the font module says."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from conftest import RENDER_TEST
from glute3d.render import render
from glute3d.render.fonts import FONT_CACHE_SIZE, cjk_font_file, font, font_path, wrap
from glute3d.scene import Scene

MULTI = "Musculus gluteus medius / Μέσος γλουτιαίος / Средняя ягодичная мышца / 臀中肌 / 中殿筋"
CJK = {"zh": "臀中肌", "ja": "中殿筋とキャプション", "ko": "중둔근"}
NO_GLYPH = "\U0010fffd"  # a private-use character no font has: drawn as the font's .notdef box


def drawn(fnt: ImageFont.FreeTypeFont, ch: str) -> tuple:
    """What Pillow draws for one character: the size of its mask and every pixel of it."""
    mask = fnt.getmask(ch)
    w, h = mask.size
    return mask.size, tuple(mask.getpixel((x, y)) for y in range(h) for x in range(w))


def is_notdef(fnt: ImageFont.FreeTypeFont, ch: str) -> bool:
    """Pillow draws ``ch`` exactly as it draws a character the font has no glyph for."""
    return drawn(fnt, ch) == drawn(fnt, NO_GLYPH)


# =============================================================================== the fonts
def test_a_cjk_font_is_available():
    assert cjk_font_file() is not None, "no CJK font: install the manimgx-fonts-cjk dependency"


def test_latin_greek_cyrillic_stay_in_dejavu_sans_in_one_piece():
    f = font(20)
    for text in ("Musculus gluteus medius", "Μέσος γλουτιαίος", "Средняя ягодичная мышца", "20° – ≤ 5 mm"):
        ((run, fnt),) = f.runs(text)
        assert run == text and fnt is f.primary and fnt.path == font_path()
        assert f.getlength(text) == f.primary.getlength(text)


@pytest.mark.parametrize("lang", sorted(CJK))
def test_cjk_characters_are_drawn_from_glyphs_not_boxes(lang):
    """DejaVu Sans has no glyph for them (Pillow draws its .notdef box); the font each is set in
    has one (Pillow draws something else than that font's box)."""
    text = CJK[lang]
    for bold in (False, True):
        f = font(24, bold)
        assert f.missing(text) == []
        for run, fnt in f.runs(text):
            assert fnt is not f.primary
            for ch in run:
                assert is_notdef(f.primary, ch), f"DejaVu Sans draws {ch!r}: no fallback needed"
                assert not is_notdef(fnt, ch), f"{ch!r} drawn as a box by {fnt.getname()}"


def test_mixed_text_switches_font_only_for_the_cjk_characters():
    f = font(20)
    runs = f.runs(MULTI)
    assert "".join(t for t, _ in runs) == MULTI
    assert [fnt is f.primary for _, fnt in runs] == [True, False, True, False]
    assert runs[1][0].strip() == "臀中肌" and runs[3][0] == "中殿筋"


def test_japanese_and_korean_get_their_own_faces():
    f = font(20)
    assert f.runs("中殿筋")[0][1].getname()[0].endswith("SC")
    assert f.runs("中殿筋とは")[0][1].getname()[0].endswith("JP")
    assert f.runs("중둔근")[0][1].getname()[0].endswith("KR")


def test_bold_cjk_is_bolder():
    def ink(bold: bool) -> int:
        (_, fnt), *_ = font(40, bold).runs("臀中肌")
        img = Image.new("L", (200, 60))
        ImageDraw.Draw(img).text((0, 0), "臀中肌", font=fnt, fill=255)
        return int(np.asarray(img, int).sum())

    assert ink(True) > 1.3 * ink(False)


def test_draw_is_pillow_itself_for_text_in_one_font():
    f = font(18, True)
    for anchor in ("la", "ma", "ra", "md", "rm", "lm"):
        a, b = Image.new("RGBA", (400, 60)), Image.new("RGBA", (400, 60))
        ImageDraw.Draw(a).text(
            (200.5, 30.25),
            "Gluteus Μέσος",
            font=f.primary,
            fill="#222",
            anchor=anchor,
            stroke_width=2,
            stroke_fill="#fff",
        )
        f.draw(ImageDraw.Draw(b), (200.5, 30.25), "Gluteus Μέσος", "#222", anchor, 2, "#fff")
        assert np.array_equal(np.asarray(a), np.asarray(b)), anchor


def test_cjk_lines_sit_on_the_latin_baseline():
    """A line wholly in the fallback font is placed as a mixed line is: on DejaVu's baseline."""
    f = font(30)

    def rows(text: str, x_from: float) -> np.ndarray:
        img = Image.new("L", (300, 80))
        f.draw(ImageDraw.Draw(img), (10, 10), text, 255, "la")
        return np.flatnonzero(np.asarray(img)[:, int(x_from) :].max(1) > 128)

    alone = rows("中", 0)
    mixed = rows("H中", 10 + f.primary.getlength("H") + 1)  # the same glyph after a Latin letter
    assert len(alone) > 15 and np.array_equal(alone, mixed)


def test_wrapping_breaks_between_cjk_characters_only_when_a_word_is_too_wide():
    f = font(14)
    assert wrap("臀中肌 中殿筋", f, 30.0) == ["臀中", "肌", "中殿", "筋"]
    assert wrap("臀中肌 中殿筋", f, 50.0) == ["臀中肌", "中殿筋"]
    assert wrap("Gluteus medius 臀中肌", f, 120.0) == ["Gluteus medius", "臀中肌"]
    assert wrap("臀中肌，臀小肌", f, 28.0)[1] == "肌，"  # a comma never starts a line


def test_font_objects_are_bounded():
    from glute3d.render import fonts

    for px in range(10, 10 + FONT_CACHE_SIZE + 20):
        font(px)
    assert len(fonts._FONTS) <= FONT_CACHE_SIZE


# =============================================================================== rendered
def multiscript_scene(text: str) -> Scene:
    return Scene.from_dict(
        {
            "title": text,
            "caption": text,
            "camera": {"preset": "anterior"},
            "layers": [{"name": "Bone", "structures": ["hip_bone_r", "femur_r"]}],
            "labels": [{"target": "asis_r", "text": text}],
        }
    )


def test_a_scene_in_five_scripts_draws_every_text(toy_model):
    """Title, label and caption in Latin, Greek, Cyrillic, Chinese and Japanese: no warning, and
    where the CJK characters are, the picture shows glyphs, not the boxes a picture of the same
    scene with characters no font has shows."""
    size = (900, 600)
    opts = {**RENDER_TEST, "size": size}
    good = render(multiscript_scene(MULTI), toy_model, **opts)
    assert not [w for w in good.warnings if "font" in w], good.warnings
    tofu_text = MULTI.replace("臀中肌", NO_GLYPH * 3).replace("中殿筋", NO_GLYPH * 3)
    tofu = render(multiscript_scene(tofu_text), toy_model, **opts)
    assert sorted(w.split(":")[0] for w in tofu.warnings if "no available font" in w) == [
        "caption",
        "label 'asis_r'",
        "title",
    ]

    def ink(img: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        return img[y0:y1, x0:x1, :3].min(-1) < 128  # dark text pixels

    w, h = size
    regions = {
        "title": (0, 0, w, 0.16 * h),
        "caption": (0, 0.84 * h, w, h),
        "label": tuple(np.add(good.labels[0].box, (-2, -2, 2, 2))),
    }
    for name, box in regions.items():
        a, b = ink(good.image, box), ink(tofu.image, box)
        assert a.sum() > 200, f"{name}: hardly any text drawn"
        assert (a != b).sum() > 100, f"{name}: the CJK characters look like the boxes of missing glyphs"


def test_characters_no_font_has_give_one_warning_line(toy_model):
    scene = multiscript_scene("ASIS ก")
    result = render(scene, toy_model, **RENDER_TEST)
    notes = [w for w in result.warnings if "no available font" in w]
    assert len(notes) == 3 and all("\n" not in w for w in notes)
    assert "label 'asis_r': no available font has a glyph for 'ก' (U+0E01): drawn as an empty box" in notes
