"""social_media: a post with the social card on every police account (X, Facebook); retraction deletes them.

Every post ends with the alert's public page as its link, with the version as the fragment (``#v3``; the found
notice's is ``#gevonden``): that closing link, and only it, marks the post as ours and this alert's. A post that
names the page anywhere else is not: a sibling alert's post saying «zie ook …» ends with its own page, and an
officer who shares the page writes it differently. X and Graph take no idempotency key, so before posting the
channel looks for its own posts of the alert: a retry after a lost answer adopts the post it finds for this version
instead of making a second one, and posts of older versions go. A retraction deletes the post the record names
and every post the alert's closing link marks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Concatenate, ParamSpec, Protocol, TypeVar

from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.channels.base import CARD_SIZE, Asset, Assets, ChannelDefaults, Content, Preview, visual
from chalicelib.channels.targets import PartnerTarget
from chalicelib.channels.texts import ending, post_text, with_link
from chalicelib.models.alert import Alert

if TYPE_CHECKING:
    from chalicelib.adapters.social import SocialClient
    from chalicelib.wiring import Wiring

NAME = "social_media"
FOUND_NOTICE = "Het vermiste kind is gevonden. Dank voor het delen en uw hulp. Verwijder de oproep uit uw tijdlijn."


class Secrets(Protocol):
    def get(self, name: str) -> str: ...

    def forget(self, *names: str) -> None: ...


_Answer = TypeVar("_Answer")
_Arguments = ParamSpec("_Arguments")


def post_link(page: str, version: int) -> str:
    return f"{page}#v{version}"


NOTICE_FRAGMENT = "gevonden"
_OWN_FRAGMENT = re.compile(rf"v[1-9][0-9]*|{NOTICE_FRAGMENT}")


def own_fragment(closing_link: str | None, page: str) -> str | None:
    """The fragment by which this channel marked a post for the alert at ``page`` (``v3``, ``gevonden``), read
    from the link that ends the post; None for every other post, also one that only mentions the page."""
    address, _, fragment = (closing_link or "").partition("#")
    return fragment if address == page and _OWN_FRAGMENT.fullmatch(fragment) else None


@dataclass(frozen=True)
class OwnPost:
    """A post of ours about the alert; the fragment of its closing link says which version (``v3``) or the notice."""

    id: str
    fragment: str


class SocialMediaChannel(ChannelDefaults):
    name = NAME
    needs: frozenset[Asset] = frozenset({"photo"})
    # The platforms take no idempotency key: two functions sending one version at once would post it twice.
    exclusive_sends = True

    def __init__(self, client: SocialClient, secrets: Secrets, found_notice: bool = True) -> None:
        self._client = client
        self._secrets = secrets
        self._found_notice = found_notice

    def render(self, alert: Alert, assets: Assets) -> Content:
        page = assets.public_page
        if alert.state in TERMINAL_STATES:
            notice = self._found_notice and ending(alert) == "found"
            return {"page": page, "notice": with_link(FOUND_NOTICE, f"{page}#{NOTICE_FRAGMENT}") if notice else None}
        return {
            "text": with_link(post_text(alert), post_link(page, alert.version)),
            "image": visual(alert, assets.photo, CARD_SIZE, "social_card"),
            "page": page,
            "version": alert.version,
        }

    def preview(self, content: Content) -> Preview:
        return Preview("image/png", content["image"])

    def deliver(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> str | None:
        previous = shown
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
        text, image = content["text"], content["image"]
        if target.platform == "x":
            return self._with_token(target, self._client.x_post, text, image)
        return self._with_token(target, self._client.facebook_photo, target.account_id or "me", text, image)

    def retract(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> None:
        page, reference = content["page"], shown
        if reference:
            # The post the record names goes first: a listing the platform refuses (a rate limit, a token without
            # read rights) must not keep it up. The listing then finds what no record names, or fails and is retried.
            self._delete(target, reference)
        ours = self._own_posts(target, page)
        posts = [post.id for post in ours if post.fragment != NOTICE_FRAGMENT and post.id != reference]
        for post_id in _unique(posts):
            self._delete(target, post_id)
        noticed = any(post.fragment == NOTICE_FRAGMENT for post in ours)
        # The notice thanks those who shared the post: an account that never carried it stays silent.
        carried = bool(reference or posts)
        if content["notice"] and target.platform == "x" and carried and not noticed:
            self._with_token(target, self._client.x_post, content["notice"], None)

    def _own_posts(self, target: PartnerTarget, page: str) -> list[OwnPost]:
        """The account's recent posts that this channel marked as this alert's, newest first."""
        if target.platform == "x":
            recent = self._with_token(target, self._client.x_recent_posts, target.account_id)
        else:
            recent = self._with_token(target, self._client.facebook_recent_posts, target.account_id or "me")
        marked = [(post.id, own_fragment(post.closing_link, page)) for post in recent]
        return [OwnPost(post_id, fragment) for post_id, fragment in marked if fragment is not None]

    def _delete(self, target: PartnerTarget, post_id: str) -> None:
        delete = self._client.x_delete if target.platform == "x" else self._client.facebook_delete
        self._with_token(target, delete, post_id)

    def _with_token(
        self,
        target: PartnerTarget,
        call: Callable[Concatenate[str, str, _Arguments], _Answer],
        *args: _Arguments.args,
        **kwargs: _Arguments.kwargs,
    ) -> _Answer:
        """``call(base, token, ...)`` with the account's token; once more at once with the token read again when the
        platform refuses it. A token renewed by an admin revokes the old one that this process may keep for
        minutes: a retraction would be refused at every receive and dead-lettered. A refused call did nothing, so
        making it again posts or deletes nothing twice."""
        from chalicelib.adapters.social import TokenRefusedError

        base = str(target.url).rstrip("/")
        try:
            return call(base, self._secrets.get(target.secret_parameter), *args, **kwargs)
        except TokenRefusedError:
            self._secrets.forget(target.secret_parameter)
            return call(base, self._secrets.get(target.secret_parameter), *args, **kwargs)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def build(parts: Wiring) -> SocialMediaChannel:
    from chalicelib.adapters.social import SocialClient

    settings = parts.settings
    return SocialMediaChannel(
        SocialClient(settings.webhook_timeout_seconds), parts.secrets, settings.social_found_notice
    )
