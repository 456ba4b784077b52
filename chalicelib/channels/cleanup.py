"""The child's photo is deleted once every channel that may have shown it has taken the alert down."""

from __future__ import annotations

from typing import Protocol

from chalicelib.channels.policy import deployed_channels_for
from chalicelib.models.alert import Alert
from chalicelib.models.events import DeliveryRecord
from chalicelib.observability import logger


class DeliveryRecords(Protocol):
    def for_alert(self, alert_id: str) -> list[DeliveryRecord]: ...


class PhotoDeleter(Protocol):
    def delete(self, photo_id: str | None) -> None: ...


class PhotoCleanup:
    def __init__(self, records: DeliveryRecords, photos: PhotoDeleter) -> None:
        self._records = records
        self._photos = photos

    def after_retraction(self, alert: Alert) -> None:
        if alert.photo_id is None:
            return
        retracted = {
            record.channel
            for record in self._records.for_alert(alert.id)
            if record.state == "retracted" and record.version >= alert.version
        }
        waiting = set(deployed_channels_for(alert.level)) - retracted
        if waiting:
            logger.info("photo kept until channels retract", extra={"alert_id": alert.id, "waiting": sorted(waiting)})
            return
        self._photos.delete(alert.photo_id)
