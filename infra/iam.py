"""One role per function, naming only the actions it calls and the resources it calls them on."""

from __future__ import annotations

from typing import Any

Statement = dict[str, Any]

# Chalice's resource name of each function → its handler name in app.py (the function's name in AWS).
FUNCTIONS = {
    "APIHandler": "api",
    "Dispatch": "dispatch",
    "PhotoUpload": "photo_upload",
    "PushEvents": "push_events",
    "WatchDeliveries": "watch_deliveries",
    "ExpireAlerts": "expire_alerts",
    "PurgeAlerts": "purge_alerts",
    "AppPush": "app_push",
    "CapFeed": "cap_feed",
    "NewsMedia": "news_media",
    "SocialMedia": "social_media",
    "RoadSigns": "road_signs",
    "StationScreens": "station_screens",
}
CHANNEL_QUEUES = {
    "AppPush": "AppPushQueue",
    "CapFeed": "CapFeedQueue",
    "NewsMedia": "NewsMediaQueue",
    "SocialMedia": "SocialMediaQueue",
    "RoadSigns": "RoadSignsQueue",
    "StationScreens": "StationScreensQueue",
}

TABLE = {"Fn::GetAtt": ["AlertsTable", "Arn"]}
TABLE_INDEXES = {"Fn::Sub": "${AlertsTable.Arn}/index/*"}
PHOTOS = {"Fn::Sub": "${PhotosBucket.Arn}/*"}
PUSH_TOPICS = {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:kind-alarm-${Stage}-push-*"}
PUSH_ENDPOINTS = {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:endpoint/*"}
PARTNER_SECRETS = {
    "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/kind-alarm/${Stage}/*"
}
PLATFORM_APPLICATIONS = [{"Ref": "ApnsApplicationArn"}, {"Ref": "FcmApplicationArn"}]


def aws_name(resource: str) -> str:
    """The function's name in AWS, as a Fn::Sub pattern: kind-alarm-<stage>-<handler>."""
    return "kind-alarm-${Stage}-" + FUNCTIONS[resource].replace("_", "-")


def function_name(resource: str) -> dict[str, str]:
    return {"Fn::Sub": aws_name(resource)}


def allow(actions: list[str], resources: list[Any]) -> Statement:
    return {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def table(*actions: str) -> Statement:
    return allow([f"dynamodb:{action}" for action in actions], [TABLE, TABLE_INDEXES])


def photos(*actions: str) -> Statement:
    return allow([f"s3:{action}" for action in actions], [PHOTOS])


# Deleting a photo lists its renditions first.
LIST_PHOTOS = {
    **allow(["s3:ListBucket"], [{"Fn::GetAtt": ["PhotosBucket", "Arn"]}]),
    "Condition": {"StringLike": {"s3:prefix": ["photos/*"]}},
}
ALERT_WRITES = ("GetItem", "Query", "PutItem", "ConditionCheckItem")


def queue_consumer(queue: str, *extra: str) -> Statement:
    actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *extra]
    return allow(actions, [{"Fn::GetAtt": [queue, "Arn"]}])


DEVICE_WRITES = ("GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem")
PUSH_DEVICES = allow(
    ["sns:CreatePlatformEndpoint", "sns:SetEndpointAttributes", "sns:GetEndpointAttributes", "sns:DeleteEndpoint"],
    [*PLATFORM_APPLICATIONS, PUSH_ENDPOINTS],
)
PUSH_TOPIC_SUBSCRIPTIONS = allow(["sns:CreateTopic", "sns:Subscribe", "sns:Unsubscribe"], [PUSH_TOPICS])


def channel_statements(resource: str) -> list[Statement]:
    """What every channel function does: read its queue with backoff, read the alert, record, fetch photos."""
    statements = [
        queue_consumer(CHANNEL_QUEUES[resource], "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl"),
        table("GetItem", "PutItem", "Query"),
        photos("GetObject", "PutObject"),
    ]
    if resource in ("NewsMedia", "SocialMedia", "RoadSigns", "StationScreens"):
        statements.append(allow(["ssm:GetParameter"], [PARTNER_SECRETS]))
    if resource == "AppPush":
        statements.append(allow(["sns:CreateTopic", "sns:Publish"], [PUSH_TOPICS]))
    return statements


def statements_for(resource: str) -> list[Statement]:
    if resource in CHANNEL_QUEUES:
        return channel_statements(resource)
    return {
        "APIHandler": [
            table(*DEVICE_WRITES),
            photos("GetObject", "PutObject", "DeleteObject"),
            LIST_PHOTOS,
            PUSH_DEVICES,
            PUSH_TOPIC_SUBSCRIPTIONS,
        ],
        "Dispatch": [
            allow(
                ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                [{"Fn::GetAtt": ["AlertsTable", "StreamArn"]}],
            ),
            allow(["dynamodb:ListStreams"], [{"Fn::Sub": "${AlertsTable.Arn}/stream/*"}]),
            allow(["sns:Publish"], [{"Ref": "AlertEventsTopic"}]),
            allow(["sqs:SendMessage"], [{"Fn::GetAtt": ["DispatchFailureQueue", "Arn"]}]),
        ],
        "PhotoUpload": [
            queue_consumer("PhotoUploadsQueue"),
            table("GetItem", "PutItem"),
            photos("GetObject", "PutObject", "DeleteObject"),
        ],
        "PushEvents": [table(*DEVICE_WRITES), PUSH_DEVICES, PUSH_TOPIC_SUBSCRIPTIONS],
        "WatchDeliveries": [table("Query")],
        "ExpireAlerts": [table(*ALERT_WRITES), photos("DeleteObject"), LIST_PHOTOS],
        "PurgeAlerts": [table("Query", "PutItem", "DeleteItem", "ConditionCheckItem")],
    }[resource]


def log_statement(resource: str) -> Statement:
    prefix = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/"
    group = {"Fn::Sub": f"{prefix}{aws_name(resource)}:*"}
    return allow(["logs:CreateLogStream", "logs:PutLogEvents"], [group])


def role(resource: str) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": [log_statement(resource), *statements_for(resource)]}
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": {"Fn::Sub": f"Kind Alarm ${{Stage}}: what the {FUNCTIONS[resource]} function may do"},
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "Policies": [{"PolicyName": "least-privilege", "PolicyDocument": document}],
        },
    }


def log_group(resource: str) -> dict[str, Any]:
    """Each function's log group, created by the stack so its retention is set (logs hold alert ids only)."""
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",
        "Properties": {
            "LogGroupName": {"Fn::Sub": f"/aws/lambda/{aws_name(resource)}"},
            "RetentionInDays": {"Ref": "LogRetentionDays"},
        },
    }


def template() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for resource in FUNCTIONS:
        resources[f"{resource}Role"] = role(resource)
        resources[f"{resource}LogGroup"] = log_group(resource)
        resources[resource] = {
            "Properties": {
                "FunctionName": function_name(resource),
                "Role": {"Fn::GetAtt": [f"{resource}Role", "Arn"]},
            },
            "DependsOn": [f"{resource}LogGroup"],
        }
    return {"Resources": resources}
