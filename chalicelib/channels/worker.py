"""One channel's work for one alert event: load, skip what is stale, render, deliver or retract, record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from chalicelib.adapters.webhooks import PartnerError
from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.channels.base import Channel, ContentError
from chalicelib.channels.targets import PartnerDirectory, PartnerTarget, audience_for, targets_for
from chalicelib.clock import utc_now
from chalicelib.models.alert import Alert
from chalicelib.models.events import AlertEvent, DeliveryRecord, DeliveryState, TargetResult
from chalicelib.observability import logger


class DeliveryFailedError(Exception):
    """At least one target did not take the delivery; the message is retried, then dead-lettered."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class AlertReader(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


class DeliveryStore(Protocol):
    def get(self, alert_id: str, channel: str) -> DeliveryRecord | None: ...

    def put(self, record: DeliveryRecord, previous: DeliveryRecord | None) -> None: ...


@dataclass
class _Outcome:
    state: DeliveryState
    targets: dict[str, TargetResult]
    detail: str | None = None
    retry_after: float | None = None


class ChannelWorker:
    def __init__(
        self,
        channel: Channel,
        alerts: AlertReader,
        records: DeliveryStore,
        directory: PartnerDirectory,
        clock: Callable[[], datetime] = utc_now,
        on_recorded: Callable[[DeliveryRecord], None] | None = None,
    ) -> None:
        self._on_recorded = on_recorded
        self._channel = channel
        self._alerts = alerts
        self._records = records
        self._directory = directory
        self._clock = clock

    def handle(self, event: AlertEvent) -> DeliveryRecord | None:
        alert = self._alerts.get(event.alert_id)
        if alert is None or alert.version > event.version:
            # A newer version has its own event; this channel never shows an older one after it.
            self._log("stale event skipped", event.alert_id, event.version)
            return None
        if alert.version < event.version:
            raise DeliveryFailedError(f"alert {alert.id} is not yet at version {event.version}")
        previous = self._records.get(alert.id, self._channel.name)
        if previous and previous.version >= alert.version and previous.state in ("delivered", "retracted"):
            self._log("duplicate event skipped", alert.id, alert.version)
            return previous
        targets = targets_for(self._directory, self._channel.name, alert.status)
        if alert.state in TERMINAL_STATES:
            outcome = self._retract(alert, previous, targets)
        else:
            outcome = self._publish(alert, previous, targets)
        record = self._record(alert, previous, outcome)
        self._records.put(record, previous)
        if self._on_recorded is not None:
            self._on_recorded(record)
        self._log(f"delivery {record.state}", alert.id, alert.version, targets=_states(record))
        if record.state == "failed":
            raise DeliveryFailedError(record.detail or "delivery failed", outcome.retry_after)
        return record

    def _publish(self, alert: Alert, previous: DeliveryRecord | None, targets: tuple[PartnerTarget, ...]) -> _Outcome:
        try:
            content = self._channel.render(alert)
        except ContentError as error:
            return _Outcome("failed", dict(previous.targets) if previous else {}, f"content: {error}")
        results = dict(previous.targets) if previous else {}
        for target in targets:
            done = results.get(target.name)
            if done and done.version == alert.version and done.state == "delivered":
                continue
            shown = done.reference if done else None
            deliver = partial(self._channel.deliver, content, target, self._delivery_id(alert, target), shown)
            results[target.name] = self._attempt(alert, done, deliver, "delivered")
        detail = None if targets else f"no {audience_for(alert.status)} targets are configured"
        return _summarise(results, alert.version, "delivered", detail)

    def _retract(self, alert: Alert, previous: DeliveryRecord | None, targets: tuple[PartnerTarget, ...]) -> _Outcome:
        if previous is None:
            return _Outcome("retracted", {}, "nothing had been shown")
        by_name = {target.name: target for target in targets}
        results = dict(previous.targets)
        for name, shown in previous.targets.items():
            target = by_name.get(name)
            if shown.state == "retracted" or target is None:
                continue
            retract = partial(self._channel.retract, alert, target, shown.reference, self._delivery_id(alert, target))
            results[name] = self._attempt(alert, shown, retract, "retracted")
        return _summarise(results, alert.version, "retracted", None)

    def _attempt(
        self, alert: Alert, before: TargetResult | None, action: Callable[[], Any], success: DeliveryState
    ) -> TargetResult:
        attempts = (before.attempts if before and before.version == alert.version else 0) + 1
        now = self._clock()
        try:
            reference = action()
        except PartnerError as error:
            return TargetResult(
                state="failed",
                version=alert.version,
                attempts=attempts,
                reference=before.reference if before else None,
                detail=str(error),
                retry_after=error.retry_after,
                updated_at=now,
            )
        kept = reference if isinstance(reference, str) else (before.reference if before else None)
        return TargetResult(state=success, version=alert.version, attempts=attempts, reference=kept, updated_at=now)

    def _record(self, alert: Alert, previous: DeliveryRecord | None, outcome: _Outcome) -> DeliveryRecord:
        now = self._clock()
        same_version = previous is not None and previous.version == alert.version
        attempts = (previous.attempts if previous and same_version else 0) + 1
        delivered = outcome.state in ("delivered", "retracted")
        return DeliveryRecord(
            alert_id=alert.id,
            channel=self._channel.name,
            state=outcome.state,
            version=alert.version,
            attempts=attempts,
            targets=outcome.targets,
            detail=outcome.detail,
            created_at=previous.created_at if previous else now,
            updated_at=now,
            delivered_at=now if delivered else None,
            seconds_to_delivery=round((now - alert.updated_at).total_seconds(), 3) if delivered else None,
        )

    def _delivery_id(self, alert: Alert, target: PartnerTarget) -> str:
        # Stable across retries, so a partner that got a delivery twice can tell.
        return f"{alert.id}.v{alert.version}.{self._channel.name}.{target.name}"

    def _log(self, message: str, alert_id: str, version: int, **extra: Any) -> None:
        logger.info(message, extra={"channel": self._channel.name, "alert_id": alert_id, "version": version, **extra})


def _summarise(results: dict[str, TargetResult], version: int, success: DeliveryState, detail: str | None) -> _Outcome:
    current = {name: result for name, result in results.items() if result.version == version}
    failed = sorted(name for name, result in current.items() if result.state == "failed")
    if failed:
        waits = [result.retry_after for result in current.values() if result.retry_after is not None]
        summary = "; ".join(f"{name}: {current[name].detail}" for name in failed)
        return _Outcome("failed", results, summary, max(waits) if waits else None)
    return _Outcome(success, results, detail)


def _states(record: DeliveryRecord) -> dict[str, str]:
    return {name: result.state for name, result in record.targets.items()}
