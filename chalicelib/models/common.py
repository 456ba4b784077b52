"""Building blocks shared by the request, domain and response models."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

# What XML 1.0 cannot carry (C0 controls but tab, LF and CR; surrogates; U+FFFE and U+FFFF), and the other
# noncharacters, which XML discourages and feed readers choke on: U+FDD0..U+FDEF and the last two of every plane.
# One such character in a headline would make the whole Atom feed malformed for every consumer.
_NOT_IN_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)


_SURROGATE = re.compile("[\ud800-\udfff]")


def xml_problem(value: str, surrogates_only: bool = False) -> str | None:
    """Why ``value`` cannot go into XML, or None when it can."""
    found = (_SURROGATE if surrogates_only else _NOT_IN_XML).search(value)
    return f"must not contain U+{ord(found.group()):04X}, a character XML cannot carry" if found else None


def xml_repaired(value: str) -> str:
    """``value`` with each character XML cannot carry replaced by U+FFFD: for text stored before it was refused."""
    return _NOT_IN_XML.sub("\ufffd", value)


def _xml_safe(value: str) -> str:
    problem = xml_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Zero-width joiner and variation selector build emoji such as flags; everything else
# in these categories (controls, bidi overrides, private use) corrupts signs and feeds.
_FORMATTING_ALLOWED = {"\u200d", "\ufe0f"}
_REJECTED_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}


def _printable(value: str) -> str:
    for char in value:
        if char == "\n" or char in _FORMATTING_ALLOWED:
            continue
        if unicodedata.category(char) in _REJECTED_CATEGORIES:
            raise ValueError(f"must not contain the control character U+{ord(char):04X}")
    return value


def _single_line(value: str) -> str:
    if "\n" in value:
        raise ValueError("must be a single line")
    return value


# Text that may end up in a CAP message, the Atom feed or a partner's XML. ``XML_SAFE`` goes after any
# StringConstraints in an Annotated: a validator before them would make pydantic check lengths before stripping.
XML_SAFE = AfterValidator(_xml_safe)
XmlText = Annotated[str, XML_SAFE]


def _trimmed(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


def _composed(max_length: int) -> AfterValidator:
    """Text in Unicode's composed form (NFC): "e" + U+0308 is "ë", so signs, posts and limits count what is seen.

    After the constraints (which strip first); NFC may, rarely, lengthen text, so the length is checked again.
    """

    def composed(value: str) -> str:
        value = unicodedata.normalize("NFC", value)
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return value

    return AfterValidator(composed)


PRINTABLE = AfterValidator(_printable)
SINGLE_LINE = AfterValidator(_single_line)
Name = Annotated[str, _trimmed(100), _composed(100), XML_SAFE, PRINTABLE, SINGLE_LINE]
Place = Annotated[str, _trimmed(200), _composed(200), XML_SAFE, PRINTABLE, SINGLE_LINE]
Headline = Annotated[str, _trimmed(160), _composed(160), XML_SAFE, PRINTABLE, SINGLE_LINE]
Paragraph = Annotated[str, _trimmed(500), _composed(500), XML_SAFE, PRINTABLE]

ALERT_ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class ApiModel(BaseModel):
    """A model of the public API: unknown fields are errors, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
