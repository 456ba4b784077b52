"""What flows between the functions: alert events from the dispatcher, delivery records from the channels."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.models.alert import Level, Status

EventKind = Literal["published", "updated", "cancelled", "expired"]
# A target is "sending" or "retracting" from just before the partner call until its answer is recorded: a record
# left so by a function that died tells the next worker (and the retraction) that the partner may have acted.
DeliveryState = Literal["sending", "retracting", "delivered", "failed", "retracted"]


class AlertEvent(BaseModel):
    """One accepted change of an alert, as the channels receive it. Carries no child data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_id: str
    version: int = Field(ge=1)
    kind: EventKind
    level: Level
    status: Status
    occurred_at: datetime

    def message_attributes(self) -> dict[str, dict[str, str]]:
        """SNS message attributes; the channel subscriptions filter on them."""
        return {
            name: {"DataType": "String", "StringValue": str(value)}
            for name, value in (("level", self.level), ("status", self.status), ("kind", self.kind))
        }


class TargetResult(BaseModel):
    """What happened at one target of a channel (a newsroom, an account, a topic)."""

    model_config = ConfigDict(extra="forbid")

    state: DeliveryState
    version: int
    attempts: int = 0
    reference: str | None = None
    # The idempotency key the partner received (webhook-id), stable across retries of one version.
    delivery_id: str | None = None
    detail: str | None = None
    retry_after: float | None = None
    updated_at: datetime
    # A retraction that may have overtaken a send in flight is made again at or after this moment, when that send
    # can no longer land; kept on every write of the target until then, so no retry or crash forgets it.
    settles_at: datetime | None = None


class DeliveryRecord(BaseModel):
    """Per alert and channel: what the channel last showed, and what it takes to retract it."""

    model_config = ConfigDict(extra="forbid")

    alert_id: str
    channel: str
    state: DeliveryState
    version: int
    attempts: int = 0
    targets: dict[str, TargetResult] = Field(default_factory=dict)
    detail: str | None = None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None = None
    seconds_to_delivery: float | None = None

    def public(self) -> dict[str, Any]:
        """The record as ``GET /alerts/{id}`` shows it under ``deliveries``."""
        return self.model_dump(mode="json", exclude={"alert_id", "channel"}, exclude_none=True)
