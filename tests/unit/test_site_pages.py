"""The public site's pages, read as a browser, a crawler and a share preview read them; the widget run in node."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from chalicelib.alerts import lifecycle
from chalicelib.links import Language, public_page
from chalicelib.models.alert import Alert, CancelReason
from chalicelib.site.pages import (
    CSS,
    Listed,
    PageLinks,
    active_document,
    alert_page,
    amsterdam_time,
    ended_page,
    index_page,
    listed,
    widget_script,
)
from tests.conftest import CREATED_AT, alert

SITE = "https://kindalarm.example/"
VOID = {"meta", "link", "img", "br", "input", "hr", "source"}
LANGUAGES: tuple[Language, ...] = ("nl", "en")


class Page(HTMLParser):
    """A parsed page: every element with its attributes and text, checked to nest properly."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[dict[str, Any]] = []
        self._open: list[dict[str, Any]] = []
        self.feed(html)
        self.close()
        assert not self._open, f"unclosed: {[element['tag'] for element in self._open]}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "attrs": {key: value or "" for key, value in attrs}, "text": ""}
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self._open and self._open[-1]["tag"] == tag, f"</{tag}> closes {self._open[-1:]}"
        self._open.pop()

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element["text"] += data

    def all(self, tag: str, **attrs: str) -> list[dict[str, Any]]:
        return [
            element
            for element in self.elements
            if element["tag"] == tag and all(element["attrs"].get(key) == value for key, value in attrs.items())
        ]

    def one(self, tag: str, **attrs: str) -> dict[str, Any]:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} {attrs}>"
        return found[0]

    def meta(self, key: str) -> str:
        found = [e for e in self.all("meta") if key in _meta_keys(e)]
        assert len(found) == 1, f"{len(found)} meta {key}"
        return str(found[0]["attrs"]["content"])

    def has_meta(self, key: str) -> bool:
        return any(key in _meta_keys(e) for e in self.all("meta"))

    def links_to(self, href: str) -> list[dict[str, Any]]:
        return [element for element in self.all("a") if element["attrs"].get("href") == href]

    def text(self) -> str:
        return str(self.one("body")["text"])


def _meta_keys(element: dict[str, Any]) -> set[str]:
    return {element["attrs"].get(key, "") for key in ("name", "property", "http-equiv")}


def page_links(subject: Alert, language: Language = "nl", **overrides: Any) -> PageLinks:
    sandbox = subject.status != "actual"
    other: Language = "en" if language == "nl" else "nl"
    fields: dict[str, Any] = {
        "site": f"{SITE}{'sandbox/' if sandbox else ''}",
        "page": public_page(SITE, subject.id, sandbox, language),
        "other_language": public_page(SITE, subject.id, sandbox, other),
        "cap": f"{SITE}cap/{subject.id}.xml",
        "photo": f"https://photos.kindalarm.example/{subject.id}/feed.jpg",
        "card": f"{SITE}cards/{subject.id}.jpg",
    }
    return PageLinks(**{**fields, **overrides})


def at(text: str) -> dict[str, Any]:
    return {"at": text, "place": "Utrecht Centraal"}


# The alert page.


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_alert_page_shows_the_child_and_whom_to_call(language: Language) -> None:
    # Given
    subject = alert()
    links = page_links(subject, language)

    # When
    page = Page(alert_page(subject, language, links))

    # Then
    assert page.one("html")["attrs"]["lang"] == language
    assert page.one("h1")["text"] == "Sanne de Vries"
    photo = page.one("img")
    assert photo["attrs"]["src"] == links.photo
    assert photo["attrs"]["alt"] == {"nl": "Foto van Sanne de Vries", "en": "Photo of Sanne de Vries"}[language]
    assert page.links_to("tel:08006070")[0]["text"] == "0800-6070"
    assert page.links_to("tel:112")
    call = {"nl": "Zie je Sanne de Vries? Bel direct 112", "en": "Do you see Sanne de Vries? Call 112 now"}
    assert page.one("h2", id="call")["text"] == call[language]
    assert {"nl": "9 jaar", "en": "9 years old"}[language] in page.text()
    assert "1,30 m, blond haar, rode jas" in page.text()
    assert "Utrecht Centraal" in page.text()
    assert subject.instruction.model_dump()[language] in page.text()
    assert page.one("a", type="application/cap+xml")["attrs"]["href"] == links.cap
    assert page.one("a", hreflang="en" if language == "nl" else "nl")["attrs"]["href"] == links.other_language
    assert page.links_to(f"{SITE}index{'' if language == 'nl' else '.en'}.html")


