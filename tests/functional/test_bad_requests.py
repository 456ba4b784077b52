"""Bad requests of every kind: each gets a 4xx problem document that names what is wrong."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import alert_body
from tests.functional.conftest import send

SOON = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
UNKNOWN_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
BELGIUM_SQUARE = [[[4.2, 50.7], [4.5, 50.7], [4.5, 50.9], [4.2, 50.9], [4.2, 50.7]]]


@dataclass(frozen=True)
class Bad:
    """One bad request. ``target`` is ``create``, ``alert`` (an existing alert) or a literal path."""

    name: str
    status: int
    names: dict[str, str]  # the field the problem must name: {"pointer": ...} or {"header": ...}
    body: Any = None
    method: str = "POST"
    target: str = "create"
    headers: dict[str, str] = field(default_factory=dict)


def without(key: str) -> dict[str, Any]:
    body = alert_body()
    del body[key]
    return body


def child(**fields: Any) -> dict[str, Any]:
    return alert_body(child={"name": "Sanne de Vries", **fields})


def at(pointer: str) -> dict[str, str]:
    return {"pointer": pointer}


PATCH: dict[str, Any] = {"method": "PATCH", "target": "alert", "headers": {"If-Match": '"1"'}}

CASES = [
    # The body cannot be read
    Bad("malformed JSON", 400, at(""), body='{"reference": '),
    Bad("trailing comma", 400, at(""), body='{"a": 1,}'),
    Bad("empty body", 400, at(""), body=""),
    Bad("invalid UTF-8", 400, at(""), body=b'{"reference": "\xff\xfe"}'),
    Bad("duplicate member", 400, at(""), body='{"level": "kind_alarm", "level": "vermist_kind"}'),
    Bad("NaN", 400, at(""), body='{"area": {"type": "circle", "lat": NaN}}'),
    Bad("nested too deeply", 400, at(""), body='{"a":' + "[" * 40 + "]" * 40 + "}"),
    Bad("array body", 422, at(""), body=[alert_body()]),
    Bad("string body", 422, at(""), body='"alert"'),
    # Content type and size
    Bad("text/plain", 415, {}, body=alert_body(), headers={"content-type": "text/plain"}),
    Bad("form encoded", 415, {}, body="a=b", headers={"content-type": "application/x-www-form-urlencoded"}),
    Bad(
        "latin-1 charset",
        415,
        {"header": "Content-Type"},
        body=alert_body(),
        headers={"content-type": "application/json; charset=latin-1"},
    ),
    Bad("body over the limit", 413, {}, body='{"a": "' + "x" * (8 * 1024 * 1024) + '"}'),
    # Missing fields
    Bad("no reference", 422, at("/reference"), body=without("reference")),
    Bad("no level", 422, at("/level"), body=without("level")),
    Bad("no status", 422, at("/status"), body=without("status")),
    Bad("no child", 422, at("/child"), body=without("child")),
    Bad("no area", 422, at("/area"), body=without("area")),
    Bad("no child name", 422, at("/child/name"), body=alert_body(child={"age": 9})),
    # Wrong types and values
    Bad("reference is a number", 422, at("/reference"), body=alert_body(reference=123)),
    Bad("reference with spaces", 422, at("/reference"), body=alert_body(reference="BN 2026")),
    Bad("unknown level", 422, at("/level"), body=alert_body(level="amber_alert")),
    Bad("unknown status", 422, at("/status"), body=alert_body(status="live")),
    Bad("age as a string", 422, at("/child/age"), body=child(age="9")),
    Bad("age of an adult", 422, at("/child/age"), body=child(age=34)),
    Bad("negative age", 422, at("/child/age"), body=child(age=-1)),
    Bad("age as a boolean", 422, at("/child/age"), body=child(age=True)),
    Bad("name too long", 422, at("/child/name"), body=alert_body(child={"name": "A" * 101})),
    Bad("name blank", 422, at("/child/name"), body=alert_body(child={"name": "   "})),
    Bad("name with a NUL", 422, at("/child/name"), body=alert_body(child={"name": "San\u0000ne"})),
    Bad("description too long", 422, at("/child/description"), body=child(description="x" * 501)),
    # Text XML cannot carry: it would make the CAP message and the whole Atom feed malformed
    Bad("name with U+FFFF", 422, at("/child/name"), body=child(name="Sanne\uffff")),
    Bad(
        "name with U+FFFF as UTF-8",
        422,
        at("/child/name"),
        body=json.dumps(child(name="Sanne\uffff"), ensure_ascii=False).encode(),
    ),
    Bad("description with U+FDD0", 422, at("/child/description"), body=child(description="rode jas\ufdd0")),
    Bad(
        "English headline with U+FFFE",
        422,
        at("/headline/en"),
        body=alert_body(headline={"nl": "Vermist", "en": "\ufffe"}),
    ),
    Bad(
        "instruction with a C0 control", 422, at("/instruction/nl"), body=alert_body(instruction={"nl": "Bel\x1b 112"})
    ),
    Bad(
        "place with U+10FFFF",
        422,
        at("/last_seen/place"),
        body=alert_body(last_seen={"at": "2026-11-28T15:40:00+01:00", "place": "Utrecht\U0010ffff"}),
    ),
    Bad("name with a lone surrogate", 422, at("/child/name"), body=json.dumps(child(name="San\ud800ne"))),
    Bad("level with a lone surrogate", 422, at("/level"), body=json.dumps(alert_body(level="\udc00"))),
    Bad("headline too long", 422, at("/headline/nl"), body=alert_body(headline={"nl": "h" * 161})),
    Bad("instruction not an object", 422, at("/instruction"), body=alert_body(instruction="Bel 112")),
    Bad("unknown top-level field", 422, at("/priority"), body=alert_body(priority="high")),
    Bad("unknown nested field", 422, at("/child/hair"), body=child(hair="blond")),
    Bad("phone with letters", 422, at("/contact/phone"), body=alert_body(contact={"phone": "bel ons"})),
    Bad(
        "last_seen without offset",
        422,
        at("/last_seen/at"),
        body=alert_body(last_seen={"at": "2026-11-28T15:40:00", "place": "Utrecht"}),
    ),
    Bad(
        "last_seen in the future", 422, at("/last_seen/at"), body=alert_body(last_seen={"at": SOON, "place": "Utrecht"})
    ),
    Bad(
        "last_seen lat/lon swapped",
        422,
        at("/last_seen"),
        body=alert_body(last_seen={"at": "2026-11-28T15:40:00+01:00", "place": "Utrecht", "lat": 5.11, "lon": 52.09}),
    ),
    Bad("expires_at in the past", 422, at("/expires_at"), body=alert_body(expires_at="2020-01-01T00:00:00Z")),
    Bad(
        "expires_at a month ahead",
        422,
        at("/expires_at"),
        body=alert_body(expires_at=(datetime.now(UTC) + timedelta(days=30)).isoformat()),
    ),
    Bad("expires_at not a date", 422, at("/expires_at"), body=alert_body(expires_at="tomorrow")),
    # Areas
    Bad("unknown area type", 422, at("/area/type"), body=alert_body(area={"type": "province"})),
    Bad(
        "circle without radius",
        422,
        at("/area/radius_km"),
        body=alert_body(area={"type": "circle", "lat": 52.1, "lon": 5.1}),
    ),
    Bad(
        "circle radius as string",
        422,
        at("/area/radius_km"),
        body=alert_body(area={"type": "circle", "lat": 52.1, "lon": 5.1, "radius_km": "15"}),
    ),
    Bad(
        "circle centred in Brussels",
        422,
        at("/area"),
        body=alert_body(area={"type": "circle", "lat": 50.85, "lon": 4.35, "radius_km": 5}),
    ),
    Bad(
        "circle too wide for the country",
        422,
        at("/area/radius_km"),
        body=alert_body(area={"type": "circle", "lat": 52.1, "lon": 5.1, "radius_km": 180}),
    ),
    Bad(
        "polygon not closed",
        422,
        at("/area/coordinates"),
        body=alert_body(
            area={"type": "polygon", "coordinates": [[[5.0, 52.0], [5.2, 52.0], [5.2, 52.2], [5.0, 52.2]]]}
        ),
    ),
    Bad(
        "polygon self-intersecting",
        422,
        at("/area/coordinates"),
        body=alert_body(
            area={"type": "polygon", "coordinates": [[[5.0, 52.0], [5.2, 52.2], [5.2, 52.0], [5.0, 52.2], [5.0, 52.0]]]}
        ),
    ),
    Bad(
        "polygon in Belgium",
        422,
        at("/area/coordinates"),
        body=alert_body(area={"type": "polygon", "coordinates": BELGIUM_SQUARE}),
    ),
    Bad(
        "polygon with too few positions",
        422,
        at("/area/coordinates/0"),
        body=alert_body(area={"type": "polygon", "coordinates": [[[5.0, 52.0], [5.2, 52.0], [5.0, 52.0]]]}),
    ),
    Bad(
        "polygon position out of range",
        422,
        at("/area/coordinates/0/1/0"),
        body=alert_body(
            area={"type": "polygon", "coordinates": [[[5.0, 52.0], [505.0, 52.0], [5.2, 52.2], [5.0, 52.0]]]}
        ),
    ),
    # Photos
    Bad(
        "inline photo that is no image",
        422,
        at("/photo/data"),
        body=alert_body(photo={"content_type": "image/jpeg", "data": "/9j/4AAQ"}),
    ),
    Bad(
        "inline photo not base64",
        422,
        at("/photo/data"),
        body=alert_body(photo={"content_type": "image/jpeg", "data": "not base64!"}),
    ),
    Bad(
        "inline GIF declared as JPEG",
        422,
        at("/photo/data"),
        body=alert_body(photo={"content_type": "image/jpeg", "data": "R0lGODlhAQABAAAAACw="}),
    ),
    Bad("unknown photo id", 422, at("/photo_id"), body=alert_body(photo_id="p-123")),
    Bad("photo upload of a GIF", 422, at("/content_type"), body={"content_type": "image/gif"}, target="/photos"),
    Bad(
        "photo upload with extra fields",
        422,
        at("/size"),
        body={"content_type": "image/png", "size": 1},
        target="/photos",
    ),
    Bad(
        "preview of an unknown channel", 404, {"parameter": "channel"}, method="GET", target="alert/previews/billboards"
    ),
    Bad(
        "photo of an unsupported type",
        422,
        at("/photo/content_type"),
        body=alert_body(photo={"content_type": "image/gif", "data": "R0lGOD"}),
    ),
    # Updates
    Bad(
        "update without If-Match",
        428,
        {"header": "If-Match"},
        body={"contact": {"phone": "112"}},
        method="PATCH",
        target="alert",
    ),
    Bad(
        "update with If-Match *",
        400,
        {"header": "If-Match"},
        body={"contact": {"phone": "112"}},
        method="PATCH",
        target="alert",
        headers={"If-Match": "*"},
    ),
    Bad(
        "update with a stale version",
        412,
        {"header": "If-Match"},
        body={"contact": {"phone": "112"}},
        method="PATCH",
        target="alert",
        headers={"If-Match": '"9"'},
    ),
    Bad("update changing the level", 422, at("/level"), body={"level": "vermist_kind"}, **PATCH),
    Bad("update changing the reference", 422, at("/reference"), body={"reference": "BN-2"}, **PATCH),
    Bad("update of the version", 422, at("/version"), body={"version": 7}, **PATCH),
    Bad("empty update", 422, at(""), body={}, **PATCH),
    Bad("update removing the contact", 422, at("/contact"), body={"contact": None}, **PATCH),
    Bad("update removing the end", 422, at("/expires_at"), body={"expires_at": None}, **PATCH),
    Bad("update with a bad age", 422, at("/child/age"), body={"child": {"age": 40}}, **PATCH),
    Bad("update with U+FFFF in the name", 422, at("/child/name"), body={"child": {"name": "Sanne\uffff"}}, **PATCH),
    Bad(
        "update with a lone surrogate in the headline",
        422,
        at("/headline/nl"),
        body=json.dumps({"headline": {"nl": "Vermist \udbff"}}),
        **PATCH,
    ),
    Bad(
        "update of an unknown alert",
        404,
        {"parameter": "id"},
        body={"contact": {"phone": "112"}},
        method="PATCH",
        target=f"/alerts/{UNKNOWN_ID}",
        headers={"If-Match": '"1"'},
    ),
    # Cancel
    Bad("cancel without a reason", 422, at("/reason"), body={}, target="alert/cancel"),
    Bad("cancel with an unknown reason", 422, at("/reason"), body={"reason": "bored"}, target="alert/cancel"),
    Bad("cancel with extra fields", 422, at("/note"), body={"reason": "found", "note": "x"}, target="alert/cancel"),
    Bad(
        "cancel of an unknown alert",
        404,
        {"parameter": "id"},
        body={"reason": "found"},
        target=f"/alerts/{UNKNOWN_ID}/cancel",
    ),
    # Paths and methods
    Bad("read of an unknown alert", 404, {"parameter": "id"}, method="GET", target=f"/alerts/{UNKNOWN_ID}"),
    Bad("read of an impossible id", 404, {"parameter": "id"}, method="GET", target="/alerts/..%2F..%2Fetc"),
    Bad("DELETE an alert", 405, {}, method="DELETE", target="alert"),
    Bad("PUT an alert", 405, {}, body=alert_body(), method="PUT", target="alert"),
    Bad("GET the alert collection", 405, {}, method="GET", target="/alerts"),
]


@pytest.fixture
def existing_alert(client) -> str:
    response = send(client, "POST", "/alerts", alert_body(reference="BN-EXISTING"))
    assert response.status_code == 201
    return str(json.loads(response.body)["id"])


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_request_gets_a_problem_naming_the_field(client, existing_alert, case):
    # Given a bad request
    path = {
        "create": "/alerts",
        "alert": f"/alerts/{existing_alert}",
        "alert/cancel": f"/alerts/{existing_alert}/cancel",
        "alert/previews/billboards": f"/alerts/{existing_alert}/previews/billboards",
    }
    # When it is sent
    response = send(client, case.method, path.get(case.target, case.target), case.body, **case.headers)
    # Then it is answered with the expected 4xx problem document
    assert response.status_code == case.status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(response.body)
    assert problem["status"] == case.status
    assert problem["title"]
    assert problem["detail"]
    assert problem["type"]
    if case.names:
        assert case.names in [{k: v for k, v in error.items() if k != "detail"} for error in problem["errors"]]
    # And nothing was written
    assert json.loads(send(client, "GET", f"/alerts/{existing_alert}").body)["version"] == 1
