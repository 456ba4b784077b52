"""The alert's area as the app receives it in the push, to decide on the device whether to show the alert.

A circle goes as it is. A polygon goes as one ring that contains the whole original, within a byte and a vertex
budget: simplified (Douglas-Peucker), then each edge moved out by as far as the stretch of the outline it
replaced lies beyond it (or, where that makes no valid ring, the whole ring grown by the farthest), and by more
than rounding to ``DECIMALS`` places can move a vertex; every candidate is checked to contain the original. The
shell's convex hull is simplified so too, and the smaller wins, or the bounding box rounded outward when that is
smaller still. Holes are left out. The device may show an alert a little outside the area, never drop it for
someone inside. shapely loads only for polygons: the API checks every create with this.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from shapely.geometry import Polygon

Ring = Sequence[Sequence[float]]
Area = dict[str, Any]
# An edge of a simplified ring: its direction, its outward normal, and how far out it moves.
_Edge = tuple["NDArray[Any]", "NDArray[Any]", float]

# Four decimals of a degree: 11 m of latitude, 7 m of longitude in the Netherlands.
DECIMALS = 4
_STEP = 10.0**-DECIMALS
# Growth before rounding: more than rounding to the nearest step moves a vertex (half a step's diagonal).
_ROUNDING_MARGIN = _STEP
# Share of the push an area may take at most (APNs and FCM: 4 KB), and the vertices the device has to test.
AREA_MAX_BYTES = 1024
MAX_VERTICES = 64
# Simplification tolerances searched, as shares of the area's larger side (no finer one keeps to MAX_VERTICES),
# and the bisection steps: the tolerance found is within 3 % of the finest that fits.
_FINEST_TOLERANCE = 1e-3
_BISECTIONS = 8
# How far a corner of the grown ring may lie from the original's vertex, in multiples of the growth there.
_MITRE_LIMIT = 5.0


def circle_area(lat: float, lon: float, radius_km: float) -> Area:
    return {"type": "circle", "lat": lat, "lon": lon, "radius_km": radius_km}


def polygon_area(rings: Sequence[Ring], max_bytes: int = AREA_MAX_BYTES) -> Area:
    """A GeoJSON-shaped polygon of one ring that contains the shell of ``rings``, in ``max_bytes`` if any can be.

    The bounding box is the last resort (its five positions are the fewest bytes any ring takes); it is returned
    even when ``max_bytes`` is smaller still, for the caller's own size check to refuse.
    """
    from shapely.geometry import Polygon

    original = Polygon(rings[0])
    shell = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y, *_ in rings[0]]
    exact = _fitting(shell, original, max_bytes) if len(shell) <= MAX_VERTICES + 1 else None
    if exact:  # on the grid already, or rounding cut nothing
        return exact
    candidates = [_Simplifier(shape, original, max_bytes).finest() for shape in (original, original.convex_hull)]
    return min([*filter(None, candidates), _polygon(_bounding_box(original))], key=_surface)


def encoded_size(area: Area) -> int:
    """Bytes of the area's compact JSON: what it adds to a payload, less its key."""
    return len(json.dumps(area, separators=(",", ":")).encode())


class _Simplifier:
    """One shape (the shell, or its hull) simplified at any tolerance and grown to contain the original again."""

    def __init__(self, shape: Polygon, original: Polygon, max_bytes: int) -> None:
        import numpy as np
        from shapely.geometry.polygon import orient

        self.shape = orient(shape)  # counter-clockwise: outside is on the right of each edge
        self.points = np.asarray(self.shape.exterior.coords)[:-1]
        self.index = {tuple(point): at for at, point in enumerate(self.points.tolist())}
        self.original = original
        self.max_bytes = max_bytes

    def finest(self) -> Area | None:
        """The smallest that fits, from a bisection on the tolerance's logarithm towards the finest that fits."""
        min_x, min_y, max_x, max_y = self.shape.bounds
        side = max(max_x - min_x, max_y - min_y)
        finest, coarsest = math.log(side * _FINEST_TOLERANCE), math.log(side)
        fitting = [self.at(side)]
        for _ in range(_BISECTIONS):
            middle = (finest + coarsest) / 2
            fitting.append(self.at(math.exp(middle)))
            if fitting[-1]:
                coarsest = middle
            else:
                finest = middle
        return min(filter(None, fitting), key=_surface, default=None)

    def at(self, tolerance: float) -> Area | None:
        """Douglas-Peucker within ``tolerance``, grown to contain the original again, if that fits.

        Grown two ways: each edge moved out as far as it needs, and the whole ring by the farthest of them; the
        smaller that fits.
        """
        simplified = self.shape.simplify(tolerance, preserve_topology=False)
        if simplified.geom_type != "Polygon" or simplified.is_empty:  # plain Douglas-Peucker is quicker
            simplified = self.shape.simplify(tolerance, preserve_topology=True)
        if len(simplified.exterior.coords) > MAX_VERTICES + 1:
            return None  # growing adds vertices, never removes any
        reach = _reach(self.shape, simplified) + _ROUNDING_MARGIN
        grown = [
            self._edges_moved_out(simplified),
            simplified.buffer(reach, join_style="mitre", mitre_limit=_MITRE_LIMIT),
        ]
        fitting = [_fitting(_rounded(shape), self.original, self.max_bytes) for shape in grown if shape]
        return min(filter(None, fitting), key=_surface, default=None)

    def _edges_moved_out(self, simplified: Polygon) -> Polygon | None:
        """Each edge of ``simplified`` moved out by as far as the stretch of the shape it replaced lies beyond it.

        Douglas-Peucker keeps vertices of the shape: an edge replaced the stretch between its ends. None when a
        vertex is not the shape's, or where the moved edges cross and no single polygon is left of them.
        """
        import numpy as np
        from shapely.geometry import Polygon
        from shapely.geometry.polygon import orient

        try:
            kept = [self.index[tuple(point)] for point in np.asarray(orient(simplified).exterior.coords)[:-1].tolist()]
        except KeyError:
            return None
        edges = [self._edge(start, end) for start, end in zip(kept, [*kept[1:], kept[0]], strict=True)]
        ring = []
        for vertex, before, after in zip(kept, [edges[-1], *edges[:-1]], edges, strict=True):
            ring.extend(_corner(self.points[vertex], before, after))
        moved = Polygon(ring)
        if not moved.is_valid:
            moved = moved.buffer(0)  # where moved edges cross at a corner, the loop they make goes
        return moved if moved.geom_type == "Polygon" and not moved.is_empty else None

    def _edge(self, start: int, end: int) -> _Edge:
        import numpy as np

        points, count = self.points, len(self.points)
        stretch = points[np.arange(start, start + (end - start) % count + 1) % count]
        direction = (points[end] - points[start]) / np.hypot(*(points[end] - points[start]))
        normal = np.array([direction[1], -direction[0]])
        return direction, normal, max(0.0, float(((stretch - points[start]) @ normal).max())) + _ROUNDING_MARGIN


