"""Geo-targeting with 2,000,000 synthetic devices in the Netherlands, at the push resolution and its neighbours.

For a 10 km circle around Utrecht, a province-sized polygon (about the province of Utrecht), the same province
with a detailed outline of 2,000 positions, and the whole country (as a polygon), prints: the median time to
compute the cell cover, the publishes per language, the devices inside the area that no published cell reaches
(must be 0), and the share of notified devices that are outside the area; beside it, the same with the check
on the device (docs/push-payload.md): of the notified devices, those inside the area the push carries show the
alert; the share of those outside the alert's own area (0 for a circle; for a polygon, those between the
original and the simplified ring), and the devices inside that do not show it (must be 0). First, per area,
what the push carries: its bytes, positions and how much larger than the area it is, and the median time
to make it. Devices are spread over the service area, denser around the big cities.

Last, what a regional alert's retraction costs at the push resolution: its SNS publishes and the endpoint
deliveries they make, to the cells alone (as before the quiet copy) and with the quiet copy on the two national
topics that reaches devices that moved out of the cells after the alert. These figures go to
build/bench/geo_targeting.json.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h3
import numpy as np
import shapely
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.geo.areas import polygon_geometry
from chalicelib.geo.cover import PUSH_RESOLUTION, circle_cover, polygon_cover
from chalicelib.geo.device_area import AREA_MAX_BYTES, circle_area, encoded_size, polygon_area

DEVICES = 2_000_000
CITIES = [(52.37, 4.90), (51.92, 4.48), (52.08, 4.30), (52.09, 5.12), (51.44, 5.48), (53.22, 6.57)]
SERVICE_AREA = Path(__file__).resolve().parents[1] / "chalicelib" / "geo" / "service_area.geojson"
PROVINCE_UTRECHT = [[[4.80, 51.95], [5.62, 51.95], [5.62, 52.30], [4.80, 52.30], [4.80, 51.95]]]
# The circle on the device, as docs/push-payload.md tells the app: kilometres per degree around the centre.
KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON_AT_EQUATOR = 110.574, 111.320


def detailed_outline(rng: np.random.Generator, positions: int = 2000) -> list[list[list[float]]]:
    """About the province of Utrecht with a border as ragged as a real one: a radius with 1/f noise, star-shaped."""
    angles = np.linspace(0, 2 * np.pi, positions - 1, endpoint=False)
    harmonics = np.arange(2, 300)
    phases = rng.uniform(0, 2 * np.pi, harmonics.size)
    noise = (np.sin(np.outer(angles, harmonics) + phases) / harmonics).sum(axis=1)
    radius = 1 + 0.25 * noise / np.abs(noise).max()
    lons, lats = 5.21 + 0.41 * radius * np.cos(angles), 52.125 + 0.175 * radius * np.sin(angles)
    ring = [[float(lon), float(lat)] for lon, lat in zip(lons, lats, strict=True)]
    return [[*ring, ring[0]]]


def synthetic_devices(rng: np.random.Generator) -> tuple[NDArray[Any], NDArray[Any]]:
    """Half spread evenly over the country, half around the big cities."""
    country = shapely.geometry.shape(json.loads(SERVICE_AREA.read_text())["geometry"])
    half = DEVICES // 2
    lats = np.concatenate([rng.uniform(50.75, 53.55, half * 2), np.repeat([c[0] for c in CITIES], half // 6 + 1)])
    lons = np.concatenate([rng.uniform(3.35, 7.2, half * 2), np.repeat([c[1] for c in CITIES], half // 6 + 1)])
    city = slice(half * 2, None)
    lats[city] += rng.normal(0, 0.06, lats[city].size)
    lons[city] += rng.normal(0, 0.09, lons[city].size)
    inside = shapely.contains_xy(country, lons, lats)
    return lats[inside][:DEVICES], lons[inside][:DEVICES]


def device_cells(lats: NDArray[Any], lons: NDArray[Any], resolution: int) -> NDArray[Any]:
    return np.array([h3.latlng_to_cell(lat, lon, resolution) for lat, lon in zip(lats, lons, strict=True)])


Devices = tuple[NDArray[Any], NDArray[Any]]


@dataclass(frozen=True)
class Area:
    """An alert area: its cover at a resolution, which devices lie inside it, and what the push carries of it."""

    name: str
    cell_cover: Callable[[int], list[str]]
    inside: Callable[[NDArray[Any], NDArray[Any]], NDArray[Any]]
    make_device_area: Callable[[], dict[str, Any]]
    shell: Any = None  # a polygon's outer ring, as a shapely polygon


def within_circle(lat: float, lon: float, radius_km: float) -> Callable[[NDArray[Any], NDArray[Any]], NDArray[Any]]:
    """The circle's rule on the device: the distance in kilometres around the centre at most the radius."""
    km_per_degree_lon = KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat))

    def inside(lats: NDArray[Any], lons: NDArray[Any]) -> NDArray[Any]:
        return np.hypot((lons - lon) * km_per_degree_lon, (lats - lat) * KM_PER_DEGREE_LAT) <= radius_km

    return inside


def within_polygon(geometry: Any, edge_inside: bool) -> Callable[[NDArray[Any], NDArray[Any]], NDArray[Any]]:
    shapely.prepare(geometry)
    test = shapely.intersects_xy if edge_inside else shapely.contains_xy
    return lambda lats, lons: test(geometry, lons, lats)


def device_rule(area: dict[str, Any]) -> Callable[[NDArray[Any], NDArray[Any]], NDArray[Any]]:
    """What the app shows the alert for: inside the circle, or inside or on the edge of the polygon."""
    if area["type"] == "circle":
        return within_circle(area["lat"], area["lon"], area["radius_km"])
    return within_polygon(shapely.Polygon(area["coordinates"][0]), edge_inside=True)


