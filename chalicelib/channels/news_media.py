"""news_media: newsrooms and the press agency get the full alert by signed webhook, and its retraction.

Both name the alert's official page (``public_page``), which a newsroom links to; after the retraction it says
the child was found, without the child's details.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.channels.base import Asset, Assets, Content, Preview, alert_summary
from chalicelib.channels.texts import ending
from chalicelib.channels.webhook_channel import WebhookChannel, within_limit
from chalicelib.models.alert import Alert
from chalicelib.wording import LEVEL_TITLES

if TYPE_CHECKING:
    from chalicelib.wiring import Wiring

NAME = "news_media"
RETRACTION_NOTICES = {
    "found": {
        "nl": "Het kind is gevonden. Verwijder de foto en de naam van het kind uit uw publicaties.",
        "en": "The child has been found. Remove the child's photo and name from your publications.",
    },
    "withdrawn": {
        "nl": "De oproep is ingetrokken. Verwijder de foto en de naam van het kind uit uw publicaties.",
        "en": "The alert has been withdrawn. Remove the child's photo and name from your publications.",
    },
    "expired": {
        "nl": "De oproep is verlopen. Verwijder de foto en de naam van het kind uit uw publicaties.",
        "en": "The alert has expired. Remove the child's photo and name from your publications.",
    },
}


class NewsMediaChannel(WebhookChannel):
    """Newsrooms and the press agency: the whole alert with a link to the master photo, then its retraction."""

    name = NAME
    needs: frozenset[Asset] = frozenset({"photo_urls"})

    def render(self, alert: Alert, assets: Assets) -> Content:
        if alert.state in TERMINAL_STATES:
            return render_retraction(alert, assets.public_page)
        return within_limit(NAME, render(alert, dict(assets.photo_urls), assets.public_page))

    def preview(self, content: Content) -> Preview:
        return Preview("application/json", json.dumps(content, ensure_ascii=False))


def render(alert: Alert, photo_urls: dict[str, str], public_page: str) -> dict[str, Any]:
    """The newsroom payload: the whole alert in Dutch and English, with links to the master photo and the page."""
    return {
        "type": "alert.published" if alert.version == 1 else "alert.updated",
        "alert": {
            **alert_summary(alert),
            "event": LEVEL_TITLES[alert.level],
            **alert.model_dump(
                mode="json",
                include={"headline", "instruction", "child", "last_seen", "area", "contact", "expires_at"},
                exclude_none=True,
            ),
            "photo_url": photo_urls.get("master"),
            "public_page": public_page,
        },
    }


def render_retraction(alert: Alert, public_page: str) -> dict[str, Any]:
    """The retraction: no child data, only what to take down and why, and the page that now says so."""
    reason = ending(alert)
    return {
        "type": "alert.retracted",
        "alert": {
            **alert_summary(alert),
            "state": alert.state,
            "reason": reason,
            "public_page": public_page,
        },
        "notice": RETRACTION_NOTICES[reason],
    }


def build(parts: Wiring) -> NewsMediaChannel:
    return NewsMediaChannel(parts.webhook_sender, parts.secrets)
