"""The alert as Burgernet sends it, as it is stored, and as the API returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, field_validator, model_validator

from chalicelib.geo.areas import polygon_problem
from chalicelib.models.common import ApiModel, Headline, Name, Paragraph, Place

Level = Literal["kind_alarm", "vermist_kind"]
Status = Literal["actual", "exercise", "test"]
State = Literal["active", "cancelled", "expired"]
CancelReason = Literal["found", "withdrawn", "expired"]

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ()-]{1,18}[0-9]$")]
PhotoId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]

# 4 MiB decoded is 5,592,408 characters of base64 (with padding).
MAX_PHOTO_BYTES = 4 * 1024 * 1024
MAX_PHOTO_BASE64_CHARS = 4 * ((MAX_PHOTO_BYTES + 2) // 3)
MAX_RING_POSITIONS = 2000
MAX_RINGS = 20
# All rings together: the alert is one DynamoDB item (at most 400 KB) and a position takes about 15 bytes there.
MAX_POLYGON_POSITIONS = 10_000


class Child(ApiModel):
    name: Name
    age: Annotated[int, Field(ge=0, le=17)] | None = None
    description: Paragraph | None = None


class LocalizedHeadline(ApiModel):
    nl: Headline
    en: Headline | None = None


class LocalizedInstruction(ApiModel):
    nl: Paragraph
    en: Paragraph | None = None


class LastSeen(ApiModel):
    at: AwareDatetime
    place: Place
    lat: Latitude | None = None
    lon: Longitude | None = None

    @model_validator(mode="after")
    def _both_coordinates_or_neither(self) -> LastSeen:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


class NationalArea(ApiModel):
    type: Literal["national"]


class CircleArea(ApiModel):
    type: Literal["circle"]
    lat: Latitude
    lon: Longitude
    radius_km: Annotated[float, Field(gt=0, le=200)]


Position = tuple[Longitude, Latitude]
LinearRing = Annotated[list[Position], Field(min_length=4, max_length=MAX_RING_POSITIONS)]


class PolygonArea(ApiModel):
    type: Literal["polygon"]
    coordinates: Annotated[list[LinearRing], Field(min_length=1, max_length=MAX_RINGS)]

    @field_validator("coordinates")
    @classmethod
    def _valid_polygon(cls, rings: list[list[Position]]) -> list[list[Position]]:
        positions = sum(len(ring) for ring in rings)
        if positions > MAX_POLYGON_POSITIONS:
            raise ValueError(f"has {positions} positions; at most {MAX_POLYGON_POSITIONS} in all rings together")
        problem = polygon_problem(rings)
        if problem:
            raise ValueError(problem)
        return rings


Area = Annotated[NationalArea | CircleArea | PolygonArea, Field(discriminator="type")]
AREA_TYPES = ("national", "circle", "polygon")


class Contact(ApiModel):
    phone: Phone


class InlinePhoto(ApiModel):
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    data: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PHOTO_BASE64_CHARS)]


class AlertFields(ApiModel):
    """What Burgernet says about the child and where to look, at create and in every later version."""

    # Built when first used, not at import: the API's cold start builds only the models a create uses
    # (AlertCreate, Alert, AlertResource and what they hold).
    model_config = ConfigDict(defer_build=True)

    child: Child
    photo: InlinePhoto | None = None
    photo_id: PhotoId | None = None
    headline: LocalizedHeadline
    instruction: LocalizedInstruction
    last_seen: LastSeen
    area: Area
    contact: Contact

    @model_validator(mode="after")
    def _one_photo_source(self) -> AlertFields:
        if self.photo is not None and self.photo_id is not None:
            raise ValueError("give either photo or photo_id, not both")
        return self


class AlertIdentity(ApiModel):
    """The fields fixed at create."""

    model_config = ConfigDict(defer_build=True)

    reference: Reference
    level: Level
    status: Status


class AlertContent(AlertFields):
    """The fields Burgernet may set at create and change later with PATCH."""

    model_config = ConfigDict(defer_build=True)

    expires_at: AwareDatetime


MUTABLE_FIELDS = frozenset(AlertContent.model_fields)
IMMUTABLE_FIELDS = frozenset(AlertIdentity.model_fields)


class AlertCreate(AlertFields, AlertIdentity):
    """The body of ``POST /alerts``."""

    # Every create uses it: built at import (its bases are deferred).
    model_config = ConfigDict(defer_build=False)

    expires_at: AwareDatetime | None = Field(
        default=None, description="when the alert ends by itself; left out: DEFAULT_ALERT_HOURS (24) from now"
    )


class AlertCancel(ApiModel):
    """The body of ``POST /alerts/{id}/cancel``."""

    model_config = ConfigDict(defer_build=True)

    reason: CancelReason


class Cancellation(ApiModel):
    reason: CancelReason
    at: AwareDatetime


class Alert(AlertContent, AlertIdentity):
    """An alert as stored: the content plus its identity and lifecycle."""

    # Every create uses it: built at import (its bases are deferred).
    model_config = ConfigDict(defer_build=False)

    id: str
    version: Annotated[int, Field(ge=1)]
    state: State
    created_at: AwareDatetime
    updated_at: AwareDatetime
    cancellation: Cancellation | None = None

    def content(self) -> dict[str, Any]:
        """The mutable fields as JSON-compatible data, the base a PATCH merges into."""
        return self.model_dump(mode="json", include=set(MUTABLE_FIELDS), exclude_none=True)


class PhotoLinks(ApiModel):
    id: str
    # Expiring URLs of each rendition; present while the alert is active.
    renditions: dict[str, str] = Field(default_factory=dict)


class AlertLinks(ApiModel):
    self: str
    cancel: str
    public_page: str = Field(
        description="The alert's official public page (Dutch, the canonical one); an exercise's or test's lies under"
        " sandbox/. It stays at this address once the alert ends, without the child's details."
    )


class AlertResource(ApiModel):
    """What ``GET /alerts/{id}`` returns: the alert, its links and its deliveries per channel."""

    id: str
    reference: str
    version: int
    state: State
    level: Level
    status: Status
    child: Child
    headline: LocalizedHeadline
    instruction: LocalizedInstruction
    last_seen: LastSeen
    area: Area
    contact: Contact
    photo: PhotoLinks | None = None
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    cancellation: Cancellation | None = None
    links: AlertLinks
    deliveries: dict[str, Any] = Field(default_factory=dict)
