"""The public CAP feed as the API serves it: the Atom index, and each active alert's current CAP message."""

from __future__ import annotations

from typing import Protocol

from chalicelib.errors import NotPublishedError
from chalicelib.models.alert import Alert


class Alerts(Protocol):
    def get(self, alert_id: str) -> Alert: ...


class FeedFiles(Protocol):
    def get(self, key: str) -> bytes | None: ...


EMPTY_FEED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:kindalarm:feed</id>'
    b"<title>Kind Alarm: vermiste kinderen</title><updated>1970-01-01T00:00:00+00:00</updated>"
    b"<author><name>Politie / Burgernet</name></author></feed>"
)


class FeedService:
    def __init__(self, alerts: Alerts, files: FeedFiles) -> None:
        self._alerts = alerts
        self._files = files

    def feed(self) -> bytes:
        return self._files.get("feed.atom") or EMPTY_FEED

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
