"""The canary's runs as a state machine: started → waiting_delivered → cancelling → waiting_retracted → passed or
failed, each wait with its deadline; the alert service, the delivery records and the run store in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.alerts import lifecycle
from chalicelib.alerts.canary import (
    ANSWER_CHARS,
    Canary,
    CanaryRun,
    judge,
    new_run,
    partner_answer,
    period_start,
    run_id_at,
)
from chalicelib.alerts.service import Created
from chalicelib.alerts.store import StaleWriteError
from chalicelib.channels.policy import CHANNELS
from chalicelib.errors import AlertBusyError, FieldError, InvalidAlertError, KindAlarmError
from chalicelib.models.alert import Alert, AlertCreate
from chalicelib.models.audit import Actor
from chalicelib.models.events import DeliveryRecord, DeliveryState, TargetResult
from chalicelib.models.validation import parse_model

START = datetime(2026, 11, 29, 12, 0, 20, tzinfo=timezone.utc)
LIMIT = timedelta(seconds=60)
EVERY = timedelta(hours=6)
ACTOR = Actor(principal="kind-alarm:canary", request_id="r1")


class Runs:
    """The run store in memory, with the same conditional writes as the table."""

    def __init__(self) -> None:
        self.stored: dict[str, CanaryRun] = {}

    def latest(self, count: int) -> list[CanaryRun]:
        return sorted(self.stored.values(), key=lambda run: run.run_id, reverse=True)[:count]

    def insert(self, run: CanaryRun) -> None:
        if run.run_id in self.stored:
            raise StaleWriteError(run.run_id)
        self.stored[run.run_id] = run

    def replace(self, run: CanaryRun, revision: int) -> CanaryRun:
        if self.stored[run.run_id].revision != revision:
            raise StaleWriteError(run.run_id)
        self.stored[run.run_id] = run.model_copy(update={"revision": revision + 1})
        return self.stored[run.run_id]


@dataclass
class Alerts:
    """The alert service's create and cancel, in memory; ``refusal`` and ``busy`` make them fail."""

    now: datetime
    created: list[dict[str, Any]] = field(default_factory=list)
    cancels: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, Alert] = field(default_factory=dict)
    refusal: KindAlarmError | None = None
    busy: int = 0

    def create(self, body: Any, actor: Actor) -> Created:
        if self.refusal is not None:
            raise self.refusal
        self.created.append(body)
        known = next((alert for alert in self.stored.values() if alert.reference == body["reference"]), None)
        if known is not None:
            return Created(known, False)
        alert = lifecycle.new_alert(parse_model(AlertCreate, body), f"a{len(self.stored) + 1}", self.now)
        self.stored[alert.id] = alert
        return Created(alert, True)

    def cancel(self, alert_id: str, body: Any, expected_version: int | None, actor: Actor) -> Alert:
        if self.busy:
            self.busy -= 1
            raise AlertBusyError(alert_id)
        self.cancels.append(body)
        alert = self.stored[alert_id]
        if alert.state == "active":
            self.stored[alert_id] = lifecycle.cancel(alert, body["reason"], self.now)
        return self.stored[alert_id]


@dataclass
class Deliveries:
    records: dict[str, DeliveryRecord] = field(default_factory=dict)

    def for_alert(self, alert_id: str) -> list[DeliveryRecord]:
        return [record for record in self.records.values() if record.alert_id == alert_id]

    def channel(
        self, alert: Alert, channel: str, state: DeliveryState, seconds: float | None = 2.0, **targets: TargetResult
    ) -> None:
        """The channel's record in ``state``, with ``targets`` (by default one sandbox target in that state)."""
        if not targets:
            targets = {"sandbox": TargetResult(state=state, version=alert.version, updated_at=alert.updated_at)}
        self.records[channel] = DeliveryRecord(
            alert_id=alert.id,
            channel=channel,
            state=state,
            version=alert.version,
            targets=targets,
            created_at=alert.updated_at,
            updated_at=alert.updated_at,
            seconds_to_delivery=seconds if state in ("delivered", "retracted") else None,
        )

    def every_channel(self, alert: Alert, state: DeliveryState, seconds: float = 2.0) -> None:
        for channel in CHANNELS:
            self.channel(alert, channel, state, seconds)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Scene:
    clock: Clock
    alerts: Alerts
    deliveries: Deliveries
    runs: Runs
    finished: list[CanaryRun]
    canary: Canary

    def tick(self) -> CanaryRun:
        self.alerts.now = self.clock()
        self.canary.tick(ACTOR)
        return self.runs.latest(1)[0]

    def alert(self) -> Alert:
        return list(self.alerts.stored.values())[-1]


