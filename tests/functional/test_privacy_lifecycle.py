"""The child's data does not linger: photo gone at cancel or expiry, details erased after retention, audit kept."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

import app as api
from chalicelib.adapters.alert_table import AlertTable
from chalicelib.adapters.clients import dynamodb_client, s3_client
from chalicelib.adapters.feed_store import FeedStore
from chalicelib.alerts.retention import RetentionPurge
from chalicelib.alerts.service import audit_record
from chalicelib.alerts.store import StaleWriteError
from chalicelib.channels.cap_feed import CapFeed
from chalicelib.config import get_settings
from chalicelib.models.audit import Actor
from chalicelib.models.photos import RENDITION_NAMES
from chalicelib.wiring import wiring
from infra.merge import merge_template
from tests.conftest import alert_body
from tests.functional.conftest import FanOut, create, send
from tests.functional.test_photos import inline, objects, phone_jpeg

CHILD = {"name": "Sanne de Vries", "age": 9, "description": "rode jas, blauwe laarzen"}
PLACE = "Speeltuin Griftpark"
BURGERNET = "arn:aws:sts::111122223333:assumed-role/burgernet-kind-alarm/operator-42"


def private_alert(client, **overrides: Any) -> dict[str, Any]:
    last_seen = {**alert_body()["last_seen"], "place": PLACE}
    return create(client, child=CHILD, last_seen=last_seen, photo=inline(phone_jpeg()), **overrides)


def items_of(aws: dict[str, str], alert: dict[str, Any]) -> list[dict[str, Any]]:
    scan = boto3.client("dynamodb").scan(TableName=aws["AlertsTableName"])["Items"]
    return [item for item in scan if alert["id"] in json.dumps(item) or alert["reference"] in json.dumps(item)]


def feed_files(aws: dict[str, str]) -> CapFeed:
    return CapFeed(FeedStore(s3_client(), aws["PhotosBucketName"]), "")


def scheduled(client, name: str) -> dict[str, Any]:
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    return dict(client.lambda_.invoke(name, event).payload)


def signed_call(method: str, path: str, resource: str, body: Any, **path_parameters: str) -> dict[str, Any]:
    """A request as API Gateway hands it over after checking Burgernet's SigV4 signature."""
    event = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "body": json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "requestId": f"req-{uuid.uuid4()}",
            "identity": {"userArn": BURGERNET, "caller": "AROAEXAMPLE:operator-42", "sourceIp": "192.0.2.1"},
        },
    }
    return dict(api.app(event, None))


def test_cancel_deletes_the_photo_and_every_rendition_at_once(client, aws):
    alert = private_alert(client)
    assert len(objects(aws)) >= len(RENDITION_NAMES)
    # When the child is found, before any channel has run
    assert send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"}).status_code == 200
    # Then no photo object is left
    assert objects(aws) == []


def test_a_passed_expiry_expires_the_alert_retracts_it_and_deletes_the_photo(client, aws, fan_out: FanOut, monkeypatch):
    alert = private_alert(client)
    fan_out.runner.drain()
    # When the scheduled expiry runs after expires_at
    later = datetime.fromisoformat(alert["expires_at"]).astimezone(timezone.utc) + timedelta(minutes=1)
    monkeypatch.setattr(wiring().alert_service, "_clock", lambda: later)
    assert scheduled(client, "expire_alerts") == {"expired": [alert["id"]]}
    # Then the alert is expired at a new version, its photo is gone, and every channel retracts
    read = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)
    assert (read["state"], read["version"]) == ("expired", 2)
    assert objects(aws) == []
    fan_out.runner.drain()
    assert {record["state"] for record in read["deliveries"].values()} == {"delivered"}
    after = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)["deliveries"]
    assert {channel: record["state"] for channel, record in after.items()} == dict.fromkeys(after, "retracted")
    retraction = fan_out.sink.deliveries("anp")[-1]["payload"]
    assert (retraction["type"], retraction["alert"]["state"]) == ("alert.retracted", "expired")
    # And a second run finds nothing more to do
    assert scheduled(client, "expire_alerts") == {"expired": []}


def test_an_alert_not_yet_due_is_left_running(client, aws):
    private_alert(client)
    assert scheduled(client, "expire_alerts") == {"expired": []}


def test_after_retention_the_child_data_is_erased_and_the_audit_trail_stays(client, aws, fan_out: FanOut):
    alert = private_alert(client)
    fan_out.runner.drain()
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    table = AlertTable(dynamodb_client(), aws["AlertsTableName"])
    stored = next(item for item in items_of(aws, alert) if item["sk"]["S"] == "ALERT")
    cancelled_at = datetime.fromisoformat(json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)["updated_at"])
    # The cancelled alert carries the table's TTL: 30 days (the default retention) after the cancel
    assert int(stored["purge_at"]["N"]) == int(cancelled_at.timestamp()) + 30 * 86400
    # Not yet due: the hourly purge leaves it
    assert scheduled(client, "purge_alerts") == {"purged": []}
    # When the retention has passed
    later = cancelled_at + timedelta(days=30, seconds=1)
    purge = RetentionPurge(table, (feed_files(aws),), clock=lambda: later)
    assert purge.run(Actor(principal="test", request_id="r")) == [alert["id"]]
    # Then the alert, its reference and its deliveries are gone; only the audit and the report's timeline remain,
    # without child data
    remaining = items_of(aws, alert)
    assert {item["kind"]["S"] for item in remaining} == {"audit", "timeline"}
    text = json.dumps(remaining)
    for secret in ("Sanne", "rode jas", PLACE, alert["photo"]["id"], "photos/"):
        assert secret not in text
    assert send(client, "GET", f"/alerts/{alert['id']}").status_code == 404
    trail = table.audit_trail(alert["id"])
    assert [(record.action, record.version) for record in trail] == [("created", 1), ("cancelled", 2), ("purged", 2)]
    assert trail[1].reason == "found" and "news_media" in trail[1].channels


