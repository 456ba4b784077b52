"""The texts the channels show, pure and light: the road-sign lines, the social post, the push payloads.

The channels render with these, and the API's create checks run the very same code on every create, so this
module imports nothing heavy (no Pillow, no transport, no h3): the API's cold start depends on it. A polygon's
push area takes shapely, which the create's validation of the polygon has loaded already.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.channels.targets import audience_for
from chalicelib.geo.device_area import AREA_MAX_BYTES, circle_area, polygon_area
from chalicelib.links import page_path, public_page
from chalicelib.models.alert import Alert, CircleArea, PolygonArea
from chalicelib.wording import BANNERS, ENDINGS, LANGUAGES, LEVEL_TITLES, POST_BANNERS, Language


class ContentError(ValueError):
    """Rendered content breaks the channel's limits (lines, length, size); ``pointer`` names the field to blame."""

    def __init__(self, message: str, pointer: str | None = None) -> None:
        super().__init__(message)
        self.pointer = pointer


# Road signs (DRIPs): the banner, the child's name, where (if room), whom to call. Words are never cut.


@dataclass(frozen=True)
class SignProfile:
    """A DRIP's text area: this many lines of this many characters (``ROAD_SIGN_PROFILE``, such as ``3x20``)."""

    lines: int = 3
    chars: int = 20

    @classmethod
    def parse(cls, text: str) -> SignProfile:
        lines, chars = (int(part) for part in text.lower().split("x"))
        return cls(lines, chars)


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


def sign_lines(alert: Alert, profile: SignProfile) -> list[str]:
    """The DRIP text: the banner, the child's name, where (if room), whom to call."""
    name = _name_lines(alert.child.name, profile)
    call = f"BEL {alert.contact.phone}"
    phone = [call] if len(call) <= profile.chars else wrap(alert.contact.phone, profile.chars, "/contact/phone")
    banner = wrap(BANNERS[alert.level], profile.chars)
    required = len(banner) + len(name) + len(phone)
    if required > profile.lines:
        raise ContentError(
            f"does not fit the road signs ({profile.lines} lines of {profile.chars} characters) with banner and phone",
            "/child/name",
        )
    try:
        place = wrap(abbreviate(alert.last_seen.place, profile.chars), profile.chars)
    except ContentError:
        place = []  # a word longer than a line (Leidschendam-Voorburg): the place is shown only if room, so not here
    return [*banner, *name, *(place if len(place) <= profile.lines - required else []), *phone]


def abbreviate(text: str, chars: int) -> str:
    """Shorten with the abbreviation table, one entry at a time, until every word group fits ``chars``."""
    shortened = text.upper()
    for long, short in ABBREVIATIONS:
        if len(shortened) <= chars:
            break
        shortened = re.sub(rf"(?<![\w']){re.escape(long)}(?!\w)", short, shortened)
    return shortened


def wrap(text: str, chars: int, pointer: str | None = None) -> list[str]:
    """Lines of at most ``chars`` characters, broken between words only; ``pointer`` names the field wrapped."""
    lines: list[str] = []
    for word in text.split():
        if len(word) > chars:
            raise ContentError(f"the word {word!r} is longer than a sign line ({chars} characters)", pointer)
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _name_lines(name: str, profile: SignProfile) -> list[str]:
    try:
        full = wrap(name.upper(), profile.chars)
    except ContentError:
        full = []
    if full and len(full) == 1:
        return full
    first = name.split(maxsplit=1)[0].upper()
    if len(first) > profile.chars:
        raise ContentError(
            f"the first name is longer than a road-sign line ({profile.chars} characters)", "/child/name"
        )
    return [first]


# The social post: the Dutch text within X's weighted 280, less its link (a line of its own: 1 + 23).

X_LIMIT = 280
LINK_WEIGHT = 1 + 23
# X's weighting (twitter-text v3): a URL counts 23, an emoji 2, other code points 1 or 2; ASCII is never more
# than 1 per code point (Latin-1 holds emoji such as ® that count 2, so the bound counts 2 beyond ASCII).
_URL_WEIGHT = 23
_DOTS = (".", "\u3002", "\uff0e", "\uff61")