@pytest.fixture
def scene() -> Scene:
    clock, alerts, deliveries, runs = Clock(), Alerts(START), Deliveries(), Runs()
    finished: list[CanaryRun] = []
    canary = Canary(alerts, deliveries, runs, EVERY, LIMIT, clock=clock, on_finished=finished.append)
    return Scene(clock, alerts, deliveries, runs, finished, canary)


def failed_target(detail: str, version: int = 1) -> TargetResult:
    return TargetResult(state="failed", version=version, attempts=3, detail=detail, updated_at=START)


# --- the schedule ----------------------------------------------------------------------------------------------


def test_periods_are_counted_from_the_epoch_so_a_late_tick_stays_in_its_period():
    assert period_start(datetime(2026, 11, 29, 13, 27, tzinfo=timezone.utc), EVERY) == datetime(
        2026, 11, 29, 12, 0, tzinfo=timezone.utc
    )
    assert period_start(datetime(2026, 11, 29, 17, 59, 59, tzinfo=timezone.utc), EVERY).hour == 12
    assert period_start(datetime(2026, 11, 29, 18, 0, 40, tzinfo=timezone.utc), EVERY).hour == 18
    five = period_start(datetime(2026, 11, 29, 12, 7, 30, tzinfo=timezone.utc), timedelta(minutes=5))
    assert (five.minute, five.second) == (5, 0)
    assert run_id_at(five) == "20261129T120500Z"


def test_a_tick_starts_this_periods_run_once(scene):
    first = scene.tick()
    scene.clock.later(60)
    scene.tick()
    scene.clock.later(3600)
    scene.tick()
    assert first.run_id == "20261129T120000Z"
    assert list(scene.runs.stored) == [first.run_id]
    assert len(scene.alerts.stored) == 1
    scene.clock.later(5 * 3600)
    assert scene.tick().run_id == "20261129T180000Z"


def test_a_started_run_creates_its_test_alert_through_the_service_and_waits_for_the_deliveries(scene):
    run = scene.tick()
    assert run.state == "waiting_delivered"
    [body] = scene.alerts.created
    assert (body["status"], body["level"], body["reference"]) == ("test", "kind_alarm", run.reference)
    assert body["child"]["name"] == "Kanarie Test" and "photo" not in body and "photo_id" not in body
    assert run.alert_id == scene.alert().id
    assert run.published is not None and run.published.version == 1
    assert run.deadline == START + LIMIT


def test_a_manual_run_starts_whatever_the_schedule(scene):
    scene.tick()
    manual = scene.canary.start(ACTOR)
    assert manual is not None and manual.run_id == "20261129T120020Z-manual"
    assert manual.state == "waiting_delivered" and len(scene.alerts.stored) == 2


# --- delivered -------------------------------------------------------------------------------------------------


def test_it_waits_while_a_channel_has_not_delivered_before_the_deadline(scene):
    scene.tick()
    for channel in CHANNELS[:-1]:
        scene.deliveries.channel(scene.alert(), channel, "delivered")
    scene.clock.later(59)
    assert scene.tick().state == "waiting_delivered"
    assert scene.alerts.cancels == []


def test_once_every_channel_delivered_it_cancels_at_once_and_waits_for_the_retractions(scene):
    scene.tick()
    scene.deliveries.every_channel(scene.alert(), "delivered", seconds=3.5)
    scene.clock.later(10)
    run = scene.tick()
    assert run.state == "waiting_retracted"
    assert scene.alerts.cancels == [{"reason": "withdrawn"}]
    assert run.cancelled is not None and run.cancelled.version == 2
    assert run.deadline == scene.clock() + LIMIT
    assert {check.delivered_seconds for check in run.channels.values()} == {3.5}
    assert all(check.delivered and check.retracted is None for check in run.channels.values())


