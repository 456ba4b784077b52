"""station_screens: the NS station information screens, by signed webhook with a 1920×1080 poster."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.channels.base import Asset, Assets, Content, Preview, alert_summary, visual
from chalicelib.channels.webhook_channel import WebhookChannel, image_preview, within_limit
from chalicelib.models.alert import Alert
from chalicelib.wording import BANNERS

if TYPE_CHECKING:
    from chalicelib.wiring import Wiring

NAME = "station_screens"
POSTER_SIZE = (1920, 1080)
# The poster goes inline as base64 (4/3 larger) in a webhook of at most 256 KiB, beside the alert's text.
POSTER_MAX_BYTES = 180 * 1024


class StationScreensChannel(WebhookChannel):
    """The poster (a JPEG within the webhook's budget) and its text; cleared when the alert ends."""

    name = NAME
    needs: frozenset[Asset] = frozenset({"photo"})

    def render(self, alert: Alert, assets: Assets) -> Content:
        if alert.state in TERMINAL_STATES:
            return {"type": "screen.clear", "alert": {**alert_summary(alert), "state": alert.state}}
        poster = visual(alert, assets.photo, POSTER_SIZE, "station_poster", POSTER_MAX_BYTES)
        payload = {
            "type": "screen.show",
            "alert": alert_summary(alert),
            "text": {
                "title": BANNERS[alert.level],
                "name": alert.child.name,
                "line": alert.headline.nl,
                "phone": alert.contact.phone,
            },
            "poster_jpeg": base64.b64encode(poster).decode(),
        }
        return within_limit(NAME, payload)

    def preview(self, content: Content) -> Preview:
        return image_preview(content, "poster_jpeg")


def build(parts: Wiring) -> StationScreensChannel:
    return StationScreensChannel(parts.webhook_sender, parts.secrets)
