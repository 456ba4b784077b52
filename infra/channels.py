"""Each channel's infrastructure, derived from the policy table (chalicelib.channels.policy.CHANNELS).

A channel gets a queue with a dead-letter queue, its subscription to the alert events (the policy's filter), a place
in the queue policy that lets the topic send, the stack outputs the local stack reads, and its function's event
source settings. infra/merge.py adds these to the merge template; devstack/resources.py deploys them into moto with
infra/resources.json (resources_template()). A new channel needs no edit here: SETTINGS names only the exceptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib import names
from chalicelib.channels import policy, targets

INFRA = Path(__file__).resolve().parent
STAGE = "${Stage}"
TOPIC = "AlertEventsTopic"


@dataclass(frozen=True)
class ChannelSettings:
    """The channel function's ``timeout`` (s) and the most batches it works at once (None: Lambda's default)."""

    timeout: int = 30
    maximum_concurrency: int | None = 5


DEFAULT = ChannelSettings()
# Only the exceptions: app_push fans out to every device topic (slower, no limit on concurrent batches); the CAP
# feed rewrites shared files, so few writers at once.
SETTINGS = {
    "app_push": ChannelSettings(timeout=60, maximum_concurrency=None),
    "cap_feed": ChannelSettings(maximum_concurrency=2),
}


def channels() -> tuple[str, ...]:
    return tuple(policy.CHANNELS)


def logical(channel: str) -> str:
    """news_media -> NewsMedia: Chalice's resource name of the channel's function, and the prefix of its resources."""
    return "".join(part.title() for part in channel.split("_"))


def queue(channel: str) -> str:
    return logical(channel) + "Queue"


def dead_letter_queue(channel: str) -> str:
    return logical(channel) + "DeadLetterQueue"


def is_partner_channel(channel: str) -> bool:
    """A channel whose partners hold a secret in SSM; the others reach their own audience."""
    return channel not in targets.OWN_AUDIENCES


def output_keys(channel: str) -> tuple[str, str]:
    """The stack outputs naming the channel's queue: (URL, ARN)."""
    return f"{queue(channel)}Url", f"{queue(channel)}Arn"


def _resources(channel: str) -> dict[str, Any]:
    name = names.channel_queue(STAGE, channel)
    return {
        dead_letter_queue(channel): {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": {"Fn::Sub": f"{name}-dlq"},
                "MessageRetentionPeriod": 1209600,
                "SqsManagedSseEnabled": True,
            },
        },
        queue(channel): {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": {"Fn::Sub": name},
                "VisibilityTimeout": 180,
                "MessageRetentionPeriod": 345600,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dead_letter_queue(channel), "Arn"]},
                    "maxReceiveCount": 5,
                },
            },
        },
        # moto's CloudFormation skips AWS::SNS::Subscription: devstack/resources.py subscribes through the SNS API.
        f"{logical(channel)}Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": TOPIC},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": [queue(channel), "Arn"]},
                "RawMessageDelivery": True,
                "FilterPolicyScope": "MessageAttributes",
                "FilterPolicy": policy.filter_policy(channel),
            },
        },
    }


def queue_policy() -> dict[str, Any]:
    """The alert events topic, and nothing else, may send to the channel queues."""
    return {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [{"Ref": queue(channel)} for channel in channels()],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AlertEventsOnly",
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": [{"Fn::GetAtt": [queue(channel), "Arn"]} for channel in channels()],
                        "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": TOPIC}}},
                    }
                ],
            },
        },
    }


def _outputs(channel: str) -> dict[str, Any]:
    url, arn = output_keys(channel)
    return {
        url: {"Value": {"Ref": queue(channel)}},
        arn: {"Value": {"Fn::GetAtt": [queue(channel), "Arn"]}},
        f"{dead_letter_queue(channel)}Url": {"Value": {"Ref": dead_letter_queue(channel)}},
    }


def function_properties(channel: str) -> dict[str, Any]:
    """What `chalice package` cannot set on the channel's function: its timeout and its SQS event source's."""
    settings = SETTINGS.get(channel, DEFAULT)
    source: dict[str, Any] = {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
    if settings.maximum_concurrency is not None:
        source["ScalingConfig"] = {"MaximumConcurrency": settings.maximum_concurrency}
    events = {f"{logical(channel)}SqsEventSource": {"Properties": source}}
    return {"Properties": {"Timeout": settings.timeout, "Events": events}}


def template() -> dict[str, Any]:
    """Every channel's resources, the queue policy and outputs: the part of the resources template per channel."""
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for channel in channels():
        resources.update(_resources(channel))
        outputs.update(_outputs(channel))
    resources["ChannelQueuesPolicy"] = queue_policy()
    return {"Resources": resources, "Outputs": outputs}


def functions_template() -> dict[str, Any]:
    """Every channel function's properties, to merge over `chalice package`'s output."""
    return {"Resources": {logical(channel): function_properties(channel) for channel in channels()}}


def resources_template() -> dict[str, Any]:
    """infra/resources.json with every channel's resources: what the stack's stateful part is (and moto deploys)."""
    document: dict[str, Any] = json.loads((INFRA / "resources.json").read_text(encoding="utf-8"))
    part = template()
    document["Resources"] = {**document["Resources"], **part["Resources"]}
    document["Outputs"] = {**document.get("Outputs", {}), **part["Outputs"]}
    return document


if __name__ == "__main__":
    import sys

    json.dump(resources_template(), sys.stdout, indent=2)
    sys.stdout.write("\n")
