"""Alert areas as shapely geometries, their validity, and the service area they must lie in."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

# Mean radius, and the length of one degree of latitude, in kilometres.
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_AT_EQUATOR = 111.320
_CIRCLE_SEGMENTS = 64

Ring = Sequence[Sequence[float]]


def circle_geometry(lat: float, lon: float, radius_km: float) -> BaseGeometry:
    """A polygon approximating the circle, in lon/lat degrees (equirectangular around its centre)."""
    from shapely.geometry import Polygon

    return Polygon(_circle_points(lat, lon, radius_km))


def _circle_points(lat: float, lon: float, radius_km: float) -> list[tuple[float, float]]:
    """The vertices of ``circle_geometry``: on the circle, as (lon, lat)."""
    km_per_degree_lon = KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat))
    points = []
    for step in range(_CIRCLE_SEGMENTS):
        angle = 2 * math.pi * step / _CIRCLE_SEGMENTS
        points.append(
            (
                lon + radius_km * math.cos(angle) / km_per_degree_lon,
                lat + radius_km * math.sin(angle) / KM_PER_DEGREE_LAT,
            )
        )
    return points


def polygon_geometry(rings: Sequence[Ring]) -> BaseGeometry:
    from shapely.geometry import Polygon

    shell, *holes = rings
    return Polygon(shell, holes)


def polygon_problem(rings: Sequence[Ring]) -> str | None:
    """Why these GeoJSON rings are not a usable polygon, or None when they are."""
    for index, ring in enumerate(rings):
        if list(ring[0]) != list(ring[-1]):
            return f"ring {index} is not closed: its first and last positions must be equal"
    from shapely.validation import explain_validity

    geometry = polygon_geometry(rings)
    if not geometry.is_valid:
        return f"is not a valid polygon: {explain_validity(geometry)}"
    if geometry.area == 0:
        return "encloses no area"
    return None


class ServiceArea:
    """The region alerts may cover: the Netherlands plus a margin.

    Points and circles that lie clearly inside or outside its outline are decided here in plain Python, so the
    API's first create does not load shapely (and numpy) for them; shapely decides what lies within a hair of
    the outline, circles that only it can tell (a side of the circle's polygon crossing the outline), and every
    polygon area. Each answer is shapely's ``contains``, as strict as ever.
    """

    def __init__(self, geometry: Mapping[str, Any]) -> None:
        self._document = dict(geometry)
        self._rings = _rings(self._document)
        self._shape: BaseGeometry | None = None

    @classmethod
    def from_geojson(cls, document: Mapping[str, Any]) -> ServiceArea:
        return cls(document.get("geometry", document))

    def contains_point(self, lat: float, lon: float) -> bool:
        verdict = _point_verdict(self._rings, lon, lat) if self._rings else None
        if verdict is not None:
            return verdict
        from shapely.geometry import Point

        return bool(self._geometry().contains(Point(lon, lat)))

    def contains_circle(self, lat: float, lon: float, radius_km: float) -> bool:
        """Whether the area contains ``circle_geometry(lat, lon, radius_km)``."""
        verdict = self._circle_verdict(lat, lon, radius_km) if self._rings else None
        if verdict is not None:
            return verdict
        return self.contains(circle_geometry(lat, lon, radius_km))

    def contains_polygon(self, rings: Sequence[Ring]) -> bool:
        """Whether the area contains the polygon of these GeoJSON rings ([lon, lat], the shell first)."""
        return self.contains(polygon_geometry(rings))

    def contains(self, geometry: BaseGeometry) -> bool:
        return bool(self._geometry().contains(geometry))

    def _circle_verdict(self, lat: float, lon: float, radius_km: float) -> bool | None:
        # Kilometres around the centre, the projection circle_geometry draws in: there the circle is round, and
        # its polygon lies inside the circle. The whole circle clear of the outline, centre inside: contained.
        scale = (KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat)), KM_PER_DEGREE_LAT)
        rings = [[((x - lon) * scale[0], (y - lat) * scale[1]) for x, y in ring] for ring in self._rings]
        if _point_verdict(self._rings, lon, lat) and _distance_to_rings(rings, 0.0, 0.0) > radius_km + _KM_EPSILON:
            return True
        # One vertex of the circle's polygon clearly outside: not contained.
        if any(_point_verdict(self._rings, x, y) is False for x, y in _circle_points(lat, lon, radius_km)):
            return False
        return None

    def _geometry(self) -> BaseGeometry:
        if self._shape is None:
            from shapely import prepare
            from shapely.geometry import shape

            self._shape = shape(self._document)
            prepare(self._shape)
        return self._shape


# Closer to the outline than this (a ten-thousandth of a millimetre), shapely decides.
_DEGREE_EPSILON = 1e-9
_KM_EPSILON = 1e-7
Point2 = tuple[float, float]


def _rings(geometry: Mapping[str, Any]) -> list[list[Point2]]:
    """Every ring of a Polygon or MultiPolygon as (x, y) tuples; none for other geometries (shapely decides)."""
    kind, coordinates = geometry.get("type"), geometry.get("coordinates", [])
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    return [[(float(x), float(y)) for x, y, *_ in ring] for polygon in polygons for ring in polygon]


def _point_verdict(rings: list[list[Point2]], x: float, y: float) -> bool | None:
    """Inside (even-odd over all rings) or outside; None within ``_DEGREE_EPSILON`` of an edge."""
    if _distance_to_rings(rings, x, y) <= _DEGREE_EPSILON:
        return None
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in itertools.pairwise(ring):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _distance_to_rings(rings: list[list[Point2]], x: float, y: float) -> float:
    return min(
        (_distance_to_segment(x, y, start, end) for ring in rings for start, end in itertools.pairwise(ring)),
        default=math.inf,
    )


def _distance_to_segment(x: float, y: float, start: Point2, end: Point2) -> float:
    (x1, y1), (x2, y2) = start, end
    dx, dy = x2 - x1, y2 - y1
    length_squared = dx * dx + dy * dy
    t = 0.0 if length_squared == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length_squared))
    return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy))


@lru_cache(maxsize=4)
def load_service_area(path: Path) -> ServiceArea:
    return ServiceArea.from_geojson(json.loads(path.read_text(encoding="utf-8")))
