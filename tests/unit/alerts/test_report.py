"""The alert report: events of delivery records without child data, once each; reports from trail and events."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.alerts.report import (
    AlertReports,
    ChannelEvent,
    PushReach,
    PushReachCount,
    TimelineRecorder,
    build_report,
    channel_event,
    failure_reason,
)
from chalicelib.channels.app_push import AppPushChannel, Reach, area_cells
from chalicelib.channels.push_topics import PushTopics
from chalicelib.errors import AlertNotFoundError
from chalicelib.models.alert import Alert
from chalicelib.models.audit import AuditRecord
from chalicelib.models.events import DeliveryRecord, TargetResult
from tests.conftest import ALERT_ID, CREATED_AT, alert

ROOT = Path(__file__).resolve().parents[3]
CHANNELS = ["app_push", "news_media", "social_media"]


def at(seconds: float) -> datetime:
    return CREATED_AT + timedelta(seconds=seconds)


def target(state: str, version: int = 1, **fields: Any) -> TargetResult:
    return TargetResult.model_validate(
        {"state": state, "version": version, "attempts": 1, "updated_at": at(1), **fields}
    )


def record(channel: str, state: str, version: int = 1, seconds: float = 1.0, **fields: Any) -> DeliveryRecord:
    done = state in ("delivered", "retracted")
    return DeliveryRecord.model_validate(
        {
            "alert_id": ALERT_ID,
            "channel": channel,
            "state": state,
            "version": version,
            "attempts": 1,
            "created_at": at(0),
            "updated_at": at(seconds),
            "delivered_at": at(seconds) if done else None,
            "seconds_to_delivery": seconds if done else None,
            **fields,
        }
    )


def audit(action: str, version: int, seconds: float, **fields: Any) -> AuditRecord:
    return AuditRecord.model_validate(
        {
            "alert_id": ALERT_ID,
            "reference": "BN-2026-000123",
            "version": version,
            "action": action,
            "at": at(seconds),
            "principal": "arn:aws:iam::1:role/burgernet",
            "request_id": "r",
            "level": "kind_alarm",
            "status": "actual",
            "channels": [] if action == "purged" else CHANNELS,
            **fields,
        }
    )


class MemoryTimeline:
    """The timeline table's contract: one event per identity, the first one kept."""

    def __init__(self) -> None:
        self.events: dict[str, ChannelEvent] = {}

    def add(self, event: ChannelEvent) -> bool:
        if event.identity() in self.events:
            return False
        self.events[event.identity()] = event
        return True

    def for_alert(self, alert_id: str) -> list[ChannelEvent]:
        return [event for event in self.events.values() if event.alert_id == alert_id]


# Events of delivery records.


def test_a_record_still_sending_or_retracting_is_no_event():
    assert channel_event(record("news_media", "sending")) is None
    assert channel_event(record("news_media", "retracting", version=2)) is None


def test_a_failure_keeps_the_partners_status_and_never_a_text_that_may_quote_the_child():
    failed = record(
        "news_media",
        "failed",
        detail="content: the word 'Sanne-Marijke' is longer than a sign line",
        targets={
            "anp": target("failed", detail="answered HTTP 503"),
            "nos": target("failed", detail="Sanne de Vries refused: rode jas"),
            "rtl": target("failed", detail="unexpected KeyError"),
            "old": target("failed", detail="not in the partner directory: it may still show the alert"),
            "ok": target("delivered", reference="nos-17"),
        },
    )
    event = channel_event(failed)
    assert event is not None
    assert {name: outcome.reason for name, outcome in event.targets.items()} == {
        "anp": "answered HTTP 503",
        "nos": "failed",
        "rtl": "unexpected KeyError",
        "old": "not in the partner directory",
        "ok": None,
    }
    assert event.reason == "the content broke the channel's limits"
    assert event.targets["ok"].post_id is None  # a newsroom's reference is not a post
    assert "Sanne" not in event.model_dump_json()


