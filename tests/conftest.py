"""Fixtures shared by every suite: a clean environment and a sample alert body."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.config import get_settings

AMSTERDAM = timezone(timedelta(hours=1))


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def alert_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body for Sanne, starting now; ``overrides`` replace top-level fields."""
    now = datetime.now(AMSTERDAM).replace(microsecond=0)
    body: dict[str, Any] = {
        "reference": "BN-2026-000123",
        "level": "kind_alarm",
        "status": "actual",
        "child": {"name": "Sanne de Vries", "age": 9, "description": "1,30 m, blond haar, rode jas"},
        "headline": {"nl": "Sanne (9) vermist in Utrecht", "en": "Sanne (9) missing in Utrecht"},
        "instruction": {"nl": "Zie je Sanne? Bel direct 112.", "en": "Seen Sanne? Call 112 now."},
        "last_seen": {
            "at": (now - timedelta(minutes=30)).isoformat(),
            "place": "Utrecht Centraal",
            "lat": 52.0894,
            "lon": 5.1101,
        },
        "area": {"type": "circle", "lat": 52.0894, "lon": 5.1101, "radius_km": 15},
        "contact": {"phone": "0800-6070"},
        "expires_at": (now + timedelta(hours=24)).isoformat(),
    }
    body.update(copy.deepcopy(overrides))
    return body


@pytest.fixture
def sample_body() -> dict[str, Any]:
    return alert_body()
