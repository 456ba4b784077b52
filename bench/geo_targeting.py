"""Geo-targeting with 2,000,000 synthetic devices in the Netherlands, at the push resolution and its neighbours.

For a 10 km circle around Utrecht, a province-sized polygon (about the province of Utrecht) and the whole
country (as a polygon), prints: the median time to compute the cell cover, the publishes per language, the
devices inside the area that no published cell reaches (must be 0), and the share of notified devices that
are outside the area. Devices are spread over the service area, denser around the big cities.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h3
import numpy as np
import shapely
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.geo.areas import circle_geometry, polygon_geometry
from chalicelib.geo.cover import PUSH_RESOLUTION, circle_cover, polygon_cover

DEVICES = 2_000_000
CITIES = [(52.37, 4.90), (51.92, 4.48), (52.08, 4.30), (52.09, 5.12), (51.44, 5.48), (53.22, 6.57)]
SERVICE_AREA = Path(__file__).resolve().parents[1] / "chalicelib" / "geo" / "service_area.geojson"
PROVINCE_UTRECHT = [[[4.80, 51.95], [5.62, 51.95], [5.62, 52.30], [4.80, 52.30], [4.80, 51.95]]]


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


def measure(
    name: str,
    cell_cover: Callable[[int], list[str]],
    geometry: object,
    devices: Devices,
    cells: NDArray[Any],
    resolution: int,
) -> None:
    lats, lons = devices
    times = []
    for _ in range(5):
        started = time.perf_counter()
        cover = cell_cover(resolution)
        times.append(time.perf_counter() - started)
    inside = shapely.contains_xy(geometry, lons, lats)
    notified = np.isin(cells, np.array(cover))
    missed = int(np.sum(inside & ~notified))
    outside_share = float(np.sum(notified & ~inside)) / max(1, int(np.sum(notified)))
    print(
        f"  {name:<26} res {resolution}: cover {statistics.median(times) * 1000:7.1f} ms, "
        f"{len(cover):5d} publishes per language, {int(np.sum(inside)):8d} devices inside, "
        f"missed {missed}, notified outside the area {outside_share:6.1%}"
    )


def main() -> None:
    rng = np.random.default_rng(2026)
    started = time.perf_counter()
    devices = synthetic_devices(rng)
    print(f"{devices[0].size:,} synthetic devices in {time.perf_counter() - started:.1f} s")
    country = json.loads(SERVICE_AREA.read_text())["geometry"]["coordinates"]
    # (name, its cover at a resolution, its exact geometry)
    areas: list[tuple[str, Callable[[int], list[str]], object]] = [
        (
            "10 km circle, Utrecht",
            lambda resolution: circle_cover(52.09, 5.12, 10, resolution),
            circle_geometry(52.09, 5.12, 10),
        ),
        (
            "province of Utrecht",
            lambda resolution: polygon_cover(PROVINCE_UTRECHT, resolution),
            polygon_geometry(PROVINCE_UTRECHT),
        ),
        ("the whole country", lambda resolution: polygon_cover(country, resolution), polygon_geometry(country)),
    ]
    for resolution in (PUSH_RESOLUTION - 1, PUSH_RESOLUTION, PUSH_RESOLUTION + 1):
        cells = device_cells(*devices, resolution)
        for name, cell_cover, geometry in areas:
            measure(name, cell_cover, geometry, devices, cells, resolution)
    print(f"the service uses resolution {PUSH_RESOLUTION}; a national alert is one publish per language")


if __name__ == "__main__":
    main()
