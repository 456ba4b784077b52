"""Reach before sending: how many devices an alert's pushes to an area would reach, from the device counts.

The pushes go to the topics of every H3 cell overlapping the area (``area_cells``), so every device filed in
those cells is reached, and those in the part of a border cell outside the area are reached too. Only counts
per cell are kept, never where in its cell a device is: the share outside is estimated from the part of each
border cell that lies outside the area, with the density over the cell sloping as its neighbours' counts say.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.alerts.rules import area_error
from chalicelib.channels.app_push import area_cells
from chalicelib.channels.targets import audience_for
from chalicelib.errors import InvalidAlertError
from chalicelib.geo.areas import (
    KM_PER_DEGREE_LAT,
    KM_PER_DEGREE_LON_AT_EQUATOR,
    ServiceArea,
    circle_geometry,
    polygon_geometry,
)
from chalicelib.models.alert import Alert, Area, CircleArea, NationalArea, PolygonArea
from chalicelib.models.devices import Language, Reach, ReachRequest
from chalicelib.models.validation import parse_model
from chalicelib.wording import LANGUAGES

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

NATIONAL = "national"
TEST = "test"


class DeviceCounts(Protocol):
    def counts(self, scopes: Iterable[str]) -> dict[str, dict[str, int]]:
        """Per scope (an H3 cell, ``national``, ``test``) the devices per language ever filed there; scopes where
        none ever was are left out."""
        ...


class ReachEstimator:
    def __init__(self, counts: DeviceCounts, service_area: ServiceArea) -> None:
        self._counts = counts
        self._service_area = service_area

    def answer(self, body: Any) -> Reach:
        """``POST /reach``: the area is checked as an alert's is (its shape, and within the service area)."""
        area = parse_model(ReachRequest, body).area
        problem = area_error(area, self._service_area)
        if problem is not None:
            raise InvalidAlertError((problem,))
        return self.estimate(area)

    def estimate(self, area: Area) -> Reach:
        """The devices the pushes of a public alert to ``area`` would reach."""
        cells = area_cells(area)
        if cells is None or isinstance(area, NationalArea):
            return self._whole(NATIONAL)
        parts = cell_parts(cells, area_geometry(area))
        around = {other for cell, part in parts.items() if part.border for other in neighbours(cell)} - set(parts)
        counts = self._counts.counts([*cells, *sorted(around)])
        covered = [counts[cell] for cell in cells if cell in counts]
        devices = {scope: sum(count.get(language, 0) for language in LANGUAGES) for scope, count in counts.items()}
        by_language = _by_language(covered)
        return Reach(
            devices=sum(by_language.values()),
            devices_by_language=by_language,
            publishes=_topics(covered),
            outside_share=round(outside_share(parts, devices), 4),
        )

    def for_alert(self, alert: Alert) -> Reach:
        """What the alert's pushes reach: the test devices for an exercise or test, else the devices of its area."""
        if audience_for(alert.status) == "sandbox":
            return self._whole(TEST)
        return self.estimate(alert.area)

    def _whole(self, scope: str) -> Reach:
        """One topic per language: every device filed under ``scope``, none of them outside."""
        counts = list(self._counts.counts([scope]).values())
        by_language = _by_language(counts)
        return Reach(
            devices=sum(by_language.values()),
            devices_by_language=by_language,
            publishes=_topics(counts),
            outside_share=0.0,
        )


def _by_language(counts: Iterable[dict[str, int]]) -> dict[Language, int]:
    totals: dict[Language, int] = dict.fromkeys(LANGUAGES, 0)
    for count in counts:
        for language in LANGUAGES:
            totals[language] += count.get(language, 0)
    return totals


def _topics(counts: Iterable[dict[str, int]]) -> int:
    """The publishes: a language's topic in a scope exists once a device of that language was filed there."""
    return sum(1 for count in counts for language in LANGUAGES if language in count)


def area_geometry(area: CircleArea | PolygonArea) -> BaseGeometry:
    if isinstance(area, CircleArea):
        return circle_geometry(area.lat, area.lon, area.radius_km)
    return polygon_geometry(area.coordinates)


