"""One channel's work for one alert event: load, skip what is stale, render, deliver or retract, record.

What a partner did is never lost with the function that asked it: each target is recorded as ``sending`` (or
``retracting``) before its partner call and with its result the moment that is known. A retraction trusts no
absence: it retracts at every target of the alert's audience, whatever the record says (or when there is none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters.failures import PartnerError
from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.alerts.store import StaleWriteError
from chalicelib.channels.base import Asset, Assets, Channel, Content, ContentError
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


AssetSource = Callable[[Alert, frozenset[Asset]], Assets]


class AlertReader(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


class DeliveryStore(Protocol):
    def get(self, alert_id: str, channel: str) -> DeliveryRecord | None: ...

    def begin(self, alert_id: str, channel: str, version: int, state: DeliveryState, now: str) -> DeliveryRecord: ...

    def put_target(self, alert_id: str, channel: str, version: int, name: str, result: TargetResult) -> None: ...

    def claim_target(
        self, alert_id: str, channel: str, version: int, name: str, result: TargetResult, seen: TargetResult | None
    ) -> None: ...

    def finish(self, record: DeliveryRecord) -> None: ...


class _Overtaken(Exception):
    """A newer version of the alert holds the delivery record: this worker's version is done with."""


class _Busy(Exception):
    """Another worker of this very version is sending to the target (the queue delivered the message twice)."""

    def __init__(self, current: TargetResult | None, wait: float) -> None:
        super().__init__("in flight in another function")
        self.current = current
        self.wait = wait


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
    delivery_id: str
    settles_at: datetime | None = None
    exclusive: bool = False
    # What to record as shown before the call, should its answer never come (default: what was shown before).
    claimed_reference: str | None = None


