"""The canary: on a schedule a test alert goes the whole real way to every channel's sandbox and is taken down again,
each channel judged on delivering and on retracting it within the limit.

A scheduled function calls ``Canary.tick`` every minute. A run is one stored item that moves through
``started → waiting_delivered → cancelling → waiting_retracted → passed | failed``, each wait with its deadline, so
no function sleeps while the partners work. The alert is written through the alert service, as the API writes one,
with status ``test``: ``chalicelib.channels.targets.audience_for`` alone sends it to the sandbox targets. It names
no real child («Kanarie Test», no photo), and the run's record holds ids, times, states and the partners' answers.

The sandbox proves the path, not the public partners' own secrets: each run also reads every public partner's
secret and makes it ready to sign, sending nothing, and fails naming any that cannot be used.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from chalicelib.alerts.store import StaleWriteError
from chalicelib.channels.policy import deployed_channels_for
from chalicelib.clock import utc_now
from chalicelib.errors import KindAlarmError
from chalicelib.models.alert import Alert, Level
from chalicelib.models.audit import Actor
from chalicelib.models.events import DeliveryRecord, DeliveryState
from chalicelib.observability import logger

RunState = Literal["started", "waiting_delivered", "cancelling", "waiting_retracted", "passed", "failed"]
Phase = Literal["delivered", "retracted"]
FINISHED: frozenset[str] = frozenset({"passed", "failed"})
# A kind_alarm goes out on every channel, so the canary proves them all.
LEVEL: Level = "kind_alarm"
# Should the canary itself stop mid-run, the alert expires and expire_alerts retracts it within this time.
ALERT_LIFETIME = timedelta(hours=1)
# The runs a tick looks at: an unfinished run is always among them (a run ends within two limits of its start).
RECENT_RUNS = 10
# A partner's answer is kept to this length: enough for a status line and a reason.
ANSWER_CHARS = 300
# Withdrawn, not found: a found child would also post a «gevonden» notice on the sandbox accounts, left behind.
CANCEL_REASON = "withdrawn"
# A public partner's secret that is ready to use, as the run shows it.
USABLE = "ok"

# Per public partner (``<channel>/<name>``): None when its secret is ready, else why not.
SecretCheck = Callable[[], dict[str, str | None]]


class ChannelCheck(BaseModel):
    """One channel in one run: whether it delivered and retracted within the limit, in how many seconds, and what
    the partner answered when it did not. ``None`` while that phase has not been judged yet."""

    model_config = ConfigDict(extra="forbid")

    delivered: bool | None = None
    delivered_seconds: float | None = None
    retracted: bool | None = None
    retracted_seconds: float | None = None
    # The channel's delivery record when it was last judged (absent: the channel never recorded anything).
    state: DeliveryState | None = None
    answer: str | None = Field(default=None, description="the partner's answer when the channel fell short")


class AlertChange(BaseModel):
    """The canary's alert at one accepted change (published, cancelled): its version and when it was accepted."""

    model_config = ConfigDict(extra="forbid")

    version: int
    at: datetime


