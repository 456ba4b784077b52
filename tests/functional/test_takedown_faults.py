"""The takedown promise under faults: every partner that ever got the alert gets its retraction.

For every channel, each of three faults strikes the first delivery: the function dies after target 1 of 2 (a
``BaseException`` nothing catches, then a new process), an unexpected error at target 2, and a partner that acted
but whose answer was lost. Then the child is found, and the cancel is handled before the retry of the failed
delivery (which waits on the queue). Faults enter at the AWS and HTTP boundaries (botocore's event hooks, the
partner sink, moto's queue clock), never into our code.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from moto.s3.models import s3_backends
from moto.sqs.models import sqs_backends

from chalicelib.adapters.clients import s3_client, sns_client, ssm_client
from chalicelib.channels import timeline_worker
from chalicelib.channels.targets import PartnerTarget, parse_directory, targets_for
from chalicelib.channels.timeline_worker import TimelineWorker
from chalicelib.channels.worker import IN_FLIGHT_SECONDS
from chalicelib.clock import utc_now
from devstack import partners
from devstack.sink import Misbehaviour
from tests.conftest import alert_body
from tests.functional.conftest import FanOut, create, reset_process_caches, send
from tests.functional.test_app_push import PREFIX, UTRECHT, published, register

ACCOUNT, REGION = "123456789012", "eu-west-1"
WEBHOOK_RETRACTIONS = {"news_media": "alert.retracted", "road_signs": "sign.clear", "station_screens": "screen.clear"}
FAULTS = ("crash_after_first_target", "unexpected_error_at_second_target", "answer_lost_after_partner_acted")
CHANNELS = ("news_media", "social_media", "road_signs", "station_screens", "app_push", "cap_feed", "web")
# The channels that reach their audience themselves, through one target each.
OWN_AUDIENCE = ("app_push", "cap_feed", "web")


class Crash(BaseException):
    """The function's process dies here (out of memory, timeout): no handler of ours runs after it."""


@pytest.fixture(autouse=True)
def two_partners_per_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second traffic centre and a second screen operator, so every partner channel has two targets."""
    monkeypatch.setitem(
        partners.PARTNERS,
        "road_signs",
        ((("rws-tmc", "webhook", None), ("rws-tmc-zuid", "webhook", None)), (("rws-sandbox", "webhook", None),)),
    )
    monkeypatch.setitem(
        partners.PARTNERS,
        "station_screens",
        ((("ns-screens", "webhook", None), ("ns-regio", "webhook", None)), (("ns-sandbox", "webhook", None),)),
    )


class QueueClock:
    """The channel functions' clock: real time, moved on as far as the queue's delays the test lets pass."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.offset


@pytest.fixture(autouse=True)
def queue_clock(monkeypatch: pytest.MonkeyPatch) -> QueueClock:
    clock = QueueClock()
    # The worker wiring builds for each channel function.
    monkeypatch.setattr(timeline_worker, "TimelineWorker", partial(TimelineWorker, clock=clock))
    return clock


@pytest.fixture
def slow_retries(fan_out: FanOut, monkeypatch: pytest.MonkeyPatch) -> FanOut:
    """A failed delivery comes back only when the test lets it: the cancel is handled first."""
    monkeypatch.setenv("RETRY_BASE_SECONDS", "3600")
    reset_process_caches()
    return fan_out


class Hook:
    """A botocore hook: raise ``error`` on the first ``times`` calls of an operation whose parameters ``match``.

    With ``after_call`` the error comes once AWS has answered: the call took effect, then the function died
    or lost the answer. The parameters are judged before the call and the verdict rides on its context.
    """

    def __init__(
        self,
        client: Any,
        operation: str,
        error: BaseException,
        match: Callable[[dict[str, Any]], bool],
        after_call: bool = False,
    ) -> None:
        self.struck = 0
        self._error, self._match, self._after_call = error, match, after_call
        service = client.meta.service_model.service_name
        client.meta.events.register_first(f"before-parameter-build.{service}.{operation}", self._before)
        client.meta.events.register_first(f"after-call.{service}.{operation}", self._after)

    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["strike"] = self.struck == 0 and self._match(params)
        if context["strike"] and not self._after_call:
            self.struck += 1
            raise self._error

    def _after(self, context: dict[str, Any], **_: Any) -> None:
        if context.get("strike") and self._after_call and self.struck == 0:
            self.struck += 1
            raise self._error


def public_targets(channel: str) -> tuple[PartnerTarget, ...]:
    return targets_for(parse_directory(os.environ["PARTNERS"]), channel, "actual")


