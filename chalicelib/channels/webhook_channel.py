"""The transport of the channels whose partners take signed webhooks: one payload to show, one to take down."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.channels.base import ChannelDefaults, Content, ContentError, Preview, png_of
from chalicelib.channels.targets import PartnerTarget

if TYPE_CHECKING:
    from standardwebhooks.webhooks import Webhook

# Partner gateways commonly stop at 256 KB; a poster payload is about 120 KB.
MAX_PAYLOAD_BYTES = 256 * 1024


class Secrets(Protocol):
    def get(self, name: str) -> str: ...

    def get_optional(self, name: str) -> str | None: ...

    def forget(self, *names: str) -> None: ...


class Sender(Protocol):
    def send(self, url: str, keys: Sequence[Webhook], webhook_id: str, payload: dict[str, Any]) -> Any: ...


def signing_keys(target: PartnerTarget, secrets: Secrets) -> tuple[Webhook, ...]:
    """The keys a delivery to ``target`` is signed with: its secret and, while a rotation runs, the previous one,
    so the partner verifies whichever it holds. SecretError names the parameter that cannot be read or used."""
    from chalicelib.adapters.secrets import SecretError
    from chalicelib.adapters.webhooks import signing_keys as keys_of

    current, previous = target.secret_parameter, target.previous_secret_parameter
    stored = {current: secrets.get(current), previous: secrets.get_optional(previous)}
    try:
        return keys_of({name: value for name, value in stored.items() if value is not None})
    except SecretError:
        secrets.forget(current, previous)  # a value fixed in the meantime is read on the next attempt
        raise


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
        from chalicelib.adapters.webhooks import SignatureRefusedError

        try:
            receipt = self._sender.send(str(target.url), signing_keys(target, self._secrets), delivery_id, payload)
        except SignatureRefusedError:
            # The partner may hold a secret stored since this process read its own (a rotation): read them again
            # and try once more at once, rather than be refused for as long as the old ones stay cached.
            self._secrets.forget(target.secret_parameter, target.previous_secret_parameter)
            receipt = self._sender.send(str(target.url), signing_keys(target, self._secrets), delivery_id, payload)
        reference = receipt.reference
        return str(reference) if reference is not None else None
