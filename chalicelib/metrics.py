"""CloudWatch metrics as embedded metric format lines (powertools): counts and durations, never child data.

Names and dimensions here are the ones the dashboard and alarms in ``infra/operations.py`` read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.alerts.canary import CanaryRun
    from chalicelib.models.events import DeliveryRecord

NAMESPACE = "KindAlarm"
SERVICE = "kind-alarm-api"


def emit(name: str, value: float, unit: str = "Count", channel: str | None = None, phase: str | None = None) -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    dimensions = {"service": SERVICE}
    if channel is not None:
        dimensions["channel"] = channel
    if phase is not None:
        dimensions["phase"] = phase
    with single_metric(
        name=name, unit=MetricUnit(unit), value=value, namespace=NAMESPACE, default_dimensions=dimensions
    ):
        pass


def alert_received(created: bool) -> None:
    if created:
        emit("AlertsReceived", 1)


def delivery_recorded(record: DeliveryRecord) -> None:
    """One channel's outcome for one alert version: delivered (with its delay), retracted or failed."""
    if record.state == "failed":
        emit("DeliveryFailures", 1, channel=record.channel)
        return
    if record.state not in ("delivered", "retracted"):
        return  # still sending, or retracting until a send in flight has settled: counted when it ends
    emit("Deliveries", 1, channel=record.channel)
    if record.seconds_to_delivery is not None:
        emit("SecondsToDelivery", record.seconds_to_delivery, "Seconds", channel=record.channel)


def undelivered_channels(count: int) -> None:
    emit("UndeliveredChannels", count)


def canary_finished(run: CanaryRun) -> None:
    """A canary run's verdict (1 passed, 0 failed) and each channel's seconds per phase (delivered, retracted)."""
    emit("CanaryPassed", 1 if run.state == "passed" else 0)
    for channel, phase, seconds in run.seconds():
        emit("CanarySeconds", seconds, "Seconds", channel=channel, phase=phase)