def test_at_the_deadline_a_missing_channel_fails_with_its_partners_answer_and_the_alert_is_still_cancelled(scene):
    scene.tick()
    alert = scene.alert()
    scene.deliveries.every_channel(alert, "delivered")
    scene.deliveries.channel(alert, "news_media", "failed", **{"newsroom-sandbox": failed_target("answered HTTP 503")})
    scene.clock.later(60)
    run = scene.tick()
    assert run.state == "waiting_retracted"
    news = run.channels["news_media"]
    assert (news.delivered, news.state, news.answer) == (False, "failed", "newsroom-sandbox: answered HTTP 503")
    assert run.problems == ["news_media: not delivered within 60 s (newsroom-sandbox: answered HTTP 503)"]


def test_a_channel_that_delivered_over_the_limit_fails_with_its_seconds(scene):
    scene.tick()
    scene.deliveries.every_channel(scene.alert(), "delivered")
    scene.deliveries.channel(scene.alert(), "road_signs", "delivered", seconds=75.0)
    scene.clock.later(80)
    run = scene.tick()
    signs = run.channels["road_signs"]
    assert (signs.delivered, signs.delivered_seconds) == (False, 75.0)
    assert run.problems == ["road_signs: delivered after 75 s, over the 60 s limit"]


def test_a_channel_without_any_record_fails_without_an_answer(scene):
    scene.tick()
    scene.clock.later(61)
    run = scene.tick()
    assert run.channels["web"].state is None and run.channels["web"].answer is None
    assert "web: not delivered within 60 s" in run.problems


# --- retracted -------------------------------------------------------------------------------------------------


def delivered_and_cancelled(scene: Scene) -> CanaryRun:
    scene.tick()
    scene.deliveries.every_channel(scene.alert(), "delivered")
    scene.clock.later(5)
    return scene.tick()


def test_a_run_passes_once_every_channel_retracted_within_the_limit(scene):
    delivered_and_cancelled(scene)
    scene.deliveries.every_channel(scene.alert(), "retracted", seconds=1.25)
    scene.clock.later(5)
    run = scene.tick()
    assert run.state == "passed" and run.problems == []
    assert run.finished_at == scene.clock()
    assert scene.finished == [run]
    assert {(phase, seconds) for _, phase, seconds in run.seconds()} == {("delivered", 2.0), ("retracted", 1.25)}
    assert len(run.seconds()) == 2 * len(CHANNELS)


def test_a_retraction_of_the_cancel_only_counts_at_the_cancelled_version(scene):
    delivered_and_cancelled(scene)
    old = scene.alerts.stored[scene.alert().id].model_copy(update={"version": 1})
    scene.deliveries.every_channel(old, "retracted")  # a record of version 1: not the cancel's retraction
    scene.clock.later(30)
    assert scene.tick().state == "waiting_retracted"


def test_a_channel_that_did_not_retract_in_time_fails_the_run_with_its_answer(scene):
    delivered_and_cancelled(scene)
    cancelled = scene.alert()
    scene.deliveries.every_channel(cancelled, "retracted")
    scene.deliveries.channel(
        cancelled, "social_media", "failed", **{"x-sandbox": failed_target("answered HTTP 401", version=2)}
    )
    scene.clock.later(60)
    run = scene.tick()
    assert run.state == "failed"
    assert run.problems == ["social_media: not retracted within 60 s (x-sandbox: answered HTTP 401)"]
    assert run.channels["social_media"].delivered is True
    assert scene.finished == [run]


# --- the public partners' secrets --------------------------------------------------------------------------------


def test_a_public_secret_that_cannot_be_used_fails_a_run_whose_channels_all_passed(scene):
    # Given a public newsroom whose secret is gone, and a traffic centre's that is ready
    missing = "secret /kind-alarm/dev/partners/news_media/anp/secret: ParameterNotFound"
    checks: list[int] = []

    def check_secrets() -> dict[str, str | None]:
        checks.append(1)
        return {"news_media/anp": missing, "road_signs/rws-tmc": None}

    scene.canary = Canary(
        scene.alerts, scene.deliveries, scene.runs, EVERY, LIMIT, clock=scene.clock, check_secrets=check_secrets
    )
    # When a run goes its whole way, every channel delivering and retracting in time
    delivered_and_cancelled(scene)
    scene.deliveries.every_channel(scene.alert(), "retracted")
    scene.clock.later(5)
    run = scene.tick()
    # Then the run failed with that sentence, naming the channel, and shows each public partner's secret
    assert run.state == "failed"
    assert run.problems == [f"news_media: {missing}"]
    assert run.public_secrets == {"news_media/anp": missing, "road_signs/rws-tmc": "ok"}
    assert all(check.delivered and check.retracted for check in run.channels.values())
    # And the secrets were checked once, as the run began
    assert checks == [1]


