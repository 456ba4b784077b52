"""road_signs and station_screens: the motorway matrix signs (DRIPs) and the NS station screens, by webhook."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.channels.base import ContentError, alert_summary
from chalicelib.models.alert import Alert

ROAD_SIGNS = "road_signs"
STATION_SCREENS = "station_screens"
BANNER = {"kind_alarm": "KIND ALARM", "vermist_kind": "VERMIST KIND"}

# Long Dutch place-name parts and their usual short forms on signs, applied one at a time until a line fits.
ABBREVIATIONS = (
    ("'S-HERTOGENBOSCH", "DEN BOSCH"),
    ("'S-GRAVENHAGE", "DEN HAAG"),
    ("AMSTERDAM", "A'DAM"),
    ("ROTTERDAM", "R'DAM"),
    ("CENTRAAL STATION", "CS"),
    ("CENTRAAL", "CS"),
    ("STATION", "STN"),
    ("AAN DEN", "A/D"),
    ("AAN DE", "A/D"),
    ("AAN ZEE", "A/ZEE"),
    ("SINT", "ST"),
    ("NOORD", "N"),
    ("ZUID", "Z"),
    ("OOST", "O"),
    ("WEST", "W"),
)


@dataclass(frozen=True)
class SignProfile:
    """A DRIP's text area: this many lines of this many characters."""

    lines: int = 3
    chars: int = 20

    @classmethod
    def parse(cls, text: str) -> SignProfile:
        lines, chars = (int(part) for part in text.lower().split("x"))
        return cls(lines, chars)


def abbreviate(text: str, chars: int) -> str:
    """Shorten with the abbreviation table, one entry at a time, until every word group fits ``chars``."""
    shortened = text.upper()
    for long, short in ABBREVIATIONS:
        if len(shortened) <= chars:
            break
        shortened = re.sub(rf"(?<![\w']){re.escape(long)}(?!\w)", short, shortened)
    return shortened


def wrap(text: str, chars: int) -> list[str]:
    """Lines of at most ``chars`` characters, broken between words only."""
    lines: list[str] = []
    for word in text.split():
        if len(word) > chars:
            raise ContentError(f"the word {word!r} is longer than a sign line ({chars} characters)")
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def sign_lines(alert: Alert, profile: SignProfile) -> list[str]:
    """The DRIP text: the banner, the child's name, where (if room), whom to call. Words are never cut."""
    name = _name_lines(alert.child.name, profile)
    call = f"BEL {alert.contact.phone}"
    phone = [call] if len(call) <= profile.chars else wrap(alert.contact.phone, profile.chars)
    banner = wrap(BANNER[alert.level], profile.chars)
    required = len(banner) + len(name) + len(phone)
    if required > profile.lines:
        raise SignContentError(
            f"does not fit the road signs ({profile.lines} lines of {profile.chars} characters) with banner and phone",
            "/child/name",
        )
    place = _fitting(wrap(abbreviate(alert.last_seen.place, profile.chars), profile.chars), profile.lines - required)
    return [*banner, *name, *place, *phone]


def _name_lines(name: str, profile: SignProfile) -> list[str]:
    try:
        full = wrap(name.upper(), profile.chars)
    except ContentError:
        full = []
    if full and len(full) == 1:
        return full
    first = name.split(maxsplit=1)[0].upper()
    if len(first) > profile.chars:
        raise SignContentError(
            f"the first name is longer than a road-sign line ({profile.chars} characters)", "/child/name"
        )
    return [first]


def _fitting(lines: list[str], room: int) -> list[str]:
    return lines if len(lines) <= room else []


class SignContentError(ContentError):
    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer


def road_sign_payload(alert: Alert, profile: SignProfile, image: Callable[[Alert], bytes]) -> dict[str, Any]:
    return {
        "type": "sign.show",
        "alert": alert_summary(alert),
        "profile": {"lines": profile.lines, "chars": profile.chars},
        "lines": sign_lines(alert, profile),
        "image_png": base64.b64encode(image(alert)).decode(),
    }


# The poster goes inline as base64 (4/3 larger) in a webhook of at most 256 KiB, beside the alert's text.
POSTER_MAX_BYTES = 180 * 1024


def station_screen_payload(alert: Alert, poster: Callable[[Alert], bytes]) -> dict[str, Any]:
    return {
        "type": "screen.show",
        "alert": alert_summary(alert),
        "text": {
            "title": BANNER[alert.level],
            "name": alert.child.name,
            "line": alert.headline.nl,
            "phone": alert.contact.phone,
        },
        "poster_jpeg": base64.b64encode(poster(alert)).decode(),
    }


def clear_payload(kind: str) -> Callable[[Alert], dict[str, Any]]:
    def payload(alert: Alert) -> dict[str, Any]:
        return {"type": f"{kind}.clear", "alert": {**alert_summary(alert), "state": alert.state}}

    return payload
