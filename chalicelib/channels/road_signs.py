"""road_signs: the motorway matrix signs (DRIPs), by signed webhook to the traffic-management centre."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.channels.base import Asset, Assets, Content, Preview, alert_summary, visual
from chalicelib.channels.texts import SignProfile, sign_lines
from chalicelib.channels.webhook_channel import Secrets, Sender, WebhookChannel, image_preview, within_limit
from chalicelib.models.alert import Alert

if TYPE_CHECKING:
    from chalicelib.wiring import Wiring

NAME = "road_signs"


class RoadSignsChannel(WebhookChannel):
    """The sign text in the DRIP's lines and a bitmap of the sign; cleared when the alert ends."""

    name = NAME
    needs: frozenset[Asset] = frozenset({"photo"})

    def __init__(self, sender: Sender, secrets: Secrets, profile: SignProfile, size: tuple[int, int]) -> None:
        super().__init__(sender, secrets)
        self._profile = profile
        self._size = size

    def render(self, alert: Alert, assets: Assets) -> Content:
        if alert.state in TERMINAL_STATES:
            return {"type": "sign.clear", "alert": {**alert_summary(alert), "state": alert.state}}
        image = visual(alert, assets.photo, self._size, "road_sign")
        payload = {
            "type": "sign.show",
            "alert": alert_summary(alert),
            "profile": {"lines": self._profile.lines, "chars": self._profile.chars},
            "lines": sign_lines(alert, self._profile),
            "image_png": base64.b64encode(image).decode(),
        }
        return within_limit(NAME, payload)

    def preview(self, content: Content) -> Preview:
        return image_preview(content, "image_png")


def build(parts: Wiring) -> RoadSignsChannel:
    settings = parts.settings
    profile = SignProfile.parse(settings.road_sign_profile)
    return RoadSignsChannel(parts.webhook_sender, parts.secrets, profile, settings.road_sign_pixels())