def test_every_accepted_change_records_the_signed_caller_and_request_id(aws):
    body = alert_body(reference="BN-AUDIT-1")
    created_reply = signed_call("POST", "/alerts", "/alerts", body)
    assert created_reply["statusCode"] == 201
    alert = json.loads(created_reply["body"])
    patch_event_body = {"contact": {"phone": "0800-1234"}}
    path = f"/alerts/{alert['id']}"
    updated = signed_call("PATCH", path, "/alerts/{id}", patch_event_body, id=alert["id"])
    assert updated["statusCode"] == 428
    trail = AlertTable(dynamodb_client(), aws["AlertsTableName"]).audit_trail(alert["id"])
    assert [(record.action, record.principal) for record in trail] == [("created", BURGERNET)]
    assert trail[0].request_id.startswith("req-")
    assert set(trail[0].changed) >= {"child", "headline", "area", "expires_at"}
    # A refused change (no If-Match) left no audit record; a cancel does
    signed_call("POST", f"{path}/cancel", "/alerts/{id}/cancel", {"reason": "withdrawn"}, id=alert["id"])
    trail = AlertTable(dynamodb_client(), aws["AlertsTableName"]).audit_trail(alert["id"])
    assert [(record.action, record.principal, record.reason) for record in trail][-1] == (
        "cancelled",
        BURGERNET,
        "withdrawn",
    )


@pytest.mark.usefixtures("aws")
def test_audit_records_are_append_only_and_a_collision_writes_nothing(client, aws):
    alert = create(client, reference="BN-AUDIT-2")
    table = AlertTable(dynamodb_client(), aws["AlertsTableName"])
    current = table.get(alert["id"])
    assert current is not None
    revised = current.model_copy(update={"version": 2})
    clashing = audit_record(current, "created", Actor(principal="intruder", request_id="x"))
    # When a write would replace the existing "created" record of version 1
    with pytest.raises(StaleWriteError):
        table.replace(revised, 1, clashing)
    # Then neither the record nor the alert changed
    assert [record.principal for record in table.audit_trail(alert["id"])] == ["unsigned"]
    stored = table.get(alert["id"])
    assert stored is not None and stored.version == 1


def feed_contents(aws: dict[str, str]) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    return {key: s3.get_object(Bucket=aws["PhotosBucketName"], Key=key)["Body"].read() for key in objects(aws, "feed/")}


def test_after_retention_the_feed_files_hold_nothing_of_the_alert(client, aws, fan_out: FanOut):
    # Given an actual and an exercise alert that were shown and cancelled, and one whose retraction never ran
    actual, exercise, unretracted = (
        private_alert(client),
        private_alert(client, status="exercise", reference="BN-PRIVACY-EX"),
        private_alert(client, reference="BN-PRIVACY-LOST"),
    )
    fan_out.runner.drain()
    for alert in (actual, exercise):
        send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    cancelled = json.loads(send(client, "POST", f"/alerts/{unretracted['id']}/cancel", {"reason": "withdrawn"}).body)
    ids = [actual["id"], exercise["id"], unretracted["id"]]
    assert {f"feed/cap/{actual['id']}.xml", f"feed/sandbox/cap/{exercise['id']}.xml"} <= set(feed_contents(aws))
    assert unretracted["id"] in feed_contents(aws)["feed/feed.atom"].decode()
    # When the retention has passed and the purge runs
    later = datetime.fromisoformat(cancelled["updated_at"]) + timedelta(days=get_settings().retention_days, seconds=1)
    table = AlertTable(dynamodb_client(), aws["AlertsTableName"])
    purge = RetentionPurge(table, (feed_files(aws),), clock=lambda: later)
    assert sorted(purge.run(Actor(principal="test", request_id="r"))) == sorted(ids)
    fan_out.runner.drain()
    # Then no file under feed/ names these alerts or holds anything of the child, in either feed
    remaining = feed_contents(aws)
    assert sorted(remaining) == [
        "feed/feed.atom",
        "feed/index.json",
        "feed/sandbox/feed.atom",
        "feed/sandbox/index.json",
    ]
    text = b"".join(remaining.values()).decode()
    for secret in [*ids, "Sanne", "rode jas", PLACE, "Utrecht"]:
        assert secret not in text, secret


def test_the_bucket_expires_feed_files_after_the_retention_and_never_while_an_alert_can_run():
    # (moto's CloudFormation leaves lifecycle rules out, so the template itself is read)
    bucket = merge_template()["Resources"]["PhotosBucket"]["Properties"]
    feed = [rule for rule in bucket["LifecycleConfiguration"]["Rules"] if rule["Prefix"] == "feed/"]
    assert len(feed) == 1 and feed[0]["Status"] == "Enabled"
    # index.json and feed.atom are rewritten at every change; the oldest an active alert's line can be is its lifetime
    settings = get_settings()
    assert settings.max_alert_hours / 24 < feed[0]["ExpirationInDays"] <= settings.retention_days