def test_a_social_event_keeps_each_accounts_post_id_when_it_looks_like_one():
    shown = record(
        "social_media",
        "delivered",
        targets={
            "x-politie": target("delivered", reference="1790000000000000001"),
            "facebook-politie": target("delivered", reference="Sanne de Vries"),
        },
    )
    event = channel_event(shown)
    assert event is not None
    assert event.targets["x-politie"].post_id == "1790000000000000001"
    assert event.targets["facebook-politie"].post_id is None


def test_a_version_is_one_event_per_state_but_every_failed_attempt_is_its_own():
    delivered = [channel_event(record("cap_feed", "delivered", seconds=s)) for s in (1, 9)]
    failed = [channel_event(record("cap_feed", "failed", attempts=n)) for n in (1, 2)]
    identities = {event.identity() for event in [*delivered, *failed] if event is not None}
    assert identities == {"cap_feed#000001#delivered", "cap_feed#000001#failed#0001", "cap_feed#000001#failed#0002"}


# The worker's hook.


def test_the_recorder_stores_each_event_once_with_its_first_moment():
    store = MemoryTimeline()
    recorder = TimelineRecorder(store)
    # When a record is written twice (two workers of one version), and a sending one in between
    recorder.record(record("news_media", "delivered", seconds=2))
    recorder.record(record("news_media", "sending", version=2))
    recorder.record(record("news_media", "delivered", seconds=5))
    # Then one event, at the first moment
    assert [(event.identity(), event.seconds) for event in store.events.values()] == [
        ("news_media#000001#delivered", 2)
    ]


def test_a_recorder_that_cannot_write_never_fails_the_delivery(caplog: pytest.LogCaptureFixture):
    class Refusing(MemoryTimeline):
        def add(self, event: ChannelEvent) -> bool:
            raise RuntimeError("ProvisionedThroughputExceeded for Sanne")

    TimelineRecorder(Refusing()).record(record("news_media", "delivered"))
    logged = [line for line in caplog.records if line.getMessage() == "timeline event not recorded"]
    assert len(logged) == 1
    assert getattr(logged[0], "error", None) == "RuntimeError"
    assert "Sanne" not in json.dumps(logged[0].__dict__, default=str)


# The push's reach.


class OneAlert:
    def __init__(self, stored: Alert | None) -> None:
        self.stored = stored

    def get(self, alert_id: str) -> Alert | None:
        return self.stored


PLAN = AppPushChannel(None, PushTopics("kind-alarm-test-push-"))  # type: ignore[arg-type]  # topics_for only
CIRCLE = {"type": "circle", "lat": 52.0894, "lon": 5.1101, "radius_km": 15}


def push_record(state: str, version: int, reach: Reach | None = None) -> DeliveryRecord:
    shown = {"app-users": target(state, version, reference=reach.dump() if reach else None)}
    return record("app_push", state, version=version, targets=shown)


def test_a_push_counts_the_topics_of_its_area_in_both_languages():
    circle = alert(area=CIRCLE)
    cells = area_cells(circle.area)
    assert cells
    count = PushReachCount(OneAlert(circle), PLAN)
    assert count(push_record("delivered", 1)) == PushReach(topics=2 * len(cells), devices=None)
    national = alert(area={"type": "national"})
    assert PushReachCount(OneAlert(national), PLAN)(push_record("delivered", 1)) == PushReach(topics=2)
    exercise = alert(area=CIRCLE, status="exercise")
    assert PushReachCount(OneAlert(exercise), PLAN)(push_record("delivered", 1)) == PushReach(topics=2)


class Counts:
    """The device counts per scope, as the device table keeps them; what was asked for."""

    def __init__(self, stored: dict[str, dict[str, int]]) -> None:
        self.stored = stored
        self.asked: list[list[str]] = []

    def counts(self, scopes: Iterable[str]) -> dict[str, dict[str, int]]:
        asked = list(scopes)
        self.asked.append(asked)
        return {scope: self.stored[scope] for scope in asked if scope in self.stored}


