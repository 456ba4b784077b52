"""A channel's worker that adds each version it delivered or retracted to the alert's timeline, for its report.

The event is written from what the worker answers for a message, a repeated message included. A function that dies
between the delivery record and the event, or a write of the event that fails, leaves the message to come again;
the worker then answers the record it finds (a duplicate: no partner is asked again) and the event is written.
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.channels.worker import ChannelWorker
from chalicelib.models.events import AlertEvent, DeliveryRecord


class Outcomes(Protocol):
    def outcome(self, record: DeliveryRecord) -> None: ...


class TimelineWorker(ChannelWorker):
    def __init__(self, *args: Any, timeline: Outcomes, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timeline = timeline

    def handle(self, event: AlertEvent) -> DeliveryRecord | None:
        record = super().handle(event)
        if record is not None:  # delivered or retracted, now or by an earlier delivery of this message
            self._timeline.outcome(record)
        return record
