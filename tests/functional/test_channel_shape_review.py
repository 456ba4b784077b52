"""Review of issue 16's one channel shape: the behaviours the refactor promised to keep, through the fan-out."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chalicelib.adapters.feed_store import FeedStore
from chalicelib.adapters.push import PushService
from chalicelib.channels.policy import CHANNELS
from devstack.sink import PartnerSink
from tests.conftest import alert_body
from tests.functional.conftest import send
from tests.functional.test_photos import inline, phone_jpeg

PUBLIC_PARTNERS = {"anp", "nos", "x-politie", "facebook-politie", "rws-tmc", "ns-screens"}
SANDBOX_PARTNERS = {"newsroom-sandbox", "x-sandbox", "rws-sandbox", "ns-sandbox"}
UTRECHT = (52.0907, 5.1214)


def create(client, **overrides: Any) -> dict[str, Any]:
    response = send(client, "POST", "/alerts", alert_body(**overrides))
    assert response.status_code == 201, response.body
    return json.loads(response.body)


def register(client, device_id: str, **fields: Any) -> None:
    body = {"platform": "fcm", "token": "d" * 64 + device_id, "location": {"lat": UTRECHT[0], "lon": UTRECHT[1]}}
    assert send(client, "PUT", f"/devices/{device_id}", {**body, **fields}).status_code == 201


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Every push topic published to, feed file written or deleted, and social account called."""
    calls: dict[str, list[str]] = {"topics": [], "feed": [], "social": []}
    publish, write, delete, social = PushService.publish, FeedStore.write, FeedStore.delete, PartnerSink.social

    def spy_publish(self: Any, topic_name: str, *args: Any) -> Any:
        calls["topics"].append(topic_name)
        return publish(self, topic_name, *args)

    def spy_write(self: Any, key: str, *args: Any) -> Any:
        calls["feed"].append(key)
        return write(self, key, *args)

    def spy_delete(self: Any, key: str) -> Any:
        calls["feed"].append(key)
        return delete(self, key)

    def spy_social(self: Any, request: Any) -> Any:
        calls["social"].append(request.partner)
        return social(self, request)

    monkeypatch.setattr(PushService, "publish", spy_publish)
    monkeypatch.setattr(FeedStore, "write", spy_write)
    monkeypatch.setattr(FeedStore, "delete", spy_delete)
    monkeypatch.setattr(PartnerSink, "social", spy_social)
    return calls


@pytest.mark.parametrize("status", ["exercise", "test"])
@pytest.mark.parametrize("area", [{"type": "national"}, {"type": "circle", "lat": 52.09, "lon": 5.11, "radius_km": 10}])
def test_an_exercise_reaches_no_public_partner_topic_or_feed_on_any_channel(client, fan_out, spied, status, area):
    # Given a public phone and a test phone in Utrecht, and a kind_alarm exercise (every channel) with a photo
    register(client, "public-phone")
    register(client, "test-phone", test_device=True)
    alert = create(client, status=status, area=area, photo=inline(phone_jpeg()))
    fan_out.runner.drain()
    # When it is updated and then cancelled (found: the X notice), every channel having run each time
    patch = {"headline": {"nl": "Sanne (9) vermist in Zeist"}}
    assert send(client, "PATCH", f"/alerts/{alert['id']}", patch, **{"If-Match": '"1"'}).status_code == 200
    fan_out.runner.drain()
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then every channel retracted it at its sandbox targets ...
    records = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)["deliveries"]
    assert {channel: record["state"] for channel, record in records.items()} == dict.fromkeys(records, "retracted")
    assert sorted(records) == sorted(CHANNELS)
    named = {name for record in records.values() for name in record["targets"]}
    assert named == SANDBOX_PARTNERS | {"test-devices", "sandbox-feed", "sandbox-site"}
    # ... and nothing reached a public partner, a public push topic, or the public feed
    assert {delivery["partner"] for delivery in fan_out.sink.deliveries()} <= SANDBOX_PARTNERS
    assert {post["partner"] for post in fan_out.sink.posts()} <= SANDBOX_PARTNERS
    assert set(spied["social"]) == {"x-sandbox"}
    assert spied["topics"] and {topic.rsplit("-", 1)[1] for topic in spied["topics"]} == {"test"}
    assert spied["feed"] and all(key.startswith("sandbox/") for key in spied["feed"])
    listing = boto3.client("s3").list_objects_v2(Bucket=fan_out.outputs["PhotosBucketName"], Prefix="feed/")
    keys = [item["Key"] for item in listing.get("Contents", [])]
    assert keys and all(key.startswith("feed/sandbox/") for key in keys)


# The road signs show the place only "if room": a place the sign cannot show is left off, not a refused alert.


@pytest.mark.parametrize("place", ["Leidschendam-Voorburg", "Station Hardinxveld-Giessendam"])
def test_a_place_with_a_word_longer_than_a_sign_line_does_not_refuse_a_kind_alarm(client, aws, place):
    # Given a real Dutch municipality whose name is one word longer than a DRIP line (20 characters)
    seen = {**alert_body()["last_seen"], "place": place}
    # When Burgernet creates a kind_alarm (road signs among its channels) last seen there
    response = send(client, "POST", "/alerts", alert_body(last_seen=seen))
    # Then the alert is taken (the default 3x20 sign has no line for a place anyway)
    assert response.status_code == 201, response.body


