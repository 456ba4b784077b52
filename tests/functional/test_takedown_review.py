"""A hostile review of the takedown promise: races and faults the first fault tests did not reach.

Each test drives channel workers directly (against moto and the partner sink) with a clock it moves, so the
order of events is exact: a send held "in flight" lands at the partner when the test lets it, a second worker
runs in the middle of the first, a duplicate message comes early. Webhook partners are judged as the README
says they may behave: a partner drops a repeat of a ``webhook-id`` it has seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.clients import dynamodb_client, ssm_client
from chalicelib.adapters.delivery_table import DeliveryTable
from chalicelib.adapters.secrets import ParameterSecrets
from chalicelib.adapters.social import SocialClient, SocialPost
from chalicelib.channels.base import Assets, Channel, ChannelDefaults, Preview
from chalicelib.channels.social_media import SocialMediaChannel
from chalicelib.channels.targets import PartnerTarget, parse_directory, with_own_audiences
from chalicelib.channels.worker import ChannelWorker, DeliveryFailedError
from chalicelib.clock import utc_now
from chalicelib.config import get_settings
from chalicelib.models.alert import Alert
from chalicelib.models.events import AlertEvent, DeliveryRecord, EventKind, TargetResult
from chalicelib.wiring import Wiring
from devstack.sink import Misbehaviour
from tests.functional.conftest import FanOut, create, send
from tests.functional.test_app_push import GRONINGEN, PREFIX, UTRECHT, published, register

NATIONAL = {"type": "national"}


class Crash(BaseException):
    """The function's process dies here: nothing of ours runs after it."""


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Wrapped(ChannelDefaults):
    """A channel that does what ``inner`` does, for a test to change one of its calls."""

    def __init__(self, inner: Channel, target: str) -> None:
        self.name, self.needs = inner.name, inner.needs
        self._inner, self._target = inner, target

    def render(self, alert: Alert, assets: Assets) -> dict[str, Any]:
        return self._inner.render(alert, assets)

    def preview(self, content: dict[str, Any]) -> Preview:
        return self._inner.preview(content)

    def deliver(self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, shown: str | None) -> Any:
        return self._inner.deliver(content, target, delivery_id, shown)

    def retract(self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, shown: str | None) -> None:
        self._inner.retract(content, target, delivery_id, shown)


class Held(Wrapped):
    """A channel whose send to one target leaves the function but reaches the partner only when ``land()`` is
    called: the request is in flight when the function dies."""

    def __init__(self, inner: Channel, target: str) -> None:
        super().__init__(inner, target)
        self.land: Callable[[], Any] = lambda: None

    def deliver(self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, shown: str | None) -> Any:
        if target.name != self._target:
            return self._inner.deliver(content, target, delivery_id, shown)
        self.land = lambda: self._inner.deliver(content, target, delivery_id, shown)
        raise Crash


class Meanwhile(Wrapped):
    """A channel that lets something else happen just before its call to one target reaches the partner."""

    def __init__(self, inner: Channel, target: str, meanwhile: Callable[[], None]) -> None:
        super().__init__(inner, target)
        self._meanwhile = meanwhile

    def deliver(self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, shown: str | None) -> Any:
        if target.name == self._target:
            self._meanwhile()
        return self._inner.deliver(content, target, delivery_id, shown)


class DiesRetracting(Wrapped):
    """A channel whose retraction at one target dies on the way (after the record said ``retracting``)."""

    def retract(self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, shown: str | None) -> None:
        if target.name == self._target:
            raise Crash
        self._inner.retract(content, target, delivery_id, shown)


class ListingHook(SocialClient):
    """The X client of one function, with something happening once right after it read the account's posts."""

    def __init__(self, after_listing: Callable[[], None]) -> None:
        super().__init__(get_settings().webhook_timeout_seconds)
        self._after_listing: Callable[[], None] | None = after_listing

    def x_recent_posts(self, base: str, token: str, user_id: str | None) -> list[SocialPost]:
        posts = super().x_recent_posts(base, token, user_id)
        hook, self._after_listing = self._after_listing, None
        if hook is not None:
            hook()
        return posts


class StaleRead:
    """The delivery store of one function, with something happening once right after it read the record."""

    def __init__(self, inner: DeliveryTable, after_get: Callable[[], None]) -> None:
        self._inner = inner
        self._after_get: Callable[[], None] | None = after_get

    def get(self, alert_id: str, channel: str) -> DeliveryRecord | None:
        record = self._inner.get(alert_id, channel)
        hook, self._after_get = self._after_get, None
        if hook is not None:
            hook()
        return record

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def records() -> DeliveryTable:
    return DeliveryTable(dynamodb_client(), get_settings().alerts_table)


