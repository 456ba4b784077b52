"""app_push's targeting: the cell topics an alert's area maps to, from the area's geometry."""

from __future__ import annotations

from chalicelib.channels.app_push import area_cells
from chalicelib.geo.cover import circle_cover, polygon_cover
from chalicelib.models.alert import CircleArea, NationalArea, PolygonArea

AROUND_GRONINGEN = [[[6.4, 53.1], [6.8, 53.1], [6.8, 53.35], [6.4, 53.35], [6.4, 53.1]]]


def test_a_national_alert_has_no_cell_cover():
    assert area_cells(NationalArea(type="national")) is None


def test_a_circle_alert_publishes_to_its_circles_cover():
    area = CircleArea(type="circle", lat=52.09, lon=5.11, radius_km=10)
    assert area_cells(area) == circle_cover(52.09, 5.11, 10)


def test_a_polygon_alert_publishes_to_its_polygons_cover():
    area = PolygonArea.model_validate({"type": "polygon", "coordinates": AROUND_GRONINGEN}, strict=False)
    assert area_cells(area) == polygon_cover(AROUND_GRONINGEN)
