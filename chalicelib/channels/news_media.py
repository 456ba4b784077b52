"""news_media: newsrooms and the press agency get the full alert by signed webhook, and its retraction."""

from __future__ import annotations

import json
from typing import Any, Protocol

from chalicelib.adapters.webhooks import WebhookSender
from chalicelib.channels.base import ContentError
from chalicelib.channels.targets import WebhookTarget
from chalicelib.models.alert import Alert

NAME = "news_media"
# SNS and most partner gateways stop at 256 KB; a newsroom payload is a few KB.
MAX_PAYLOAD_BYTES = 256 * 1024
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


class Secrets(Protocol):
    def get(self, name: str) -> str: ...


class PhotoLinks(Protocol):
    def urls(self, photo_id: str | None) -> dict[str, str]: ...


def render(alert: Alert, photo_urls: dict[str, str]) -> dict[str, Any]:
    """The newsroom payload: the whole alert in Dutch and English, with a link to the master photo. Pure."""
    payload = {
        "type": "alert.published" if alert.version == 1 else "alert.updated",
        "alert": {
            "id": alert.id,
            "reference": alert.reference,
            "version": alert.version,
            "level": alert.level,
            "status": alert.status,
            "event": EVENT_NAMES[alert.level],
            **alert.model_dump(
                mode="json",
                include={"headline", "instruction", "child", "last_seen", "area", "contact", "expires_at"},
                exclude_none=True,
            ),
            "photo_url": photo_urls.get("master"),
        },
    }
    size = len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise ContentError(f"the newsroom payload is {size} bytes; at most {MAX_PAYLOAD_BYTES}")
    return payload


def render_retraction(alert: Alert) -> dict[str, Any]:
    """The retraction: no child data, only what to take down and why."""
    reason = alert.cancellation.reason if alert.cancellation else "expired"
    return {
        "type": "alert.retracted",
        "alert": {
            "id": alert.id,
            "reference": alert.reference,
            "version": alert.version,
            "level": alert.level,
            "status": alert.status,
            "state": alert.state,
            "reason": reason,
        },
        "notice": RETRACTION_NOTICES[reason],
    }


class NewsMediaChannel:
    name = NAME

    def __init__(self, sender: WebhookSender, secrets: Secrets, photos: PhotoLinks) -> None:
        self._sender = sender
        self._secrets = secrets
        self._photos = photos

    def render(self, alert: Alert) -> dict[str, Any]:
        return render(alert, self._photos.urls(alert.photo_id))

    def deliver(self, content: dict[str, Any], target: WebhookTarget, delivery_id: str) -> str | None:
        secret = self._secrets.get(target.secret_parameter)
        return self._sender.send(str(target.url), secret, delivery_id, content).reference

    def retract(self, alert: Alert, target: WebhookTarget, reference: str | None, delivery_id: str) -> None:
        payload = {**render_retraction(alert), "retracts": reference}
        self._sender.send(str(target.url), self._secrets.get(target.secret_parameter), delivery_id, payload)
