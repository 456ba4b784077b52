"""Fixtures shared by every suite: a clean environment and a sample alert body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.config import get_settings
from devstack.samples import sample_alert


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
