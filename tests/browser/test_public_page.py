"""The alert's public page, the page it becomes once the child is found, and the widget on a partner's website, in
headless Chromium as a person sees them, checked with axe-core against WCAG 2.1 A and AA.

The tests of the active alert come first: the module's alert is cancelled once, by the first test that needs it
found (pytest runs a file's tests in order, and `--dist loadfile` keeps a file on one worker).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, BrowserContext, Page

from devstack.process import LocalStackProcess
from devstack.samples import sample_alert
from devstack.site_previews import (
    DESKTOP,
    PHONE,
    PartnerSite,
    partner_page,
    photo_body,
    wait_for,
    wait_for_widget_photos,
    widget_snippet,
)

pytestmark = pytest.mark.e2e

NAME = "Sanne de Vries"
DESCRIPTION = "1,30 m, blond haar, rode jas"
PLACE = "Utrecht Centraal"
# The exercise carries the longest texts: what wraps must stay on a phone's screen.
EXERCISE_NAME = "Maria-Louisa Anaïs Zoë Daniëlle van den Heuvel-Wolfeschlegelsteinhausen tot Oud-Beijerland"
EXERCISE_PLACE = "Speeltuin achter het winkelcentrum aan de Burgemeester van Roijensingel, Leidschendam-Voorburg"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass
class Published:
    """The module's two alerts as the site shows them: a real one (cancelled later) and an exercise."""

    site: str
    api: str
    alert: dict[str, Any]
    exercise: dict[str, Any]
    photo: str
    card: str
    found: bool = False

    @property
    def page(self) -> str:
        return str(self.alert["links"]["public_page"])

    @property
    def exercise_page(self) -> str:
        return str(self.exercise["links"]["public_page"])


@pytest.fixture(scope="module")
def published(local_stack: LocalStackProcess) -> Published:
    bodies = (
        sample_alert(
            "BN-BROWSER-ACTUAL", child={"name": NAME, "age": 9, "description": DESCRIPTION}, photo=photo_body()
        ),
        sample_alert(
            "BN-BROWSER-EXERCISE",
            status="exercise",
            level="vermist_kind",
            child={"name": EXERCISE_NAME, "age": 7, "description": "Lang blond haar in een vlecht, rode winterjas."},
            headline={"nl": "Zoë (7) vermist in Leidschendam-Voorburg, mogelijk meegenomen in een grijze bestelbus"},
            instruction={"nl": "Zie je Zoë? Bel direct 112."},
            last_seen={**sample_alert()["last_seen"], "place": EXERCISE_PLACE},
            photo=photo_body(),
        ),
    )
    # Both created before waiting for either: the channels work on them side by side.
    alert, exercise = (requests.post(f"{local_stack.api}/alerts", json=body, timeout=30).json() for body in bodies)
    for created, name in ((alert, NAME), (exercise, EXERCISE_NAME)):
        _wait_for_name(created["links"]["public_page"], name)
    served = _text(alert["links"]["public_page"])
    return Published(
        site=local_stack.site,
        api=local_stack.api,
        alert=alert,
        exercise=exercise,
        photo=_attribute(served, r'<img class="photo" src="([^"]+)"'),
        card=_attribute(served, r'<meta property="og:image" content="([^"]+)"'),
    )


@pytest.fixture
def active(published: Published) -> Published:
    assert not published.found, "this test needs the alert active: keep it above the tests of the found page"
    return published


