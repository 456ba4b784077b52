"""The alert lifecycle through the API, on DynamoDB emulated by moto."""

from __future__ import annotations

import base64
import io
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from PIL import Image

from chalicelib.adapters.alert_table import AlertTable
from chalicelib.adapters.clients import dynamodb_client
from chalicelib.alerts.service import AlertService, audit_record
from chalicelib.clock import utc_now
from chalicelib.config import get_settings
from chalicelib.geo.areas import load_service_area
from chalicelib.models.audit import UNATTRIBUTED
from chalicelib.models.photos import RENDITION_NAMES
from chalicelib.wiring import reset, wiring
from tests.conftest import alert, alert_body
from tests.functional.conftest import create, send


def problem(response) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/problem+json"
    return json.loads(response.body)


def test_create_returns_the_alert_with_its_links(client):
    response = send(client, "POST", "/alerts", alert_body())
    body = json.loads(response.body)
    assert response.status_code == 201
    assert (body["version"], body["state"]) == (1, "active")
    assert body["links"]["self"] == f"/alerts/{body['id']}"
    assert body["links"]["cancel"] == f"/alerts/{body['id']}/cancel"
    assert response.headers["Location"] == body["links"]["self"]
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Cache-Control"] == "no-store"


def test_read_returns_what_was_created_with_deliveries(client):
    alert = create(client)
    response = send(client, "GET", f"/alerts/{alert['id']}")
    body = json.loads(response.body)
    assert response.status_code == 200
    assert body == alert
    assert body["deliveries"] == {}
    assert body["child"]["name"] == "Sanne de Vries"


def test_the_stored_item_is_typed_for_the_console(client, aws):
    alert = create(client)
    item = boto3.client("dynamodb").get_item(
        TableName=aws["AlertsTableName"], Key={"pk": {"S": f"ALERT#{alert['id']}"}, "sk": {"S": "ALERT"}}
    )["Item"]
    assert item["version"] == {"N": "1"}
    assert item["state"] == {"S": "active"}
    assert item["area"]["M"]["radius_km"] == {"N": "15.0"}


def test_the_same_reference_returns_the_same_alert(client):
    first = create(client)
    again = send(client, "POST", "/alerts", alert_body())
    assert again.status_code == 200
    assert json.loads(again.body)["id"] == first["id"]
    other = create(client, reference="BN-2026-000124")
    assert other["id"] != first["id"]


