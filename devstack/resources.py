"""Deploying `infra/resources.json` with every channel's resources (infra/channels.py) into moto, and making up for
what moto's CloudFormation lacks."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import names
from infra import channels


def deploy_resources(stage: str, session: Any) -> dict[str, str]:
    """Create the template's stack and return its outputs.

    moto's CloudFormation skips ``AWS::SNS::Subscription``; those are created through the SNS API
    with exactly the template's properties, so the template stays the one description of the wiring.
    """
    cloudformation = session.client("cloudformation")
    name = names.stack(stage)
    # The whole template, written now: infra/resources.json and the resources of every channel in the policy table.
    template = channels.resources_template()
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {name} ended in {stack['StackStatus']}")
    physical = {
        resource["LogicalResourceId"]: resource["PhysicalResourceId"]
        for resource in cloudformation.describe_stack_resources(StackName=name)["StackResources"]
        if "LogicalResourceId" in resource
    }
    _subscribe(template, physical, session)
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    return {**outputs, **_platform_applications(session, stage, outputs["PushEventsTopicArn"])}


def _platform_applications(session: Any, stage: str, events_topic: str) -> dict[str, str]:
    """The APNs and FCM platform applications, which CloudFormation cannot create (made once per account in AWS)."""
    sns = session.client("sns")
    arns = {}
    for key, platform, credential in (("Apns", "APNS", "local-apns-key"), ("Fcm", "GCM", "local-fcm-key")):
        response = sns.create_platform_application(
            Name=names.platform_application(stage),
            Platform=platform,
            Attributes={
                "PlatformCredential": credential,
                "EventEndpointUpdated": events_topic,
                "EventDeliveryFailure": events_topic,
            },
        )
        arns[f"{key}ApplicationArn"] = response["PlatformApplicationArn"]
    return arns


def _subscribe(template: dict[str, Any], physical: dict[str, str], session: Any) -> None:
    sns, sqs = session.client("sns"), session.client("sqs")
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::SNS::Subscription":
            continue
        properties = resource["Properties"]
        queue_url = physical[properties["Endpoint"]["Fn::GetAtt"][0]]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=physical[properties["TopicArn"]["Ref"]],
            Protocol=properties["Protocol"],
            Endpoint=queue_arn,
            Attributes={
                "RawMessageDelivery": str(properties.get("RawMessageDelivery", False)).lower(),
                "FilterPolicyScope": properties.get("FilterPolicyScope", "MessageAttributes"),
                "FilterPolicy": json.dumps(properties["FilterPolicy"]),
            },
        )
