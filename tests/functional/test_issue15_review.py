"""Review of issue 15 on moto: a report that keeps every channel event whatever a function's write or life does."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest

from chalicelib.adapters import timeline_table
from chalicelib.alerts.report import ChannelEvent, TargetOutcome
from chalicelib.wiring import reset, wiring
from tests.functional.conftest import create, send


def report_of(client: Any, alert_id: str) -> dict[str, Any]:
    response = send(client, "GET", f"/alerts/{alert_id}/report")
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def news_versions(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {outcome["version"]: outcome for outcome in report["channels"]["news_media"]["versions"]}


def shown_and_withdrawn(client: Any, fan_out: Any) -> dict[str, Any]:
    """An alert delivered on every channel, then cancelled and retracted: the delivery records now say retracted."""
    alert = create(client, fan_out)
    assert send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "withdrawn"}).status_code == 200
    fan_out.runner.drain()
    return alert


def test_a_timeline_write_refused_once_is_made_again_and_outlives_the_delivery_record(client, fan_out, monkeypatch):
    # Given the table refusing news_media's first timeline write (throttled)
    store = wiring().timeline_table
    write = store.add
    refused: list[ChannelEvent] = []

    def throttled_once(event: ChannelEvent) -> bool:
        if event.channel == "news_media" and event.state == "delivered" and not refused:
            refused.append(event)
            raise RuntimeError("ProvisionedThroughputExceededException")
        return write(event)

    monkeypatch.setattr(store, "add", throttled_once)
    # When the alert goes out and is withdrawn (the delivery record no longer says delivered)
    alert = shown_and_withdrawn(client, fan_out)
    assert refused
    # Then the report still shows news_media delivering version 1, with its seconds
    versions = news_versions(report_of(client, alert["id"]))
    assert versions[1]["delivered"]["seconds"] >= 0, versions
    assert versions[2]["retracted"]["seconds"] >= 0


def test_a_channel_function_that_dies_after_recording_its_delivery_still_leaves_the_event(client, fan_out, monkeypatch):
    # Given news_media's function dying right after it recorded the delivery, before anything else (a timeout)
    worker = wiring().worker("news_media")
    recorded = worker._on_recorded
    died: list[str] = []

    def dies_once(record: Any) -> None:
        if record.state == "delivered" and not died:
            died.append(record.alert_id)
            raise TimeoutError("Task timed out")
        assert recorded is not None
        recorded(record)

    monkeypatch.setattr(worker, "_on_recorded", dies_once)
    # When SQS gives the message again (the record says delivered: a duplicate), then the alert is withdrawn
    alert = shown_and_withdrawn(client, fan_out)
    assert died == [alert["id"]]
    # Then the report still shows the delivery of version 1
    versions = news_versions(report_of(client, alert["id"]))
    assert versions[1]["delivered"]["seconds"] >= 0, versions


@pytest.mark.parametrize("alert_id", ["%00", "0F8FAD5B-D9CB-469F-A165-70867728950E", "é" * 300, "..%2F..%2Fcanary"])
def test_odd_ids_have_no_report_and_no_5xx(client, alert_id):
    response = send(client, "GET", f"/alerts/{alert_id}/report")
    assert response.status_code == 404, response.body


def test_a_timeline_over_one_query_page_is_read_whole(client, fan_out, monkeypatch):
    # Given an alert whose channel events take more than one page of the query (DynamoDB ends one at 1 MB: a
    # partner failing through many retries; here pages of 10 events)
    monkeypatch.setattr(timeline_table, "TimelineTable", partial(timeline_table.TimelineTable, page_items=10))
    reset()
    alert = create(client, fan_out)
    store = wiring().timeline_table
    first = store.for_alert(alert["id"])[0]
    outcome = TargetOutcome(state="failed", version=1, attempts=1, reason="answered HTTP 503")
    targets = {f"matrix-sign-{index:02d}": outcome for index in range(20)}
    failures = 35
    for attempt in range(1, failures + 1):
        update = {"channel": "road_signs", "state": "failed", "attempt": attempt, "targets": targets}
        assert store.add(first.model_copy(update=update))
    # When the report is read
    report = report_of(client, alert["id"])
    # Then every attempt is in it
    signs = {outcome["version"]: outcome for outcome in report["channels"]["road_signs"]["versions"]}
    assert signs[1]["failed_attempts"] == failures