class SerializedClient:
    """The DynamoDB client with each call made atomic.

    DynamoDB applies a transaction atomically; moto restores a table snapshot when a transaction fails,
    which under concurrent calls can undo another thread's committed write. Serialising each API call
    gives back DynamoDB's guarantee while the threads still race through our code between calls.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.exceptions = client.exceptions

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def atomic(**kwargs: Any) -> Any:
            with self._lock:
                return method(**kwargs)

        return atomic


def test_concurrent_retries_of_one_create_make_one_alert(aws):
    # Given eight threads sending the same create at once, as a retrying client might
    settings = get_settings()
    service = AlertService(
        store=AlertTable(SerializedClient(dynamodb_client()), aws["AlertsTableName"]),
        service_area=load_service_area(settings.service_area_file),
        max_duration=timedelta(hours=settings.max_alert_hours),
    )
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        results.append(service.create(alert_body(reference="BN-RACE-1")))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one created it and all got the same alert
    assert sum(result.created for result in results) == 1
    assert len({result.alert.id for result in results}) == 1
    scan = boto3.client("dynamodb").scan(TableName=aws["AlertsTableName"])
    assert sorted(item["sk"]["S"] for item in scan["Items"]) == ["ALERT", "AUDIT#000001#created", "REFERENCE"]


def test_update_with_the_current_version_bumps_it(client):
    alert = create(client)
    response = send(
        client,
        "PATCH",
        f"/alerts/{alert['id']}",
        {"child": {"description": "1,30 m, blauwe jas"}, "area": {"type": "national"}},
        **{"If-Match": '"1"', "content-type": "application/merge-patch+json"},
    )
    body = json.loads(response.body)
    assert response.status_code == 200, body
    assert body["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert body["child"] == {"name": "Sanne de Vries", "age": 9, "description": "1,30 m, blauwe jas"}
    assert body["area"] == {"type": "national"}
    assert json.loads(send(client, "GET", f"/alerts/{alert['id']}").body) == body


def test_update_without_if_match_is_428(client):
    alert = create(client)
    response = send(client, "PATCH", f"/alerts/{alert['id']}", {"contact": {"phone": "112"}})
    assert response.status_code == 428
    assert problem(response)["errors"][0]["header"] == "If-Match"


def test_update_with_a_stale_version_is_412_and_changes_nothing(client):
    alert = create(client)
    path = f"/alerts/{alert['id']}"
    assert send(client, "PATCH", path, {"contact": {"phone": "112"}}, **{"If-Match": '"1"'}).status_code == 200
    stale = send(client, "PATCH", path, {"contact": {"phone": "0800-1234"}}, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    assert problem(stale)["current_version"] == 2
    assert stale.headers["ETag"] == '"2"'
    current = json.loads(send(client, "GET", path).body)
    assert (current["version"], current["contact"]["phone"]) == (2, "112")


def test_an_update_that_changes_nothing_keeps_the_version(client):
    alert = create(client)
    response = send(
        client, "PATCH", f"/alerts/{alert['id']}", {"contact": {"phone": "0800-6070"}}, **{"If-Match": '"1"'}
    )
    assert response.status_code == 200
    assert json.loads(response.body)["version"] == 1


def test_a_lost_race_between_read_and_write_is_412(client, monkeypatch):
    # Given another writer that changes the alert between our read and our conditional write
    alert = create(client)
    service = wiring().alert_service
    store = service._store
    original_replace = store.replace

    def replace_after_a_rival(new_alert, expected_version, audit):
        rival = new_alert.model_copy(update={"version": new_alert.version + 5})
        original_replace(rival, expected_version, audit.model_copy(update={"version": rival.version}))
        original_replace(new_alert, expected_version, audit)

    monkeypatch.setattr(store, "replace", replace_after_a_rival)
    response = send(client, "PATCH", f"/alerts/{alert['id']}", {"contact": {"phone": "112"}}, **{"If-Match": '"1"'})
    assert response.status_code == 412
    assert problem(response)["current_version"] == 7


def test_cancel_is_terminal_and_repeatable(client):
    alert = create(client)
    path = f"/alerts/{alert['id']}"
    first = send(client, "POST", f"{path}/cancel", {"reason": "found"})
    body = json.loads(first.body)
    assert first.status_code == 200
    assert (body["state"], body["version"], body["cancellation"]["reason"]) == ("cancelled", 2, "found")
    again = send(client, "POST", f"{path}/cancel", {"reason": "withdrawn"})
    assert again.status_code == 200
    assert json.loads(again.body) == body


def test_changes_after_cancel_are_409(client):
    alert = create(client)
    path = f"/alerts/{alert['id']}"
    send(client, "POST", f"{path}/cancel", {"reason": "found"})
    response = send(client, "PATCH", path, {"contact": {"phone": "112"}}, **{"If-Match": '"2"'})
    assert response.status_code == 409
    assert "cancelled" in problem(response)["detail"]
    assert json.loads(send(client, "GET", path).body)["version"] == 2


def test_cancel_honours_if_match_when_given(client):
    alert = create(client)
    path = f"/alerts/{alert['id']}/cancel"
    assert send(client, "POST", path, {"reason": "found"}, **{"If-Match": '"5"'}).status_code == 412
    assert send(client, "POST", path, {"reason": "found"}, **{"If-Match": '"1"'}).status_code == 200


def test_cancel_wins_over_a_concurrent_update(client, monkeypatch):
    # Given an update that lands between the cancel's read and its write
    alert = create(client)
    service = wiring().alert_service
    store = service._store
    original_replace = store.replace
    rivals = iter([True])

    def replace_after_a_rival(new_alert, expected_version, audit):
        if next(rivals, False):
            current = store.get(new_alert.id)
            assert current is not None
            rival = current.model_copy(update={"version": expected_version + 1})
            original_replace(rival, expected_version, audit.model_copy(update={"action": "updated"}))
        original_replace(new_alert, expected_version, audit)

    monkeypatch.setattr(store, "replace", replace_after_a_rival)
    response = send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    body = json.loads(response.body)
    assert response.status_code == 200
    assert (body["state"], body["version"]) == ("cancelled", 3)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("GET", "", None), ("PATCH", "", {"contact": {"phone": "112"}}), ("POST", "/cancel", {"reason": "found"})],
)
def test_unknown_alerts_are_404(client, method, suffix, body):
    path = f"/alerts/0f8fad5b-d9cb-469f-a165-70867728950e{suffix}"
    response = send(client, method, path, body, **{"If-Match": '"1"'})
    assert response.status_code == 404
    assert problem(response)["errors"] == [{"parameter": "id", "detail": "no alert has this id"}]


def test_an_unexpected_failure_is_a_problem_without_details(client, monkeypatch):
    def broken(alert_id):
        raise RuntimeError("Sanne de Vries")

    monkeypatch.setattr(wiring().alert_service._store, "get", broken)
    response = send(client, "GET", "/alerts/0f8fad5b-d9cb-469f-a165-70867728950e")
    body = problem(response)
    assert response.status_code == 500
    assert "Sanne" not in response.body.decode()
    assert body["status"] == 500


def test_a_create_retried_after_its_answer_was_lost_is_still_the_create(aws):
    # Given a create whose transaction landed but whose answer never came back (the SDK then retries it)
    table = AlertTable(dynamodb_client(), aws["AlertsTableName"])
    first = alert(alert_id=str(uuid.uuid4()), at=utc_now(), reference="BN-LOST-ANSWER")
    audit = audit_record(first, "created", UNATTRIBUTED)
    assert table.insert(first, audit) == (first, True)
    # When the same write arrives again
    stored, created = table.insert(first, audit)
    # Then it is still this create, not a repeat of someone else's
    assert (stored.id, created) == (first.id, True)
    # While a different alert with that reference is a repeat
    other = first.model_copy(update={"id": str(uuid.uuid4())})
    assert table.insert(other, audit_record(other, "created", UNATTRIBUTED)) == (stored, False)


def without_expiry(**overrides: Any) -> dict[str, Any]:
    body = alert_body(**overrides)
    del body["expires_at"]
    return body


def ends_in(alert: dict[str, Any], before: datetime, after: datetime) -> tuple[bool, bool]:
    """Whether the alert's end lies no earlier than ``before`` and no later than ``after``."""
    expires = datetime.fromisoformat(alert["expires_at"].replace("Z", "+00:00"))
    return expires >= before - timedelta(seconds=1), expires <= after


