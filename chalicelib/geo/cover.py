"""H3 cell covers: which cell topics an alert must publish to so that no device inside its area is missed.

Devices are filed under the H3 cell of their location at ``PUSH_RESOLUTION``. An alert publishes to every
cell that overlaps its area (``contain="overlap"``), so a device inside the area is always in a cell the
alert reaches; devices in those cells but outside the area are notified too. Resolution 6 (cells of about
36 km²) keeps a city-sized alert to a few dozen publishes; see ``bench/geo_targeting.py`` for the trade-off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import h3

from chalicelib.geo.areas import Ring, circle_geometry, polygon_geometry

PUSH_RESOLUTION = 6
# circle_geometry's polygon is inscribed in the circle; widen it so that it contains the whole circle.
_CIRCUMSCRIBE = 1 / math.cos(math.pi / 64)


def device_cell(lat: float, lon: float, resolution: int = PUSH_RESOLUTION) -> str:
    return str(h3.latlng_to_cell(lat, lon, resolution))


def circle_cover(lat: float, lon: float, radius_km: float, resolution: int = PUSH_RESOLUTION) -> list[str]:
    """The cells overlapping the circle, sorted."""
    return _cover(circle_geometry(lat, lon, radius_km * _CIRCUMSCRIBE), resolution)


def polygon_cover(rings: Sequence[Ring], resolution: int = PUSH_RESOLUTION) -> list[str]:
    """The cells overlapping the polygon of these GeoJSON rings ([lon, lat], the shell first), sorted."""
    return _cover(polygon_geometry(rings), resolution)


def _cover(geometry: Any, resolution: int) -> list[str]:
    shape = h3.geo_to_h3shape(_geojson(geometry))
    return sorted(str(cell) for cell in h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap"))


def _geojson(geometry: Any) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [list(geometry.exterior.coords), *[list(ring.coords) for ring in geometry.interiors]],
    }
