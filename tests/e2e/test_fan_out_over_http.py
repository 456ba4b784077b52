"""The whole path over real HTTP: API → table → stream → dispatcher → topic → queue → news_media → newsroom."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import alert_body

pytestmark = pytest.mark.e2e


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def test_create_is_delivered_signed_and_cancel_is_retracted(local_stack):
    def received(kind: str) -> list[dict[str, Any]]:
        items = requests.get(f"{local_stack.sink}/deliveries", timeout=5).json()
        return [i for i in items if i["payload"]["alert"]["id"] == alert["id"] and i["payload"]["type"] == kind]

    def news_media() -> dict[str, Any]:
        deliveries = requests.get(f"{local_stack.api}/alerts/{alert['id']}", timeout=5).json()["deliveries"]
        return dict(deliveries.get("news_media", {"state": None}))

    # Given an alert created over HTTP
    alert = requests.post(f"{local_stack.api}/alerts", json=alert_body(reference="BN-E2E-FAN"), timeout=10).json()
    # Then both newsrooms receive it with valid signatures, and the alert says so
    wait_until(lambda: news_media()["state"] == "delivered")
    published = received("alert.published")
    assert sorted(item["partner"] for item in published) == ["anp", "nos"]
    assert all(item["verified"] for item in published)
    assert news_media()["version"] == 1
    # When the child is found
    requests.post(f"{local_stack.api}/alerts/{alert['id']}/cancel", json={"reason": "found"}, timeout=10)
    # Then each newsroom receives the signed retraction
    wait_until(lambda: news_media()["state"] == "retracted")
    retractions = received("alert.retracted")
    assert sorted(item["partner"] for item in retractions) == ["anp", "nos"]
    assert all(item["verified"] for item in retractions)
    assert news_media()["version"] == 2
