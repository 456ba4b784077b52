"""Settings: the names a stage decides come from chalicelib.names alone, and outside `local` a missing or stand-in
resource stops the function at start, with the variable named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib import names
from chalicelib.channels.targets import PartnerDirectory
from chalicelib.config import STACK_GIVEN, Settings
from devstack.wiring import function_environment
from infra import iam
from infra.merge import merge_template

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "210987654321"
VARIABLES = [field.upper() for field in STACK_GIVEN]


def prod_environment(**changes: str | None) -> dict[str, str]:
    """A prod function's environment in AWS: its stage, the stack's resources, and what Lambda adds."""
    environment: dict[str, str | None] = {
        "STAGE": "prod",
        "AWS_LAMBDA_FUNCTION_NAME": "kind-alarm-prod-api",
        "AWS_SECRET_ACCESS_KEY": "not-for-any-log",
        "ALERTS_STREAM_ARN": f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/kind-alarm-prod-alerts/stream/2026-11-29",
        "ALERT_EVENTS_TOPIC_ARN": f"arn:aws:sns:eu-west-1:{ACCOUNT}:kind-alarm-prod-alert-events",
        "PHOTOS_BUCKET": f"kind-alarm-prod-photos-{ACCOUNT}",
        "APNS_APPLICATION_ARN": f"arn:aws:sns:eu-west-1:{ACCOUNT}:app/APNS/kind-alarm-prod",
        "FCM_APPLICATION_ARN": f"arn:aws:sns:eu-west-1:{ACCOUNT}:app/GCM/kind-alarm-prod",
        **changes,
    }
    return {variable: value for variable, value in environment.items() if value is not None}


def refusal(environment: dict[str, str]) -> str:
    with pytest.raises(ValidationError) as refused:
        Settings.model_validate(environment)
    return str(refused.value)


def derived(settings: Settings) -> dict[str, str]:
    return {variable: getattr(settings, variable.lower()) for variable in names.stage_environment(settings.stage)}


def test_a_prod_function_given_its_stacks_resources_starts_with_the_prod_names():
    # Given / When
    settings = Settings.model_validate(prod_environment())

    # Then
    assert settings.stage == "prod"
    assert derived(settings) == names.stage_environment("prod")
    assert settings.alerts_table == "kind-alarm-prod-alerts"
    assert (
        settings.channel_queue("news_media")
        == names.channel_queue("prod", "news_media")
        == "kind-alarm-prod-news-media"
    )


@pytest.mark.parametrize("variable", VARIABLES)
@pytest.mark.parametrize("placeholder", names.PLACEHOLDER_ACCOUNTS)
def test_outside_local_a_placeholder_account_is_refused_naming_the_variable(variable, placeholder):
    # Given: one resource of the stack named in a stand-in account
    environment = prod_environment()
    environment[variable] = environment[variable].replace(ACCOUNT, placeholder)

    # When / Then
    message = refusal(environment)
    assert f"{variable} names the placeholder account {placeholder}" in message
    assert "STAGE=prod" in message
    assert [other for other in VARIABLES if other in message] == [variable]


@pytest.mark.parametrize("variable", VARIABLES)
def test_outside_local_a_missing_resource_is_refused_naming_the_variable(variable):
    message = refusal(prod_environment(**{variable: None}))
    assert f"{variable} is not set" in message


def test_every_problem_is_named_at_once_and_no_value_of_the_environment_besides():
    # Given: a prod function whose stack gave it nothing
    environment = {"STAGE": "prod", "AWS_SECRET_ACCESS_KEY": "not-for-any-log", "PARTNERS": '{"channels": {}}'}

    # When
    message = refusal(environment)

    # Then
    assert all(f"{variable} is not set" in message for variable in VARIABLES)
    assert "not-for-any-log" not in message
    assert "channels" not in message


@pytest.mark.parametrize("variable", ["ALERTS_STREAM_ARN", "ALERT_EVENTS_TOPIC_ARN", "PHOTOS_BUCKET"])
def test_outside_local_another_stages_resource_is_refused(variable):
    environment = prod_environment()
    environment[variable] = environment[variable].replace("kind-alarm-prod-", "kind-alarm-dev-")
    assert f"{variable} is not a resource of stage prod" in refusal(environment)


def test_a_function_in_aws_that_names_no_stage_does_not_start():
    message = refusal(prod_environment(STAGE=None))
    assert "STAGE is not set" in message


def test_a_stage_that_cannot_be_part_of_a_name_is_refused():
    assert "STAGE" in refusal(prod_environment(STAGE="Prod_1"))


def test_the_local_stage_runs_on_stand_ins():
    settings = Settings.model_validate({})
    assert settings.stage == names.LOCAL_STAGE
    assert derived(settings) == names.stage_environment(names.LOCAL_STAGE)
    assert names.placeholder_account(settings.photos_bucket) == names.LOCAL_ACCOUNT
    assert Settings.model_validate({"STAGE": "local", "AWS_LAMBDA_FUNCTION_NAME": "local"}).stage == "local"


def test_chalice_package_reads_the_app_before_the_stack_exists_but_never_takes_a_stand_in():
    # Given: what `chalice package --stage dev` imports app.py with
    packaging = {"STAGE": "dev", "AWS_CHALICE_CLI_MODE": "true"}

    # When / Then: the stack's resources are not known yet (the template it writes sets them)
    assert derived(Settings.model_validate(packaging)) == names.stage_environment("dev")
    # but one named in a stand-in account is still refused
    stand_in = f"arn:aws:sns:eu-west-1:000000000000:{names.alert_events_topic('dev')}"
    assert "ALERT_EVENTS_TOPIC_ARN" in refusal({**packaging, "ALERT_EVENTS_TOPIC_ARN": stand_in})


def test_a_variable_still_overrides_a_derived_name():
    settings = Settings.model_validate(prod_environment(ALERTS_TABLE="kind-alarm-prod-alerts-restored"))
    assert settings.alerts_table == "kind-alarm-prod-alerts-restored"
    assert settings.push_events_topic == names.push_events_topic("prod")
    assert Settings(stage="dev", alerts_table="own", chalice_cli_mode=True).alerts_table == "own"


# The three places a stage's environment is written agree with chalicelib.names, and hold no name of their own.


def chalice_stages() -> dict[str, dict[str, str]]:
    config: dict[str, Any] = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return {
        stage: {**config["environment_variables"], **settings.get("environment_variables", {})}
        for stage, settings in config["stages"].items()
    }


def test_each_chalice_stage_names_its_stage_and_nothing_the_stage_decides():
    stages = chalice_stages()
    assert {"local", "dev", "prod"} <= set(stages)
    for stage, environment in stages.items():
        assert environment["STAGE"] == stage
        assert not set(environment) & set(names.stage_environment(stage)), stage
        # What the Chalice CLI imports app.py with (chalice local, chalice package)
        settings = Settings.model_validate({**environment, "AWS_CHALICE_CLI_MODE": "true"})
        assert derived(settings) == names.stage_environment(stage)


def test_the_local_stack_gives_its_functions_the_stage_and_the_stacks_resources_only():
    # Given: the outputs of the local stack's CloudFormation stack in moto
    stage, account = names.LOCAL_STAGE, names.LOCAL_ACCOUNT
    outputs = {
        "AlertsTableStreamArn": f"arn:aws:dynamodb:eu-west-1:{account}:table/{names.alerts_table(stage)}/stream/1",
        "AlertEventsTopicArn": f"arn:aws:sns:eu-west-1:{account}:{names.alert_events_topic(stage)}",
        "PhotosBucketName": names.photos_bucket(stage, account),
        "ApnsApplicationArn": f"arn:aws:sns:eu-west-1:{account}:app/APNS/{names.platform_application(stage)}",
        "FcmApplicationArn": f"arn:aws:sns:eu-west-1:{account}:app/GCM/{names.platform_application(stage)}",
    }

    # When
    environment = function_environment(outputs, stage, PartnerDirectory(channels={}), retry_base_seconds=0)

    # Then
    assert environment["STAGE"] == stage
    assert not set(environment) & set(names.stage_environment(stage))
    assert set(VARIABLES) <= set(environment)
    assert derived(Settings.model_validate(environment)) == names.stage_environment(stage)


def test_the_template_gives_each_function_its_stage_and_names_the_resources_as_the_settings_derive_them():
    template = merge_template()
    stage = "${Stage}"
    for function in iam.FUNCTIONS:
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert variables["STAGE"] == {"Ref": "Stage"}, function
        assert set(VARIABLES) <= set(variables), function
        assert not set(variables) & set(names.stage_environment(stage)), function

    def name(resource: str, key: str) -> Any:
        return template["Resources"][resource]["Properties"][key]

    assert name("AlertsTable", "TableName") == {"Fn::Sub": names.alerts_table(stage)}
    assert name("AlertEventsTopic", "TopicName") == {"Fn::Sub": names.alert_events_topic(stage)}
    assert name("PushEventsTopic", "TopicName") == {"Fn::Sub": names.push_events_topic(stage)}
    assert name("PhotoUploadsQueue", "QueueName") == {"Fn::Sub": names.photo_uploads_queue(stage)}
    assert name("PhotosBucket", "BucketName") == {"Fn::Sub": names.photos_bucket(stage, "${AWS::AccountId}")}
    for function, queue in iam.CHANNEL_QUEUES.items():
        assert name(queue, "QueueName") == {"Fn::Sub": names.channel_queue(stage, iam.FUNCTIONS[function])}
    assert iam.PUSH_TOPICS["Fn::Sub"].endswith(":" + names.push_topic_prefix(stage) + "*")
