"""Review of issue 15: the canary proves nothing it did not try, and one broken run neither hides nor stops the rest."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.alerts.canary import Canary, CanaryRun
from chalicelib.channels.policy import CHANNELS
from chalicelib.models.audit import Actor
from chalicelib.models.events import DeliveryRecord, DeliveryState
from tests.unit.alerts.test_canary import ACTOR, EVERY, LIMIT, START, Alerts, Clock, Deliveries, Runs, Scene


@pytest.fixture
def scene() -> Scene:
    clock, alerts, deliveries, runs = Clock(), Alerts(START), Deliveries(), Runs()
    finished: list[CanaryRun] = []
    canary = Canary(alerts, deliveries, runs, EVERY, LIMIT, clock=clock, on_finished=finished.append)
    return Scene(clock, alerts, deliveries, runs, finished, canary)


def every_channel_with_its_sandbox(scene: Scene, state: DeliveryState, skip: str | None = None) -> None:
    """Each channel's record in ``state`` with its sandbox target in that state too."""
    for channel in CHANNELS:
        if channel != skip:
            scene.deliveries.channel(scene.alert(), channel, state)


def test_a_channel_without_a_sandbox_target_does_not_pass_the_canary(scene):
    # Given news_media with no sandbox target configured: the worker records it delivered, having sent nothing
    scene.tick()
    alert = scene.alert()
    every_channel_with_its_sandbox(scene, "delivered", skip="news_media")
    scene.deliveries.records["news_media"] = DeliveryRecord(
        alert_id=alert.id,
        channel="news_media",
        state="delivered",
        version=alert.version,
        detail="no sandbox targets are configured",
        created_at=START,
        updated_at=START,
        seconds_to_delivery=0.1,
    )
    scene.clock.later(61)
    assert scene.tick().state == "waiting_retracted"
    cancelled = scene.alert()
    every_channel_with_its_sandbox(scene, "retracted", skip="news_media")
    scene.deliveries.records["news_media"] = scene.deliveries.records["news_media"].model_copy(
        update={"state": "retracted", "version": cancelled.version}
    )
    scene.clock.later(61)
    run = scene.tick()
    # Then the run fails on news_media, saying why: nothing was proven there
    assert run.state == "failed", run.problems
    news = run.channels["news_media"]
    assert news.delivered is False and news.retracted is False
    assert news.answer == "no sandbox targets are configured"
    assert run.problems[0] == "news_media: not delivered within 60 s (no sandbox targets are configured)"
    assert all(check.delivered and check.retracted for name, check in run.channels.items() if name != "news_media")


class Broken(Alerts):
    """The alert service failing in a way it never promised (a throttled table, a role without a permission)."""

    def create(self, body: Any, actor: Actor) -> Any:
        raise RuntimeError("AccessDeniedException")


def test_a_run_whose_step_keeps_raising_fails_at_its_deadline_and_the_next_run_still_starts(scene):
    # Given the alert service raising an unexpected error on every create
    scene.alerts = Broken(START)
    scene.canary._alerts = scene.alerts
    # When the schedule ticks within the limit, the run waits (the error may pass) and the tick does not fail
    run = scene.tick()
    assert run.state == "started"
    # And past the limit the run fails and is reported (CanaryPassed 0)
    scene.clock.later(61)
    run = scene.tick()
    assert run.state == "failed"
    assert run.problems == ["the canary's alert could not be created within the limit"]
    assert scene.finished == [run]
    # And the next period's run starts as usual
    scene.clock.later(EVERY.total_seconds())
    assert scene.tick().run_id == "20261129T180000Z"


def test_records_that_cannot_be_read_neither_stop_the_tick_nor_keep_the_alert_up(scene):
    # Given a run waiting on its deliveries whose records cannot be read
    scene.tick()
    every_channel_with_its_sandbox(scene, "delivered")
    first = scene.runs.latest(1)[0]

    def unreadable(alert_id: str) -> list[DeliveryRecord]:
        raise ConnectionError("read timeout")

    scene.deliveries.for_alert = unreadable
    # When an operator starts a run at once, the stuck one does not stop the tick
    scene.clock.later(5)
    runs = scene.canary.tick(ACTOR, start_now=True)
    assert [run.run_id for run in runs] == [first.run_id, "20261129T120025Z-manual"]
    assert runs[0].state == "waiting_delivered"
    # And at its deadline the run judges what it could not read as not delivered, and still withdraws its alert
    scene.clock.later(60)
    runs = scene.canary.tick(ACTOR)
    stuck = next(run for run in runs if run.run_id == first.run_id)
    assert stuck.state == "waiting_retracted"
    assert stuck.problems[0] == "the delivery records could not be read: ConnectionError"
    assert len(stuck.problems) == 1 + len(CHANNELS)
    assert scene.alerts.stored[first.alert_id or ""].state == "cancelled"
    # And past the retraction's deadline it fails, reported like any other
    scene.clock.later(61)
    scene.canary.tick(ACTOR)
    assert {run.run_id: run.state for run in scene.finished}[first.run_id] == "failed"
