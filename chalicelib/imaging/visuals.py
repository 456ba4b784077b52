"""The channel visuals: the «KIND ALARM» banner, the photo, the name and what to recognise the child by, and the
number to call.

The station poster shows the name, the age, when and where the child was last seen, the headline and the
description; the social card the name, the age and the last sighting, and the description if there is room; the
road sign only the name. Every text but the name and the number is shown only where its box has room for it at a
size worth reading; in its box it wraps at spaces, shrinks, and at the smallest size loses trailing words («…»).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageOps

from chalicelib.imaging.text import BOLD, ELLIPSIS, REGULAR, FittedText, fit_text, indent, line_height
from chalicelib.wording import BANNERS

VisualKind = Literal["social_card", "station_poster", "road_sign"]
# The banner's colour per level; its words are the service's (wording.BANNERS).
BANNER_COLOURS = {"kind_alarm": (200, 16, 46), "vermist_kind": (214, 100, 0)}
INK = (17, 17, 17)
MUTED = (60, 60, 60)
PAPER = (255, 255, 255)


@dataclass(frozen=True)
class VisualContent:
    level: str
    name: str
    line: str  # the Dutch headline
    phone: str
    photo: bytes | None = None
    age: int | None = None
    place: str | None = None  # where the child was last seen
    seen_at: datetime | None = None  # when (shown on the Dutch clock)
    description: str | None = None


# Short Dutch names of the weekdays (Monday first) and the months: «za 28 nov 14:05».
WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def seen_text(seen_at: datetime | None, place: str | None) -> str:
    """«Laatst gezien: za 28 nov 14:05, Utrecht Centraal», on the clock of the Netherlands; empty without either."""
    from chalicelib.site.pages import amsterdam_time

    when = ""
    if seen_at is not None:
        local = amsterdam_time(seen_at)
        when = f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local:%H:%M}"
    shown = ", ".join(part for part in (when, (place or "").strip()) if part)
    return f"Laatst gezien: {shown}" if shown else ""


def age_text(age: int | None) -> str:
    if age is None:
        return ""
    return "jonger dan 1 jaar" if age == 0 else f"{age} jaar"


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height


@dataclass(frozen=True)
class PlacedText:
    box: Box
    text: FittedText


@dataclass(frozen=True)
class Layout:
    size: tuple[int, int]
    banner: Box
    photo: Box | None
    texts: dict[str, PlacedText] = field(default_factory=dict)


@dataclass(frozen=True)
class Block:
    """One text of the column: its font, its largest size and its room (with a photo, and without one, when the
    column is wider) as shares of the column's height, the lines it may take, and the smallest size worth reading
    (below it an optional text is left out)."""

    font: Path
    size: float
    lines: int
    room: tuple[float, float] = (1.0, 1.0)
    readable: int = 9


@dataclass(frozen=True)
class Column:
    """The text column of a kind of visual: its texts from the top, in order, and the number to call at the foot."""

    blocks: dict[str, Block]
    phone_size: float
    gap: float
    # Without a photo the column is wider and its texts this much larger.
    larger: float


COLUMNS: dict[VisualKind, Column] = {
    # 1200x675: read on a phone, where it is shown at about a third of its size.
    "social_card": Column(
        {
            "name": Block(BOLD, 0.13, 3, room=(0.34, 0.36)),
            "age": Block(BOLD, 0.075, 1, readable=22),
            "seen": Block(REGULAR, 0.058, 2, readable=20),
            "description": Block(REGULAR, 0.052, 4, readable=20),
        },
        phone_size=0.13,
        gap=0.03,
        larger=1.2,
    ),
    # 1920x1080: read across a platform.
    "station_poster": Column(
        {
            "name": Block(BOLD, 0.12, 2, room=(0.28, 0.31)),
            "age": Block(BOLD, 0.07, 1, readable=32),
            "seen": Block(REGULAR, 0.058, 2, readable=28),
            "line": Block(REGULAR, 0.052, 2, readable=28),
            "description": Block(REGULAR, 0.052, 5, readable=28),
        },
        phone_size=0.12,
        gap=0.025,
        larger=1.15,
    ),
    # The road-sign image: the name and the number, as large as they go.
    "road_sign": Column({"name": Block(BOLD, 0.16, 2, room=(0.4, 0.45))}, phone_size=0.15, gap=0.04, larger=1.25),
}


def column_texts(content: VisualContent) -> dict[str, str]:
    """Every text a column may show, by block name."""
    return {
        "name": content.name,
        "age": age_text(content.age),
        "seen": seen_text(content.seen_at, content.place),
        "line": content.line,
        "description": content.description or "",
    }


def layout(content: VisualContent, size: tuple[int, int], kind: VisualKind) -> Layout:
    """Where everything goes; pure arithmetic and text measurement, no pixels."""
    width, height = size
    margin = max(4, round(height * 0.035))
    banner = Box(0, 0, width, round(height * 0.2))
    label = BANNERS[content.level]
    texts = {
        "banner": PlacedText(
            Box(margin, round(banner.height * 0.18), width - 2 * margin, round(banner.height * 0.64)),
            fit_text(label, BOLD, (width - 2 * margin, round(banner.height * 0.64)), round(banner.height * 0.6), 1),
        )
    }
    body = Box(margin, banner.bottom + margin, width - 2 * margin, height - banner.bottom - 2 * margin)
    photo = None
    if content.photo is not None:
        photo = Box(body.left, body.top, min(round(body.height * 0.75), round(width * 0.42)), body.height)
    text_left = photo.right + margin if photo else body.left
    column = Box(text_left, body.top, body.right - text_left, body.height)
    texts.update(_text_column(content, column, kind, large=photo is None))
    return Layout(size, banner, photo, texts)


def _text_column(content: VisualContent, column: Box, kind: VisualKind, large: bool) -> dict[str, PlacedText]:
    """The texts from the top of the column down, the number to call at its foot; the name always, the others
    where the room left above the number holds them at a readable size."""
    unit = column.height
    style = COLUMNS[kind]
    phone = fit_text(f"Bel {content.phone}", BOLD, (column.width, round(unit * 0.2)), round(unit * style.phone_size), 1)
    phone_box = Box(column.left, column.bottom - phone.height, column.width, phone.height)
    placed = {"phone": PlacedText(phone_box, phone)}
    gap = round(unit * style.gap)
    top = column.top
    texts = column_texts(content)
    name_size = 0
    for key, block in style.blocks.items():
        text = texts[key]
        largest = round(unit * block.size * (style.larger if large else 1))
        room = min(round(unit * block.room[1 if large else 0]), phone_box.top - gap - top)
        if key == "name":
            fitted = fit_text(text, block.font, (column.width, room), largest, block.lines)
            name_size = fitted.size
        else:
            largest = min(largest, round(name_size * 0.8))  # a long name that shrank stays the largest text

            readable = min(block.readable, largest)
            if not text.strip() or room < line_height(block.font, readable):
                continue
            fitted = fit_text(text, block.font, (column.width, room), largest, block.lines, readable)
            if fitted.lines == (ELLIPSIS,):
                continue  # not one word of it fits: better nothing than a lone «…»
        placed[key] = PlacedText(Box(column.left, top, column.width, fitted.height), fitted)
        top += fitted.height + gap
    return placed


# Tried from the top until the JPEG fits its budget.
JPEG_QUALITIES = (90, 85, 75, 65, 50, 35)


def render_visual(
    content: VisualContent, size: tuple[int, int], kind: VisualKind, max_jpeg_bytes: int | None = None
) -> bytes:
    """The visual as a PNG, or, given ``max_jpeg_bytes``, as the best JPEG within it.

    A PNG keeps text crisp but a photo makes it large: a 1920x1080 poster with a phone photo is 0.3-1 MB.
    """
    canvas = _draw(content, size, kind)
    if max_jpeg_bytes is None:
        out = io.BytesIO()
        canvas.save(out, "PNG", optimize=False)
        return out.getvalue()
    return _jpeg_within(canvas, max_jpeg_bytes)


def _jpeg_within(canvas: Image.Image, max_bytes: int) -> bytes:
    data = b""
    for quality in JPEG_QUALITIES:
        out = io.BytesIO()
        canvas.save(out, "JPEG", quality=quality, optimize=True)
        data = out.getvalue()
        if len(data) <= max_bytes:
            break
    return data


def _draw(content: VisualContent, size: tuple[int, int], kind: VisualKind) -> Image.Image:
    plan = layout(content, size, kind)
    canvas = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(canvas)
    colour = BANNER_COLOURS[content.level]
    draw.rectangle((0, 0, plan.banner.right - 1, plan.banner.bottom - 1), fill=colour)
    if plan.photo is not None and content.photo is not None:
        with Image.open(io.BytesIO(content.photo)) as photo:
            fitted = ImageOps.fit(photo.convert("RGB"), (plan.photo.width, plan.photo.height), centering=(0.5, 0.35))
        canvas.paste(fitted, (plan.photo.left, plan.photo.top))
    inks = {"banner": PAPER, "name": INK, "age": INK, "seen": INK, "line": MUTED, "description": MUTED, "phone": colour}
    for name, placed in plan.texts.items():
        _draw_lines(draw, placed, inks[name])
    return canvas


def _draw_lines(draw: ImageDraw.ImageDraw, placed: PlacedText, ink: tuple[int, int, int]) -> None:
    face = placed.text.font()
    for index, line in enumerate(placed.text.lines):
        origin = (placed.box.left + indent(face, line), placed.box.top + index * placed.text.line_height)
        draw.text(origin, line, font=face, fill=ink)