def describe(area: Area) -> dict[str, Any]:
    """Print what the push carries of the area, and the median time to make it; return it."""
    times, device_area = [], area.make_device_area()
    for _ in range(5):
        started = time.perf_counter()
        area.make_device_area()
        times.append(time.perf_counter() - started)
    size = f"{encoded_size(device_area):5d} bytes of {AREA_MAX_BYTES:,}"
    if device_area["type"] == "circle":
        shape = "the circle as it is"
    else:
        ring = device_area["coordinates"][0]
        larger = shapely.Polygon(ring).area / area.shell.area - 1
        shape = f"{len(area.shell.exterior.coords):5d} positions as {len(ring):3d}, {larger:6.1%} larger than the area"
    print(f"  {area.name:<26} on the device: {size}, {shape}, made in {statistics.median(times) * 1000:5.1f} ms")
    return device_area


def measure(
    area: Area, device_area: dict[str, Any], devices: Devices, cells: NDArray[Any], resolution: int
) -> dict[str, int]:
    lats, lons = devices
    times = []
    for _ in range(5):
        started = time.perf_counter()
        cover = area.cell_cover(resolution)
        times.append(time.perf_counter() - started)
    inside = area.inside(lats, lons)
    notified = np.isin(cells, np.array(cover))
    missed = int(np.sum(inside & ~notified))
    outside_share = float(np.sum(notified & ~inside)) / max(1, int(np.sum(notified)))
    shown = notified & device_rule(device_area)(lats, lons)
    shown_outside = float(np.sum(shown & ~inside)) / max(1, int(np.sum(shown)))
    not_shown = int(np.sum(inside & ~shown))
    print(
        f"  {area.name:<26} res {resolution}: cover {statistics.median(times) * 1000:7.1f} ms, "
        f"{len(cover):5d} publishes per language, {int(np.sum(inside)):8d} devices inside, "
        f"missed {missed}, notified outside the area {outside_share:6.1%}; "
        f"on the device: shown outside {shown_outside:6.1%}, missed {not_shown}"
    )
    return {"cells": len(cover), "notified": int(np.sum(notified))}


LANGUAGES = 2  # one topic per language in every scope, as the retraction publishes to both


def retraction_cost(name: str, reached: dict[str, int], devices: int) -> dict[str, Any]:
    """A regional alert's retraction: a publish per language and cell, plus the quiet copy on each national topic;
    each device in a cell gets the visible retraction, and every device the quiet copy."""
    cells_only = {"publishes": LANGUAGES * reached["cells"], "deliveries": reached["notified"]}
    with_quiet = {
        "publishes": cells_only["publishes"] + LANGUAGES,
        "deliveries": cells_only["deliveries"] + devices,
    }
    print(
        f"  {name:<26} retraction: {with_quiet['publishes']:5d} publishes (cells alone {cells_only['publishes']:5d},"
        f" +{LANGUAGES}), {with_quiet['deliveries']:9,d} endpoint deliveries (cells alone"
        f" {cells_only['deliveries']:9,d}, {with_quiet['deliveries'] / max(1, cells_only['deliveries']):5.1f}x)"
    )
    return {"area": name, "cells_only": cells_only, "with_quiet_copy": with_quiet}


def main() -> None:
    rng = np.random.default_rng(2026)
    started = time.perf_counter()
    devices = synthetic_devices(rng)
    print(f"{devices[0].size:,} synthetic devices in {time.perf_counter() - started:.1f} s")
    country = json.loads(SERVICE_AREA.read_text())["geometry"]["coordinates"]
    polygons = [
        ("province of Utrecht", PROVINCE_UTRECHT),
        ("Utrecht, detailed outline", detailed_outline(rng)),
        ("the whole country", country),
    ]
    areas = [
        Area(
            "10 km circle, Utrecht",
            lambda resolution: circle_cover(52.09, 5.12, 10, resolution),
            within_circle(52.09, 5.12, 10),
            lambda: circle_area(52.09, 5.12, 10),
        ),
        *[polygon(name, rings) for name, rings in polygons],
    ]
    print("what the push carries of each area (the most it may take beside usual texts):")
    device_areas = [describe(area) for area in areas]
    reached: dict[str, dict[str, int]] = {}
    for resolution in (PUSH_RESOLUTION - 1, PUSH_RESOLUTION, PUSH_RESOLUTION + 1):
        cells = device_cells(*devices, resolution)
        for area, device_area in zip(areas, device_areas, strict=True):
            figures = measure(area, device_area, devices, cells, resolution)
            if resolution == PUSH_RESOLUTION:
                reached[area.name] = figures
    print(f"the service uses resolution {PUSH_RESOLUTION}; a national alert is one publish per language")
    print("a regional alert's retraction, to its cells and (quiet copy) the national topics:")
    costs = [retraction_cost(name, figures, devices[0].size) for name, figures in reached.items()]
    print(f"  a national alert's retraction: {LANGUAGES} publishes, {devices[0].size:,} deliveries, as before")
    out = Path(__file__).resolve().parents[1] / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    document = {"devices": int(devices[0].size), "resolution": PUSH_RESOLUTION, "retractions": costs}
    (out / "geo_targeting.json").write_text(json.dumps(document, indent=2) + "\n")


def polygon(name: str, rings: list[list[list[float]]]) -> Area:
    return Area(
        name,
        lambda resolution: polygon_cover(rings, resolution),
        within_polygon(polygon_geometry(rings), edge_inside=False),
        lambda: polygon_area(rings),
        shapely.Polygon(rings[0]),
    )


if __name__ == "__main__":
    main()