def test_an_exercise_push_reached_the_test_devices():
    exercise = alert(area=CIRCLE, status="exercise")
    counts = Counts({"test": {"nl": 3, "en": 1}, "national": {"nl": 9}})
    assert PushReachCount(OneAlert(exercise), PLAN, counts)(push_record("delivered", 1)) == PushReach(
        topics=2, devices=4
    )


def test_a_retraction_counts_every_topic_any_version_reached_and_devices_when_counted():
    # Given an alert shown nationally at version 1 and in a circle at version 2, then cancelled
    cancelled = alert(area=CIRCLE).model_copy(update={"version": 3, "state": "cancelled"})
    cells = area_cells(cancelled.area)
    assert cells
    shown = Reach().including(None).including(cells)
    counts = Counts({"national": {"nl": 40_000, "en": 1_000}, cells[0]: {"nl": 7}, "test": {"nl": 3}})
    count = PushReachCount(OneAlert(cancelled), PLAN, counts)
    # Then its retraction went to the national topics and the circle's, and reached every device: those of the
    # circle are among the national ones, counted once
    assert count(push_record("retracted", 3, shown)) == PushReach(topics=2 + 2 * len(cells), devices=41_000)
    assert counts.asked == [["national"]]


def test_a_regional_retraction_counts_the_national_topics_of_its_quiet_copy_and_every_device():
    # Given an alert only ever shown in a circle, then cancelled
    cancelled = alert(area=CIRCLE).model_copy(update={"version": 2, "state": "cancelled"})
    cells = area_cells(cancelled.area)
    assert cells
    counts = Counts({"national": {"nl": 40_000, "en": 1_000}, cells[0]: {"nl": 7}})
    count = PushReachCount(OneAlert(cancelled), PLAN, counts)
    # Then its retraction went to the circle's topics and, for the devices that moved away, the national ones
    assert count(push_record("retracted", 2, Reach().including(cells))) == PushReach(
        topics=2 * len(cells) + 2, devices=41_000
    )
    # While its delivery went to the circle's alone
    delivered = PushReachCount(OneAlert(cancelled.model_copy(update={"version": 1, "state": "active"})), PLAN, counts)
    assert delivered(push_record("delivered", 1)) == PushReach(topics=2 * len(cells), devices=7)


def test_a_push_overtaken_before_it_was_counted_says_so_and_failures_are_not_counted():
    newer = alert(area=CIRCLE).model_copy(update={"version": 2})
    count = PushReachCount(OneAlert(newer), PLAN)
    assert count(push_record("delivered", 1)) == PushReach(topics=None)
    assert count(push_record("failed", 2)) is None
    assert PushReachCount(OneAlert(None), PLAN)(push_record("delivered", 1)) == PushReach(topics=None)


# Reports.

TRAIL = [
    audit("created", 1, 0, changed=["child", "headline"]),
    audit("updated", 2, 10, changed=["headline"]),
    audit("cancelled", 3, 20, reason="found"),
]


def events(*records: DeliveryRecord) -> list[ChannelEvent]:
    return [event for event in map(channel_event, records) if event is not None]


def test_the_timeline_puts_changes_and_channel_events_in_order():
    report = build_report(
        TRAIL,
        events(
            record("news_media", "retracted", 3, seconds=21),
            record("news_media", "delivered", 1, seconds=1),
            record("news_media", "failed", 2, seconds=11),
            record("news_media", "delivered", 2, seconds=12, attempts=2),
        ),
    )
    assert [(entry.event, entry.version, entry.channel) for entry in report.timeline] == [
        ("received", 1, None),
        ("delivered", 1, "news_media"),
        ("updated", 2, None),
        ("failed", 2, "news_media"),
        ("delivered", 2, "news_media"),
        ("cancelled", 3, None),
        ("retracted", 3, "news_media"),
    ]
    assert (report.state, report.version, report.end_reason, report.ended_at) == ("cancelled", 3, "found", at(20))
    news = report.channels["news_media"]
    assert [
        (v.version, v.failed_attempts, v.delivered is not None, v.retracted is not None) for v in news.versions
    ] == [
        (1, 0, True, False),
        (2, 1, True, False),
        (3, 0, False, True),
    ]
    # A channel the alert went out on that recorded nothing is there, empty: that is a finding too
    assert report.channels["app_push"].versions == [] and report.channels["app_push"].partners == {}
    assert report.timeline[2].changed == ["headline"] and report.timeline[0].changed is None


