"""Burgernet app devices as the app backend registers them, and as they are recorded (no coordinates kept)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.models.alert import Area, Latitude, Longitude
from chalicelib.models.common import ApiModel

Platform = Literal["apns", "fcm"]
Language = Literal["nl", "en"]
DEVICE_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class DeviceLocation(ApiModel):
    lat: Latitude
    lon: Longitude


class DeviceRegistration(ApiModel):
    """The body of ``PUT /devices/{device_id}``."""

    platform: Platform
    token: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_:.\-]{16,4096}$")]
    location: DeviceLocation
    language: Language = "nl"
    # Test devices also receive exercise and test alerts.
    test_device: bool = False


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str
    # None: the subscription was asked for and SNS's answer is not recorded (it may exist; SNS makes no second one
    # for the same topic and endpoint, so asking again answers its ARN).
    arn: str | None = None


class DeviceRecord(BaseModel):
    """A device as registered, and what SNS may hold for it: each step of a registration that makes something in
    SNS is preceded by a write of this record naming it, so no endpoint gets a subscription no record names.

    ``cell``, ``language`` and ``test_device`` are what the counts hold for the device when ``counted``; a
    registration not yet complete holds what it asked for there, uncounted.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    platform: Platform
    # None: the endpoint is being made and its ARN is not recorded yet (it has no subscription).
    endpoint_arn: str | None = None
    token_sha256: str
    cell: str
    language: Language
    test_device: bool
    # By topic (records from before by scope: national, cell, test); a move holds the old cell's beside the new
    # one's until the new one is made.
    subscriptions: dict[str, Subscription] = Field(default_factory=dict)
    updated_at: datetime
    # Each write of the record counts up; a write is conditioned on the revision it read (0: a record from before
    # revisions were kept), so two registrations of one device cannot both move its counts.
    revision: int = 0
    counted: bool = True


class ReachRequest(ApiModel):
    """The body of ``POST /reach``: an area, as an alert gives it."""

    area: Area


class Reach(ApiModel):
    """What an alert's pushes to an area would reach, from the device counts (``POST /reach``)."""

    devices: int = Field(description="devices registered in the cells the pushes go to (national: all of them)")
    devices_by_language: dict[Language, int]
    publishes: int = Field(description="SNS publishes the alert would make: one per language and filed cell topic")
    outside_share: float = Field(
        ge=0,
        le=1,
        description="estimated share of those devices outside the area, from each cell's overlap with it",
    )
