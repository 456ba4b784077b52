"""Photo use cases: take a photo in (inline or uploaded), check one an alert names, let it go."""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from chalicelib.clock import utc_now
from chalicelib.errors import FieldError, InvalidAlertError
from chalicelib.models.alert import MAX_PHOTO_BYTES, InlinePhoto
from chalicelib.models.photos import RENDITION_NAMES, PhotoRecord, PhotoUploadRequest
from chalicelib.models.validation import parse_model
from chalicelib.observability import logger

# A photo no alert has taken up is forgotten: its record after a day (TTL), its objects by the bucket's lifecycle rule.
UNCLAIMED_SECONDS = 24 * 3600


class PhotoObjects(Protocol):
    def put_renditions(self, photo_id: str, renditions: Iterable[Any]) -> list[str]: ...

    def rendition(self, photo_id: str, name: str) -> bytes | None: ...

    def urls(self, photo_id: str, names: Iterable[str], seconds: int) -> dict[str, str]: ...

    def delete(self, photo_id: str) -> int: ...

    def upload_form(self, photo_id: str, content_type: str, max_bytes: int, seconds: int) -> dict[str, Any]: ...

    def take_upload(self, key: str) -> bytes: ...


class PhotoRecords(Protocol):
    def get(self, photo_id: str) -> PhotoRecord | None: ...

    def put(self, record: PhotoRecord) -> None: ...


class PhotoService:
    def __init__(
        self,
        objects: PhotoObjects,
        records: PhotoRecords,
        *,
        max_upload_bytes: int,
        upload_seconds: int,
        url_seconds: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._objects = objects
        self._records = records
        self._max_upload_bytes = max_upload_bytes
        self._upload_seconds = upload_seconds
        self._url_seconds = url_seconds
        self._clock = clock

    def accept_inline(self, photo: InlinePhoto) -> str:
        """Process an inline photo under a new id. No other call can name it, so should the change that brought it
        not be written, what this call stored is its own to delete, with nobody else's alert depending on it."""
        data = _decoded(photo.data)
        photo_id = uuid.uuid4().hex
        self._process(photo_id, data, photo.content_type, pointer="/photo/data")
        return photo_id

    def start_upload(self, body: Any) -> dict[str, Any]:
        request = parse_model(PhotoUploadRequest, body)
        photo_id = str(uuid.uuid4())
        self._records.put(self._record(photo_id, "awaiting_upload", request.content_type))
        form = self._objects.upload_form(photo_id, request.content_type, self._max_upload_bytes, self._upload_seconds)
        logger.info("photo upload started", extra={"photo_id": photo_id})
        return {
            "photo_id": photo_id,
            "state": "awaiting_upload",
            "upload": {"url": form["url"], "fields": form["fields"], "max_bytes": self._max_upload_bytes},
            "expires_in": self._upload_seconds,
        }

    def process_upload(self, key: str) -> PhotoRecord | None:
        """Called for each object S3 reports under ``uploads/``."""
        photo_id = key.rsplit("/", 1)[-1]
        record = self._records.get(photo_id)
        data = self._objects.take_upload(key)
        if record is None or record.state != "awaiting_upload":
            logger.warning("upload without a pending photo discarded", extra={"photo_id": photo_id[:64]})
            return None
        try:
            self._process(photo_id, data, record.content_type, pointer="/photo_id")
        except InvalidAlertError as error:
            rejected = self._record(photo_id, "rejected", record.content_type, reason=error.errors[0].detail)
            self._records.put(rejected)
            return rejected
        return self._records.get(photo_id)

    def require_ready(self, photo_id: str) -> None:
        record = self._records.get(photo_id)
        problem = _not_ready(record)
        if problem:
            raise InvalidAlertError((FieldError(problem, pointer="/photo_id"),))

    def urls(self, photo_id: str | None) -> dict[str, str]:
        """Expiring URLs of every rendition, for the channels and for Burgernet."""
        return self._objects.urls(photo_id, RENDITION_NAMES, self._url_seconds) if photo_id else {}

    def master(self, photo_id: str | None) -> bytes | None:
        return self.rendition(photo_id, "master")

    def rendition(self, photo_id: str | None, name: str) -> bytes | None:
        return self._objects.rendition(photo_id, name) if photo_id else None

    def delete(self, photo_id: str | None) -> None:
        if photo_id is None:
            return
        removed = self._objects.delete(photo_id)
        logger.info("photo deleted", extra={"photo_id": photo_id, "objects": removed})

    def discard(self, photo_id: str) -> None:
        """Delete a photo on the way out of a failed call, without hiding the call's own error: should S3 refuse,
        the bucket's lifecycle rule still takes the renditions."""
        try:
            self.delete(photo_id)
        except Exception as error:  # noqa: BLE001 - the failure being raised is the one the caller must see
            logger.warning("photo not deleted", extra={"photo_id": photo_id, "error": type(error).__name__})

    def _process(self, photo_id: str, data: bytes, content_type: str, pointer: str) -> None:
        from chalicelib.imaging.photo import PhotoRejectedError, process_photo

        started = time.perf_counter()
        try:
            renditions = process_photo(data, content_type)
        except PhotoRejectedError as error:
            raise InvalidAlertError((FieldError(f"the photo was refused: {error}", pointer=pointer),)) from None
        try:
            names = self._objects.put_renditions(photo_id, renditions)
            self._records.put(self._record(photo_id, "ready", content_type, renditions=names))
        except Exception:
            self.discard(photo_id)  # the renditions already stored: a photo never taken up keeps nothing
            raise
        seconds = round(time.perf_counter() - started, 3)
        logger.info("photo processed", extra={"photo_id": photo_id, "renditions": len(names), "seconds": seconds})

    def _record(self, photo_id: str, state: Any, content_type: Any, **extra: Any) -> PhotoRecord:
        now = self._clock()
        return PhotoRecord(
            id=photo_id,
            state=state,
            content_type=content_type,
            created_at=now,
            updated_at=now,
            purge_at=int(now.timestamp()) + UNCLAIMED_SECONDS,
            **extra,
        )


def _decoded(data: str) -> bytes:
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidAlertError((FieldError("is not valid base64", pointer="/photo/data"),)) from None
    if len(decoded) > MAX_PHOTO_BYTES:
        message = f"is {len(decoded)} bytes; inline photos are at most {MAX_PHOTO_BYTES} bytes, use POST /photos"
        raise InvalidAlertError((FieldError(message, pointer="/photo/data"),))
    return decoded


def _not_ready(record: PhotoRecord | None) -> str | None:
    if record is None:
        return "no photo has this id; upload one with POST /photos first"
    if record.state == "awaiting_upload":
        return "this photo has not been uploaded and processed yet; try again in a few seconds"
    if record.state == "rejected":
        return f"this photo was refused: {record.reason}"
    return None