def test_an_expired_and_purged_alert_says_so():
    trail = [audit("created", 1, 0), audit("expired", 2, 86400), audit("purged", 2, 86400 * 31)]
    report = build_report(trail, [])
    assert (report.state, report.end_reason, report.purged_at) == ("expired", "expired", at(86400 * 31))
    assert [entry.event for entry in report.timeline] == ["received", "expired"]


def test_posts_are_counted_per_account_once_each():
    def social(state: str, version: int, post: str) -> DeliveryRecord:
        return record(
            "social_media", state, version, targets={"x-politie": target(state, version, reference=post)}, attempts=1
        )

    report = build_report(
        TRAIL,
        events(social("delivered", 1, "101"), social("delivered", 2, "102"), social("retracted", 3, "102")),
    )
    posts = report.channels["social_media"].posts
    assert posts is not None
    assert posts["x-politie"].model_dump() == {"count": 2, "ids": ["101", "102"]}
    assert report.channels["social_media"].partners == {"x-politie": "retracted"}


class Trail:
    def __init__(self, records: list[AuditRecord]) -> None:
        self.records = records

    def audit_trail(self, alert_id: str) -> list[AuditRecord]:
        return self.records if alert_id == ALERT_ID else []


class Deliveries:
    def __init__(self, *records: DeliveryRecord) -> None:
        self.records = list(records)

    def for_alert(self, alert_id: str) -> list[DeliveryRecord]:
        return self.records


def test_an_alert_without_a_trail_has_no_report():
    reports = AlertReports(Trail(TRAIL), MemoryTimeline(), Deliveries())
    with pytest.raises(AlertNotFoundError):
        reports.report("5e0b3c4f-0000-4000-8000-000000000000")


def test_an_event_that_was_not_stored_comes_from_its_delivery_record_and_a_stored_one_wins():
    timeline = MemoryTimeline()
    TimelineRecorder(timeline).record(record("news_media", "delivered", 1, seconds=3))
    deliveries = Deliveries(record("news_media", "delivered", 1, seconds=8), record("cap_feed", "delivered", 1))
    report = AlertReports(Trail(TRAIL[:1]), timeline, deliveries).report(ALERT_ID)
    delivered = {entry.channel: entry.seconds for entry in report.timeline if entry.event == "delivered"}
    assert delivered == {"news_media": 3, "cap_feed": 1}


def test_the_report_shows_null_devices_and_leaves_out_what_does_not_apply():
    pushed = record("app_push", "delivered", 1)
    event = channel_event(pushed, PushReach(topics=50))
    assert event is not None
    document = build_report(TRAIL[:1], [event]).model_dump(mode="json")
    assert document["channels"]["app_push"]["versions"][0]["reach"] == {"topics": 50, "devices": None}
    assert document["ended_at"] is None and document["purged_at"] is None
    assert document["timeline"][0] == {"at": "2026-11-28T15:00:00Z", "event": "received", "version": 1}


def test_reading_a_report_loads_no_channel_geometry_or_pillow():
    script = (
        "import json, sys; import chalicelib.alerts.report, chalicelib.adapters.timeline_table; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('h3', 'shapely', 'PIL', 'boto3') "
        "or m.startswith('chalicelib.channels.app_push'))))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_failure_reasons_are_what_our_adapters_say_or_nothing():
    assert failure_reason("SNS refused the publish: Throttling") == "SNS refused the publish: Throttling"
    assert failure_reason("unreachable: TimeoutError") == "unreachable: TimeoutError"
    assert failure_reason(None) == "failed"
    assert failure_reason("answered HTTP 503 for Sanne") == "failed"
