"""The partner sink's page shows each picture a partner received beside the delivery that brought it, as sent.

The sink runs alone; the channels' own render and transport send to it over HTTP, as in the local stack.
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import pytest
import requests

from chalicelib.adapters.social import SocialClient
from chalicelib.adapters.webhooks import WebhookSender
from chalicelib.alerts import lifecycle
from chalicelib.channels.base import Assets
from chalicelib.channels.road_signs import RoadSignsChannel
from chalicelib.channels.social_media import SocialMediaChannel
from chalicelib.channels.station_screens import StationScreensChannel
from chalicelib.channels.targets import PartnerTarget
from chalicelib.channels.texts import SignProfile
from devstack.partners import new_secret
from devstack.sink import PartnerSink
from tests.conftest import CREATED_AT, alert

PAGE = "https://kindalarm.example/alerts/0f8fad5b-d9cb-469f-a165-70867728950e.html"
PARTNERS = {"ns-screens": "webhook", "rws-tmc": "webhook", "x-politie": "x", "facebook-politie": "facebook"}
_PATHS = {"webhook": "webhooks", "x": "x", "facebook": "meta"}


class Secrets:
    def __init__(self, secrets: dict[str, str]) -> None:
        self._secrets = secrets

    def get(self, name: str) -> str:
        return self._secrets[name]

    def get_optional(self, name: str) -> str | None:
        return self._secrets.get(name)

    def forget(self, *names: str) -> None:
        pass


@pytest.fixture
def sink():
    server = PartnerSink().start()
    yield server
    server.stop()


@pytest.fixture
def secrets(sink):
    given = {name: new_secret() for name in PARTNERS}
    sink.trust(given)
    return Secrets(given)


def target(sink: PartnerSink, name: str) -> PartnerTarget:
    platform = PARTNERS[name]
    return PartnerTarget.model_validate(
        {
            "name": name,
            "url": f"{sink.url}/{_PATHS[platform]}/{name}",
            "secret_parameter": name,
            "platform": platform,
            "account_id": "politie" if platform == "facebook" else None,
        }
    )


def images_on(page: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(r"<img [^>]*>", page)]


def test_the_page_shows_the_station_poster_and_the_sign_beside_their_delivery(sink, secrets):
    # Given the station screens and the road signs, each delivering Sanne's alert to its partner
    sender = WebhookSender(timeout_seconds=5)
    screens = StationScreensChannel(sender, secrets)
    signs = RoadSignsChannel(sender, secrets, SignProfile.parse("3x20"), (480, 270))
    shown = alert()
    poster = screens.render(shown, Assets(public_page=PAGE))
    sign = signs.render(shown, Assets(public_page=PAGE))
    screens.deliver(poster, target(sink, "ns-screens"), "delivery-1", None)
    signs.deliver(sign, target(sink, "rws-tmc"), "delivery-2", None)
    # When a person opens the sink's page
    page = requests.get(f"{sink.url}/", timeout=5).text
    # Then each picture is there, described, sized to fit, in the row of the delivery it came with
    images = {image["alt"].split(" as ")[0]: image for image in images_on(page)}
    assert set(images) == {"station poster", "road-sign bitmap"}
    assert "Sanne de Vries" in images["station poster"]["alt"]
    assert "max-width" in images["road-sign bitmap"]["style"]
    row = next(row for row in page.split("<tr>") if "rws-tmc" in row)
    assert images["road-sign bitmap"]["src"] in row
    # And each is served as the partner got it, byte for byte
    served = requests.get(f"{sink.url}{images['station poster']['src']}", timeout=5)
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.content == _decoded(poster["poster_jpeg"])
    served = requests.get(f"{sink.url}{images['road-sign bitmap']['src']}", timeout=5)
    assert (served.headers["Content-Type"], served.content) == ("image/png", _decoded(sign["image_png"]))
    assert "RETRACTED" not in page


def test_a_poster_taken_down_is_marked_retracted(sink, secrets):
    # Given a poster on the station screens
    screens = StationScreensChannel(WebhookSender(timeout_seconds=5), secrets)
    shown = alert()
    reference = screens.deliver(screens.render(shown, Assets(public_page=PAGE)), target(sink, "ns-screens"), "d1", None)
    # When the alert is cancelled and the screens are cleared
    cancelled = lifecycle.cancel(shown, "found", CREATED_AT + timedelta(hours=1))
    clear = screens.render(cancelled, Assets(public_page=PAGE))
    screens.retract(clear, target(sink, "ns-screens"), "d2", reference)
    # Then the poster's row says it was taken down
    page = requests.get(f"{sink.url}/", timeout=5).text
    poster_row = next(row for row in page.split("<tr>") if "screen.show" in row)
    assert "RETRACTED" in poster_row
    assert "opacity" in images_on(poster_row)[0]["style"]


def test_the_social_cards_are_shown_with_their_posts_and_deleted_ones_marked(sink, secrets):
    # Given the social card posted on X (a media upload) and on Facebook (a page photo)
    social = SocialMediaChannel(SocialClient(timeout_seconds=5), secrets, found_notice=False)
    content: dict[str, Any] = social.render(alert(), Assets(public_page=PAGE))
    x_post = social.deliver(content, target(sink, "x-politie"), "d1", None)
    social.deliver(content, target(sink, "facebook-politie"), "d2", None)
    # When the X post is deleted
    social.retract({"page": PAGE, "notice": None}, target(sink, "x-politie"), "d3", x_post)
    page = requests.get(f"{sink.url}/", timeout=5).text
    # Then both cards are there beside their posts, the deleted one marked
    rows = {
        name: next(row for row in page.split("<tr>") if f"<td>{name}</td>" in row)
        for name in ("x-politie", "facebook-politie")
    }
    for name, row in rows.items():
        (image,) = images_on(row)
        assert image["alt"].startswith(f"social card posted by {name}")
        assert requests.get(f"{sink.url}{image['src']}", timeout=5).content == content["image"]
    assert "RETRACTED" in rows["x-politie"]
    assert "RETRACTED" not in rows["facebook-politie"]


def test_an_unknown_image_is_a_404(sink):
    assert requests.get(f"{sink.url}/images/1", timeout=5).status_code == 404
    assert requests.get(f"{sink.url}/images/x", timeout=5).status_code == 404


def _decoded(value: str) -> bytes:
    return base64.b64decode(value)
