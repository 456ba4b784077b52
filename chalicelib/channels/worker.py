"""One channel's work for one alert event: load, skip what is stale, render, deliver or retract, record.

What a partner did is never lost with the function that asked it: each target is recorded as ``sending`` (or
``retracting``) before its partner call and with its result the moment that is known. A retraction trusts no
absence: it retracts at every target of the alert's audience, whatever the record says (or when there is none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters.webhooks import PartnerError
from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.alerts.store import StaleWriteError
from chalicelib.channels.base import Channel, ContentError
from chalicelib.channels.targets import PartnerDirectory, PartnerTarget, audience_for, targets_for
from chalicelib.clock import utc_now
from chalicelib.models.alert import Alert
from chalicelib.models.events import AlertEvent, DeliveryRecord, DeliveryState, TargetResult
from chalicelib.observability import logger

# The longest a partner call can still take effect after it was made (the channel functions' timeout and more):
# a retraction that may have overtaken a send still in flight is made again once that send has settled.
IN_FLIGHT_SECONDS = 60.0


class DeliveryFailedError(Exception):
    """At least one target did not take the delivery; the message is retried, then dead-lettered."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class AlertReader(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


class DeliveryStore(Protocol):
    def get(self, alert_id: str, channel: str) -> DeliveryRecord | None: ...

    def begin(self, alert_id: str, channel: str, version: int, state: DeliveryState, now: str) -> None: ...

    def put_target(self, alert_id: str, channel: str, version: int, name: str, result: TargetResult) -> None: ...

    def finish(self, record: DeliveryRecord) -> None: ...


class _Overtaken(Exception):
    """A newer version of the alert holds the delivery record: this worker's version is done with."""


