"""What each function's role lets it do, evaluated as IAM does (explicit deny wins, else an allow is needed) on the
merge template's roles resolved for one stack: writes to the bucket, partner secrets, push endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

import app as api
from chalicelib.alerts import retention
from chalicelib.wiring import wiring
from devstack.partners import local_partners
from devstack.wiring import event_runner
from infra import iam
from infra.merge import merge_template
from tests.functional.conftest import aws, client, create, fan_out, send  # noqa: F401 - the moto fixtures
from tests.functional.test_photos import inline, phone_jpeg
from tests.infra.policies import Request, Stack, as_list, evaluate

STAGE = "dev"
ACCOUNT = "123456789012"
APNS = f"arn:aws:sns:eu-west-1:{ACCOUNT}:app/APNS/kind-alarm-{STAGE}"
FCM = f"arn:aws:sns:eu-west-1:{ACCOUNT}:app/GCM/kind-alarm-{STAGE}"
BUCKET = f"arn:aws:s3:::kind-alarm-{STAGE}-photos-{ACCOUNT}"
CHANNELS = tuple(iam.CHANNEL_QUEUES)
# Channels that read a photo's master themselves (to draw a sign, a poster, a post, a page; cap_feed and web also
# their index).
READS_OBJECTS_THAT_MAY_BE_GONE = {"CapFeed", "SocialMedia", "RoadSigns", "StationScreens", "Web"}
# The public site's CloudFront distribution (infra/site.py): its Ref is its id.
DISTRIBUTION_ID = "E2KINDALARMDEV"


class Attributes(dict[str, str]):
    """The stack's resource attributes; those the tests do not name get a recognisable stand-in."""

    def __missing__(self, key: str) -> str:
        return f"arn:aws:test:::{key}"


STACK = Stack(
    parameters={"Stage": STAGE, "ApnsApplicationArn": APNS, "FcmApplicationArn": FCM},
    attributes=Attributes(
        {
            "PhotosBucket.Arn": BUCKET,
            "AlertsTable.Arn": f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/kind-alarm-{STAGE}-alerts",
        }
    ),
    references={
        "AlertEventsTopic": f"arn:aws:sns:eu-west-1:{ACCOUNT}:kind-alarm-{STAGE}-alert-events",
        "SiteDistribution": DISTRIBUTION_ID,
    },
    account=ACCOUNT,
)


def statements(resource: str, stack: Stack = STACK) -> list[dict[str, Any]]:
    role = merge_template()["Resources"][f"{resource}Role"]["Properties"]
    found: list[dict[str, Any]] = stack.resolve(
        [statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]]
    )
    return found


def may(resource: str, action: str, arn: str, **context: str) -> bool:
    return evaluate(statements(resource), Request(action, arn, context=context)) == "allow"


def secret_arn(name: str) -> str:
    return f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter{name}"


def test_only_cap_feed_writes_to_the_bucket_and_only_its_feed_files():
    for resource in CHANNELS:
        for key in ("feed/index.json", "feed/cap/a1.xml", "photos/p1/master.jpg", "uploads/u1"):
            allowed = may(resource, "s3:PutObject", f"{BUCKET}/{key}")
            assert allowed == (resource == "CapFeed" and key.startswith("feed/")), (resource, key)


def test_every_channel_reads_the_renditions_it_hands_out_and_lists_the_bucket_when_it_reads_one_itself():
    for resource in CHANNELS:
        assert may(resource, "s3:GetObject", f"{BUCKET}/photos/p1/master.jpg"), resource
        assert not may(resource, "s3:GetObject", f"{BUCKET}/uploads/u1"), resource
        # Without ListBucket a missing object answers AccessDenied, not NoSuchKey: a deleted photo or a first feed
        assert may(resource, "s3:ListBucket", BUCKET) == (resource in READS_OBJECTS_THAT_MAY_BE_GONE), resource
    assert may("CapFeed", "s3:GetObject", f"{BUCKET}/feed/index.json")
    assert may("APIHandler", "s3:ListBucket", BUCKET)


def partner_secrets() -> dict[str, list[str]]:
    """Each channel's partners' secret parameters, as the local stack names them."""
    directory, _ = local_partners("http://127.0.0.1:8025", STAGE)
    return {
        channel: [target.secret_parameter for target in (*partners.public, *partners.sandbox)]
        for channel, partners in directory.channels.items()
    }


