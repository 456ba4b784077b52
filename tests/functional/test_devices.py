"""The device registry on moto's SNS: endpoints, subscriptions, moves, token refresh, removal, cleanup."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

import app as api
from chalicelib.geo.cover import device_cell
from tests.functional.conftest import send

UTRECHT = {"lat": 52.0907, "lon": 5.1214}
GRONINGEN = {"lat": 53.2194, "lon": 6.5665}
TOKEN = "a" * 64


@pytest.fixture
def push(fan_out):
    return fan_out


def register(client, device_id: str = "device-1", **fields: Any):
    body = {"platform": "apns", "token": TOKEN, "location": UTRECHT, **fields}
    return send(client, "PUT", f"/devices/{device_id}", body)


def record(aws: dict[str, str], device_id: str = "device-1") -> Any:
    return (
        boto3.client("dynamodb")
        .get_item(TableName=aws["AlertsTableName"], Key={"pk": {"S": f"DEVICE#{device_id}"}, "sk": {"S": "DEVICE"}})
        .get("Item")
    )


def subscribed_topics(endpoint_arn: str) -> list[str]:
    sns = boto3.client("sns")
    subscriptions = sns.list_subscriptions()["Subscriptions"]
    return sorted(s["TopicArn"].rsplit(":", 1)[1] for s in subscriptions if s["Endpoint"] == endpoint_arn)


def test_a_device_is_registered_under_its_cell_and_never_its_location(client, push):
    response = register(client)
    assert response.status_code == 201
    item = record(push.outputs)
    assert item is not None
    assert item["cell"]["S"] == device_cell(UTRECHT["lat"], UTRECHT["lon"])
    assert "52.09" not in json.dumps(item) and "5.12" not in json.dumps(item)
    assert TOKEN not in json.dumps(item)
    endpoint = item["endpoint_arn"]["S"]
    attributes = boto3.client("sns").get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]
    assert attributes["Token"] == TOKEN
    assert subscribed_topics(endpoint) == sorted(
        [
            "kind-alarm-local-push-nl-national",
            f"kind-alarm-local-push-nl-cell-{device_cell(UTRECHT['lat'], UTRECHT['lon'])}",
        ]
    )


def test_registering_again_changes_nothing(client, push):
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    again = register(client)
    assert again.status_code == 204
    assert record(push.outputs)["endpoint_arn"]["S"] == endpoint
    assert len(subscribed_topics(endpoint)) == 2


def test_a_refreshed_token_updates_and_reenables_the_endpoint(client, push):
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    sns = boto3.client("sns")
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    register(client, token="b" * 64)
    attributes = sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]
    assert (attributes["Token"], attributes["Enabled"]) == ("b" * 64, "true")


def test_a_move_changes_the_cell_subscription(client, push):
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    register(client, location=GRONINGEN, language="en", test_device=True)
    assert subscribed_topics(endpoint) == sorted(
        [
            "kind-alarm-local-push-en-national",
            f"kind-alarm-local-push-en-cell-{device_cell(GRONINGEN['lat'], GRONINGEN['lon'])}",
            "kind-alarm-local-push-en-test",
        ]
    )


def test_a_token_already_known_is_taken_over(client, push):
    # Given an app reinstalled: a new install id with the token of the old one
    register(client, device_id="old-install")
    endpoint = record(push.outputs, "old-install")["endpoint_arn"]["S"]
    assert register(client, device_id="new-install").status_code == 201
    # Then the new install owns the endpoint and the old record is gone, so it cannot delete it later
    assert record(push.outputs, "new-install")["endpoint_arn"]["S"] == endpoint
    assert record(push.outputs, "old-install") is None
    assert len(subscribed_topics(endpoint)) == 2
    send(client, "DELETE", "/devices/old-install")
    assert boto3.client("sns").get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]["Token"] == TOKEN


def test_delete_removes_endpoint_subscriptions_and_record(client, push):
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    assert send(client, "DELETE", "/devices/device-1").status_code == 204
    assert record(push.outputs) is None
    assert subscribed_topics(endpoint) == []
    with pytest.raises(boto3.client("sns").exceptions.NotFoundException):
        boto3.client("sns").get_endpoint_attributes(EndpointArn=endpoint)
    assert send(client, "DELETE", "/devices/device-1").status_code == 204


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"platform": "windows", "token": TOKEN, "location": UTRECHT}, "/platform"),
        ({"platform": "fcm", "token": "short", "location": UTRECHT}, "/token"),
        ({"platform": "fcm", "token": TOKEN, "location": {"lat": 152, "lon": 5}}, "/location/lat"),
        ({"platform": "fcm", "token": TOKEN}, "/location"),
        ({"platform": "fcm", "token": TOKEN, "location": UTRECHT, "language": "de"}, "/language"),
    ],
)
def test_bad_registrations_name_the_field(client, push, body, pointer):
    response = send(client, "PUT", "/devices/device-1", body)
    assert response.status_code == 422
    assert json.loads(response.body)["errors"][0]["pointer"] == pointer


def test_a_bad_device_id_is_refused(client, push):
    response = send(client, "PUT", "/devices/bad%20id!", {"platform": "fcm", "token": TOKEN, "location": UTRECHT})
    assert response.status_code == 400
    assert json.loads(response.body)["errors"][0]["parameter"] == "device_id"


def endpoint_report(event_type: str, endpoint: str, **fields: str) -> dict[str, Any]:
    """An SNS platform-application event as the push_events function receives it."""
    report = {"EventType": event_type, "EndpointArn": endpoint, "Resource": endpoint, **fields}
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "Message": json.dumps(report),
                    "Subject": "",
                    "MessageAttributes": {},
                    "TopicArn": "arn:aws:sns:eu-west-1:123456789012:kind-alarm-local-push-events",
                },
            }
        ]
    }


def test_an_endpoint_the_platform_disabled_is_cleaned_up(client, push):
    # Given a device whose endpoint APNs disabled (SNS sets Enabled to false, then reports the failed delivery)
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    boto3.client("sns").set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    # When SNS reports it
    api.push_events(endpoint_report("DeliveryFailure", endpoint, FailureType="EndpointDisabled"), None)
    # Then the device, its subscriptions and its endpoint are gone
    assert record(push.outputs) is None
    assert subscribed_topics(endpoint) == []
    with pytest.raises(boto3.client("sns").exceptions.NotFoundException):
        boto3.client("sns").get_endpoint_attributes(EndpointArn=endpoint)


def test_the_update_sns_reports_after_our_own_token_refresh_keeps_the_device(client, push):
    # Given a device that refreshed its token: SNS answers our SetEndpointAttributes with an EndpointUpdated event
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    register(client, token="b" * 64)
    # When that event arrives
    api.push_events(endpoint_report("EndpointUpdated", endpoint), None)
    # Then the device still gets alerts: its record, endpoint and subscriptions stay
    assert record(push.outputs)["endpoint_arn"]["S"] == endpoint
    assert len(subscribed_topics(endpoint)) == 2
    attributes = boto3.client("sns").get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]
    assert (attributes["Token"], attributes["Enabled"]) == ("b" * 64, "true")


def test_a_failed_delivery_to_an_endpoint_still_enabled_keeps_the_device(client, push):
    # Given a device whose endpoint the platform did not disable (a passing failure, such as a throttled delivery)
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    # When SNS reports the failure
    api.push_events(endpoint_report("DeliveryFailure", endpoint, FailureType="DeliveryFailedPerMessageTTL"), None)
    # Then the device stays
    assert record(push.outputs) is not None
    assert len(subscribed_topics(endpoint)) == 2


def test_an_update_that_disabled_the_endpoint_forgets_the_device(client, push):
    # Given a device whose token FCM declared invalid: SNS disabled the endpoint and reports the update
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    boto3.client("sns").set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    # When the update arrives
    api.push_events(endpoint_report("EndpointUpdated", endpoint), None)
    # Then the device is forgotten
    assert record(push.outputs) is None
    assert subscribed_topics(endpoint) == []


@pytest.mark.parametrize("event_type", ["EndpointUpdated", "EndpointDeleted"])
def test_an_endpoint_already_gone_counts_as_disabled(client, push, event_type):
    # Given a device whose endpoint was deleted outside the service
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    boto3.client("sns").delete_endpoint(EndpointArn=endpoint)
    # When SNS reports it
    api.push_events(endpoint_report(event_type, endpoint), None)
    # Then the device and its subscriptions are gone
    assert record(push.outputs) is None
    assert subscribed_topics(endpoint) == []


def test_a_report_on_an_unknown_endpoint_or_another_event_changes_nothing(client, push):
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    api.push_events(endpoint_report("EndpointCreated", endpoint), None)
    api.push_events(endpoint_report("EndpointUpdated", endpoint.replace(endpoint[-8:], "00000000")), None)
    assert record(push.outputs) is not None
    assert len(subscribed_topics(endpoint)) == 2
