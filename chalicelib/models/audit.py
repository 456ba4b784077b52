"""The audit trail: who made each accepted change, when, which version, to which channels. Never child data."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

AuditAction = Literal["created", "updated", "cancelled", "expired", "purged"]


class Actor(BaseModel):
    """Who asked: the caller's IAM principal and the request id (API Gateway's, or the scheduled run's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    principal: str
    request_id: str


UNATTRIBUTED = Actor(principal="unattributed", request_id="-")


class AuditRecord(BaseModel):
    """One accepted change, stored append-only beside the alert and kept after its child data is erased."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_id: str
    reference: str
    version: int
    action: AuditAction
    at: datetime
    principal: str
    request_id: str
    level: str
    status: str
    # The channels the change goes out on, and the names (never the values) of the fields it changed.
    channels: list[str]
    changed: list[str] = []
    reason: str | None = None
