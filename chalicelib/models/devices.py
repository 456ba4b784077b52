"""Burgernet app devices as the app backend registers them, and as they are recorded (no coordinates kept)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.models.alert import Latitude, Longitude
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
    arn: str


class DeviceRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    platform: Platform
    endpoint_arn: str
    token_sha256: str
    cell: str
    language: Language
    test_device: bool
    subscriptions: dict[str, Subscription] = Field(default_factory=dict)
    updated_at: datetime
