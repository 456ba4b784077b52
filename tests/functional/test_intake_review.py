"""Hostile review of issue 13 §3 (intake): CAP documents in odd shapes, stored data, status and references.

Each test names the defect it holds the code to; all of them failed before the fix beside them.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3

from chalicelib.adapters.alert_table import alert_key
from chalicelib.config import get_settings
from chalicelib.models.audit import Actor
from chalicelib.wiring import wiring
from tests.conftest import alert_body
from tests.functional.conftest import create, send
from tests.functional.test_cap_ingest import NOW, cap_alert, dutch_info, post_cap, problem

LATER = (datetime.now(timezone.utc) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
REFERENCE = f"burgernet@politie.nl,NL-BN-2026-0042,{NOW}"


def get_alert(client, alert_id: str) -> dict[str, Any]:
    return dict(json.loads(send(client, "GET", f"/alerts/{alert_id}").body))


def test_a_cap_update_without_an_area_keeps_the_alert_where_it_was(client, aws):
    # Given a CAP alert for 15 km around Utrecht Centraal
    created = json.loads(post_cap(client, cap_alert(dutch_info())).body)
    assert created["area"]["type"] == "circle"
    # When an Update changes the description and carries no <area> (CAP 1.2: area is optional)
    info = dutch_info().replace("gele jas", "blauwe jas").split("<area>")[0] + "</info>"
    update = cap_alert(info, identifier="NL-BN-2026-0043", msg_type="Update", references=REFERENCE, sent=LATER)
    response = post_cap(client, update)
    # Then the description changed and the area did not: before, the alert went national (every device)
    body = json.loads(response.body)
    assert response.status_code == 200, body
    assert body["child"]["description"] == "1,20 m, bruin haar, blauwe jas"
    assert body["area"] == created["area"]


def test_a_cap_update_without_last_seen_at_keeps_when_the_child_was_seen(client, aws):
    # Given a CAP alert without lastSeenAt (the sighting is dated by <sent>)
    created = json.loads(post_cap(client, cap_alert(dutch_info())).body)
    # When an Update sent later says nothing about when the child was seen
    update = cap_alert(
        dutch_info(name="Zoë de Jong"),
        identifier="NL-BN-2026-0043",
        msg_type="Update",
        references=REFERENCE,
        sent=LATER,
    )
    body = json.loads(post_cap(client, update).body)
    # Then the sighting keeps its time: the Update's <sent> is when Burgernet wrote, not when she was seen
    assert body["child"]["name"] == "Zoë de Jong"
    assert body["last_seen"]["at"] == created["last_seen"]["at"]


def test_references_naming_two_alerts_are_refused_instead_of_acting_on_one(client, aws):
    # Given two alerts
    first = json.loads(post_cap(client, cap_alert(dutch_info(), identifier="BN-A")).body)
    second = json.loads(post_cap(client, cap_alert(dutch_info(), identifier="BN-B")).body)
    # When one Cancel references both
    references = f"burgernet@politie.nl,BN-A,{NOW} burgernet@politie.nl,BN-B,{NOW}"
    response = post_cap(client, cap_alert("", identifier="BN-C", msg_type="Cancel", references=references))
    # Then it is refused on references (before: the last one was cancelled, the other left running, and 200)
    assert response.status_code == 422, response.body
    assert [error["pointer"] for error in problem(response)["errors"]] == ["/alert/references"]
    assert get_alert(client, first["id"])["state"] == "active"
    assert get_alert(client, second["id"])["state"] == "active"


def test_references_name_at_most_a_few_messages_and_are_not_looked_up_one_by_one(client, reference_lookups):
    # Given the alert table, counting lookups (each one a DynamoDB read: 20,000 of them outlast API Gateway's 29 s)
    looked_up = reference_lookups
    # When a Cancel's references name 20,000 messages
    references = " ".join(f"burgernet@politie.nl,BN-{n},{NOW}" for n in range(20_000))
    response = post_cap(client, cap_alert("", identifier="NL-BN-2", msg_type="Cancel", references=references))
    # Then it is refused on references at once
    assert response.status_code == 422, response.body
    assert [error["pointer"] for error in problem(response)["errors"]] == ["/alert/references"]
    assert len(looked_up) <= 100


def test_a_create_whose_reference_is_an_alert_of_another_status_is_refused(client, aws):
    # Given an exercise alert with Burgernet's reference BN-X
    exercise = json.loads(send(client, "POST", "/alerts", alert_body(reference="BN-X", status="exercise")).body)
    # When an actual alert arrives with the same reference (JSON or CAP)
    json_create = send(client, "POST", "/alerts", alert_body(reference="BN-X", status="actual"))
    cap_create = post_cap(client, cap_alert(dutch_info(), identifier="BN-X", status="Actual"))
    # Then neither is answered with the exercise as if the actual alert had gone out (200): 409 on the status
    assert json_create.status_code == 409, json_create.body
    assert [error["pointer"] for error in problem(json_create)["errors"]] == ["/status"]
    assert cap_create.status_code == 409, cap_create.body
    assert [error["pointer"] for error in problem(cap_create)["errors"]] == ["/alert/status"]
    # And a repeat of the exercise itself is still the same exercise
    again = send(client, "POST", "/alerts", alert_body(reference="BN-X", status="exercise"))
    assert (again.status_code, json.loads(again.body)["id"]) == (200, exercise["id"])


def store_as_before_the_xml_rule(client, name: str) -> dict[str, Any]:
    """An active alert as the API stored it before text XML cannot carry was refused (9b3064d)."""
    created = create(client)
    table = get_settings().alerts_table
    item = boto3.client("dynamodb").get_item(TableName=table, Key=alert_key(created["id"]))["Item"]
    item["child"]["M"]["name"] = {"S": name}
    item["headline"]["M"]["nl"] = {"S": f"{name} vermist"}
    boto3.client("dynamodb").put_item(TableName=table, Item=item)
    return dict(created)


def test_an_alert_stored_before_the_xml_rule_can_still_be_read_cancelled_and_expired(client, aws):
    # Given an active alert stored with U+FFFF in the name, which the API took in before the rule
    created = store_as_before_the_xml_rule(client, "Sanne\uffff")
    # When Burgernet reads and cancels it
    shown = send(client, "GET", f"/alerts/{created['id']}")
    cancelled = send(client, "POST", f"/alerts/{created['id']}/cancel", {"reason": "found"})
    # Then both work (before: 422 on /child/name, so the child could never be taken down), the text XML cannot
    # carry replaced, never passed on
    assert shown.status_code == 200, shown.body
    assert "\uffff" not in json.loads(shown.body)["child"]["name"]
    assert cancelled.status_code == 200, cancelled.body
    assert json.loads(cancelled.body)["state"] == "cancelled"


def test_one_alert_stored_before_the_xml_rule_does_not_stop_every_other_from_expiring(client, aws, monkeypatch):
    # Given an alert stored before the rule and another one
    store_as_before_the_xml_rule(client, "Sanne\ufdd0")
    other = create(client, reference="BN-OTHER")
    # When the expiry runs after both have ended
    service = wiring().alert_service
    monkeypatch.setattr(service, "_clock", lambda: datetime.now(timezone.utc) + timedelta(days=30))
    expired = service.expire_due(Actor(principal="kind-alarm:expire_alerts", request_id="-"))
    # Then both expire (before: reading the first raised, and no alert expired at all)
    assert {alert.id for alert in expired} >= {other["id"]}
    assert len(expired) == 2


def test_a_name_in_decomposed_unicode_is_taken_as_its_composed_twin(client, aws):
    # Given one first name of 19 letters, composed (NFC) and decomposed (NFD, as some keyboards and macOS send it)
    composed = "Marie-Thérèse-Anaïs Jansen"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    # When each is the name of a kind_alarm (road signs: a first name of at most 20 characters)
    answers = [
        send(client, "POST", "/alerts", alert_body(reference=f"BN-NF-{n}", child={"name": name, "age": 9}))
        for n, name in enumerate((composed, decomposed))
    ]
    # Then both are taken in (before: the decomposed one counted 22 characters and got 422 on /child/name), and
    # both are kept composed, so every channel counts and shows the same letters
    assert [answer.status_code for answer in answers] == [201, 201], answers[1].body
    assert [json.loads(answer.body)["child"]["name"] for answer in answers] == [composed, composed]
