"""One role per function, naming only the actions it calls and the resources it calls them on."""

from __future__ import annotations

from typing import Any

from chalicelib import names
from infra import channels, site

Statement = dict[str, Any]

# Chalice's resource name of each function → its handler name in app.py (the function's name in AWS); one function
# per channel of the policy table (infra/channels.py).
FUNCTIONS = {
    "APIHandler": "api",
    "Dispatch": "dispatch",
    "PhotoUpload": "photo_upload",
    "PushEvents": "push_events",
    "WatchDeliveries": "watch_deliveries",
    "ExpireAlerts": "expire_alerts",
    "PurgeAlerts": "purge_alerts",
    "Canary": "canary",
    **{channels.logical(channel): channel for channel in channels.channels()},
}
CHANNEL_QUEUES = {channels.logical(channel): channels.queue(channel) for channel in channels.channels()}

TABLE = {"Fn::GetAtt": ["AlertsTable", "Arn"]}
TABLE_INDEXES = {"Fn::Sub": "${AlertsTable.Arn}/index/*"}
BUCKET = {"Fn::GetAtt": ["PhotosBucket", "Arn"]}
# The photo's renditions (chalicelib.adapters.photo_store) and the CAP feed's files (chalicelib.adapters.feed_store).
RENDITIONS = {"Fn::Sub": "${PhotosBucket.Arn}/photos/*"}
FEED_FILES = {"Fn::Sub": "${PhotosBucket.Arn}/feed/*"}
UPLOADS = {"Fn::Sub": "${PhotosBucket.Arn}/uploads/*"}
# The public site's files and the web channel's private index of them (infra/site.py).
SITE_FILES = {"Fn::Sub": "${PhotosBucket.Arn}/" + site.SITE_PREFIX + "*"}
SITE_STATE = {"Fn::Sub": "${PhotosBucket.Arn}/" + site.STATE_PREFIX + "*"}
# Names as Fn::Sub patterns: the stage is the stack's Stage parameter.
STAGE = "${Stage}"
PUSH_TOPICS = {
    "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:" + names.push_topic_prefix(STAGE) + "*"
}
PLATFORM_APPLICATIONS = [{"Ref": "ApnsApplicationArn"}, {"Ref": "FcmApplicationArn"}]

# Channels whose partners hold a secret (webhook signing secret, platform token) in SSM Parameter Store: all but
# those that reach their own audience (chalicelib.channels.targets.OWN_AUDIENCES).
PARTNER_CHANNELS = tuple(
    channels.logical(channel) for channel in channels.channels() if channels.is_partner_channel(channel)
)


def partner_secrets(resource: str) -> dict[str, str]:
    # Each channel function may read its own folder only.
    folder = names.partner_folder(STAGE, FUNCTIONS[resource])
    return {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter" + folder + "*"}


def platform_endpoints(application: dict[str, str]) -> dict[str, Any]:
    """The endpoints of one platform application: arn:…:app/APNS/<name> → arn:…:endpoint/APNS/<name>/*."""
    parts = {"Fn::Split": [":app/", application]}
    return {"Fn::Join": ["", [{"Fn::Select": [0, parts]}, ":endpoint/", {"Fn::Select": [1, parts]}, "/*"]]}


def aws_name(resource: str) -> str:
    """The function's name in AWS, as a Fn::Sub pattern: kind-alarm-<stage>-<handler>."""
    return names.resource_prefix(STAGE) + FUNCTIONS[resource].replace("_", "-")


def function_name(resource: str) -> dict[str, str]:
    return {"Fn::Sub": aws_name(resource)}


def allow(actions: list[str], resources: list[Any]) -> Statement:
    return {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def table(*actions: str) -> Statement:
    return allow([f"dynamodb:{action}" for action in actions], [TABLE, TABLE_INDEXES])


def photos(*actions: str) -> Statement:
    """The photo's files: uploads and renditions, never the feed's (only cap_feed and the purge change those)."""
    return allow([f"s3:{action}" for action in actions], [RENDITIONS, UPLOADS])


# Deleting a photo lists its renditions first.
LIST_PHOTOS = {
    **allow(["s3:ListBucket"], [BUCKET]),
    "Condition": {"StringLike": {"s3:prefix": ["photos/*"]}},
}
# A function that reads an object which may be absent (a feed file not yet written, a deleted rendition) must be
# allowed to list the bucket: without it S3 answers AccessDenied instead of NoSuchKey, and the read fails.
LIST_BUCKET = allow(["s3:ListBucket"], [BUCKET])
FEED_WRITES = allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [FEED_FILES])
SITE_WRITES = allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [SITE_FILES, SITE_STATE])
# Invalidations on the site's distribution only (cloudfront:CreateInvalidation takes a distribution ARN).
INVALIDATE_SITE = allow(["cloudfront:CreateInvalidation"], [site.DISTRIBUTION_ARN])
# The function of the channel that writes the site (keyed on its name: it has a function once it is in the table).
WEB = channels.logical(site.WEB_CHANNEL)
ALERT_WRITES = ("GetItem", "Query", "PutItem", "ConditionCheckItem")


