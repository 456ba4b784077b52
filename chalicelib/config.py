"""The service's settings: one model, read from the environment once per process.

Outside the ``local`` stage a resource the stack gives that is missing, or names a placeholder account, stops the
function at start (its first import), where the error names the variable, instead of at a call to a wrong resource.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from chalicelib import names

_PACKAGE_DIR = Path(__file__).resolve().parent
_LOCAL = names.LOCAL_STAGE
# The account of the default ARNs: a stand-in (the local stack's resources are moto's, in names.LOCAL_ACCOUNT).
_NO_ACCOUNT = "000000000000"
# The resources the stack makes or the admin creates and infra/merge.py names in each function's environment.
STACK_GIVEN = (
    "alerts_stream_arn",
    "alert_events_topic_arn",
    "photos_bucket",
    "apns_application_arn",
    "fcm_application_arn",
)
# Those the stack itself makes, named kind-alarm-<stage>-...; the platform applications are named by the admin.
_STAGE_RESOURCES = frozenset(STACK_GIVEN[:3])


class Settings(BaseModel):
    """Everything the functions read from their environment, validated once."""

    # The input is the whole environment (in Lambda its credentials too): an error names the variable, never the input.
    model_config = ConfigDict(
        alias_generator=str.upper, populate_by_name=True, extra="ignore", frozen=True, hide_input_in_errors=True
    )

    # The deployment stage: it names every resource (chalicelib.names). Only `local` may run on stand-ins.
    stage: str = Field(default=_LOCAL, pattern=f"^{names.STAGE_PATTERN}$")
    # The names a stage decides are derived from it (see _names_of_the_stage); a variable still overrides one.
    alerts_table: str = names.alerts_table(_LOCAL)
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
    # The CloudFront distribution in front of the site, invalidated on every change (none locally).
    site_distribution_id: str = ""
    problem_base_uri: str = "https://kindalarm.burgernet.nl/problems/"

    # Fan-out. ARNs come from the stack (merge template in AWS, stack outputs locally).
    alerts_stream_arn: str = f"arn:aws:dynamodb:eu-west-1:{_NO_ACCOUNT}:table/{names.alerts_table(_LOCAL)}/stream/local"
    alert_events_topic_arn: str = f"arn:aws:sns:eu-west-1:{_NO_ACCOUNT}:{names.alert_events_topic(_LOCAL)}"
    channel_queue_prefix: str = names.resource_prefix(_LOCAL)
    # The partners of each channel per audience, as JSON: see chalicelib.channels.targets.PartnerDirectory.
    partners: str = "{}"
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    # A failed delivery is retried after base * 2^(attempt-1) seconds, at most max (SQS visibility).
    retry_base_seconds: int = Field(default=10, ge=0)
    retry_max_seconds: int = Field(default=900, ge=0, le=43200)

    # The CAP feed: the sender its messages name.
    cap_sender: str = "kindalarm@politie.nl"

    # Photos.
    photos_bucket: str = names.photos_bucket(_LOCAL, names.LOCAL_ACCOUNT)
    # The bucket announces each upload under uploads/ on this queue (S3 event notification).
    photo_uploads_queue: str = names.photo_uploads_queue(_LOCAL)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    upload_url_seconds: int = Field(default=900, ge=60, le=3600)
    # Channels fetch renditions through expiring URLs; signed with a role's credentials they end with those too.
    photo_url_seconds: int = Field(default=6 * 3600, ge=60, le=7 * 24 * 3600)
    road_sign_size: str = Field(default="480x270", pattern=r"^[1-9][0-9]{1,3}x[1-9][0-9]{1,3}$")
    # The DRIP text area: lines x characters per line.
    road_sign_profile: str = Field(default="3x20", pattern=r"^[1-9]x[1-9][0-9]?$")
    # Whether a retraction for a found child also posts a short notice on X.
    social_found_notice: bool = True

    # The canary (chalicelib.alerts.canary): a run each period, aligned to the epoch (a divisor of a day keeps the
    # times fixed), and how long each channel may take to deliver, and again to retract, its test alert.
    canary_every_seconds: int = Field(default=6 * 3600, ge=60, le=7 * 24 * 3600)
    canary_limit_seconds: int = Field(default=60, ge=1, le=900)

    # App push: the SNS platform applications (not a CloudFormation resource: created once per account).
    apns_application_arn: str = (
        f"arn:aws:sns:eu-west-1:{names.LOCAL_ACCOUNT}:app/APNS/{names.platform_application(_LOCAL)}"
    )
    fcm_application_arn: str = (
        f"arn:aws:sns:eu-west-1:{names.LOCAL_ACCOUNT}:app/GCM/{names.platform_application(_LOCAL)}"
    )
    push_topic_prefix: str = names.push_topic_prefix(_LOCAL)
    # Where SNS reports endpoints the platforms disabled (the platform applications' event topic).
    push_events_topic: str = names.push_events_topic(_LOCAL)

    # Set by the Chalice CLI while it reads the app (`chalice package` builds the template before the stack's
    # resources exist; infra/merge.py fills them in), and by Lambda in every function's environment.
    chalice_cli_mode: bool = Field(default=False, validation_alias="AWS_CHALICE_CLI_MODE")
    lambda_function_name: str = Field(default="", validation_alias="AWS_LAMBDA_FUNCTION_NAME")

    @model_validator(mode="before")
    @classmethod
    def _names_of_the_stage(cls, data: Any) -> Any:
        """Fill in what the stage's name decides (chalicelib.names), unless the environment says otherwise."""
        if not isinstance(data, dict):
            return data
        stage = data.get("STAGE", data.get("stage", _LOCAL))
        if not isinstance(stage, str):
            return data  # the field's own validation refuses it
        derived = {
            variable: name
            for variable, name in names.stage_environment(stage).items()
            if variable not in data and variable.lower() not in data
        }
        return {**data, **derived}

    @model_validator(mode="after")
    def _real_resources_outside_local(self) -> Settings:
        """Outside ``local`` each resource the stack gives is set and its own: refused at start, never called."""
        if self.lambda_function_name and "stage" not in self.model_fields_set:
            raise ValueError(
                "STAGE is not set: each function's environment in AWS names its stage (infra/merge.py);"
                " without it the function would look for the local stage's resources"
            )
        if self.stage == _LOCAL:
            return self
        problems = [problem for field in STACK_GIVEN if (problem := self._stack_given_problem(field))]
        if problems:
            raise ValueError(f"outside the local stage (STAGE={self.stage}): " + "; ".join(problems))
        return self

    def _stack_given_problem(self, field: str) -> str | None:
        variable, value = field.upper(), getattr(self, field)
        if field not in self.model_fields_set:
            # `chalice package` reads the app before the stack exists; the template it writes sets these.
            return None if self.chalice_cli_mode else f"{variable} is not set (the stack gives it: infra/merge.py)"
        if not value:
            return f"{variable} is empty"
        account = names.placeholder_account(value)
        if account is not None:
            return f"{variable} names the placeholder account {account}: {value}"
        if field in _STAGE_RESOURCES and names.resource_prefix(self.stage) not in value:
            return f"{variable} is not a resource of stage {self.stage}: {value}"
        return None

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
