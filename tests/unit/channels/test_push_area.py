"""The push carries the alert's area for the app (APNs beside ``aps``, FCM's data as a JSON string), within 4 KB.

A national alert and every retraction carry none: the app shows those wherever the device is.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import pytest
from shapely.geometry import Polygon

from chalicelib.alerts import lifecycle
from chalicelib.channels.app_push import AppPushChannel
from chalicelib.channels.base import Assets
from chalicelib.channels.texts import MAX_PLATFORM_PAYLOAD, PAGE_ALLOWANCE, ContentError, check_push
from chalicelib.geo.device_area import AREA_MAX_BYTES, encoded_size
from chalicelib.links import public_page
from chalicelib.models.alert import MAX_POLYGON_POSITIONS, MAX_RING_POSITIONS, Alert
from chalicelib.wording import LANGUAGES
from tests.conftest import ALERT_ID, alert

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
SITE = "https://kindalarm.burgernet.nl"
EMOJI = "\U0001f467"  # 4 bytes in UTF-8
CIRCLE = {"type": "circle", "lat": 52.0894, "lon": 5.1101, "radius_km": 15.5}
PROVINCE = [[[4.8, 51.95], [5.62, 51.95], [5.62, 52.3], [4.8, 52.3], [4.8, 51.95]]]
# As long as the API takes them, in 4-byte characters: name 100, headline 160, instruction 500.
LONGEST_TEXTS: dict[str, Any] = {
    "child": {"name": EMOJI * 100},
    "headline": {"nl": EMOJI * 160, "en": EMOJI * 160},
    "instruction": {"nl": EMOJI * 500, "en": EMOJI * 500},
}


def largest_polygon() -> list[list[list[float]]]:
    """10,000 positions, the most the API takes: a jagged shell of 2,000 around Utrecht and four holes of 2,000."""
    count = MAX_RING_POSITIONS - 1
    shell = [
        [5.2 + 0.3 * (1 - 0.3 * (i * 7919 % 101) / 100) * math.cos(2 * math.pi * i / count),
         52.1 + 0.2 * (1 - 0.3 * (i * 7919 % 101) / 100) * math.sin(2 * math.pi * i / count)]
        for i in range(count)
    ]  # fmt: skip
    rings = [[*shell, shell[0]]]
    for dx in (-0.09, -0.03, 0.03, 0.09):
        side = [[5.2 + dx - 0.02 + 0.04 * i / 500, 52.08] for i in range(500)]
        side += [[5.2 + dx + 0.02, 52.08 + 0.04 * i / 500] for i in range(500)]
        side += [[5.2 + dx + 0.02 - 0.04 * i / 500, 52.12] for i in range(500)]
        side += [[5.2 + dx - 0.02, 52.12 - 0.04 * i / 499] for i in range(499)]
        rings.append([*side, side[0]])
    assert sum(map(len, rings)) == MAX_POLYGON_POSITIONS
    return rings


def render(subject: Alert, photo: str | None = None, site: str = SITE) -> dict[str, Any]:
    assets = Assets(public_page=public_page(site, subject.id), photo_urls={"push": photo} if photo else {})
    return AppPushChannel(None, None).render(subject, assets)  # type: ignore[arg-type]


def payloads(content: dict[str, Any], language: str = "nl") -> tuple[dict[str, Any], dict[str, Any]]:
    """(the APNs payload, FCM's data) of the language's message, checking the sizes and the APNs sandbox copy."""
    message = json.loads(content["messages"][language])
    assert all(len(message[platform].encode()) <= MAX_PLATFORM_PAYLOAD for platform in ("APNS", "GCM"))
    apns = json.loads(message["APNS"])
    assert json.loads(message["APNS_SANDBOX"]) == apns
    return apns, json.loads(message["GCM"])["fcmV1Message"]["message"]["data"]


def areas(content: dict[str, Any]) -> list[tuple[Any, Any]]:
    """Per language: (the APNs area, FCM's area parsed); each FCM data value is a string, the area's too."""
    found = []
    for language in LANGUAGES:
        apns, data = payloads(content, language)
        assert all(isinstance(value, str) for value in data.values())
        found.append((apns.get("area"), json.loads(data["area"]) if "area" in data else None))
    return found


def test_a_circle_goes_to_both_platforms_exactly_as_the_alert_has_it():
    content = render(alert(area=CIRCLE))
    for apns_area, fcm_area in areas(content):
        assert apns_area == fcm_area == CIRCLE
    assert content["area"] == CIRCLE


def test_a_polygon_goes_to_both_platforms_as_one_ring_containing_it():
    subject = alert(area={"type": "polygon", "coordinates": PROVINCE})
    for apns_area, fcm_area in areas(render(subject)):
        assert apns_area == fcm_area
        assert apns_area["type"] == "polygon"
        assert Polygon(apns_area["coordinates"][0]).contains(Polygon(PROVINCE[0]))


def test_the_area_sits_beside_aps_and_the_link_as_before():
    apns, data = payloads(render(alert(area=CIRCLE)))
    assert set(apns) == {"aps", "alert_id", "version", "state", "url", "area"}
    assert set(data) == {"alert_id", "version", "state", "url", "area"}
    assert "area" not in apns["aps"]


def test_a_national_alert_carries_no_area():
    content = render(alert(area={"type": "national"}))
    assert areas(content) == [(None, None)] * len(LANGUAGES)
    assert content["area"] is None


@pytest.mark.parametrize("area", [CIRCLE, {"type": "polygon", "coordinates": PROVINCE}], ids=["circle", "polygon"])
@pytest.mark.parametrize("reason", ["found", "withdrawn"])
def test_a_retraction_carries_no_area_so_it_replaces_the_notification_anywhere(area, reason):
    content = render(lifecycle.cancel(alert(area=area), reason, NOW))
    assert areas(content) == [(None, None)] * len(LANGUAGES)
    apns, _ = payloads(content)
    assert apns["aps"]["thread-id"] == ALERT_ID
    assert content["attributes"]["AWS.SNS.MOBILE.APNS.COLLAPSE_ID"] == ALERT_ID


def test_the_largest_polygon_with_the_longest_texts_fits_4_kb_and_still_contains_the_area():
    # Given the largest polygon the API takes, with the longest push texts it takes (4-byte emoji throughout),
    # on a site whose page address is as long as the create checks count, and a long photo link
    rings = largest_polygon()
    subject = alert(level="vermist_kind", **LONGEST_TEXTS, area=_polygon(rings))
    check_push(subject)
    site = PAGE_ALLOWANCE[: len(PAGE_ALLOWANCE) - len(f"/alerts/{ALERT_ID}.en.html")]
    # When it is rendered, then every payload is within 4 KB and its area holds the whole polygon
    content = render(subject, photo="https://photos.example/" + "p" * 1000, site=site)
    for apns_area, fcm_area in areas(content):
        assert apns_area == fcm_area
        assert Polygon(apns_area["coordinates"][0]).contains(Polygon(rings[0], rings[1:]))
    # and the texts left the area less room than its budget, which it used as far as it could
    assert AREA_MAX_BYTES / 3 < encoded_size(content["area"]) < AREA_MAX_BYTES


def test_with_usual_texts_the_largest_polygon_takes_the_area_budget_and_the_photo_still_goes():
    rings = largest_polygon()
    content = render(alert(area=_polygon(rings)), photo="https://photos.example/" + "p" * 1200)
    apns, _ = payloads(content)
    assert AREA_MAX_BYTES / 2 < encoded_size(apns["area"]) <= AREA_MAX_BYTES
    assert "image_url" in apns
    assert Polygon(apns["area"]["coordinates"][0]).contains(Polygon(rings[0]))


def test_the_photo_link_goes_before_any_precision_of_the_area():
    # Given a polygon alert whose texts leave room for the area's full budget but not for it and a long photo link
    rings = largest_polygon()
    subject = alert(area=_polygon(rings), instruction={"nl": "Bel 112. " * 50, "en": "Call 112. " * 50})
    without_photo = render(subject)
    # When it is rendered with the photo, then the photo's link is dropped and the area is the same
    with_photo = render(subject, photo="https://photos.example/" + "p" * 3000)
    apns, _ = payloads(with_photo)
    assert "image_url" not in apns
    assert with_photo["area"] == without_photo["area"]
    assert encoded_size(apns["area"]) > AREA_MAX_BYTES / 2


def test_the_create_check_counts_the_area():
    # Given texts longer than the API takes (the checks see what a channel would), which leave room for the push
    # of a national alert but not for the smallest polygon area (its box)
    national = longest_passing(alert(area={"type": "national"}))
    polygon = national.model_copy(update={"area": alert(area=_polygon(PROVINCE)).area})
    # Then the create check refuses the polygon alert, and accepts the same texts a little shorter
    with pytest.raises(ContentError):
        check_push(polygon)
    check_push(with_instruction(polygon, len(national.instruction.nl) - 40))


def longest_passing(base: Alert) -> Alert:
    """``base`` with the longest instruction of emoji that the create check lets through."""
    low, high = 0, 1000
    while low < high:
        middle = (low + high + 1) // 2
        try:
            check_push(with_instruction(base, middle))
        except ContentError:
            high = middle - 1
        else:
            low = middle
    with pytest.raises(ContentError):
        check_push(with_instruction(base, low + 1))
    return with_instruction(base, low)


def with_instruction(base: Alert, emoji: int) -> Alert:
    """``base`` with a Dutch-only instruction of ``emoji`` four-byte characters, unvalidated."""
    return base.model_copy(
        update={"instruction": base.instruction.model_copy(update={"nl": EMOJI * emoji, "en": None})}
    )


def _polygon(rings: list[list[list[float]]]) -> dict[str, Any]:
    return {"type": "polygon", "coordinates": rings}