def test_each_channel_reads_its_own_partners_secrets_and_no_other_channels():
    secrets = partner_secrets()
    assert set(secrets) == {"news_media", "social_media", "road_signs", "station_screens"}
    for resource in iam.FUNCTIONS:
        for channel, names in secrets.items():
            for name in names:
                # The secret, and the previous one kept beside it while a rotation runs
                for parameter in (name, name.removesuffix("/secret") + "/previous"):
                    allowed = may(resource, "ssm:GetParameter", secret_arn(parameter))
                    assert allowed == (iam.FUNCTIONS[resource] in (channel, "canary")), (resource, parameter)


def test_the_canary_reads_every_public_partners_secrets_and_nothing_beyond_the_partner_channels_folders():
    directory, _ = local_partners("http://127.0.0.1:8025", STAGE)
    public = [target for partners in directory.channels.values() for target in partners.public]
    assert {target.platform for target in public} == {"webhook", "x", "facebook"}
    for target in public:
        assert may("Canary", "ssm:GetParameter", secret_arn(target.secret_parameter)), target.name
        assert may("Canary", "ssm:GetParameter", secret_arn(target.previous_secret_parameter)), target.name
    for other in (
        f"/kind-alarm/{STAGE}/partners/anp/secret",
        f"/kind-alarm/{STAGE}/partners/app_push/x/secret",
        "/kind-alarm/prod/partners/news_media/anp/secret",
        f"/kind-alarm/{STAGE}/operations/key",
    ):
        assert not may("Canary", "ssm:GetParameter", secret_arn(other)), other
    assert not may("Canary", "ssm:PutParameter", secret_arn(public[0].secret_parameter))


def test_a_channels_secret_folder_is_its_own_and_this_stages():
    assert may("NewsMedia", "ssm:GetParameter", secret_arn(f"/kind-alarm/{STAGE}/partners/news_media/new-room/secret"))
    for other in (
        f"/kind-alarm/{STAGE}/partners/news_media_sandbox/x/secret",
        f"/kind-alarm/{STAGE}/partners/anp/secret",
        "/kind-alarm/prod/partners/news_media/anp/secret",
        f"/kind-alarm/{STAGE}/operations/key",
    ):
        assert not may("NewsMedia", "ssm:GetParameter", secret_arn(other)), other


@pytest.mark.parametrize("resource", ["APIHandler", "PushEvents"])
def test_push_permissions_name_this_stages_platform_applications_and_their_endpoints(resource):
    assert may(resource, "sns:CreatePlatformEndpoint", APNS)
    assert may(resource, "sns:CreatePlatformEndpoint", FCM)
    assert not may(resource, "sns:CreatePlatformEndpoint", APNS.replace(STAGE, "prod"))
    assert may(resource, "sns:ListEndpointsByPlatformApplication", FCM)
    assert not may(resource, "sns:ListEndpointsByPlatformApplication", FCM.replace(STAGE, "prod"))
    for action in ("sns:GetEndpointAttributes", "sns:SetEndpointAttributes", "sns:DeleteEndpoint"):
        for application in (APNS, FCM):
            endpoint = application.replace(":app/", ":endpoint/") + "/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
            assert may(resource, action, endpoint), (action, endpoint)
            assert not may(resource, action, endpoint.replace(f"kind-alarm-{STAGE}", "kind-alarm-prod")), action
            assert not may(resource, action, endpoint.replace(f"kind-alarm-{STAGE}/", "other-app/")), action
    assert not may(resource, "sns:Publish", APNS.replace(":app/", ":endpoint/") + "/e1")


def test_no_role_names_every_push_endpoint_or_application():
    for resource in iam.FUNCTIONS:
        for statement in statements(resource):
            for arn in as_list(statement["Resource"]):
                assert not arn.endswith(":endpoint/*") and not arn.endswith(":app/*"), (resource, arn)


# Every AWS call each function makes in a whole lifecycle on moto, checked against that function's role.

ACTING: ContextVar[str | None] = ContextVar("acting", default=None)
HANDLERS = {handler: resource for resource, handler in iam.FUNCTIONS.items()}


@dataclass(frozen=True)
class Call:
    function: str
    service: str
    operation: str
    params: dict[str, Any]
    error: str | None = None  # the error code AWS answered


@contextmanager
def acting_as(resource: str) -> Iterator[None]:
    token = ACTING.set(resource)
    try:
        yield
    finally:
        ACTING.reset(token)


