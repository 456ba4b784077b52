"""Review of issue 16's wiring: each function loads only its own parts, and an ended alert's photo is never read."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from chalicelib.alerts import lifecycle
from chalicelib.channels.base import Asset, Assets, ChannelDefaults, Preview
from chalicelib.channels.policy import CHANNELS
from chalicelib.channels.targets import PartnerTarget, with_own_audiences
from chalicelib.channels.worker import ChannelWorker
from chalicelib.config import Settings
from chalicelib.models.alert import Alert, AlertCreate
from chalicelib.models.events import AlertEvent, DeliveryRecord, DeliveryState, TargetResult
from chalicelib.models.validation import parse_model
from chalicelib.wiring import Wiring
from tests.conftest import alert_body

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("PIL", "h3", "shapely", "standardwebhooks", "twitter_text", "numpy")
# Set up once (moto, the resources, one alert created through the API), then each step in a fork of that process:
# what the step loads is what its function would load on a warm start after the create.
STEPS = r"""
import json, os, sys
import boto3
from chalice.test import Client
from moto import mock_aws
from devstack.partners import local_partners
from devstack.resources import deploy_resources
from devstack.samples import sample_alert
from devstack.wiring import function_environment

HEAVY, steps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
CAP = (
    '<?xml version="1.0" encoding="UTF-8"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
    "<identifier>{identifier}</identifier><sender>burgernet@politie.nl</sender><sent>2026-11-28T15:00:00+00:00</sent>"
    "<status>Actual</status><msgType>{kind}</msgType><scope>Public</scope>{rest}</alert>"
)
INFO = (
    "<info><language>nl-NL</language><category>Rescue</category><event>Kind Alarm</event><urgency>Immediate</urgency>"
    "<severity>Severe</severity><certainty>Likely</certainty><headline>Zoe (7) vermist in Utrecht</headline>"
    "<instruction>Zie je Zoe? Bel 112.</instruction><contact>0800-6070</contact><parameter><valueName>childName"
    "</valueName><value>Zoe Jansen</value></parameter><area><areaDesc>Utrecht</areaDesc>"
    "<circle>52.0894,5.1101 15</circle></area></info>"
)


def watched():
    return {name for name in sys.modules if name.split(".")[0] in HEAVY or name.startswith("chalicelib.")}


with mock_aws():
    outputs = deploy_resources("local", boto3.session.Session())
    directory, _ = local_partners("http://127.0.0.1:9", "local")  # nothing listens: partner calls fail at once
    os.environ.update(function_environment(outputs, "local", directory, retry_base_seconds=0))
    import app
    from chalicelib.wiring import reset

    reset()
    with Client(app.app, stage_name="local") as client:
        json_type = {"content-type": "application/json"}
        reply = client.http.post("/alerts", headers=json_type, body=json.dumps(sample_alert()))
        alert = json.loads(reply.body)
        event = json.dumps(
            {"alert_id": alert["id"], "version": 1, "kind": "published", "level": "kind_alarm", "status": "actual",
             "occurred_at": "2026-11-28T15:00:00+00:00"}
        )
        cap_type = {"content-type": "application/cap+xml"}
        requests = {
            "GET /alerts/{id}": lambda: client.http.get(f"/alerts/{alert['id']}").status_code,
            "PATCH /alerts/{id}": lambda: client.http.patch(
                f"/alerts/{alert['id']}", headers={**json_type, "if-match": '"1"'},
                body=json.dumps({"headline": {"nl": "Sanne (9) vermist in Zeist"}}),
            ).status_code,
            "POST /alerts/{id}/cancel": lambda: client.http.post(
                f"/alerts/{alert['id']}/cancel", headers=json_type, body=json.dumps({"reason": "found"})
            ).status_code,
            "POST /alerts (CAP Alert)": lambda: client.http.post(
                "/alerts", headers=cap_type, body=CAP.format(identifier="NL-BN-9", kind="Alert", rest=INFO)
            ).status_code,
            "POST /alerts (CAP Cancel)": lambda: client.http.post(
                "/alerts", headers=cap_type, body=CAP.format(
                    identifier="NL-BN-10", kind="Cancel", rest=f"<references>x,{alert['reference']},y</references>"
                )
            ).status_code,
        }
        for channel in ("app_push", "social_media", "news_media", "road_signs", "station_screens", "cap_feed", "web"):
            queue = f"kind-alarm-local-{channel}"
            requests[channel] = lambda channel=channel, queue=queue: client.lambda_.invoke(
                channel, client.events.generate_sqs_event([event], queue_name=queue)
            ).payload
        results = {}
        for step in steps:
            read, write = os.pipe()
            if os.fork() == 0:
                os.close(read)
                before = watched()
                answer = requests[step]()
                loaded = sorted(watched() - before)
                os.write(write, json.dumps({"answer": answer, "loaded": loaded}).encode())
                os._exit(0)
            os.close(write)
            with os.fdopen(read) as pipe:
                results[step] = json.loads(pipe.read())
            os.wait()