def channel_of(name: str) -> Channel:
    return Wiring(get_settings()).channel(name)


def social_channel(client: SocialClient) -> SocialMediaChannel:
    return SocialMediaChannel(client, ParameterSecrets(ssm_client()))


def worker(channel: Channel | str, clock: Clock, store: Any = None) -> ChannelWorker:
    """One channel function: a fresh process with its own clients."""
    parts = Wiring(get_settings())
    return ChannelWorker(
        channel=parts.channel(channel) if isinstance(channel, str) else channel,
        alerts=parts.alert_table,
        records=store or records(),
        directory=with_own_audiences(parse_directory(parts.settings.partners)),
        assets=parts.assets,
        clock=clock,
    )


def update(client: Any, alert_id: str, version: int) -> None:
    change = {"instruction": {"nl": "Zie je Sanne? Bel 112, ook als je twijfelt."}}
    response = send(client, "PATCH", f"/alerts/{alert_id}", change, **{"If-Match": f'"{version}"'})
    assert response.status_code == 200, response.body


def cancel(client: Any, alert_id: str) -> None:
    response = send(client, "POST", f"/alerts/{alert_id}/cancel", {"reason": "found"})
    assert response.status_code == 200, response.body


def event(alert_id: str) -> AlertEvent:
    alert = Wiring(get_settings()).alert_table.get(alert_id)
    assert alert is not None
    kind: EventKind = "cancelled" if alert.state != "active" else ("published" if alert.version == 1 else "updated")
    return AlertEvent(
        alert_id=alert.id,
        version=alert.version,
        kind=kind,
        level=alert.level,
        status=alert.status,
        occurred_at=alert.updated_at,
    )


def handle(channel_worker: ChannelWorker, alert_event: AlertEvent) -> DeliveryRecord | None:
    """One delivery of the message; a failure means the queue brings it back later."""
    try:
        return channel_worker.handle(alert_event)
    except DeliveryFailedError:
        return None


def acted_on(fan_out: FanOut, partner: str) -> list[str]:
    """What a webhook partner did, in order, dropping every repeat of a webhook-id as the README allows."""
    seen: set[str] = set()
    done = []
    for item in fan_out.sink.deliveries(partner):
        if item["webhook_id"] in seen:
            continue
        seen.add(item["webhook_id"])
        done.append(item["payload"]["type"])
    return done


def live_posts(fan_out: FanOut, account: str, alert_id: str) -> list[dict[str, Any]]:
    return [
        post
        for post in fan_out.sink.posts(account)
        if f"/alerts/{alert_id}.html#v" in post["text"] and not post["deleted"]
    ]


def target_state(alert_id: str, channel: str, target: str) -> TargetResult:
    record = records().get(alert_id, channel)
    assert record is not None
    return record.targets[target]


# --- webhook partners: a repeated retraction must be one the partner acts on --------------------------------


def test_a_retraction_made_again_after_a_late_send_is_not_dropped_as_a_repeat(client, fan_out):
    clock = Clock()
    alert_id = create(client, area=NATIONAL)["id"]
    # Given the first send to anp in flight when its function dies
    first = Held(channel_of("news_media"), "anp")
    with pytest.raises(Crash):
        worker(first, clock).handle(event(alert_id))
    # And the child found a second later: the retraction overtakes the send in flight
    clock.advance(1)
    cancel(client, alert_id)
    handle(worker("news_media", clock), event(alert_id))
    assert target_state(alert_id, "news_media", "anp").state == "retracting"
    # When the send lands after the retraction, and the retraction is made again once it has settled
    first.land()
    clock.advance(61)
    handle(worker("news_media", clock), event(alert_id))
    # Then anp took the retraction last: the repeat was not a webhook-id anp had seen (and so dropped)
    assert acted_on(fan_out, "anp")[-1] == "alert.retracted", fan_out.sink.deliveries("anp")
    assert target_state(alert_id, "news_media", "anp").state == "retracted"


def test_a_worker_overtaken_by_the_cancel_takes_its_late_send_down_in_a_way_the_partner_acts_on(client, fan_out):
    clock = Clock()
    alert_id = create(client, area=NATIONAL)["id"]
    first_event = event(alert_id)

    def child_found_meanwhile() -> None:
        cancel(client, alert_id)
        handle(worker("news_media", clock), event(alert_id))

    # Given the cancel handled while the first send to anp is on its way (it lands after the retraction)
    first = Meanwhile(channel_of("news_media"), "anp", child_found_meanwhile)
    worker(first, clock).handle(first_event)
    # Then the worker that finds itself overtaken takes its send down at once, and anp acts on it
    assert acted_on(fan_out, "anp")[-1] == "alert.retracted", fan_out.sink.deliveries("anp")


