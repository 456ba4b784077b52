"""Building blocks shared by the request, domain and response models."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

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


def _trimmed(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Name = Annotated[str, _trimmed(100), AfterValidator(_printable), AfterValidator(_single_line)]
Place = Annotated[str, _trimmed(200), AfterValidator(_printable), AfterValidator(_single_line)]
Headline = Annotated[str, _trimmed(160), AfterValidator(_printable), AfterValidator(_single_line)]
Paragraph = Annotated[str, _trimmed(500), AfterValidator(_printable)]

ALERT_ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class ApiModel(BaseModel):
    """A model of the public API: unknown fields are errors, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
