"""Photos as the API takes and shows them, and as they are recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.models.common import ApiModel

# The renditions every processed photo has (chalicelib.imaging.photo.RENDITION_SPECS makes them): the master and the
# push image the channels read, and the feed image the public alert page (issue 14) will show.
RENDITION_NAMES = ("master", "push", "feed")

PhotoState = Literal["awaiting_upload", "ready", "rejected"]
PhotoType = Literal["image/jpeg", "image/png", "image/webp"]


# Built when first used, not at import: an alert without a photo never needs them.
class PhotoUploadRequest(ApiModel):
    """The body of ``POST /photos``."""

    model_config = ConfigDict(defer_build=True)

    content_type: PhotoType


class PhotoRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str
    state: PhotoState
    content_type: PhotoType
    renditions: list[str] = []
    reason: str | None = None
    created_at: datetime
    updated_at: datetime
    purge_at: int
