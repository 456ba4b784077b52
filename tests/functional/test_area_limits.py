"""A polygon area as large as the API takes is stored; a larger one is refused on its field, never a 5xx."""

from __future__ import annotations

import json
import math

from chalicelib.models.alert import MAX_POLYGON_POSITIONS, MAX_RING_POSITIONS
from tests.conftest import alert_body
from tests.functional.conftest import send


def ring(lat: float, lon: float, radius_km: float, positions: int) -> list[list[float]]:
    """A closed ring of ``positions`` positions around (lat, lon), counter-clockwise."""
    points = [
        [
            round(lon + radius_km / 68 * math.cos(2 * math.pi * i / (positions - 1)), 6),
            round(lat + radius_km / 111 * math.sin(2 * math.pi * i / (positions - 1)), 6),
        ]
        for i in range(positions - 1)
    ]
    return [*points, points[0]]


def polygon(holes: int) -> dict[str, object]:
    shell = ring(52.09, 5.11, 40, MAX_RING_POSITIONS)
    inner = [
        list(reversed(ring(52.09 + 0.08 * (i // 5 - 2), 5.11 + 0.1 * (i % 5 - 2), 0.5, MAX_RING_POSITIONS)))
        for i in range(holes)
    ]
    return {"type": "polygon", "coordinates": [shell, *inner]}


def test_the_largest_polygon_taken_is_stored(client):
    area = polygon(MAX_POLYGON_POSITIONS // MAX_RING_POSITIONS - 1)
    response = send(client, "POST", "/alerts", alert_body(area=area))
    assert response.status_code == 201, response.body[:300]
    stored = json.loads(send(client, "GET", f"/alerts/{json.loads(response.body)['id']}").body)
    assert sum(len(ring) for ring in stored["area"]["coordinates"]) == MAX_POLYGON_POSITIONS


def test_a_polygon_over_the_item_limit_is_refused_on_its_field(client):
    # 20 rings of 2,000 positions each pass the rings' own limits, but not the item's 400 KB
    response = send(client, "POST", "/alerts", alert_body(area=polygon(19)))
    assert response.status_code == 422
    problem = json.loads(response.body)
    assert [error["pointer"] for error in problem["errors"]] == ["/area/coordinates"]
    assert "positions" in problem["errors"][0]["detail"]
