"""Cell covers: no device inside an alert's area is ever missed (property-based, random areas and devices)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from chalicelib.geo.areas import Ring, circle_geometry, polygon_geometry
from chalicelib.geo.cover import PUSH_RESOLUTION, circle_cover, device_cell, polygon_cover

# Inside the Netherlands, away from the service area's edge.
LATITUDES = st.floats(min_value=51.3, max_value=53.2)
LONGITUDES = st.floats(min_value=4.2, max_value=6.6)


@dataclass(frozen=True)
class Circle:
    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class Polygon:
    rings: list[Ring]


@st.composite
def circles(draw: st.DrawFn) -> Circle:
    return Circle(draw(LATITUDES), draw(LONGITUDES), draw(st.floats(min_value=0.5, max_value=40)))


@st.composite
def polygons(draw: st.DrawFn) -> Polygon:
    """A star-shaped polygon (always valid) of 5 to 12 vertices around a random centre."""
    lat, lon = draw(LATITUDES), draw(LONGITUDES)
    count = draw(st.integers(min_value=5, max_value=12))
    radii = draw(st.lists(st.floats(min_value=0.02, max_value=0.4), min_size=count, max_size=count))
    ring = [
        (lon + r * math.cos(2 * math.pi * i / count), lat + r * 0.6 * math.sin(2 * math.pi * i / count))
        for i, r in enumerate(radii)
    ]
    return Polygon([[*ring, ring[0]]])


def cover(area: Circle | Polygon) -> set[str]:
    if isinstance(area, Circle):
        return set(circle_cover(area.lat, area.lon, area.radius_km))
    return set(polygon_cover(area.rings))


@st.composite
def points_inside(draw: st.DrawFn, area: Circle | Polygon) -> list[tuple[float, float]]:
    geometry = (
        circle_geometry(area.lat, area.lon, area.radius_km)
        if isinstance(area, Circle)
        else polygon_geometry(area.rings)
    )
    minx, miny, maxx, maxy = geometry.bounds
    candidates = draw(st.lists(st.tuples(st.floats(minx, maxx), st.floats(miny, maxy)), min_size=20, max_size=60))
    return [(lat, lon) for lon, lat in candidates if geometry.contains(Point(lon, lat))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), area=st.one_of(circles(), polygons()))
def test_every_device_inside_the_area_is_in_a_covered_cell(data, area):
    cells = cover(area)
    for lat, lon in data.draw(points_inside(area)):
        assert device_cell(lat, lon) in cells


@settings(max_examples=50, deadline=None)
@given(area=circles(), bearing=st.floats(0, 2 * math.pi))
def test_a_device_on_the_very_edge_of_a_circle_is_covered(area, bearing):
    # The exact circle, not its polygon: a point at 99.9 % of the radius in any direction
    distance = area.radius_km * 0.999
    lat = area.lat + distance * math.sin(bearing) / 110.574
    lon = area.lon + distance * math.cos(bearing) / (111.320 * math.cos(math.radians(area.lat)))
    assert device_cell(lat, lon) in cover(area)


def test_a_city_alert_stays_a_few_dozen_publishes():
    cells = circle_cover(52.09, 5.11, 10)
    assert 10 < len(cells) < 40
    assert all(cell_resolution == PUSH_RESOLUTION for cell_resolution in map(_resolution, cells))


def test_a_polygon_with_a_hole_is_covered_around_the_hole():
    shell = [[4.8, 51.95], [5.62, 51.95], [5.62, 52.3], [4.8, 52.3], [4.8, 51.95]]
    hole = [[5.0, 52.05], [5.4, 52.05], [5.4, 52.2], [5.0, 52.2], [5.0, 52.05]]
    holed = set(polygon_cover([shell, hole]))
    assert device_cell(52.0, 4.85) in holed
    assert device_cell(52.125, 5.2) not in holed
    assert holed < set(polygon_cover([shell]))


def _resolution(cell: str) -> int:
    import h3

    return int(h3.get_resolution(cell))
