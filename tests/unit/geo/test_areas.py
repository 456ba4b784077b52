"""Areas and the service area, as geometry."""

from __future__ import annotations

import math

import pytest

from chalicelib.config import get_settings
from chalicelib.geo.areas import circle_geometry, load_service_area, polygon_problem

# (lat, lon)
INSIDE = {
    "Utrecht": (52.0907, 5.1214),
    "Maastricht": (50.8514, 5.6910),
    "Vaals": (50.7707, 6.0186),
    "Cadzand": (51.3700, 3.3800),
    "Schiermonnikoog": (53.4800, 6.1600),
    "Delfzijl": (53.3300, 6.9200),
    "Enschede": (52.2215, 6.8937),
    "Den Helder": (52.9563, 4.7600),
}
OUTSIDE = {
    "Brussels": (50.8503, 4.3517),
    "Duesseldorf": (51.2277, 6.7735),
    "Bremen": (53.0793, 8.8017),
    "London": (51.5072, -0.1276),
    "Utrecht with lat and lon swapped": (5.1214, 52.0907),
}


@pytest.fixture(scope="module")
def service_area():
    return load_service_area(get_settings().service_area_file)


@pytest.mark.parametrize("place", sorted(INSIDE))
def test_dutch_places_lie_in_the_service_area(service_area, place):
    assert service_area.contains_point(*INSIDE[place])


@pytest.mark.parametrize("place", sorted(OUTSIDE))
def test_places_abroad_do_not(service_area, place):
    assert not service_area.contains_point(*OUTSIDE[place])


def test_a_circle_has_its_radius_in_kilometres():
    lat, lon, radius_km = 52.09, 5.11, 15.0
    circle = circle_geometry(lat, lon, radius_km)
    minx, miny, maxx, maxy = circle.bounds
    north_south_km = (maxy - miny) * 110.574
    east_west_km = (maxx - minx) * 111.320 * math.cos(math.radians(lat))
    assert north_south_km == pytest.approx(2 * radius_km, rel=0.01)
    assert east_west_km == pytest.approx(2 * radius_km, rel=0.01)


def test_circles_near_the_border_fit_and_large_ones_do_not(service_area):
    assert service_area.contains(circle_geometry(*INSIDE["Utrecht"], 15))
    assert service_area.contains(circle_geometry(*INSIDE["Maastricht"], 10))
    assert not service_area.contains(circle_geometry(*INSIDE["Utrecht"], 150))


def test_polygon_problems_are_explained():
    closed = [[5.0, 52.0], [5.2, 52.0], [5.2, 52.2], [5.0, 52.0]]
    assert polygon_problem([closed]) is None
    assert "not closed" in (polygon_problem([[*closed[:-1], [5.1, 52.1]]]) or "")
    hole_outside = [[6.0, 53.0], [6.1, 53.0], [6.1, 53.1], [6.0, 53.0]]
    assert "not a valid polygon" in (polygon_problem([closed, hole_outside]) or "")
