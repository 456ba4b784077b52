"""Areas and the service area, as geometry."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.config import get_settings
from chalicelib.geo.areas import ServiceArea, circle_geometry, load_service_area, polygon_problem

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


Shell = Sequence[Sequence[float]]


# The service area decides clear cases in plain Python; every answer must still be shapely's, near the outline too.
def _shapely_answers(
    document: dict[str, Any],
) -> tuple[Callable[[float, float], bool], Callable[[float, float, float], bool]]:
    from shapely.geometry import Point, shape

    geometry = shape(document.get("geometry", document))
    return (
        lambda lat, lon: bool(geometry.contains(Point(lon, lat))),
        lambda lat, lon, radius_km: bool(geometry.contains(circle_geometry(lat, lon, radius_km))),
    )


def _service_area_document() -> dict[str, Any]:
    return json.loads(get_settings().service_area_file.read_text(encoding="utf-8"))


def _outline_places(document: dict[str, Any]) -> st.SearchStrategy[tuple[float, float]]:
    """Points on the outline's edges, and inward/outward offsets from them down to a hair's breadth."""
    shell = document["geometry"]["coordinates"][0]
    return st.tuples(
        st.integers(0, len(shell) - 2),
        st.floats(0, 1),
        st.sampled_from([0.0, 1e-12, 1e-9, 1e-7, 1e-4, 0.01, 0.1]),
        st.sampled_from([-1, 1]),
    ).map(lambda pick: _offset(shell, *pick))


def _offset(shell: Shell, edge: int, along: float, distance: float, side: int) -> tuple[float, float]:
    (x1, y1), (x2, y2) = shell[edge], shell[edge + 1]
    length = math.hypot(x2 - x1, y2 - y1)
    normal = (-(y2 - y1) / length, (x2 - x1) / length)
    x, y = x1 + along * (x2 - x1), y1 + along * (y2 - y1)
    return y + side * distance * normal[1], x + side * distance * normal[0]


NEAR_THE_NETHERLANDS: st.SearchStrategy[tuple[float, float]] = st.tuples(st.floats(50.0, 54.5), st.floats(2.0, 8.0))


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_points_get_shapelys_answer(service_area, data):
    document = _service_area_document()
    point_inside, _ = _shapely_answers(document)
    lat, lon = data.draw(st.one_of(NEAR_THE_NETHERLANDS, _outline_places(document)))
    assert service_area.contains_point(lat, lon) == point_inside(lat, lon)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), radius_km=st.one_of(st.floats(0.1, 250), st.sampled_from([0.5, 5.0, 15.0, 40.0])))
def test_circles_get_shapelys_answer(service_area, data, radius_km):
    document = _service_area_document()
    _, circle_inside = _shapely_answers(document)
    lat, lon = data.draw(st.one_of(NEAR_THE_NETHERLANDS, _outline_places(document)))
    assert service_area.contains_circle(lat, lon, radius_km) == circle_inside(lat, lon, radius_km)


def _kilometres_to_outline(shell: Shell, lat: float, lon: float) -> float:
    """Distance from (lat, lon) to the outline, in the kilometres around it that circle_geometry draws in."""
    scale_x, scale_y = 111.320 * math.cos(math.radians(lat)), 110.574
    points = [((x - lon) * scale_x, (y - lat) * scale_y) for x, y in shell]
    distances = []
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, -(x1 * dx + y1 * dy) / (dx * dx + dy * dy)))
        distances.append(math.hypot(x1 + t * dx, y1 + t * dy))
    return min(distances)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    inward=st.floats(0.005, 0.3),
    factor=st.one_of(st.floats(0.998, 1.003), st.sampled_from([1.0, 1.0001, 1.0006, 1.0012])),
)
def test_circles_just_touching_the_outline_get_shapelys_answer(service_area, data, inward, factor):
    """Radii a hair either side of the distance to the outline: where the circle's polygon, inscribed in the
    circle, may fit while the circle does not, and where the outline's corners cut in between its vertices."""
    document = _service_area_document()
    _, circle_inside = _shapely_answers(document)
    shell = document["geometry"]["coordinates"][0]
    edge, along = data.draw(st.integers(0, len(shell) - 2)), data.draw(st.floats(0, 1))
    lat, lon = _offset(shell, edge, along, inward, data.draw(st.sampled_from([-1, 1])))
    kilometres = _kilometres_to_outline(shell, lat, lon) * factor
    assert service_area.contains_circle(lat, lon, kilometres) == circle_inside(lat, lon, kilometres)


HOLED = {
    "type": "MultiPolygon",
    "coordinates": [
        [
            [[4.0, 51.0], [6.0, 51.0], [6.0, 53.0], [4.0, 53.0], [4.0, 51.0]],
            [[4.8, 51.8], [5.2, 51.8], [5.0, 52.2], [4.8, 51.8]],
        ],
        [[[6.5, 51.0], [7.0, 51.0], [6.75, 51.5], [6.5, 51.0]]],
    ],
}


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(50.8, 53.2), lon=st.floats(3.8, 7.2), radius_km=st.floats(0.1, 60))
def test_holes_and_several_polygons_get_shapelys_answers(lat, lon, radius_km):
    point_inside, circle_inside = _shapely_answers(HOLED)
    area = ServiceArea.from_geojson(HOLED)
    assert area.contains_point(lat, lon) == point_inside(lat, lon)
    assert area.contains_circle(lat, lon, radius_km) == circle_inside(lat, lon, radius_km)


def test_other_geometries_are_left_to_shapely():
    box = {"type": "GeometryCollection", "geometries": [HOLED]}
    area = ServiceArea.from_geojson(box)
    assert area.contains_point(52.5, 4.5)
    assert not area.contains_point(52.0, 5.0)  # in the hole
    assert area.contains_circle(52.5, 4.5, 5)
    assert not area.contains_circle(52.5, 4.5, 80)
