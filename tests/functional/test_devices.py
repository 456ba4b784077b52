"""The device registry on moto's SNS: endpoints, subscriptions, moves, token refresh, removal, cleanup, and
registrations that SNS or DynamoDB cut short."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from moto.sns.models import PlatformEndpoint

import app as api
from chalicelib.adapters.clients import dynamodb_client, sns_client
from chalicelib.geo.cover import device_cell
from tests.functional.conftest import send

UTRECHT = {"lat": 52.0907, "lon": 5.1214}
GRONINGEN = {"lat": 53.2194, "lon": 6.5665}
TOKEN = "a" * 64


@pytest.fixture
def push(fan_out, monkeypatch):
    # SNS lists an endpoint's CustomUserData among its attributes (GetEndpointAttributes, and the listing of a
    # platform application's endpoints); moto keeps it beside them unless it was set as an attribute.
    made = PlatformEndpoint.__init__

    def with_user_data(self: PlatformEndpoint, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        if self.custom_user_data:
            self.attributes.setdefault("CustomUserData", self.custom_user_data)

    monkeypatch.setattr(PlatformEndpoint, "__init__", with_user_data)
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


# Registrations cut short: SNS or DynamoDB refusing a call past botocore's retries, or its answer lost.

UTRECHT_CELL = device_cell(UTRECHT["lat"], UTRECHT["lon"])
GRONINGEN_CELL = device_cell(GRONINGEN["lat"], GRONINGEN["lon"])
IN_UTRECHT = sorted(["kind-alarm-local-push-nl-national", f"kind-alarm-local-push-nl-cell-{UTRECHT_CELL}"])
IN_GRONINGEN = sorted(["kind-alarm-local-push-nl-national", f"kind-alarm-local-push-nl-cell-{GRONINGEN_CELL}"])


class Faults:
    """Refusals injected at the AWS boundary: the service's own clients answer the n-th call of an operation with
    a throttling error (as botocore raises it once its retries are spent), or lose the answer after the call."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def refuse(self, client: Any, operation: str, code: str, nth: int = 1, when: Callable[[Any], bool] = bool) -> None:
        calls = 0

        def answer(params: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
            nonlocal calls
            if not when(params):
                return None
            calls += 1
            if calls != nth:
                return None
            error = {"Error": {"Code": code, "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
            return AWSResponse("https://sns.eu-west-1.amazonaws.com/", 400, {}, None), error

        self._on(client, f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", answer)

    def lose_answer(self, client: Any, operation: str) -> None:
        """The call is made, then its answer times out, as when SNS acted but the connection dropped."""

        def lost(**_: Any) -> None:
            raise ReadTimeoutError(endpoint_url="https://sns.eu-west-1.amazonaws.com/")

        self._on(client, f"after-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", lost)

    def clear(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _on(self, client: Any, event: str, handler: Callable[..., Any]) -> None:
        client.meta.events.register(event, handler)
        self._undo.append(lambda: client.meta.events.unregister(event, handler))


@pytest.fixture
def faults(push) -> Iterator[Faults]:
    injected = Faults()
    yield injected
    injected.clear()


def counts_moved_by(params: Any) -> bool:
    """A write of the device that moves the counts (``COUNT#...`` items in its transaction)."""
    return b"COUNT#" in params["body"] if isinstance(params["body"], bytes) else "COUNT#" in params["body"]


def inject(faults: Faults, where: str) -> None:
    if where == "after the endpoint":
        faults.refuse(sns_client(), "Subscribe", "Throttled")
    elif where == "after the first subscription":
        faults.refuse(sns_client(), "Subscribe", "Throttling", nth=2)
    elif where == "between record and counts":
        faults.refuse(dynamodb_client(), "TransactWriteItems", "ThrottlingException", when=counts_moved_by)
    else:  # the endpoint made, its answer lost
        faults.lose_answer(sns_client(), "CreatePlatformEndpoint")


def endpoints(push) -> list[dict[str, Any]]:
    """Every endpoint of both platform applications."""
    sns = boto3.client("sns")
    return [
        endpoint
        for key in ("ApnsApplicationArn", "FcmApplicationArn")
        for endpoint in sns.list_endpoints_by_platform_application(PlatformApplicationArn=push.outputs[key])[
            "Endpoints"
        ]
    ]


def all_subscriptions() -> list[str]:
    sns = boto3.client("sns")
    return [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"] if s["Protocol"] == "application"]


def count(push, scope: str) -> dict[str, int]:
    key = {"pk": {"S": f"COUNT#{scope}"}, "sk": {"S": "COUNT"}}
    item = boto3.client("dynamodb").get_item(TableName=push.outputs["AlertsTableName"], Key=key).get("Item") or {}
    return {name: int(value["N"]) for name, value in item.items() if "N" in value and int(value["N"])}


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    problem = json.loads(response.body)
    assert problem["status"] == 503 and problem["type"].endswith("/service-unavailable")
    assert TOKEN not in response.body.decode()


CUT_SHORT = ["after the endpoint", "after the first subscription", "between record and counts", "answer lost"]


@pytest.mark.parametrize("where", CUT_SHORT)
def test_a_registration_cut_short_answers_503_and_delete_then_leaves_nothing(client, push, faults, where):
    # Given a registration that SNS or DynamoDB cuts short
    inject(faults, where)
    assert_unavailable(register(client))
    faults.clear()
    # When the device is unregistered
    assert send(client, "DELETE", "/devices/device-1").status_code == 204
    # Then no endpoint and no subscription is left, so nothing reaches the device, and it is counted nowhere
    assert endpoints(push) == []
    assert all_subscriptions() == []
    assert record(push.outputs) is None
    assert count(push, "national") == {} and count(push, UTRECHT_CELL) == {}


@pytest.mark.parametrize("where", CUT_SHORT)
def test_a_registration_cut_short_is_healed_by_sending_it_again(client, push, faults, where):
    # Given a registration that SNS or DynamoDB cuts short
    inject(faults, where)
    assert_unavailable(register(client))
    faults.clear()
    # When the app backend sends it again
    assert register(client).status_code == 201
    # Then the device has one endpoint, its two topics and is counted once
    (endpoint,) = endpoints(push)
    assert record(push.outputs)["endpoint_arn"]["S"] == endpoint["EndpointArn"]
    assert endpoint["Attributes"]["CustomUserData"] == "device-1"
    assert subscribed_topics(endpoint["EndpointArn"]) == IN_UTRECHT
    assert len(all_subscriptions()) == 2
    assert count(push, "national") == {"nl": 1} and count(push, UTRECHT_CELL) == {"nl": 1}
    # And sending it once more changes nothing
    assert register(client).status_code == 204
    assert count(push, "national") == {"nl": 1} and len(all_subscriptions()) == 2


@pytest.mark.parametrize(("operation", "nth"), [("Subscribe", 1), ("Unsubscribe", 1)])
def test_a_move_cut_short_keeps_the_old_cell_until_it_is_sent_again(client, push, faults, operation, nth):
    # Given a device in Utrecht
    register(client)
    endpoint = record(push.outputs)["endpoint_arn"]["S"]
    # When its move to Groningen is cut short, joining the new cell or leaving the old one
    faults.refuse(sns_client(), operation, "Throttled", nth=nth)
    assert_unavailable(register(client, location=GRONINGEN))
    faults.clear()
    # Then it is still in its old cell (never left before the new one was joined), and counted there
    assert set(IN_UTRECHT) <= set(subscribed_topics(endpoint))
    assert count(push, UTRECHT_CELL) == {"nl": 1} and count(push, GRONINGEN_CELL) == {}
    # And sending the move again completes it, counted once
    assert register(client, location=GRONINGEN).status_code == 204
    assert subscribed_topics(endpoint) == IN_GRONINGEN
    assert len(all_subscriptions()) == 2
    assert count(push, UTRECHT_CELL) == {} and count(push, GRONINGEN_CELL) == {"nl": 1}
    assert count(push, "national") == {"nl": 1}


def test_an_unregistration_cut_short_answers_503_and_is_completed_by_sending_it_again(client, push, faults):
    register(client)
    faults.refuse(sns_client(), "DeleteEndpoint", "ServiceUnavailable")
    assert_unavailable(send(client, "DELETE", "/devices/device-1"))
    faults.clear()
    assert record(push.outputs) is not None  # what is left is still named
    assert send(client, "DELETE", "/devices/device-1").status_code == 204
    assert endpoints(push) == [] and all_subscriptions() == [] and count(push, "national") == {}


def test_sns_out_of_reach_answers_503(client, push, faults):
    faults.lose_answer(sns_client(), "Subscribe")
    assert_unavailable(register(client))


def test_the_api_document_says_a_device_request_may_answer_503_with_retry_after(client, push):
    document = json.loads(send(client, "GET", "/openapi.json").body)
    for method in ("put", "delete"):
        unavailable = document["paths"]["/devices/{device_id}"][method]["responses"]["503"]
        assert "Retry-After" in unavailable["headers"]
        assert "application/problem+json" in unavailable["content"]


def test_a_record_stored_before_registrations_were_recorded_step_by_step_moves_and_goes(client, push):
    # Given a device stored as before: subscriptions by scope, no word on whether it is counted
    register(client)
    table, key = push.outputs["AlertsTableName"], {"pk": {"S": "DEVICE#device-1"}, "sk": {"S": "DEVICE"}}
    dynamodb = boto3.client("dynamodb")
    item = dynamodb.get_item(TableName=table, Key=key)["Item"]
    by_topic = item["subscriptions"]["M"]
    scopes = {"national" if "national" in topic else "cell": value for topic, value in by_topic.items()}
    item = {name: value for name, value in item.items() if name != "counted"} | {"subscriptions": {"M": scopes}}
    dynamodb.put_item(TableName=table, Item=item)
    endpoint = item["endpoint_arn"]["S"]
    # When it moves, then goes
    assert register(client, location=GRONINGEN).status_code == 204
    assert subscribed_topics(endpoint) == IN_GRONINGEN
    assert count(push, UTRECHT_CELL) == {} and count(push, GRONINGEN_CELL) == {"nl": 1}
    assert send(client, "DELETE", "/devices/device-1").status_code == 204
    # Then nothing of it is left, and it was counted once throughout
    assert endpoints(push) == [] and all_subscriptions() == [] and count(push, "national") == {}
