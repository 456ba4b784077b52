"""What the use cases need from alert storage; ``chalicelib.adapters.alert_table`` provides it."""

from __future__ import annotations

from typing import Protocol

from chalicelib.models.alert import Alert


class StaleWriteError(Exception):
    """The stored alert changed since it was read: its version or state no longer match."""


class AlertStore(Protocol):
    def insert(self, alert: Alert) -> tuple[Alert, bool]:
        """Store a new alert unless its reference is taken; return the stored alert and whether it is new."""
        ...

    def get(self, alert_id: str) -> Alert | None: ...

    def find_by_reference(self, reference: str) -> Alert | None: ...

    def replace(self, alert: Alert, expected_version: int) -> None:
        """Store ``alert`` if the stored one is still active at ``expected_version``, else raise StaleWriteError."""
        ...
