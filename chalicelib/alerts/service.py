"""The alert use cases the API calls: create, read, update and cancel."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from chalicelib.alerts import lifecycle
from chalicelib.alerts.photos import PhotoService
from chalicelib.alerts.rules import check_content
from chalicelib.alerts.store import AlertStore, StaleWriteError
from chalicelib.channels.policy import deployed_channels_for
from chalicelib.clock import utc_now
from chalicelib.errors import (
    AlertBusyError,
    AlertNotFoundError,
    FieldError,
    InvalidAlertError,
    KindAlarmError,
    StatusMismatchError,
    VersionMismatchError,
)
from chalicelib.geo.areas import ServiceArea
from chalicelib.models.alert import Alert, AlertCancel, AlertContent, AlertCreate
from chalicelib.models.audit import UNATTRIBUTED, Actor, AuditAction, AuditRecord
from chalicelib.models.events import DeliveryRecord
from chalicelib.models.validation import parse_model
from chalicelib.observability import logger

_CANCEL_ATTEMPTS = 5
# How long an alert runs when the create names no end (the setting DEFAULT_ALERT_HOURS).
DEFAULT_DURATION = timedelta(hours=24)
ContentT = TypeVar("ContentT", bound=AlertContent)


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Created:
    alert: Alert
    created: bool


class DeliveryLog(Protocol):
    def for_alert(self, alert_id: str) -> list[DeliveryRecord]: ...


@dataclass(frozen=True)
class AlertStatus:
    alert: Alert
    deliveries: dict[str, DeliveryRecord]
    photo_urls: dict[str, str]


class AlertService:
    def __init__(
        self,
        store: AlertStore,
        service_area: ServiceArea,
        max_duration: timedelta,
        deliveries: DeliveryLog | None = None,
        photos: PhotoService | None = None,
        content_check: Callable[[Alert], None] | None = None,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = _new_id,
        default_duration: timedelta = DEFAULT_DURATION,
    ) -> None:
        self._store = store
        self._deliveries = deliveries
        self._photos = photos
        self._content_check = content_check
        self._service_area = service_area
        self._max_duration = max_duration
        self._default_duration = min(default_duration, max_duration)
        self._clock = clock
        self._new_id = new_id

    def create(self, body: Any, actor: Actor = UNATTRIBUTED) -> Created:
        """Create the alert, or return the one its reference already made (a retry: nothing is stored twice)."""
        request = parse_model(AlertCreate, body)
        now = self._clock()
        if request.expires_at is None:
            request = request.model_copy(update={"expires_at": now + self._default_duration})
        new = lifecycle.new_alert(request, self._new_id(), now)
        check_content(new, now=now, max_duration=self._max_duration, service_area=self._service_area)
        self._check_channels(new)
        # A known reference answers with its alert before the photo pipeline runs: a retry with other photo
        # bytes would otherwise store renditions no alert uses.
        existing = self._store.find_by_reference(request.reference)
        if existing is not None:
            return Created(_repeated(existing, request), False)
        stored, taken_in = self._with_stored_photo(new, None)
        changed = sorted(request.model_dump(exclude_none=True))
        with self._photo_dropped_on_failure(taken_in):
            alert, created = self._store.insert(stored, audit_record(stored, "created", actor, changed=changed))
        if taken_in is not None and alert.photo_id != taken_in:
            self._discard(taken_in)  # the reference names an alert another create (or an earlier try) wrote
        if not created:
            return Created(_repeated(alert, request), False)
        _log("alert created", alert)
        return Created(alert, created)

    def get(self, alert_id: str) -> Alert:
        alert = self._store.get(alert_id)
        if alert is None:
            raise AlertNotFoundError(alert_id)
        return alert

    def find_by_reference(self, reference: str) -> Alert | None:
        return self._store.find_by_reference(reference)

    def status(self, alert_id: str) -> AlertStatus:
        """The alert, per channel what was delivered, and expiring links to its photo."""
        alert = self.get(alert_id)
        records = self._deliveries.for_alert(alert_id) if self._deliveries else []
        urls = self._photos.urls(alert.photo_id) if self._photos and alert.state == "active" else {}
        return AlertStatus(alert, {record.channel: record for record in records}, urls)

    def update(self, alert_id: str, patch: Any, expected_version: int, actor: Actor = UNATTRIBUTED) -> Alert:
        alert = self._current(alert_id, expected_version)
        content = lifecycle.patched_content(alert, patch)
        if content.model_dump(mode="json", exclude_none=True) == alert.content():
            return alert
        now = self._clock()
        check_content(
            content,
            now=now,
            max_duration=self._max_duration,
            service_area=self._service_area,
            check_expiry="expires_at" in patch,
        )
        revised = lifecycle.revise(alert, content, now)
        self._check_channels(revised)
        revised, taken_in = self._with_stored_photo(revised, alert.photo_id)
        audit = audit_record(revised, "updated", actor, changed=sorted(patch))
        with self._photo_dropped_on_failure(taken_in):
            updated = self._write(revised, expected_version, audit)
        if self._photos and alert.photo_id not in (None, updated.photo_id):
            self._photos.delete(alert.photo_id)
        return updated

    def cancel(self, alert_id: str, body: Any, expected_version: int | None, actor: Actor = UNATTRIBUTED) -> Alert:
        """Cancel the alert; cancelling a cancelled or expired alert returns it unchanged.

        Without If-Match a cancel must not lose to a concurrent update, so it re-reads and tries again.
        The photo is deleted at once: the retractions name posts and messages, they do not show it.
        """
        request = parse_model(AlertCancel, body)
        for _ in range(_CANCEL_ATTEMPTS):
            alert = self.get(alert_id)
            if alert.state in lifecycle.TERMINAL_STATES:
                return alert
            if expected_version is not None and expected_version != alert.version:
                raise VersionMismatchError(expected_version, alert.version)
            cancelled = lifecycle.cancel(alert, request.reason, self._clock())
            audit = audit_record(cancelled, "cancelled", actor, reason=request.reason)
            try:
                self._store.replace(cancelled, alert.version, audit)
            except StaleWriteError:
                continue
            self._closed(cancelled, "alert cancelled")
            return cancelled
        raise AlertBusyError(alert_id)

    def expire_due(self, actor: Actor) -> list[Alert]:
        """Expire every active alert whose ``expires_at`` has passed; each retracts as a cancel does."""
        now = self._clock()
        expired = []
        for alert in self._store.active(ending_before=int(now.timestamp()) + 1):
            if alert.expires_at > now:
                continue
            done = lifecycle.expire(alert, now)
            try:
                self._store.replace(done, alert.version, audit_record(done, "expired", actor))
            except StaleWriteError:
                continue  # changed or cancelled meanwhile: the next run sees it as it is now
            self._closed(done, "alert expired")
            expired.append(done)
        return expired

    def _closed(self, alert: Alert, event: str) -> None:
        _log(event, alert)
        if self._photos:
            self._photos.delete(alert.photo_id)

    def _check_channels(self, alert: Alert) -> None:
        if self._content_check is not None:
            self._content_check(alert)

    def _with_stored_photo(self, content: ContentT, current_photo_id: str | None) -> tuple[ContentT, str | None]:
        """The content with an inline photo processed and stored, and only its id kept; a newly named photo checked.

        Also the id of the photo this call stored, if it stored one: only this call knows it. A photo named by
        ``photo_id`` was stored by its upload, and a call that fails keeps it for the retry that names it again.
        """
        if content.photo is not None:
            if self._photos is None:
                raise InvalidAlertError((FieldError("photos are not accepted here", pointer="/photo"),))
            photo_id = self._photos.accept_inline(content.photo)
            return content.model_copy(update={"photo": None, "photo_id": photo_id}), photo_id
        if content.photo_id not in (None, current_photo_id) and self._photos is not None:
            self._photos.require_ready(content.photo_id)
        return content, None

    @contextmanager
    def _photo_dropped_on_failure(self, taken_in: str | None) -> Iterator[None]:
        """Delete the photo this call stored if its write was refused (a lost race with a cancel, an expiry or
        another change): no alert names it, and none ever will. Any other failure (a timeout, a lost answer) may
        come after the write took effect, so the photo stays; the bucket's lifecycle rule ends it if unnamed."""
        try:
            yield
        except (KindAlarmError, StaleWriteError):
            if taken_in is not None:
                self._discard(taken_in)
            raise

    def _discard(self, photo_id: str) -> None:
        if self._photos is not None:
            self._photos.discard(photo_id)

    def _current(self, alert_id: str, expected_version: int) -> Alert:
        alert = self.get(alert_id)
        lifecycle.ensure_active(alert)
        if alert.version != expected_version:
            raise VersionMismatchError(expected_version, alert.version)
        return alert

    def _write(self, alert: Alert, expected_version: int, audit: AuditRecord) -> Alert:
        try:
            self._store.replace(alert, expected_version, audit)
        except StaleWriteError:
            current = self.get(alert.id)
            lifecycle.ensure_active(current)
            raise VersionMismatchError(expected_version, current.version) from None
        _log("alert updated", alert)
        return alert


def audit_record(
    alert: Alert, action: AuditAction, actor: Actor, changed: list[str] | None = None, reason: str | None = None
) -> AuditRecord:
    return AuditRecord(
        alert_id=alert.id,
        reference=alert.reference,
        version=alert.version,
        action=action,
        at=alert.updated_at,
        principal=actor.principal,
        request_id=actor.request_id,
        level=alert.level,
        status=alert.status,
        channels=list(deployed_channels_for(alert.level)),
        changed=changed or [],
        reason=reason,
    )


def _repeated(existing: Alert, request: AlertCreate) -> Alert:
    """The alert a repeated create names by its reference, unless that alert has another status: an actual create
    answered with an exercise (or the reverse) would say the alert went out where it never will."""
    if existing.status != request.status:
        raise StatusMismatchError(existing.id, request.status, existing.status, pointer="/status")
    _log("alert create repeated", existing)
    return existing


def _log(event: str, alert: Alert) -> None:
    logger.info(
        event,
        extra={
            "alert_id": alert.id,
            "reference": alert.reference,
            "version": alert.version,
            "state": alert.state,
            "alert_level": alert.level,
            "status": alert.status,
        },
    )
