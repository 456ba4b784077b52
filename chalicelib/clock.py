"""The one clock: timezone-aware UTC. Injected where time matters, so tests can fix it."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
