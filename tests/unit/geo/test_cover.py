"""Cell covers: no device inside an alert's area is ever missed (property-based, random areas and devices)."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from chalicelib.geo.areas import circle_geometry, polygon_geometry
from chalicelib.geo.cover import PUSH_RESOLUTION, cell_cover, device_cell
from chalicelib.models.alert import CircleArea, NationalArea, PolygonArea

# Inside the Netherlands, away from the service area's edge.
LATITUDES = st.floats(min_value=51.3, max_value=53.2)
LONGITUDES = st.floats(min_value=4.2, max_value=6.6)


@st.composite
def circles(draw: st.DrawFn) -> CircleArea:
    return CircleArea(
        type="circle", lat=draw(LATITUDES), lon=draw(LONGITUDES), radius_km=draw(st.floats(min_value=0.5, max_value=40))
    )


@st.composite
def polygons(draw: st.DrawFn) -> PolygonArea:
    """A star-shaped polygon (always valid) of 5 to 12 vertices around a random centre."""
    lat, lon = draw(LATITUDES), draw(LONGITUDES)
    count = draw(st.integers(min_value=5, max_value=12))
    radii = draw(st.lists(st.floats(min_value=0.02, max_value=0.4), min_size=count, max_size=count))
    ring = [
        (lon + r * math.cos(2 * math.pi * i / count), lat + r * 0.6 * math.sin(2 * math.pi * i / count))
        for i, r in enumerate(radii)
    ]
    return PolygonArea(type="polygon", coordinates=[[*ring, ring[0]]])


@st.composite
def points_inside(draw: st.DrawFn, area: CircleArea | PolygonArea) -> list[tuple[float, float]]:
    geometry = (
        circle_geometry(area.lat, area.lon, area.radius_km)
        if isinstance(area, CircleArea)
        else polygon_geometry(area.coordinates)
    )
    minx, miny, maxx, maxy = geometry.bounds
    candidates = draw(st.lists(st.tuples(st.floats(minx, maxx), st.floats(miny, maxy)), min_size=20, max_size=60))
    return [(lat, lon) for lon, lat in candidates if geometry.contains(Point(lon, lat))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), area=st.one_of(circles(), polygons()))
def test_every_device_inside_the_area_is_in_a_covered_cell(data, area):
    cover = set(cell_cover(area) or [])
    for lat, lon in data.draw(points_inside(area)):
        assert device_cell(lat, lon) in cover


@settings(max_examples=50, deadline=None)
@given(area=circles(), bearing=st.floats(0, 2 * math.pi))
def test_a_device_on_the_very_edge_of_a_circle_is_covered(area, bearing):
    # The exact circle, not its polygon: a point at 99.9 % of the radius in any direction
    distance = area.radius_km * 0.999
    lat = area.lat + distance * math.sin(bearing) / 110.574
    lon = area.lon + distance * math.cos(bearing) / (111.320 * math.cos(math.radians(area.lat)))
    assert device_cell(lat, lon) in set(cell_cover(area) or [])


def test_a_national_alert_has_no_cell_cover():
    assert cell_cover(NationalArea(type="national")) is None


def test_a_city_alert_stays_a_few_dozen_publishes():
    cover = cell_cover(CircleArea(type="circle", lat=52.09, lon=5.11, radius_km=10)) or []
    assert 10 < len(cover) < 40
    assert all(cell_resolution == PUSH_RESOLUTION for cell_resolution in map(_resolution, cover))


def _resolution(cell: str) -> int:
    import h3

    return int(h3.get_resolution(cell))
