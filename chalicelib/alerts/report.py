"""The alert's report for the police's evaluation: its timeline, per channel what went out when, whom it reached.

It is built from the audit trail and from timeline events, one written the moment a channel recorded a version
delivered, retracted or failed. Both hold nothing of the child (ids, times, counts, channel, partner and field
names, reasons), so the retention purge keeps them and the report answers the same after the child's data is gone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.channels.targets import OWN_AUDIENCES, audience_for
from chalicelib.errors import AlertNotFoundError
from chalicelib.models.alert import Alert
from chalicelib.models.audit import AuditRecord
from chalicelib.models.events import DeliveryRecord, DeliveryState, TargetResult
from chalicelib.observability import logger
from chalicelib.wording import LANGUAGES

EventState = Literal["delivered", "retracted", "failed"]
RECORDED_STATES: frozenset[str] = frozenset({"delivered", "retracted", "failed"})
SOCIAL_CHANNEL = "social_media"
PUSH_CHANNEL = "app_push"
# What a failed target's detail may say in the report: the partner's status or the error's kind, as our adapters and
# the worker word them (chalicelib.adapters.failures, channels.worker). Anything else is reported without its text.
_REASONS = (
    re.compile(r"^unreachable: \w+$"),
    re.compile(r"^answered HTTP \d{3}$"),
    re.compile(r"^SNS refused the publish: \w+$"),
    re.compile(r"^unexpected \w+$"),
    re.compile(r"^not in the partner directory"),
)
# A platform's post id (X, Graph): digits, letters and separators; anything else is not recorded.
_POST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def _only_if_set(description: str | None = None) -> Any:
    """A field the report shows only where it applies (a channel on a channel's entry, a reason on a failure)."""
    return Field(default=None, exclude_if=lambda value: value is None, description=description)


class _Stored(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetOutcome(_Stored):
    """One target of a channel after an event: its state, and for a failure why (never the partner's text)."""

    state: DeliveryState
    version: int
    attempts: int = 0
    reason: str | None = _only_if_set()
    post_id: str | None = _only_if_set("social_media: the post on this account")


class PushReach(_Stored):
    """Whom a push version reached, counted when it was published (the area is erased later)."""

    topics: int | None = Field(description="the SNS topics (per language: national, test, or one per H3 cell)")
    devices: int | None = Field(
        default=None, description="the devices registered in those topics at publish time; null when not counted"
    )


class ChannelEvent(_Stored):
    """A channel's outcome for one version, stored once per (channel, version, state[, attempt])."""

    alert_id: str
    channel: str
    version: int
    state: EventState
    at: datetime
    attempt: int
    seconds: float | None = None
    reason: str | None = None
    targets: dict[str, TargetOutcome] = Field(default_factory=dict)
    reach: PushReach | None = None

    def identity(self) -> str:
        """What makes the event one: a repeated message, or two workers of one version, cannot add a second."""
        base = f"{self.channel}#{self.version:06d}#{self.state}"
        return f"{base}#{self.attempt:04d}" if self.state == "failed" else base


def channel_event(record: DeliveryRecord, reach: PushReach | None = None) -> ChannelEvent | None:
    """The timeline event of a delivery record, or None while it is still sending or retracting."""
    if record.state not in RECORDED_STATES:
        return None
    content_refused = record.state == "failed" and (record.detail or "").startswith("content:")
    return ChannelEvent(
        alert_id=record.alert_id,
        channel=record.channel,
        version=record.version,
        state=record.state,  # type: ignore[arg-type]  # narrowed by RECORDED_STATES
        at=record.updated_at,
        attempt=record.attempts,
        seconds=record.seconds_to_delivery,
        reason="the content broke the channel's limits" if content_refused else None,
        targets={name: _outcome(record.channel, target) for name, target in record.targets.items()},
        reach=reach,
    )


def _outcome(channel: str, target: TargetResult) -> TargetOutcome:
    post = target.reference if channel == SOCIAL_CHANNEL and target.reference else None
    return TargetOutcome(
        state=target.state,
        version=target.version,
        attempts=target.attempts,
        reason=failure_reason(target.detail) if target.state == "failed" else None,
        post_id=post if post and _POST_ID.match(post) else None,
    )


def failure_reason(detail: str | None) -> str:
    """Why a target failed, as far as it can be said without quoting a partner."""
    for pattern in _REASONS:
        found = pattern.match(detail or "")
        if found:
            return found.group()
    return "failed"


class TimelineStore(Protocol):
    def add(self, event: ChannelEvent) -> bool: ...

    def for_alert(self, alert_id: str) -> list[ChannelEvent]: ...


ReachCount = Callable[[DeliveryRecord], "PushReach | None"]


class TimelineRecorder:
    """Each delivery record a channel worker writes becomes an event of the timeline.

    A version delivered or retracted is recorded from what the worker answers for its message (``outcome``), a
    repeated message included: when the write fails, or the function dies between the delivery record and it, the
    message comes again, the worker answers the record it finds (a duplicate, the partners are not asked again)
    and the event is written then. Otherwise the event would live only in the delivery record, which the next
    version overwrites and the purge erases. A failed attempt is recorded as the worker writes it (``record``);
    failing that is only logged, as the message is retried anyway, with the partner's backoff.
    """

    def __init__(self, store: TimelineStore, reach: ReachCount | None = None) -> None:
        self._store = store
        self._reach = reach

    def outcome(self, record: DeliveryRecord) -> None:
        """Store the event of a delivered or retracted record; raises when the store does (the message is retried)."""
        if record.state not in RECORDED_STATES:
            return
        event = channel_event(record, self._reach(record) if self._reach else None)
        if event is not None:
            self._store.add(event)

    def record(self, record: DeliveryRecord) -> None:
        """Store the event, and only log a failure to."""
        try:
            self.outcome(record)
        except Exception as error:  # noqa: BLE001 - whatever the report's write raises must not fail the delivery
            logger.error(
                "timeline event not recorded",
                extra={
                    "alert_id": record.alert_id,
                    "channel": record.channel,
                    "version": record.version,
                    "error": type(error).__name__,
                },
            )


class AlertReader(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


class PushTopicPlan(Protocol):
    def topics_for(self, audience: str, cells: list[str] | None) -> list[tuple[str, str]]: ...


class DeviceCounts(Protocol):
    def counts(self, scopes: Iterable[str]) -> dict[str, dict[str, int]]: ...


class PushReachCount:
    """The topics a push version was published to (and the devices in them, given a count), from the alert as it
    stands when its delivery is recorded: the area is erased with the child's data, the count stays."""

    def __init__(self, alerts: AlertReader, plan: PushTopicPlan, counts: DeviceCounts | None = None) -> None:
        self._alerts = alerts
        self._plan = plan
        self._counts = counts

    def __call__(self, record: DeliveryRecord) -> PushReach | None:
        if record.state not in ("delivered", "retracted"):
            return None
        alert = self._alerts.get(record.alert_id)
        if alert is None or alert.version != record.version:
            return PushReach(topics=None)  # overtaken before it was counted: the area it went to is not known here
        audience = audience_for(alert.status)
        covers = _push_covers(alert, record, audience)
        topics = sum(len(self._plan.topics_for(audience, cells)) for cells in covers)
        return PushReach(topics=topics, devices=self._devices(audience, covers))

    def _devices(self, audience: str, covers: list[list[str] | None]) -> int | None:
        """The devices filed in the topics published to, from the counts as they stand: the test devices for the
        sandbox; the national count where the national topics were published to (every device is in it, those of
        the cells too); else the cells'."""
        if self._counts is None:
            return None
        if audience == "sandbox":
            scopes = ["test"]
        elif None in covers:
            scopes = ["national"]
        else:
            scopes = [cell for cells in covers if cells is not None for cell in cells]
        counts = self._counts.counts(scopes).values()
        return sum(count.get(language, 0) for count in counts for language in LANGUAGES)


def _push_covers(alert: Alert, record: DeliveryRecord, audience: str) -> list[list[str] | None]:
    """The topic sets app_push published to: the alert's area; for a public retraction every area any version
    reached (the national topics, and the cells) and the national topics' quiet copy, as
    ``AppPushChannel.retract`` does."""
    from chalicelib.channels.app_push import Reach, area_cells

    cells = area_cells(alert.area)
    if record.state == "delivered" or audience == "sandbox":
        return [cells]
    public_target = OWN_AUDIENCES[PUSH_CHANNEL][0]
    shown = record.targets.get(public_target)
    return [cover.cells for cover in Reach.parse(shown.reference if shown else None).including(cells).covers()]


EntryKind = Literal["received", "updated", "cancelled", "expired", "delivered", "retracted", "failed"]
_CHANGE_ENTRIES: dict[str, EntryKind] = {
    "created": "received",
    "updated": "updated",
    "cancelled": "cancelled",
    "expired": "expired",
}


class TimelineEntry(_Stored):
    """One moment of the alert: a change Burgernet made (or the expiry), or a channel's outcome for a version."""

    at: datetime
    event: EntryKind
    version: int
    channel: str | None = _only_if_set()
    seconds: float | None = _only_if_set("delivered, retracted: seconds from the accepted change that caused it")
    attempt: int | None = _only_if_set("the channel's attempt at this version")
    reason: str | None = _only_if_set("cancelled: found, withdrawn or expired; failed: why")
    changed: list[str] | None = _only_if_set("updated: the names of the fields changed")
    targets: dict[str, TargetOutcome] | None = _only_if_set()
    reach: PushReach | None = _only_if_set()


class Moment(_Stored):
    at: datetime
    seconds: float | None = None


class VersionOutcome(_Stored):
    version: int
    delivered: Moment | None = _only_if_set()
    retracted: Moment | None = _only_if_set()
    failed_attempts: int = 0
    reach: PushReach | None = _only_if_set()


class PostsMade(_Stored):
    count: int
    ids: list[str]


class ChannelReport(_Stored):
    versions: list[VersionOutcome]
    partners: dict[str, DeliveryState] = Field(description="each target (partner, account, audience): its last state")
    posts: dict[str, PostsMade] | None = _only_if_set("social_media: the posts made per account")


class AlertReport(_Stored):
    """What ``GET /alerts/{id}/report`` answers. No child data: it outlives the alert's retention."""

    id: str
    reference: str
    level: str
    status: str
    state: Literal["active", "cancelled", "expired"]
    version: int
    received_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None
    purged_at: datetime | None = Field(default=None, description="when the child's data was erased")
    channels: dict[str, ChannelReport]
    timeline: list[TimelineEntry]


class AuditTrail(Protocol):
    def audit_trail(self, alert_id: str) -> list[AuditRecord]: ...


class DeliveryLog(Protocol):
    def for_alert(self, alert_id: str) -> list[DeliveryRecord]: ...


class AlertReports:
    """Reports from the audit trail and the timeline; an event that was not stored comes from its delivery record
    while that exists. The alert item is never read: the report holds nothing of it but what the trail says."""

    def __init__(self, trail: AuditTrail, timeline: TimelineStore, deliveries: DeliveryLog) -> None:
        self._trail = trail
        self._timeline = timeline
        self._deliveries = deliveries

    def report(self, alert_id: str) -> AlertReport:
        trail = self._trail.audit_trail(alert_id)
        if not any(record.action == "created" for record in trail):
            raise AlertNotFoundError(alert_id)
        events = {event.identity(): event for event in self._timeline.for_alert(alert_id)}
        for record in self._deliveries.for_alert(alert_id):
            event = channel_event(record)
            if event is not None:
                events.setdefault(event.identity(), event)
        return build_report(trail, events.values())


def build_report(trail: list[AuditRecord], events: Iterable[ChannelEvent]) -> AlertReport:
    """The report of an alert from its audit trail (with its ``created`` record) and its channels' events."""
    changes = sorted((record for record in trail if record.action != "purged"), key=lambda record: record.version)
    created, last = changes[0], changes[-1]
    ended = next((record for record in changes if record.action in ("cancelled", "expired")), None)
    purged = next((record for record in trail if record.action == "purged"), None)
    ordered = sorted(events, key=lambda event: (event.at, event.channel, event.version))
    entries = [*map(_change_entry, changes), *map(_event_entry, ordered)]
    channels = sorted({name for record in changes for name in record.channels} | {e.channel for e in ordered})
    return AlertReport(
        id=created.alert_id,
        reference=created.reference,
        level=created.level,
        status=created.status,
        state="active" if ended is None else ended.action,  # type: ignore[arg-type]  # cancelled or expired
        version=last.version,
        received_at=created.at,
        ended_at=ended.at if ended else None,
        end_reason=(ended.reason or ended.action) if ended else None,
        purged_at=purged.at if purged else None,
        channels={name: _channel_report(name, [e for e in ordered if e.channel == name]) for name in channels},
        # Stable: at one instant a change comes before what it caused.
        timeline=sorted(entries, key=lambda entry: entry.at),
    )


def _change_entry(record: AuditRecord) -> TimelineEntry:
    return TimelineEntry(
        at=record.at,
        event=_CHANGE_ENTRIES[record.action],
        version=record.version,
        reason=record.reason or ("expired" if record.action == "expired" else None),
        changed=record.changed if record.action == "updated" else None,
    )


def _event_entry(event: ChannelEvent) -> TimelineEntry:
    return TimelineEntry(
        at=event.at,
        event=event.state,
        version=event.version,
        channel=event.channel,
        seconds=event.seconds,
        attempt=event.attempt,
        reason=event.reason,
        targets=event.targets,
        reach=event.reach,
    )


def _channel_report(channel: str, events: list[ChannelEvent]) -> ChannelReport:
    versions = sorted({event.version for event in events})
    last = max(events, key=lambda event: (event.version, event.at), default=None)
    return ChannelReport(
        versions=[_version_outcome(version, [e for e in events if e.version == version]) for version in versions],
        partners={name: target.state for name, target in sorted(last.targets.items())} if last else {},
        posts=_posts(events) if channel == SOCIAL_CHANNEL else None,
    )


def _version_outcome(version: int, events: list[ChannelEvent]) -> VersionOutcome:
    def moment(state: EventState) -> Moment | None:
        found = next((event for event in events if event.state == state), None)
        return Moment(at=found.at, seconds=found.seconds) if found else None

    reach = next((event.reach for event in events if event.reach is not None), None)
    failed = sum(1 for event in events if event.state == "failed")
    return VersionOutcome(
        version=version,
        delivered=moment("delivered"),
        retracted=moment("retracted"),
        failed_attempts=failed,
        reach=reach,
    )


def _posts(events: list[ChannelEvent]) -> dict[str, PostsMade]:
    """Per account every post it carried (one per version shown; deleted at the next version and at the end)."""
    made: dict[str, list[str]] = {}
    for event in events:
        for name, target in event.targets.items():
            if target.state == "delivered" and target.post_id and target.post_id not in made.setdefault(name, []):
                made[name].append(target.post_id)
    return {name: PostsMade(count=len(ids), ids=ids) for name, ids in sorted(made.items())}
