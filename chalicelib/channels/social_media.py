"""social_media: a post with the social card on every police account (X, Facebook); retraction deletes them.

Every post carries the alert's public page as its link, with the version as the fragment (``#v3``): the link
marks the post as ours and this alert's. X and Graph take no idempotency key, so before posting the channel
looks for its own posts of the alert: a retry after a lost answer adopts the post it finds for this version
instead of making a second one, and posts of older versions go. A retraction deletes every post with the link.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.adapters.social import SocialClient
from chalicelib.channels.base import ContentError
from chalicelib.channels.targets import PartnerTarget
from chalicelib.models.alert import Alert

NAME = "social_media"
X_LIMIT = 280
# X counts every link as 23 characters, whatever its length; the link goes on a line of its own.
LINK_WEIGHT = 1 + 23
BANNER = {"kind_alarm": "🚨 KIND ALARM", "vermist_kind": "VERMIST KIND"}
FOUND_NOTICE = "Het vermiste kind is gevonden. Dank voor het delen en uw hulp. Verwijder de oproep uit uw tijdlijn."


class Secrets(Protocol):
    def get(self, name: str) -> str: ...


class Photos(Protocol):
    def master(self, photo_id: str | None) -> bytes | None: ...


def post_text(alert: Alert, limit: int = X_LIMIT - LINK_WEIGHT) -> str:
    """The Dutch post without its link, fitted to X's weighted count less the link's: optional parts go first,
    then the headline shortens."""
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


def with_link(text: str, link: str) -> str:
    return f"{text}\n{link}"


def post_link(page: str, version: int) -> str:
    return f"{page}#v{version}"


NOTICE_FRAGMENT = "gevonden"


@dataclass(frozen=True)
class OwnPost:
    """A post of ours about the alert; the fragment of its link says which version (``v3``) or the notice."""

    id: str
    fragment: str | None


class SocialMediaChannel:
    name = NAME
    # The platforms take no idempotency key: two functions sending one version at once would post it twice.
    exclusive_sends = True

    def __init__(
        self,
        client: SocialClient,
        secrets: Secrets,
        photos: Photos,
        public_page: Callable[[str], str],
        found_notice: bool = True,
    ) -> None:
        self._client = client
        self._secrets = secrets
        self._photos = photos
        self._public_page = public_page
        self._found_notice = found_notice

    def render(self, alert: Alert) -> dict[str, Any]:
        from chalicelib.imaging.visuals import VisualContent, render_visual

        card = VisualContent(
            alert.level, alert.child.name, alert.headline.nl, alert.contact.phone, self._photos.master(alert.photo_id)
        )
        page = self._public_page(alert.id)
        return {
            "text": with_link(post_text(alert), post_link(page, alert.version)),
            "image": render_visual(card, (1200, 675), "social_card"),
            "page": page,
            "version": alert.version,
        }

    def deliver(
        self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, previous: str | None
    ) -> str | None:
        ours = self._own_posts(target, content["page"])
        current = [post for post in ours if post.fragment == f"v{content['version']}"]
        # An update replaces the post: the older ones go first, so a failure never leaves two.
        older = [post.id for post in ours if post not in current and post.fragment != NOTICE_FRAGMENT]
        for post_id in _unique([*older, *([previous] if previous else [])]):
            if post_id not in {post.id for post in current}:
                self._delete(target, post_id)
        if current:
            # An earlier attempt posted this version and its answer was lost: keep that post, and only that one.
            for duplicate in current[1:]:
                self._delete(target, duplicate.id)
            return current[0].id
        token, base = self._secrets.get(target.secret_parameter), str(target.url).rstrip("/")
        if target.platform == "x":
            return self._client.x_post(base, token, content["text"], content["image"])
        return self._client.facebook_photo(base, token, target.account_id or "me", content["text"], content["image"])

    def retract(self, alert: Alert, target: PartnerTarget, reference: str | None, delivery_id: str) -> None:
        page = self._public_page(alert.id)
        if reference:
            # The post the record names goes first: a listing the platform refuses (a rate limit, a token without
            # read rights) must not keep it up. The listing then finds what no record names, or fails and is retried.
            self._delete(target, reference)
        ours = self._own_posts(target, page)
        posts = [post.id for post in ours if post.fragment != NOTICE_FRAGMENT and post.id != reference]
        for post_id in _unique(posts):
            self._delete(target, post_id)
        found = alert.cancellation is not None and alert.cancellation.reason == "found"
        noticed = any(post.fragment == NOTICE_FRAGMENT for post in ours)
        # The notice thanks those who shared the post: an account that never carried it stays silent.
        shown = bool(reference or posts)
        if self._found_notice and found and target.platform == "x" and shown and not noticed:
            token, base = self._secrets.get(target.secret_parameter), str(target.url).rstrip("/")
            self._client.x_post(base, token, with_link(FOUND_NOTICE, f"{page}#{NOTICE_FRAGMENT}"), None)

    def _own_posts(self, target: PartnerTarget, page: str) -> list[OwnPost]:
        """The account's recent posts that link to this alert's page, newest first."""
        token, base = self._secrets.get(target.secret_parameter), str(target.url).rstrip("/")
        if target.platform == "x":
            recent = self._client.x_recent_posts(base, token, target.account_id)
        else:
            recent = self._client.facebook_recent_posts(base, token, target.account_id or "me")
        ours = [OwnPost(post.id, post.fragment_for(page)) for post in recent]
        return [post for post in ours if post.fragment is not None]

    def _delete(self, target: PartnerTarget, post_id: str) -> None:
        token, base = self._secrets.get(target.secret_parameter), str(target.url).rstrip("/")
        if target.platform == "x":
            self._client.x_delete(base, token, post_id)
        else:
            self._client.facebook_delete(base, token, post_id)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