def release_queued_messages(clock: QueueClock) -> None:
    """Every message waiting on a queue (a retry's backoff, a dead function's visibility timeout) is due now: the
    functions' clock moves on past the wait a retraction asked for, as it would have on the queue."""
    clock.offset += timedelta(seconds=IN_FLIGHT_SECONDS + 1)
    for queue in sqs_backends[ACCOUNT][REGION].queues.values():
        for message in queue._messages:
            message.change_visibility(0)


def read_timeout() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="https://partner.invalid")


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


def strike(channel: str, fault: str, fan_out: FanOut) -> Hook | None:
    """Arm ``fault`` for the channel's first delivery; the hook, where the fault is one."""
    if channel in OWN_AUDIENCE:
        return _strike_own_audience(channel, fault)
    first, second = public_targets(channel)[:2]
    if fault == "answer_lost_after_partner_acted":
        # The partner takes the delivery but answers after our timeout (0.5 s).
        only = {"x": "POST /2/tweets", "facebook": "POST /v21.0/politie/photos"}.get(first.platform)
        fan_out.sink.misbehave(first.name, Misbehaviour(status=200, delay_seconds=1.0, times=1, request=only))
        return None
    error: BaseException = Crash() if fault == "crash_after_first_target" else throttled("GetParameter")
    return Hook(ssm_client(), "GetParameter", error, lambda params: params.get("Name") == second.secret_parameter)


def _strike_own_audience(channel: str, fault: str) -> Hook:
    # app_push, cap_feed and web have one target (app users, the public feed, the public site): the fault strikes
    # its one call (web: the page's write).
    if channel == "app_push":
        client, operation, match = sns_client(), "Publish", _is_push_publish
    else:
        client, operation = s3_client(), "PutObject"
        match = _is_feed_write if channel == "cap_feed" else _is_page_write
    if fault == "unexpected_error_at_second_target":
        return Hook(client, operation, throttled(operation), match)
    error: BaseException = Crash() if fault == "crash_after_first_target" else read_timeout()
    return Hook(client, operation, error, match, after_call=True)


def _is_push_publish(params: dict[str, Any]) -> bool:
    return f":{PREFIX}" in str(params.get("TopicArn"))


def _is_feed_write(params: dict[str, Any]) -> bool:
    return str(params.get("Key", "")).startswith("feed/")


def _is_page_write(params: dict[str, Any]) -> bool:
    key = str(params.get("Key", ""))
    return key.startswith("site/alerts/") and key.endswith(".html")


def deliver_with_fault(client: Any, fan_out: FanOut, channel: str, fault: str) -> dict[str, Any]:
    register(client, "phone-1", UTRECHT)
    hook = strike(channel, fault, fan_out)
    response = send(client, "POST", "/alerts", alert_body(area={"type": "national"}))
    assert response.status_code == 201, response.body
    alert = dict(json.loads(response.body))
    if fault == "crash_after_first_target":
        with pytest.raises(Crash):
            fan_out.runner.drain()
        reset_process_caches()  # the next invocation is a new process
        fan_out.runner.drain()  # the other channels go on; the dead function's message waits out its timeout
    else:
        fan_out.runner.drain()
    if hook is not None:
        assert hook.struck == 1, "the fault never struck"
    if fault == "answer_lost_after_partner_acted" and channel not in OWN_AUDIENCE:
        _wait_for_late_answer(fan_out, channel)
    return alert


def _wait_for_late_answer(fan_out: FanOut, channel: str) -> None:
    first = public_targets(channel)[0].name
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if fan_out.sink.deliveries(first) or fan_out.sink.posts(first):
            return
        time.sleep(0.05)
    raise AssertionError("the slow partner never acted")


def cancel_before_the_retry(client: Any, fan_out: FanOut, alert_id: str, clock: QueueClock) -> None:
    response = send(client, "POST", f"/alerts/{alert_id}/cancel", {"reason": "found"})
    assert response.status_code == 200, response.body
    fan_out.runner.drain()  # the cancel is retracted while the failed delivery still waits
    release_queued_messages(clock)
    fan_out.runner.drain()  # now the retry of the first delivery comes back, too late to show anything