# --- the deadline of a retraction that overtook a send in flight --------------------------------------------


def test_a_duplicate_cancel_message_before_the_deadline_does_not_end_the_wait(client, fan_out):
    clock = Clock()
    alert_id = create(client, area=NATIONAL)["id"]
    # Given the first post to X in flight when its function dies, and the child found a second later
    first = Held(channel_of("social_media"), "x-politie")
    with pytest.raises(Crash):
        worker(first, clock).handle(event(alert_id))
    clock.advance(1)
    cancel(client, alert_id)
    handle(worker("social_media", clock), event(alert_id))
    # When the queue delivers the cancel message a second time (at least once), well before the deadline
    clock.advance(1)
    handle(worker("social_media", clock), event(alert_id))
    # Then the retraction still waits for the send in flight
    assert target_state(alert_id, "social_media", "x-politie").state == "retracting"
    # And when the post lands late and the retry comes after the deadline, it is deleted
    first.land()
    assert live_posts(fan_out, "x-politie", alert_id)
    clock.advance(120)
    handle(worker("social_media", clock), event(alert_id))
    assert live_posts(fan_out, "x-politie", alert_id) == []


def test_a_retraction_that_dies_on_the_way_keeps_the_deadline_of_the_send_in_flight(client, fan_out):
    clock = Clock()
    alert_id = create(client, area=NATIONAL)["id"]
    # Given the first send to anp in flight when its function dies, and the child found a second later
    first = Held(channel_of("news_media"), "anp")
    with pytest.raises(Crash):
        worker(first, clock).handle(event(alert_id))
    clock.advance(1)
    cancel(client, alert_id)
    # And the retraction's function dies too, at anp, after the record said "retracting"
    with pytest.raises(Crash):
        worker(DiesRetracting(channel_of("news_media"), "anp"), clock).handle(event(alert_id))
    # When a new process retracts, and only then the first send lands
    clock.advance(2)
    handle(worker("news_media", clock), event(alert_id))
    first.land()
    # Then the retraction is made again after the send could land, and anp took it last
    clock.advance(120)
    handle(worker("news_media", clock), event(alert_id))
    assert acted_on(fan_out, "anp")[-1] == "alert.retracted", fan_out.sink.deliveries("anp")


def test_an_update_over_a_send_in_flight_hands_its_deadline_on_to_the_retraction(client, fan_out):
    clock = Clock()
    alert_id = create(client, area=NATIONAL)["id"]
    # Given the first send to anp in flight when its function dies
    first = Held(channel_of("news_media"), "anp")
    with pytest.raises(Crash):
        worker(first, clock).handle(event(alert_id))
    # And an update delivered everywhere a second later, and the child found a second after that
    clock.advance(1)
    update(client, alert_id, 1)
    assert worker("news_media", clock).handle(event(alert_id)) is not None
    clock.advance(1)
    cancel(client, alert_id)
    handle(worker("news_media", clock), event(alert_id))
    # When the first send lands only now, and the queue brings the cancel back later
    first.land()
    clock.advance(120)
    handle(worker("news_media", clock), event(alert_id))
    # Then anp took the retraction last: the update did not make the record forget the send still in flight
    assert acted_on(fan_out, "anp")[-1] == "alert.retracted", fan_out.sink.deliveries("anp")


def test_a_partner_gone_from_the_directory_is_not_reported_as_taken_down(client, fan_out, monkeypatch):
    clock = Clock()
    alert_id = create(client, area=NATIONAL)["id"]
    assert worker("news_media", clock).handle(event(alert_id)) is not None
    # Given anp taken out of the partner directory (a contract ended, a name changed) while it shows the alert
    directory = parse_directory(get_settings().partners)
    news = directory.channels["news_media"]
    kept = news.model_copy(update={"public": tuple(target for target in news.public if target.name != "anp")})
    changed = directory.model_copy(update={"channels": {**directory.channels, "news_media": kept}})
    monkeypatch.setenv("PARTNERS", changed.model_dump_json())
    get_settings.cache_clear()
    # When the child is found
    cancel(client, alert_id)
    with pytest.raises(DeliveryFailedError):
        worker("news_media", clock).handle(event(alert_id))
    # Then the record does not say anp took it down: the retraction fails (and is dead-lettered, with its alarm)
    record = records().get(alert_id, "news_media")
    assert record is not None and record.state == "failed"
    assert record.targets["anp"].state == "failed" and record.targets["nos"].state == "retracted"
    assert acted_on(fan_out, "anp") == ["alert.published"]


