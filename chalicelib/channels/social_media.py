"""social_media: a post with the social card on every police account (X, Facebook); retraction deletes them."""

from __future__ import annotations

import unicodedata
from typing import Any, Protocol

from chalicelib.adapters.social import SocialClient
from chalicelib.channels.base import ContentError
from chalicelib.channels.targets import PartnerTarget
from chalicelib.models.alert import Alert

NAME = "social_media"
X_LIMIT = 280
BANNER = {"kind_alarm": "🚨 KIND ALARM", "vermist_kind": "VERMIST KIND"}
FOUND_NOTICE = "Het vermiste kind is gevonden. Dank voor het delen en uw hulp. Verwijder de oproep uit uw tijdlijn."


class Secrets(Protocol):
    def get(self, name: str) -> str: ...


class Photos(Protocol):
    def master(self, photo_id: str | None) -> bytes | None: ...


def post_text(alert: Alert, limit: int = X_LIMIT) -> str:
    """The Dutch post, fitted to X's weighted count: optional parts go first, then the headline shortens."""
    must = [BANNER[alert.level], alert.headline.nl]
    optional = [alert.child.description or "", alert.instruction.nl]
    closing = f"Bel {alert.contact.phone}."
    parts = [*must, *[part for part in optional if part], closing]
    while len(parts) > len(must) + 1 and not fits(_join(parts), limit):
        parts.pop(-2)  # the least important optional part left
    text = _join(parts)
    if fits(text, limit):
        return text
    return _shortened_headline(alert, closing, limit)


def _shortened_headline(alert: Alert, closing: str, limit: int) -> str:
    words = alert.headline.nl.split()
    while words:
        text = _join([BANNER[alert.level], " ".join(words) + "…", closing])
        if fits(text, limit):
            return text
        words.pop()
    raise ContentError("the post does not fit X's 280 characters")


def _join(parts: list[str]) -> str:
    return "\n".join(part.strip() for part in parts if part.strip())


# X's weighting (twitter-text v3): a URL counts 23, an emoji 2, other code points 1 or 2; ASCII is never more
# than 1 per code point (Latin-1 holds emoji such as ® that count 2, so the bound counts 2 beyond ASCII).
_URL_WEIGHT = 23
_DOTS = (".", "\u3002", "\uff0e", "\uff61")


def fits(text: str, limit: int = X_LIMIT) -> bool:
    """Whether X takes the text. Short texts are decided by a bound that never undercounts; the rest exactly.

    twitter-text-parser compiles its expressions at import (a third of a second of the API's cold start),
    so it loads only for a text near the limit.
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


def check_renderable(alert: Alert) -> None:
    """Fails at create time for an alert no post can be made of."""
    post_text(alert)


class SocialMediaChannel:
    name = NAME

    def __init__(self, client: SocialClient, secrets: Secrets, photos: Photos, found_notice: bool = True) -> None:
        self._client = client
        self._secrets = secrets
        self._photos = photos
        self._found_notice = found_notice

    def render(self, alert: Alert) -> dict[str, Any]:
        from chalicelib.imaging.visuals import VisualContent, render_visual

        card = VisualContent(
            alert.level, alert.child.name, alert.headline.nl, alert.contact.phone, self._photos.master(alert.photo_id)
        )
        return {"text": post_text(alert), "image": render_visual(card, (1200, 675), "social_card")}

    def deliver(
        self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, previous: str | None
    ) -> str | None:
        # An update replaces the post: the old one goes first, so a failure never leaves two.
        if previous is not None:
            self._delete(target, previous)
        token, base = self._secrets.get(target.secret_parameter), str(target.url).rstrip("/")
        if target.platform == "x":
            return self._client.x_post(base, token, content["text"], content["image"])
        return self._client.facebook_photo(base, token, target.account_id or "me", content["text"], content["image"])

    def retract(self, alert: Alert, target: PartnerTarget, reference: str | None, delivery_id: str) -> None:
        if reference is not None:
            self._delete(target, reference)
        if self._found_notice and alert.cancellation is not None and alert.cancellation.reason == "found":
            token, base = self._secrets.get(target.secret_parameter), str(target.url).rstrip("/")
            if target.platform == "x":
                self._client.x_post(base, token, FOUND_NOTICE, None)

    def _delete(self, target: PartnerTarget, post_id: str) -> None:
        token, base = self._secrets.get(target.secret_parameter), str(target.url).rstrip("/")
        if target.platform == "x":
            self._client.x_delete(base, token, post_id)
        else:
            self._client.facebook_delete(base, token, post_id)
