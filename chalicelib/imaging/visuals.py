"""The channel visuals: the «KIND ALARM» banner, the photo, the name, a short line and the number to call."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageDraw, ImageOps

from chalicelib.imaging.text import BOLD, REGULAR, FittedText, fit_text
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
    line: str
    phone: str
    photo: bytes | None = None


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
    unit = column.height
    phone_box_height = round(unit * 0.2)
    phone = fit_text(f"Bel {content.phone}", BOLD, (column.width, phone_box_height), round(unit * 0.15), 1)
    phone_box = Box(column.left, column.bottom - phone.height, column.width, phone.height)
    name_box = Box(column.left, column.top, column.width, round(unit * (0.45 if large else 0.4)))
    name = fit_text(content.name, BOLD, (name_box.width, name_box.height), round(unit * (0.2 if large else 0.16)), 2)
    placed = {
        "name": PlacedText(Box(name_box.left, name_box.top, name_box.width, name.height), name),
        "phone": PlacedText(phone_box, phone),
    }
    gap = round(unit * 0.04)
    line_top = name_box.top + name.height + gap
    line_box = Box(column.left, line_top, column.width, phone_box.top - gap - line_top)
    if kind != "road_sign" and content.line and line_box.height > 0:
        line = fit_text(content.line, REGULAR, (line_box.width, line_box.height), round(unit * 0.085), 4)
        placed["line"] = PlacedText(Box(line_box.left, line_box.top, line_box.width, line.height), line)
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
    inks = {"banner": PAPER, "name": INK, "line": MUTED, "phone": colour}
    for name, placed in plan.texts.items():
        _draw_lines(draw, placed, inks[name])
    return canvas


def _draw_lines(draw: ImageDraw.ImageDraw, placed: PlacedText, ink: tuple[int, int, int]) -> None:
    face = placed.text.font()
    for index, line in enumerate(placed.text.lines):
        draw.text((placed.box.left, placed.box.top + index * placed.text.line_height), line, font=face, fill=ink)