def post_text(alert: Alert, limit: int = X_LIMIT - LINK_WEIGHT) -> str:
    """The Dutch post without its link: optional parts go first, then the headline shortens."""
    must = [POST_BANNERS[alert.level], alert.headline.nl]
    optional = [alert.child.description or "", alert.instruction.nl]
    closing = f"Bel {alert.contact.phone}."
    parts = [*must, *[part for part in optional if part], closing]
    while len(parts) > len(must) + 1 and not fits(_join(parts), limit):
        parts.pop(-2)  # the least important optional part left
    text = _join(parts)
    if fits(text, limit):
        return text
    words = alert.headline.nl.split()
    while words:
        text = _join([POST_BANNERS[alert.level], " ".join(words) + "…", closing])
        if fits(text, limit):
            return text
        words.pop()
    raise ContentError("the post does not fit X's 280 characters", "/headline/nl")


def with_link(text: str, link: str) -> str:
    return f"{text}\n{link}"


def _join(parts: list[str]) -> str:
    return "\n".join(part.strip() for part in parts if part.strip())


def fits(text: str, limit: int = X_LIMIT) -> bool:
    """Whether X takes the text. Short texts are decided by a bound that never undercounts; the rest exactly.

    twitter-text-parser compiles its expressions at import (a third of a second of a cold start), so it loads
    only for a text near the limit.
    """
    return weight_bound(text) <= limit or weight(text) <= limit


def weight_bound(text: str) -> int:
    """At least X's weighted length: every code point at its highest weight, plus a whole URL's weight per dot."""
    normalized = unicodedata.normalize("NFC", text)
    units = sum(1 if char.isascii() else 2 for char in normalized)
    return units + _URL_WEIGHT * sum(normalized.count(dot) for dot in _DOTS)


def weight(text: str) -> int:
    from twitter_text import parse_tweet

    return int(parse_tweet(text).weightedLength)


# The push: one SNS message per language for APNs (and its sandbox) and FCM, each platform within 4 KB.

MAX_PLATFORM_PAYLOAD = 4096
# The create checks cannot know the page's address (it lies on the stage's site): they count one of 128
# characters; ``https://kindalarm.burgernet.nl/sandbox/alerts/<uuid>.en.html`` is 90.
PAGE_ALLOWANCE = "https://" + "x" * 120
# What the area adds to a payload beside its own JSON: its key, and in FCM's data, where it is a string, the
# string's quotes and the escape of each quote inside (ten at most: a circle's keys and type).
_AREA_ENVELOPE = len(',"area":') + 2 + 10
_COMPACT = (",", ":")

PushText = tuple[str, str, str]
"""A notification's title, body and the page a tap opens."""


def sns_message(
    alert: Alert, title: str, body: str, page: str, image_url: str | None, area: dict[str, Any] | None = None
) -> str:
    """The SNS ``MessageStructure=json`` message: the same notification for APNs (and its sandbox) and FCM.

    ``page`` is what a tap opens, the alert's public page (the found page after a retraction): the app reads it
    from ``url``, beside ``aps`` for APNs and in the data for FCM (FCM v1 has no link for a native app's
    notification; ``click_action`` names an Android intent, not an address). ``area`` (``push_area``) is what
    the app tests the device's location against, as an object beside ``aps`` and as a JSON string in FCM's
    data (its values are strings); without it the app shows the notification wherever the device is.
    docs/push-payload.md describes every field for the app.
    """
    platforms = _platform_payloads(alert, title, body, page, image_url, area)
    for platform, payload in platforms.items():
        if len(payload.encode()) > MAX_PLATFORM_PAYLOAD:
            raise ContentError(f"the {platform} payload is over {MAX_PLATFORM_PAYLOAD} bytes", "/headline/nl")
    return json.dumps({"default": f"{title}: {body}", "APNS_SANDBOX": platforms["APNS"], **platforms})


