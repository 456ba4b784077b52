"""What the admin's console shows: the delivery watch behind the 60-second alarm, and the EMF metrics."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.adapters.alert_table import AlertTable
from chalicelib.adapters.clients import dynamodb_client
from chalicelib.alerts.service import audit_record
from chalicelib.channels.policy import CHANNELS
from chalicelib.clock import utc_now
from chalicelib.models.alert import Alert
from chalicelib.models.audit import UNATTRIBUTED
from tests.conftest import alert, alert_body
from tests.functional.conftest import FanOut, send


def metrics(output: str) -> list[dict[str, Any]]:
    """The embedded-metric-format documents among the captured output lines."""
    documents = [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]
    return [document for document in documents if "CloudWatchMetrics" in document["_aws"]]


def values(output: str, name: str) -> list[tuple[str, float]]:
    return [(doc.get("channel", ""), value) for doc in metrics(output) if name in doc for value in doc[name]]


def stored_minutes_ago(table: str, minutes: int, **overrides: Any) -> Alert:
    stored = alert(alert_id=str(uuid.uuid4()), at=utc_now() - timedelta(minutes=minutes), **overrides)
    AlertTable(dynamodb_client(), table).insert(stored, audit_record(stored, "created", UNATTRIBUTED))
    return stored


def watch(client: Any) -> dict[str, Any]:
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    return dict(client.lambda_.invoke("watch_deliveries", event).payload)


def test_the_watch_counts_each_undelivered_channel_of_a_late_kind_alarm(client, aws, capsys, caplog):
    # Given a kind_alarm stored two minutes ago that no channel has delivered
    stored_minutes_ago(aws["AlertsTableName"], 2, reference="BN-LATE-1")
    capsys.readouterr()
    # When the scheduled watch runs
    result = watch(client)
    # Then it reports every channel as late, as a metric the alarm reads and in the log
    output = capsys.readouterr().out
    assert result == {"late": len(CHANNELS)}
    assert values(output, "UndeliveredChannels") == [("", float(len(CHANNELS)))]
    late = [record for record in caplog.records if record.getMessage() == "channel late"]
    assert sorted(record.channel for record in late) == sorted(CHANNELS)


def test_the_watch_reports_zero_when_all_is_delivered_or_over(client, aws, fan_out: FanOut, capsys):
    # Given a late alert that every channel then delivered, and one that was cancelled
    stored_minutes_ago(aws["AlertsTableName"], 3, reference="BN-LATE-2")
    cancelled = stored_minutes_ago(aws["AlertsTableName"], 5, reference="BN-LATE-3")
    assert send(client, "POST", f"/alerts/{cancelled.id}/cancel", {"reason": "found"}).status_code == 200
    fan_out.runner.drain()
    capsys.readouterr()
    # When the watch runs
    result = watch(client)
    # Then nothing is late, and the metric says so (a missing metric would raise the alarm)
    assert result == {"late": 0}
    assert values(capsys.readouterr().out, "UndeliveredChannels") == [("", 0.0)]


def test_only_active_alerts_are_in_the_lifecycle_index(client, aws):
    table = AlertTable(dynamodb_client(), aws["AlertsTableName"])
    active = stored_minutes_ago(aws["AlertsTableName"], 1, reference="BN-IDX-1")
    gone = stored_minutes_ago(aws["AlertsTableName"], 1, reference="BN-IDX-2")
    send(client, "POST", f"/alerts/{gone.id}/cancel", {"reason": "withdrawn"})
    assert [alert.id for alert in table.active()] == [active.id]
    ends = int(active.expires_at.timestamp())
    assert table.active(ending_before=ends) == []
    assert [alert.id for alert in table.active(ending_before=ends + 1)] == [active.id]


@pytest.mark.usefixtures("aws")
def test_alerts_and_deliveries_are_counted_per_channel_without_child_data(client, fan_out: FanOut, capsys):
    # Given an alert created through the API and fanned out
    capsys.readouterr()
    assert send(client, "POST", "/alerts", alert_body(reference="BN-METRICS-1")).status_code == 201
    assert send(client, "POST", "/alerts", alert_body(reference="BN-METRICS-1")).status_code == 200
    fan_out.runner.drain()
    output = capsys.readouterr().out
    # Then one alert was received (the repeat is not counted) and every channel counted one delivery with its delay
    assert values(output, "AlertsReceived") == [("", 1.0)]
    assert sorted(channel for channel, _ in values(output, "Deliveries")) == sorted(CHANNELS)
    delays = values(output, "SecondsToDelivery")
    assert sorted(channel for channel, _ in delays) == sorted(CHANNELS)
    assert all(0 <= seconds < 60 for _, seconds in delays)
    # And the metric documents carry only names, numbers and dimensions
    for document in metrics(output):
        assert set(document) - {"_aws", "service", "channel"} <= {
            "AlertsReceived",
            "Deliveries",
            "DeliveryFailures",
            "SecondsToDelivery",
        }
