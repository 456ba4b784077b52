"""The service's settings: one model, read from the environment once per process."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

_PACKAGE_DIR = Path(__file__).resolve().parent


class Settings(BaseModel):
    """Everything the functions read from their environment, validated once."""

    model_config = ConfigDict(alias_generator=str.upper, populate_by_name=True, extra="ignore", frozen=True)

    alerts_table: str = "kind-alarm-local-alerts"
    # Lambda sets AWS_REGION (and reserves AWS_DEFAULT_REGION); the CLI and the local stack set the latter.
    aws_default_region: str = Field(
        default="eu-west-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    service_area_file: Path = _PACKAGE_DIR / "geo" / "service_area.geojson"
    # The longest an alert may run before it must be renewed by an update.
    max_alert_hours: int = Field(default=14 * 24, ge=1)
    # How long an alert runs when its create (JSON expires_at, CAP <expires>) names no end.
    default_alert_hours: int = Field(default=24, ge=1)
    # The largest body the API reads: the largest inline photo (4 MiB is 5,592,408 characters of base64) and 170 KB
    # for the rest of the alert, inside Lambda's 6 MB payload (8 MiB could never arrive). The JSON of this size that
    # costs most to parse takes the API to about 460 MB; its memory (infra/memory.py) is measured on it.
    max_body_bytes: int = Field(default=5632 * 1024, ge=1024, le=6 * 1024 * 1024)
    # Days a cancelled or expired alert keeps the child's details before they are erased (audit records stay).
    retention_days: int = Field(default=30, ge=1, le=3650)
    public_base_url: str = ""
    # The public site (the official alert pages) that posts, pushes and feeds link to.
    public_site_url: str = "https://kindalarm.burgernet.nl"
    problem_base_uri: str = "https://kindalarm.burgernet.nl/problems/"

    # Fan-out. ARNs come from the stack (merge template in AWS, stack outputs locally).
    alerts_stream_arn: str = "arn:aws:dynamodb:eu-west-1:000000000000:table/kind-alarm-local-alerts/stream/local"
    alert_events_topic_arn: str = "arn:aws:sns:eu-west-1:000000000000:kind-alarm-local-alert-events"
    channel_queue_prefix: str = "kind-alarm-local-"
    # The partners of each channel per audience, as JSON: see chalicelib.channels.targets.PartnerDirectory.
    partners: str = "{}"
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    # A failed delivery is retried after base * 2^(attempt-1) seconds, at most max (SQS visibility).
    retry_base_seconds: int = Field(default=10, ge=0)
    retry_max_seconds: int = Field(default=900, ge=0, le=43200)

    # The CAP feed: the sender its messages name.
    cap_sender: str = "kindalarm@politie.nl"

    # Photos.
    photos_bucket: str = "kind-alarm-local-photos-123456789012"
    # The bucket announces each upload under uploads/ on this queue (S3 event notification).
    photo_uploads_queue: str = "kind-alarm-local-photo-uploads"
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    upload_url_seconds: int = Field(default=900, ge=60, le=3600)
    # Channels fetch renditions through expiring URLs; signed with a role's credentials they end with those too.
    photo_url_seconds: int = Field(default=6 * 3600, ge=60, le=7 * 24 * 3600)
    road_sign_size: str = Field(default="480x270", pattern=r"^[1-9][0-9]{1,3}x[1-9][0-9]{1,3}$")
    # The DRIP text area: lines x characters per line.
    road_sign_profile: str = Field(default="3x20", pattern=r"^[1-9]x[1-9][0-9]?$")
    # Whether a retraction for a found child also posts a short notice on X.
    social_found_notice: bool = True

    # App push: the SNS platform applications (not a CloudFormation resource: created once per account).
    apns_application_arn: str = "arn:aws:sns:eu-west-1:123456789012:app/APNS/kind-alarm-local"
    fcm_application_arn: str = "arn:aws:sns:eu-west-1:123456789012:app/GCM/kind-alarm-local"
    push_topic_prefix: str = "kind-alarm-local-push-"
    # Where SNS reports endpoints the platforms disabled (the platform applications' event topic).
    push_events_topic: str = "kind-alarm-local-push-events"

    def sns_arn_prefix(self) -> str:
        """arn:aws:sns:<region>:<account>: — taken from the event topic, which lives beside the push topics."""
        return self.alert_events_topic_arn.rsplit(":", 1)[0] + ":"

    def road_sign_pixels(self) -> tuple[int, int]:
        width, height = self.road_sign_size.split("x")
        return int(width), int(height)

    def channel_queue(self, channel: str) -> str:
        return self.channel_queue_prefix + channel.replace("_", "-")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
