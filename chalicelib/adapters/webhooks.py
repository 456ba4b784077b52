"""Signed webhooks (the Standard Webhooks scheme): HMAC-SHA256 over id, timestamp and body, one signature for each
secret the partner may hold."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import urllib3
from standardwebhooks.webhooks import Webhook

from chalicelib.adapters.failures import PartnerError
from chalicelib.adapters.secrets import SecretError

KEY_PREFIX = "whsec_"
# The answers of a partner that does not accept the signature (or the credential) it was sent.
REFUSED = frozenset({401, 403})


class SignatureRefusedError(PartnerError):
    """The partner answered 401 or 403: it holds another secret than the ones this delivery was signed with."""


@dataclass(frozen=True)
class WebhookReceipt:
    status: int
    reference: str | None


def signing_keys(secrets: Mapping[str, str]) -> tuple[Webhook, ...]:
    """The signers of a partner's secrets (parameter name -> value, newest first); the same value once.

    Whitespace is never part of base64 and is dropped wherever it is (a line break or a space pasted with the
    value). Any other character that is not base64 means the value is not the secret agreed with the partner: it is
    refused by name, where the library's own decoding would skip it and sign with a key the partner may not hold,
    which only the partner's 401 would tell.
    """
    keys: dict[bytes, Webhook] = {}
    for name, value in secrets.items():
        key = _key_of(name, value)
        keys.setdefault(key, Webhook(key))
    return tuple(keys.values())


def _key_of(name: str, value: str) -> bytes:
    encoded = "".join(value.split()).removeprefix(KEY_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SecretError(name, f"not base64 (a webhook secret is {KEY_PREFIX} and the base64 of its key)") from None
    if not key:
        raise SecretError(name, "empty")
    return key


class WebhookSender:
    """POSTs JSON to partners. One pool per process; no retries here: the channel queue retries."""

    def __init__(self, timeout_seconds: float, pool: urllib3.PoolManager | None = None) -> None:
        self._timeout = urllib3.Timeout(connect=min(2.0, timeout_seconds), read=timeout_seconds)
        self._pool = pool or urllib3.PoolManager(num_pools=16, retries=False)

    def send(self, url: str, keys: Sequence[Webhook], message_id: str, payload: dict[str, Any]) -> WebhookReceipt:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        headers = signed_headers(keys, message_id, body, datetime.now(timezone.utc))
        try:
            response = self._pool.request(
                "POST", url, body=body.encode("utf-8"), headers=headers, timeout=self._timeout, redirect=False
            )
        except urllib3.exceptions.HTTPError as error:
            raise PartnerError(f"unreachable: {type(error).__name__}") from None
        if response.status in REFUSED:
            raise SignatureRefusedError(f"answered HTTP {response.status}")
        if response.status >= 300:
            raise PartnerError(f"answered HTTP {response.status}", _retry_after(response.headers.get("Retry-After")))
        return WebhookReceipt(response.status, _reference(response.data))


def signed_headers(keys: Sequence[Webhook], message_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: ``webhook-signature`` holds one ``v1,`` signature per key, space-separated,
    so a partner verifies with whichever secret it holds while a rotation runs."""
    if not keys:
        raise ValueError("a webhook is signed with at least one key")
    return {
        "Content-Type": "application/json; charset=utf-8",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(key.sign(message_id, at, body) for key in keys),
        "User-Agent": "KindAlarm/1",
    }


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _reference(data: bytes) -> str | None:
    """A partner may answer ``{"id": ...}``; that id is what a retraction refers to."""
    try:
        document = json.loads(data or b"null")
    except ValueError:
        return None
    reference = document.get("id") if isinstance(document, dict) else None
    return str(reference)[:200] if reference is not None else None
