"""The sample alert the demo, the benchmarks and the tests post: Sanne, 9, last seen at Utrecht Centraal."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

AMSTERDAM = timezone(timedelta(hours=1))


def sample_alert(reference: str = "BN-2026-000123", **overrides: Any) -> dict[str, Any]:
    """A valid create body starting now; ``overrides`` replace top-level fields."""
    now = datetime.now(AMSTERDAM).replace(microsecond=0)
    body: dict[str, Any] = {
        "reference": reference,
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