class CanaryRun(BaseModel):
    """One canary run, as stored and as ``GET /canary`` shows it. Holds no child data."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    state: RunState
    reference: str
    started_at: datetime
    limit_seconds: float
    # Until when the current state may wait (to be created, to be delivered, to be cancelled, to be retracted).
    deadline: datetime
    alert_id: str | None = None
    published: AlertChange | None = None
    cancelled: AlertChange | None = None
    finished_at: datetime | None = None
    channels: dict[str, ChannelCheck] = Field(default_factory=dict)
    public_secrets: dict[str, str] = Field(
        default_factory=dict,
        description="per public partner (<channel>/<name>), its secret read and made ready to sign, nothing sent:"
        " ok, or why it cannot be used",
    )
    problems: list[str] = Field(default_factory=list, description="one sentence per shortfall, naming the channel")
    # Bumped by every write: a run moves on only from the revision it was read at (two invocations at once).
    revision: SkipJsonSchema[int] = Field(default=0, exclude=True)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def seconds(self) -> list[tuple[str, Phase, float]]:
        """(channel, phase, seconds) of every phase a channel completed, for the metrics."""
        found: list[tuple[str, Phase, float]] = []
        for channel, check in sorted(self.channels.items()):
            if check.delivered_seconds is not None:
                found.append((channel, "delivered", check.delivered_seconds))
            if check.retracted_seconds is not None:
                found.append((channel, "retracted", check.retracted_seconds))
        return found


class CanaryRuns(BaseModel):
    """``GET /canary``: the latest runs, newest first."""

    runs: list[CanaryRun]


class CanaryAlerts(Protocol):
    """The alert service, as the API uses it: create and cancel."""

    def create(self, body: Any, actor: Actor) -> Any: ...

    def cancel(self, alert_id: str, body: Any, expected_version: int | None, actor: Actor) -> Alert: ...


class DeliveryLog(Protocol):
    def for_alert(self, alert_id: str) -> list[DeliveryRecord]: ...


class RunStore(Protocol):
    def latest(self, count: int) -> list[CanaryRun]: ...

    def insert(self, run: CanaryRun) -> None:
        """Store a new run; ``StaleWriteError`` when a run of that id exists."""
        ...

    def replace(self, run: CanaryRun, revision: int) -> CanaryRun:
        """Store ``run`` over the one read at ``revision``; returns it as stored. ``StaleWriteError`` otherwise."""
        ...


# --- what a run is and how it is judged (pure) ------------------------------------------------------------------


def period_start(now: datetime, every: timedelta) -> datetime:
    """The start of the schedule's period holding ``now``, counted from the epoch: runs fall at the same times every
    day (a period dividing 24 hours) and never drift by the minute a tick may come late."""
    seconds = int(every.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=timezone.utc)


def run_id_at(moment: datetime) -> str:
    """A run's id: its start, sortable as text (a stored run's sort key)."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def new_run(run_id: str, now: datetime, limit: timedelta) -> CanaryRun:
    return CanaryRun(
        run_id=run_id,
        state="started",
        reference=f"CANARY-{run_id}",
        started_at=now,
        limit_seconds=limit.total_seconds(),
        deadline=now + limit,
    )


def canary_alert(reference: str, now: datetime) -> dict[str, Any]:
    """The create body of a canary's alert: a test, obviously nobody's child, no photo, a small area."""
    place = {"lat": 52.0894, "lon": 5.1101}
    return {
        "reference": reference,
        "level": LEVEL,
        "status": "test",
        "child": {"name": "Kanarie Test", "description": "Een test van Kind Alarm. Er is geen kind vermist."},
        "headline": {"nl": "TEST Kind Alarm: kanarie", "en": "TEST Kind Alarm: canary"},
        "instruction": {
            "nl": "Dit is een test. Er is geen kind vermist.",
            "en": "This is a test. No child is missing.",
        },
        "last_seen": {"at": (now - timedelta(minutes=5)).isoformat(), "place": "Test", **place},
        "area": {"type": "circle", **place, "radius_km": 1},
        "contact": {"phone": "0800-6070"},
        "expires_at": (now + ALERT_LIFETIME).isoformat(),
    }


def partner_answer(record: DeliveryRecord | None, version: int, done: DeliveryState) -> str | None:
    """What the partners answered where the channel has not reached ``done`` for ``version``: each target's error."""
    if record is None:
        return None
    answers = [
        f"{name}: {target.detail or target.state}"
        for name, target in sorted(record.targets.items())
        if target.version >= version and target.state != done
    ]
    text = "; ".join(answers) or record.detail
    return text[:ANSWER_CHARS] if text else None


def _reached(record: DeliveryRecord | None, version: int, done: DeliveryState) -> bool:
    """The channel reached ``done`` for ``version`` at a target: a channel with no sandbox target configured records
    itself delivered having sent nothing, which proves nothing."""
    if record is None or record.version < version or record.state != done:
        return False
    return any(target.version >= version and target.state == done for target in record.targets.values())


def _seconds(record: DeliveryRecord, since: datetime) -> float:
    if record.seconds_to_delivery is not None:
        return record.seconds_to_delivery
    return round(((record.delivered_at or record.updated_at) - since).total_seconds(), 3)