def test_a_place_the_sign_cannot_show_is_left_off_its_lines():
    from datetime import datetime, timezone

    from chalicelib.alerts import lifecycle
    from chalicelib.channels.texts import SignProfile, sign_lines
    from chalicelib.models.alert import AlertCreate
    from chalicelib.models.validation import parse_model

    seen = {"at": "2026-11-28T15:00:00+01:00", "place": "Leidschendam-Voorburg"}
    created = parse_model(AlertCreate, alert_body(last_seen=seen))
    subject = lifecycle.new_alert(created, "0f8fad5b-d9cb-469f-a165-70867728950e", datetime.now(timezone.utc))
    assert sign_lines(subject, SignProfile(4, 20)) == ["KIND ALARM", "SANNE DE VRIES", "BEL 0800-6070"]


def test_a_phone_the_sign_cannot_show_names_the_phone(client, aws, monkeypatch):
    # Given narrow signs (3 lines of 12), and a number that is one word of 15 characters
    from chalicelib.wiring import reset

    monkeypatch.setenv("ROAD_SIGN_PROFILE", "3x12")
    reset()
    response = send(client, "POST", "/alerts", alert_body(contact={"phone": "+31301234567890"}))
    # Then the refusal names the field to change (before issue 16 it named /child/name, after it /headline/nl)
    assert response.status_code == 422, response.body
    errors = json.loads(response.body)["errors"]
    assert [(error["pointer"], error["detail"].split(":")[0]) for error in errors] == [("/contact/phone", "road_signs")]
    reset()


# A push carries the photo as a link; in Lambda that presigned link holds the role's session token (about 1 KB).
LAMBDA_SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr" + "x" * 1000
EMOJI = "\U0001f467"  # 4 bytes in UTF-8


def emoji_alert(**overrides: Any) -> dict[str, Any]:
    """A valid alert whose push texts are near (within) the 4 KB APNs/FCM budget the create checks hold."""
    return alert_body(
        level="vermist_kind",  # no road signs: a name of 100 emoji fits no DRIP
        child={"name": EMOJI * 100, "age": 9},
        headline={"nl": f"{EMOJI} " * 40},  # words the post can shorten
        instruction={"nl": EMOJI * 500},
        area={"type": "national"},
        photo=inline(phone_jpeg()),
        **overrides,
    )


@pytest.fixture
def lambda_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.wiring import reset

    monkeypatch.setenv("AWS_SESSION_TOKEN", LAMBDA_SESSION_TOKEN)
    reset()


def test_a_push_whose_photo_link_would_overflow_4_kb_still_goes_out(client, fan_out, lambda_credentials):
    # Given phones, and an alert the create checks took (its push fits 4 KB without the photo link)
    register(client, "public-phone")
    alert = create(client, **{key: value for key, value in emoji_alert().items() if key != "reference"})
    # When app_push runs where photo links carry a session token
    fan_out.runner.drain()
    # Then the notification went out (without the image, rather than not at all)
    record = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)["deliveries"]["app_push"]
    assert record["state"] == "delivered", record
    (push,) = national_pushes()
    assert push["aps"]["alert"]["title"].startswith("Vermist kind: ") and "image_url" not in push
    # And its preview shows it, rather than an unexpected 500
    preview = client.http.get(f"/alerts/{alert['id']}/previews/app_push", headers={"accept": "application/json"})
    assert preview.status_code == 200, preview.body


def national_pushes() -> list[dict[str, Any]]:
    from moto.sns.models import sns_backends

    topics = sns_backends["123456789012"]["eu-west-1"].topics
    return [
        json.loads(json.loads(message)["APNS"])
        for arn, topic in topics.items()
        if arn.endswith("-push-nl-national")
        for _, message, _, _, _ in topic.sent_notifications
    ]


def test_a_usual_push_keeps_its_photo_link_where_links_carry_a_session_token(client, fan_out, lambda_credentials):
    register(client, "public-phone")
    create(client, area={"type": "national"}, photo=inline(phone_jpeg()))
    fan_out.runner.drain()
    (push,) = national_pushes()
    assert LAMBDA_SESSION_TOKEN[:20] in push["image_url"]


def test_a_cap_cancel_finds_an_alert_whose_burgernet_reference_starts_with_kindalarm(client, aws):
    from tests.functional.test_cap_ingest import NOW, cap_alert, dutch_info, post_cap

    # Given an alert Burgernet created by CAP under its own identifier "kindalarm-2026-0042" (not ours: no uuid)
    created = post_cap(client, cap_alert(dutch_info(), identifier="kindalarm-2026-0042"))
    assert created.status_code == 201, created.body
    # When it cancels it by that identifier, as it cancels any other
    references = f"burgernet@politie.nl,kindalarm-2026-0042,{NOW}"
    cancel = post_cap(client, cap_alert("", identifier="NL-BN-2026-0099", msg_type="Cancel", references=references))
    # Then the alert is cancelled (before 8d09b5b: 200; since: 422 "names no alert known here")
    assert cancel.status_code == 200, cancel.body
    assert json.loads(cancel.body)["id"] == json.loads(created.body)["id"]