@pytest.fixture(scope="module")
def found(published: Published) -> Published:
    """The child found: the cancel over the API, then its page, the lists and the images updated on the site."""
    if not published.found:
        answer = requests.post(
            f"{published.api}/alerts/{published.alert['id']}/cancel", json={"reason": "found"}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        published.found = True
    english = published.page.removesuffix(".html") + ".en.html"
    wait_for(lambda: "<h1>Gevonden</h1>" in _text(published.page), "the found page")
    wait_for(lambda: "<h1>Found</h1>" in _text(english), "the English found page")
    wait_for(lambda: published.alert["id"] not in _text(f"{published.site}/active.json"), "active.json")
    return published


# While the child is missing.


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_page_shows_the_child_the_photo_and_whom_to_call(
    context: BrowserContext, active: Published, viewport: Any
) -> None:
    # Given a visitor on a 360 px phone or a desktop
    page = context.new_page()
    page.set_viewport_size(viewport)
    # When they open the page the alert's JSON links to
    page.goto(active.page)
    # Then they see the child's name, the photo (loaded, with its text alternative) and a number to call
    assert page.locator("h1").inner_text() == NAME
    photo = page.locator("img.photo")
    assert photo.is_visible()
    assert photo.get_attribute("alt") == f"Foto van {NAME}"
    assert photo.evaluate("image => image.complete && image.naturalWidth > 0")
    assert photo.bounding_box()["width"] <= viewport["width"]  # type: ignore[index]
    assert page.locator("a[href='tel:112']").first.is_visible()
    assert page.locator("a[href='tel:08006070']").is_visible()
    assert PLACE in page.locator("main").inner_text()
    # And nothing makes them scroll sideways
    assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"]


def test_a_view_loads_the_page_and_its_photo_and_nothing_else(context: BrowserContext, active: Published) -> None:
    # Given a visitor whose every request is recorded
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    # When the page has loaded and the network is quiet
    page.goto(active.page, wait_until="networkidle")
    # Then the browser asked for the page and its photo, once each, from the site; and it keeps no cookie
    assert sorted(asked) == sorted([active.page, active.photo])
    assert {urlsplit(url).netloc for url in asked} == {urlsplit(active.site).netloc}
    assert context.cookies() == []


def test_a_shared_link_unfolds_into_the_social_card_and_shares_are_plain_links(
    context: BrowserContext, active: Published
) -> None:
    page = context.new_page()
    page.goto(active.page)
    # The preview image is an absolute URL that answers with a JPEG
    card = _meta(page, "property", "og:image")
    assert urlsplit(card).scheme in ("http", "https")
    assert urlsplit(card).netloc
    assert _meta(page, "name", "twitter:image") == card
    assert _meta(page, "property", "og:url") == active.page
    image = context.request.get(card)
    assert (image.status, image.headers["content-type"]) == (200, "image/jpeg")
    # Sharing is four plain links that carry the page's address; no platform script, no frame
    shares = page.locator("ul.share a")
    assert shares.count() == 4
    for share in shares.all():
        href = share.get_attribute("href") or ""
        assert share.evaluate("a => a.tagName") == "A"
        assert href.startswith(("https://", "mailto:")), href
        assert quote(active.page, safe="") in href
        assert share.evaluate("a => a.getAttributeNames().filter(n => n.startsWith('on'))") == []
    assert page.locator("script[src], iframe, object, embed").count() == 0


def test_the_page_reads_without_javascript(browser: Browser, active: Published) -> None:
    # Given a phone with JavaScript switched off
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    # When it opens the page
    page.goto(active.page)
    # Then the name, the photo, the number and the page's link are there; the copy button (a script's) is not
    assert page.locator("h1").inner_text() == NAME
    assert page.locator("img.photo").is_visible()
    assert page.locator("a[href='tel:08006070']").is_visible()
    assert page.locator("#page-link").is_visible()
    assert page.locator("#copy").is_hidden()
    context.close()


def test_the_widget_on_a_partner_page_shows_the_alert(
    context: BrowserContext, partner: PartnerSite, active: Published
) -> None:
    # Given a partner's page (another origin) with the snippet of docs/widget.md
    url = partner.add("/nieuws", partner_page(widget_snippet(active.site)))
    page = context.new_page()
    # When a reader opens it
    page.goto(url, wait_until="networkidle")
    wait_for_widget_photos(page)
    # Then one banner shows the child's photo, name and a link to the official page; the exercise is not there
    banners = page.locator(".kindalarm-alert")
    assert banners.count() == 1
    banner = banners.first
    assert banner.is_visible()
    assert NAME in banner.locator(".kindalarm-name").inner_text()
    photo = banner.locator("img.kindalarm-photo")
    assert photo.is_visible()
    assert photo.get_attribute("alt") == f"Foto van {NAME}"
    link = banner.locator("a.kindalarm-link")
    assert link.is_visible()
    assert link.get_attribute("href") == active.page
    assert EXERCISE_NAME not in page.locator("body").inner_text()


def test_the_sandbox_widget_shows_the_exercise_and_only_there(
    context: BrowserContext, partner: PartnerSite, published: Published
) -> None:
    # Given a partner page that asks for the sandbox, and one that does not
    sandbox = partner.add("/sandbox", partner_page(widget_snippet(published.site, sandbox=True)))
    plain = partner.add("/plain", partner_page(widget_snippet(published.site)))
    page = context.new_page()
    # When the sandbox page is opened, it shows the exercise, marked as one, and no real alert
    page.goto(sandbox, wait_until="networkidle")
    wait_for_widget_photos(page)
    banner = page.locator(".kindalarm-alert")
    assert banner.count() == 1
    assert banner.locator(".kindalarm-title").inner_text() == "Vermist kind – OEFENING"
    assert EXERCISE_NAME in banner.locator(".kindalarm-name").inner_text()
    assert banner.locator("a.kindalarm-link").get_attribute("href") == published.exercise_page
    assert NAME not in page.locator("body").inner_text()
    # And the plain page never shows the exercise
    page.goto(plain, wait_until="networkidle")
    assert EXERCISE_NAME not in page.locator("body").inner_text()
    assert page.locator(f"a[href='{published.exercise_page}']").count() == 0


@pytest.mark.parametrize("where", ["exercise page", "sandbox index", "sandbox partner page"])
def test_the_longest_texts_stay_on_a_360_px_phone(
    context: BrowserContext, partner: PartnerSite, published: Published, where: str
) -> None:
    addresses: dict[str, Callable[[], str]] = {
        "exercise page": lambda: published.exercise_page,
        "sandbox index": lambda: f"{published.site}/sandbox/index.html",
        "sandbox partner page": lambda: partner.add("/smal", partner_page(widget_snippet(published.site, True))),
    }
    # Given a phone 360 px wide
    page = context.new_page()
    page.set_viewport_size(PHONE)
    # When it shows the alert with the longest name and place
    page.goto(addresses[where](), wait_until="networkidle")
    assert "Wolfeschlegelsteinhausen" in page.locator("body").inner_text()
    # Then the text wraps: nothing runs out of its box or makes the reader scroll sideways
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    for banner in page.locator(".kindalarm-alert").all():
        assert banner.evaluate("banner => banner.scrollWidth <= banner.clientWidth")


@pytest.mark.parametrize(
    "where",
    ["alert page", "English alert page", "index", "exercise page", "partner page with the widget"],
)
def test_the_active_pages_pass_axe(
    context: BrowserContext, partner: PartnerSite, active: Published, where: str
) -> None:
    addresses: dict[str, Callable[[], str]] = {
        "alert page": lambda: active.page,
        "English alert page": lambda: active.page.removesuffix(".html") + ".en.html",
        "index": lambda: f"{active.site}/index.html",
        "exercise page": lambda: active.exercise_page,
        "partner page with the widget": lambda: partner.add("/axe", partner_page(widget_snippet(active.site))),
    }
    page = context.new_page()
    page.goto(addresses[where](), wait_until="networkidle")
    if where == "partner page with the widget":
        wait_for_widget_photos(page)
    assert_no_wcag_violations(page)


# Once the child is found.


def test_the_found_page_says_so_and_holds_nothing_of_the_child(context: BrowserContext, found: Published) -> None:
    # Given the alert cancelled because the child was found
    page = context.new_page()
    # When a visitor opens the page from the old link
    page.goto(found.page, wait_until="networkidle")
    # Then it says the child was found
    assert page.locator("h1").inner_text() == "Gevonden"
    assert page.locator("img").count() == 0
    # And neither what it shows, nor its meta tags, nor its DOM, nor the HTML served (Dutch and English) hold the
    # child's name, description, place, headline or any image of the alert
    secrets = [
        NAME,
        "Sanne",
        DESCRIPTION,
        PLACE,
        found.alert["id"] + "/",
        found.photo,
        found.card,
        urlsplit(found.photo).path,
        urlsplit(found.card).path,
    ]
    metas = page.eval_on_selector_all("meta[content]", "tags => tags.map(tag => tag.content)")
    english = found.page.removesuffix(".html") + ".en.html"
    shown = {
        "text": page.locator("body").inner_text() + "\n" + page.title(),
        "meta tags": "\n".join(metas),
        "DOM": page.content(),
        "served HTML": context.request.get(found.page).text(),
        "served English HTML": context.request.get(english).text(),
    }
    for where, text in shown.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} is still in the found page's {where}"


