"""The alert models: what they accept, and the pointer each rejection names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from chalicelib.errors import InvalidAlertError
from chalicelib.models.alert import AlertCancel, AlertContent, AlertCreate, CircleArea, PolygonArea
from chalicelib.models.common import XmlText
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


# What XML 1.0 cannot carry, and the noncharacters it discourages: one of them in a headline breaks the Atom feed.
NOT_IN_XML = [
    "\uffff",
    "\ufffe",
    "\ufdd0",
    "\ufdef",
    "\U0001fffe",
    "\U0010ffff",
    "\x00",
    "\x08",
    "\x0b",
    "\x1f",
    "\ud800",
    "\udfff",
]


@pytest.mark.parametrize("char", NOT_IN_XML, ids=[f"U+{ord(c):04X}" for c in NOT_IN_XML])
def test_text_xml_cannot_carry_is_refused_on_its_field(char):
    # Given a name holding a character XML cannot carry
    body = alert_body(child={"name": f"San{char}ne"})
    # When it is parsed, then it is refused at the name, saying which character
    assert f"U+{ord(char):04X}" in rejection(body)["/child/name"]


def string_leaves(value: Any, location: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in string_leaves(item, (*location, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in string_leaves(item, (*location, index))]
    return [location] if isinstance(value, str) else []


def with_appended(body: dict[str, Any], location: tuple[str | int, ...], text: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    parent = copy
    for part in location[:-1]:
        parent = parent[part]
    parent[location[-1]] = parent[location[-1]] + text
    return copy


IDENTITY = ("reference", "level", "status")
# A create validates AlertCreate; a PATCH validates its merged result as AlertContent.
STRING_FIELDS = [(AlertCreate, leaf) for leaf in string_leaves(alert_body())] + [
    (AlertContent, leaf) for leaf in string_leaves(alert_body()) if leaf[0] not in IDENTITY
]


@pytest.mark.parametrize(
    ("model", "location"), STRING_FIELDS, ids=[f"{m.__name__}{pointer(list(leaf))}" for m, leaf in STRING_FIELDS]
)
def test_no_string_of_an_alert_can_carry_a_noncharacter(model, location):
    # Given the sample alert with U+FFFF added to one of its strings
    body = {key: value for key, value in alert_body().items() if key in model.model_fields}
    # When it is parsed
    with pytest.raises(InvalidAlertError) as caught:
        parse_model(model, with_appended(body, location, "\uffff"))
    # Then exactly that string is named
    assert [item.pointer for item in caught.value.errors] == [pointer(list(location))]


@pytest.mark.parametrize("text", ["Zoë 👧🏽", "Ñoño\tMüller", "🏳️‍🌈", "\ufffd", "𝒜"])
def test_text_xml_carries_passes_the_xml_check(text):
    assert TypeAdapter(XmlText).validate_python(text) == text


def test_the_xml_check_is_a_reusable_type():
    with pytest.raises(ValidationError, match=r"U\+FFFF"):
        TypeAdapter(XmlText).validate_python("Sanne\uffff")


def test_expires_at_may_be_left_out_of_a_create():
    body = alert_body()
    del body["expires_at"]
    assert parse_model(AlertCreate, body).expires_at is None
    assert "expires_at" not in AlertCreate.model_json_schema()["required"]
    assert "expires_at" in AlertContent.model_json_schema()["required"]
