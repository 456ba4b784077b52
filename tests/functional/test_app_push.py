"""App push through the fan-out: which topics an alert publishes to, with what, and the retraction."""

from __future__ import annotations

import json
from typing import Any

from moto.sns.models import sns_backends

from chalicelib.channels.app_push import area_cells
from chalicelib.geo.cover import circle_cover, device_cell
from chalicelib.models.alert import CircleArea
from tests.functional.conftest import create, send

PREFIX = "kind-alarm-local-push-"
UTRECHT = (52.0907, 5.1214)
GRONINGEN = (53.2194, 6.5665)
TOKEN = "c" * 64


def published(prefix: str = PREFIX) -> dict[str, list[dict[str, Any]]]:
    """Every publish moto recorded per push topic: the message structure and attributes."""
    topics = sns_backends["123456789012"]["eu-west-1"].topics
    return {
        arn.rsplit(":", 1)[1]: [
            {"message": json.loads(message), "attributes": attributes or {}}
            for _, message, _, attributes, _ in topic.sent_notifications
        ]
        for arn, topic in topics.items()
        if arn.rsplit(":", 1)[1].startswith(prefix) and topic.sent_notifications
    }


def register(client, device_id: str, where: tuple[float, float], **fields: Any) -> None:
    body = {"platform": "fcm", "token": TOKEN + device_id, "location": {"lat": where[0], "lon": where[1]}, **fields}
    assert send(client, "PUT", f"/devices/{device_id}", body).status_code == 201


def test_a_national_alert_is_one_publish_per_language(client, fan_out):
    register(client, "nl-phone", UTRECHT)
    register(client, "en-phone", GRONINGEN, language="en")
    alert = create(client, fan_out, area={"type": "national"})
    sent = published()
    assert sorted(sent) == [f"{PREFIX}en-national", f"{PREFIX}nl-national"]
    message = sent[f"{PREFIX}nl-national"][0]["message"]
    apns = json.loads(message["APNS"])
    assert apns["aps"]["alert"]["title"] == "Kind Alarm: Sanne de Vries"
    assert apns["aps"]["thread-id"] == alert["id"]
    fcm = json.loads(message["GCM"])["fcmV1Message"]["message"]
    assert fcm["android"]["collapse_key"] == alert["id"]
    assert fcm["notification"]["body"].startswith("Sanne (9) vermist in Utrecht")
    english = json.loads(sent[f"{PREFIX}en-national"][0]["message"]["APNS"])
    assert english["aps"]["alert"]["title"] == "Child Alert: Sanne de Vries"
    assert english["aps"]["alert"]["body"].startswith("Sanne (9) missing in Utrecht")
    attributes = sent[f"{PREFIX}nl-national"][0]["attributes"]
    assert attributes["AWS.SNS.MOBILE.APNS.COLLAPSE_ID"]["Value"] == alert["id"]
    for platform in ("APNS", "APNS_SANDBOX", "GCM"):
        assert len(message[platform].encode()) <= 4096


def test_a_circle_alert_reaches_the_cells_in_the_area_and_not_beyond(client, fan_out):
    register(client, "utrecht", UTRECHT)
    register(client, "groningen", GRONINGEN)
    create(client, fan_out, area={"type": "circle", "lat": 52.0894, "lon": 5.1101, "radius_km": 15})
    sent = published()
    assert f"{PREFIX}nl-cell-{device_cell(*UTRECHT)}" in sent
    assert f"{PREFIX}nl-cell-{device_cell(*GRONINGEN)}" not in sent
    assert f"{PREFIX}nl-national" not in sent
    cover = set(circle_cover(52.0894, 5.1101, 15))
    assert {name.rsplit("-", 1)[1] for name in sent} <= cover


def test_a_polygon_alert_reaches_the_cells_in_the_polygon(client, fan_out):
    register(client, "utrecht", UTRECHT)
    register(client, "groningen", GRONINGEN)
    around_groningen = [[[6.4, 53.1], [6.8, 53.1], [6.8, 53.35], [6.4, 53.35], [6.4, 53.1]]]
    create(client, fan_out, area={"type": "polygon", "coordinates": around_groningen})
    assert sorted(published()) == [f"{PREFIX}nl-cell-{device_cell(*GRONINGEN)}"]


def test_exercises_reach_only_the_test_devices(client, fan_out):
    register(client, "public-phone", UTRECHT)
    register(client, "test-phone", UTRECHT, test_device=True)
    create(client, fan_out, status="exercise", area={"type": "national"})
    assert sorted(published()) == [f"{PREFIX}nl-test"]


def test_cancel_replaces_the_notification_with_gevonden(client, fan_out):
    register(client, "phone", UTRECHT)
    alert = create(client, fan_out, area={"type": "national"})
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    first, last = published()[f"{PREFIX}nl-national"][0], published()[f"{PREFIX}nl-national"][-1]
    apns = json.loads(last["message"]["APNS"])
    assert apns["aps"]["alert"]["title"] == "Kind Alarm: Gevonden"
    assert "Sanne" not in json.dumps(last["message"])
    same = "AWS.SNS.MOBILE.APNS.COLLAPSE_ID"
    assert last["attributes"][same]["Value"] == first["attributes"][same]["Value"] == alert["id"]
    assert json.loads(last["message"]["GCM"])["fcmV1Message"]["message"]["android"]["collapse_key"] == alert["id"]


def test_the_push_delivery_is_recorded(client, fan_out):
    register(client, "phone", UTRECHT)
    alert = create(client, fan_out)
    record = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)["deliveries"]["app_push"]
    assert record["state"] == "delivered"
    # The reference is what the pushes reached, for the retraction to cover: the cells of the alert's area
    reached = json.loads(record["targets"]["app-users"]["reference"])
    area = CircleArea.model_validate(alert["area"])
    assert reached == {"national": False, "cells": area_cells(area)}
