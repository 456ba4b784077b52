"""The alert models: what they accept, and the pointer each rejection names."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import InvalidAlertError
from chalicelib.models.alert import AlertCancel, AlertCreate, CircleArea, PolygonArea
from chalicelib.models.validation import parse_model, pointer
from tests.conftest import alert_body

SQUARE_UTRECHT = [[[5.0, 52.0], [5.2, 52.0], [5.2, 52.2], [5.0, 52.2], [5.0, 52.0]]]


def rejection(body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidAlertError) as caught:
        parse_model(AlertCreate, body)
    return {item.pointer or "": item.detail for item in caught.value.errors}


def test_the_contract_example_is_accepted():
    # Given the body from the public contract
    body = alert_body()
    # When it is parsed
    alert = parse_model(AlertCreate, body)
    # Then every part arrives typed
    assert alert.child.name == "Sanne de Vries"
    assert isinstance(alert.area, CircleArea)
    assert alert.area.radius_km == 15.0
    assert alert.last_seen.at.utcoffset() is not None


def test_strings_are_trimmed():
    alert = parse_model(AlertCreate, alert_body(child={"name": "  Daniël  "}))
    assert alert.child.name == "Daniël"


@pytest.mark.parametrize(
    ("overrides", "expected_pointer"),
    [
        ({"level": "amber"}, "/level"),
        ({"status": "Actual"}, "/status"),
        ({"reference": "has space"}, "/reference"),
        ({"child": {"name": ""}}, "/child/name"),
        ({"child": {"name": "Sanne", "age": 18}}, "/child/age"),
        ({"child": {"name": "Sanne", "age": "9"}}, "/child/age"),
        ({"child": {"name": "San\u202ene"}}, "/child/name"),
        ({"child": {"name": "Sanne\nde Vries"}}, "/child/name"),
        ({"headline": {"en": "only English"}}, "/headline/nl"),
        ({"area": {"type": "circle", "lat": 52.1, "lon": 5.1, "radius_km": 0}}, "/area/radius_km"),
        ({"area": {"type": "circle", "lat": 52.1, "lon": 5.1, "radius_km": 201}}, "/area/radius_km"),
        ({"area": {"type": "circle", "lat": 95, "lon": 5.1, "radius_km": 5}}, "/area/lat"),
        ({"area": {"type": "county"}}, "/area/type"),
        ({"area": {"lat": 52.1}}, "/area/type"),
        ({"area": {"type": "national", "radius_km": 3}}, "/area/radius_km"),
        ({"contact": {"phone": "call me"}}, "/contact/phone"),
        ({"expires_at": "2026-11-29T15:40:00"}, "/expires_at"),
        ({"extra": True}, "/extra"),
    ],
)
def test_each_bad_field_is_named(overrides, expected_pointer):
    assert expected_pointer in rejection(alert_body(**overrides))


def test_last_seen_needs_both_coordinates():
    body = alert_body(last_seen={"at": "2026-11-28T15:40:00+01:00", "place": "Utrecht", "lat": 52.0})
    assert "lat and lon must be given together" in rejection(body)["/last_seen"]


def test_a_valid_polygon_is_accepted():
    alert = parse_model(AlertCreate, alert_body(area={"type": "polygon", "coordinates": SQUARE_UTRECHT}))
    assert isinstance(alert.area, PolygonArea)


@pytest.mark.parametrize(
    ("coordinates", "expected_pointer", "message"),
    [
        ([[[5.0, 52.0], [5.2, 52.0], [5.2, 52.2], [5.0, 52.2]]], "/area/coordinates", "not closed"),
        ([[[5.0, 52.0], [5.2, 52.2], [5.2, 52.0], [5.0, 52.2], [5.0, 52.0]]], "/area/coordinates", "Self-intersection"),
        ([[[5.0, 52.0], [5.1, 52.0], [5.2, 52.0], [5.0, 52.0]]], "/area/coordinates", "not a valid polygon"),
        ([[[5.0, 52.0], [5.2, 52.0], [5.0, 52.0]]], "/area/coordinates/0", "at least 4"),
        ([[[5.0, 52.0, 1.0], [5.2, 52.0], [5.2, 52.2], [5.0, 52.0]]], "/area/coordinates/0/0", "at most 2"),
        ([[[5.0, 252.0], [5.2, 52.0], [5.2, 52.2], [5.0, 52.0]]], "/area/coordinates/0/0/1", "less than or equal"),
        ([], "/area/coordinates", "at least 1"),
    ],
)
def test_bad_polygons_are_named(coordinates, expected_pointer, message):
    errors = rejection(alert_body(area={"type": "polygon", "coordinates": coordinates}))
    assert message in errors[expected_pointer]


def test_photo_and_photo_id_together_are_refused():
    body = alert_body(photo={"content_type": "image/jpeg", "data": "AAAA"}, photo_id="abc")
    assert "either photo or photo_id" in rejection(body)[""]


def test_cancel_reason_is_one_of_three():
    assert parse_model(AlertCancel, {"reason": "found"}).reason == "found"
    with pytest.raises(InvalidAlertError) as caught:
        parse_model(AlertCancel, {"reason": "bored"})
    assert caught.value.errors[0].pointer == "/reason"


def test_pointer_escapes_per_rfc_6901():
    assert pointer(["a/b", "m~n", 0]) == "/a~1b/m~0n/0"
    assert pointer([]) == ""
