"""The retention purge: one alert that cannot be erased does not keep every other child's data."""

from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.alerts import lifecycle
from chalicelib.alerts.retention import RetentionPurge
from chalicelib.models.alert import Alert
from chalicelib.models.audit import Actor, AuditRecord
from tests.conftest import alert

NOW = datetime(2026, 12, 30, 12, 0, tzinfo=timezone.utc)
ACTOR = Actor(principal="test", request_id="r")


class Retained:
    def __init__(self, alerts: list[Alert]) -> None:
        self.alerts = alerts
        self.purged: list[str] = []

    def retained(self, ending_before: int) -> list[Alert]:
        return list(self.alerts)

    def purge(self, alert: Alert, audit: AuditRecord) -> None:
        self.purged.append(alert.id)


class FilesFailingFor:
    def __init__(self, alert_id: str) -> None:
        self.alert_id = alert_id
        self.erased: list[str] = []

    def erase(self, alert_id: str, at: datetime) -> None:
        if alert_id == self.alert_id:
            raise OSError("S3 answered 500")
        self.erased.append(alert_id)


def ended(number: int) -> Alert:
    return lifecycle.cancel(alert(alert_id=f"00000000-0000-4000-8000-00000000000{number}"), "found", NOW)


def test_one_alert_whose_files_cannot_be_erased_does_not_keep_every_other_childs_data():
    first, second = ended(1), ended(2)
    alerts, files = Retained([first, second]), FilesFailingFor(first.id)
    purged = RetentionPurge(alerts, (files,), clock=lambda: NOW).run(ACTOR)
    # The second child's data is erased; the first alert's items stay, for the next run to try again
    assert purged == [second.id]
    assert alerts.purged == [second.id]
    assert files.erased == [second.id]
