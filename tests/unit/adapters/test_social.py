"""What X v2 and the Graph API answer, read: the link that ends a post (the only link the social channel's marker
can be), and a refused access token told apart from every other refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from urllib3.response import HTTPResponse

from chalicelib.adapters.failures import PartnerError
from chalicelib.adapters.social import SocialClient, TokenRefusedError, closing_link, x_closing_link

PAGE = "https://kindalarm.burgernet.nl/alerts/0f8fad5b-d9cb-469f-a165-70867728950e.html"
OTHER = "https://kindalarm.burgernet.nl/alerts/7c9e6679-7425-40de-944b-e07fc1f90ae7.html"
PHOTO = "https://x.com/politie/status/1866000000000000001/photo/1"


def link(short: str, expanded: str, start: int = 0) -> dict[str, Any]:
    """One ``entities.urls`` item as X v2 gives it."""
    return {"start": start, "end": start + 23, "url": short, "expanded_url": expanded, "display_url": expanded[8:35]}


def photo_link(short: str) -> dict[str, Any]:
    """The t.co link X appends to the text for an attached photo; its entity names the medium."""
    return link(short, PHOTO) | {"display_url": "pic.x.com/Ab12Cd34Ef", "media_key": "3_1866000000000000001"}


def test_our_post_with_a_photo_ends_with_our_link_not_xs_photo_link():
    # Given our post as X lists it: our link shortened, then the photo's link X added after it
    tweet = {
        "id": "1866000000000000001",
        "text": "🚨 KIND ALARM\nSanne (9) vermist in Utrecht\nBel 0800-6070.\nhttps://t.co/AAAAAAAAAA https://t.co/PPPPPPPPPP",
        "entities": {"urls": [link("https://t.co/AAAAAAAAAA", f"{PAGE}#v2"), photo_link("https://t.co/PPPPPPPPPP")]},
        "attachments": {"media_keys": ["3_1866000000000000001"]},
    }
    # Then the closing link is ours, expanded
    assert x_closing_link(tweet) == f"{PAGE}#v2"


def test_a_photo_link_is_passed_over_by_where_it_leads_when_x_names_no_medium():
    tweet = {
        "id": "1",
        "text": "Oproep\nhttps://t.co/AAAAAAAAAA https://t.co/PPPPPPPPPP",
        "entities": {"urls": [link("https://t.co/AAAAAAAAAA", f"{PAGE}#v1"), link("https://t.co/PPPPPPPPPP", PHOTO)]},
    }
    assert x_closing_link(tweet) == f"{PAGE}#v1"


def test_a_post_that_names_another_page_in_its_text_ends_with_its_own():
    # Given a sibling alert's post: «zie ook» our page in its text, its own page at the end
    tweet = {
        "id": "2",
        "text": "Daan (7) vermist\nZie ook https://t.co/BBBBBBBBBB\nBel 0800-6070.\nhttps://t.co/CCCCCCCCCC",
        "entities": {
            "urls": [link("https://t.co/BBBBBBBBBB", PAGE, 25), link("https://t.co/CCCCCCCCCC", f"{OTHER}#v1", 64)]
        },
    }
    assert x_closing_link(tweet) == f"{OTHER}#v1"


@pytest.mark.parametrize(
    "text",
    [
        "Deel deze oproep! https://t.co/AAAAAAAAAA #KindAlarm",
        "https://t.co/AAAAAAAAAA\nen bel 112 als je haar ziet",
        "Geen link in deze post",
        "",
    ],
)
def test_a_post_that_ends_with_words_has_no_closing_link(text):
    tweet = {"id": "3", "text": text, "entities": {"urls": [link("https://t.co/AAAAAAAAAA", f"{PAGE}#v1")]}}
    assert x_closing_link(tweet) is None


def test_a_post_without_entities_ends_with_the_link_as_written():
    assert x_closing_link({"id": "4", "text": f"Zie\n{PAGE}#v1\n"}) == f"{PAGE}#v1"


def test_a_quoted_post_ends_with_the_link_to_that_post():
    quoted = "https://x.com/politie/status/1866000000000000001"
    tweet = {
        "id": "5",
        "text": "Deel dit! https://t.co/QQQQQQQQQQ",
        "entities": {"urls": [link("https://t.co/QQQQQQQQQQ", quoted)]},
    }
    assert x_closing_link(tweet) == quoted


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (f"🚨 KIND ALARM\nSanne (9) vermist\nZie ook {OTHER}\nBel 0800-6070.\n{PAGE}#v3", f"{PAGE}#v3"),
        (f"Gevonden, dank!\n{PAGE}#gevonden\n", f"{PAGE}#gevonden"),
        (f"Deel deze oproep! {PAGE}#v1 #KindAlarm", None),
        (f"Meer over de vermissing: {PAGE}#v1.", f"{PAGE}#v1."),  # the marker rule refuses that fragment
        ("Een foto zonder tekst", None),
        ("", None),
    ],
)
def test_a_graph_message_ends_with_its_last_word_when_that_is_a_link(message, expected):
    assert closing_link(message) == expected


TOKEN = "EAAGm0PX4ZCpsBAKZC7token"


class Platform:
    """A urllib3 pool that answers every request with one status and JSON body, as the platform would."""

    def __init__(self, status: int, answer: dict[str, Any]) -> None:
        self._status, self._body = status, json.dumps(answer).encode()

    def request(self, method: str, url: str, **_: Any) -> HTTPResponse:
        return HTTPResponse(body=self._body, status=self._status, headers={"Content-Type": "application/json"})


def graph_error(code: int, subcode: int | None = None) -> dict[str, Any]:
    """An error as the Graph API documents it."""
    error = {"message": f"Error validating access token: {TOKEN}", "type": "OAuthException", "code": code}
    return {"error": error | ({"error_subcode": subcode} if subcode else {}) | {"fbtrace_id": "EJplcsCHuLu"}}


X_UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


@pytest.mark.parametrize(
    ("platform", "status", "answer", "detail"),
    [
        ("x", 401, X_UNAUTHORIZED, "x refused the token (401)"),
        ("facebook", 400, graph_error(190, 460), "facebook refused the token (OAuthException 190)"),
        ("facebook", 401, graph_error(190), "facebook refused the token (OAuthException 190)"),
        ("facebook", 401, {}, "facebook refused the token (401)"),
    ],
)
def test_a_refused_token_is_told_apart_and_named_without_the_token(platform, status, answer, detail):
    # Given a platform refusing the token
    client = SocialClient(5.0, pool=Platform(status, answer))  # type: ignore[arg-type]
    # When the channel deletes a post with it
    delete = client.x_delete if platform == "x" else client.facebook_delete
    with pytest.raises(TokenRefusedError) as raised:
        delete("https://api.example", TOKEN, "1866000000000000001")
    # Then the error says which platform refused the token and how, and quotes neither the token nor its message
    assert str(raised.value) == detail and raised.value.retry_after is None
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (403, {"title": "Forbidden", "detail": "You are not allowed to create a Tweet with duplicate content."}),
        (400, graph_error(100)),  # an object that does not exist or a bad field
        (400, graph_error(4)),  # Graph's rate limit
        (503, {}),
    ],
)
def test_a_refusal_that_is_not_of_the_token_stays_a_partner_error(status, answer):
    client = SocialClient(5.0, pool=Platform(status, answer))  # type: ignore[arg-type]
    with pytest.raises(PartnerError) as raised:
        client.facebook_photo("https://graph.example", TOKEN, "politie", "Oproep", b"png")
    assert not isinstance(raised.value, TokenRefusedError)
    assert str(raised.value) == f"answered HTTP {status}"
