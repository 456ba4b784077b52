"""`make run`'s stack, over HTTP: the README's curls work, and Ctrl-C stops everything."""

from __future__ import annotations

import boto3
import pytest
import requests

from devstack.process import start_local_stack
from tests.conftest import alert_body

pytestmark = pytest.mark.e2e


def test_create_read_update_cancel_over_http(local_stack):
    # Given the local stack as `make run` starts it
    api = local_stack.api
    # When Burgernet creates an alert
    created = requests.post(f"{api}/alerts", json=alert_body(reference="BN-E2E-1"), timeout=10)
    assert created.status_code == 201, created.text
    alert = created.json()
    # Then it can be read back, changed with If-Match and cancelled
    read = requests.get(f"{api}/alerts/{alert['id']}", timeout=10)
    assert read.status_code == 200
    assert read.json()["child"]["name"] == "Sanne de Vries"
    assert read.headers["ETag"] == '"1"'
    patched = requests.patch(
        f"{api}/alerts/{alert['id']}",
        json={"child": {"description": "blauwe jas"}},
        headers={"If-Match": read.headers["ETag"]},
        timeout=10,
    )
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    cancelled = requests.post(f"{api}/alerts/{alert['id']}/cancel", json={"reason": "found"}, timeout=10)
    assert cancelled.json()["state"] == "cancelled"
    # And the same reference again gives the same alert
    again = requests.post(f"{api}/alerts", json=alert_body(reference="BN-E2E-1"), timeout=10)
    assert (again.status_code, again.json()["id"]) == (200, alert["id"])


def test_the_alert_lives_in_the_table_the_template_made(local_stack):
    created = requests.post(f"{local_stack.api}/alerts", json=alert_body(reference="BN-E2E-2"), timeout=10).json()
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=local_stack.aws,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    item = dynamodb.get_item(
        TableName="kind-alarm-local-alerts", Key={"pk": {"S": f"ALERT#{created['id']}"}, "sk": {"S": "ALERT"}}
    )["Item"]
    assert item["reference"] == {"S": "BN-E2E-2"}


def test_bad_input_is_a_problem_over_http(local_stack):
    response = requests.post(
        f"{local_stack.api}/alerts", data=b'{"reference": ', headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"pointer": "", "detail": "the body"}]


def test_ctrl_c_stops_everything():
    stack = start_local_stack()
    assert requests.get(f"{stack.api}/alerts/0f8fad5b-d9cb-469f-a165-70867728950e", timeout=10).status_code == 404
    assert stack.stop() == 0
    assert "local stack stopped" in stack.output
    with pytest.raises(requests.ConnectionError):
        requests.get(stack.api, timeout=2)
    with pytest.raises(requests.ConnectionError):
        requests.get(stack.aws, timeout=2)


def test_an_image_preview_over_http_is_a_png_without_an_accept_header(local_stack):
    created = requests.post(f"{local_stack.api}/alerts", json=alert_body(reference="BN-E2E-PREVIEW"), timeout=10)
    preview = f"{local_stack.api}/alerts/{created.json()['id']}/previews/road_signs"
    # A client that sends no Accept (requests' default */* removed) gets the PNG
    with requests.Session() as session:
        del session.headers["Accept"]
        bare = session.get(preview, timeout=30)
    assert "Accept" not in bare.request.headers
    assert bare.status_code == 200, bare.text[:300]
    assert bare.headers["Content-Type"] == "image/png"
    assert bare.content.startswith(b"\x89PNG\r\n\x1a\n")
    # One that takes no image gets 406 saying what to ask for
    refused = requests.get(preview, headers={"Accept": "application/json"}, timeout=30)
    assert refused.status_code == 406
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "Send Accept: image/png." in refused.json()["detail"]


def test_the_served_openapi_document_names_the_local_stack_as_its_server(local_stack):
    document = requests.get(f"{local_stack.api}/openapi.json", timeout=10).json()
    assert document["servers"] == [{"url": local_stack.api.rstrip("/")}]
    # And a client that follows it reaches the API
    server = document["servers"][0]["url"]
    assert requests.get(f"{server}/feed", timeout=10).status_code == 200


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
def test_a_method_the_stack_does_not_route_is_a_405_problem(local_stack, method):
    with requests.Session() as session:
        response = session.request(method, f"{local_stack.api}/feed", data=b"ignored", timeout=10)
        assert response.status_code == 405
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.headers["Allow"] == "GET"
        problem = response.json()
        assert (problem["status"], problem["title"]) == (405, "Method Not Allowed")
        # The same connection carries the next request (the body was read, not left in the stream)
        assert session.get(f"{local_stack.api}/feed", timeout=10).status_code == 200