def as_function(name: str) -> Callable[..., Any]:
    """The app's handler ``name``, run as its function: the calls it makes are that function's."""
    handler, resource = getattr(api, name), HANDLERS[name]

    def run(*args: Any) -> Any:
        with acting_as(resource):
            return handler(*args)

    return run


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Each AWS API call made while a function runs (the event runner's own polling is Lambda's, not ours)."""
    recorded: list[Call] = []
    original = BaseClient._make_api_call

    def record(aws_client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        function = ACTING.get()
        service = aws_client.meta.service_model.service_name
        try:
            answer = original(aws_client, operation, params)
        except ClientError as error:
            if function is not None:
                recorded.append(Call(function, service, operation, dict(params), error.response["Error"]["Code"]))
            raise
        if function is not None:
            recorded.append(Call(function, service, operation, dict(params)))
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    return recorded


def queue_arn(url: str) -> str:
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:eu-west-1:{account}:{name}"


def requests_of(call: Call, stack: Stack) -> list[Request]:  # noqa: C901, PLR0911, PLR0912 - one branch per API
    """The IAM actions and resources one API call is authorised on (the service authorization reference)."""
    p, service, operation = call.params, call.service, call.operation
    region, account = stack.region, stack.account
    if service == "dynamodb":
        table = f"arn:aws:dynamodb:{region}:{account}:table/"
        if operation == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            return [
                Request(f"dynamodb:{kinds[kind]}", table + body["TableName"])
                for item in p["TransactItems"]
                for kind, body in item.items()
            ]
        if operation == "BatchGetItem":
            return [Request("dynamodb:BatchGetItem", table + name) for name in p["RequestItems"]]
        if operation == "Query" and "IndexName" in p:
            return [Request("dynamodb:Query", f"{table}{p['TableName']}/index/{p['IndexName']}")]
        return [Request(f"dynamodb:{operation}", table + p["TableName"])]
    if service == "s3":
        bucket = f"arn:aws:s3:::{p['Bucket']}"
        if operation == "ListObjectsV2":
            return [Request("s3:ListBucket", bucket, context={"s3:prefix": p.get("Prefix", "")})]
        if operation == "DeleteObjects":
            return [Request("s3:DeleteObject", f"{bucket}/{key['Key']}") for key in p["Delete"]["Objects"]]
        action = {"HeadObject": "GetObject"}.get(operation, operation)
        asked = [Request(f"s3:{action}", f"{bucket}/{p['Key']}")]
        if call.error in ("NoSuchKey", "404"):  # S3 tells a missing key only to who may list the bucket
            asked.append(Request("s3:ListBucket", bucket))
        return asked
    if service == "sns":
        if operation == "CreateTopic":
            return [Request("sns:CreateTopic", f"arn:aws:sns:{region}:{account}:{p['Name']}")]
        if operation in ("CreatePlatformEndpoint", "ListEndpointsByPlatformApplication"):
            return [Request(f"sns:{operation}", p["PlatformApplicationArn"])]
        if operation == "Unsubscribe":
            return [Request("sns:Unsubscribe", p["SubscriptionArn"].rsplit(":", 1)[0])]
        arn = p.get("TopicArn") or p.get("TargetArn") or p["EndpointArn"]
        return [Request(f"sns:{operation}", arn)]
    if service == "sqs":
        if operation == "GetQueueUrl":
            return [Request("sqs:GetQueueUrl", f"arn:aws:sqs:{region}:{account}:{p['QueueName']}")]
        return [Request(f"sqs:{operation}", queue_arn(p["QueueUrl"]))]
    if service == "ssm" and operation == "GetParameter":
        return [Request("ssm:GetParameter", f"arn:aws:ssm:{region}:{account}:parameter{p['Name']}")]
    raise AssertionError(f"map {service}:{operation} to its IAM action and resource")


def moto_stack(outputs: dict[str, str]) -> Stack:
    attributes = Attributes(
        {key.removesuffix("Arn") + ".Arn": value for key, value in outputs.items() if key.endswith("Arn")}
    )
    attributes["AlertsTable.Arn"] = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/{outputs['AlertsTableName']}"
    attributes["AlertsTable.StreamArn"] = outputs["AlertsTableStreamArn"]
    attributes["PhotosBucket.Arn"] = f"arn:aws:s3:::{outputs['PhotosBucketName']}"
    parameters = {
        "Stage": "local",
        "ApnsApplicationArn": outputs["ApnsApplicationArn"],
        "FcmApplicationArn": outputs["FcmApplicationArn"],
    }
    references = {"AlertEventsTopic": outputs["AlertEventsTopicArn"], "SiteDistribution": DISTRIBUTION_ID}
    return Stack(parameters, attributes, references, account=ACCOUNT)


def purging_at(moment: datetime) -> type[retention.RetentionPurge]:
    """The purge as the app builds it, run at ``moment``."""

    class Later(retention.RetentionPurge):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "clock": lambda: moment})

    return Later


def run_a_whole_lifecycle(http: Any, pipeline: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Devices come and go, alerts with photos go out on every channel, change, are cancelled or expire, and
    are purged; SNS reports a dead endpoint; the watch and the canary run."""
    handlers = ("dispatch", "photo_upload", *(iam.FUNCTIONS[resource] for resource in iam.CHANNEL_QUEUES))
    functions = SimpleNamespace(**{name: as_function(name) for name in handlers})
    runner = event_runner(functions, boto3.session.Session(), pipeline.outputs)
    device = {"platform": "fcm", "token": "c" * 64, "location": {"lat": 52.09, "lon": 5.12}}
    with acting_as("APIHandler"):
        send(http, "PUT", "/devices/phone-1", device)
        send(http, "PUT", "/devices/phone-1", {**device, "token": "d" * 64, "location": {"lat": 53.2, "lon": 6.56}})
        send(http, "PUT", "/devices/phone-2", {**device, "platform": "apns", "token": "e" * 64})
        send(http, "POST", "/reach", {"area": {"type": "circle", "lat": 52.09, "lon": 5.12, "radius_km": 10}})
        send(http, "GET", "/feed")
        upload = json.loads(send(http, "POST", "/photos", {"content_type": "image/jpeg"}).body)
    boto3.client("s3").put_object(
        Bucket=pipeline.outputs["PhotosBucketName"], Key=upload["upload"]["fields"]["key"], Body=phone_jpeg()
    )
    runner.drain()
    with acting_as("APIHandler"):
        alert = create(http, photo=inline(phone_jpeg()))
        second = create(http, reference="BN-2026-000777", photo_id=upload["photo_id"])
    runner.drain()
    with acting_as("APIHandler"):
        for channel in ("news_media", "road_signs", "station_screens", "app_push", "cap_feed", "social_media"):
            send(http, "GET", f"/alerts/{alert['id']}/previews/{channel}", **{"Accept": "*/*"})
        send(http, "GET", f"/alerts/{alert['id']}")
        send(http, "GET", f"/alerts/{alert['id']}/cap")
        send(http, "GET", "/feed")
        send(
            http,
            "PATCH",
            f"/alerts/{alert['id']}",
            {"instruction": {"nl": "Bel 112.", "en": "Call 112."}},
            **{"If-Match": '"1"'},
        )
    runner.drain()
    with acting_as("APIHandler"):
        send(http, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    runner.drain()
    event = http.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    for _ in range(2):  # the canary starts a run (its test alert), then cancels it once every channel delivered
        with acting_as("Canary"):
            http.lambda_.invoke("canary", event)
        runner.drain()
    with acting_as("APIHandler"):
        send(http, "GET", "/canary")
    later = datetime.fromisoformat(second["expires_at"]).astimezone(timezone.utc) + timedelta(minutes=1)
    monkeypatch.setattr(wiring().alert_service, "_clock", lambda: later)
    with acting_as("ExpireAlerts"):
        http.lambda_.invoke("expire_alerts", event)
    runner.drain()
    with acting_as("WatchDeliveries"):
        http.lambda_.invoke("watch_deliveries", event)
    monkeypatch.setattr(retention, "RetentionPurge", purging_at(later + timedelta(days=400)))
    with acting_as("PurgeAlerts"):
        assert http.lambda_.invoke("purge_alerts", event).payload["purged"] != []
    with acting_as("APIHandler"):
        assert send(http, "GET", f"/alerts/{alert['id']}/report").status_code == 200
    endpoint = boto3.client("dynamodb").get_item(
        TableName=pipeline.outputs["AlertsTableName"], Key={"pk": {"S": "DEVICE#phone-1"}, "sk": {"S": "DEVICE"}}
    )["Item"]["endpoint_arn"]["S"]
    boto3.client("sns").set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    report = {"EventType": "EndpointUpdated", "EndpointArn": endpoint}
    as_function("push_events")(http.events.generate_sns_event(message=json.dumps(report)), None)
    with acting_as("APIHandler"):
        send(http, "DELETE", "/devices/phone-2")


def test_every_aws_call_of_every_function_in_a_whole_lifecycle_is_allowed_by_its_role(request, calls, monkeypatch):
    http, pipeline = request.getfixturevalue("client"), request.getfixturevalue("fan_out")
    run_a_whole_lifecycle(http, pipeline, monkeypatch)
    stack = moto_stack(pipeline.outputs)
    refused = sorted(
        {
            (call.function, asked.action, asked.resource)
            for call in calls
            for asked in requests_of(call, stack)
            if evaluate(statements(call.function, stack), asked) != "allow"
        }
    )
    assert refused == [], "\n".join(map(str, refused))
    # And the lifecycle did reach every function
    assert {call.function for call in calls} == set(iam.FUNCTIONS)