def test_the_page_is_one_column_of_landmarks_with_headings_in_order() -> None:
    # Given
    subject = alert()

    # When
    page = Page(alert_page(subject, "nl", page_links(subject)))

    # Then
    for landmark in ("header", "main", "footer"):
        page.one(landmark)
    headings = [element["tag"] for element in page.elements if re.fullmatch(r"h[1-6]", element["tag"])]
    assert headings[0] == "h1"
    assert headings.count("h1") == 1
    assert set(headings[1:]) == {"h2"}
    assert "max-width:40rem" in CSS
    assert page.one("meta", name="viewport")["attrs"]["content"] == "width=device-width, initial-scale=1"


def test_the_head_carries_canonical_hreflang_and_the_share_previews() -> None:
    # Given
    subject = alert()
    links = page_links(subject, "en")

    # When
    page = Page(alert_page(subject, "en", links))

    # Then
    assert page.one("link", rel="canonical")["attrs"]["href"] == links.page
    assert page.one("link", rel="alternate", hreflang="en")["attrs"]["href"] == links.page
    assert page.one("link", rel="alternate", hreflang="nl")["attrs"]["href"] == links.other_language
    assert page.one("link", rel="alternate", hreflang="x-default")["attrs"]["href"] == links.other_language
    assert page.one("title")["text"] == "Child Alert: Sanne (9) missing in Utrecht"
    assert page.meta("og:title") == "Child Alert: Sanne (9) missing in Utrecht"
    assert page.meta("og:url") == links.page
    assert page.meta("og:type") == "website"
    assert page.meta("og:locale") == "en_GB"
    assert page.meta("og:image") == links.card
    assert urlsplit(page.meta("og:image")).scheme == "https"
    assert (page.meta("og:image:width"), page.meta("og:image:height")) == ("1200", "675")
    assert page.meta("og:image:alt") == "Photo of Sanne de Vries"
    assert page.meta("twitter:card") == "summary_large_image"
    assert page.meta("twitter:image") == links.card
    assert "Sanne (9) missing in Utrecht" in page.meta("description")
    assert page.one("meta", charset="utf-8")


def test_an_alert_without_photo_or_card_has_no_image_anywhere() -> None:
    # Given
    subject = alert()

    # When
    page = Page(alert_page(subject, "nl", page_links(subject, photo=None, card=None)))

    # Then
    assert not page.all("img")
    assert not page.has_meta("og:image")
    assert page.meta("twitter:card") == "summary"
    assert "img-src https://kindalarm.example;" in page.meta("Content-Security-Policy").replace("'", "")


def test_the_english_page_falls_back_to_the_dutch_texts_marked_as_dutch() -> None:
    # Given
    subject = alert(headline={"nl": "Sanne (9) vermist in Utrecht"}, instruction={"nl": "Zie je haar? Bel direct 112."})

    # When
    page = Page(alert_page(subject, "en", page_links(subject, "en")))

    # Then
    dutch = {element["text"] for element in page.all("p", lang="nl")}
    assert dutch == {"Sanne (9) vermist in Utrecht", "Zie je haar? Bel direct 112."}
    assert page.one("h2", id="call")["text"] == "Do you see Sanne de Vries? Call 112 now"
    assert page.one("html")["attrs"]["lang"] == "en"


@pytest.mark.parametrize(
    ("instant", "language", "written"),
    [
        ("2026-11-28T13:05:00+00:00", "nl", "zaterdag 28 november 2026, 14:05"),
        ("2026-11-28T13:05:00+00:00", "en", "Saturday 28 November 2026, 14:05 (Dutch time)"),
        ("2026-07-04T12:30:00+00:00", "nl", "zaterdag 4 juli 2026, 14:30"),
        ("2026-07-04T12:30:00+00:00", "en", "Saturday 4 July 2026, 14:30 (Dutch time)"),
        ("2026-03-29T00:59:00+00:00", "nl", "zondag 29 maart 2026, 01:59"),
        ("2026-03-29T01:00:00+00:00", "nl", "zondag 29 maart 2026, 03:00"),
    ],
)
def test_last_seen_is_written_on_the_dutch_clock_for_people(instant: str, language: Language, written: str) -> None:
    # Given
    subject = alert(last_seen=at(instant))

    # When
    page = Page(alert_page(subject, language, page_links(subject, language)))

    # Then
    times = {element["attrs"]["datetime"]: element["text"] for element in page.all("time")}
    utc = datetime.fromisoformat(instant).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert times[utc] == written


