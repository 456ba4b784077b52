"""H3 cell covers: which cell topics an alert must publish to so that no device inside its area is missed.

Devices are filed under the H3 cell of their location at ``PUSH_RESOLUTION``. An alert publishes to every
cell that overlaps its area (``contain="overlap"``), so a device inside the area is always in a cell the
alert reaches; devices in those cells but outside the area are notified too. Resolution 6 (cells of about
36 km²) keeps a city-sized alert to a few dozen publishes; see ``bench/geo_targeting.py`` for the trade-off.
"""

from __future__ import annotations

import math
from typing import Any

import h3

from chalicelib.geo.areas import circle_geometry, polygon_geometry
from chalicelib.models.alert import Area, CircleArea, PolygonArea

PUSH_RESOLUTION = 6
# circle_geometry's polygon is inscribed in the circle; widen it so that it contains the whole circle.
_CIRCUMSCRIBE = 1 / math.cos(math.pi / 64)


def device_cell(lat: float, lon: float, resolution: int = PUSH_RESOLUTION) -> str:
    return str(h3.latlng_to_cell(lat, lon, resolution))


def cell_cover(area: Area, resolution: int = PUSH_RESOLUTION) -> list[str] | None:
    """The cells overlapping the area, sorted; None for a national alert (one publish to the national topic)."""
    if isinstance(area, CircleArea):
        geometry = circle_geometry(area.lat, area.lon, area.radius_km * _CIRCUMSCRIBE)
    elif isinstance(area, PolygonArea):
        geometry = polygon_geometry(area.coordinates)
    else:
        return None
    shape = h3.geo_to_h3shape(_geojson(geometry))
    return sorted(str(cell) for cell in h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap"))


def _geojson(geometry: Any) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [list(geometry.exterior.coords), *[list(ring.coords) for ring in geometry.interiors]],
    }
