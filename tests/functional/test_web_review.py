"""The web channel under the faults and races of the day: two functions at once, S3 failing between two calls, the
cost of a delivery in requests, and every way an alert ends."""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.s3.responses import S3Response
from PIL import Image

from chalicelib.adapters.clients import s3_client
from chalicelib.adapters.feed_store import FeedFile, FeedStore
from chalicelib.adapters.site_cache import SiteCache
from chalicelib.alerts import lifecycle
from chalicelib.alerts.retention import RetentionPurge
from chalicelib.channels.base import Assets
from chalicelib.channels.targets import OWN_AUDIENCES, PartnerTarget
from chalicelib.channels.web import WebChannel, WebSite
from chalicelib.channels.worker import IN_FLIGHT_SECONDS
from chalicelib.links import page_path
from chalicelib.models.alert import Alert
from chalicelib.models.audit import Actor
from chalicelib.wiring import wiring
from infra import channels as channel_functions
from tests.conftest import alert
from tests.functional import test_takedown_faults as faults
from tests.functional import test_takedown_review as review
from tests.functional.conftest import create, reset_process_caches, send
from tests.functional.test_takedown_faults import Crash, Hook, release_queued_messages
from tests.functional.test_web_channel import active_ids, distribution, holds_child, photo, site

# The takedown faults' fixtures: the functions' clock moved on with the queue, and retries that wait for the test.
queue_clock = faults.queue_clock
slow_retries = faults.slow_retries

SITE_URL = "https://kindalarm.example"
API_URL = "https://api.kindalarm.example"
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
WAIT = 30  # seconds a thread waits for the other before the test fails instead of hanging; nothing is timed
PUBLIC = PartnerTarget.model_validate(
    {"name": OWN_AUDIENCES["web"][0], "url": "https://internal.invalid/", "secret_parameter": "-"}
)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()


class Site(FeedStore):
    """The real store, running ``before[(operation, key)]`` once just before that call, and counting calls."""

    def __init__(self, bucket: str, prefix: str, before: dict[tuple[str, str], Callable[[], object]] | None = None):
        super().__init__(boto3.session.Session().client("s3", region_name="eu-west-1"), bucket, prefix)
        self.before = dict(before or {})
        self.calls: list[tuple[str, str]] = []

    def _call(self, operation: str, key: str) -> None:
        self.calls.append((operation, key))
        hook = self.before.pop((operation, key), None)
        if hook is not None:
            hook()

    def read(self, key: str) -> FeedFile | None:
        self._call("read", key)
        return super().read(key)

    def put(self, key: str, body: bytes, content_type: str, cache_control: str | None, **extra: Any) -> None:
        self._call("put", key)
        super().put(key, body, content_type, cache_control, **extra)

    def keys(self, under: str) -> list[str]:
        self._call("keys", under)
        return super().keys(under)

    def delete(self, key: str) -> None:
        self._call("delete", key)
        super().delete(key)


def web(
    bucket: str,
    before: dict[tuple[str, str], Callable[[], object]] | None = None,
    distribution_id: str = "",
) -> tuple[WebChannel, Site, Site]:
    """A web function of its own: its site files (with ``before`` hooks), its private index, its cache."""
    files, state = Site(bucket, "site/", before), Site(bucket, "web/")
    cache = SiteCache(boto3.client("cloudfront") if distribution_id else None, distribution_id)
    return WebChannel(WebSite(files, state, cache, SITE_URL), SITE_URL, API_URL), files, state


def content(channel: WebChannel, shown: Alert, photo: bool = True) -> dict[str, Any]:
    if shown.state != "active":
        return channel.render(shown, Assets(public_page="-"))
    return channel.render(shown, Assets(public_page="-", photo=None, page_photo=PHOTO if photo else None))


def updated(first: Alert, patch: dict[str, Any] | None = None, minutes: int = 1) -> Alert:
    changes = patch or {"contact": {"phone": "0800-1234"}}
    return lifecycle.revise(
        first, lifecycle.patched_content(first, changes), first.updated_at + timedelta(minutes=minutes)
    )


def found(shown: Alert, minutes: int = 2) -> Alert:
    return lifecycle.cancel(shown, "found", shown.updated_at + timedelta(minutes=minutes))


def images_of(aws: dict[str, str], alert_id: str, sandbox: bool = False) -> list[str]:
    folder = f"{'sandbox/' if sandbox else ''}alerts/{alert_id}/"
    return sorted(path.removeprefix(folder) for path in site(aws) if path.startswith(folder))


