"""The canary on moto, end to end: its test alert through the alert service (as the API writes it), the stream, the
dispatcher, SNS, every channel's queue and function, to each channel's sandbox target and back; each run judged per
channel, recorded, readable over ``GET /canary`` and measured; and nothing of it anywhere public."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.adapters.canary_table import CanaryTable
from chalicelib.adapters.clients import dynamodb_client
from chalicelib.alerts.canary import new_run
from chalicelib.channels.policy import CHANNELS
from chalicelib.channels.targets import parse_directory
from chalicelib.clock import utc_now
from chalicelib.config import get_settings
from chalicelib.http.openapi import openapi_document
from chalicelib.wiring import wiring
from devstack.partners import PARTNERS
from devstack.sink import Misbehaviour
from tests.functional.conftest import FanOut, send
from tests.functional.test_app_push import published, register
from tests.functional.test_openapi import schema
from tests.functional.test_operations import values

UTRECHT = (52.0907, 5.1214)
PUBLIC_PARTNERS = [name for public, _ in PARTNERS.values() for name, _, _ in public]
SANDBOX_PARTNERS = [name for _, sandbox in PARTNERS.values() for name, _, _ in sandbox]
# The bucket's folders of the sandbox audience: the sandbox site, its private index, the sandbox CAP feed.
SANDBOX_FOLDERS = ("site/sandbox/", "web/sandbox/", "feed/sandbox/")


@dataclass
class Clock:
    """The canary's clock: real time, moved on by the test."""

    ahead: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utc_now() + self.ahead

    def later(self, seconds: float) -> None:
        self.ahead += timedelta(seconds=seconds)


@pytest.fixture
def clock(client: Any, fan_out: FanOut, monkeypatch: pytest.MonkeyPatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(wiring().canary, "_clock", fixed)
    register(client, "test-phone", UTRECHT, test_device=True)  # the push channel's sandbox audience
    return fixed


def tick(client: Any, **detail: str) -> dict[str, Any]:
    """The scheduled canary function, once (each minute in AWS)."""
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail=detail, resources=[]
    )
    return dict(client.lambda_.invoke("canary", event).payload)


def runs(client: Any) -> list[dict[str, Any]]:
    response = send(client, "GET", "/canary")
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    return list(json.loads(response.body)["runs"])


def full_run(client: Any, fan_out: FanOut, clock: Clock) -> dict[str, Any]:
    """A run from its start to its verdict: the channels deliver, the canary cancels, the channels retract."""
    started = tick(client)["runs"]
    assert list(started.values()) == ["waiting_delivered"]
    fan_out.runner.drain()
    assert list(tick(client)["runs"].values()) == ["waiting_retracted"]
    fan_out.runner.drain()
    clock.later(61)  # past the retraction's deadline: judged even if a channel never retracted
    assert tick(client)["runs"] == {next(iter(started)): runs(client)[0]["state"]}
    return runs(client)[0]


def bucket_objects(aws: dict[str, str]) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    listing = s3.list_objects_v2(Bucket=aws["PhotosBucketName"]).get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=aws["PhotosBucketName"], Key=item["Key"])["Body"].read() for item in listing
    }


def test_a_run_passes_when_every_channel_delivers_and_retracts_in_time(client, fan_out, clock, capsys):
    # Given every channel's sandbox partner answering
    capsys.readouterr()
    # When a run goes from start to verdict
    run = full_run(client, fan_out, clock)
    # Then every channel delivered and retracted within the limit, and the run passed
    assert run["state"] == "passed", run["problems"]
    assert run["problems"] == []
    assert sorted(run["channels"]) == sorted(CHANNELS)
    for channel, check in run["channels"].items():
        assert check["delivered"] is True and check["retracted"] is True, channel
        assert 0 <= check["delivered_seconds"] <= 60 and 0 <= check["retracted_seconds"] <= 60, channel
        assert check["state"] == "retracted" and "answer" not in check, channel
    assert run["published"]["version"] == 1 and run["cancelled"]["version"] == 2
    # And every public partner's secret was found ready to use
    assert run["public_secrets"] == {
        f"{channel}/{name}": "ok" for channel, (public, _) in PARTNERS.items() for name, _, _ in public
    }
    # And it is measured: passed, and each channel's seconds per phase
    output = capsys.readouterr().out
    assert values(output, "CanaryPassed") == [("", 1.0)]
    seconds = [doc for doc in metric_documents(output) if "CanarySeconds" in doc]
    assert sorted((doc["channel"], doc["phase"]) for doc in seconds) == sorted(
        (channel, phase) for channel in CHANNELS for phase in ("delivered", "retracted")
    )