def _corner(vertex: NDArray[Any], before: _Edge, after: _Edge) -> list[tuple[float, float]]:
    """Where the moved edges before and after ``vertex`` meet; both their ends where they meet far off, or never."""
    import numpy as np

    (d1, n1, o1), (d2, n2, o2) = before, after
    p1, p2 = vertex + n1 * o1, vertex + n2 * o2
    cross = d1[0] * d2[1] - d1[1] * d2[0]
    if abs(cross) > 1e-12:
        meet = p1 + d1 * (((p2 - p1)[0] * d2[1] - (p2 - p1)[1] * d2[0]) / cross)
        if np.hypot(*(meet - vertex)) <= _MITRE_LIMIT * max(o1, o2):
            return [(float(meet[0]), float(meet[1]))]
    return [(float(p1[0]), float(p1[1])), (float(p2[0]), float(p2[1]))]


def _reach(shape: Polygon, simplified: Polygon) -> float:
    """How far the vertices of ``shape`` lie outside ``simplified`` at most."""
    import shapely

    coords = shapely.get_coordinates(shape.exterior)
    shapely.prepare(simplified)
    outside = coords[~shapely.intersects_xy(simplified, coords[:, 0], coords[:, 1])]
    if not len(outside):
        return 0.0
    return float(shapely.distance(simplified.exterior, shapely.points(outside)).max())


def _fitting(ring: list[list[float]], original: Polygon, max_bytes: int) -> Area | None:
    area = _polygon(ring)
    if len(ring) > MAX_VERTICES + 1 or encoded_size(area) > max_bytes or len(ring) < 4:
        return None
    return area if _encloses(ring, original) else None


def _polygon(ring: list[list[float]]) -> Area:
    return {"type": "polygon", "coordinates": [ring]}


def _rounded(shape: Polygon) -> list[list[float]]:
    """The shell on the grid of ``DECIMALS``, snapped by GEOS so that no two edges cross for the rounding."""
    import shapely

    snapped = shapely.set_precision(shapely.Polygon(shape.exterior), _STEP)
    if not isinstance(snapped, shapely.Polygon) or snapped.is_empty:
        return []
    return [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in snapped.exterior.coords]


def _encloses(ring: list[list[float]], original: Polygon) -> bool:
    from shapely.geometry import Polygon

    candidate = Polygon(ring)
    return bool(candidate.is_valid and candidate.contains(original))


def _surface(area: Area) -> float:
    from shapely.geometry import Polygon

    return float(Polygon(area["coordinates"][0]).area)


def _bounding_box(original: Polygon) -> list[list[float]]:
    min_x, min_y, max_x, max_y = original.bounds
    west, south = _outward(min_x, math.floor, -1), _outward(min_y, math.floor, -1)
    east, north = _outward(max_x, math.ceil, 1), _outward(max_y, math.ceil, 1)
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def _outward(value: float, rounding: Callable[[float], int], direction: int) -> float:
    """``value`` on the grid of ``DECIMALS``, never on the inner side of it (a float product can round across)."""
    rounded = round(rounding(value / _STEP) * _STEP, DECIMALS)
    if (rounded - value) * direction < 0:
        rounded = round(rounded + direction * _STEP, DECIMALS)
    return rounded
