"""Fixtures shared by every suite: a clean environment, a sample alert body and the alert a create makes of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from chalicelib.alerts import lifecycle
from chalicelib.config import get_settings
from chalicelib.models.alert import Alert, AlertCreate
from chalicelib.models.validation import parse_model
from devstack.samples import sample_alert

ALERT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
CREATED_AT = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)


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
    return sample_alert(**overrides)


def alert(*, alert_id: str = ALERT_ID, at: datetime = CREATED_AT, **overrides: Any) -> Alert:
    """The domain alert a create makes of ``alert_body(**overrides)``: version 1, active, created ``at``."""
    return lifecycle.new_alert(parse_model(AlertCreate, alert_body(**overrides)), alert_id, at)
