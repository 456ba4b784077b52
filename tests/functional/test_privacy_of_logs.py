"""The child's details never reach the logs, on the happy path or any error path."""

from __future__ import annotations

import json
import logging

import pytest

import app as api
from chalicelib.observability import logger
from tests.conftest import alert_body
from tests.functional.conftest import send

SECRETS = ("Sanne de Vries", "rode jas", "Zoë Anaïs", "blauwe muts")


@pytest.fixture
def log_lines(caplog, capfd):
    caplog.set_level(logging.DEBUG)

    def lines() -> str:
        formatted = [logger.registered_formatter.format(record) for record in caplog.records]
        return "\n".join(formatted) + capfd.readouterr().out + capfd.readouterr().err

    return lines


def test_no_child_details_in_any_log_line(client, log_lines, monkeypatch):
    # Given a full lifecycle plus failures that carry the child's details in their input
    body = alert_body(child={"name": "Sanne de Vries", "age": 9, "description": "rode jas"})
    alert = json.loads(send(client, "POST", "/alerts", body).body)
    path = f"/alerts/{alert['id']}"
    send(client, "POST", "/alerts", body)
    send(client, "PATCH", path, {"child": {"name": "Zoë Anaïs", "description": "blauwe muts"}}, **{"If-Match": '"1"'})
    send(client, "PATCH", path, {"child": {"name": "Zoë Anaïs", "age": "x"}}, **{"If-Match": '"2"'})
    send(client, "PATCH", path, {"child": {"name": "Zoë Anaïs"}}, **{"If-Match": '"1"'})
    send(client, "POST", "/alerts", alert_body(reference="BN-2", child={"name": "Sanne de Vries", "hair": "rode jas"}))
    send(client, "POST", "/alerts", '{"child": {"name": "Sanne de Vries"')

    def broken(alert):
        raise ValueError(f"cannot store {alert.child.name}, {alert.child.description}")

    monkeypatch.setattr(api.alert_service()._store, "insert", broken)
    assert send(client, "POST", "/alerts", alert_body(reference="BN-3", child=body["child"])).status_code == 500
    send(client, "POST", f"{path}/cancel", {"reason": "found"})
    # Then the logs tell what happened, by alert id and reference
    output = log_lines()
    assert alert["id"] in output
    assert "BN-2026-000123" in output
    assert "unexpected error" in output
    # And nothing about the child
    for secret in SECRETS:
        assert secret not in output
