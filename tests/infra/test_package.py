"""`make package` builds one deployable template: linted, least privilege, every queue watched, bytecode shipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "dev"
PUBLIC_ROUTES = {("get", "/feed"), ("get", "/alerts/{id}/cap"), ("get", "/openapi.json")}
UNCHECKED_HASH = 0b01


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    # No credentials, only a region: what a developer without an account has.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment["AWS_DEFAULT_REGION"] = "eu-west-1"
    result = subprocess.run(
        ["make", "package", "STAGE=dev"], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return dict(json.loads((BUILD / "sam.json").read_text(encoding="utf-8")))


def of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: resource for name, resource in template["Resources"].items() if resource["Type"] == kind}


def test_the_template_passes_cfn_lint(template):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(BUILD / "sam.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_every_route_but_the_public_ones_needs_a_sigv4_signature(template):
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    routes = {(method, path): spec for path, methods in paths.items() for method, spec in methods.items()}
    assert set(routes) >= PUBLIC_ROUTES
    assert len(routes) > len(PUBLIC_ROUTES)
    for route, spec in routes.items():
        assert spec.get("security") == (None if route in PUBLIC_ROUTES else [{"sigv4": []}]), route


def test_the_resource_policy_admits_burgernet_everywhere_and_anyone_only_to_the_public_routes(template):
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    statements = {statement["Sid"]: statement for statement in body["x-amazon-apigateway-policy"]["Statement"]}
    assert statements["Burgernet"]["Principal"] == {"AWS": {"Ref": "BurgernetPrincipals"}}
    assert statements["PublicFeed"]["Resource"] == [
        "execute-api:/*/GET/feed",
        "execute-api:/*/GET/alerts/*/cap",
        "execute-api:/*/GET/openapi.json",
    ]
    assert (
        body["x-amazon-apigateway-gateway-responses"]["DEFAULT_4XX"]["responseParameters"][
            "gatewayresponse.header.Content-Type"
        ]
        == "'application/problem+json'"
    )
    settings = template["Resources"]["RestAPI"]["Properties"]["MethodSettings"][0]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_each_function_has_its_own_role_with_no_wildcard_action_or_resource(template):
    functions = of_type(template, "AWS::Serverless::Function")
    roles = of_type(template, "AWS::IAM::Role")
    used = [function["Properties"]["Role"] for function in functions.values()]
    assert all(isinstance(role, dict) and role["Fn::GetAtt"][1] == "Arn" for role in used)
    assert len({role["Fn::GetAtt"][0] for role in used}) == len(functions)
    assert len(functions) >= 11
    for name, role in roles.items():
        for statement in statements(role):
            if statement.get("Principal"):
                continue
            for action in as_list(statement["Action"]):
                assert action != "*" and not action.endswith(":*"), (name, action)
            for resource in as_list(statement["Resource"]):
                assert resource != "*", (name, statement)


def test_only_the_channel_functions_read_partner_secrets_and_only_the_dispatcher_publishes_events(template):
    roles = of_type(template, "AWS::IAM::Role")

    def actions(role: str) -> set[str]:
        return {action for statement in statements(roles[role]) for action in as_list(statement["Action"])}

    assert "ssm:GetParameter" in actions("NewsMediaRole")
    assert "ssm:GetParameter" not in actions("APIHandlerRole")
    assert {role for role in roles if "sns:Publish" in actions(role)} == {"DispatchRole", "AppPushRole"}
    assert not any(action.startswith(("sqs:", "sns:Publish")) for action in actions("APIHandlerRole"))


def alarmed(template: dict[str, Any]) -> set[str]:
    names = set()
    for alarm in of_type(template, "AWS::CloudWatch::Alarm").values():
        for dimension in alarm["Properties"].get("Dimensions", []):
            value = dimension["Value"]
            if isinstance(value, dict) and "Fn::GetAtt" in value:
                names.add(value["Fn::GetAtt"][0])
            elif isinstance(value, dict) and "Ref" in value:
                names.add(value["Ref"])
    return names


def test_every_queue_has_a_dead_letter_queue_and_every_queue_an_alarm(template):
    queues = of_type(template, "AWS::SQS::Queue")
    dead_letter = {
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for queue in queues.values()
        if "RedrivePolicy" in queue["Properties"]
    }
    failure_destinations = {"DispatchFailureQueue"}
    work = set(queues) - dead_letter - failure_destinations
    assert len(work) >= 7
    for name in work:
        assert "RedrivePolicy" in queues[name]["Properties"], name
    assert set(queues) <= alarmed(template)


def test_the_stream_has_exactly_one_consumer_which_reports_failures(template):
    consumers = [
        (name, source["Properties"])
        for name, function in of_type(template, "AWS::Serverless::Function").items()
        for source in function["Properties"].get("Events", {}).values()
        if source["Type"] == "DynamoDB"
    ]
    assert [name for name, _ in consumers] == ["Dispatch"]
    properties = consumers[0][1]
    assert properties["Stream"] == {"Fn::GetAtt": ["AlertsTable", "StreamArn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["DispatchFailureQueue", "Arn"]
    }
    assert "Dispatch" in alarmed(template)


def test_the_delivery_watch_alarm_fires_when_the_watch_stops(template):
    alarm = template["Resources"]["UndeliveredKindAlarmAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["TreatMissingData"]) == (
        "UndeliveredChannels",
        0,
        "breaching",
    )
    schedule = template["Resources"]["WatchDeliveries"]["Properties"]["Events"]["WatchDeliveriesEvent"]
    assert schedule["Properties"]["Schedule"] == "rate(1 minute)"


def test_the_canary_runs_each_minute_and_its_alarms_fire_on_a_failed_run_and_on_two_periods_without_one(template):
    resources = template["Resources"]
    schedule = resources["Canary"]["Properties"]["Events"]["CanaryEvent"]
    assert schedule["Properties"]["Schedule"] == "rate(1 minute)"
    variables = resources["Canary"]["Properties"]["Environment"]["Variables"]
    every = {"Fn::FindInMap": ["CanarySchedule", {"Ref": "CanaryScheduleHours"}, "Seconds"]}
    assert variables["CANARY_EVERY_SECONDS"] == every
    assert variables["CANARY_LIMIT_SECONDS"] == {"Ref": "CanaryLimitSeconds"}
    assert template["Parameters"]["CanaryScheduleHours"]["Default"] == 6
    assert template["Parameters"]["CanaryLimitSeconds"]["Default"] == 60
    assert template["Mappings"]["CanarySchedule"]["6"] == {"Seconds": 21600}
    failed = resources["CanaryFailedAlarm"]["Properties"]
    assert (failed["MetricName"], failed["Statistic"], failed["ComparisonOperator"], failed["Threshold"]) == (
        "CanaryPassed",
        "Minimum",
        "LessThanThreshold",
        1,
    )
    stopped = resources["CanaryStoppedAlarm"]["Properties"]
    assert (stopped["Statistic"], stopped["Period"], stopped["TreatMissingData"]) == ("SampleCount", every, "breaching")
    assert (stopped["EvaluationPeriods"], stopped["DatapointsToAlarm"]) == (2, 2)


def test_the_dashboard_shows_each_channel(template):
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    from chalicelib.channels.policy import CHANNELS

    for channel in CHANNELS:
        assert f'"channel", "{channel}"' in body
        for phase in ("delivered", "retracted"):
            assert f'"CanarySeconds", "channel", "{channel}", "phase", "{phase}"' in body
    assert '"CanaryPassed"' in body


def test_the_photo_bucket_refuses_plain_http_and_the_public(template):
    bucket = template["Resources"]["PhotosBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    policy = template["Resources"]["PhotosBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in policy
    )


def test_the_zip_carries_unchecked_hash_bytecode_for_our_code_and_its_libraries(template):
    with zipfile.ZipFile(BUILD / "deployment.zip") as archive:
        names = set(archive.namelist())
        for module in ("app", "chalicelib/alerts/service", "pydantic/main", "boto3/session", "chalice/app"):
            folder, _, stem = module.rpartition("/")
            compiled = f"{folder + '/' if folder else ''}__pycache__/{stem}.cpython-311.pyc"
            assert compiled in names, compiled
            header = archive.read(compiled)[:16]
            assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, compiled


def test_every_compiled_library_in_the_zip_runs_on_lambdas_amazon_linux_2(template):
    """python3.11 on Lambda is Amazon Linux 2 (glibc 2.26): manylinux wheels up to 2_26, nothing built here."""
    with zipfile.ZipFile(BUILD / "deployment.zip") as archive:
        wheels = [name for name in archive.namelist() if name.endswith(".dist-info/WHEEL")]
        tags = {name.split("-")[0]: archive.read(name).decode() for name in wheels}
    compiled = {name: text for name, text in tags.items() if "Root-Is-Purelib: false" in text}
    assert {"pillow", "numpy", "shapely", "h3", "pydantic_core"} <= set(compiled)
    for name, text in compiled.items():
        platforms = [line.split("-")[-1] for line in text.splitlines() if line.startswith("Tag:")]
        assert any(lambda_compatible(platform) for platform in platforms), (name, platforms)


def lambda_compatible(platform: str) -> bool:
    if platform in ("manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64"):
        return True
    if platform.startswith("manylinux_2_") and platform.endswith("_x86_64"):
        return int(platform.split("_")[2]) <= 26
    return False
