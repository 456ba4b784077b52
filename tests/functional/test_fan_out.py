"""From a stored alert to the newsrooms: stream, dispatcher, topic, queue, channel function, partner."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import boto3
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

import app as api
from devstack.sink import Misbehaviour
from tests.functional.conftest import FanOut, create, send


def read(client, alert_id: str) -> dict[str, Any]:
    return json.loads(send(client, "GET", f"/alerts/{alert_id}").body)


def payload_types(fan_out: FanOut, partner: str) -> list[tuple[str, int]]:
    return [(d["payload"]["type"], d["payload"]["alert"]["version"]) for d in fan_out.sink.deliveries(partner)]


def test_a_created_alert_reaches_every_newsroom_signed(client, fan_out):
    # Given an alert stored through the API
    alert = create(client)
    # When the stream, dispatcher, topic, queue and channel function have run
    fan_out.runner.drain()
    # Then each public newsroom got the whole alert once, with a valid Standard Webhooks signature
    for partner in ("anp", "nos"):
        deliveries = fan_out.sink.deliveries(partner)
        assert len(deliveries) == 1
        assert deliveries[0]["verified"] is True
        assert deliveries[0]["payload"]["alert"]["child"]["name"] == "Sanne de Vries"
        assert deliveries[0]["webhook_id"] == f"{alert['id']}.v1.news_media.{partner}"
    assert fan_out.sink.deliveries("newsroom-sandbox") == []
    # And the operator sees it on the alert
    record = read(client, alert["id"])["deliveries"]["news_media"]
    assert (record["state"], record["version"], record["attempts"]) == ("delivered", 1, 1)
    assert record["targets"]["anp"]["reference"] == "anp-1"
    assert record["seconds_to_delivery"] >= 0


def test_the_signature_follows_the_standard_webhooks_scheme(client, fan_out):
    # Given a delivered alert and the newsroom's secret
    create(client)
    fan_out.runner.drain()
    secret = boto3.client("ssm").get_parameter(
        Name="/kind-alarm/local/partners/news_media/anp/secret", WithDecryption=True
    )["Parameter"]["Value"]
    delivery = fan_out.sink.deliveries("anp")[0]
    headers = delivery["signature"]
    # Then the signature is HMAC-SHA256 over "id.timestamp.body" with the decoded secret, computed here by hand
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{delivery['raw_body']}".encode()
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == expected
    # And the reference library accepts it too, while a tampered body is refused
    Webhook(secret).verify(delivery["raw_body"], headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(delivery["raw_body"].replace("Sanne", "Sandra"), headers)


def test_exercise_alerts_reach_only_the_sandbox(client, fan_out):
    create(client, status="exercise")
    fan_out.runner.drain()
    assert fan_out.sink.deliveries("anp") == fan_out.sink.deliveries("nos") == []
    assert len(fan_out.sink.deliveries("newsroom-sandbox")) == 1


def test_update_then_cancel_retracts_and_nothing_republishes(client, fan_out):
    # Given a delivered alert that is updated and then cancelled
    alert = create(client)
    fan_out.runner.drain()
    path = f"/alerts/{alert['id']}"
    send(client, "PATCH", path, {"child": {"description": "blauwe jas"}}, **{"If-Match": '"1"'})
    fan_out.runner.drain()
    send(client, "POST", f"{path}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then each newsroom saw the versions in order, ending with the retraction
    assert payload_types(fan_out, "anp") == [("alert.published", 1), ("alert.updated", 2), ("alert.retracted", 3)]
    deliveries = fan_out.sink.deliveries("anp")
    retraction = deliveries[-1]["payload"]
    assert retraction["retracts"] == deliveries[1]["reference"]
    assert "Sanne" not in json.dumps(retraction)
    assert read(client, alert["id"])["deliveries"]["news_media"]["state"] == "retracted"
    # When an old update event arrives late
    late = {"alert_id": alert["id"], "version": 2, "kind": "updated", "level": "kind_alarm", "status": "actual"}
    replay(fan_out, {**late, "occurred_at": "2026-11-28T15:00:00Z"})
    # Then nothing is published again
    assert len(fan_out.sink.deliveries("anp")) == 3


def replay(fan_out: FanOut, *events: dict[str, Any]) -> None:
    """Put events straight onto the channel queue, as SNS would (again, late or out of order)."""
    sqs = boto3.client("sqs")
    for event in events:
        sqs.send_message(QueueUrl=fan_out.outputs["NewsMediaQueueUrl"], MessageBody=json.dumps(event))
    fan_out.runner.drain()


def test_duplicate_and_reordered_events_give_one_delivery_per_version(client, fan_out):
    # Given an alert at version 2 whose events are delivered twice and out of order
    alert = create(client)
    send(client, "PATCH", f"/alerts/{alert['id']}", {"contact": {"phone": "112"}}, **{"If-Match": '"1"'})
    base = {"alert_id": alert["id"], "level": "kind_alarm", "status": "actual", "occurred_at": "2026-11-28T15:00:00Z"}
    v1, v2 = {**base, "version": 1, "kind": "published"}, {**base, "version": 2, "kind": "updated"}
    replay(fan_out, v2, v1, v2, v1, v2)
    fan_out.runner.drain()
    # Then each newsroom shows version 2 exactly once and never version 1 after it
    for partner in ("anp", "nos"):
        assert payload_types(fan_out, partner) == [("alert.updated", 2)]


def test_a_failing_newsroom_is_retried_without_repeating_the_others(client, fan_out):
    # Given a newsroom that fails twice before accepting
    fan_out.sink.misbehave("anp", Misbehaviour(status=503, times=2))
    alert = create(client)
    fan_out.runner.drain()
    # Then it got the alert in the end, and the other newsroom got it exactly once
    assert [d["verified"] for d in fan_out.sink.deliveries("anp")] == [True]
    assert len(fan_out.sink.deliveries("nos")) == 1
    record = read(client, alert["id"])["deliveries"]["news_media"]
    assert record["state"] == "delivered"
    assert record["attempts"] == 3
    assert record["targets"]["anp"]["attempts"] == 3
    assert record["targets"]["nos"]["attempts"] == 1


def test_a_newsroom_that_stays_down_ends_in_the_dead_letter_queue(client, fan_out):
    # Given a newsroom that never answers in time
    fan_out.sink.misbehave("anp", Misbehaviour(status=200, delay_seconds=1.0))
    alert = create(client)
    # When the channel has used all its attempts
    fan_out.runner.drain(timeout=60)
    # Then the event waits in the dead-letter queue for an operator, and the record says why
    assert [(m["alert_id"], m["version"]) for m in fan_out.dead_letters()] == [(alert["id"], 1)]
    record = read(client, alert["id"])["deliveries"]["news_media"]
    assert record["state"] == "failed"
    assert "anp: unreachable" in record["detail"]
    assert record["targets"]["anp"]["attempts"] == 5
    # And the newsroom that works got the alert exactly once
    assert len(fan_out.sink.deliveries("nos")) == 1


def test_a_cancel_before_anything_was_recorded_still_retracts_everywhere(client, fan_out):
    # Given an alert cancelled before any channel handled it (a partner may have taken it without a record)
    alert = create(client)
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "withdrawn"})
    fan_out.runner.drain()
    # Then every newsroom got the retraction and nothing else: the alert itself is never shown after its cancel
    for partner in ("anp", "nos"):
        received = fan_out.sink.deliveries(partner)
        assert [item["payload"]["type"] for item in received] == ["alert.retracted"]
        assert "Sanne" not in received[0]["raw_body"]
    record = read(client, alert["id"])["deliveries"]["news_media"]
    assert (record["state"], record["version"]) == ("retracted", 2)
    assert {name: target["state"] for name, target in record["targets"].items()} == {
        "anp": "retracted",
        "nos": "retracted",
    }


def test_a_stream_record_that_cannot_be_published_is_retried(client, fan_out, monkeypatch):
    # Given SNS refusing the first publish
    calls: list[int] = []
    original = api.dispatch

    def flaky_dispatch(event, context):
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            boto3.client("sns").delete_topic(TopicArn=fan_out.outputs["AlertEventsTopicArn"])
            result = original(event, context)
            boto3.client("sns").create_topic(Name="kind-alarm-local-alert-events")
            return result
        return original(event, context)

    fan_out.runner._dispatch = flaky_dispatch
    create(client)
    fan_out.runner.drain()
    assert len(calls) >= 2


def test_a_rate_limited_newsroom_is_not_hammered(client, fan_out):
    # Given a newsroom answering 429 with Retry-After: 120
    fan_out.sink.misbehave("anp", Misbehaviour(status=429, retry_after=120))
    alert = create(client)
    # When the channel has run
    fan_out.runner.drain()
    # Then it tried once, and the event waits out the partner's 120 s out of sight instead of coming straight back
    assert fan_out.sink.deliveries("anp") == []
    record = read(client, alert["id"])["deliveries"]["news_media"]
    assert (record["state"], record["targets"]["anp"]["attempts"]) == ("failed", 1)
    assert record["targets"]["anp"]["retry_after"] == 120
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=fan_out.outputs["NewsMediaQueueUrl"], AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert fan_out.dead_letters() == []
