"""What each channel would show for an alert, for the operator to check before and while it is out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from chalicelib.alerts.lifecycle import ensure_active
from chalicelib.channels import app_push, cap_feed, news_media
from chalicelib.channels.policy import CHANNELS, CHANNELS_BY_LEVEL
from chalicelib.channels.push_topics import LANGUAGES
from chalicelib.errors import UnknownPreviewError
from chalicelib.imaging.visuals import VisualKind
from chalicelib.models.alert import Alert

VISUALS: dict[str, tuple[VisualKind, tuple[int, int] | None]] = {
    "social_media": ("social_card", (1200, 675)),
    "station_screens": ("station_poster", (1920, 1080)),
    "road_signs": ("road_sign", None),  # the configured sign profile
}


class Alerts(Protocol):
    def get(self, alert_id: str) -> Alert: ...


class Photos(Protocol):
    def master(self, photo_id: str | None) -> bytes | None: ...

    def urls(self, photo_id: str | None) -> dict[str, str]: ...


@dataclass(frozen=True)
class Preview:
    content_type: str
    body: bytes | str


class PreviewService:
    def __init__(self, alerts: Alerts, photos: Photos, road_sign: tuple[int, int], cap_sender: str) -> None:
        self._alerts = alerts
        self._photos = photos
        self._road_sign = road_sign
        self._cap_sender = cap_sender

    def preview(self, alert_id: str, channel: str) -> Preview:
        if channel not in CHANNELS:
            raise UnknownPreviewError(channel, f"the channels are {', '.join(CHANNELS)}")
        alert = self._alerts.get(alert_id)
        if channel not in CHANNELS_BY_LEVEL[alert.level]:
            raise UnknownPreviewError(channel, f"this channel does not carry {alert.level} alerts")
        ensure_active(alert)
        if channel in VISUALS:
            return Preview("image/png", self._visual(alert, channel))
        if channel == app_push.NAME:
            notifications = {
                language: dict(zip(("title", "body"), app_push.alert_notification(alert, language), strict=True))
                for language in LANGUAGES
            }
            return Preview("application/json", json.dumps(notifications, ensure_ascii=False))
        if channel == cap_feed.NAME:
            return Preview("application/cap+xml", cap_feed.cap_message(alert, self._cap_sender, [], None).decode())
        if channel == news_media.NAME:
            payload = news_media.render(alert, self._photos.urls(alert.photo_id))
            return Preview("application/json", json.dumps(payload, ensure_ascii=False))
        raise UnknownPreviewError(channel, "this channel has no preview yet")

    def _visual(self, alert: Alert, channel: str) -> bytes:
        from chalicelib.imaging.visuals import VisualContent, render_visual

        kind, size = VISUALS[channel]
        content = VisualContent(
            level=alert.level,
            name=alert.child.name,
            line=alert.headline.nl,
            phone=alert.contact.phone,
            photo=self._photos.master(alert.photo_id),
        )
        return render_visual(content, size or self._road_sign, kind)
