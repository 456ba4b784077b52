"""Reach estimates: the part of a known H3 cell inside an area, the devices expected there, and the answer's sums."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import h3
import numpy as np
import pytest
import shapely

from chalicelib.alerts.reach import CellPart, ReachEstimator, cell_parts, devices_inside, neighbours, outside_share
from chalicelib.channels.app_push import area_cells
from chalicelib.config import get_settings
from chalicelib.geo.areas import load_service_area
from chalicelib.models.alert import CircleArea
from tests.conftest import alert

# The res-6 cell around Utrecht Centraal, and a box holding the west half of it (its east edge on the centre).
CELL = h3.latlng_to_cell(52.0894, 5.1101, 6)
CENTRE_LAT, CENTRE_LON = h3.cell_to_latlng(CELL)
WEST_HALF = shapely.box(CENTRE_LON - 1, CENTRE_LAT - 1, CENTRE_LON, CENTRE_LAT + 1)
KM_EAST = 111.320 * np.cos(np.radians(CENTRE_LAT))
KM_NORTH = 110.574


def points_in_cell(cell: str, count: int = 200_000) -> tuple[Any, Any]:
    """Points spread evenly over the cell (lon, lat), drawn independently of the code under test."""
    hexagon = shapely.Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(cell)])
    west, south, east, north = hexagon.bounds
    rng = np.random.default_rng(15)
    lons, lats = rng.uniform(west, east, count), rng.uniform(south, north, count)
    inside = shapely.contains_xy(hexagon, lons, lats)
    return lons[inside], lats[inside]


def test_a_cell_wholly_inside_or_outside_is_all_or_nothing():
    around = shapely.Point(CENTRE_LON, CENTRE_LAT).buffer(1.0)
    far = shapely.box(0, 0, 1, 1)
    assert cell_parts([CELL], around)[CELL] == CellPart(1.0)
    assert cell_parts([CELL], far)[CELL].share == 0.0
    assert not cell_parts([CELL], far)[CELL].border


def test_the_part_of_a_cell_cut_through_its_centre_is_half_of_it_west_of_the_centre():
    # Given the west half of the cell, measured independently by counting even points
    lons, lats = points_in_cell(CELL)
    west = lons < CENTRE_LON
    expected_share = float(np.mean(west))
    expected_east = float(np.mean((lons[west] - CENTRE_LON) * KM_EAST))
    expected_north = float(np.mean((lats[west] - CENTRE_LAT) * KM_NORTH))
    # When the cell's part inside is computed
    part = cell_parts([CELL], WEST_HALF)[CELL]
    # Then its share and centroid agree
    assert part.border
    assert part.share == pytest.approx(expected_share, abs=0.005)
    assert part.share == pytest.approx(0.5, abs=0.01)
    assert part.offset[0] == pytest.approx(expected_east, abs=0.02)
    assert part.offset[0] < -1.0  # a res-6 cell is about 7 km across: the half's centroid lies well west
    assert part.offset[1] == pytest.approx(expected_north, abs=0.02)


def test_evenly_spread_devices_are_inside_in_proportion_to_the_area():
    part = cell_parts([CELL], WEST_HALF)[CELL]
    devices = {CELL: 1000, **dict.fromkeys(neighbours(CELL), 1000)}
    assert devices_inside(CELL, part, devices) == pytest.approx(1000 * part.share, rel=1e-6)


def test_devices_denser_to_the_east_are_fewer_in_the_west_half_as_the_slope_says():
    # Given a density rising eastwards by 40 devices per cell-area per km, its neighbours' counts following it
    slope = 40.0
    devices = {CELL: 1000}
    for other in neighbours(CELL):
        _, lon = h3.cell_to_latlng(other)
        devices[other] = round(1000 + slope * (lon - CENTRE_LON) * KM_EAST)
    # When the devices inside the west half are estimated
    estimate = devices_inside(CELL, cell_parts([CELL], WEST_HALF)[CELL], devices)
    # Then they are that density's integral over the west half, measured by weighting even points
    lons, _ = points_in_cell(CELL)
    weight = 1000 + slope * (lons - CENTRE_LON) * KM_EAST
    expected = 1000 * float(np.sum(weight[lons < CENTRE_LON]) / np.sum(weight))
    assert estimate == pytest.approx(expected, rel=0.01)
    assert estimate < 1000 * 0.49


def test_a_slope_steeper_than_the_cell_holds_keeps_the_estimate_within_its_count():
    devices = {CELL: 10, **{other: 10_000 for other in neighbours(CELL)[:3]}}
    estimate = devices_inside(CELL, cell_parts([CELL], WEST_HALF)[CELL], devices)
    assert 0.0 <= estimate <= 10.0


def test_outside_share_weighs_each_cell_by_its_devices():
    parts = {"a": CellPart(1.0), "b": CellPart(0.0), "c": CellPart(1.0)}
    assert outside_share(parts, {"a": 30, "b": 10}) == pytest.approx(0.25)
    assert outside_share(parts, {}) == 0.0


class Counts:
    """The device counts in memory, as the table answers them."""

    def __init__(self, counts: dict[str, dict[str, int]]) -> None:
        self._counts = counts

    def counts(self, scopes: Iterable[str]) -> dict[str, dict[str, int]]:
        return {scope: self._counts[scope] for scope in scopes if scope in self._counts}


GRONINGEN = h3.latlng_to_cell(53.2194, 6.5665, 6)
UTRECHT_CIRCLE = CircleArea(type="circle", lat=52.0894, lon=5.1101, radius_km=15)


def estimator(counts: dict[str, dict[str, int]]) -> ReachEstimator:
    return ReachEstimator(Counts(counts), load_service_area(get_settings().service_area_file))


def test_the_reach_of_an_area_sums_its_cells_and_publishes_to_every_topic_ever_filed():
    cells = area_cells(UTRECHT_CIRCLE) or []
    # Given devices in two covered cells (English ones left the second: its topic stays) and one cell outside
    counts = {cells[0]: {"nl": 5, "en": 2}, cells[1]: {"nl": 3, "en": 0}, GRONINGEN: {"nl": 100}}
    reach = estimator(counts).estimate(UTRECHT_CIRCLE)
    assert reach.devices == 10
    assert reach.devices_by_language == {"nl": 8, "en": 2}
    assert reach.publishes == 4
    assert 0.0 <= reach.outside_share <= 1.0


def test_a_national_area_answers_from_the_national_count_and_a_test_alert_from_the_test_devices():
    counts = {"national": {"nl": 40, "en": 7}, "test": {"nl": 2}}
    national = estimator(counts).estimate(alert(area={"type": "national"}).area)
    assert (national.devices, national.devices_by_language, national.publishes) == (47, {"nl": 40, "en": 7}, 2)
    assert national.outside_share == 0.0
    sandbox = estimator(counts).for_alert(alert(status="test"))
    assert (sandbox.devices, sandbox.devices_by_language, sandbox.publishes) == (2, {"nl": 2, "en": 0}, 1)
    actual = estimator(counts).for_alert(alert(area={"type": "national"}))
    assert actual.devices == 47


def test_nothing_filed_anywhere_reaches_nobody():
    reach = estimator({}).estimate(UTRECHT_CIRCLE)
    assert (reach.devices, reach.publishes, reach.outside_share) == (0, 0, 0.0)
