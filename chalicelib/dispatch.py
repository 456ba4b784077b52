"""Alerts table stream records → alert events. Pure: the dispatcher function publishes what this returns."""

from __future__ import annotations

from typing import Any

from chalicelib.models.events import AlertEvent, EventKind

_TERMINAL_KINDS: dict[str, EventKind] = {"cancelled": "cancelled", "expired": "expired"}


def event_from_record(record: dict[str, Any]) -> AlertEvent | None:
    """The event a stream record stands for, or None when it is no accepted alert change.

    Delivery and reference items share the table and are ignored, so the channels' own writes never
    loop back; a record whose version did not move (an identical re-put) is no change.
    """
    change = record.get("dynamodb", {})
    new, old = change.get("NewImage"), change.get("OldImage")
    if record.get("eventName") == "REMOVE" or not new or _text(new, "kind") != "alert":
        return None
    version = int(new["version"]["N"])
    if old and int(old["version"]["N"]) >= version:
        return None
    return AlertEvent.model_validate(
        {
            "alert_id": _text(new, "id"),
            "version": version,
            "kind": _kind(new, old),
            "level": _text(new, "level"),
            "status": _text(new, "status"),
            "occurred_at": _text(new, "updated_at"),
        }
    )


def _kind(new: dict[str, Any], old: dict[str, Any] | None) -> EventKind:
    state = _text(new, "state")
    if state in _TERMINAL_KINDS and (old is None or _text(old, "state") != state):
        return _TERMINAL_KINDS[state]
    return "published" if old is None else "updated"


def _text(image: dict[str, Any], name: str) -> str:
    return str(image.get(name, {}).get("S", ""))
