"""Erasing the child's data once an alert's retention has passed, keeping the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from chalicelib.alerts.service import audit_record
from chalicelib.alerts.store import StaleWriteError
from chalicelib.clock import utc_now
from chalicelib.models.alert import Alert
from chalicelib.models.audit import Actor, AuditRecord
from chalicelib.observability import logger


class RetainedAlerts(Protocol):
    def retained(self, ending_before: int) -> list[Alert]: ...

    def purge(self, alert: Alert, audit: AuditRecord) -> None: ...


class FeedFiles(Protocol):
    def erase(self, alert_id: str, at: datetime) -> None: ...


class RetentionPurge:
    """Cancelled and expired alerts past their retention lose every item and file holding the child's details.

    The files go first (the alert's CAP messages and index lines, its «found» page on the public site; public and
    sandbox), then the table's items, so a run that fails in between finds the alert again next time. The table's
    TTL on ``purge_at`` and the bucket's lifecycle rule on ``feed/`` do the same within a day or two; this scheduled
    run makes it prompt and leaves a ``purged`` audit record.
    """

    def __init__(
        self, alerts: RetainedAlerts, files: Sequence[FeedFiles], clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._alerts = alerts
        self._files = files
        self._clock = clock

    def run(self, actor: Actor) -> list[str]:
        now = self._clock()
        purged = []
        for alert in self._alerts.retained(ending_before=int(now.timestamp()) + 1):
            if self._purge(alert, audit_record(alert, "purged", actor).model_copy(update={"at": now, "channels": []})):
                purged.append(alert.id)
        return purged

    def _purge(self, alert: Alert, audit: AuditRecord) -> bool:
        """Erase one alert: its files, then its items. One that fails stays for the next run; the others go on."""
        try:
            for files in self._files:
                files.erase(alert.id, audit.at)
            self._alerts.purge(alert, audit)
        except StaleWriteError:
            return False
        except Exception:  # noqa: BLE001 - one alert's failure must not keep every other child's data
            logger.exception("alert not purged; the next run tries again", extra={"alert_id": alert.id})
            return False
        logger.info("alert purged", extra={"alert_id": alert.id, "reference": alert.reference})
        return True
