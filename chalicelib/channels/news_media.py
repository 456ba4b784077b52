"""news_media: newsrooms and the press agency get the full alert by signed webhook, and its retraction."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.channels.base import alert_summary
from chalicelib.models.alert import Alert

NAME = "news_media"
EVENT_NAMES = {
    "kind_alarm": {"nl": "Kind Alarm", "en": "Child Alert"},
    "vermist_kind": {"nl": "Vermist kind", "en": "Missing child"},
}
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


class PhotoLinks(Protocol):
    def urls(self, photo_id: str | None) -> dict[str, str]: ...


def render(alert: Alert, photo_urls: dict[str, str]) -> dict[str, Any]:
    """The newsroom payload: the whole alert in Dutch and English, with a link to the master photo. Pure."""
    return {
        "type": "alert.published" if alert.version == 1 else "alert.updated",
        "alert": {
            **alert_summary(alert),
            "event": EVENT_NAMES[alert.level],
            **alert.model_dump(
                mode="json",
                include={"headline", "instruction", "child", "last_seen", "area", "contact", "expires_at"},
                exclude_none=True,
            ),
            "photo_url": photo_urls.get("master"),
        },
    }


def render_retraction(alert: Alert) -> dict[str, Any]:
    """The retraction: no child data, only what to take down and why."""
    reason = alert.cancellation.reason if alert.cancellation else "expired"
    return {
        "type": "alert.retracted",
        "alert": {
            **alert_summary(alert),
            "state": alert.state,
            "reason": reason,
        },
        "notice": RETRACTION_NOTICES[reason],
    }