class ChannelWorker:
    def __init__(
        self,
        channel: Channel,
        alerts: AlertReader,
        records: DeliveryStore,
        directory: PartnerDirectory,
        assets: AssetSource,
        clock: Callable[[], datetime] = utc_now,
        on_recorded: Callable[[DeliveryRecord], None] | None = None,
    ) -> None:
        self._on_recorded = on_recorded
        self._assets = assets
        self._channel = channel
        self._exclusive = channel.exclusive_sends
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
            claimed = self._records.begin(
                alert.id, self._channel.name, alert.version, "retracting" if retracting else "sending", self._now()
            )
        except StaleWriteError:
            raise _Overtaken from None
        targets = targets_for(self._directory, self._channel.name, alert.status)
        # What the record held when this version claimed it, not when it was read above: an older worker may have
        # marked a target "sending" in between, and a retraction must know that send may still land.
        shown = dict(claimed.targets)
        outcome = self._retract(alert, shown, targets) if retracting else self._publish(alert, shown, targets)
        record = self._record(alert, previous, outcome)
        try:
            self._records.finish(record)
        except StaleWriteError:
            raise _Overtaken from None
        if self._on_recorded is not None:
            self._on_recorded(record)
        self._log(f"delivery {record.state}", alert.id, alert.version, targets=_states(record))
        if record.state in ("failed", "sending", "retracting"):
            raise DeliveryFailedError(record.detail or "delivery failed", outcome.retry_after)
        return record

    def _publish(self, alert: Alert, shown: dict[str, TargetResult], targets: tuple[PartnerTarget, ...]) -> _Outcome:
        try:
            content = self._render(alert)
        except ContentError as error:
            return _Outcome("failed", shown, f"content: {error}")
        results = dict(shown)
        busy: dict[str, float] = {}
        for target in targets:
            before = results.get(target.name)
            if before and before.version == alert.version and before.state == "delivered":
                continue
            reference = before.reference if before else None
            delivery_id = self._delivery_id(alert, target)

            def deliver(target: PartnerTarget = target, delivery_id: str = delivery_id, shown: Any = reference) -> Any:
                return self._channel.deliver(content, target, delivery_id, shown)

            # A send of an older version that may still land is handed on, so a later retraction waits for it too.
            settles_at = _settles_at(alert, before)
            pending = settles_at if settles_at is not None and settles_at > self._clock() else None
            claimed = self._channel.reach(content, reference)
            step = _Step(
                target, before, deliver, "sending", "delivered", delivery_id, pending, self._exclusive, claimed
            )
            try:
                results[target.name] = self._attempt(alert, step)
            except _Busy as taken:
                if taken.current is not None:
                    results[target.name] = taken.current
                busy[target.name] = taken.wait
        detail = None if targets else f"no {audience_for(alert.status)} targets are configured"
        return _with_busy(_summarise(results, alert.version, "delivered", detail), alert.version, busy)

    def _retract(self, alert: Alert, shown: dict[str, TargetResult], targets: tuple[PartnerTarget, ...]) -> _Outcome:
        # Every target of the audience, not only those the record names: a worker that died after a partner
        # took the alert left no record of it, and a retraction for an alert a partner never saw is harmless.
        content = self._render(alert)
        results = dict(shown)
        for target in targets:
            before = results.get(target.name)
            if before and before.version == alert.version and before.state == "retracted":
                continue
            reference = before.reference if before else None
            settles_at = _settles_at(alert, before)
            attempts = _next_attempt(before, alert.version)
            delivery_id = self._delivery_id(alert, target)
            if settles_at is not None and attempts > 1:
                # Made again after a send that may have landed since the last one: a partner that drops a repeated
                # webhook-id (as it may) must take this one.
                delivery_id = f"{delivery_id}.{attempts}"

            def retract(target: PartnerTarget = target, delivery_id: str = delivery_id, shown: Any = reference) -> Any:
                return self._channel.retract(content, target, delivery_id, shown)

            step = _Step(target, before, retract, "retracting", "retracted", delivery_id, settles_at)
            results[target.name] = self._attempt(alert, step)
        results |= self._beyond_reach(alert, shown, targets)
        return _summarise(results, alert.version, "retracted", None)

    def _beyond_reach(
        self, alert: Alert, shown: dict[str, TargetResult], targets: tuple[PartnerTarget, ...]
    ) -> dict[str, TargetResult]:
        """Targets the record says may show the alert that the partner directory no longer names: nothing can
        reach them, and the record must not say they took it down. They fail (the message ends in the dead-letter
        queue, with its alarm); redriven once the directory names them again, the retraction reaches them."""
        audience = {target.name for target in targets}
        gone = {}
        for name, before in shown.items():
            if name in audience or (before.version == alert.version and before.state == "retracted"):
                continue
            attempts = _next_attempt(before, alert.version)
            gone[name] = before.model_copy(
                update={
                    "state": "failed",
                    "version": alert.version,
                    "attempts": attempts,
                    "detail": "not in the partner directory: it may still show the alert",
                    "retry_after": None,
                    "updated_at": self._clock(),
                }
            )
            self._put_target(alert, name, gone[name])
        return gone

    def _settled(self, result: TargetResult) -> TargetResult:
        """A retraction that may have overtaken a send in flight (its answer lost, its function dead) stays
        ``retracting`` until that send can no longer land, to be made again then; any attempt before that moment
        (a retry, a message delivered twice) leaves it waiting."""
        if result.settles_at is None or result.state != "retracted":
            return result
        wait = (result.settles_at - self._clock()).total_seconds()
        if wait <= 0:
            return result.model_copy(update={"settles_at": None})
        return result.model_copy(
            update={"state": "retracting", "detail": "again once a send in flight has settled", "retry_after": wait}
        )

    def _attempt(self, alert: Alert, step: _Step) -> TargetResult:
        before = step.before
        attempts = _next_attempt(before, alert.version)
        reference = step.claimed_reference or (before.reference if before else None)
        pending = TargetResult(
            state=step.pending,
            version=alert.version,
            attempts=attempts,
            reference=reference,
            delivery_id=step.delivery_id,
            updated_at=self._clock(),
            settles_at=step.settles_at,
        )
        if step.exclusive:
            self._claim(alert, step.target.name, before, pending)
        else:
            self._put_target(alert, step.target.name, pending)
        result = _result_of(step.action, pending, step.success, self._clock)
        if step.success == "retracted":
            result = self._settled(result)  # written in the same step: no crash comes between the two
        if result.state == "failed" and result.detail and result.detail.startswith("unexpected"):
            self._log("target failed", alert.id, alert.version, target=step.target.name, error=result.detail)
        try:
            self._records.put_target(alert.id, self._channel.name, alert.version, step.target.name, result)
        except StaleWriteError:
            # The partner acted for this version while a newer one took over: bring it to the newest at once.
            self._catch_up(alert.id, step.target, result.reference, alert.version)
            raise _Overtaken from None
        return result

    def _claim(self, alert: Alert, name: str, before: TargetResult | None, pending: TargetResult) -> None:
        """Mark the target ``sending`` only when no other worker of this version is sending to it."""
        if before is not None and before.version == alert.version and before.state == "sending":
            wait = IN_FLIGHT_SECONDS - (self._clock() - before.updated_at).total_seconds()
            if wait > 0:
                raise _Busy(before, wait)
        try:
            self._records.claim_target(alert.id, self._channel.name, alert.version, name, pending, before)
        except StaleWriteError:
            record = self._records.get(alert.id, self._channel.name)
            if record is None or record.version != alert.version:
                raise _Overtaken from None
            raise _Busy(record.targets.get(name), IN_FLIGHT_SECONDS) from None

    def _put_target(self, alert: Alert, name: str, result: TargetResult) -> None:
        try:
            self._records.put_target(alert.id, self._channel.name, alert.version, name, result)
        except StaleWriteError:
            raise _Overtaken from None

    def _catch_up(self, alert_id: str, target: PartnerTarget, reference: str | None, overtaken: int) -> None:
        """Show the newest version at ``target`` (or take the alert down there), over what this worker just did."""
        current = self._alerts.get(alert_id)
        if current is None:
            return
        # Not the newest version's own webhook-id: the partner may have had that one already and would drop it as a
        # repeat, keeping what this worker's late send just showed.
        delivery_id = f"{self._delivery_id(current, target)}.after-v{overtaken}"
        self._log("catching up with a newer version", alert_id, current.version, target=target.name)
        content = self._render(current)
        if current.state in TERMINAL_STATES:
            self._channel.retract(content, target, delivery_id, reference)
        else:
            self._channel.deliver(content, target, delivery_id, reference)

    def _render(self, alert: Alert) -> Content:
        # A retraction reads no photo: it is deleted when the alert ends, and nothing taken down shows it.
        needs = frozenset() if alert.state in TERMINAL_STATES else self._channel.needs
        return self._channel.render(alert, self._assets(alert, needs))

    def _record(self, alert: Alert, previous: DeliveryRecord | None, outcome: _Outcome) -> DeliveryRecord:
        now = self._clock()
        attempts = _next_attempt(previous, alert.version)
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


