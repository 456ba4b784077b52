"""Fitting text into a box: wrap at spaces, shrink to fit, and never cut a word or spill over the box."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONTS = Path(__file__).resolve().parent / "fonts"
BOLD = FONTS / "DejaVuSans-Bold.ttf"
REGULAR = FONTS / "DejaVuSans.ttf"
ELLIPSIS = "…"
# Below this no one reads it; text still too long at this size loses trailing words, marked with an ellipsis.
FLOOR_SIZE = 9


@dataclass(frozen=True)
class FittedText:
    lines: tuple[str, ...]
    size: int
    line_height: int
    font_file: Path

    def font(self) -> ImageFont.FreeTypeFont:
        return font(self.font_file, self.size)

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


@lru_cache(maxsize=256)
def font(font_file: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file), size)


def fit_text(
    text: str, font_file: Path, box: tuple[int, int], max_size: int, max_lines: int, min_size: int = FLOOR_SIZE
) -> FittedText:
    """The largest size (at most ``max_size``) at which ``text`` wraps into ``box`` in at most ``max_lines``.

    Text that does not fit at ``min_size`` (the smallest size worth reading there) loses trailing words at it.
    """
    words = text.split()
    width, height = box
    smallest = min(min_size, max_size)
    for size in _sizes(max_size, smallest):
        lines = _wrap(words, font(font_file, size), width)
        height_of_line = line_height(font_file, size)
        if lines is not None and len(lines) <= max_lines and height_of_line * len(lines) <= height:
            return FittedText(tuple(lines), size, height_of_line, font_file)
    return _shortened(words, font_file, box, max_lines, smallest)


def _sizes(largest: int, smallest: int) -> list[int]:
    sizes, size = [], largest
    while size > smallest:
        sizes.append(size)
        size = min(size - 1, int(size * 0.94))
    return [*sizes, smallest]


def line_height(font_file: Path, size: int) -> int:
    """The distance from one line to the next at ``size``."""
    ascent, descent = font(font_file, size).getmetrics()
    return int((ascent + descent) * 1.1)


def indent(face: ImageFont.FreeTypeFont, line: str) -> int:
    """How far right of the box's edge a line is drawn so that its ink starts inside: a «j» that opens a line
    reaches left of where it is drawn."""
    return max(0, -int(face.getbbox(line)[0]))


def _width(face: ImageFont.FreeTypeFont, text: str) -> float:
    """What a line takes across: its advance, or its ink where that reaches further (either side)."""
    left, _, right, _ = face.getbbox(text)
    return max(face.getlength(text), right) + max(0, -left)


def _wrap(words: list[str], face: ImageFont.FreeTypeFont, width: int) -> list[str] | None:
    """Greedy wrap; None when a single word is wider than the box (it would have to be cut)."""
    lines: list[str] = []
    current = ""
    for word in words:
        if _width(face, word) > width:
            return None
        candidate = f"{current} {word}" if current else word
        if _width(face, candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _shortened(words: list[str], font_file: Path, box: tuple[int, int], max_lines: int, size: int) -> FittedText:
    """At the smallest size: as many whole words as fit, then an ellipsis."""
    face, height_of_line = font(font_file, size), line_height(font_file, size)
    fitting_lines = max(1, min(max_lines, box[1] // height_of_line))
    for count in range(len(words) - 1, 0, -1):
        kept = [*words[: count - 1], words[count - 1] + ELLIPSIS]
        lines = _wrap(kept, face, box[0])
        if lines is not None and len(lines) <= fitting_lines:
            return FittedText(tuple(lines), size, height_of_line, font_file)
    return FittedText((ELLIPSIS,), size, height_of_line, font_file)
