"""GET /alerts/{id}/report: what went out when and whom it reached, for the evaluation; it outlives the child's data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.adapters.clients import dynamodb_client
from chalicelib.adapters.delivery_table import DeliveryTable
from chalicelib.channels.app_push import area_cells
from chalicelib.channels.policy import deployed_channels_for
from chalicelib.config import get_settings
from chalicelib.models.alert import CircleArea
from chalicelib.wiring import wiring
from devstack.sink import Misbehaviour
from tests.conftest import alert_body
from tests.functional.conftest import FanOut, create, send
from tests.functional.test_app_push import UTRECHT, register
from tests.functional.test_photos import inline, phone_jpeg
from tests.functional.test_privacy_lifecycle import scheduled

CHILD = {"name": "Sanne de Vries", "age": 9, "description": "rode jas, blauwe laarzen"}
PLACE = "Speeltuin Griftpark"
HEADLINE = {"nl": "Sanne (9) vermist bij het Griftpark", "en": "Sanne (9) missing near Griftpark"}
AREA = {"type": "circle", "lat": 52.0967, "lon": 5.1313, "radius_km": 12}


def report_of(client, alert_id: str) -> dict[str, Any]:
    response = send(client, "GET", f"/alerts/{alert_id}/report")
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    return dict(json.loads(response.body))


def timeline_items(aws: dict[str, str], alert_id: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").query(
        TableName=aws["AlertsTableName"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"ALERT#{alert_id}"}, ":prefix": {"S": "TIMELINE#"}},
    )["Items"]
    return list(items)


def shown_then_found(client, fan_out: FanOut) -> dict[str, Any]:
    """An alert with a photo, delivered, updated, delivered again, cancelled (found) and retracted everywhere."""
    last_seen = {**alert_body()["last_seen"], "place": PLACE}
    alert = create(
        client, fan_out, child=CHILD, last_seen=last_seen, headline=HEADLINE, area=AREA, photo=inline(phone_jpeg())
    )
    path = f"/alerts/{alert['id']}"
    patched = send(client, "PATCH", path, {"contact": {"phone": "0800-1234"}}, **{"If-Match": '"1"'})
    assert patched.status_code == 200
    fan_out.runner.drain()
    assert send(client, "POST", f"{path}/cancel", {"reason": "found"}).status_code == 200
    fan_out.runner.drain()
    return alert


def test_the_report_shows_each_channel_delivering_each_version_and_retracting_with_seconds(client, fan_out):
    # Given an alert that was shown, updated and found
    alert = shown_then_found(client, fan_out)
    # When the police ask for its report
    report = report_of(client, alert["id"])
    # Then it names the alert by its ids and says how it ended
    assert (report["id"], report["reference"], report["level"], report["status"]) == (
        alert["id"],
        alert["reference"],
        "kind_alarm",
        "actual",
    )
    assert (report["state"], report["version"], report["end_reason"], report["purged_at"]) == (
        "cancelled",
        3,
        "found",
        None,
    )
    # And its changes in order: received, updated (which field), cancelled (why)
    changes = [(e["event"], e["version"]) for e in report["timeline"] if "channel" not in e]
    assert changes == [("received", 1), ("updated", 2), ("cancelled", 3)]
    updated = next(e for e in report["timeline"] if e["event"] == "updated")
    assert updated["changed"] == ["contact"]
    cancelled = next(e for e in report["timeline"] if e["event"] == "cancelled")
    assert cancelled["reason"] == "found" and cancelled["at"] == report["ended_at"]
    # And every channel delivered versions 1 and 2 and retracted version 3, each after the change that caused it
    assert set(report["channels"]) == set(deployed_channels_for("kind_alarm"))
    for name, channel in report["channels"].items():
        versions = {outcome["version"]: outcome for outcome in channel["versions"]}
        assert sorted(versions) == [1, 2, 3], name
        for version in (1, 2):
            assert versions[version]["delivered"]["seconds"] >= 0, name
            assert "retracted" not in versions[version], name
        assert versions[3]["retracted"]["seconds"] >= 0 and "delivered" not in versions[3], name
        assert all(outcome["failed_attempts"] == 0 for outcome in versions.values()), name
    # And each channel event follows the change it answers in the timeline
    moments = {(e["event"], e["version"]): e["at"] for e in report["timeline"] if "channel" not in e}
    caused_by = {1: ("received", 1), 2: ("updated", 2), 3: ("cancelled", 3)}
    for entry in (e for e in report["timeline"] if "channel" in e):
        assert entry["at"] >= moments[caused_by[entry["version"]]]


def test_the_report_names_the_partners_the_posts_and_the_push_reach(client, fan_out):
    alert = shown_then_found(client, fan_out)
    channels = report_of(client, alert["id"])["channels"]
    # The partners that took it, per channel, with their last state
    assert channels["news_media"]["partners"] == {"anp": "retracted", "nos": "retracted"}
    assert channels["social_media"]["partners"] == {"facebook-politie": "retracted", "x-politie": "retracted"}
    assert channels["app_push"]["partners"] == {"app-users": "retracted"}
    # The posts made on each account: one per version shown, the ones the platforms made
    posts = channels["social_media"]["posts"]
    for account in ("x-politie", "facebook-politie"):
        made = [post["id"] for post in fan_out.sink.posts(account) if "gevonden" not in post["text"]]
        assert posts[account] == {"count": 2, "ids": made}
    assert "posts" not in channels["news_media"]
    # The push: the topics of the area's cells in both languages at each version, and the retraction those and
    # the national ones (its quiet copy, for devices that moved away); the devices filed in them when each was
    # recorded (none registered here)
    cells = area_cells(CircleArea.model_validate(AREA))
    assert cells is not None
    reach = {outcome["version"]: outcome["reach"] for outcome in channels["app_push"]["versions"]}
    assert reach == {
        1: {"topics": 2 * len(cells), "devices": 0},
        2: {"topics": 2 * len(cells), "devices": 0},
        3: {"topics": 2 * len(cells) + 2, "devices": 0},
    }
    assert "reach" not in channels["news_media"]["versions"][0]


def test_after_the_retention_purge_the_report_is_the_same_and_holds_nothing_of_the_child(
    client, aws, fan_out, monkeypatch
):
    # Given a found alert and its report
    alert = shown_then_found(client, fan_out)
    before = report_of(client, alert["id"])
    # When its retention has passed and the hourly purge has run
    later = datetime.fromisoformat(before["ended_at"]) + timedelta(days=get_settings().retention_days, seconds=1)
    monkeypatch.setattr(wiring().retention_purge, "_clock", lambda: later)
    assert scheduled(client, "purge_alerts") == {"purged": [alert["id"]]}
    assert send(client, "GET", f"/alerts/{alert['id']}").status_code == 404
    # Then the report still answers, the same but for the moment of the purge
    after = report_of(client, alert["id"])
    assert datetime.fromisoformat(after.pop("purged_at")) == later
    before.pop("purged_at")
    assert after == before
    # And neither it nor what the table keeps holds anything of the child
    kept = timeline_items(aws, alert["id"])
    assert kept, "the timeline is kept"
    text = json.dumps(after) + json.dumps(kept)
    secrets = [CHILD["name"], "Sanne", CHILD["description"], PLACE, alert["photo"]["id"], "photos/", *HEADLINE.values()]
    for secret in [*secrets, str(AREA["lat"]), str(AREA["lon"]), "0800-1234"]:
        assert secret not in text, secret
    # And no timeline item is set to expire with the child's data
    assert all("purge_at" not in item for item in kept)


def test_a_repeated_message_or_a_second_worker_adds_no_event(client, aws, fan_out):
    # Given a delivered alert and its timeline
    alert = create(client, fan_out)
    before = report_of(client, alert["id"])
    stored = timeline_items(aws, alert["id"])
    assert len(stored) == len(deployed_channels_for("kind_alarm"))
    # When SNS delivers its event again to two channels
    event = {
        "alert_id": alert["id"],
        "version": 1,
        "kind": "published",
        "level": "kind_alarm",
        "status": "actual",
        "occurred_at": alert["updated_at"],
    }
    sqs = boto3.client("sqs")
    for queue in ("NewsMediaQueueUrl", "SocialMediaQueueUrl"):
        sqs.send_message(QueueUrl=fan_out.outputs[queue], MessageBody=json.dumps(event))
    fan_out.runner.drain()
    # And a second worker of the same version records the same delivery a moment later
    record = DeliveryTable(dynamodb_client(), aws["AlertsTableName"]).get(alert["id"], "news_media")
    assert record is not None
    wiring().timeline_recorder("news_media").record(
        record.model_copy(update={"updated_at": record.updated_at + timedelta(seconds=5)})
    )
    # Then the timeline holds each event once, with its first moment
    assert timeline_items(aws, alert["id"]) == stored
    assert report_of(client, alert["id"]) == before


def test_failed_attempts_are_counted_with_the_partners_answer_and_no_more(client, fan_out):
    # Given a newsroom that fails twice before accepting
    fan_out.sink.misbehave("anp", Misbehaviour(status=503, times=2))
    alert = create(client, fan_out)
    report = report_of(client, alert["id"])
    # Then version 1 of news_media shows two failed attempts, then the delivery
    news = report["channels"]["news_media"]
    assert news["versions"][0]["failed_attempts"] == 2
    assert news["versions"][0]["delivered"]["seconds"] >= 0
    failures = [e for e in report["timeline"] if e["event"] == "failed"]
    assert [(e["channel"], e["attempt"]) for e in failures] == [("news_media", 1), ("news_media", 2)]
    for failure in failures:
        assert failure["targets"]["anp"]["state"] == "failed"
        assert failure["targets"]["anp"]["reason"] == "answered HTTP 503"
        assert failure["targets"]["nos"]["state"] == "delivered"
    assert news["partners"] == {"anp": "delivered", "nos": "delivered"}
    assert report["state"] == "active" and report["ended_at"] is None


def test_an_event_the_timeline_failed_to_store_comes_from_the_delivery_record(client, fan_out, monkeypatch):
    # Given a table that refuses the timeline's writes
    def refuse(event: Any) -> bool:
        raise RuntimeError("throttled")

    monkeypatch.setattr(wiring().timeline_table, "add", refuse)
    # When an alert goes out
    alert = create(client, fan_out)
    # Then every channel still delivered it, and the report shows it from the delivery records
    read = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)
    assert {record["state"] for record in read["deliveries"].values()} == {"delivered"}
    channels = report_of(client, alert["id"])["channels"]
    assert all(channel["versions"][0]["delivered"]["seconds"] >= 0 for channel in channels.values())


@pytest.mark.parametrize("alert_id", ["0f8fad5b-d9cb-469f-a165-70867728950e", "not-an-id"])
def test_an_unknown_alert_has_no_report(client, alert_id):
    response = send(client, "GET", f"/alerts/{alert_id}/report")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(response.body)
    assert problem["status"] == 404 and problem["errors"][0]["parameter"] == "id"


def test_the_push_reach_counts_the_devices_filed_in_the_topics_at_publish_time(client, fan_out):
    # Given two phones in the area and one far outside it
    for device_id, where in (("phone-1", UTRECHT), ("phone-2", UTRECHT), ("phone-3", (53.2194, 6.5665))):
        register(client, device_id, where)
    alert = create(client, fan_out, area=AREA)
    # Then the push's reach names the two devices its topics held when it was published
    versions = report_of(client, alert["id"])["channels"]["app_push"]["versions"]
    assert versions[0]["reach"]["devices"] == 2
