"""Signed webhooks (the Standard Webhooks scheme): HMAC-SHA256 over id, timestamp and body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import urllib3
from standardwebhooks.webhooks import Webhook

from chalicelib.adapters.failures import PartnerError


@dataclass(frozen=True)
class WebhookReceipt:
    status: int
    reference: str | None


class WebhookSender:
    """POSTs JSON to partners. One pool per process; no retries here: the channel queue retries."""

    def __init__(self, timeout_seconds: float, pool: urllib3.PoolManager | None = None) -> None:
        self._timeout = urllib3.Timeout(connect=min(2.0, timeout_seconds), read=timeout_seconds)
        self._pool = pool or urllib3.PoolManager(num_pools=16, retries=False)

    def send(self, url: str, secret: str, message_id: str, payload: dict[str, Any]) -> WebhookReceipt:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        headers = signed_headers(secret, message_id, body, datetime.now(timezone.utc))
        try:
            response = self._pool.request(
                "POST", url, body=body.encode("utf-8"), headers=headers, timeout=self._timeout, redirect=False
            )
        except urllib3.exceptions.HTTPError as error:
            raise PartnerError(f"unreachable: {type(error).__name__}") from None
        if response.status >= 300:
            raise PartnerError(f"answered HTTP {response.status}", _retry_after(response.headers.get("Retry-After")))
        return WebhookReceipt(response.status, _reference(response.data))


def signed_headers(secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
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