def test_the_dutch_clock_agrees_with_the_tz_database_through_every_change() -> None:
    # Given
    try:
        amsterdam = ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:
        pytest.skip("no tz database on this machine to compare with")
    instants = [
        datetime(year, month, day, tzinfo=timezone.utc) + timedelta(minutes=minutes)
        for year in range(2024, 2036)
        for month in (3, 10)
        for day in range(24, 32)
        for minutes in range(0, 24 * 60, 30)
    ]

    # Then
    for instant in instants:
        assert amsterdam_time(instant).utcoffset() == instant.astimezone(amsterdam).utcoffset(), instant


def test_the_page_says_when_it_was_last_updated() -> None:
    # Given
    subject = alert(at=datetime(2026, 7, 4, 9, 15, tzinfo=timezone.utc))

    # When
    page = Page(alert_page(subject, "nl", page_links(subject)))

    # Then
    assert "Bijgewerkt: zaterdag 4 juli 2026, 11:15" in page.text()


# Sharing.


def test_the_share_links_carry_the_page_url_encoded() -> None:
    # Given: a page address with characters that would break an unencoded query
    subject = alert()
    page_url = f"{SITE}alerts/{subject.id}.html?from=a&to=b#top"

    # When
    page = Page(alert_page(subject, "nl", page_links(subject, page=page_url)))

    # Then
    hrefs = [element["attrs"]["href"] for element in page.all("a")]
    share = {urlsplit(href).netloc or urlsplit(href).scheme: urlsplit(href) for href in hrefs}
    whatsapp = parse_qs(share["wa.me"].query)
    assert whatsapp["text"] == [f"Sanne (9) vermist in Utrecht\n\n{page_url}"]
    x = parse_qs(share["x.com"].query)
    assert share["x.com"].path == "/intent/post"
    assert (x["url"], x["text"]) == ([page_url], ["Sanne (9) vermist in Utrecht"])
    assert parse_qs(share["www.facebook.com"].query)["u"] == [page_url]
    mail = parse_qs(share["mailto"].query)
    assert mail["subject"] == ["Kind Alarm: Sanne (9) vermist in Utrecht"]
    assert page_url in mail["body"][0]
    assert "+" not in share["mailto"].query  # RFC 6068: a space is %20 in mailto
    assert page.one("a", id="page-link")["text"] == page_url


def test_the_copy_control_works_without_javascript_and_its_script_is_the_only_one_allowed() -> None:
    # Given
    subject = alert()
    links = page_links(subject)

    # When
    page = Page(alert_page(subject, "nl", links))

    # Then: the link is there to copy by hand; the button waits for the script
    assert page.one("a", id="page-link")["attrs"]["href"] == links.page
    assert "hidden" in page.one("button", id="copy")["attrs"]
    policy = page.meta("Content-Security-Policy")
    script = page.one("script")
    assert "src" not in script["attrs"]
    assert f"script-src {_sha256(script['text'])}" in policy
    assert f"style-src {_sha256(page.one('style')['text'])}" in policy
    assert "default-src 'none'" in policy
    assert "unsafe" not in policy
    assert "img-src https://kindalarm.example https://photos.kindalarm.example;" in policy


def test_the_page_loads_nothing_but_its_photo() -> None:
    # Given
    subject = alert()
    links = page_links(subject)

    # When
    page = Page(alert_page(subject, "nl", links))

    # Then
    loaded = [element["attrs"]["src"] for element in page.elements if "src" in element["attrs"]]
    assert loaded == [links.photo]
    assert {element["attrs"]["rel"] for element in page.all("link")} == {"canonical", "alternate", "icon"}
    assert [element["attrs"]["href"] for element in page.all("link", rel="icon")] == ["data:,"]


# The page once the alert has ended.