def judge(run: CanaryRun, records: list[DeliveryRecord], phase: Phase, now: datetime) -> CanaryRun | None:
    """The run once every channel reached ``phase`` for the change it waits on, or once its deadline passed: each
    channel judged, moved on to cancelling (delivered) or finished (retracted). None: wait for the next tick."""
    change = run.published if phase == "delivered" else run.cancelled
    if change is None:
        return _finish(run, [f"the run waits for {phase} without its alert's change"], now)
    by_channel = {record.channel: record for record in records}
    channels = deployed_channels_for(LEVEL)
    if now < run.deadline and not all(_reached(by_channel.get(name), change.version, phase) for name in channels):
        return None
    checks, problems = dict(run.channels), list(run.problems)
    for channel in channels:
        checks[channel], problem = _check(
            checks.get(channel, ChannelCheck()), by_channel.get(channel), phase, change, run.limit_seconds
        )
        problems.extend([f"{channel}: {problem}"] if problem else [])
    judged = run.model_copy(update={"channels": checks, "problems": problems})
    if phase == "delivered":
        return judged.model_copy(update={"state": "cancelling", "deadline": now + _limit(run)})
    return _finish(judged, problems, now)


def _check(
    check: ChannelCheck, record: DeliveryRecord | None, phase: Phase, change: AlertChange, limit: float
) -> tuple[ChannelCheck, str | None]:
    """One channel's check for ``phase``, and the shortfall in a few words (None: within the limit)."""
    update: dict[str, Any] = {"state": record.state if record else None}
    if record is not None and _reached(record, change.version, phase):
        seconds = _seconds(record, change.at)
        update |= {phase: seconds <= limit, f"{phase}_seconds": seconds}
        late = f"{phase} after {seconds:g} s, over the {limit:g} s limit" if seconds > limit else None
        return check.model_copy(update=update), late
    answer = partner_answer(record, change.version, phase)
    update |= {phase: False, "answer": answer or check.answer}
    problem = f"not {phase} within {limit:g} s" + (f" ({answer})" if answer else "")
    return check.model_copy(update=update), problem


def _finish(run: CanaryRun, problems: list[str], now: datetime) -> CanaryRun:
    passed = not problems and all(check.delivered and check.retracted for check in run.channels.values())
    state: RunState = "passed" if passed and run.channels else "failed"
    return run.model_copy(update={"state": state, "problems": problems, "finished_at": now})


def _limit(run: CanaryRun) -> timedelta:
    return timedelta(seconds=run.limit_seconds)


# --- the runs ----------------------------------------------------------------------------------------------------


