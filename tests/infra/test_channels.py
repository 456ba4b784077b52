"""Every channel's infrastructure derives from the policy table: a new channel needs no edit in infra/ or devstack/."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.channels import policy
from infra import channels

ROOT = Path(__file__).resolve().parents[2]
# What reads the channel list when it is imported, in import order.
DERIVED_MODULES = ("infra.iam", "infra.memory", "infra.operations", "infra.merge", "devstack.wiring")


def _reload() -> dict[str, Any]:
    return {name: importlib.reload(importlib.import_module(name)) for name in DERIVED_MODULES}


@pytest.fixture
def with_radio() -> Iterator[dict[str, Any]]:
    """An eighth channel, "radio", in the policy table (serving kind_alarm only), and nothing else edited."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(policy, "CHANNELS", (*policy.CHANNELS, "radio"))
        patch.setitem(policy.CHANNELS_BY_LEVEL, "kind_alarm", (*policy.CHANNELS_BY_LEVEL["kind_alarm"], "radio"))
        try:
            yield _reload()
        finally:
            patch.undo()
            _reload()


def test_a_channel_added_to_the_policy_table_gets_its_queue_subscription_function_role_and_memory(with_radio):
    template = with_radio["infra.merge"].merge_template()
    resources, outputs = template["Resources"], template["Outputs"]

    assert resources["RadioQueue"]["Properties"]["QueueName"] == {"Fn::Sub": "kind-alarm-${Stage}-radio"}
    assert resources["RadioQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["RadioDeadLetterQueue", "Arn"]
    }
    assert resources["RadioDeadLetterQueue"]["Properties"]["QueueName"] == {"Fn::Sub": "kind-alarm-${Stage}-radio-dlq"}
    subscription = resources["RadioSubscription"]["Properties"]
    assert subscription["TopicArn"] == {"Ref": "AlertEventsTopic"}
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["RadioQueue", "Arn"]}
    assert subscription["FilterPolicy"] == {"level": ["kind_alarm"]}
    queue_policy = resources["ChannelQueuesPolicy"]["Properties"]
    assert {"Ref": "RadioQueue"} in queue_policy["Queues"]
    assert {"Fn::GetAtt": ["RadioQueue", "Arn"]} in queue_policy["PolicyDocument"]["Statement"][0]["Resource"]
    assert {"RadioQueueUrl", "RadioQueueArn", "RadioDeadLetterQueueUrl"} <= set(outputs)

    # The function: its event source's settings, environment, role, log group and memory.
    function = resources["Radio"]
    assert function["Properties"]["Timeout"] == channels.DEFAULT.timeout
    source = function["Properties"]["Events"]["RadioSqsEventSource"]["Properties"]
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["ScalingConfig"] == {"MaximumConcurrency": channels.DEFAULT.maximum_concurrency}
    assert function["Properties"]["MemorySize"] == with_radio["infra.memory"].CHANNEL_SIZE_MB
    assert function["Properties"]["Environment"]["Variables"]["STAGE"] == {"Ref": "Stage"}
    assert function["Properties"]["Role"] == {"Fn::GetAtt": ["RadioRole", "Arn"]}
    assert function["DependsOn"] == ["RadioLogGroup"]
    statements = resources["RadioRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert any(statement["Resource"] == [{"Fn::GetAtt": ["RadioQueue", "Arn"]}] for statement in statements)
    # A partner channel (not in OWN_AUDIENCES): it reads its own partners' secrets, and the stack admits them.
    secrets = [statement for statement in statements if statement["Action"] == ["ssm:GetParameter"]]
    assert secrets[0]["Resource"][0]["Fn::Sub"].endswith("/partners/radio/*")
    assert "|radio)" in template["Parameters"]["Partners"]["AllowedPattern"]
    # Watched like the others.
    assert {"RadioDeadLetterQueueAlarm", "RadioQueueAgeAlarm"} <= set(resources)

    # The local stack reads its queue from the outputs.
    assert with_radio["devstack.wiring"].CHANNEL_QUEUES["radio"] == ("RadioQueueUrl", "RadioQueueArn")


def test_the_local_stack_deploys_a_new_channel_into_moto(with_radio):
    from devstack.resources import deploy_resources

    with mock_aws():
        session = boto3.session.Session()
        outputs = deploy_resources("local", session)
        sns = session.client("sns")
        topic = outputs["AlertEventsTopicArn"]
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        radio = [s for s in subscriptions if s["Endpoint"] == outputs["RadioQueueArn"]]
        assert len(radio) == 1
        attributes = sns.get_subscription_attributes(SubscriptionArn=radio[0]["SubscriptionArn"])["Attributes"]
        assert json.loads(attributes["FilterPolicy"]) == {"level": ["kind_alarm"]}
        assert outputs["RadioQueueUrl"].endswith("/kind-alarm-local-radio")
        assert len(subscriptions) == len(policy.CHANNELS)


def test_the_channel_resources_match_what_resources_json_no_longer_lists():
    """resources.json and functions.json keep nothing per channel: the channels' part comes from infra/channels.py."""
    for name in ("resources.json", "functions.json"):
        document = json.loads((ROOT / "infra" / name).read_text(encoding="utf-8"))
        for channel in policy.CHANNELS:
            logical = channels.logical(channel)
            assert not [key for key in document["Resources"] if key.startswith(logical)], (name, channel)
            assert not [key for key in document.get("Outputs", {}) if key.startswith(logical)], (name, channel)


def test_the_full_resources_template_passes_cfn_lint(tmp_path):
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(channels.resources_template(), indent=2), encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
