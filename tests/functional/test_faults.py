"""Faults on the way out: a partner that times out, SNS throttling, a crash between delivering and recording.

Faults are injected at the AWS and HTTP boundaries (botocore's event hooks, the partner sink), never into our
code. Each test shows nothing is lost, a repeat carries the same id so the receiver shows it once, and the
other channels are unaffected.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.clients import dynamodb_client, sns_client
from chalicelib.channels.policy import CHANNELS
from devstack.sink import Misbehaviour
from tests.functional.conftest import FanOut, create, send
from tests.functional.test_app_push import PREFIX, UTRECHT, published, register


def deliveries(client, alert_id: str) -> dict[str, dict[str, Any]]:
    return dict(json.loads(send(client, "GET", f"/alerts/{alert_id}").body)["deliveries"])


def assert_every_channel_delivered_once(client, alert_id: str) -> None:
    records = deliveries(client, alert_id)
    assert sorted(records) == sorted(CHANNELS)
    assert {name: record["state"] for name, record in records.items()} == dict.fromkeys(CHANNELS, "delivered")


def webhook_ids(fan_out: FanOut, partner: str) -> Counter[str]:
    return Counter(item["webhook_id"] for item in fan_out.sink.deliveries(partner))


class Hook:
    """A botocore hook that fails the first ``times`` matching calls of one operation."""

    def __init__(self, client: Any, event: str, error: Exception, times: int, match: Any = None) -> None:
        self.failed = 0
        self._error, self._times, self._match = error, times, match or (lambda params: True)
        client.meta.events.register_first(event, self)

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        if self.failed < self._times and self._match(params):
            self.failed += 1
            raise self._error


def test_a_partner_that_times_out_gets_the_retry_with_the_same_webhook_id(client, fan_out: FanOut):
    # Given a newsroom that takes the first delivery but answers after our timeout (0.5 s)
    fan_out.sink.misbehave("anp", Misbehaviour(status=200, delay_seconds=1.0, times=1))
    alert = create(client)
    fan_out.runner.drain()
    deadline = time.monotonic() + 10
    while len(fan_out.sink.deliveries("anp")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the slow first answer lands in the sink after the retry
    # Then the retry carried the same webhook-id, so the newsroom can show it once
    ids = webhook_ids(fan_out, "anp")
    assert list(ids) == [f"{alert['id']}.v1.news_media.anp"] and ids.most_common(1)[0][1] == 2
    assert [item["duplicate"] for item in fan_out.sink.deliveries("anp")] == [False, True]
    # And the other newsroom and every other channel delivered exactly once
    assert sum(webhook_ids(fan_out, "nos").values()) == 1
    assert_every_channel_delivered_once(client, alert["id"])
    assert deliveries(client, alert["id"])["news_media"]["targets"]["nos"]["attempts"] == 1


def test_sns_throttling_the_dispatcher_loses_no_change(client, fan_out: FanOut):
    # Given SNS throttling the dispatcher's first three publishes (after botocore's own retries)
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")
    hook = Hook(sns_client(), "before-parameter-build.sns.Publish", throttled, times=3)
    alert = create(client)
    send(client, "PATCH", f"/alerts/{alert['id']}", {"contact": {"phone": "0800-1111"}}, **{"If-Match": '"1"'})
    fan_out.runner.drain()
    # Then the stream records were retried until published, and every channel shows the latest version once
    assert hook.failed == 3
    records = deliveries(client, alert["id"])
    assert {name: (r["state"], r["version"]) for name, r in records.items()} == dict.fromkeys(
        CHANNELS, ("delivered", 2)
    )
    versions = [item["payload"]["alert"]["version"] for item in fan_out.sink.deliveries("nos")]
    assert versions == sorted(set(versions)) and versions[-1] == 2


@pytest.mark.parametrize("channel", ["news_media", "app_push"])
def test_a_crash_between_delivering_and_recording_repeats_with_the_same_ids(client, fan_out: FanOut, channel):
    # Given the channel's function dying after the partner took the delivery, before the record was written
    crash = ConnectionError("the function was stopped")
    hook = Hook(
        dynamodb_client(),
        "before-parameter-build.dynamodb.UpdateItem",
        crash,
        times=1,
        match=lambda params: (
            params["Key"]["sk"]["S"] == f"DELIVERY#{channel}"
            and params.get("ExpressionAttributeValues", {}).get(":result", {}).get("M", {}).get("state")
            == {"S": "delivered"}
        ),
    )
    register(client, "phone-1", UTRECHT)
    alert = create(client, area={"type": "national"})
    fan_out.runner.drain()
    # Then the message came back and the delivery was made again, recognisably the same
    assert hook.failed == 1
    assert_every_channel_delivered_once(client, alert["id"])
    if channel == "news_media":
        # The newsroom whose answer was lost gets the same delivery again; the other one, recorded, only once
        assert webhook_ids(fan_out, "anp") == Counter({f"{alert['id']}.v1.news_media.anp": 2})
        assert webhook_ids(fan_out, "nos") == Counter({f"{alert['id']}.v1.news_media.nos": 1})
    else:
        sent = published()[f"{PREFIX}nl-national"]
        keys = [
            json.loads(item["message"]["GCM"])["fcmV1Message"]["message"]["android"]["collapse_key"] for item in sent
        ]
        assert keys == [alert["id"], alert["id"]]
    # And no other channel repeated anything
    assert sum(webhook_ids(fan_out, "rws-tmc").values()) == 1