def test_a_refused_canary_alert_still_reports_the_public_secrets(scene):
    scene.canary = Canary(
        scene.alerts,
        scene.deliveries,
        scene.runs,
        EVERY,
        LIMIT,
        clock=scene.clock,
        check_secrets=lambda: {"station_screens/ns-screens": "secret /p/ns/secret: not base64"},
    )
    scene.alerts.refusal = InvalidAlertError((FieldError("lies outside the service area", pointer="/area"),))
    run = scene.tick()
    assert run.state == "failed"
    assert run.problems == [
        "station_screens: secret /p/ns/secret: not base64",
        "the canary's alert was refused: area: lies outside the service area",
    ]


def test_a_finished_run_is_left_alone(scene):
    delivered_and_cancelled(scene)
    scene.deliveries.every_channel(scene.alert(), "retracted")
    scene.tick()
    scene.clock.later(120)
    scene.tick()
    assert len(scene.finished) == 1 and len(scene.alerts.cancels) == 1


# --- when the service says no ----------------------------------------------------------------------------------


def test_a_refused_alert_fails_the_run_at_once_and_nothing_is_cancelled(scene):
    scene.alerts.refusal = InvalidAlertError((FieldError("lies outside the service area", pointer="/area"),))
    run = scene.tick()
    assert run.state == "failed"
    assert run.problems == ["the canary's alert was refused: area: lies outside the service area"]
    assert scene.alerts.cancels == [] and scene.finished == [run]


def test_a_busy_cancel_is_tried_again_on_the_next_tick(scene):
    scene.tick()
    scene.deliveries.every_channel(scene.alert(), "delivered")
    scene.alerts.busy = 1
    scene.clock.later(5)
    assert scene.tick().state == "cancelling"
    scene.clock.later(5)
    assert scene.tick().state == "waiting_retracted"
    assert scene.alerts.cancels == [{"reason": "withdrawn"}]


def test_a_cancel_that_stays_busy_past_the_deadline_fails_the_run(scene):
    scene.tick()
    scene.deliveries.every_channel(scene.alert(), "delivered")
    scene.alerts.busy = 10
    scene.clock.later(5)
    scene.tick()
    scene.clock.later(60)
    run = scene.tick()
    assert run.state == "failed"
    assert run.problems[-1].startswith("the canary's alert could not be cancelled")


def test_two_invocations_at_once_move_a_run_on_once(scene):
    scene.tick()
    scene.deliveries.every_channel(scene.alert(), "delivered")
    scene.clock.later(5)
    # Both read the run at the same revision; the second's write loses and it leaves the run as the first left it
    seen = scene.runs.latest(1)[0]
    first = scene.canary.advance(seen, ACTOR)
    second = scene.canary.advance(seen, ACTOR)
    assert first.state == "waiting_retracted"
    assert second.revision == seen.revision
    assert len(scene.alerts.cancels) == 1
    assert scene.runs.latest(1)[0] == first


# --- pure parts --------------------------------------------------------------------------------------------------


def test_the_partners_answer_names_each_target_short_of_the_phase_and_is_bounded():
    record = DeliveryRecord(
        alert_id="a1",
        channel="news_media",
        state="failed",
        version=1,
        targets={
            "newsroom-sandbox": failed_target("answered HTTP 503"),
            "other": TargetResult(state="delivered", version=1, updated_at=START),
            "older": failed_target("unreachable", version=0),
        },
        created_at=START,
        updated_at=START,
    )
    assert partner_answer(record, 1, "delivered") == "newsroom-sandbox: answered HTTP 503"
    long = record.model_copy(update={"targets": {"t": failed_target("x" * 1000)}})
    assert len(partner_answer(long, 1, "delivered") or "") == ANSWER_CHARS
    assert partner_answer(None, 1, "delivered") is None


def test_judging_needs_the_change_it_waits_on():
    run = new_run("r1", START, LIMIT).model_copy(update={"state": "waiting_delivered"})
    judged = judge(run, [], "delivered", START)
    assert judged is not None and judged.state == "failed"
