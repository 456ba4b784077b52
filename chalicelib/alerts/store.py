"""What the use cases need from alert storage; ``chalicelib.adapters.alert_table`` provides it."""

from __future__ import annotations

from typing import Protocol

from chalicelib.models.alert import Alert
from chalicelib.models.audit import AuditRecord


class StaleWriteError(Exception):
    """The stored alert changed since it was read: its version or state no longer match."""


class AlertStore(Protocol):
    def insert(self, alert: Alert, audit: AuditRecord) -> tuple[Alert, bool]:
        """Store a new alert and its audit record unless its reference is taken; return it and whether it is new."""
        ...

    def get(self, alert_id: str) -> Alert | None: ...

    def find_by_reference(self, reference: str) -> Alert | None: ...

    def active(self, ending_before: int | None = None) -> list[Alert]:
        """The active alerts, those expiring before ``ending_before`` (epoch seconds) when given."""
        ...

    def replace(self, alert: Alert, expected_version: int, audit: AuditRecord) -> None:
        """Store ``alert`` and its audit record if the stored one is still active at ``expected_version``.

        Raises StaleWriteError otherwise; nothing is written then.
        """
        ...
