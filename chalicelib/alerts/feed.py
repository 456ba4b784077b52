"""The public CAP feed as the API serves it: the Atom index, and each active alert's current CAP message."""

from __future__ import annotations

from typing import Protocol

from chalicelib.channels.cap_feed import atom_feed
from chalicelib.errors import NotPublishedError
from chalicelib.models.alert import Alert


class Alerts(Protocol):
    def get(self, alert_id: str) -> Alert: ...


class FeedFiles(Protocol):
    def get(self, key: str) -> bytes | None: ...


class FeedService:
    def __init__(self, alerts: Alerts, files: FeedFiles) -> None:
        self._alerts = alerts
        self._files = files

    def feed(self) -> bytes:
        # Before the first alert there is no index file yet: an empty feed, made the same way.
        return self._files.get("feed.atom") or atom_feed([], "", "1970-01-01T00:00:00+00:00")

    def message(self, alert_id: str) -> bytes:
        alert = self._alerts.get(alert_id)
        if alert.state != "active" or alert.status != "actual":
            raise NotPublishedError(
                alert_id, f"the alert is {alert.state if alert.state != 'active' else alert.status}"
            )
        message = self._files.get(f"cap/{alert_id}.xml")
        if message is None:
            raise NotPublishedError(alert_id, "the feed has not published it yet")
        return message
