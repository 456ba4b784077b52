"""Device counts kept as devices come, move and go, and POST /reach answering from them before any alert exists."""

from __future__ import annotations

import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import boto3
import numpy as np
import pytest
import shapely
from moto.dynamodb import models as moto_dynamodb
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

import app as api
from bench.geo_targeting import PROVINCE_UTRECHT, synthetic_devices
from chalicelib.adapters.alert_table import to_item
from chalicelib.adapters.clients import dynamodb_client
from chalicelib.adapters.device_table import DeviceTable, device_key
from chalicelib.alerts.devices import DeviceChangedError
from chalicelib.channels.app_push import area_cells
from chalicelib.geo.areas import circle_geometry, polygon_geometry
from chalicelib.geo.cover import device_cell
from chalicelib.models.alert import CircleArea, PolygonArea
from chalicelib.models.devices import DeviceRecord, ReachRequest
from chalicelib.models.validation import parse_model
from chalicelib.wiring import wiring
from tests.functional.conftest import create, send
from tests.functional.test_app_push import published
from tests.functional.test_devices import endpoint_report, record

UTRECHT = {"lat": 52.0907, "lon": 5.1214}
ZEIST = {"lat": 52.0894, "lon": 5.2330}
GRONINGEN = {"lat": 53.2194, "lon": 6.5665}
UTRECHT_CELL = device_cell(UTRECHT["lat"], UTRECHT["lon"])
GRONINGEN_CELL = device_cell(GRONINGEN["lat"], GRONINGEN["lon"])
ZEIST_CELL = device_cell(ZEIST["lat"], ZEIST["lon"])
CIRCLE = {"type": "circle", "lat": 52.0894, "lon": 5.1101, "radius_km": 15}


@pytest.fixture
def push(fan_out):
    return fan_out


def registration(device_id: str, **fields: Any) -> dict[str, Any]:
    return {"platform": "fcm", "token": f"{device_id}-{'t' * 40}", "location": UTRECHT, **fields}


def register(client, device_id: str = "phone-1", **fields: Any) -> int:
    response = send(client, "PUT", f"/devices/{device_id}", registration(device_id, **fields))
    assert response.status_code in (201, 204), response.body
    return int(response.status_code)


def counts(push, scope: str) -> dict[str, int] | None:
    """The count item as stored: each language's number, or None where no device was ever counted."""
    key = {"pk": {"S": f"COUNT#{scope}"}, "sk": {"S": "COUNT"}}
    item = boto3.client("dynamodb").get_item(TableName=push.outputs["AlertsTableName"], Key=key).get("Item")
    return {name: int(value["N"]) for name, value in item.items() if "N" in value} if item else None


def reach(client, area: Any) -> Any:
    return send(client, "POST", "/reach", {"area": area})


# Counts kept as devices register, move and leave.


def test_a_registration_counts_the_device_in_its_cell_and_nationally(client, push):
    assert register(client) == 201
    assert counts(push, UTRECHT_CELL) == {"nl": 1}
    assert counts(push, "national") == {"nl": 1}
    assert counts(push, "test") is None


def test_a_repeated_registration_counts_once(client, push):
    register(client)
    # The same registration again, a refreshed token, a move within the cell: the device is still one
    assert register(client) == 204
    register(client, token="refreshed-" + "r" * 40)
    register(client, location={"lat": UTRECHT["lat"] + 0.001, "lon": UTRECHT["lon"]})
    assert counts(push, UTRECHT_CELL) == {"nl": 1}
    assert counts(push, "national") == {"nl": 1}


def test_a_move_takes_the_device_from_its_old_cell_and_language_to_the_new(client, push):
    register(client)
    register(client, location=GRONINGEN, language="en")
    # The old cell keeps its Dutch number at zero: its topic exists, and would still be published to
    assert counts(push, UTRECHT_CELL) == {"nl": 0}
    assert counts(push, GRONINGEN_CELL) == {"en": 1}
    assert counts(push, "national") == {"nl": 0, "en": 1}


def test_unregistering_takes_the_device_out_once(client, push):
    register(client)
    register(client, "phone-2")
    assert send(client, "DELETE", "/devices/phone-1").status_code == 204
    assert send(client, "DELETE", "/devices/phone-1").status_code == 204
    assert counts(push, UTRECHT_CELL) == {"nl": 1}
    assert counts(push, "national") == {"nl": 1}


