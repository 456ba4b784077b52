"""What each channel would show for an alert, for the operator to check before and while it is out.

A preview is the channel's own ``render``, with the assets its worker would gather: what is previewed is what
is delivered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.alerts.lifecycle import ensure_active
from chalicelib.channels.base import Asset, Assets, Channel, Preview
from chalicelib.channels.policy import CHANNELS, CHANNELS_BY_LEVEL
from chalicelib.errors import UnknownPreviewError
from chalicelib.models.alert import Alert

__all__ = ["Preview", "PreviewService"]

# The channels whose preview also says whom the alert reaches: the push's devices, from the counts per cell.
REACH_PREVIEWS = frozenset({"app_push"})


class Alerts(Protocol):
    def get(self, alert_id: str) -> Alert: ...


class PreviewService:
    def __init__(
        self,
        alerts: Alerts,
        channels: Callable[[str], Channel],
        assets: Callable[[Alert, frozenset[Asset]], Assets],
        reach: Callable[[Alert], dict[str, Any]] | None = None,
    ) -> None:
        self._alerts = alerts
        self._channels = channels
        self._assets = assets
        self._reach = reach

    def preview(self, alert_id: str, channel: str) -> Preview:
        if channel not in CHANNELS:
            raise UnknownPreviewError(channel, f"the channels are {', '.join(CHANNELS)}")
        alert = self._alerts.get(alert_id)
        if channel not in CHANNELS_BY_LEVEL[alert.level]:
            raise UnknownPreviewError(channel, f"this channel does not carry {alert.level} alerts")
        ensure_active(alert)
        shown = self._channels(channel)
        preview = shown.preview(shown.render(alert, self._assets(alert, shown.needs)))
        if channel in REACH_PREVIEWS and self._reach is not None:
            return Preview(preview.content_type, json.dumps({**json.loads(preview.body), "reach": self._reach(alert)}))
        return preview