def queue_consumer(queue: str, *extra: str) -> Statement:
    actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *extra]
    return allow(actions, [{"Fn::GetAtt": [queue, "Arn"]}])


DEVICE_WRITES = ("GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem")
PUSH_DEVICES = [
    # Listing finds an endpoint by its device when its making was cut short before its ARN was recorded.
    allow(["sns:CreatePlatformEndpoint", "sns:ListEndpointsByPlatformApplication"], PLATFORM_APPLICATIONS),
    allow(
        ["sns:SetEndpointAttributes", "sns:GetEndpointAttributes", "sns:DeleteEndpoint"],
        [platform_endpoints(application) for application in PLATFORM_APPLICATIONS],
    ),
]
PUSH_TOPIC_SUBSCRIPTIONS = allow(["sns:CreateTopic", "sns:Subscribe", "sns:Unsubscribe"], [PUSH_TOPICS])


# Channels that read the photo's master rendition themselves (to draw a visual, to attach it to a post), which may
# have been deleted; the others only hand out signed URLs, which also need s3:GetObject (the partner fetches with
# the function's signature). The web channel also reads its pages and index before it writes them: the first
# time they are not there yet.
READS_MASTER = ("CapFeed", "SocialMedia", "RoadSigns", "StationScreens", WEB)


def channel_statements(resource: str) -> list[Statement]:
    """What every channel function does: read its queue with backoff, read the alert, record, fetch photos.

    Only cap_feed (its feed files) and web (the site's files) write to the bucket; a channel reads only its own
    partners' secrets.
    """
    statements = [
        queue_consumer(CHANNEL_QUEUES[resource], "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl"),
        # Each target's result is recorded the moment it is known: a conditional update of the delivery item.
        table("GetItem", "PutItem", "Query", "UpdateItem"),
        allow(["s3:GetObject"], [RENDITIONS]),
    ]
    if resource in READS_MASTER:
        statements.append(LIST_BUCKET)
    if resource == "CapFeed":
        statements.append(FEED_WRITES)
    if resource == WEB:
        statements.extend([SITE_WRITES, INVALIDATE_SITE])
    if resource in PARTNER_CHANNELS:
        statements.append(allow(["ssm:GetParameter"], [partner_secrets(resource)]))
    if resource == "AppPush":
        statements.append(allow(["sns:CreateTopic", "sns:Publish"], [PUSH_TOPICS]))
        statements.append(table("BatchGetItem"))  # the device counts of the topics it published to (the report)
    return statements


def statements_for(resource: str) -> list[Statement]:
    if resource in CHANNEL_QUEUES:
        return channel_statements(resource)
    return {
        "APIHandler": [
            table(*DEVICE_WRITES),
            table("BatchGetItem"),  # POST /reach reads the device counts
            photos("GetObject", "PutObject", "DeleteObject"),
            allow(["s3:GetObject"], [FEED_FILES]),  # GET /feed and GET /alerts/{id}/cap serve them
            LIST_BUCKET,  # GET /feed before the first alert, previews of a deleted photo; and photo deletes
            *PUSH_DEVICES,
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
        "PushEvents": [table(*DEVICE_WRITES), *PUSH_DEVICES, PUSH_TOPIC_SUBSCRIPTIONS],
        "WatchDeliveries": [table("Query")],
        "ExpireAlerts": [table(*ALERT_WRITES), photos("DeleteObject"), LIST_PHOTOS],
        # The canary creates and cancels its test alert through the alert service, as the API does (it has no
        # photo), reads the alert's delivery records and keeps its runs: all in the alerts table. It reads every
        # public partner's secret (sending nothing) to prove what its sandbox alert cannot: IAM cannot tell a
        # public partner's parameter from a sandbox one's, so the partner channels' folders, and nothing else.
        "Canary": [
            table(*ALERT_WRITES),
            allow(["ssm:GetParameter"], [partner_secrets(channel) for channel in PARTNER_CHANNELS]),
        ],
        # The purge also takes the alert's CAP messages and index lines out of the feed files, and its pages, images
        # and index entries off the site (invalidating them).
        "PurgeAlerts": [
            table("Query", "PutItem", "DeleteItem", "ConditionCheckItem"),
            FEED_WRITES,
            SITE_WRITES,
            INVALIDATE_SITE,
            LIST_BUCKET,
        ],
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
