"""The delivery watch: which channels of an active kind_alarm are past the 60-second deadline."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.alerts.watch import DELIVERY_DEADLINE, DeliveryWatch, late_channels
from chalicelib.channels.policy import CHANNELS, CHANNELS_BY_LEVEL
from chalicelib.models.alert import Alert
from chalicelib.models.events import DeliveryRecord
from tests.conftest import alert

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def stored(level: str = "kind_alarm", age: timedelta = timedelta(minutes=2)) -> Alert:
    return alert(alert_id="a1", at=NOW - age, level=level)


def record(alert: Alert, channel: str, state: str = "delivered", version: int | None = None) -> DeliveryRecord:
    return DeliveryRecord(
        alert_id=alert.id,
        channel=channel,
        state=state,  # type: ignore[arg-type]
        version=alert.version if version is None else version,
        created_at=NOW,
        updated_at=NOW,
    )


def test_every_channel_is_late_when_none_delivered_after_the_deadline():
    late = late_channels(stored(), [], NOW)
    assert sorted(item.channel for item in late) == sorted(CHANNELS)
    assert {item.seconds for item in late} == {120.0}


def test_a_channel_that_delivered_the_current_version_is_not_late():
    alert = stored()
    late = late_channels(alert, [record(alert, "news_media"), record(alert, "cap_feed", state="failed")], NOW)
    assert "news_media" not in {item.channel for item in late}
    assert "cap_feed" in {item.channel for item in late}


def test_a_channel_that_shows_an_older_version_is_late():
    alert = stored().model_copy(update={"version": 2})
    late = late_channels(alert, [record(alert, channel, version=1) for channel in CHANNELS], NOW)
    assert len(late) == len(CHANNELS)


def test_nothing_is_late_within_the_deadline():
    assert late_channels(stored(age=DELIVERY_DEADLINE - timedelta(seconds=1)), [], NOW) == []


def test_only_kind_alarm_is_watched():
    assert CHANNELS_BY_LEVEL["vermist_kind"]
    assert late_channels(stored(level="vermist_kind"), [], NOW) == []


class Store:
    def __init__(self, alerts: list[Alert], records: list[DeliveryRecord]) -> None:
        self.alerts, self.records = alerts, records

    def active(self, ending_before: int | None = None) -> list[Alert]:
        return self.alerts

    def for_alert(self, alert_id: str) -> list[DeliveryRecord]:
        return [item for item in self.records if item.alert_id == alert_id]


def test_the_watch_checks_every_active_alert_against_its_own_records():
    first = stored()
    second = stored().model_copy(update={"id": "a2"})
    store = Store([first, second], [record(second, channel) for channel in CHANNELS])
    late = DeliveryWatch(store, store, clock=lambda: NOW).late()
    assert {item.alert_id for item in late} == {"a1"}


def test_the_canarys_test_alerts_are_left_to_the_canary_and_exercises_are_watched():
    test_run = alert(alert_id="t1", at=NOW - timedelta(minutes=2), status="test")
    exercise = alert(alert_id="e1", at=NOW - timedelta(minutes=2), status="exercise")
    assert late_channels(test_run, [], NOW) == []
    assert sorted(item.channel for item in late_channels(exercise, [], NOW)) == sorted(CHANNELS)