def _platform_payloads(
    alert: Alert, title: str, body: str, page: str, image_url: str | None, area: dict[str, Any] | None
) -> dict[str, str]:
    data = {"alert_id": alert.id, "version": str(alert.version), "state": alert.state, "url": page}
    apns = {
        "aps": {
            "alert": {"title": title, "body": body},
            "sound": "default",
            "thread-id": alert.id,
            "mutable-content": 1,
            "interruption-level": "time-sensitive",
        },
        **data,
        **({"image_url": image_url} if image_url else {}),
        **({"area": area} if area else {}),
    }
    notification = {"title": title, "body": body, **({"image": image_url} if image_url else {})}
    fcm = {
        "fcmV1Message": {
            "message": {
                "notification": notification,
                "android": {
                    "collapse_key": alert.id,
                    "priority": "high",
                    "notification": {"tag": alert.id, "channel_id": "kind_alarm"},
                },
                "data": {**data, **({"area": json.dumps(area, separators=_COMPACT)} if area else {})},
            }
        }
    }
    return {
        "APNS": json.dumps(apns, ensure_ascii=False, separators=_COMPACT),
        "GCM": json.dumps(fcm, ensure_ascii=False, separators=_COMPACT),
    }


def push_area(alert: Alert, texts: Iterable[PushText]) -> dict[str, Any] | None:
    """The area the app tests the device's location against; None for a national alert (shown everywhere).

    A circle as it is; a polygon as one ring that contains it, as precise as fits at most ``AREA_MAX_BYTES`` and
    beside the longest of ``texts`` in either platform. The photo's link is not counted: it goes first.
    """
    area = alert.area
    if isinstance(area, CircleArea):
        return circle_area(area.lat, area.lon, area.radius_km)
    if not isinstance(area, PolygonArea):
        return None
    longest = max(
        len(payload.encode()) for text in texts for payload in _platform_payloads(alert, *text, None, None).values()
    )
    return polygon_area(area.coordinates, min(AREA_MAX_BYTES, MAX_PLATFORM_PAYLOAD - longest - _AREA_ENVELOPE))


def page_in(language: Language, page: str, alert: Alert) -> str:
    """The alert's page in ``language``, from its Dutch page (the one the worker gathers): same site, same audience.

    A page not of the site's shape is taken as it is.
    """
    sandbox = audience_for(alert.status) == "sandbox"
    dutch = page_path(alert.id, sandbox)
    if language == "nl" or not page.endswith(dutch):
        return page
    return public_page(page.removesuffix(dutch), alert.id, sandbox, language)


def alert_notification(alert: Alert, language: str) -> tuple[str, str]:
    """Title «Kind Alarm: <name>» and body: headline and instruction, in the device's language (Dutch by default)."""
    headline = alert.headline.en if language == "en" and alert.headline.en else alert.headline.nl
    instruction = alert.instruction.en if language == "en" and alert.instruction.en else alert.instruction.nl
    return f"{LEVEL_TITLES[alert.level][language]}: {alert.child.name}", f"{headline}\n{instruction}"


def retraction_notification(alert: Alert, language: str) -> tuple[str, str]:
    """«Kind Alarm: Gevonden» and why it ended, without the child's name."""
    label, text = ENDINGS[ending(alert)][language]
    return f"{LEVEL_TITLES[alert.level][language]}: {label}", text


def ending(alert: Alert) -> str:
    return alert.cancellation.reason if alert.cancellation else "expired"


def check_push(alert: Alert) -> None:
    """Each language's notification fits APNs and FCM with the area, and a link to the page as long as any can be.

    The area is ``push_area``'s, as the channel sends it: a create that passes is a push that fits.
    """
    texts = [(*alert_notification(alert, language), PAGE_ALLOWANCE) for language in LANGUAGES]
    area = push_area(alert, texts)
    for title, body, page in texts:
        sns_message(alert, title, body, page, None, area)