def test_a_test_device_is_counted_with_the_public_and_among_the_test_devices(client, push):
    # A test device subscribes to the public topics too: public alerts reach it
    register(client, test_device=True)
    assert counts(push, UTRECHT_CELL) == {"nl": 1}
    assert counts(push, "test") == {"nl": 1}
    register(client, test_device=False)
    assert counts(push, "test") == {"nl": 0}
    assert counts(push, "national") == {"nl": 1}


def test_a_platform_change_or_a_reinstall_leaves_one_device(client, push):
    register(client)
    register(client, platform="apns")
    assert counts(push, UTRECHT_CELL) == {"nl": 1}
    # A reinstall: a new install id brings the old install's token, and the old record lets go
    body = registration("phone-1", platform="apns")
    assert send(client, "PUT", "/devices/phone-1-reinstalled", body).status_code == 201
    assert record(push.outputs, "phone-1") is None
    assert counts(push, UTRECHT_CELL) == {"nl": 1}
    assert counts(push, "national") == {"nl": 1}


def test_a_device_whose_endpoint_the_platform_disabled_leaves_the_counts(client, push):
    register(client)
    endpoint = record(push.outputs, "phone-1")["endpoint_arn"]["S"]
    boto3.client("sns").set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    api.push_events(endpoint_report("EndpointUpdated", endpoint), None)
    assert counts(push, UTRECHT_CELL) == {"nl": 0}
    assert counts(push, "national") == {"nl": 0}