@dataclass
class _Outcome:
    state: DeliveryState
    targets: dict[str, TargetResult]
    detail: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class _Step:
    """One partner call for one target: what it does, and the states before and after."""

    target: PartnerTarget
    before: TargetResult | None
    action: Callable[[], Any]
    pending: DeliveryState
    success: DeliveryState


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
        try:
            return self._work(alert, previous)
        except _Overtaken:
            self._log("overtaken by a newer version", alert.id, alert.version)
            return None

    def _work(self, alert: Alert, previous: DeliveryRecord | None) -> DeliveryRecord:
        retracting = alert.state in TERMINAL_STATES
        try:
            self._records.begin(
                alert.id, self._channel.name, alert.version, "retracting" if retracting else "sending", self._now()
            )
        except StaleWriteError:
            raise _Overtaken from None
        targets = targets_for(self._directory, self._channel.name, alert.status)
        shown = dict(previous.targets) if previous else {}
        outcome = self._retract(alert, shown, targets) if retracting else self._publish(alert, shown, targets)
        record = self._record(alert, previous, outcome)
        try:
            self._records.finish(record)
        except StaleWriteError:
            raise _Overtaken from None
        if self._on_recorded is not None:
            self._on_recorded(record)
        self._log(f"delivery {record.state}", alert.id, alert.version, targets=_states(record))
        if record.state in ("failed", "retracting"):
            raise DeliveryFailedError(record.detail or "delivery failed", outcome.retry_after)
        return record

    def _publish(self, alert: Alert, shown: dict[str, TargetResult], targets: tuple[PartnerTarget, ...]) -> _Outcome:
        try:
            content = self._channel.render(alert)
        except ContentError as error:
            return _Outcome("failed", shown, f"content: {error}")
        results = dict(shown)
        for target in targets:
            before = results.get(target.name)
            if before and before.version == alert.version and before.state == "delivered":
                continue
            reference = before.reference if before else None
            delivery_id = self._delivery_id(alert, target)

            def deliver(target: PartnerTarget = target, delivery_id: str = delivery_id, shown: Any = reference) -> Any:
                return self._channel.deliver(content, target, delivery_id, shown)

            results[target.name] = self._attempt(alert, _Step(target, before, deliver, "sending", "delivered"))
        detail = None if targets else f"no {audience_for(alert.status)} targets are configured"
        return _summarise(results, alert.version, "delivered", detail)

    def _retract(self, alert: Alert, shown: dict[str, TargetResult], targets: tuple[PartnerTarget, ...]) -> _Outcome:
        # Every target of the audience, not only those the record names: a worker that died after a partner
        # took the alert left no record of it, and a retraction for an alert a partner never saw is harmless.
        results = dict(shown)
        for target in targets:
            before = results.get(target.name)
            if before and before.version == alert.version and before.state == "retracted":
                continue
            reference = before.reference if before else None
            delivery_id = self._delivery_id(alert, target)

            def retract(target: PartnerTarget = target, delivery_id: str = delivery_id, shown: Any = reference) -> Any:
                return self._channel.retract(alert, target, shown, delivery_id)

            result = self._attempt(alert, _Step(target, before, retract, "retracting", "retracted"))
            results[target.name] = self._settled(alert, target.name, before, result)
        return _summarise(results, alert.version, "retracted", None)

    def _settled(self, alert: Alert, name: str, before: TargetResult | None, result: TargetResult) -> TargetResult:
        """A retraction that may have overtaken a send in flight (its answer lost, its function dead) stays
        ``retracting``, to be made again once that send can no longer land."""
        uncertain = before is not None and before.version < alert.version and before.state in ("sending", "failed")
        if before is None or not uncertain or result.state != "retracted":
            return result
        wait = IN_FLIGHT_SECONDS - (self._clock() - before.updated_at).total_seconds()
        if wait <= 0:
            return result
        settling = result.model_copy(
            update={"state": "retracting", "detail": "again once a send in flight has settled", "retry_after": wait}
        )
        self._put_target(alert, name, settling)
        return settling

    def _attempt(self, alert: Alert, step: _Step) -> TargetResult:
        before = step.before
        attempts = (before.attempts if before and before.version == alert.version else 0) + 1
        reference = before.reference if before else None
        delivery_id = self._delivery_id(alert, step.target)
        pending = TargetResult(
            state=step.pending,
            version=alert.version,
            attempts=attempts,
            reference=reference,
            delivery_id=delivery_id,
            updated_at=self._clock(),
        )
        self._put_target(alert, step.target.name, pending)
        result = _result_of(step.action, pending, step.success, self._clock)
        if result.state == "failed" and result.detail and result.detail.startswith("unexpected"):
            self._log("target failed", alert.id, alert.version, target=step.target.name, error=result.detail)
        try:
            self._records.put_target(alert.id, self._channel.name, alert.version, step.target.name, result)
        except StaleWriteError:
            # The partner acted for this version while a newer one took over: bring it to the newest at once.
            self._catch_up(alert.id, step.target, result.reference)
            raise _Overtaken from None
        return result

    def _put_target(self, alert: Alert, name: str, result: TargetResult) -> None:
        try:
            self._records.put_target(alert.id, self._channel.name, alert.version, name, result)
        except StaleWriteError:
            raise _Overtaken from None

    def _catch_up(self, alert_id: str, target: PartnerTarget, reference: str | None) -> None:
        """Show the newest version at ``target`` (or take the alert down there), over what this worker just did."""
        current = self._alerts.get(alert_id)
        if current is None:
            return
        delivery_id = self._delivery_id(current, target)
        self._log("catching up with a newer version", alert_id, current.version, target=target.name)
        if current.state in TERMINAL_STATES:
            self._channel.retract(current, target, reference, delivery_id)
        else:
            self._channel.deliver(self._channel.render(current), target, delivery_id, reference)

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

    def _now(self) -> str:
        return self._clock().isoformat()

    def _delivery_id(self, alert: Alert, target: PartnerTarget) -> str:
        # Stable across retries, so a partner that got a delivery twice can tell.
        return f"{alert.id}.v{alert.version}.{self._channel.name}.{target.name}"

    def _log(self, message: str, alert_id: str, version: int, **extra: Any) -> None:
        logger.info(message, extra={"channel": self._channel.name, "alert_id": alert_id, "version": version, **extra})


def _result_of(
    action: Callable[[], Any], pending: TargetResult, success: DeliveryState, clock: Callable[[], datetime]
) -> TargetResult:
    """The target's state after its partner call. Any error of one target stays with that target."""
    try:
        reference = action()
    except PartnerError as error:
        detail, retry_after = str(error), error.retry_after
    except Exception as error:  # noqa: BLE001 - whatever one target raises must not cost the others their results
        # Only the type: an unexpected error's text may quote partner data.
        detail, retry_after = f"unexpected {type(error).__name__}", None
    else:
        kept = reference if isinstance(reference, str) else pending.reference
        return pending.model_copy(update={"state": success, "reference": kept, "updated_at": clock()})
    return pending.model_copy(
        update={"state": "failed", "detail": detail, "retry_after": retry_after, "updated_at": clock()}
    )


def _summarise(results: dict[str, TargetResult], version: int, success: DeliveryState, detail: str | None) -> _Outcome:
    current = {name: result for name, result in results.items() if result.version == version}
    waits = [result.retry_after for result in current.values() if result.retry_after is not None]
    for state in ("failed", "retracting"):
        pending = sorted(name for name, result in current.items() if result.state == state)
        if pending:
            summary = "; ".join(f"{name}: {current[name].detail}" for name in pending)
            return _Outcome(state, results, summary, max(waits) if waits else None)
    return _Outcome(success, results, detail)


def _states(record: DeliveryRecord) -> dict[str, str]:
    return {name: result.state for name, result in record.targets.items()}
