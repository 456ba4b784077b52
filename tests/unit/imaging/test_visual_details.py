"""What the visuals show to recognise the child by: age, when and where last seen, description — each in its box.

The texts are read from the layout (what is placed where), not from the pixels.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from itertools import combinations
from typing import Any

import pytest
from PIL import Image, ImageDraw

from chalicelib.channels.base import visual
from chalicelib.imaging.text import ELLIPSIS, indent
from chalicelib.imaging.visuals import (
    Box,
    Layout,
    VisualContent,
    VisualKind,
    age_text,
    layout,
    render_visual,
    seen_text,
)
from tests.conftest import alert

SIZES: dict[VisualKind, tuple[int, int]] = {
    "social_card": (1200, 675),
    "station_poster": (1920, 1080),
    "road_sign": (480, 270),
}
# Saturday 28 November 2026, 14:05 in the Netherlands (CET, UTC+1)
SEEN = datetime(2026, 11, 28, 13, 5, tzinfo=timezone.utc)
LONG_NAME = "Maria-Louisa Anaïs Zoë Daniëlle van den Heuvel-Wolfeschlegelsteinhausen tot Oud-Beijerland"
LONG_PLACE = ("Speeltuin achter het winkelcentrum aan de Burgemeester van Roijensingel bij Leidschendam-Voorburg " * 3)[
    :200
]
LONG_DESCRIPTION = (
    "Ongeveer 1,30 m lang, tenger, lang blond haar in een vlecht, blauwe ogen, sproeten.\n"
    "Draagt een rode winterjas met capuchon, een spijkerbroek, roze gympen en een groene rugzak 🎒 met een "
    "eenhoorn erop. Heeft een bril met een paars montuur; zie https://www.politie.nl/vermist voor meer. " * 3
)[:500]
ONE_WORD = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessen"

CASES: dict[str, dict[str, Any]] = {
    "usual": {"age": 9, "place": "Utrecht Centraal", "seen_at": SEEN, "description": "1,30 m, blond haar, rode jas"},
    "everything long": {
        "name": LONG_NAME,
        "age": 17,
        "place": LONG_PLACE,
        "seen_at": SEEN,
        "description": LONG_DESCRIPTION,
    },
    "words wider than any box": {"name": ONE_WORD, "age": 0, "place": ONE_WORD * 2, "description": ONE_WORD * 5},
    "no details": {},
}


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 800), (150, 120, 100)).save(out, "JPEG")
    return out.getvalue()


def content(with_photo: bool = True, **details: Any) -> VisualContent:
    name = details.pop("name", "Sanne de Vries")
    line = details.pop("line", "Sanne (9) vermist in Utrecht")
    return VisualContent("kind_alarm", name, line, "0800-6070", photo() if with_photo else None, **details)


def shown(plan: Layout, key: str) -> str:
    return " ".join(plan.texts[key].text.lines) if key in plan.texts else ""


def overlaps(a: Box, b: Box) -> bool:
    return a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom


@pytest.mark.parametrize("kind", sorted(SIZES))
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("with_photo", [True, False], ids=["photo", "no photo"])
def test_every_text_stays_on_the_canvas_in_its_box_and_off_the_photo(kind, case, with_photo):
    plan = layout(content(with_photo, **dict(case)), SIZES[kind], kind)
    width, height = SIZES[kind]
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    for key, placed in plan.texts.items():
        box = placed.box
        assert min(box.left, box.top) >= 0 and box.right <= width and box.bottom <= height, key
        face = placed.text.font()
        for index, line in enumerate(placed.text.lines):
            top = box.top + index * placed.text.line_height
            left, ink_top, right, bottom = draw.textbbox((box.left + indent(face, line), top), line, font=face)
            assert box.left <= left and right <= box.right, (key, line)
            assert box.top <= ink_top and bottom <= box.bottom + 1, (key, line)
    body = [placed.box for key, placed in plan.texts.items() if key != "banner"]
    for first, second in combinations([*body, *([plan.photo] if plan.photo else [])], 2):
        assert not overlaps(first, second)


@pytest.mark.parametrize("kind", ["social_card", "station_poster"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_text_is_whole_words_or_whole_words_and_an_ellipsis_never_a_lone_one(kind, case):
    details = content(**dict(case))
    plan = layout(details, SIZES[kind], kind)
    originals = {"age": age_text(details.age), "seen": seen_text(details.seen_at, details.place)}
    originals["description"] = details.description or ""
    for key, original in originals.items():
        words = shown(plan, key).split()
        if not words:
            continue
        assert words != [ELLIPSIS], key
        if words[-1].endswith(ELLIPSIS):
            words[-1] = words[-1].removesuffix(ELLIPSIS)
        assert words == original.split()[: len(words)], key


def test_the_poster_shows_age_place_time_and_description():
    plan = layout(content(**CASES["usual"]), SIZES["station_poster"], "station_poster")
    assert shown(plan, "name") == "Sanne de Vries"
    assert shown(plan, "age") == "9 jaar"
    assert shown(plan, "seen") == "Laatst gezien: za 28 nov 14:05, Utrecht Centraal"
    assert shown(plan, "description") == "1,30 m, blond haar, rode jas"
    assert shown(plan, "line") == "Sanne (9) vermist in Utrecht"


def test_a_poster_with_everything_long_still_names_the_place_and_age():
    plan = layout(content(**CASES["everything long"]), SIZES["station_poster"], "station_poster")
    assert shown(plan, "age") == "17 jaar"
    assert shown(plan, "seen").startswith("Laatst gezien: za 28 nov 14:05, Speeltuin achter het winkelcentrum")
    assert shown(plan, "description").startswith("Ongeveer 1,30 m lang")


@pytest.mark.parametrize("with_photo", [True, False], ids=["photo", "no photo"])
def test_the_card_shows_name_age_and_last_sighting_and_the_description_if_it_fits(with_photo):
    plan = layout(content(with_photo, **CASES["usual"]), SIZES["social_card"], "social_card")
    assert shown(plan, "age") == "9 jaar"
    assert shown(plan, "seen") == "Laatst gezien: za 28 nov 14:05, Utrecht Centraal"
    assert shown(plan, "description") == "1,30 m, blond haar, rode jas"
    assert "line" not in plan.texts  # the post that carries the card has the headline


def test_details_go_smaller_than_the_name_never_larger():
    for kind in ("social_card", "station_poster"):
        plan = layout(content(**CASES["everything long"]), SIZES[kind], kind)
        name = plan.texts["name"].text.size
        assert all(placed.text.size < name for key, placed in plan.texts.items() if key in ("age", "seen"))


def test_the_road_sign_shows_only_the_name_and_the_number():
    plan = layout(content(**CASES["usual"]), SIZES["road_sign"], "road_sign")
    assert set(plan.texts) == {"banner", "name", "phone"}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (SEEN, "za 28 nov 14:05"),  # winter time, UTC+1
        (datetime(2026, 7, 4, 12, 0, tzinfo=timezone.utc), "za 4 jul 14:00"),  # summer time, UTC+2
        (datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc), "zo 29 mrt 01:59"),  # the minute before the change
        (datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc), "zo 29 mrt 03:00"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))), "vr 1 jan 05:30"),
    ],
)
def test_the_time_is_on_the_dutch_clock_short(moment, expected):
    assert seen_text(moment, "Utrecht") == f"Laatst gezien: {expected}, Utrecht"


def test_a_sighting_without_a_place_or_a_time_says_what_it_has():
    assert seen_text(SEEN, None) == "Laatst gezien: za 28 nov 14:05"
    assert seen_text(None, "Utrecht Centraal") == "Laatst gezien: Utrecht Centraal"
    assert seen_text(None, " ") == ""


def test_the_channels_visual_carries_the_alerts_details(monkeypatch):
    # Given an alert, and the renderer replaced by one that keeps what it is given
    given: list[VisualContent] = []

    def keep(content: VisualContent, size: tuple[int, int], kind: str, max_jpeg_bytes: int | None = None) -> bytes:
        given.append(content)
        return b""

    monkeypatch.setattr("chalicelib.imaging.visuals.render_visual", keep)
    subject = alert()
    # When a channel draws its visual
    visual(subject, None, SIZES["station_poster"], "station_poster")
    # Then the visual gets the child's age, the last sighting and the description
    (drawn,) = given
    assert (drawn.age, drawn.place, drawn.seen_at) == (9, "Utrecht Centraal", subject.last_seen.at)
    assert drawn.description == "1,30 m, blond haar, rode jas"


def test_a_poster_with_every_detail_renders_at_its_size():
    data = render_visual(content(**CASES["everything long"]), SIZES["station_poster"], "station_poster")
    assert Image.open(io.BytesIO(data)).size == SIZES["station_poster"]
