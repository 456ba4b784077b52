"""Create-time checks: an alert that a channel of its level could not show is refused before it is stored.

The API runs these on every create, so they import no channel module: those bring their transports along
(standardwebhooks, h3, the social client) into the API's cold start. The texts checked here are the ones the
channels render, computed the same way: the road-sign lines (``signs.sign_lines``), the X post
(``social_media.post_text``) and the push payloads (``app_push.sns_message``). ``tests/unit/test_cold_start.py``
holds each check to its channel's renderer until the channels take these texts from here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.channels.policy import deployed_channels_for
from chalicelib.errors import FieldError, InvalidAlertError
from chalicelib.models.alert import Alert


class UnshowableError(ValueError):
    """The channel could not show the alert; ``pointer`` names the field to change, when one is to blame."""

    def __init__(self, message: str, pointer: str | None = None) -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass(frozen=True)
class SignProfile:
    """A DRIP's text area: this many lines of this many characters (``ROAD_SIGN_PROFILE``, such as ``3x20``)."""

    lines: int = 3
    chars: int = 20

    @classmethod
    def parse(cls, text: str) -> SignProfile:
        lines, chars = (int(part) for part in text.lower().split("x"))
        return cls(lines, chars)


# road_signs (signs.py): the banner, the name, the place if there is room, whom to call; words are never cut.
SIGN_BANNER = {"kind_alarm": "KIND ALARM", "vermist_kind": "VERMIST KIND"}
SIGN_ABBREVIATIONS = (
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


def sign_lines(alert: Alert, profile: SignProfile) -> list[str]:
    """The DRIP text: the banner, the child's name, where (if room), whom to call. Words are never cut."""
    name = _name_lines(alert.child.name, profile)
    call = f"BEL {alert.contact.phone}"
    phone = [call] if len(call) <= profile.chars else _wrap(alert.contact.phone, profile.chars)
    banner = _wrap(SIGN_BANNER[alert.level], profile.chars)
    required = len(banner) + len(name) + len(phone)
    if required > profile.lines:
        raise UnshowableError(
            f"does not fit the road signs ({profile.lines} lines of {profile.chars} characters) with banner and phone",
            "/child/name",
        )
    place = _wrap(_abbreviate(alert.last_seen.place, profile.chars), profile.chars)
    return [*banner, *name, *(place if len(place) <= profile.lines - required else []), *phone]


def _abbreviate(text: str, chars: int) -> str:
    shortened = text.upper()
    for long, short in SIGN_ABBREVIATIONS:
        if len(shortened) <= chars:
            break
        shortened = re.sub(rf"(?<![\w']){re.escape(long)}(?!\w)", short, shortened)
    return shortened


def _wrap(text: str, chars: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if len(word) > chars:
            raise UnshowableError(f"the word {word!r} is longer than a sign line ({chars} characters)")
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _name_lines(name: str, profile: SignProfile) -> list[str]:
    try:
        full = _wrap(name.upper(), profile.chars)
    except UnshowableError:
        full = []
    if full and len(full) == 1:
        return full
    first = name.split(maxsplit=1)[0].upper()
    if len(first) > profile.chars:
        raise UnshowableError(
            f"the first name is longer than a road-sign line ({profile.chars} characters)", "/child/name"
        )
    return [first]


# social_media (social_media.py): the Dutch post within X's weighted 280, less its link (a line of 1 + 23).
X_LIMIT = 280
POST_LIMIT = X_LIMIT - (1 + 23)
POST_BANNER = {"kind_alarm": "🚨 KIND ALARM", "vermist_kind": "VERMIST KIND"}
_URL_WEIGHT = 23
_DOTS = (".", "\u3002", "\uff0e", "\uff61")


def post_text(alert: Alert, limit: int = POST_LIMIT) -> str:
    """The Dutch post without its link: optional parts go first, then the headline shortens."""
    must = [POST_BANNER[alert.level], alert.headline.nl]
    optional = [alert.child.description or "", alert.instruction.nl]
    closing = f"Bel {alert.contact.phone}."
    parts = [*must, *[part for part in optional if part], closing]
    while len(parts) > len(must) + 1 and not _fits(_join(parts), limit):
        parts.pop(-2)
    text = _join(parts)
    if _fits(text, limit):
        return text
    words = alert.headline.nl.split()
    while words:
        text = _join([POST_BANNER[alert.level], " ".join(words) + "…", closing])
        if _fits(text, limit):
            return text
        words.pop()
    raise UnshowableError("the post does not fit X's 280 characters")


def _join(parts: list[str]) -> str:
    return "\n".join(part.strip() for part in parts if part.strip())


def _fits(text: str, limit: int) -> bool:
    """A bound that never undercounts X's weighting decides usual posts; twitter-text only those near the limit."""
    normalized = unicodedata.normalize("NFC", text)
    bound = sum(1 if char.isascii() else 2 for char in normalized)
    bound += _URL_WEIGHT * sum(normalized.count(dot) for dot in _DOTS)
    if bound <= limit:
        return True
    from twitter_text import parse_tweet

    return int(parse_tweet(text).weightedLength) <= limit


# app_push (app_push.py): per language, the APNs and FCM payloads of at most 4 KB each.
MAX_PLATFORM_PAYLOAD = 4096
PUSH_LANGUAGES = ("nl", "en")
PUSH_TITLES = {
    "kind_alarm": {"nl": "Kind Alarm", "en": "Child Alert"},
    "vermist_kind": {"nl": "Vermist kind", "en": "Missing child"},
}


def check_push(alert: Alert) -> None:
    """Each language's notification, «Kind Alarm: <name>» over headline and instruction, fits APNs and FCM."""
    for language in PUSH_LANGUAGES:
        headline = alert.headline.en if language == "en" and alert.headline.en else alert.headline.nl
        instruction = alert.instruction.en if language == "en" and alert.instruction.en else alert.instruction.nl
        title = f"{PUSH_TITLES[alert.level][language]}: {alert.child.name}"
        _check_push_payloads(alert, title, f"{headline}\n{instruction}")


def _check_push_payloads(alert: Alert, title: str, body: str) -> None:
    data = {"alert_id": alert.id, "version": str(alert.version), "state": alert.state}
    apns = {
        "aps": {
            "alert": {"title": title, "body": body},
            "sound": "default",
            "thread-id": alert.id,
            "mutable-content": 1,
            "interruption-level": "time-sensitive",
        },
        **data,
    }
    fcm = {
        "fcmV1Message": {
            "message": {
                "notification": {"title": title, "body": body},
                "android": {
                    "collapse_key": alert.id,
                    "priority": "high",
                    "notification": {"tag": alert.id, "channel_id": "kind_alarm"},
                },
                "data": data,
            }
        }
    }
    for platform, payload in (("APNS", apns), ("GCM", fcm)):
        if len(json.dumps(payload, ensure_ascii=False).encode()) > MAX_PLATFORM_PAYLOAD:
            raise UnshowableError(f"the {platform} payload is over {MAX_PLATFORM_PAYLOAD} bytes")


def content_check(profile: SignProfile) -> Callable[[Alert], None]:
    checks: dict[str, tuple[Callable[[Alert], object], str]] = {
        "road_signs": (lambda alert: sign_lines(alert, profile), "/child/name"),
        "social_media": (post_text, "/headline/nl"),
        "app_push": (check_push, "/headline/nl"),
    }

    def check(alert: Alert) -> None:
        errors = []
        for channel in deployed_channels_for(alert.level):
            if channel not in checks:
                continue
            render, pointer = checks[channel]
            try:
                render(alert)
            except UnshowableError as error:
                errors.append(FieldError(f"{channel}: {error}", pointer=error.pointer or pointer))
        if errors:
            raise InvalidAlertError(tuple(errors))

    return check
