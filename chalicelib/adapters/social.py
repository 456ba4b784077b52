"""The social platforms' HTTPS APIs: X API v2 (media upload, post, delete) and the Meta Graph API (page photos)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import urllib3

from chalicelib.adapters.failures import PartnerError

GRAPH_VERSION = "v21.0"
# How far back an account's posts are searched for our own: far more than the police post between two retries.
RECENT_POSTS = 100
_LINK = re.compile(r"https?://\S+")
# Where X's link for an attached photo or video leads: the post's own media page.
_X_MEDIA_PAGE = re.compile(r"https://(?:x|twitter)\.com/[^/]+/status/\d+/(?:photo|video)/\d+$")
# Meta signals rate limits with these error codes (HTTP 400/403) rather than 429.
_META_THROTTLE_CODES = {4, 17, 32, 613}
# Graph's code for an access token that expired, was revoked or is not one (OAuthException), over HTTP 400 or 401.
_META_TOKEN_CODE = 190


class TokenRefusedError(PartnerError):
    """The platform refused the access token (X: HTTP 401; Graph: OAuthException 190): the call did nothing.

    The detail names the platform and how it refused (``x refused the token (401)``), never the token.
    """

    def __init__(self, platform: str, how: str) -> None:
        super().__init__(f"{platform} refused the token ({how})")
        self.platform = platform


@dataclass(frozen=True)
class SocialPost:
    """A post on an account as the platform lists it: its id and the link that ends it (expanded, not t.co)."""

    id: str
    closing_link: str | None


def closing_link(text: str, added_by_platform: frozenset[str] = frozenset()) -> str | None:
    """The link that is the last word of ``text``, or None when the text ends otherwise.

    The platform's own links after it (X's for an attached photo) are not the author's and are passed over.
    """
    words = text.split()
    while words and words[-1] in added_by_platform:
        words.pop()
    return words[-1] if words and _LINK.fullmatch(words[-1]) else None


def x_closing_link(tweet: dict[str, Any]) -> str | None:
    """The link that ends a post as X v2 lists it, expanded.

    X writes every link in the text as t.co and names the original in ``entities.urls`` (``expanded_url``); a
    photo adds a t.co link of its own at the end, whose entity carries a ``media_key``.
    """
    entities = [url for url in tweet.get("entities", {}).get("urls", []) if isinstance(url, dict) and url.get("url")]
    photos = frozenset(str(url["url"]) for url in entities if _is_media(url))
    expanded = {str(url["url"]): str(url.get("expanded_url") or url["url"]) for url in entities}
    link = closing_link(str(tweet.get("text", "")), photos)
    return expanded.get(link, link) if link is not None else None


def _is_media(url: dict[str, Any]) -> bool:
    return "media_key" in url or bool(_X_MEDIA_PAGE.match(str(url.get("expanded_url", ""))))


class SocialClient:
    """One pool per process; no retries here: the channel queue retries with backoff."""

    def __init__(self, timeout_seconds: float, pool: urllib3.PoolManager | None = None) -> None:
        self._timeout = urllib3.Timeout(connect=min(2.0, timeout_seconds), read=timeout_seconds)
        self._pool = pool or urllib3.PoolManager(num_pools=8, retries=False)

    def x_post(self, base: str, token: str, text: str, image: bytes | None) -> str:
        headers = {"Authorization": f"Bearer {token}"}
        body: dict[str, Any] = {"text": text}
        if image is not None:
            upload = self._call(
                "x",
                "POST",
                f"{base}/2/media/upload",
                headers,
                fields={"media": ("card.png", image, "image/png"), "media_category": "tweet_image"},
            )
            body["media"] = {"media_ids": [str(upload["data"]["id"])]}
        created = self._call(
            "x", "POST", f"{base}/2/tweets", {**headers, "Content-Type": "application/json"}, body=body
        )
        return str(created["data"]["id"])

    def x_delete(self, base: str, token: str, post_id: str) -> None:
        url = f"{base}/2/tweets/{quote(post_id, safe='')}"
        self._call("x", "DELETE", url, {"Authorization": f"Bearer {token}"}, missing_ok=True)

    def x_recent_posts(self, base: str, token: str, user_id: str | None) -> list[SocialPost]:
        """The account's latest posts, newest first, each with the link that ends it, expanded."""
        headers = {"Authorization": f"Bearer {token}"}
        if user_id is None:
            user_id = str(self._call("x", "GET", f"{base}/2/users/me", headers)["data"]["id"])
        query = urlencode({"max_results": RECENT_POSTS, "tweet.fields": "entities"})
        listed = self._call("x", "GET", f"{base}/2/users/{quote(user_id, safe='')}/tweets?{query}", headers)
        return [SocialPost(str(post["id"]), x_closing_link(post)) for post in listed.get("data", [])]

    def facebook_recent_posts(self, base: str, token: str, page_id: str) -> list[SocialPost]:
        """The page's latest posts, newest first, each with the link that ends its message.

        Only the message counts: a link attached to a post (Graph's ``link``) is not one this service writes.
        """
        query = urlencode({"fields": "id,message", "limit": RECENT_POSTS, "access_token": token})
        listed = self._call("facebook", "GET", f"{base}/{GRAPH_VERSION}/{quote(page_id, safe='')}/posts?{query}", {})
        return [
            SocialPost(str(post["id"]), closing_link(str(post.get("message", "")))) for post in listed.get("data", [])
        ]

    def facebook_photo(self, base: str, token: str, page_id: str, message: str, image: bytes) -> str:
        fields = {"message": message, "access_token": token, "source": ("card.png", image, "image/png")}
        created = self._call("facebook", "POST", f"{base}/{GRAPH_VERSION}/{page_id}/photos", {}, fields=fields)
        return str(created.get("post_id") or created["id"])

    def facebook_delete(self, base: str, token: str, post_id: str) -> None:
        url = f"{base}/{GRAPH_VERSION}/{quote(post_id, safe='')}?{urlencode({'access_token': token})}"
        self._call("facebook", "DELETE", url, {}, missing_ok=True)

    def _call(
        self,
        platform: str,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        body: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None,
        missing_ok: bool = False,
    ) -> dict[str, Any]:
        try:
            if fields is not None:
                response = self._pool.request(method, url, fields=fields, headers=headers, timeout=self._timeout)
            else:
                data = json.dumps(body).encode() if body is not None else None
                response = self._pool.request(method, url, body=data, headers=headers, timeout=self._timeout)
        except urllib3.exceptions.HTTPError as error:
            raise PartnerError(f"unreachable: {type(error).__name__}") from None
        if missing_ok and response.status == 404:
            return {}  # already gone: deleting it again is done
        document = _json(response.data)
        refusal = _token_refusal(response.status, document)
        if refusal is not None:
            raise TokenRefusedError(platform, refusal)
        if response.status >= 300:
            raise PartnerError(f"answered HTTP {response.status}", _retry_after(response, document))
        return document


def _json(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _token_refusal(status: int, document: dict[str, Any]) -> str | None:
    """How the platform refused the access token, or None when it did not: Graph says OAuthException 190 whatever
    the status (mostly 400), X answers 401; a 403 is a refused action (a duplicate, a missing right), not the token."""
    error = document.get("error")
    if isinstance(error, dict) and error.get("code") == _META_TOKEN_CODE:
        return f"OAuthException {_META_TOKEN_CODE}"
    return str(status) if status == 401 else None


def _retry_after(response: Any, document: dict[str, Any]) -> float | None:
    reset = response.headers.get("x-rate-limit-reset")  # X: the epoch second the window reopens
    if response.status == 429 and reset:
        try:
            return max(1.0, float(reset) - time.time())
        except ValueError:
            return 60.0
    error = document.get("error")
    if response.status == 429 or (isinstance(error, dict) and error.get("code") in _META_THROTTLE_CODES):
        return 60.0
    return None
