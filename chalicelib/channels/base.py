"""What every channel provides. ``render`` is pure and previewable; ``deliver`` and ``retract`` move bytes."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.channels.targets import PartnerTarget
from chalicelib.models.alert import Alert


def alert_summary(alert: Alert) -> dict[str, Any]:
    """What every partner payload says of the alert itself: which one, which version, how urgent, how real."""
    return {
        "id": alert.id,
        "reference": alert.reference,
        "version": alert.version,
        "level": alert.level,
        "status": alert.status,
    }


class ContentError(ValueError):
    """Rendered content breaks the channel's limits (length, size)."""


class Channel(Protocol):
    name: str

    def render(self, alert: Alert) -> dict[str, Any]:
        """What the channel shows for this alert version; raises ContentError past the channel's limits."""
        ...

    def deliver(
        self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, previous: str | None
    ) -> str | None:
        """Show ``content`` at ``target`` (replacing ``previous``, what it showed before); return the reference."""
        ...

    def retract(self, alert: Alert, target: PartnerTarget, reference: str | None, delivery_id: str) -> None:
        """Take down what was shown at ``target`` for this alert."""
        ...