@dataclass(frozen=True)
class CellPart:
    """The part of an H3 cell inside an area: its share of the cell's area, and where its centroid lies from the
    cell's centre (kilometres east, north)."""

    share: float
    offset: tuple[float, float] = (0.0, 0.0)

    @property
    def border(self) -> bool:
        return 0.0 < self.share < 1.0


def cell_parts(cells: Sequence[str], geometry: BaseGeometry) -> dict[str, CellPart]:
    """The part of each cell inside ``geometry`` (lon/lat degrees).

    Shares are measured in degrees: over one cell (a few kilometres) the ratio of two areas is that in kilometres.
    """
    import h3
    import shapely

    if not cells:
        return {}
    boundaries = [h3.cell_to_boundary(cell) for cell in cells]
    corners = [(lon, lat) for boundary in boundaries for lat, lon in boundary]
    ring_of_corner = [n for n, boundary in enumerate(boundaries) for _ in boundary]
    hexagons = shapely.polygons(shapely.linearrings(corners, indices=ring_of_corner))
    shapely.prepare(geometry)
    # The prepared test settles the cells wholly inside at little cost; only the others are intersected.
    within = shapely.contains(geometry, hexagons)
    found = {cell: CellPart(1.0) for cell, inside in zip(cells, within, strict=True) if inside}
    crossing = [n for n, inside in enumerate(within) if not inside]
    parts = shapely.intersection(hexagons[crossing], geometry)
    shares = shapely.area(parts) / shapely.area(hexagons[crossing])
    for n, part, share in zip(crossing, parts, shares, strict=True):
        if part.is_empty:
            found[cells[n]] = CellPart(0.0)
        else:
            centroid = part.centroid
            found[cells[n]] = CellPart(float(min(1.0, share)), _km_from(cells[n], centroid.y, centroid.x))
    return found


def neighbours(cell: str) -> list[str]:
    import h3

    return [str(other) for other in h3.grid_ring(cell, 1)]


def outside_share(parts: dict[str, CellPart], devices: dict[str, int]) -> float:
    """The share of the devices in the cells of ``parts`` that lie outside the area, from the counts per cell
    (``devices``, which must hold the border cells' neighbours too)."""
    total = sum(devices.get(cell, 0) for cell in parts)
    if total == 0:
        return 0.0
    inside = sum(devices_inside(cell, part, devices) for cell, part in parts.items() if devices.get(cell))
    return min(1.0, max(0.0, 1.0 - inside / total))


def devices_inside(cell: str, part: CellPart, devices: dict[str, int]) -> float:
    """The cell's devices expected in its part inside the area.

    Devices are not spread evenly: around a city their density falls off outwards, and an area drawn around the
    city leaves the sparser side of its border cells out. The density over the cell is taken as the plane through
    its count and its neighbours' counts (least squares); the devices inside are its integral over the part, which
    is the part's area times the density at the part's centroid.
    """
    count = devices[cell]
    if not part.border:
        return count * part.share
    import numpy as np

    around = neighbours(cell)
    offsets = np.array([(0.0, 0.0), *(_km_from(cell, *_centre(other)) for other in around)])
    counts = np.array([count, *(devices.get(other, 0) for other in around)], dtype=float)
    plane, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(offsets)), offsets]), counts, rcond=None)
    at_centroid = count + float(plane[1:] @ np.array(part.offset))
    return min(float(count), max(0.0, part.share * at_centroid))


def _centre(cell: str) -> tuple[float, float]:
    import h3

    lat, lon = h3.cell_to_latlng(cell)
    return float(lat), float(lon)


def _km_from(cell: str, lat: float, lon: float) -> tuple[float, float]:
    """Where (lat, lon) lies from the cell's centre, in kilometres east and north."""
    centre_lat, centre_lon = _centre(cell)
    east = (lon - centre_lon) * KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(centre_lat))
    return east, (lat - centre_lat) * KM_PER_DEGREE_LAT