@pytest.fixture
def atomic_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's DynamoDB one request at a time, as the local stack runs it (devstack/moto_server.py).

    moto applies a transaction by snapshotting its tables, which fails while another thread writes; DynamoDB
    applies each request atomically. The registrations' own reads, SNS calls and retries stay concurrent.
    """
    lock = threading.Lock()
    call_action = DynamoHandler.call_action

    def one_at_a_time(handler: DynamoHandler) -> Any:
        with lock:
            return call_action(handler)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)


def test_concurrent_registrations_of_different_devices_in_one_cell_sum_right(client, push, atomic_dynamodb):
    registry = wiring().device_registry
    devices = [f"phone-{n}" for n in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda device: registry.register(device, registration(device)), devices))
    assert all(created)
    assert counts(push, UTRECHT_CELL) == {"nl": 24}
    assert counts(push, "national") == {"nl": 24}


def test_a_registration_overtaken_by_another_of_the_same_device_reads_it_again_and_counts_it_once(client, push):
    # Given a registration of the device in Groningen landing between the read and the write of one in Utrecht
    registry = wiring().device_registry
    overtaken: list[str] = []

    def overtake(**_: Any) -> None:
        if not overtaken:
            overtaken.append("groningen")
            registry.register("phone-1", registration("phone-1", location=GRONINGEN))

    dynamodb_client().meta.events.register("before-call.dynamodb.TransactWriteItems", overtake)
    # When the Utrecht registration writes
    registry.register("phone-1", registration("phone-1"))
    # Then it did not count the device again: it moved it from Groningen to Utrecht
    assert overtaken == ["groningen"]
    assert record(push.outputs, "phone-1")["cell"]["S"] == UTRECHT_CELL
    assert counts(push, UTRECHT_CELL) == {"nl": 1}
    assert counts(push, GRONINGEN_CELL) == {"nl": 0}
    assert counts(push, "national") == {"nl": 1}


def test_a_registration_overtaken_every_time_answers_409_and_the_device_is_counted_once(client, push):
    # Given another registration of the device landing before each write of this one, elsewhere each time
    registry = wiring().device_registry
    overtakes: list[dict[str, float]] = []

    def overtake(**_: Any) -> None:
        if len(overtakes) % 2 == 0 and len(overtakes) < 20:
            overtakes.append(GRONINGEN if len(overtakes) % 4 == 0 else ZEIST)
            registry.register("phone-1", registration("phone-1", location=overtakes[-1]))
            overtakes.append(overtakes[-1])  # its own write passed through here too

    dynamodb_client().meta.events.register("before-call.dynamodb.TransactWriteItems", overtake)
    # When the request keeps losing the race
    response = send(client, "PUT", "/devices/phone-1", registration("phone-1"))
    # Then it is told to send it again, and the device is where the last registration put it, counted once
    assert response.status_code == 409, response.body
    assert json.loads(response.body)["type"].endswith("device-busy")
    assert counts(push, "national") == {"nl": 1}


def test_a_stale_write_changes_nothing_and_no_count_goes_below_zero(client, push):
    register(client)
    table = DeviceTable(dynamodb_client(), push.outputs["AlertsTableName"])
    stale = table.get("phone-1")
    assert stale is not None
    register(client, location=GRONINGEN)
    with pytest.raises(DeviceChangedError):
        table.put(stale.model_copy(update={"revision": stale.revision + 1}), stale)
    assert counts(push, GRONINGEN_CELL) == {"nl": 1}
    # A record the counts missed (one stored before counts were kept) leaves without taking them below zero
    missed = stale.model_copy(update={"id": "phone-missed", "endpoint_arn": "arn:x", "language": "en", "revision": 0})
    item = {**to_item(missed), **device_key("phone-missed")}
    boto3.client("dynamodb").put_item(TableName=push.outputs["AlertsTableName"], Item=item)
    table.delete(missed)
    assert table.get("phone-missed") is None
    assert counts(push, UTRECHT_CELL) == {"nl": 0}
    assert counts(push, "national") == {"nl": 1}


# POST /reach


def test_reach_of_a_circle_counts_the_devices_and_the_publishes_an_alert_then_makes(client, push):
    # Given Dutch devices in Utrecht and Zeist, an English one that left Utrecht, and one in Groningen
    register(client, "utrecht-1")
    register(client, "utrecht-2", test_device=True)
    register(client, "zeist", location=ZEIST)
    register(client, "english", language="en")
    send(client, "DELETE", "/devices/english")
    register(client, "groningen", location=GRONINGEN)
    # When the reach of a circle around Utrecht is asked
    response = reach(client, CIRCLE)
    # Then it counts the three devices in the covered cells, and the topics ever filed there
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    answer = json.loads(response.body)
    assert set(answer) == {"devices", "devices_by_language", "publishes", "outside_share"}
    assert answer["devices"] == 3
    assert answer["devices_by_language"] == {"nl": 3, "en": 0}
    assert 0 <= answer["outside_share"] < 0.5
    # And the alert for that area publishes exactly that often
    create(client, push, area=CIRCLE)
    assert answer["publishes"] == len(published()) == len({UTRECHT_CELL, ZEIST_CELL}) + 1


def test_reach_of_a_polygon(client, push):
    register(client, "groningen", location=GRONINGEN)
    register(client, "utrecht")
    around_groningen = [[[6.4, 53.1], [6.8, 53.1], [6.8, 53.35], [6.4, 53.35], [6.4, 53.1]]]
    answer = json.loads(reach(client, {"type": "polygon", "coordinates": around_groningen}).body)
    assert (answer["devices"], answer["devices_by_language"], answer["publishes"]) == (1, {"nl": 1, "en": 0}, 1)


def test_reach_of_a_national_area_answers_from_the_national_counts(client, push):
    register(client, "utrecht")
    register(client, "groningen", location=GRONINGEN, language="en")
    register(client, "zeist", location=ZEIST)
    answer = json.loads(reach(client, {"type": "national"}).body)
    assert answer == {"devices": 3, "devices_by_language": {"nl": 2, "en": 1}, "publishes": 2, "outside_share": 0.0}


def test_reach_before_any_device_is_nothing(client, push):
    assert json.loads(reach(client, CIRCLE).body) == {
        "devices": 0,
        "devices_by_language": {"nl": 0, "en": 0},
        "publishes": 0,
        "outside_share": 0.0,
    }


@pytest.mark.parametrize(
    ("area", "pointer"),
    [
        ({**CIRCLE, "radius_km": 0}, "/area/radius_km"),
        ({**CIRCLE, "lat": 95}, "/area/lat"),
        ({"type": "square"}, "/area/type"),
        ({"type": "polygon", "coordinates": [[[5, 52], [5.1, 52], [5, 52.1], [5.2, 52.2]]]}, "/area/coordinates"),
        ({"type": "circle", "lat": 48.85, "lon": 2.35, "radius_km": 5}, "/area"),
        ({**CIRCLE, "radius_km": 150}, "/area/radius_km"),
        (None, "/area"),
    ],
)
def test_a_bad_area_gets_the_alerts_422_naming_the_field(client, push, area, pointer):
    body = {"area": area} if area is not None else {}
    response = send(client, "POST", "/reach", body)
    assert response.status_code == 422, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [error["pointer"] for error in json.loads(response.body)["errors"]] == [pointer]
    # The very same problems as an alert with that area
    if area is not None:
        same = send(client, "POST", "/alerts", {**alert_body_with(area)})
        assert json.loads(same.body)["errors"] == json.loads(response.body)["errors"]


def alert_body_with(area: Any) -> dict[str, Any]:
    from tests.conftest import alert_body

    return alert_body(area=area)


# Against the geo bench's synthetic devices


SYNTHETIC = 3000
# Around Utrecht and Amsterdam, wider than every area below by more than a cell: no covered cell is cut by the box.
BOX = (4.55, 51.80, 5.85, 52.55)
BENCH_AREAS = [
    {"type": "circle", "lat": 52.09, "lon": 5.12, "radius_km": 10},
    {"type": "circle", "lat": 52.37, "lon": 4.90, "radius_km": 8},
    {"type": "circle", "lat": 52.22, "lon": 5.49, "radius_km": 5},
    {"type": "circle", "lat": 52.0894, "lon": 5.1101, "radius_km": 15},
    {"type": "polygon", "coordinates": PROVINCE_UTRECHT},
]


def bench_sample() -> tuple[Any, Any]:
    """A few thousand of the bench's synthetic devices, drawn evenly from those in the box."""
    lats, lons = synthetic_devices(np.random.default_rng(2026))
    west, south, east, north = BOX
    in_box = np.flatnonzero((lons > west) & (lons < east) & (lats > south) & (lats < north))
    chosen = np.random.default_rng(15).choice(in_box, SYNTHETIC, replace=False)
    return lats[chosen], lons[chosen]


