"""`make run`'s stack, over HTTP: the README's curls work, and Ctrl-C stops everything."""

from __future__ import annotations

import boto3
import pytest
import requests

from chalicelib.local.process import start_local_stack
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
