"""`make canary`: one canary run against the local stack, and a table per channel of how it went.

The run is the scheduled function's (``chalicelib.alerts.canary``), made from this process against the stack's AWS
endpoint: its test alert goes through the alert service into the stack's table, and the stack's event runner carries
it through the stream, the dispatcher and every channel to each channel's sandbox (the partner sink's sandbox
partners, the test devices' topics, the sandbox feed and site), then the canary cancels it and waits for the
retractions. The run is recorded as in AWS: ``GET /canary`` on the stack's API lists it.

Uses the stack `make run` started when it answers on the given ports, else starts one of its own. The stack can
also run the canary itself on a short schedule: `make run CANARY_EVERY=300` (``CanaryTicker`` below).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from chalicelib.alerts.canary import Canary, CanaryRun
from chalicelib.models.audit import Actor
from devstack.process import LocalStackProcess, start_local_stack
from devstack.runner import LambdaContext

# How often the local stack calls the scheduled function (a minute in AWS): a run's verdict comes seconds after
# the channels are done.
TICK_SECONDS = 5.0
ACTOR = Actor(principal="kind-alarm:canary", request_id="make-canary")


class CanaryTicker:
    """The local stack's stand-in for the canary's schedule: calls the function every TICK_SECONDS, as EventBridge
    does each minute in AWS, with a scheduled event."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any], seconds: float = TICK_SECONDS) -> None:
        self._handler = handler
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="canary-ticker", daemon=True)

    def start(self) -> CanaryTicker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        from chalicelib.observability import logger

        while not self._stop.wait(self._seconds):
            try:
                self._handler(scheduled_event(), LambdaContext("canary", aws_request_id=str(uuid.uuid4())))
            except Exception as error:  # noqa: BLE001 - the schedule fires again, as it would in AWS
                logger.error("canary tick failed", extra={"error_type": type(error).__name__})


def scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/kind-alarm-local-canary"],
        "detail": {},
    }


def local_canary(aws: str) -> Canary:
    """The canary as the function builds it, against the stack's AWS endpoint, without emitting metrics."""
    from devstack.stack import LOCAL_CREDENTIALS

    os.environ.update({**LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": aws, "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"})
    # twitter-text (the create's check of the post) still imports pkg_resources, which warns on import.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    from chalicelib.wiring import reset, wiring

    reset()
    parts = wiring()
    settings = parts.settings
    return Canary(
        alerts=parts.alert_service,
        deliveries=parts.delivery_table,
        runs=parts.canary_runs,
        every=timedelta(seconds=settings.canary_every_seconds),
        limit=timedelta(seconds=settings.canary_limit_seconds),
    )


WAITING = {
    "waiting_delivered": "waiting for every channel to deliver",
    "cancelling": "cancelling the alert",
    "waiting_retracted": "waiting for every channel to retract",
}


def run_one(canary: Canary, poll_seconds: float = 0.5, say: Callable[[str], None] = print) -> CanaryRun:
    """A run outside the schedule, moved on until its verdict (the stack's own ticker may move it too)."""
    run = canary.start(ACTOR)
    if run is None:
        raise RuntimeError("a run of this very second exists already")
    say(f"canary run {run.run_id}: alert {run.alert_id} ({run.reference}), limit {run.limit_seconds:g} s")
    shown = ""
    while not run.finished:
        if WAITING.get(run.state, run.state) != shown:
            shown = WAITING.get(run.state, run.state)
            say(f"  {shown}")
        time.sleep(poll_seconds)
        current = next(found for found in canary.latest(50) if found.run_id == run.run_id)
        run = canary.advance(current, ACTOR)
    return run


def table(run: CanaryRun) -> str:
    lines = [f"{'channel':16s} {'delivered':>10s} {'retracted':>10s}  verdict"]
    for channel, check in sorted(run.channels.items()):
        verdict = "ok" if check.delivered and check.retracted else "FAILED"
        answer = f" ({check.answer})" if check.answer and verdict != "ok" else ""
        delivered, retracted = _seconds(check.delivered_seconds), _seconds(check.retracted_seconds)
        lines.append(f"{channel:16s} {delivered:>10s} {retracted:>10s}  {verdict}{answer}")
    lines.append(f"run {run.run_id}: {run.state.upper()}")
    lines.extend(f"  {problem}" for problem in run.problems)
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--aws", default="http://127.0.0.1:5000")
    options = parser.parse_args(argv)
    own: LocalStackProcess | None = None
    try:
        requests.get(f"{options.api}/canary", timeout=2)
    except requests.ConnectionError:
        print("no local stack running; starting one for this canary", file=sys.stderr)
        own = start_local_stack()
        options.api, options.aws = own.api, own.aws
    from chalicelib.observability import logger

    logger.setLevel("WARNING")  # the alert service's log lines: the stack's own output has them
    try:
        run = run_one(local_canary(options.aws))
        print(table(run))
        listed = requests.get(f"{options.api}/canary", timeout=5).json()["runs"]
        if own is None and any(item["run_id"] == run.run_id for item in listed):
            print(f"recorded: {options.api}/canary")
    finally:
        if own is not None:
            own.stop()
    return 0 if run.state == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())