def test_the_childs_images_are_gone_and_no_list_names_it(context: BrowserContext, found: Published) -> None:
    # The photo and the social card answer 404
    for image in (found.photo, found.card):
        assert context.request.get(image).status == 404, image
    # active.json (the widget's list) and the index pages no longer list the alert
    listed = context.request.get(f"{found.site}/active.json").json()
    assert found.alert["id"] not in [entry["id"] for entry in listed["alerts"]]
    for index in ("index.html", "index.en.html"):
        served = context.request.get(f"{found.site}/{index}").text()
        assert found.alert["id"] not in served
        assert NAME not in served
    page = context.new_page()
    page.goto(f"{found.site}/index.html")
    assert page.get_by_text("Er zijn nu geen vermiste kinderen.").is_visible()


def test_the_widget_shows_nothing_once_the_child_is_found(
    context: BrowserContext, partner: PartnerSite, found: Published
) -> None:
    # Given the partner's page, opened anew after the cancel
    url = partner.add("/nieuws-later", partner_page(widget_snippet(found.site)))
    page = context.new_page()
    lists: list[int] = []
    page.on("response", lambda response: lists.append(response.status) if "active.json" in response.url else None)
    page.goto(url, wait_until="networkidle")
    # Then the widget read the list and shows no banner, and takes no room
    assert lists == [200]
    assert page.locator(".kindalarm-alert").count() == 0
    box = page.locator(".kindalarm-box")
    assert box.count() == 1
    assert box.is_hidden()
    assert box.evaluate("box => box.getBoundingClientRect().height") == 0
    assert NAME not in page.content()


def test_the_found_page_passes_axe(context: BrowserContext, found: Published) -> None:
    page = context.new_page()
    page.goto(found.page, wait_until="networkidle")
    assert_no_wcag_violations(page)


# Helpers.


def assert_no_wcag_violations(page: Page) -> None:
    """axe-core's WCAG 2.0/2.1 A and AA rules find nothing on ``page``; else each rule, element and reason."""
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    assert results.violations_count == 0, f"on {page.url}:\n{results.generate_report()}"


def _meta(page: Page, attribute: str, key: str) -> str:
    return page.locator(f"meta[{attribute}='{key}']").get_attribute("content") or ""


def _wait_for_name(page: str, name: str) -> None:
    wait_for(lambda: name in _text(page), f"the page {page}")


def _text(url: str) -> str:
    response = requests.get(url, timeout=10)
    return response.text if response.status_code == 200 else ""


def _attribute(served: str, pattern: str) -> str:
    found = re.search(pattern, served)
    assert found, f"no {pattern} in the page"
    return html.unescape(found.group(1))