def invalidations(distribution_id: str) -> dict[str, set[str]]:
    """Every invalidation made on the distribution: its paths by its id."""
    cloudfront = boto3.client("cloudfront")
    listing = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"].get("Items", [])
    batches = (cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"]) for item in listing)
    return {
        batch["Invalidation"]["Id"]: set(batch["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", []))
        for batch in batches
    }


def invalidated_since(distribution_id: str, before: dict[str, set[str]]) -> set[str]:
    """The paths of the invalidations made since ``before``."""
    made = invalidations(distribution_id)
    return set().union(*(paths for made_id, paths in made.items() if made_id not in before))


def run_together(*jobs: Callable[[], object]) -> None:
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for done in [pool.submit(job) for job in jobs]:
            done.result(timeout=WAIT)


@pytest.fixture
def atomic_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto checks If-Match and then stores, in two steps another thread can come between; S3 does both at once."""
    lock = threading.Lock()
    original = S3Response.put_object

    def put_object(self: S3Response) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(S3Response, "put_object", put_object)


# Two versions at once.


def test_an_older_version_tidying_late_never_deletes_the_images_of_the_newer_page(aws):
    # Given version 2's function, which has put its images and is about to write its page, when version 1's function
    # (started first, slower) writes its page and tidies the images
    bucket = aws["PhotosBucketName"]
    first = alert(alert_id=str(uuid.uuid4()))
    second = updated(first)
    older, _, _ = web(bucket)
    older_content = content(older, first)
    newer, _, _ = web(bucket, {("read", page_path(first.id)): lambda: older.deliver(older_content, PUBLIC, "-", None)})
    # When version 2's function goes on
    newer.deliver(content(newer, second), PUBLIC, "-", None)
    # Then the page shows version 2, and the photo and card it names are there
    page = site(aws)[page_path(first.id)].decode()
    assert f"{SITE_URL}/alerts/{first.id}/photo-v2.jpg" in page
    assert images_of(aws, first.id) == ["card-v2.jpg", "photo-v2.jpg"]


# S3 failing between two calls.


def test_a_delete_failing_mid_tidy_still_invalidates_what_was_already_deleted(aws):
    # Given an alert on the site, behind CloudFront
    bucket = aws["PhotosBucketName"]
    distribution_id = distribution()
    first = alert(alert_id=str(uuid.uuid4()))
    channel, _, _ = web(bucket, distribution_id=distribution_id)
    channel.deliver(content(channel, first), PUBLIC, "-", None)
    before = invalidations(distribution_id)
    ended = found(first)
    failure = ClientError({"Error": {"Code": "InternalError", "Message": "try again"}}, "DeleteObject")

    def fail() -> None:
        raise failure

    # When the child is found and S3 fails to delete the photo, after the card was deleted
    failing, _, _ = web(bucket, {("delete", f"alerts/{first.id}/photo-v1.jpg"): fail}, distribution_id)
    with pytest.raises(ClientError):
        failing.retract(content(failing, ended), PUBLIC, "-", None)
    # and the retraction is made again
    channel.retract(content(channel, ended), PUBLIC, "-", None)
    # Then every image of the child is gone from the bucket and from CloudFront's caches, as is the page
    assert images_of(aws, first.id) == []
    folder = f"/alerts/{first.id}/"
    assert {f"{folder}card-v1.jpg", f"{folder}photo-v1.jpg"} <= invalidated_since(distribution_id, before)
    assert holds_child(site(aws)[page_path(first.id)]) == []
    assert active_ids(site(aws)) == []


def test_the_found_page_is_invalidated_even_when_the_index_cannot_be_written(aws):
    # Given an alert on the site, behind CloudFront
    bucket = aws["PhotosBucketName"]
    distribution_id = distribution()
    first = alert(alert_id=str(uuid.uuid4()))
    channel, _, _ = web(bucket, distribution_id=distribution_id)
    channel.deliver(content(channel, first), PUBLIC, "-", None)
    before = invalidations(distribution_id)
    failure = ClientError({"Error": {"Code": "SlowDown", "Message": "slow down"}}, "GetObject")

    def fail() -> None:
        raise failure

    # When the child is found and S3 refuses the read of the site's index
    failing, _, state = web(bucket, distribution_id=distribution_id)
    state.before[("read", "index.json")] = fail
    with pytest.raises(ClientError):
        failing.retract(content(failing, found(first)), PUBLIC, "-", None)
    # Then the found page (already written) and the images (already deleted) are invalidated at once, not only
    # once the retry has succeeded
    assert holds_child(site(aws)[page_path(first.id)]) == []
    folder = f"/alerts/{first.id}/"
    assert {f"/{page_path(first.id)}", f"{folder}card-v1.jpg", f"{folder}photo-v1.jpg"} <= (
        invalidated_since(distribution_id, before)
    )


# What a delivery costs.


def s3_requests(*stores: Site) -> list[str]:
    """Every S3 request the stores' clients make from now on, by operation."""
    made: list[str] = []
    for store in stores:
        store._s3.meta.events.register("before-call.s3", lambda model, **_: made.append(model.name))
    return made


def test_a_new_alert_reaches_the_site_in_few_requests(aws):
    # Given a site that already had an alert, and a web function that already delivered it
    bucket = aws["PhotosBucketName"]
    channel, files, state = web(bucket)
    channel.deliver(content(channel, alert(alert_id=str(uuid.uuid4()))), PUBLIC, "-", None)
    made = s3_requests(files, state)
    # When a new alert is delivered
    channel.deliver(content(channel, alert(alert_id=str(uuid.uuid4()))), PUBLIC, "-", None)
    # Then it takes its two images and two pages (written without reading what is not there yet), the index read
    # and written, and the three files built from it each read and written: nothing more
    assert sorted(made) == sorted(["PutObject"] * 4 + ["GetObject", "PutObject"] * 4), made


# Two functions at once, in threads against moto.


@pytest.mark.usefixtures("atomic_s3")
@pytest.mark.parametrize("functions", [2, 5])  # 5: the web function's event source's maximum concurrency
def test_functions_that_read_the_index_at_once_all_list_their_alert(aws, functions):
    # Given web functions that each read the site's index before any writes it
    bucket = aws["PhotosBucketName"]
    all_read = threading.Barrier(functions)
    channels = []
    for _ in range(functions):
        channel, _, state = web(bucket)
        state.before[("read", "index.json")] = partial(all_read.wait, WAIT)
        channels.append(channel)
    alerts = [alert(alert_id=str(uuid.uuid4()), reference=f"BN-RACE-{n}") for n in range(functions)]
    # When each publishes its alert
    pairs = zip(channels, alerts, strict=True)
    run_together(*(partial(channel.deliver, content(channel, a), PUBLIC, "-", None) for channel, a in pairs))
    # Then active.json and both index pages list them all
    files = site(aws)
    assert sorted(active_ids(files)) == sorted(a.id for a in alerts)
    for index in ("index.html", "index.en.html"):
        assert all(a.id in files[index].decode() for a in alerts)


@pytest.mark.usefixtures("atomic_s3")
@pytest.mark.parametrize("stall_at", ["page", "images"])
def test_an_update_racing_the_cancel_never_brings_the_child_back(aws, stall_at):
    # Given an alert on the site, an update whose function stalls (having read the page, or before it), and the cancel
    bucket = aws["PhotosBucketName"]
    first = alert(alert_id=str(uuid.uuid4()))
    setup, _, _ = web(bucket)
    setup.deliver(content(setup, first), PUBLIC, "-", None)
    second = updated(first)
    late_stalled, cancel_done = threading.Event(), threading.Event()

    def stall() -> None:
        late_stalled.set()
        assert cancel_done.wait(WAIT)

    at = ("read", page_path(first.id)) if stall_at == "page" else ("put", f"alerts/{first.id}/card-v2.jpg")
    late, _, _ = web(bucket, {at: stall})

    def cancel() -> None:
        assert late_stalled.wait(WAIT)
        canceller, _, _ = web(bucket)
        canceller.retract(content(canceller, found(second)), PUBLIC, "-", None)
        cancel_done.set()

    # When the update's function goes on after the cancel was written
    run_together(partial(late.deliver, content(late, second), PUBLIC, "-", None), cancel)
    # Then the site holds nothing of the child
    files = site(aws)
    for language in ("nl", "en"):
        assert holds_child(files[page_path(first.id, language=language)]) == []
    assert images_of(aws, first.id) == []
    assert active_ids(files) == []
    assert holds_child(files["index.html"]) == [] and holds_child(files["index.en.html"]) == []


@pytest.mark.usefixtures("atomic_s3")
def test_two_functions_publishing_updating_and_cancelling_side_by_side_leave_exactly_the_active_alerts(aws):
    # Given ten alerts, published by two functions at once
    bucket = aws["PhotosBucketName"]
    alerts = [alert(alert_id=str(uuid.uuid4()), reference=f"BN-MANY-{number}") for number in range(10)]
    channels = [web(bucket)[0] for _ in range(2)]

    def each(channel: WebChannel, some: list[Alert], change: Callable[[Alert], Alert], retract: bool) -> None:
        for one in some:
            shown = content(channel, change(one))
            (channel.retract if retract else channel.deliver)(shown, PUBLIC, "-", None)

    run_together(
        partial(each, channels[0], alerts[0::2], lambda a: a, False),
        partial(each, channels[1], alerts[1::2], lambda a: a, False),
    )
    assert sorted(active_ids(site(aws))) == sorted(a.id for a in alerts)
    # When one cancels four of them while the other updates four others
    run_together(
        partial(each, channels[0], alerts[:4], found, True),
        partial(each, channels[1], alerts[4:8], updated, False),
    )
    # Then the site lists exactly the six still active, with the images of their current version only
    files = site(aws)
    assert sorted(active_ids(files)) == sorted(a.id for a in alerts[4:])
    for one in alerts[:4]:
        assert images_of(aws, one.id) == [] and holds_child(files[page_path(one.id)]) == []
    for one in alerts[4:8]:
        assert images_of(aws, one.id) == ["card-v2.jpg", "photo-v2.jpg"]


# Every way an alert changes or ends, through the whole fan-out.


def test_an_expired_alert_leaves_a_verlopen_page_with_nothing_of_the_child(client, fan_out, aws, monkeypatch):
    # Given an alert with a photo on the site
    alert_id = create(client, fan_out, photo=photo())["id"]
    assert images_of(aws, alert_id) == ["card-v1.jpg", "photo-v1.jpg"]
    # When its time runs out and the expiry runs
    service = wiring().alert_service
    monkeypatch.setattr(service, "_clock", lambda: datetime.now(timezone.utc) + timedelta(days=3))
    assert [done.id for done in service.expire_due(Actor(principal="kind-alarm:expire_alerts", request_id="-"))] == [
        alert_id
    ]
    fan_out.runner.drain()
    # Then both pages say «Verlopen» / «Expired» and hold nothing of the child, and the images and listing are gone
    files = site(aws)
    assert "Verlopen" in files[page_path(alert_id)].decode()
    assert "Expired" in files[page_path(alert_id, language="en")].decode()
    for language in ("nl", "en"):
        page = files[page_path(alert_id, language=language)]
        assert holds_child(page) == [] and b"<img" not in page and b"og:image" not in page
    assert images_of(aws, alert_id) == []
    assert active_ids(files) == [] and holds_child(files["index.html"]) == []


def test_an_update_that_removes_the_photo_takes_it_off_the_site(client, fan_out, aws):
    # Given an alert with a photo on the site
    alert_id = create(client, fan_out, photo=photo())["id"]
    # When an update takes the photo away (the wrong child's, say)
    answer = send(client, "PATCH", f"/alerts/{alert_id}", {"photo_id": None}, **{"If-Match": '"1"'})
    assert answer.status_code == 200, answer.body
    fan_out.runner.drain()
    # Then the page shows no photo, only the new card is left, and active.json names no photo
    files = site(aws)
    page = files[page_path(alert_id)].decode()
    assert 'class="photo"' not in page and "photo-v1" not in page and "card-v2.jpg" in page
    assert images_of(aws, alert_id) == ["card-v2.jpg"]
    assert json.loads(files["active.json"])["alerts"][0]["photo"] is None


def test_an_exercise_and_its_update_and_end_never_touch_the_public_site(client, fan_out, aws):
    # Given a real alert on the public site
    real = create(client, fan_out, photo=photo())["id"]
    public_before = {path: body for path, body in site(aws).items() if not path.startswith("sandbox/")}
    # When an exercise is published, updated and ended
    exercise = create(client, fan_out, status="exercise", reference="BN-OEF-1", photo=photo())["id"]
    answer = send(client, "PATCH", f"/alerts/{exercise}", {"contact": {"phone": "0800-1234"}}, **{"If-Match": '"1"'})
    assert answer.status_code == 200, answer.body
    fan_out.runner.drain()
    sandbox = site(aws)
    assert "OEFENING" in sandbox[page_path(exercise, sandbox=True)].decode()
    assert images_of(aws, exercise, sandbox=True) == ["card-v2.jpg", "photo-v2.jpg"]
    send(client, "POST", f"/alerts/{exercise}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then the public site is as it was (the real alert alone), and the exercise's images are gone
    files = site(aws)
    assert {path: body for path, body in files.items() if not path.startswith("sandbox/")} == public_before
    assert active_ids(files) == [real] and active_ids(files, "sandbox/") == []
    assert images_of(aws, exercise, sandbox=True) == []


# The site's index across deploys.


@pytest.mark.parametrize("drift", ["a field fewer", "a field more", "no time"])
def test_an_index_entry_written_by_another_release_never_keeps_a_found_child_listed(aws, drift):
    # Given an alert listed by a release whose entries had a field fewer (or more) than this one's
    bucket = aws["PhotosBucketName"]
    channel, _, state = web(bucket)
    older = alert(alert_id=str(uuid.uuid4()), reference="BN-OLD")
    channel.deliver(content(channel, older), PUBLIC, "-", None)
    stored = json.loads(state.get("index.json") or b"{}")
    entry = stored["alerts"][older.id]["entry"]
    if drift == "a field fewer":
        del entry["age"]
    elif drift == "no time":
        del entry["updated"]
    else:
        entry["headline_en"] = "Sanne (9) missing"
    boto3.client("s3").put_object(Bucket=bucket, Key="web/index.json", Body=json.dumps(stored).encode())
    # When another child is listed and then found
    other = alert(alert_id=str(uuid.uuid4()), reference="BN-NEW")
    channel.deliver(content(channel, other), PUBLIC, "-", None)
    channel.retract(content(channel, found(other)), PUBLIC, "-", None)
    # Then the found child leaves active.json and the index pages, and the other alert stays listed
    files = site(aws)
    assert active_ids(files) == [older.id]
    assert other.id not in files["index.html"].decode() and older.id in files["index.html"].decode()


def test_active_json_writes_its_time_as_every_time_on_the_site(aws):
    # Given an alert updated at a time with a fraction of a second
    bucket = aws["PhotosBucketName"]
    channel, _, _ = web(bucket)
    first = alert(alert_id=str(uuid.uuid4()), at=NOW + timedelta(microseconds=250_000))
    # When it is listed
    channel.deliver(content(channel, first), PUBLIC, "-", None)
    # Then active.json's time, like its entries', is UTC to the second with «Z» (chalicelib.site.pages.utc_text)
    document = json.loads(site(aws)["active.json"])
    assert document["updated"] == document["alerts"][0]["updated"] == "2026-11-28T15:00:00Z"


# The retention purge.


class RefusingCloudFront:
    """CloudFront refusing every invalidation (a throttle, a changed distribution, a missing permission)."""

    def create_invalidation(self, **_: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "CreateInvalidation")


def test_an_invalidation_refused_never_stops_the_purge_of_the_childs_data(client, fan_out, aws):
    # Given two found children whose retention has passed, and CloudFront refusing invalidations
    ended = []
    for reference in ("BN-PURGE-1", "BN-PURGE-2"):
        alert_id = create(client, fan_out, reference=reference, photo=photo())["id"]
        send(client, "POST", f"/alerts/{alert_id}/cancel", {"reason": "found"})
        ended.append(alert_id)
    fan_out.runner.drain()
    bucket = aws["PhotosBucketName"]
    files, state = Site(bucket, "site/"), Site(bucket, "web/")
    site_files = WebSite(files, state, SiteCache(RefusingCloudFront(), "E1"), SITE_URL)
    later = datetime.now(timezone.utc) + timedelta(days=31)
    purge = RetentionPurge(wiring().alert_table, (site_files,), clock=lambda: later)
    # When the purge runs
    purged = purge.run(Actor(principal="test", request_id="r"))
    # Then both alerts are purged (the table's items too), and the site holds nothing of them: a found page (which
    # holds nothing of the child) left in CloudFront's cache for its seconds is no reason to keep the child's data
    assert sorted(purged) == sorted(ended)
    assert not [path for path in site(aws) if any(alert_id in path for alert_id in ended)]


# The function dying between two S3 calls of the takedown.


CRASH_POINTS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "after the Dutch found page": ("PutObject", lambda key: key.startswith("site/alerts/") and key.endswith(".html")),
    "after the first image's delete": ("DeleteObject", lambda key: key.startswith("site/alerts/")),
    "after the index's write": ("PutObject", lambda key: key == "web/index.json"),
}


@pytest.mark.parametrize("point", sorted(CRASH_POINTS))
def test_a_takedown_cut_short_between_two_s3_calls_is_finished_by_its_retry(
    client, aws, slow_retries, queue_clock, point
):
    fan_out = slow_retries
    # Given an alert with a photo on the site, and its takedown's function dying between two S3 calls
    alert_id = create(client, fan_out, photo=photo())["id"]
    operation, match = CRASH_POINTS[point]
    hook = Hook(s3_client(), operation, Crash(), lambda params: match(str(params.get("Key", ""))), after_call=True)
    send(client, "POST", f"/alerts/{alert_id}/cancel", {"reason": "found"})
    with pytest.raises(Crash):
        fan_out.runner.drain()
    assert hook.struck == 1
    # When the message comes back to a new process once its visibility timeout is over
    reset_process_caches()
    release_queued_messages(queue_clock)
    fan_out.runner.drain()
    # Then the site holds nothing of the child, in either language, and lists it nowhere
    files = site(aws)
    for language in ("nl", "en"):
        assert holds_child(files[page_path(alert_id, language=language)]) == []
    assert not [path for path in files if path.startswith(f"alerts/{alert_id}/")]
    assert active_ids(files) == [] and holds_child(files["index.html"]) == []
    record = json.loads(send(client, "GET", f"/alerts/{alert_id}").body)["deliveries"]["web"]
    assert (record["state"], record["version"]) == ("retracted", 2)


# A send of an older version still in flight when the child is found.


@pytest.mark.parametrize("delivered_twice", [False, True], ids=["one_function", "message_delivered_twice"])
@pytest.mark.parametrize("dies", [True, False], ids=["dies_after_its_images", "goes_on"])
def test_images_put_by_an_older_version_after_the_takedown_are_taken_down_too(
    client, fan_out, aws, monkeypatch, delivered_twice, dies
):
    # Given an alert with a photo, behind CloudFront, whose web function stalls just before it puts its images
    distribution_id = distribution()
    monkeypatch.setenv("SITE_DISTRIBUTION_ID", distribution_id)
    reset_process_caches()
    clock = review.Clock()
    alert_id = create(client, photo=photo())["id"]
    first_event = review.event(alert_id)
    before_late_put: dict[str, set[str]] = {}

    def child_found_meanwhile() -> None:
        if delivered_twice:  # the queue handed the message to a second function as well, which runs to its end
            review.handle(review.worker("web", clock), first_event)
        clock.advance(1)
        send(client, "POST", f"/alerts/{alert_id}/cancel", {"reason": "found"})
        review.handle(review.worker("web", clock), review.event(alert_id))
        before_late_put.update(invalidations(distribution_id))

    def dies_here() -> None:
        raise Crash

    hooks: dict[tuple[str, str], Callable[[], object]] = {
        ("put", f"alerts/{alert_id}/card-v1.jpg"): child_found_meanwhile
    }
    if dies:
        hooks[("put", page_path(alert_id))] = dies_here
    stalled, _, _ = web(aws["PhotosBucketName"], hooks, distribution_id)
    # When it goes on after the takedown: puts its images, then dies before its page (or goes on to the end)
    if dies:
        with pytest.raises(Crash):
            review.handle(review.worker(stalled, clock), first_event)
    else:
        review.handle(review.worker(stalled, clock), first_event)
    # And every message still on the queue comes back later: the stalled one's (stale now), the takedown's
    clock.advance(IN_FLIGHT_SECONDS + 1)
    review.handle(review.worker("web", clock), first_event)
    review.handle(review.worker("web", clock), review.event(alert_id))
    # Then no image of the child is on the site, nor in CloudFront's caches, and the page says found
    assert images_of(aws, alert_id) == []
    folder = f"/alerts/{alert_id}/"
    assert {f"{folder}card-v1.jpg", f"{folder}photo-v1.jpg"} <= invalidated_since(distribution_id, before_late_put)
    assert holds_child(site(aws)[page_path(alert_id)]) == []
    record = review.records().get(alert_id, "web")
    assert record is not None and (record.state, record.version) == ("retracted", 2)


def test_a_web_function_ends_before_a_takedown_stops_waiting_for_its_send():
    # Given the time after which a takedown takes a send in flight as landed or lost, and it is made again
    # Then no web function runs that long: nothing it puts can land after the takedown was made again
    assert channel_functions.SETTINGS.get("web", channel_functions.DEFAULT).timeout < IN_FLIGHT_SECONDS
