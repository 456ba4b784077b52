"""Stream records become alert events; everything that is not an accepted alert change is ignored."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.dispatch import event_from_record


def image(version: int, state: str = "active", kind: str = "alert", **extra: str) -> dict[str, Any]:
    return {
        "kind": {"S": kind},
        "id": {"S": "a-1"},
        "version": {"N": str(version)},
        "state": {"S": state},
        "level": {"S": "kind_alarm"},
        "status": {"S": "exercise"},
        "updated_at": {"S": f"2026-11-28T15:0{version}:00Z"},
        **{key: {"S": value} for key, value in extra.items()},
    }


def record(name: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"SequenceNumber": "1"}
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    return {"eventName": name, "dynamodb": change}


@pytest.mark.parametrize(
    ("stream_record", "kind", "version"),
    [
        (record("INSERT", image(1)), "published", 1),
        (record("MODIFY", image(2), image(1)), "updated", 2),
        (record("MODIFY", image(3, "cancelled"), image(2)), "cancelled", 3),
        (record("MODIFY", image(2, "expired"), image(1)), "expired", 2),
    ],
)
def test_alert_changes_become_events(stream_record, kind, version):
    event = event_from_record(stream_record)
    assert event is not None
    assert (event.alert_id, event.kind, event.version, event.level, event.status) == (
        "a-1",
        kind,
        version,
        "kind_alarm",
        "exercise",
    )


@pytest.mark.parametrize(
    "stream_record",
    [
        record("INSERT", image(1, kind="reference")),
        record("INSERT", image(1, kind="delivery")),
        record("MODIFY", image(1, kind="delivery"), image(1, kind="delivery")),
        record("MODIFY", image(2), image(2)),
        record("REMOVE", None, image(3, "cancelled")),
    ],
    ids=["reference item", "delivery record", "delivery update", "identical re-put", "removal"],
)
def test_other_records_are_ignored(stream_record):
    assert event_from_record(stream_record) is None


def test_events_carry_no_child_data():
    event = event_from_record(record("INSERT", image(1, child_name="Sanne")))
    assert event is not None
    assert "Sanne" not in event.model_dump_json()
