"""The delivery watch: which channels of an active kind_alarm have not shown its current version in time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.channels.policy import deployed_channels_for
from chalicelib.clock import utc_now
from chalicelib.models.alert import Alert
from chalicelib.models.events import DeliveryRecord

DELIVERY_DEADLINE = timedelta(seconds=60)
WATCHED_LEVELS = frozenset({"kind_alarm"})
# Test alerts are the canary's, which judges its own runs and raises its own alarm (CanaryFailedAlarm); exercises
# are people drilling the real path, watched as real alerts are.
WATCHED_STATUSES = frozenset({"actual", "exercise"})


class ActiveAlerts(Protocol):
    def active(self, ending_before: int | None = None) -> list[Alert]: ...


class DeliveryLog(Protocol):
    def for_alert(self, alert_id: str) -> list[DeliveryRecord]: ...


@dataclass(frozen=True)
class Late:
    alert_id: str
    version: int
    channel: str
    seconds: float


def late_channels(
    alert: Alert, records: list[DeliveryRecord], now: datetime, deadline: timedelta = DELIVERY_DEADLINE
) -> list[Late]:
    """The channels that owe this alert's current version and are past the deadline."""
    waited = now - alert.updated_at
    watched = alert.level in WATCHED_LEVELS and alert.status in WATCHED_STATUSES
    if not watched or alert.state != "active" or waited <= deadline:
        return []
    shown = {record.channel for record in records if record.state == "delivered" and record.version >= alert.version}
    return [
        Late(alert.id, alert.version, channel, round(waited.total_seconds(), 1))
        for channel in deployed_channels_for(alert.level)
        if channel not in shown
    ]


class DeliveryWatch:
    def __init__(self, alerts: ActiveAlerts, deliveries: DeliveryLog, clock: Callable[[], datetime] = utc_now) -> None:
        self._alerts = alerts
        self._deliveries = deliveries
        self._clock = clock

    def late(self) -> list[Late]:
        now = self._clock()
        late: list[Late] = []
        for alert in self._alerts.active():
            late.extend(late_channels(alert, self._deliveries.for_alert(alert.id), now))
        return late