SECRETS = {
    "name": "Quirijn O'Zwaluwstaart & Co",
    "description": "Draagt een zilvergroene Xylofoonjas met <Okapi> print",
    "place": 'Ypsilonplein "Bergkwartel"',
    "headline_nl": "Quirijn (17) weggelopen bij Ypsilonplein",
    "headline_en": "Quirijn (17) ran away near the Bergkwartel",
    "instruction_nl": "Zie je de Xylofoonjas? Meld het meteen.",
    "instruction_en": "Seen the Xylofoonjas? Report it at once.",
    "photo": "zwaluwstaartfoto-4711",
    "card": "zwaluwstaartkaart-4712",
}


def distinctive_alert(status: str = "actual") -> Alert:
    return alert(
        status=status,
        child={"name": SECRETS["name"], "age": 17, "description": SECRETS["description"]},
        headline={"nl": SECRETS["headline_nl"], "en": SECRETS["headline_en"]},
        instruction={"nl": SECRETS["instruction_nl"], "en": SECRETS["instruction_en"]},
        last_seen={"at": "2026-11-28T13:05:00+00:00", "place": SECRETS["place"]},
    )


def distinctive_links(subject: Alert, language: Language) -> PageLinks:
    return page_links(
        subject,
        language,
        photo=f"https://photos.kindalarm.example/{SECRETS['photo']}.jpg",
        card=f"{SITE}cards/{SECRETS['card']}.jpg",
    )


def ended(subject: Alert, reason: CancelReason) -> Alert:
    later = CREATED_AT + timedelta(hours=2)
    return lifecycle.expire(subject, later) if reason == "expired" else lifecycle.cancel(subject, reason, later)


def forms(secret: str) -> set[str]:
    """The secret as a page could hold it: as is, HTML-escaped (both ways) and URL-encoded."""
    return {
        secret.lower(),
        escape(secret).lower(),
        escape(secret, quote=False).lower(),
        quote(secret).lower(),
        quote(secret, safe="").lower(),
    }


