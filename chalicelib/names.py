"""The names of a stage's resources, kind-alarm-<stage>-<thing>: derived here for the settings, the local stack and
infra/ alike, so that no function looks for a table, queue or topic its stage's stack did not make."""

from __future__ import annotations

import re

APP = "kind-alarm"
LOCAL_STAGE = "local"
# CloudFormation's Stage parameter takes the same (infra/resources.json): it is part of every resource's name.
STAGE_PATTERN = r"[a-z][a-z0-9-]{1,15}"
# moto's account: the local stack's resources live in it.
LOCAL_ACCOUNT = "123456789012"
# Account ids that stand in for a real one: a zero account and moto's. Outside the local stage neither is real.
PLACEHOLDER_ACCOUNTS = ("000000000000", LOCAL_ACCOUNT)
_PLACEHOLDER = re.compile("(?<![0-9])(" + "|".join(PLACEHOLDER_ACCOUNTS) + ")(?![0-9])")


def stack(stage: str) -> str:
    return f"{APP}-{stage}"


def resource_prefix(stage: str) -> str:
    """What the name of each of the stage's resources starts with."""
    return f"{APP}-{stage}-"


def channel_queue(stage: str, channel: str) -> str:
    """news_media -> kind-alarm-<stage>-news-media."""
    return resource_prefix(stage) + channel.replace("_", "-")


def alerts_table(stage: str) -> str:
    return resource_prefix(stage) + "alerts"


def alert_events_topic(stage: str) -> str:
    return resource_prefix(stage) + "alert-events"


def photo_uploads_queue(stage: str) -> str:
    return resource_prefix(stage) + "photo-uploads"


def photos_bucket(stage: str, account: str) -> str:
    """Bucket names are global: the account id makes the stage's bucket unique."""
    return resource_prefix(stage) + f"photos-{account}"


def push_topic_prefix(stage: str) -> str:
    """The push topics, one per H3 cell, all start with this."""
    return resource_prefix(stage) + "push-"


def push_events_topic(stage: str) -> str:
    return resource_prefix(stage) + "push-events"


def platform_application(stage: str) -> str:
    """The SNS platform applications (APNs, FCM) of the stage: made once per account, not by the stack."""
    return stack(stage)


def partner_folder(stage: str, channel: str) -> str:
    """Where a channel's partner secrets live in SSM Parameter Store; each channel function reads only its own."""
    return f"/{APP}/{stage}/partners/{channel}/"


def stage_environment(stage: str) -> dict[str, str]:
    """The settings the stage's name decides, by environment variable: config.Settings derives them from STAGE."""
    return {
        "ALERTS_TABLE": alerts_table(stage),
        "CHANNEL_QUEUE_PREFIX": resource_prefix(stage),
        "PHOTO_UPLOADS_QUEUE": photo_uploads_queue(stage),
        "PUSH_TOPIC_PREFIX": push_topic_prefix(stage),
        "PUSH_EVENTS_TOPIC": push_events_topic(stage),
    }


def placeholder_account(value: str) -> str | None:
    """The placeholder account id ``value`` (an ARN, a bucket name) names, if it names one."""
    found = _PLACEHOLDER.search(value)
    return found.group(1) if found else None