@pytest.fixture
def unsnapshotted_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto without its copy of the whole table before each item of a transaction (it restores the copy when a
    transaction fails): that makes each write as slow as the table is large, and thousands of devices take an
    hour. No transaction fails where this is used; every other copy moto makes stays."""
    deepcopy = copy.deepcopy

    def copy_all_but_tables(thing: Any, memo: Any = None) -> Any:
        return thing if isinstance(thing, Table) else deepcopy(thing, memo)

    monkeypatch.setattr(moto_dynamodb, "copy", SimpleNamespace(deepcopy=copy_all_but_tables))


def test_the_estimate_against_the_bench_devices_counts_exactly_and_its_outside_share_is_within_5_points(
    client, push, unsnapshotted_transactions
):
    # Given a few thousand of the bench's devices, each counted by the registry's own write
    lats, lons = bench_sample()
    cells = np.array([device_cell(lat, lon) for lat, lon in zip(lats, lons, strict=True)])
    table = DeviceTable(dynamodb_client(), push.outputs["AlertsTableName"])
    at = datetime(2026, 11, 29, tzinfo=timezone.utc)
    for n, cell in enumerate(cells):
        language = "en" if n % 5 == 0 else "nl"
        table.put(synthetic_record(f"bench-{n}", str(cell), language, at))
    for body in BENCH_AREAS:
        # When the reach of the area is asked
        answer = json.loads(reach(client, body).body)
        area = parse_model(ReachRequest, {"area": body}).area
        assert isinstance(area, CircleArea | PolygonArea)
        # Then its devices are exactly those in the covered cells, and its outside share near the exact one
        covered = np.isin(cells, np.array(area_cells(area) or []))
        geometry = (
            circle_geometry(area.lat, area.lon, area.radius_km)
            if isinstance(area, CircleArea)
            else polygon_geometry(area.coordinates)
        )
        inside = shapely.contains_xy(geometry, lons, lats)
        exact_share = float(np.sum(covered & ~inside)) / int(np.sum(covered))
        assert answer["devices"] == int(np.sum(covered)), area
        assert answer["devices_by_language"]["en"] == int(np.sum(covered[::5])), area
        assert abs(answer["outside_share"] - exact_share) <= 0.05, (area, answer["outside_share"], exact_share)


def synthetic_record(device_id: str, cell: str, language: str, at: datetime) -> DeviceRecord:
    return DeviceRecord(
        id=device_id,
        platform="fcm",
        endpoint_arn=f"arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/kind-alarm-local/{device_id}",
        token_sha256="0" * 64,
        cell=cell,
        language=language,  # type: ignore[arg-type]
        test_device=False,
        updated_at=at,
        revision=1,
    )


def test_the_push_preview_says_whom_the_alert_reaches(client, push):
    # Given two phones in Utrecht and one far away, and an alert around Utrecht
    for device_id, where in (("phone-1", UTRECHT), ("phone-2", UTRECHT), ("phone-3", GRONINGEN)):
        register(client, device_id, location=where)
    alert = create(client)
    # When the operator previews the push
    response = send(client, "GET", f"/alerts/{alert['id']}/previews/app_push", accept="application/json")
    assert response.status_code == 200, response.body
    shown = json.loads(response.body)
    # Then it shows the notifications and the same reach POST /reach gives for the alert's area
    assert shown["nl"]["title"] == "Kind Alarm: Sanne de Vries"
    before = json.loads(reach(client, alert["area"]).body)
    assert shown["reach"] == before
    assert shown["reach"]["devices"] == 2
