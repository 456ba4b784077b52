"""The area the app tests on the device: a polygon's always contains the original, is valid and fits its budget.

Random polygons of the model's own limits (up to 2,000 positions a ring, 20 rings, 10,000 positions in all),
from a few metres to a few hundred kilometres across, spiky or round; circles go through unchanged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from shapely.geometry import Polygon

from chalicelib.geo.device_area import AREA_MAX_BYTES, DECIMALS, MAX_VERTICES, circle_area, encoded_size, polygon_area
from chalicelib.models.alert import MAX_POLYGON_POSITIONS, MAX_RING_POSITIONS, MAX_RINGS, PolygonArea

Rings = Sequence[Sequence[Sequence[float]]]

LATITUDES = st.floats(min_value=50.7, max_value=53.6)
LONGITUDES = st.floats(min_value=3.3, max_value=7.3)
# The fewest bytes a polygon area takes (its bounding box) is about 100; every budget from there up.
BUDGETS = st.integers(min_value=140, max_value=AREA_MAX_BYTES)


def star(lon: float, lat: float, radii: list[float], squash: float) -> list[list[float]]:
    """A ring through one vertex per radius at even angles: star-shaped around the centre, so always simple."""
    count = len(radii)
    ring = [
        [lon + r * math.cos(2 * math.pi * i / count), lat + r * squash * math.sin(2 * math.pi * i / count)]
        for i, r in enumerate(radii)
    ]
    return [*ring, ring[0]]


def square(lon: float, lat: float, half: float) -> list[list[float]]:
    return [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]


@st.composite
def polygons(draw: st.DrawFn) -> Rings:
    """A valid PolygonArea: a star-shaped shell (spiky or round, tiny or large) and holes in a row at its centre."""
    lat, lon = draw(LATITUDES), draw(LONGITUDES)
    scale = 10 ** draw(st.floats(min_value=-5, max_value=0.3))  # degrees: a metre to 200 km
    squash = draw(st.floats(min_value=0.3, max_value=1.5))
    count = draw(st.integers(min_value=3, max_value=MAX_RING_POSITIONS - 1))
    radii = _radii(count, scale, draw(st.floats(min_value=0.0, max_value=0.99)), draw(st.integers(0, 2**32 - 1)))
    shell = star(lon, lat, radii, squash)
    holes = _holes(lon, lat, min(radii) * min(1.0, squash) * 0.45, draw(st.integers(0, MAX_RINGS - 1)), len(shell))
    try:
        area = PolygonArea.model_validate({"type": "polygon", "coordinates": [shell, *holes]}, strict=False)
    except ValidationError:
        assume(False)  # floating point made a tiny ring invalid; the API refuses it too
        raise
    return area.coordinates


def _holes(lon: float, lat: float, room: float, count: int, taken: int) -> list[list[list[float]]]:
    """``count`` squares in a row within ``room`` of the centre (inside the shell), of all the positions left."""
    holes = []
    left = MAX_POLYGON_POSITIONS - taken
    for index in range(count):
        positions = min(MAX_RING_POSITIONS, left // (count - index))
        if positions < 5:
            break
        centre = lon - room * 0.6 + room * 1.2 * (index + 0.5) / count
        hole = square(centre, lat, room * 0.3 / count)
        holes.append([*_densified(hole, positions - 1), hole[0]])
        left -= positions
    return holes


def _radii(count: int, scale: float, spikiness: float, seed: int) -> list[float]:
    """Radii around ``scale``: a smooth wobble, and with ``spikiness`` random dents down to 1 % of it."""
    state = seed
    radii = []
    for index in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        noise = (state >> 11) / 2**53
        wobble = 1 + 0.2 * math.sin(7 * 2 * math.pi * index / count)
        radii.append(scale * wobble * (1 - spikiness * noise))
    return radii


def _densified(ring: list[list[float]], positions: int) -> list[list[float]]:
    """``positions`` points along the closed ``ring``'s edges, evenly shared out."""
    edges = list(zip(ring, [*ring[1:], ring[0]], strict=True))
    points = []
    for index in range(positions):
        (x1, y1), (x2, y2) = edges[index * len(edges) // positions]
        share = (index * len(edges) % positions) / positions
        points.append([x1 + (x2 - x1) * share, y1 + (y2 - y1) * share])
    return points


def assert_encloses(area: dict[str, Any], rings: Rings, max_bytes: int) -> None:
    assert area["type"] == "polygon"
    (ring,) = area["coordinates"]
    shape = Polygon(ring)
    assert ring[0] == ring[-1]
    assert shape.is_valid
    assert shape.contains(Polygon(rings[0], rings[1:]))
    assert shape.contains(Polygon(rings[0]))  # holes left out: the whole shell
    assert encoded_size(area) <= max_bytes
    assert len(ring) <= MAX_VERTICES + 1
    assert all(_decimals(value) <= DECIMALS for position in ring for value in position)


def _decimals(value: float) -> int:
    return max(0, -Decimal(repr(value)).as_tuple().exponent)  # type: ignore[operator]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rings=polygons(), max_bytes=BUDGETS)
def test_the_simplified_polygon_contains_the_original_is_valid_and_fits(rings, max_bytes):
    area = polygon_area(rings, max_bytes)
    assert_encloses(area, rings, max_bytes)
    assert json.loads(json.dumps(area, separators=(",", ":"))) == area  # what the device parses is what was checked


def test_the_largest_polygon_the_model_takes_fits_the_push_budget():
    # Given 10,000 positions: a spiky shell of 2,000 and four holes of 2,000
    lat, lon = 52.1, 5.2
    shell = star(lon, lat, _radii(MAX_RING_POSITIONS - 1, 0.3, 0.6, 7), 0.7)
    holes = [square(lon + dx, lat, 0.01) for dx in (-0.045, -0.015, 0.015, 0.045)]
    built = [shell, *[[*_densified(hole, MAX_RING_POSITIONS - 1), hole[0]] for hole in holes]]
    rings = PolygonArea.model_validate({"type": "polygon", "coordinates": built}, strict=False).coordinates
    assert sum(map(len, rings)) == MAX_POLYGON_POSITIONS
    # When it goes to the device, then it fits the push's area budget and still holds all of it
    area = polygon_area(rings)
    assert_encloses(area, rings, AREA_MAX_BYTES)
    # and is no blob: for a jagged outline, about its convex hull
    assert Polygon(area["coordinates"][0]).area < Polygon(rings[0]).convex_hull.area * 1.05


def test_a_simple_polygon_on_the_grid_goes_as_it_is():
    province = [[[4.8, 51.95], [5.62, 51.95], [5.62, 52.3], [4.8, 52.3], [4.8, 51.95]]]
    assert polygon_area(province) == {"type": "polygon", "coordinates": province}


def test_off_grid_coordinates_are_never_rounded_into_the_original():
    # Given a small triangle whose corners lie between the grid's steps
    rings = [[[5.12345678, 52.0900004], [5.1290001, 52.0900004], [5.12345678, 52.0949996], [5.12345678, 52.0900004]]]
    # When it goes to the device, then its corners moved outward onto the grid, never inward
    area = polygon_area(rings)
    assert_encloses(area, rings, AREA_MAX_BYTES)


def test_a_polygon_smaller_than_the_grid_goes_as_a_box_around_it():
    rings = [star(5.123456, 52.123456, [0.00001] * 6, 1.0)]
    area = polygon_area(rings)
    assert_encloses(area, rings, AREA_MAX_BYTES)
    assert len(area["coordinates"][0]) <= 6


def test_below_the_bounding_box_the_box_still_comes_back_for_the_caller_to_refuse():
    rings = [star(5.2, 52.1, _radii(500, 0.3, 0.5, 3), 0.7)]
    area = polygon_area(rings, 40)
    assert encoded_size(area) > 40
    assert Polygon(area["coordinates"][0]).contains(Polygon(rings[0]))


@pytest.mark.parametrize("budget", [160, 400, AREA_MAX_BYTES])
def test_a_larger_budget_never_gives_a_coarser_area(budget):
    rings = [star(5.2, 52.1, _radii(1500, 0.3, 0.4, 11), 0.7)]
    smaller, larger = polygon_area(rings, budget // 2), polygon_area(rings, budget)
    assert Polygon(larger["coordinates"][0]).area <= Polygon(smaller["coordinates"][0]).area


@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180), radius_km=st.floats(0.001, 200))
@example(lat=52.0894, lon=5.1101, radius_km=15)
@example(lat=52.09, lon=5.12, radius_km=0.1 + 0.2)
def test_a_circle_goes_through_exactly(lat, lon, radius_km):
    area = circle_area(lat, lon, radius_km)
    parsed = json.loads(json.dumps(area, separators=(",", ":")))
    assert parsed == {"type": "circle", "lat": lat, "lon": lon, "radius_km": radius_km}