def metric_documents(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def test_the_alert_went_the_real_way_to_every_sandbox_target(client, fan_out, clock):
    run = full_run(client, fan_out, clock)
    alert = json.loads(send(client, "GET", f"/alerts/{run['alert_id']}").body)
    # The alert is a test, of no real child, written as the API writes one, and withdrawn
    assert (alert["status"], alert["level"], alert["state"]) == ("test", "kind_alarm", "cancelled")
    assert alert["reference"] == run["reference"] == f"CANARY-{run['run_id']}"
    # Each partner channel's sandbox partner took it and its retraction, with the secret it holds (signature valid)
    for partner in ("newsroom-sandbox", "rws-sandbox", "ns-sandbox"):
        received = [item for item in fan_out.sink.deliveries(partner) if item["payload"]["alert"]["id"] == alert["id"]]
        assert len(received) == 2 and all(item["verified"] for item in received), partner
    posts = fan_out.sink.posts("x-sandbox")
    assert len(posts) == 1 and posts[0]["deleted"]
    # The test devices' topics got the push and the retraction
    assert {name.rsplit("-", 1)[1] for name in published()} == {"test"}


def test_nothing_of_a_canary_reaches_the_public(client, fan_out, clock, aws):
    run = full_run(client, fan_out, clock)
    alert_id = run["alert_id"]
    # No public partner heard of it: no webhook, no post
    for partner in PUBLIC_PARTNERS:
        assert fan_out.sink.deliveries(partner) == [] and fan_out.sink.posts(partner) == [], partner
    assert all(fan_out.sink.deliveries(partner) or fan_out.sink.posts(partner) for partner in SANDBOX_PARTNERS)
    # No public push topic carried it
    for topic, messages in published().items():
        assert topic.endswith("-test") or alert_id not in json.dumps(messages), topic
    # Nothing in the bucket outside the sandbox folders names it: no public page, no index entry, no CAP message
    objects = bucket_objects(aws)
    public = {key: body for key, body in objects.items() if not key.startswith(SANDBOX_FOLDERS)}
    assert public, "the public site and feed exist"
    for key, body in public.items():
        assert alert_id not in key and alert_id.encode() not in body and b"Kanarie" not in body, key
    assert any(alert_id in key for key in objects if key.startswith("site/sandbox/"))
    assert any(alert_id in key for key in objects if key.startswith("feed/sandbox/"))
    # The public feed the API serves does not list it, nor serves its CAP message
    assert alert_id.encode() not in send(client, "GET", "/feed").body
    assert send(client, "GET", f"/alerts/{alert_id}/cap").status_code == 404


def test_a_partner_that_is_down_fails_the_run_naming_the_channel_and_its_answer(client, fan_out, clock, capsys):
    # Given the sandbox newsroom answering 503 to everything
    fan_out.sink.misbehave("newsroom-sandbox", Misbehaviour(status=503))
    capsys.readouterr()
    # When a run starts and the channels work until the limit has passed
    tick(client)
    fan_out.runner.drain()
    clock.later(61)
    assert list(tick(client)["runs"].values()) == ["waiting_retracted"]
    fan_out.runner.drain()
    clock.later(61)
    tick(client)
    # Then the run failed, naming news_media and what its partner answered; the other channels passed
    run = runs(client)[0]
    assert run["state"] == "failed"
    news = run["channels"]["news_media"]
    assert (news["delivered"], news["retracted"], news["state"]) == (False, False, "failed")
    assert news["answer"] == "newsroom-sandbox: answered HTTP 503"
    assert run["problems"] == [
        "news_media: not delivered within 60 s (newsroom-sandbox: answered HTTP 503)",
        "news_media: not retracted within 60 s (newsroom-sandbox: answered HTTP 503)",
    ]
    others = {name: check for name, check in run["channels"].items() if name != "news_media"}
    assert all(check["delivered"] and check["retracted"] for check in others.values())
    # And the failure is measured, with the seconds of the channels that did their part
    output = capsys.readouterr().out
    assert values(output, "CanaryPassed") == [("", 0.0)]
    assert "news_media" not in {channel for channel, _ in values(output, "CanarySeconds")}


def test_a_public_partners_secret_that_cannot_be_used_fails_the_run_naming_it_and_nothing_reaches_them(
    client, fan_out, clock
):
    # Given a public newsroom's secret gone and a traffic centre's with a character in it that is not base64
    directory = parse_directory(get_settings().partners)
    [anp] = [target for target in directory.channels["news_media"].public if target.name == "anp"]
    [rws] = directory.channels["road_signs"].public
    ssm = boto3.client("ssm")
    ssm.delete_parameter(Name=anp.secret_parameter)
    ssm.put_parameter(Name=rws.secret_parameter, Value="whsec_a!b", Type="SecureString", Overwrite=True)
    # When a run goes its whole way
    run = full_run(client, fan_out, clock)
    # Then it failed with one sentence per secret, naming the channel, the parameter and the cause
    assert run["state"] == "failed"
    assert run["problems"][0] == f"news_media: secret {anp.secret_parameter}: ParameterNotFound"
    assert run["problems"][1].startswith(f"road_signs: secret {rws.secret_parameter}: not base64")
    assert len(run["problems"]) == 2
    assert run["public_secrets"]["news_media/anp"] == f"secret {anp.secret_parameter}: ParameterNotFound"
    assert run["public_secrets"]["news_media/nos"] == "ok"
    # And the channels themselves passed on the sandbox, and no public partner was sent anything
    assert all(check["delivered"] and check["retracted"] for check in run["channels"].values())
    for partner in PUBLIC_PARTNERS:
        assert fan_out.sink.deliveries(partner) == [] and fan_out.sink.posts(partner) == [], partner


def test_a_run_whose_channels_do_not_deliver_in_time_fails_and_is_still_taken_down(client, fan_out, clock):
    # Given a run started, and the limit passed before any channel function ran
    tick(client)
    clock.later(61)
    # When the canary looks again, it cancels without waiting longer
    assert list(tick(client)["runs"].values()) == ["waiting_retracted"]
    fan_out.runner.drain()
    tick(client)
    # Then the run failed on every channel's delivery, and every channel still retracted the alert
    run = runs(client)[0]
    assert run["state"] == "failed"
    assert run["problems"] == [f"{channel}: not delivered within 60 s" for channel in CHANNELS]
    for channel, check in run["channels"].items():
        assert check["delivered"] is False and "delivered_seconds" not in check, channel
        assert check["retracted"] is True, channel


def test_one_run_per_period_however_often_the_schedule_fires(client, fan_out, clock):
    first = tick(client)
    second = tick(client)
    assert len(first["runs"]) == 1 and set(second["runs"]) == set(first["runs"])
    assert len(runs(client)) == 1
    # The next period brings the next run
    clock.later(6 * 3600)
    assert len(tick(client)["runs"]) == 2
    assert len(runs(client)) == 2


def test_an_operator_starts_a_run_at_once_outside_the_schedule(client, fan_out, clock):
    tick(client)
    started = tick(client, start="now")["runs"]
    manual = [run_id for run_id in started if run_id.endswith("-manual")]
    assert len(manual) == 1 and started[manual[0]] == "waiting_delivered"
    assert runs(client)[0]["run_id"] == manual[0]


def test_get_canary_lists_the_latest_runs_newest_first(client, aws):
    # Given more runs than the answer holds
    table = CanaryTable(dynamodb_client(), aws["AlertsTableName"])
    start = datetime(2026, 11, 1, tzinfo=utc_now().tzinfo)
    for index in range(30):
        moment = start + timedelta(hours=6 * index)
        table.insert(new_run(moment.strftime("%Y%m%dT%H%M%SZ"), moment, timedelta(seconds=60)))
    # When Burgernet asks
    shown = runs(client)
    # Then it sees the newest 28, newest first, without child data or storage fields
    assert len(shown) == 28
    assert [run["run_id"] for run in shown] == sorted((run["run_id"] for run in shown), reverse=True)
    assert shown[0]["run_id"] == (start + timedelta(hours=6 * 29)).strftime("%Y%m%dT%H%M%SZ")
    assert "revision" not in shown[0] and "purge_at" not in shown[0]


def test_the_answer_is_what_the_openapi_document_describes(client, fan_out, clock):
    full_run(client, fan_out, clock)
    answer = json.loads(send(client, "GET", "/canary").body)
    assert list(schema(openapi_document(), "CanaryRuns").iter_errors(answer)) == []
