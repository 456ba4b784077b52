"""A channel whose partners take signed webhooks: one payload to show, one to take down."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.adapters.webhooks import WebhookSender
from chalicelib.channels.base import ContentError
from chalicelib.channels.targets import PartnerTarget
from chalicelib.models.alert import Alert

# Partner gateways commonly stop at 256 KB; a poster payload is about 120 KB.
MAX_PAYLOAD_BYTES = 256 * 1024


class Secrets(Protocol):
    def get(self, name: str) -> str: ...


class WebhookChannel:
    def __init__(
        self,
        name: str,
        render: Callable[[Alert], dict[str, Any]],
        retraction: Callable[[Alert], dict[str, Any]],
        sender: WebhookSender,
        secrets: Secrets,
    ) -> None:
        self.name = name
        self._render = render
        self._retraction = retraction
        self._sender = sender
        self._secrets = secrets

    def render(self, alert: Alert) -> dict[str, Any]:
        payload = self._render(alert)
        size = len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        if size > MAX_PAYLOAD_BYTES:
            raise ContentError(f"the {self.name} payload is {size} bytes; partners take at most {MAX_PAYLOAD_BYTES}")
        return payload

    def deliver(
        self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, previous: str | None
    ) -> str | None:
        # A partner replaces what it shows for the alert; the payload names the alert and its version.
        return self._send(target, delivery_id, content)

    def retract(self, alert: Alert, target: PartnerTarget, reference: str | None, delivery_id: str) -> None:
        self._send(target, delivery_id, {**self._retraction(alert), "retracts": reference})

    def _send(self, target: PartnerTarget, delivery_id: str, payload: dict[str, Any]) -> str | None:
        secret = self._secrets.get(target.secret_parameter)
        return self._sender.send(str(target.url), secret, delivery_id, payload).reference