def test_a_create_without_expires_at_runs_the_default_lifetime(client):
    # Given a create that names no end
    start = datetime.now(UTC)
    # When it is sent
    alert = create(client, body=without_expiry())
    # Then the alert runs DEFAULT_ALERT_HOURS (24) and the answer says until when
    assert ends_in(alert, start + timedelta(hours=24), datetime.now(UTC) + timedelta(hours=24)) == (True, True)
    assert json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)["expires_at"] == alert["expires_at"]


@pytest.mark.parametrize(("default_hours", "max_hours", "hours"), [("6", "336", 6), ("48", "12", 12)])
def test_the_default_lifetime_is_a_setting_within_the_longest(client, monkeypatch, default_hours, max_hours, hours):
    # Given DEFAULT_ALERT_HOURS (which never reaches past MAX_ALERT_HOURS)
    monkeypatch.setenv("DEFAULT_ALERT_HOURS", default_hours)
    monkeypatch.setenv("MAX_ALERT_HOURS", max_hours)
    reset()
    start = datetime.now(UTC)
    # When a create names no end, then it runs that long
    alert = create(client, body=without_expiry())
    assert ends_in(alert, start + timedelta(hours=hours), datetime.now(UTC) + timedelta(hours=hours)) == (True, True)
    reset()


def inline_jpeg(colour: tuple[int, int, int]) -> dict[str, str]:
    out = io.BytesIO()
    Image.new("RGB", (600, 800), colour).save(out, "JPEG")
    return {"content_type": "image/jpeg", "data": base64.b64encode(out.getvalue()).decode()}


def stored_photo_objects(aws: dict[str, str]) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=aws["PhotosBucketName"], Prefix="photos/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_a_known_reference_with_another_photo_stores_nothing(client, aws):
    # Given an alert created with a photo
    first = create(client, reference="BN-PHOTO-1", photo=inline_jpeg((90, 80, 70)))
    photo_id = first["photo"]["id"]
    assert len(stored_photo_objects(aws)) == len(RENDITION_NAMES)
    # When the same reference comes again with another photo
    again = send(client, "POST", "/alerts", alert_body(reference="BN-PHOTO-1", photo=inline_jpeg((20, 160, 40))))
    # Then it is the same alert (200), and no rendition of the other photo was stored
    body = json.loads(again.body)
    assert (again.status_code, body["id"], body["photo"]["id"]) == (200, first["id"], photo_id)
    assert all(key.startswith(f"photos/{photo_id}/") for key in stored_photo_objects(aws))
    assert len(stored_photo_objects(aws)) == len(RENDITION_NAMES)


def test_a_create_that_loses_its_reference_to_a_concurrent_one_removes_its_photo(client, aws, monkeypatch):
    # Given an alert with a photo, and a second create of its reference that looked it up before it was written
    first = create(client, reference="BN-PHOTO-2", photo=inline_jpeg((90, 80, 70)))
    monkeypatch.setattr(wiring().alert_service._store, "find_by_reference", lambda reference: None)
    # When that second create, with another photo, reaches the table
    again = send(client, "POST", "/alerts", alert_body(reference="BN-PHOTO-2", photo=inline_jpeg((20, 160, 40))))
    # Then it answers with the winner, and the loser's renditions are gone
    assert (again.status_code, json.loads(again.body)["id"]) == (200, first["id"])
    assert all(key.startswith(f"photos/{first['photo']['id']}/") for key in stored_photo_objects(aws))
    assert len(stored_photo_objects(aws)) == len(RENDITION_NAMES)


def test_a_retried_create_whose_write_landed_keeps_its_photo(client, aws, monkeypatch):
    # Given a create with a photo whose write landed but whose answer was lost, so it is sent again as it was
    service = wiring().alert_service
    monkeypatch.setattr(service._store, "find_by_reference", lambda reference: None)
    ids = iter([str(uuid.uuid4())] * 2)
    monkeypatch.setattr(service, "_new_id", lambda: next(ids))
    body = alert_body(reference="BN-PHOTO-3", photo=inline_jpeg((90, 80, 70)))
    first = create(client, body=body)
    # When the same create arrives again (the table sees its own write)
    again = send(client, "POST", "/alerts", body)
    # Then it is still the create, and its photo stays
    assert (again.status_code, json.loads(again.body)["id"]) == (201, first["id"])
    assert len(stored_photo_objects(aws)) == len(RENDITION_NAMES)