def test_the_distinctive_alert_shows_every_secret_on_its_live_page() -> None:
    # Given: the control for the test below: these strings do reach a page that shows the child
    subject = distinctive_alert()

    # When
    pages = {language: alert_page(subject, language, distinctive_links(subject, language)) for language in LANGUAGES}

    # Then
    everything = (pages["nl"] + pages["en"]).lower()
    for secret in SECRETS.values():
        assert any(form in everything for form in forms(secret)), secret
    assert "17 jaar" in pages["nl"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason", ["found", "withdrawn", "expired"])
def test_the_ended_page_holds_nothing_of_the_child(reason: CancelReason, language: Language) -> None:
    # Given
    subject = ended(distinctive_alert(), reason)

    # When
    html = ended_page(subject, language, distinctive_links(subject, language))

    # Then
    lowered = html.lower()
    for field, secret in SECRETS.items():
        for form in forms(secret):
            assert form not in lowered, f"{field} ({form!r}) is on the ended page"
    for word in ("quirijn", "zwaluwstaart", "xylofoon", "ypsilon", "bergkwartel", "okapi", "17 jaar", "17 years"):
        assert word not in lowered
    page = Page(html)
    assert not page.all("img")
    assert not [key for key in ("og:image", "twitter:image", "og:image:alt") if page.has_meta(key)]
    assert "img-src 'none'" in page.meta("Content-Security-Policy")
    assert not page.all("script")


@pytest.mark.parametrize(
    ("reason", "language", "label", "sentence"),
    [
        ("found", "nl", "Gevonden", "Het kind is gevonden. Dank voor uw hulp."),
        ("withdrawn", "nl", "Ingetrokken", "Deze oproep is ingetrokken."),
        ("expired", "en", "Expired", "This alert has expired."),
    ],
)
def test_the_ended_page_says_how_it_ended_thanks_and_links_to_the_index(
    reason: CancelReason, language: Language, label: str, sentence: str
) -> None:
    # Given
    subject = ended(alert(), reason)

    # When
    page = Page(ended_page(subject, language, page_links(subject, language)))

    # Then
    assert page.one("h1")["text"] == label
    assert sentence in page.text()
    assert "dank" in page.one("main")["text"].lower() or "thank" in page.one("main")["text"].lower()
    assert page.one("title")["text"].endswith(label)
    assert page.meta("og:description") == sentence
    assert page.links_to(f"{SITE}index{'' if language == 'nl' else '.en'}.html")
    assert page.one("html")["attrs"]["lang"] == language


# Exercise and test alerts.


@pytest.mark.parametrize(("status", "label"), [("exercise", "OEFENING"), ("test", "TEST"), ("actual", None)])
def test_an_exercise_or_test_page_says_so_on_top_and_is_not_indexed(status: str, label: str | None) -> None:
    # Given
    subject = alert(status=status)
    links = page_links(subject)

    # When
    pages = [Page(alert_page(subject, "nl", links)), Page(ended_page(ended(subject, "found"), "nl", links))]

    # Then (a found page is never indexed, whatever its status: old snippets naming the child go with it)
    for page in pages:
        banners = page.all("p", **{"class": "sandbox"})
        robots = page.all("meta", name="robots")
        assert [meta["attrs"]["content"] for meta in robots] == (
            [] if label is None and page is pages[0] else ["noindex, nofollow"]
        )
        if label is None:
            assert not banners
        else:
            assert banners[0]["text"].startswith(label)
            assert page.elements.index(banners[0]) < page.elements.index(page.one("main"))
            assert robots[0]["attrs"]["content"] == "noindex, nofollow"
            assert page.one("title")["text"].startswith(label)


def test_the_english_exercise_banner_is_english() -> None:
    # Given
    subject = alert(status="exercise")

    # When
    page = Page(alert_page(subject, "en", page_links(subject, "en")))

    # Then
    assert page.one("p", **{"class": "sandbox"})["text"] == "EXERCISE This is an exercise. No child is missing."


# Escaping.

HOSTILE_NAME = "<script>alert(1)</script> \"Bo\" & 'Al' <img src=x onerror=alert(2)> سارا"


def test_a_hostile_name_and_place_stay_text_everywhere() -> None:
    # Given
    subject = alert(
        child={"name": HOSTILE_NAME, "age": 9, "description": "</dd><script>alert(3)</script>"},
        last_seen={"at": "2026-11-28T13:05:00+00:00", "place": 'Utrecht"><b onmouseover=alert(4)>'},
        headline={"nl": '<i>kop</i> & "aanhalingstekens"'},
    )
    links = page_links(subject)

    # When
    page = Page(alert_page(subject, "nl", links))

    # Then: our one script and the photo are the only such elements; no handler attribute anywhere
    assert len(page.all("script")) == 1
    assert page.all("img") == [page.one("img", src=str(links.photo))]
    assert not page.all("b")
    assert not page.all("i")
    assert not [e for e in page.elements for key in e["attrs"] if key.startswith("on")]
    assert page.one("h1")["text"] == HOSTILE_NAME
    assert page.one("img")["attrs"]["alt"] == f"Foto van {HOSTILE_NAME}"
    assert page.meta("og:image:alt") == f"Foto van {HOSTILE_NAME}"
    assert page.one("title")["text"] == 'Kind Alarm: <i>kop</i> & "aanhalingstekens"'
    assert 'Utrecht"><b onmouseover=alert(4)>' in page.text()
    assert "</dd><script>alert(3)</script>" in page.text()


def test_hostile_urls_stay_inside_their_attributes() -> None:
    # Given
    subject = alert()
    links = page_links(subject, photo='https://kindalarm.example/p.jpg" onerror="alert(1)', cap="https://x/?a=1&b=2")

    # When
    page = Page(alert_page(subject, "nl", links))

    # Then
    assert page.one("img")["attrs"]["src"] == links.photo
    assert "onerror" not in page.one("img")["attrs"]
    assert page.one("a", type="application/cap+xml")["attrs"]["href"] == "https://x/?a=1&b=2"


# Size.


def test_a_page_with_the_longest_texts_stays_well_under_30_kb() -> None:
    # Given
    subject = alert(
        child={"name": "Ä" * 100, "age": 17, "description": "Lange beschrijving met ëën woord. " * 14 + "x" * 24},
        headline={"nl": "K" * 160, "en": "H" * 160},
        instruction={"nl": "Ï" * 500, "en": "I" * 500},
        last_seen={"at": "2026-11-28T13:05:00+00:00", "place": "P" * 200},
    )

    # When
    sizes = [len(alert_page(subject, language, page_links(subject, language)).encode()) for language in LANGUAGES]

    # Then
    assert max(sizes) < 15_000


# The index, active.json and the widget.


def listed_alerts() -> list[Listed]:
    items = []
    for hours, name in ((1, "Oudste"), (3, "Nieuwste"), (2, "Middelste")):
        subject = alert(alert_id=f"id-{name}", at=CREATED_AT + timedelta(hours=hours), child={"name": name, "age": 8})
        items.append(listed(subject, public_page(SITE, subject.id), f"{SITE}photos/{name}.jpg"))
    return items


def test_active_json_lists_the_alerts_newest_first_in_its_documented_shape() -> None:
    # Given
    items = listed_alerts()

    # When
    document = json.loads(active_document(items, False, "2026-11-28T18:00:00Z"))

    # Then
    assert document["updated"] == "2026-11-28T18:00:00Z"
    assert document["sandbox"] is False
    assert [entry["name"] for entry in document["alerts"]] == ["Nieuwste", "Middelste", "Oudste"]
    first = document["alerts"][0]
    assert list(first) == ["id", "level", "status", "name", "age", "headline", "place", "page", "photo", "updated"]
    assert first == {
        "id": "id-Nieuwste",
        "level": "kind_alarm",
        "status": "actual",
        "name": "Nieuwste",
        "age": 8,
        "headline": "Sanne (9) vermist in Utrecht",
        "place": "Utrecht Centraal",
        "page": f"{SITE}alerts/id-Nieuwste.html",
        "photo": f"{SITE}photos/Nieuwste.jpg",
        "updated": "2026-11-28T18:00:00Z",
    }


def test_active_json_of_the_sandbox_says_so_and_keeps_unicode() -> None:
    # When
    document = active_document([listed(alert(child={"name": "Zoë"}), f"{SITE}x.html", None)], True, "t")

    # Then
    assert "Zoë".encode() in document
    assert json.loads(document)["sandbox"] is True
    assert json.loads(document)["alerts"][0]["photo"] is None


@pytest.mark.parametrize(
    ("language", "empty"),
    [("nl", "Er zijn nu geen vermiste kinderen."), ("en", "No children are missing right now.")],
)
def test_the_index_says_clearly_when_no_child_is_missing(language: Language, empty: str) -> None:
    # When
    page = Page(index_page([], language, False, SITE))

    # Then
    assert empty in page.one("main")["text"]
    assert not page.all("ul", **{"class": "alerts"})
    assert not page.all("meta", name="robots")
    assert page.one("html")["attrs"]["lang"] == language


def test_the_index_lists_each_alert_newest_first_with_photo_and_link() -> None:
    # When
    page = Page(index_page(listed_alerts(), "en", False, SITE))

    # Then
    names = [element["text"] for element in page.all("h2")]
    assert names == ["Nieuwste", "Middelste", "Oudste"]
    assert page.links_to(f"{SITE}alerts/id-Nieuwste.en.html")
    assert page.one("img", src=f"{SITE}photos/Oudste.jpg")["attrs"]["alt"] == "Photo of Oudste"
    assert "8 years old" in page.text()
    assert "Last seen: Utrecht Centraal" in page.text()
    assert page.one("link", rel="canonical")["attrs"]["href"] == f"{SITE}index.en.html"


def test_the_sandbox_index_has_the_banner_and_is_not_indexed() -> None:
    # When
    page = Page(index_page([], "nl", True, f"{SITE}sandbox/"))

    # Then
    assert page.one("p", **{"class": "sandbox"})["text"].startswith("TESTOMGEVING")
    assert page.one("meta", name="robots")["attrs"]["content"] == "noindex, nofollow"
    assert page.one("link", rel="canonical")["attrs"]["href"] == f"{SITE}sandbox/index.html"


# Colours: every text colour against its background passes WCAG 2.1 AA (4.5:1).


def _contrast(first: str, second: str) -> float:
    def luminance(colour: str) -> float:
        digits = colour.lstrip("#")
        if len(digits) == 3:
            digits = "".join(digit * 2 for digit in digits)
        channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_text_colour_of_the_pages_passes_aa() -> None:
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", CSS)
    checked = 0
    for selector, body in rules:
        colour = re.search(r"(?<![-\w])color:(#[0-9a-f]{3,6})", body)
        if colour:
            background = re.search(r"background:(#[0-9a-f]{3,6})", body)
            ratio = _contrast(colour.group(1), background.group(1) if background else "#fff")
            assert ratio >= 4.5, f"{selector}: {ratio:.2f}"
            checked += 1
    assert checked >= 5


def test_every_text_colour_of_the_widget_passes_aa() -> None:
    script = widget_script().decode()
    table = re.search(r"COLOURS = (\{.*?\})", script)
    assert table
    colours = json.loads(re.sub(r"(\w+):", r'"\1":', table.group(1)))
    for level, colour in colours.items():
        assert _contrast(colour, "#fff") >= 4.5, level
    for look in re.findall(r"\{[^{}]*color: \"(#\w+)\"[^{}]*\}", script):
        assert _contrast(look, "#fff") >= 4.5


WIDGET_HARNESS = r"""
const fs = require("fs"), vm = require("vm");
const source = fs.readFileSync(process.argv[2], "utf8");
const scenario = JSON.parse(process.argv[3]);
class Node {
  constructor(tag) { Object.assign(this, {tagName: tag, children: [], attributes: {}, style: {}, textContent: "",
    parentNode: null, className: "", hidden: false}); }
  get firstChild() { return this.children[0] || null; }
  get nextSibling() { const all = this.parentNode.children; return all[all.indexOf(this) + 1] || null; }
  set innerHTML(value) { throw new Error("innerHTML"); }
  setAttribute(key, value) { this.attributes[key] = String(value); }
  getAttribute(key) { return key in this.attributes ? this.attributes[key] : null; }
  appendChild(child) { child.parentNode = this; this.children.push(child); return child; }
  removeChild(child) { this.children.splice(this.children.indexOf(child), 1); child.parentNode = null; return child; }
  insertBefore(child, ref) {
    child.parentNode = this;
    this.children.splice(ref ? this.children.indexOf(ref) : this.children.length, 0, child);
    return child;
  }
}
const body = new Node("body"), script = new Node("script");
script.src = scenario.src;
Object.assign(script.attributes, scenario.attributes);
body.appendChild(new Node("p"));
body.appendChild(script);
body.appendChild(new Node("footer"));
const requests = [], responses = scenario.responses.slice();
let timer = null, period = null;
class XMLHttpRequest {
  open(method, url) { requests.push([method, url]); }
  send() {
    const [status, text] = responses.shift();
    if (status === 0) { if (this.onerror) this.onerror(); return; }
    this.status = status; this.responseText = text; this.onload();
  }
}
function dump(node) {
  return {tag: node.tagName, cls: node.className, attrs: node.attributes, style: node.style,
    text: node.textContent, hidden: node.hidden, children: node.children.map(dump)};
}
const document = {currentScript: scenario.current ? script : null, createElement: (tag) => new Node(tag),
  querySelectorAll: (selector) => selector.includes("widget.js") ? [script] : []};
vm.runInNewContext(source, {document, XMLHttpRequest, setInterval: (fn, ms) => { timer = fn; period = ms; }});
const shots = [dump(body)];
while (responses.length) { timer(); shots.push(dump(body)); }
console.log(JSON.stringify({requests, period, shots}));
"""


def run_widget(tmp_path: Path, responses: list[tuple[int, str]], **options: Any) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    (tmp_path / "widget.js").write_bytes(widget_script())
    (tmp_path / "harness.js").write_text(WIDGET_HARNESS)
    scenario = {
        "src": options.get("src", "https://kindalarm.example/widget.js"),
        "attributes": options.get("attributes", {}),
        "current": options.get("current", True),
        "responses": responses,
    }
    answer = subprocess.run(
        [node, str(tmp_path / "harness.js"), str(tmp_path / "widget.js"), json.dumps(scenario)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    result: dict[str, Any] = json.loads(answer.stdout)
    return result


def widget_box(shot: dict[str, Any]) -> dict[str, Any]:
    tags = [child["tag"] for child in shot["children"]]
    assert tags == ["p", "script", "div", "footer"], tags  # right after its own script
    box: dict[str, Any] = shot["children"][2]
    return box


def texts(node: dict[str, Any]) -> list[str]:
    own = [node["text"]] if node["text"] else []
    return own + [text for child in node["children"] for text in texts(child)]


def find(node: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    own = [node] if node["tag"] == tag else []
    return own + [found for child in node["children"] for found in find(child, tag)]


def active(*items: Listed) -> str:
    return active_document(list(items), False, "2026-11-28T18:00:00Z").decode()


def test_the_widget_shows_each_active_alert_after_its_script(tmp_path: Path) -> None:
    # Given
    item = listed(alert(child={"name": HOSTILE_NAME, "age": 9}), f"{SITE}alerts/a.html", f"{SITE}photos/a.jpg")

    # When
    result = run_widget(tmp_path, [(200, active(item))])

    # Then
    assert result["requests"] == [["GET", f"{SITE}active.json"]]
    assert result["period"] == 60_000
    box = widget_box(result["shots"][0])
    assert box["attrs"] == {"role": "region", "aria-label": "Vermiste kinderen"}
    assert box["style"]["display"] == "block"
    assert texts(box) == [
        "Kind Alarm",
        f"{HOSTILE_NAME}, 9 jaar",
        "Laatst gezien: Utrecht Centraal",
        "Bekijk de oproep",
    ]
    assert find(box, "img")[0]["attrs"] == {"src": f"{SITE}photos/a.jpg", "alt": f"Foto van {HOSTILE_NAME}"}
    assert find(box, "a")[0]["attrs"] == {"href": f"{SITE}alerts/a.html"}
    assert all(node["cls"].startswith("kindalarm-") for node in [box, *find(box, "li"), *find(box, "p")])


def test_the_widget_disappears_when_the_child_is_found(tmp_path: Path) -> None:
    # Given
    item = listed(alert(), f"{SITE}alerts/a.html", None)

    # When: shown, then the next refresh finds no active alert
    result = run_widget(tmp_path, [(200, active(item)), (200, active()), (500, "")])

    # Then
    shown, gone, failed = (widget_box(shot) for shot in result["shots"])
    assert find(shown, "li")
    assert not find(shown, "img")
    for box in (gone, failed):
        assert box["children"] == []
        assert box["style"]["display"] == "none"


@pytest.mark.parametrize("responses", [[(500, "")], [(0, "")], [(200, "<html>not json</html>")], [(200, "{}")]])
def test_the_widget_shows_nothing_when_there_is_nothing_or_the_fetch_fails(
    tmp_path: Path, responses: list[tuple[int, str]]
) -> None:
    # When
    result = run_widget(tmp_path, responses)

    # Then
    box = widget_box(result["shots"][0])
    assert box["children"] == []
    assert box["style"]["display"] == "none"


def test_the_sandbox_widget_in_english_reads_the_sandbox_and_links_the_english_pages(tmp_path: Path) -> None:
    # Given
    subject = alert(status="exercise")
    item = listed(subject, public_page(SITE, subject.id, True), None)

    # When: found without document.currentScript, by its src
    result = run_widget(
        tmp_path,
        [(200, active(item))],
        src=f"{SITE}widget.js?v=2",
        attributes={"data-sandbox": "true", "data-lang": "en"},
        current=False,
    )

    # Then
    assert result["requests"] == [["GET", f"{SITE}sandbox/active.json"]]
    box = widget_box(result["shots"][0])
    assert box["attrs"]["aria-label"] == "Missing children"
    assert texts(box)[0] == "Child Alert – EXERCISE"
    assert find(box, "a")[0]["attrs"]["href"] == public_page(SITE, subject.id, True, "en")
    assert texts(box)[-1] == "View the alert"


def test_the_widget_is_small_and_never_writes_markup() -> None:
    script = widget_script()
    assert len(script) < 4096
    for unsafe in (b"innerHTML", b"outerHTML", b"insertAdjacentHTML", b"document.write", b"eval(", b"cssText"):
        assert unsafe not in script
    assert b"/*WORDS*/" not in script


def _sha256(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def test_the_summary_in_the_meta_tags_is_cut_after_whole_words():
    long_instruction = " ".join(["Bel direct 112 als je haar ziet."] * 15)
    subject = alert(instruction={"nl": long_instruction})
    page = alert_page(subject, "nl", page_links(subject))
    description = re.search(r'<meta name="description" content="([^"]*)"', page)
    assert description is not None
    text = unescape(description.group(1))
    assert len(text) <= 200 and text.endswith("…") and not text[:-1].endswith(" ")
    assert long_instruction in unescape(page)  # the whole instruction stays on the page


def test_a_view_asks_for_no_icon():
    subject = alert()
    assert '<link rel="icon" href="data:,">' in alert_page(subject, "nl", page_links(subject))
