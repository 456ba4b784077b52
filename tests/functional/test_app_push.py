"""App push through the fan-out: which topics an alert publishes to, with what, and the retraction."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends

from chalicelib.channels.app_push import area_cells
from chalicelib.geo.cover import circle_cover, device_cell
from chalicelib.models.alert import CircleArea
from tests.functional.conftest import create, send
from tests.functional.test_devices import record

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


def cancel(client, fan_out, alert: dict[str, Any]) -> None:
    assert send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"}).status_code == 200
    fan_out.runner.drain()


def retractions(alert_id: str, topic: str) -> list[dict[str, Any]]:
    """The retractions of the alert published to the topic: the message per platform, and the attributes."""
    found = []
    for sent in published().get(topic, []):
        message = {
            platform: json.loads(payload) for platform, payload in sent["message"].items() if platform != "default"
        }
        data = message["GCM"]["fcmV1Message"]["message"]["data"]
        if data["alert_id"] == alert_id and data["state"] != "active":
            found.append({**message, "attributes": sent["attributes"]})
    return found


def subscribed(fan_out, device_id: str) -> list[str]:
    """The names of the topics the device's endpoint is subscribed to now."""
    endpoint = record(fan_out.outputs, device_id)["endpoint_arn"]["S"]
    subscriptions = boto3.client("sns").list_subscriptions()["Subscriptions"]
    return sorted(s["TopicArn"].rsplit(":", 1)[1] for s in subscriptions if s["Endpoint"] == endpoint)


def move(client, device_id: str, where: tuple[float, float]) -> None:
    body = {"platform": "fcm", "token": TOKEN + device_id, "location": {"lat": where[0], "lon": where[1]}}
    assert send(client, "PUT", f"/devices/{device_id}", body).status_code == 204


MAASTRICHT = (50.8514, 5.6910)


@pytest.mark.parametrize("moves", [[GRONINGEN], [GRONINGEN, MAASTRICHT]], ids=["once", "twice"])
def test_a_phone_that_moved_to_another_province_after_the_alert_gets_the_retraction(client, fan_out, moves):
    # Given a phone in Utrecht that gets a regional alert there
    register(client, "phone", UTRECHT)
    alert = create(client, fan_out, area={"type": "circle", "lat": 52.0894, "lon": 5.1101, "radius_km": 15})
    assert published()[f"{PREFIX}nl-cell-{device_cell(*UTRECHT)}"]
    # And then moves to another province (and on), so its registration leaves the Utrecht cell
    for where in moves:
        move(client, "phone", where)
    topics = subscribed(fan_out, "phone")
    assert f"{PREFIX}nl-cell-{device_cell(*UTRECHT)}" not in topics
    # When the child is found
    cancel(client, fan_out, alert)
    # Then a topic the phone is subscribed to carried the retraction: the national one, with no child data
    reached = [topic for topic in topics if retractions(alert["id"], topic)]
    assert reached == [f"{PREFIX}nl-national"]
    (quiet,) = retractions(alert["id"], f"{PREFIX}nl-national")
    assert "Sanne" not in json.dumps(quiet)
    assert quiet["APNS"]["aps"]["alert"]["title"] == "Kind Alarm: Gevonden"
    assert quiet["attributes"]["AWS.SNS.MOBILE.APNS.COLLAPSE_ID"]["Value"] == alert["id"]
    assert "area" not in quiet["APNS"] and "image_url" not in quiet["APNS"]


def test_the_retraction_for_every_device_is_shown_only_where_the_alert_was(client, fan_out):
    # Given a regional alert, cancelled, and phones in both languages
    register(client, "phone", UTRECHT)
    register(client, "en-phone", GRONINGEN, language="en")
    alert = create(client, fan_out, area={"type": "circle", "lat": 52.0894, "lon": 5.1101, "radius_km": 15})
    cancel(client, fan_out, alert)
    # Then the cells it reached got the retraction as before: a notification the phone shows
    (shown,) = retractions(alert["id"], f"{PREFIX}nl-cell-{device_cell(*UTRECHT)}")
    assert shown["GCM"]["fcmV1Message"]["message"]["notification"]["title"] == "Kind Alarm: Gevonden"
    assert shown["APNS"]["aps"]["interruption-level"] == "time-sensitive"
    # And the national copy is one the app decides on: quiet on iOS (its extension drops it where the alert was
    # never shown), data only on Android, at normal priority and without the collapse key of the visible one
    for language in ("nl", "en"):
        (quiet,) = retractions(alert["id"], f"{PREFIX}{language}-national")
        assert quiet["APNS"]["aps"]["interruption-level"] == "passive" and "sound" not in quiet["APNS"]["aps"]
        assert quiet["APNS"]["aps"]["mutable-content"] == 1
        fcm = quiet["GCM"]["fcmV1Message"]["message"]
        assert "notification" not in fcm and fcm["android"] == {"priority": "normal"}
        assert fcm["data"]["title"] == quiet["APNS"]["aps"]["alert"]["title"]
        assert fcm["data"]["body"] == quiet["APNS"]["aps"]["alert"]["body"]
        assert (fcm["data"]["alert_id"], fcm["data"]["state"]) == (alert["id"], "cancelled")


def test_a_national_alert_is_retracted_once_per_language(client, fan_out):
    register(client, "phone", UTRECHT)
    alert = create(client, fan_out, area={"type": "national"})
    cancel(client, fan_out, alert)
    (retraction,) = retractions(alert["id"], f"{PREFIX}nl-national")
    assert "notification" in retraction["GCM"]["fcmV1Message"]["message"]


def test_an_exercise_is_retracted_on_the_test_topics_only(client, fan_out):
    register(client, "test-phone", UTRECHT, test_device=True)
    alert = create(
        client, fan_out, status="exercise", area={"type": "circle", "lat": 52.09, "lon": 5.11, "radius_km": 9}
    )
    cancel(client, fan_out, alert)
    # Then only the test topics carried it (the English one has no device, so no topic)
    assert [topic for topic in published() if retractions(alert["id"], topic)] == [f"{PREFIX}nl-test"]
