"""Delivery metrics count a channel's outcome once: when it is delivered, retracted or failed."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from chalicelib import metrics
from chalicelib.models.events import DeliveryRecord

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def counted(capsys: pytest.CaptureFixture[str], state: str) -> list[str]:
    record = DeliveryRecord.model_validate(
        {"alert_id": "a", "channel": "news_media", "state": state, "version": 2, "created_at": NOW, "updated_at": NOW}
    )
    capsys.readouterr()
    metrics.delivery_recorded(record)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [name for line in lines for name in ("Deliveries", "DeliveryFailures") if name in line]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("delivered", ["Deliveries"]),
        ("retracted", ["Deliveries"]),
        ("failed", ["DeliveryFailures"]),
        ("sending", []),
        ("retracting", []),
    ],
)
def test_a_delivery_is_counted_when_it_ends(capsys, state, expected):
    assert counted(capsys, state) == expected