class Canary:
    def __init__(
        self,
        alerts: CanaryAlerts,
        deliveries: DeliveryLog,
        runs: RunStore,
        every: timedelta,
        limit: timedelta,
        clock: Callable[[], datetime] = utc_now,
        on_finished: Callable[[CanaryRun], None] | None = None,
        check_secrets: SecretCheck | None = None,
    ) -> None:
        self._check_secrets = check_secrets
        self._alerts = alerts
        self._deliveries = deliveries
        self._runs = runs
        self._every = every
        self._limit = limit
        self._clock = clock
        self._on_finished = on_finished

    def tick(self, actor: Actor, start_now: bool = False) -> list[CanaryRun]:
        """Move every unfinished run on, and start this period's run unless it exists (with ``start_now`` also one
        outside the schedule, as an operator asks after a fix); the runs looked at."""
        recent = self._runs.latest(RECENT_RUNS)
        touched = [self.advance(run, actor) for run in recent if not run.finished]
        run_id = run_id_at(period_start(self._clock(), self._every))
        starts: list[str | None] = [run_id] if all(run.run_id != run_id for run in recent) else []
        if start_now:
            starts.append(None)  # named by this moment
        for name in starts:
            started = self.start(actor, name)
            if started is not None:
                touched.append(started)
        return touched

    def start(self, actor: Actor, run_id: str | None = None) -> CanaryRun | None:
        """A new run (by default one outside the schedule, named by this moment), moved as far as it goes now;
        None when a run of that id exists already (another invocation started it)."""
        now = self._clock()
        run = new_run(run_id or f"{run_id_at(now)}-manual", now, self._limit)
        try:
            self._runs.insert(run)
        except StaleWriteError:
            return None
        logger.info("canary started", extra={"run_id": run.run_id, "reference": run.reference})
        return self.advance(run, actor)

    def latest(self, count: int) -> list[CanaryRun]:
        return self._runs.latest(count)

    def advance(self, run: CanaryRun, actor: Actor) -> CanaryRun:
        """Move the run on as far as it can go now, storing each step before the next is taken."""
        while not run.finished:
            try:
                moved = self._step(run, actor)
            except Exception as error:  # noqa: BLE001 - one broken step must neither stop the schedule nor hide
                moved = self._failed_step(run, error)
            if moved is None:
                break
            try:
                run = self._runs.replace(moved, run.revision)
            except StaleWriteError:
                break  # another invocation moved it on meanwhile; the next tick reads where it stands
            if run.finished:
                self._report(run)
        return run

    def _step(self, run: CanaryRun, actor: Actor) -> CanaryRun | None:
        now = self._clock()
        if run.state == "started":
            return self._publish(run, actor, now)
        if run.alert_id is None:
            return _finish(run, [*run.problems, f"the run is {run.state} without an alert"], now)
        if run.state == "cancelling":
            return self._cancel(run, run.alert_id, actor, now)
        phase: Phase = "delivered" if run.state == "waiting_delivered" else "retracted"
        return judge(run, self._deliveries.for_alert(run.alert_id), phase, now)

    def _failed_step(self, run: CanaryRun, error: Exception) -> CanaryRun | None:
        """A step that raised what the services never promised (a throttled table, a permission missing): tried
        again on the next tick until the deadline, then judged, so the run fails and is reported. Delivery records
        that cannot be read count as no channel delivering, and the alert is still withdrawn."""
        now = self._clock()
        logger.warning(
            "canary step failed",
            extra={"run_id": run.run_id, "state": run.state, "error_type": type(error).__name__},
        )
        if now < run.deadline:
            return None
        if run.state in ("waiting_delivered", "waiting_retracted"):
            unread = f"the delivery records could not be read: {type(error).__name__}"
            phase: Phase = "delivered" if run.state == "waiting_delivered" else "retracted"
            return judge(run.model_copy(update={"problems": [*run.problems, unread]}), [], phase, now)
        return _finish(run, [*run.problems, f"the canary's {run.state} step failed: {type(error).__name__}"], now)

    def _publish(self, run: CanaryRun, actor: Actor, now: datetime) -> CanaryRun:
        """Create the run's alert through the service, as the API does (a retry finds it by its reference)."""
        if now >= run.deadline:
            return _finish(run, ["the canary's alert could not be created within the limit"], now)
        checked = self._public_secrets(run)
        try:
            alert: Alert = self._alerts.create(canary_alert(run.reference, now), actor).alert
        except KindAlarmError as error:
            return _finish(checked, [*checked.problems, f"the canary's alert was refused: {error.detail}"], now)
        published = AlertChange(version=alert.version, at=alert.updated_at)
        return checked.model_copy(
            update={
                "state": "waiting_delivered",
                "alert_id": alert.id,
                "published": published,
                "deadline": now + _limit(run),
            }
        )

    def _public_secrets(self, run: CanaryRun) -> CanaryRun:
        """The run with every public partner's secret checked: one problem, naming the channel, per secret that
        cannot be used."""
        found = self._check_secrets() if self._check_secrets is not None else {}
        problems = [f"{partner.split('/')[0]}: {problem}" for partner, problem in found.items() if problem]
        shown = {partner: problem or USABLE for partner, problem in found.items()}
        return run.model_copy(update={"public_secrets": shown, "problems": [*run.problems, *problems]})

    def _cancel(self, run: CanaryRun, alert_id: str, actor: Actor, now: datetime) -> CanaryRun | None:
        try:
            alert = self._alerts.cancel(alert_id, {"reason": CANCEL_REASON}, None, actor)
        except KindAlarmError as error:
            if now < run.deadline:
                return None  # busy with a concurrent change: the next tick cancels again
            return _finish(run, [*run.problems, f"the canary's alert could not be cancelled: {error.detail}"], now)
        cancelled = AlertChange(version=alert.version, at=alert.updated_at)
        return run.model_copy(
            update={"state": "waiting_retracted", "cancelled": cancelled, "deadline": now + _limit(run)}
        )

    def _report(self, run: CanaryRun) -> None:
        failing = sorted(name for name, check in run.channels.items() if not (check.delivered and check.retracted))
        unusable = sorted(name for name, answer in run.public_secrets.items() if answer != USABLE)
        logger.info(
            f"canary {run.state}",
            extra={
                "run_id": run.run_id,
                "alert_id": run.alert_id,
                "failing_channels": failing,
                "unusable_secrets": unusable,
            },
        )
        if self._on_finished is not None:
            self._on_finished(run)