print(json.dumps({"created": reply.status_code, "results": results}))
"""


def run_steps(*steps: str) -> dict[str, Any]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "WEBHOOK_TIMEOUT_SECONDS": "0.5",
    }
    command = [sys.executable, "-c", STEPS, json.dumps(HEAVY), json.dumps(steps)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, env=environment)
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["created"] == 201
    results: dict[str, Any] = outcome["results"]
    return results


def channel_modules(loaded: list[str]) -> set[str]:
    return {name.rsplit(".", 1)[1] for name in loaded if name.startswith("chalicelib.channels.")}


# Beside its own module, what every channel function shares (the worker and the shape) and what some need.
SHARED = {
    "base",
    "worker",
    "timeline_worker",
    "targets",
    "texts",
    "policy",
    "webhook_channel",
    "push_topics",
    "versioned_files",
}


def test_each_channel_function_loads_its_own_channel_and_no_other():
    results = run_steps(*CHANNELS)
    for channel in CHANNELS:
        loaded = results[channel]["loaded"]
        assert channel_modules(loaded) - SHARED == {channel}, channel
        # No other channel's transport or drawing: push and H3 only for app_push, the social client only for
        # social_media, Pillow only for the visual channels (the public page carries the social card)
        assert ("chalicelib.adapters.push" in loaded) == (channel == "app_push"), channel
        assert ("h3" in loaded) == (channel == "app_push"), channel
        assert ("chalicelib.adapters.social" in loaded) == (channel == "social_media"), channel
        assert ("PIL" in loaded) == (channel in ("social_media", "road_signs", "station_screens", "web")), channel
        # The webhook signer only where webhooks go out
        webhooks = channel in ("news_media", "road_signs", "station_screens")
        assert ("standardwebhooks" in loaded) == webhooks, channel


API_REQUESTS = (
    "GET /alerts/{id}",
    "PATCH /alerts/{id}",
    "POST /alerts/{id}/cancel",
    "POST /alerts (CAP Alert)",
    "POST /alerts (CAP Cancel)",
)


def test_the_api_loads_no_channel_pillow_or_webhooks_for_a_read_an_update_a_cancel_or_cap():
    results = run_steps(*API_REQUESTS)
    for request in API_REQUESTS:
        answer, loaded = results[request]["answer"], results[request]["loaded"]
        assert answer in (200, 201), request
        assert channel_modules(loaded) <= {"checks", "policy", "texts"}, (request, loaded)
        assert not {"PIL", "standardwebhooks", "h3", "shapely"} & set(loaded), (request, loaded)


# The wiring, in process.

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)


def an_alert(**overrides: Any) -> Alert:
    body = alert_body(**overrides)
    return lifecycle.new_alert(parse_model(AlertCreate, body), "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b", NOW)


def test_an_unknown_channel_name_is_refused_before_any_module_is_imported():
    parts = Wiring(Settings())
    for name in ("radio", "policy", "base", "../config", "app_push.x"):
        with pytest.raises(LookupError):
            parts.channel(name)


def test_every_channel_module_builds_its_channel_under_its_name():
    parts = Wiring(Settings())
    for name in CHANNELS:
        built = parts.channel(name)
        assert built.name == name
        assert parts.channel(name) is built  # once per process


class PhotosThatMustNotBeRead:
    def master(self, photo_id: str | None) -> bytes | None:
        raise AssertionError(f"the master photo was read for {photo_id}")

    def urls(self, photo_id: str | None) -> dict[str, str]:
        raise AssertionError(f"photo links were made for {photo_id}")

    def rendition(self, photo_id: str | None, name: str) -> bytes | None:
        raise AssertionError(f"the {name} photo was read for {photo_id}")


def test_assets_read_no_photo_a_channel_does_not_need(monkeypatch):
    parts = Wiring(Settings())
    monkeypatch.setattr(Wiring, "photo_service", PhotosThatMustNotBeRead())
    assets = parts.assets(an_alert(), frozenset())
    assert (assets.photo, dict(assets.photo_urls), assets.page_photo) == (None, {}, None)
    assert assets.public_page.endswith(".html")


class Recorder(ChannelDefaults):
    """A channel that records what it was asked to render and do."""

    name = "news_media"
    needs: frozenset[Asset] = frozenset({"photo", "photo_urls"})

    def __init__(self) -> None:
        self.rendered: list[tuple[str, Assets]] = []

    def render(self, alert: Alert, assets: Assets) -> dict[str, Any]:
        self.rendered.append((alert.state, assets))
        return {"state": alert.state}

    def preview(self, content: dict[str, Any]) -> Preview:
        return Preview("application/json", json.dumps(content))

    def deliver(self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, shown: str | None) -> str:
        return "shown"

    def retract(self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, shown: str | None) -> None:
        return None


class Records:
    """An in-memory delivery store; ``stale_after`` puts_target calls succeed, the next raises StaleWriteError."""

    def __init__(self, stale_after: int | None = None) -> None:
        self.records: dict[str, DeliveryRecord] = {}
        self._stale_after = stale_after
        self._puts = 0

    def get(self, alert_id: str, channel: str) -> DeliveryRecord | None:
        return self.records.get(alert_id)

    def begin(self, alert_id: str, channel: str, version: int, state: DeliveryState, now: str) -> DeliveryRecord:
        moment = datetime.fromisoformat(now)
        previous = self.records.get(alert_id)
        record = DeliveryRecord(
            alert_id=alert_id,
            channel=channel,
            state=state,
            version=version,
            attempts=1,
            targets=previous.targets if previous else {},
            created_at=moment,
            updated_at=moment,
        )
        self.records[alert_id] = record
        return record

    def put_target(self, alert_id: str, channel: str, version: int, name: str, result: TargetResult) -> None:
        from chalicelib.alerts.store import StaleWriteError

        self._puts += 1
        if self._stale_after is not None and self._puts > self._stale_after:
            raise StaleWriteError(alert_id)

    def claim_target(self, *args: Any) -> None:
        self.put_target(*args[:5])

    def finish(self, record: DeliveryRecord) -> None:
        self.records[record.alert_id] = record


class Alerts:
    def __init__(self, *versions: Alert) -> None:
        self._versions = list(versions)

    def get(self, alert_id: str) -> Alert | None:
        return self._versions.pop(0) if len(self._versions) > 1 else self._versions[0]


def worker_for(channel: Recorder, alerts: Alerts, records: Records, parts: Wiring) -> ChannelWorker:
    from chalicelib.channels.targets import parse_directory

    directory = parse_directory(
        json.dumps(
            {
                "channels": {
                    "news_media": {
                        "public": [{"name": "anp", "url": "https://anp.invalid/", "secret_parameter": "/anp"}]
                    }
                }
            }
        )
    )
    return ChannelWorker(channel, alerts, records, with_own_audiences(directory), parts.assets)


def cancelled(alert: Alert) -> Alert:
    return lifecycle.cancel(alert, "found", NOW)


def test_a_retraction_and_its_catch_up_read_no_photo(monkeypatch):
    # Given an alert with a photo that has been cancelled (its photo is deleted when every channel retracted)
    parts = Wiring(Settings())
    monkeypatch.setattr(Wiring, "photo_service", PhotosThatMustNotBeRead())
    active = an_alert().model_copy(update={"photo_id": "p-1"})
    ended = cancelled(active)
    channel = Recorder()
    # When a channel retracts it
    event = AlertEvent(
        alert_id=ended.id, version=ended.version, kind="cancelled", level=ended.level, status=ended.status,
        occurred_at=NOW,
    )  # fmt: skip
    worker_for(channel, Alerts(ended), Records(), parts).handle(event)
    # And when a send of the active version is overtaken by the cancel and catches up with it
    late = AlertEvent(
        alert_id=active.id, version=active.version, kind="published", level=active.level, status=active.status,
        occurred_at=NOW,
    )  # fmt: skip
    monkeypatch.setattr(Wiring, "photo_service", _Photos())
    worker_for(channel, Alerts(active, ended), Records(stale_after=1), parts).handle(late)
    # Then only the active version's render had the photo; the ended alert's renders had none
    for state, assets in channel.rendered:
        if state != "active":
            assert (assets.photo, dict(assets.photo_urls)) == (None, {}), state
    assert [state for state, _ in channel.rendered] == ["cancelled", "active", "cancelled"]


class _Photos:
    def master(self, photo_id: str | None) -> bytes | None:
        return b"jpeg" if photo_id else None

    def urls(self, photo_id: str | None) -> dict[str, str]:
        return {"master": "https://photos.invalid/master.jpg"} if photo_id else {}
