"""The transport of the channels whose partners take signed webhooks: one payload to show, one to take down."""

from __future__ import annotations

import base64
import json
from typing import Any, Protocol

from chalicelib.channels.base import ChannelDefaults, Content, ContentError, Preview, png_of
from chalicelib.channels.targets import PartnerTarget

# Partner gateways commonly stop at 256 KB; a poster payload is about 120 KB.
MAX_PAYLOAD_BYTES = 256 * 1024


class Secrets(Protocol):
    def get(self, name: str) -> str: ...


class Sender(Protocol):
    def send(self, url: str, secret: str, webhook_id: str, payload: dict[str, Any]) -> Any: ...


def image_preview(content: Content, field: str) -> Preview:
    """A visual channel's preview: the picture the partner gets (base64 in ``field``), as PNG; else the payload."""
    if field not in content:
        return Preview("application/json", json.dumps(content, ensure_ascii=False))
    return Preview("image/png", png_of(base64.b64decode(content[field])))


def within_limit(name: str, payload: Content) -> Content:
    size = len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise ContentError(f"the {name} payload is {size} bytes; partners take at most {MAX_PAYLOAD_BYTES}")
    return payload


class WebhookChannel(ChannelDefaults):
    """Delivers and retracts by signed webhook; a subclass renders the payloads (``name``, ``needs``, ``render``)."""

    def __init__(self, sender: Sender, secrets: Secrets) -> None:
        self._sender = sender
        self._secrets = secrets

    def deliver(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> str | None:
        # A partner replaces what it shows for the alert; the payload names the alert and its version.
        return self._send(target, delivery_id, content)

    def retract(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> None:
        self._send(target, delivery_id, {**content, "retracts": shown})

    def _send(self, target: PartnerTarget, delivery_id: str, payload: Content) -> str | None:
        secret = self._secrets.get(target.secret_parameter)
        reference = self._sender.send(str(target.url), secret, delivery_id, payload).reference
        return str(reference) if reference is not None else None