def _next_attempt(before: TargetResult | DeliveryRecord | None, version: int) -> int:
    """Attempts count per version: a newer version starts again at 1."""
    return (before.attempts if before is not None and before.version == version else 0) + 1


def _settles_at(alert: Alert, before: TargetResult | None) -> datetime | None:
    """When every send that may still land at the target can no longer land: one made for an older version whose
    answer was lost or whose function died, or one an earlier write of the target already waited for."""
    if before is None:
        return None
    moments = [before.settles_at] if before.settles_at is not None else []
    if before.version < alert.version and before.state in ("sending", "failed"):
        moments.append(before.updated_at + timedelta(seconds=IN_FLIGHT_SECONDS))
    return max(moments) if moments else None


def _with_busy(outcome: _Outcome, version: int, busy: dict[str, float]) -> _Outcome:
    """The outcome while other functions of this version are still sending to some targets: come back once their
    sends have landed (or their functions have surely died)."""
    waiting = {
        name: wait
        for name, wait in busy.items()
        if not (
            outcome.targets.get(name)
            and outcome.targets[name].version == version
            and outcome.targets[name].state == "delivered"
        )
    }
    if not waiting:
        return outcome
    elsewhere = "; ".join(f"{name}: being sent by another function" for name in sorted(waiting))
    if outcome.state == "failed":
        return _Outcome(
            "failed",
            outcome.targets,
            f"{outcome.detail}; {elsewhere}",
            max([*waiting.values(), outcome.retry_after or 0.0]),
        )
    return _Outcome("sending", outcome.targets, elsewhere, max(waiting.values()))


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
