"""Bodies at the limits the API's memory is sized for (bench/memory.py): refused cheaply, answered in full, no 5xx."""

from __future__ import annotations

import json
import math

from chalicelib.config import get_settings
from chalicelib.http.requests import MAX_JSON_ITEMS, json_object
from chalicelib.models.alert import MAX_RING_POSITIONS, MAX_RINGS
from devstack.samples import sample_alert
from tests.functional.conftest import send

# Lambda answers at most 6 MB; API Gateway turns a larger answer into a 502.
LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024


def test_a_body_of_75_000_empty_arrays_is_refused_before_it_is_parsed(client):
    # Given 1.2 MB of "[]," (pydantic's JSON parser would hold about 1 KB for each: gigabytes at the body limit)
    body = '{"area": [' + ",".join(["[]"] * (MAX_JSON_ITEMS // 2 + 1)) + "]}"
    # When it is posted
    response = send(client, "POST", "/alerts", body)
    # Then it is refused as a body that cannot be taken, saying why
    problem = json.loads(response.body)
    assert response.status_code == 400
    assert f"at most {MAX_JSON_ITEMS:,}" in problem["detail"]
    assert problem["errors"] == [{"detail": "the body", "pointer": ""}]


def test_a_body_of_thousands_of_unknown_members_gets_a_problem_document_lambda_can_return(client):
    # Given a body of almost as many unknown members as the item bound lets through
    count = MAX_JSON_ITEMS - 10
    body = "{" + ",".join(f'"m{index}":0' for index in range(count)) + "}"
    assert len(body) < get_settings().max_body_bytes
    # When it is posted
    response = send(client, "POST", "/alerts", body)
    # Then the answer lists the first hundred and counts the rest, well within what Lambda may answer
    problem = json.loads(response.body)
    assert response.status_code == 422
    assert len(problem["errors"]) == 100
    assert "more)" in problem["detail"]
    assert len(response.body) < LAMBDA_RESPONSE_BYTES // 50


def test_the_largest_valid_alert_is_within_the_item_bound():
    # Given an area of the most rings and points the contract allows
    turn = math.tau / (MAX_RING_POSITIONS - 1)
    rings = [
        [
            [5.11 + 0.2 * math.cos(i * turn) * (1 - r / 40), 52.09 + 0.1 * math.sin(i * turn)]
            for i in range(MAX_RING_POSITIONS)
        ]
        for r in range(MAX_RINGS)
    ]
    body = json.dumps(sample_alert(area={"type": "polygon", "coordinates": rings})).encode()
    # Then its JSON is read (the bound counts structure, not what the model will make of it)
    assert (
        json_object(body, "application/json", get_settings().max_body_bytes)["area"]["coordinates"]
        == json.loads(body)["area"]["coordinates"]
    )