def test_a_send_claimed_between_the_retractions_read_and_its_claim_is_not_missed(client, fan_out):
    clock = Clock()
    alert_id = create(client, area=NATIONAL)["id"]
    first_event = event(alert_id)
    first_alert = Wiring(get_settings()).alert_table.get(alert_id)
    assert first_alert is not None
    # Given a first worker that took the event (claimed the record for version 1) before the cancel
    records().begin(alert_id, "news_media", 1, "sending", clock().isoformat())
    cancel(client, alert_id)
    news = channel_of("news_media")
    anp = next(
        target
        for target in with_own_audiences(parse_directory(get_settings().partners)).channels["news_media"].public
        if target.name == "anp"
    )
    delivery_id = f"{alert_id}.v1.news_media.anp"

    def first_worker_sends() -> None:
        # ... and marks anp "sending" just after the retraction's worker read the record; its send is in flight
        records().put_target(
            alert_id,
            "news_media",
            1,
            "anp",
            TargetResult(state="sending", version=1, attempts=1, delivery_id=delivery_id, updated_at=clock()),
        )

    handle(worker("news_media", clock, StaleRead(records(), first_worker_sends)), event(alert_id))
    # When the send lands after the retraction, its function dead, and the queue brings the cancel back later
    news.deliver(
        news.render(first_alert, Wiring(get_settings()).assets(first_alert, news.needs)), anp, delivery_id, None
    )
    clock.advance(120)
    handle(worker("news_media", clock), event(alert_id))
    # Then anp took the retraction last
    assert first_event.version == 1
    assert acted_on(fan_out, "anp")[-1] == "alert.retracted", fan_out.sink.deliveries("anp")


# --- social platforms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "listing"), [("x-politie", "GET /2/users/x-politie-user/tweets"), ("facebook-politie", None)]
)
def test_a_failing_listing_of_recent_posts_does_not_keep_a_known_post_up(client, fan_out, account, listing):
    clock = Clock()
    alert_id = create(client, area=NATIONAL)["id"]
    handle(worker("social_media", clock), event(alert_id))
    assert len(live_posts(fan_out, account, alert_id)) == 1
    # Given the platform refusing to list the account's posts (a rate limit, a token without read rights)
    listing = listing or "GET /v21.0/politie/posts"
    fan_out.sink.misbehave(account, Misbehaviour(status=429, retry_after=900, request=listing))
    # When the child is found
    cancel(client, alert_id)
    clock.advance(1)
    handle(worker("social_media", clock), event(alert_id))
    # Then the post the record names is deleted anyway (the listing is retried for posts it does not name)
    assert live_posts(fan_out, account, alert_id) == []
    assert target_state(alert_id, "social_media", account).state == "failed"


def test_two_deliveries_of_one_message_at_once_post_once(client, fan_out):
    clock = Clock()
    alert_id = create(client, area=NATIONAL)["id"]
    first_event = event(alert_id)

    def the_same_message_again() -> None:
        # The queue hands the same message to a second function while the first is between reading the
        # account's posts and posting.
        handle(worker("social_media", clock), first_event)

    handle(worker(social_channel(ListingHook(the_same_message_again)), clock), first_event)
    clock.advance(120)
    handle(worker("social_media", clock), first_event)
    # Then each account has the alert once
    assert len(live_posts(fan_out, "x-politie", alert_id)) == 1, fan_out.sink.posts("x-politie")
    assert len(live_posts(fan_out, "facebook-politie", alert_id)) == 1
    record = records().get(alert_id, "social_media")
    assert record is not None and record.state == "delivered"
    # And the takedown still takes it all down
    cancel(client, alert_id)
    handle(worker("social_media", clock), event(alert_id))
    assert live_posts(fan_out, "x-politie", alert_id) == live_posts(fan_out, "facebook-politie", alert_id) == []


# --- app push: an area that changed -----------------------------------------------------------------------


def test_the_found_push_reaches_every_cell_an_earlier_version_reached(client, fan_out):
    register(client, "utrecht", UTRECHT)
    register(client, "groningen", GRONINGEN)
    area = {"type": "circle", "lat": UTRECHT[0], "lon": UTRECHT[1], "radius_km": 10}
    alert_id = create(client, fan_out, area=area)["id"]
    moved = {"area": {"type": "circle", "lat": GRONINGEN[0], "lon": GRONINGEN[1], "radius_km": 10}}
    assert send(client, "PATCH", f"/alerts/{alert_id}", moved, **{"If-Match": '"1"'}).status_code == 200
    fan_out.runner.drain()
    cancel(client, alert_id)
    fan_out.runner.drain()
    for topic, sent in published().items():
        if topic.startswith(f"{PREFIX}nl-cell-"):
            last = json.loads(sent[-1]["message"]["GCM"])["fcmV1Message"]["message"]
            assert last["notification"]["title"] == "Kind Alarm: Gevonden", topic
