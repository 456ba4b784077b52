"""The alert state machine, without storage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.alerts import lifecycle
from chalicelib.errors import AlertClosedError, InvalidAlertError
from tests.conftest import ALERT_ID, CREATED_AT, alert

NOW = CREATED_AT


def test_a_new_alert_is_active_at_version_one():
    current = alert()
    assert (current.id, current.version, current.state) == (ALERT_ID, 1, "active")
    assert current.created_at == current.updated_at == NOW


def test_a_revision_bumps_the_version_and_keeps_identity():
    current = alert()
    content = lifecycle.patched_content(current, {"child": {"description": "blauwe jas"}})
    later = NOW + timedelta(minutes=5)
    revised = lifecycle.revise(current, content, later)
    assert revised.version == 2
    assert revised.child.description == "blauwe jas"
    assert revised.child.name == "Sanne de Vries"
    assert (revised.id, revised.reference, revised.created_at, revised.updated_at) == (
        current.id,
        current.reference,
        NOW,
        later,
    )


def test_null_in_a_patch_removes_an_optional_field():
    current = alert()
    content = lifecycle.patched_content(current, {"child": {"age": None}, "headline": {"en": None}})
    assert content.child.age is None
    assert content.headline.en is None
    assert content.headline.nl == current.headline.nl


def test_null_on_a_required_field_is_an_error_naming_it():
    with pytest.raises(InvalidAlertError) as caught:
        lifecycle.patched_content(alert(), {"contact": None})
    assert [error.pointer for error in caught.value.errors] == ["/contact"]


@pytest.mark.parametrize("field", ["reference", "level", "status"])
def test_identity_fields_cannot_be_patched(field):
    with pytest.raises(InvalidAlertError) as caught:
        lifecycle.patched_content(alert(), {field: "x"})
    assert caught.value.errors[0].pointer == f"/{field}"
    assert "cannot be changed" in caught.value.errors[0].detail


@pytest.mark.parametrize("field", ["id", "version", "state", "deliveries"])
def test_server_fields_are_unknown_to_a_patch(field):
    with pytest.raises(InvalidAlertError) as caught:
        lifecycle.patched_content(alert(), {field: 3})
    assert caught.value.errors[0].pointer == f"/{field}"


def test_an_empty_patch_is_an_error():
    with pytest.raises(InvalidAlertError):
        lifecycle.patched_content(alert(), {})


def test_cancel_is_terminal():
    cancelled = lifecycle.cancel(alert(), "found", NOW)
    assert (cancelled.state, cancelled.version) == ("cancelled", 2)
    assert cancelled.cancellation is not None
    assert cancelled.cancellation.reason == "found"
    content = lifecycle.patched_content(cancelled, {"contact": {"phone": "112"}})
    with pytest.raises(AlertClosedError):
        lifecycle.revise(cancelled, content, NOW)
    with pytest.raises(AlertClosedError):
        lifecycle.cancel(cancelled, "withdrawn", NOW)


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7396(target, patch, expected):
    assert lifecycle.merge_patch(target, patch) == expected


def test_an_area_is_replaced_whole():
    current = alert()
    content = lifecycle.patched_content(current, {"area": {"type": "national"}})
    assert content.area.type == "national"
    polygon = [[[5.0, 52.0], [5.2, 52.0], [5.2, 52.2], [5.0, 52.0]]]
    content = lifecycle.patched_content(current, {"area": {"type": "polygon", "coordinates": polygon}})
    assert content.area.type == "polygon"
