"""The alert state machine: how a create, a change or a cancel turns one alert into the next. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.errors import AlertClosedError, FieldError, InvalidAlertError
from chalicelib.models.alert import IMMUTABLE_FIELDS, MUTABLE_FIELDS, Alert, AlertContent, AlertCreate, CancelReason
from chalicelib.models.validation import parse_model

TERMINAL_STATES = frozenset({"cancelled", "expired"})


def new_alert(request: AlertCreate, alert_id: str, now: datetime) -> Alert:
    return Alert(
        **request.model_dump(exclude_none=True),
        id=alert_id,
        version=1,
        state="active",
        created_at=now,
        updated_at=now,
    )


def ensure_active(alert: Alert) -> None:
    if alert.state in TERMINAL_STATES:
        raise AlertClosedError(alert.id, alert.state)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge member by member, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


# A geometry or a photo is one value: a circle patched onto a polygon must not keep the polygon's members.
WHOLE_VALUE_FIELDS = frozenset({"area", "photo"})


def patched_content(alert: Alert, patch: dict[str, Any]) -> AlertContent:
    """The alert's content with ``patch`` merged in, validated as a whole."""
    _check_patch_fields(patch)
    replaced = WHOLE_VALUE_FIELDS & patch.keys()
    if patch.get("photo") is not None:
        replaced |= {"photo_id"}  # a new inline photo takes the place of the stored one
    base = {key: value for key, value in alert.content().items() if key not in replaced}
    return parse_model(AlertContent, merge_patch(base, patch))


def revise(alert: Alert, content: AlertContent, now: datetime) -> Alert:
    ensure_active(alert)
    return _next_version(alert, now, **content.model_dump())


def cancel(alert: Alert, reason: CancelReason, now: datetime) -> Alert:
    ensure_active(alert)
    return _next_version(alert, now, state="cancelled", cancellation={"reason": reason, "at": now})


def expire(alert: Alert, now: datetime) -> Alert:
    ensure_active(alert)
    return _next_version(alert, now, state="expired")


def _next_version(alert: Alert, now: datetime, **changes: Any) -> Alert:
    return Alert.model_validate(
        {**alert.model_dump(), **changes, "version": alert.version + 1, "updated_at": now},
        strict=False,
    )


def _check_patch_fields(patch: dict[str, Any]) -> None:
    if not patch:
        raise InvalidAlertError((FieldError("name at least one field to change", pointer=""),))
    errors = [
        FieldError("cannot be changed after create; cancel this alert and create a new one", pointer=f"/{key}")
        for key in patch
        if key in IMMUTABLE_FIELDS
    ]
    errors += [FieldError("unknown field", pointer=f"/{key}") for key in patch if key not in _PATCHABLE_OR_KNOWN]
    if errors:
        raise InvalidAlertError(tuple(errors))


_PATCHABLE_OR_KNOWN = MUTABLE_FIELDS | IMMUTABLE_FIELDS
