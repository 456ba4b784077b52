"""The visuals: every text inside its box, no box over another, no word cut, with and without a photo."""

from __future__ import annotations

import io
from itertools import combinations

import pytest
from PIL import Image, ImageDraw

from chalicelib.imaging.text import BOLD, ELLIPSIS, fit_text, indent
from chalicelib.imaging.visuals import Box, VisualContent, VisualKind, layout, render_visual

SIZES: dict[VisualKind, tuple[int, int]] = {
    "social_card": (1200, 675),
    "station_poster": (1920, 1080),
    "road_sign": (480, 270),
}
NAMES = [
    "Sanne de Vries",
    "Zoë",
    "Anaïs Daniël",
    "IJsbrand van IJzendoorn",
    "Maria-Louisa Anaïs Zoë Daniëlle van den Heuvel-Wolfeschlegelsteinhausen tot Oud-Beijerland",
    "Wolfeschlegelsteinhausenbergerdorff",
]
LINES = [
    "Sanne (9) vermist in Utrecht",
    "Laatst gezien bij station Amsterdam Bijlmer ArenA met een groene rugzak, een blauwe jas en "
    "een rode muts 🧢; zie https://www.politie.nl/vermist voor meer informatie en foto's",
]


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 800), (150, 120, 100)).save(out, "JPEG")
    return out.getvalue()


def drawn_box(left: int, top: int, line: str, placed) -> tuple[int, int, int, int]:
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    face = placed.text.font()
    bbox = draw.textbbox((left + indent(face, line), top), line, font=face)
    return int(bbox[0]), int(bbox[1]), int(bbox[2]), int(bbox[3])


def overlaps(a: Box, b: Box) -> bool:
    return a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom


@pytest.mark.parametrize("kind", sorted(SIZES))
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("with_photo", [True, False])
def test_every_text_stays_in_its_box(kind, name, line, with_photo):
    content = VisualContent("kind_alarm", name, line, "0800-6070", photo() if with_photo else None)
    plan = layout(content, SIZES[kind], kind)
    canvas = Box(0, 0, *SIZES[kind])
    for placed in plan.texts.values():
        # The box lies on the canvas, and every drawn line lies in the box
        assert canvas.left <= placed.box.left and placed.box.right <= canvas.right
        assert canvas.top <= placed.box.top and placed.box.bottom <= canvas.bottom
        for index, text_line in enumerate(placed.text.lines):
            left, top, right, bottom = drawn_box(
                placed.box.left, placed.box.top + index * placed.text.line_height, text_line, placed
            )
            assert placed.box.left <= left and right <= placed.box.right, text_line
            assert placed.box.top <= top and bottom <= placed.box.bottom + 1, text_line
    # No text over the photo, and the texts below the banner do not overlap each other
    body = [placed.box for key, placed in plan.texts.items() if key != "banner"]
    if plan.photo is not None:
        body.append(plan.photo)
    for first, second in combinations(body, 2):
        assert not overlaps(first, second)


@pytest.mark.parametrize("name", NAMES)
def test_words_are_never_cut(name):
    for kind, size in SIZES.items():
        plan = layout(VisualContent("vermist_kind", name, LINES[1], "0800-6070", photo()), size, kind)
        originals = {"name": name.split(), "line": LINES[1].split()}
        for key, placed in plan.texts.items():
            shown = " ".join(placed.text.lines).split()
            original = originals.get(key, shown)
            if shown and shown[-1].endswith(ELLIPSIS):
                kept = [*shown[:-1], shown[-1].removesuffix(ELLIPSIS)]
                assert kept == original[: len(kept)]
            else:
                assert shown == original


def test_long_text_shrinks_before_it_wraps_past_its_lines():
    short = fit_text("Zoë", BOLD, (600, 200), 80, 2)
    long = fit_text(NAMES[4], BOLD, (600, 200), 80, 2)
    assert short.size == 80
    assert long.size < 80
    assert len(long.lines) <= 2


def test_text_that_cannot_fit_keeps_whole_words_and_says_so():
    fitted = fit_text(LINES[1] * 4, BOLD, (200, 30), 40, 1)
    assert fitted.lines[-1].endswith(ELLIPSIS)
    assert len(fitted.lines) == 1


def test_the_banner_names_the_level():
    alarm = layout(VisualContent("kind_alarm", "Zoë", "", "112"), SIZES["social_card"], "social_card")
    missing = layout(VisualContent("vermist_kind", "Zoë", "", "112"), SIZES["social_card"], "social_card")
    assert alarm.texts["banner"].text.lines == ("KIND ALARM",)
    assert missing.texts["banner"].text.lines == ("VERMIST KIND",)


@pytest.mark.parametrize("kind", sorted(SIZES))
def test_a_visual_is_a_png_of_its_size(kind):
    data = render_visual(VisualContent("kind_alarm", "Daniël", LINES[0], "0800-6070", photo()), SIZES[kind], kind)
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size) == ("PNG", SIZES[kind])
    assert image.getpixel((5, 5)) == (200, 16, 46)


def test_without_a_photo_the_text_takes_the_width():
    with_photo = layout(VisualContent("kind_alarm", "Sanne", "", "112", photo()), (1200, 675), "social_card")
    without = layout(VisualContent("kind_alarm", "Sanne", "", "112"), (1200, 675), "social_card")
    assert without.photo is None
    assert without.texts["name"].box.width > with_photo.texts["name"].box.width
    assert without.texts["name"].text.size >= with_photo.texts["name"].text.size


def test_a_poster_with_a_busy_photo_fits_its_budget_as_a_jpeg():
    out = io.BytesIO()
    Image.effect_noise((1200, 1600), 60).convert("RGB").save(out, "JPEG", quality=95)
    content = VisualContent("kind_alarm", "Daniël", LINES[0], "0800-6070", out.getvalue())
    png = render_visual(content, (1920, 1080), "station_poster")
    budget = 180 * 1024
    jpeg = render_visual(content, (1920, 1080), "station_poster", max_jpeg_bytes=budget)
    assert len(png) > budget >= len(jpeg)
    assert Image.open(io.BytesIO(jpeg)).format == "JPEG"
