"""The child's details never reach the logs, on the happy path or any error path."""

from __future__ import annotations

import base64
import io
import json
import logging

import pytest
from PIL import Image

from chalicelib.geo.cover import device_cell
from chalicelib.observability import logger
from chalicelib.wiring import wiring
from devstack.sink import Misbehaviour
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

    monkeypatch.setattr(wiring().alert_service._store, "insert", broken)
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


def test_no_child_details_photo_links_or_tokens_in_the_logs_of_the_fan_out(client, fan_out, log_lines):
    # Given a device, an alert with a photo going out on every channel, one partner failing once, and a cancel
    token = "d" * 64
    device = {"platform": "apns", "token": token, "location": {"lat": 52.09, "lon": 5.12}}
    assert send(client, "PUT", "/devices/phone", device).status_code == 201
    out = io.BytesIO()
    Image.new("RGB", (400, 500), (120, 90, 80)).save(out, "JPEG")
    photo = {"content_type": "image/jpeg", "data": base64.b64encode(out.getvalue()).decode()}
    body = alert_body(child={"name": "Sanne de Vries", "description": "rode jas"}, photo=photo)
    alert = json.loads(send(client, "POST", "/alerts", body).body)
    fan_out.sink.misbehave("anp", Misbehaviour(times=1))
    fan_out.runner.drain()
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then the logs name the alert and the channels, and nothing about the child, its photo or the device
    output = log_lines()
    assert alert["id"] in output
    assert "delivery retracted" in output
    photo_url = fan_out.sink.deliveries("nos")[0]["payload"]["alert"]["photo_url"]
    for secret in (*SECRETS, token, photo_url.split("?")[0], "X-Amz-Signature"):
        assert secret not in output


def test_a_device_is_logged_by_its_id_never_its_cell_or_token(client, fan_out, log_lines):
    # Given a device registered, moved, refreshed, reported by SNS and removed
    utrecht, groningen = {"lat": 52.0907, "lon": 5.1214}, {"lat": 53.2194, "lon": 6.5665}
    token, refreshed = "e" * 64, "f" * 64
    for location, current in ((utrecht, token), (groningen, token), (groningen, refreshed)):
        body = {"platform": "fcm", "token": current, "location": location}
        assert send(client, "PUT", "/devices/install-7", body).status_code in (201, 204)
    send(client, "DELETE", "/devices/install-7")
    # Then the logs follow the device by its id
    output = log_lines()
    assert "install-7" in output
    assert "device registered" in output and "device unregistered" in output
    # And never say where it is, not even as the H3 cell (nor the cell's topic), nor its tokens
    for location in (utrecht, groningen):
        assert device_cell(location["lat"], location["lon"]) not in output
    for secret in (token, refreshed, "52.09", "5.121", "53.21", "6.566"):
        assert secret not in output