@dataclass(frozen=True)
class Shown:
    """What the country saw of the alert at the end, per channel."""

    channel: str
    alert_id: str
    fan_out: FanOut

    def assert_taken_down(self) -> None:
        getattr(self, f"_{self.channel}", self._webhooks)()

    def _webhooks(self) -> None:
        retraction = WEBHOOK_RETRACTIONS[self.channel]
        for target in public_targets(self.channel):
            received = [item["payload"]["type"] for item in self.fan_out.sink.deliveries(target.name)]
            # Every partner that ever got the alert got the retraction after it, and took it last.
            assert received and received[-1] == retraction, (target.name, received)

    def _social_media(self) -> None:
        page = f"/alerts/{self.alert_id}.html"
        posted = 0
        for target in public_targets(self.channel):
            posts = [post for post in self.fan_out.sink.posts(target.name) if page in post["text"]]
            alert_posts = [post for post in posts if "#gevonden" not in post["text"]]
            assert [post for post in alert_posts if not post["deleted"]] == [], f"a post is left live on {target.name}"
            assert len(alert_posts) <= 1, f"{target.name} got the post twice"
            posted += len(alert_posts)
            if target.platform == "x":
                assert len([post for post in posts if "#gevonden" in post["text"]]) == 1
        assert posted, "no account ever got the post"

    def _app_push(self) -> None:
        sent = published()[f"{PREFIX}nl-national"]
        fcm = [json.loads(item["message"]["GCM"])["fcmV1Message"]["message"] for item in sent]
        assert fcm[0]["android"]["collapse_key"] == self.alert_id
        # The phones show what came last under the collapse id: «Gevonden», without the child's name.
        assert fcm[-1]["android"]["collapse_key"] == self.alert_id
        assert fcm[-1]["notification"]["title"] == "Kind Alarm: Gevonden"

    def _cap_feed(self) -> None:
        bucket = next(b for name, b in s3_backends[ACCOUNT]["global"].buckets.items() if "photos" in name)
        assert self.alert_id not in bucket.keys["feed/feed.atom"].value.decode()
        message = bucket.keys[f"feed/cap/{self.alert_id}.xml"].value.decode()
        assert "<msgType>Cancel</msgType>" in message

    def _web(self) -> None:
        bucket = next(b for name, b in s3_backends[ACCOUNT]["global"].buckets.items() if "photos" in name)
        site = {key: bucket.keys[key].value for key in bucket.keys if key.startswith("site/")}
        assert "Sanne" not in site[f"site/alerts/{self.alert_id}.html"].decode()
        assert not [key for key in site if key.startswith(f"site/alerts/{self.alert_id}/")]
        assert self.alert_id not in site["site/active.json"].decode()


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_takedown_reaches_every_partner_that_got_the_alert(client, slow_retries, queue_clock, channel, fault):
    fan_out = slow_retries
    # Given the first delivery of a kind_alarm struck by a fault on this channel
    alert = deliver_with_fault(client, fan_out, channel, fault)
    # When the child is found and the cancel is handled before the failed delivery's retry
    cancel_before_the_retry(client, fan_out, alert["id"], queue_clock)
    # Then everything that was shown is taken down, nothing twice, and the record says so
    Shown(channel, alert["id"], fan_out).assert_taken_down()
    record = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)["deliveries"][channel]
    assert (record["state"], record["version"]) == ("retracted", 2)
    assert {target["state"] for target in record["targets"].values()} == {"retracted"}
    assert (
        boto3.client("sqs").get_queue_attributes(
            QueueUrl=fan_out.outputs[f"{''.join(part.title() for part in channel.split('_'))}DeadLetterQueueUrl"],
            AttributeNames=["ApproximateNumberOfMessages"],
        )["Attributes"]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_a_post_that_lands_after_the_retraction_is_deleted_when_the_retraction_is_made_again(
    client, slow_retries, queue_clock
):
    fan_out = slow_retries
    # Given X taking the post only after our timeout, and the child found before it has
    fan_out.sink.misbehave("x-politie", Misbehaviour(status=200, delay_seconds=4.0, times=1, request="POST /2/tweets"))
    alert = create(client, fan_out, area={"type": "national"})
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then the retraction is made, but not taken as the last word while the post may still land
    record = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)["deliveries"]["social_media"]
    assert record["state"] == "retracting"
    assert record["targets"]["x-politie"]["state"] == "retracting"
    _wait_for_late_answer(fan_out, "social_media")
    # When the retraction comes back after the send in flight has settled
    release_queued_messages(queue_clock)
    fan_out.runner.drain()
    # Then the late post is gone too
    Shown("social_media", alert["id"], fan_out).assert_taken_down()
    record = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)["deliveries"]["social_media"]
    assert {target["state"] for target in record["targets"].values()} == {"retracted"}
