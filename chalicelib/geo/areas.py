"""Alert areas as shapely geometries, their validity, and the service area they must lie in."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

# Mean radius, and the length of one degree of latitude, in kilometres.
_KM_PER_DEGREE_LAT = 110.574
_KM_PER_DEGREE_LON_AT_EQUATOR = 111.320
_CIRCLE_SEGMENTS = 64

Ring = Sequence[Sequence[float]]


def circle_geometry(lat: float, lon: float, radius_km: float) -> BaseGeometry:
    """A polygon approximating the circle, in lon/lat degrees (equirectangular around its centre)."""
    from shapely.geometry import Polygon

    km_per_degree_lon = _KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat))
    points = []
    for step in range(_CIRCLE_SEGMENTS):
        angle = 2 * math.pi * step / _CIRCLE_SEGMENTS
        points.append(
            (
                lon + radius_km * math.cos(angle) / km_per_degree_lon,
                lat + radius_km * math.sin(angle) / _KM_PER_DEGREE_LAT,
            )
        )
    return Polygon(points)


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
    """The region alerts may cover: the Netherlands plus a margin."""

    def __init__(self, geometry: BaseGeometry) -> None:
        from shapely import prepare

        self._geometry = geometry
        prepare(self._geometry)

    @classmethod
    def from_geojson(cls, document: dict[str, object]) -> ServiceArea:
        from shapely.geometry import shape

        geometry = document.get("geometry", document)
        return cls(shape(geometry))

    def contains_point(self, lat: float, lon: float) -> bool:
        from shapely.geometry import Point

        return bool(self._geometry.contains(Point(lon, lat)))

    def contains(self, geometry: BaseGeometry) -> bool:
        return bool(self._geometry.contains(geometry))


@lru_cache(maxsize=4)
def load_service_area(path: Path) -> ServiceArea:
    return ServiceArea.from_geojson(json.loads(path.read_text(encoding="utf-8")))
