"""Social media, road signs and station screens through the fan-out, against the partner sink over HTTP."""

from __future__ import annotations

import base64
import io
import json
import time
from typing import Any

import pytest
from PIL import Image

from chalicelib.wiring import reset
from devstack.sink import Misbehaviour
from tests.conftest import alert_body
from tests.functional.conftest import FanOut, create, send


def deliveries(client, alert_id: str) -> dict[str, Any]:
    return json.loads(send(client, "GET", f"/alerts/{alert_id}").body)["deliveries"]


def live_posts(fan_out: FanOut, partner: str) -> list[dict[str, Any]]:
    return [post for post in fan_out.sink.posts(partner) if not post["deleted"]]


def test_a_kind_alarm_reaches_every_channel(client, fan_out):
    # Given a kind_alarm
    alert = create(client)
    fan_out.runner.drain()
    # Then every channel delivered it
    records = deliveries(client, alert["id"])
    assert {channel: record["state"] for channel, record in records.items()} == {
        "app_push": "delivered",
        "news_media": "delivered",
        "social_media": "delivered",
        "road_signs": "delivered",
        "station_screens": "delivered",
        "cap_feed": "delivered",
        "web": "delivered",
    }
    # One post with the social card on each account, in Dutch, within X's limit
    for partner in ("x-politie", "facebook-politie"):
        posts = fan_out.sink.posts(partner)
        assert len(posts) == 1
        assert posts[0]["image"] is True
        assert posts[0]["text"].startswith("🚨 KIND ALARM\nSanne (9) vermist in Utrecht")
        assert records["social_media"]["targets"][partner]["reference"] == posts[0]["id"]
    # A signed sign message and a signed poster
    sign = fan_out.sink.deliveries("rws-tmc")[0]
    assert sign["verified"]
    assert sign["payload"]["lines"] == ["KIND ALARM", "SANNE DE VRIES", "BEL 0800-6070"]
    assert Image.open(io.BytesIO(base64.b64decode(sign["payload"]["image_png"]))).size == (480, 270)
    screen = fan_out.sink.deliveries("ns-screens")[0]
    assert screen["verified"]
    poster = Image.open(io.BytesIO(base64.b64decode(screen["payload"]["poster_jpeg"])))
    assert (poster.format, poster.size) == ("JPEG", (1920, 1080))


def test_a_vermist_kind_stays_off_signs_and_screens(client, fan_out):
    alert = create(client, level="vermist_kind")
    fan_out.runner.drain()
    assert set(deliveries(client, alert["id"])) == {"app_push", "news_media", "social_media", "cap_feed", "web"}
    assert fan_out.sink.deliveries("rws-tmc") == fan_out.sink.deliveries("ns-screens") == []


def test_cancel_deletes_exactly_the_posts_and_clears_signs_and_screens(client, fan_out):
    # Given a delivered alert, and a post of someone else on the same account
    alert = create(client)
    fan_out.runner.drain()
    ours = {partner: fan_out.sink.posts(partner)[0]["id"] for partner in ("x-politie", "facebook-politie")}
    # When the child is found
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then our posts are deleted, X carries the short «gevonden» notice, signs and screens are cleared
    for partner, post_id in ours.items():
        assert [post["deleted"] for post in fan_out.sink.posts(partner) if post["id"] == post_id] == [True]
    assert [post["text"] for post in live_posts(fan_out, "x-politie")] == [
        "Het vermiste kind is gevonden. Dank voor het delen en uw hulp. Verwijder de oproep uit uw tijdlijn.\n"
        f"https://kindalarm.burgernet.nl/alerts/{alert['id']}.html#gevonden"
    ]
    assert live_posts(fan_out, "facebook-politie") == []
    assert [d["payload"]["type"] for d in fan_out.sink.deliveries("rws-tmc")] == ["sign.show", "sign.clear"]
    assert [d["payload"]["type"] for d in fan_out.sink.deliveries("ns-screens")] == ["screen.show", "screen.clear"]
    assert all(record["state"] == "retracted" for record in deliveries(client, alert["id"]).values())


def test_an_update_replaces_the_post(client, fan_out):
    alert = create(client)
    fan_out.runner.drain()
    send(
        client,
        "PATCH",
        f"/alerts/{alert['id']}",
        {"headline": {"nl": "Sanne (9) vermist in Zeist"}},
        **{"If-Match": '"1"'},
    )
    fan_out.runner.drain()
    for partner in ("x-politie", "facebook-politie"):
        posts = fan_out.sink.posts(partner)
        assert [post["deleted"] for post in posts] == [True, False]
        assert "Zeist" in posts[1]["text"]


def test_a_rate_limited_account_is_retried_after_the_reset_without_duplicates(client, fan_out):
    # Given X answering 429 twice with a reset in 0 seconds
    fan_out.sink.misbehave("x-politie", Misbehaviour(status=429, times=2, retry_after=0))
    alert = create(client)
    # (X's reset is whole seconds; the message stays out of sight at least a second each time)
    for _ in range(5):
        fan_out.runner.drain()
        if fan_out.sink.posts("x-politie"):
            break
        time.sleep(1.1)
    # Then it posted once in the end, and Facebook posted exactly once
    assert len(fan_out.sink.posts("x-politie")) == 1
    assert len(fan_out.sink.posts("facebook-politie")) == 1
    record = deliveries(client, alert["id"])["social_media"]
    assert record["targets"]["x-politie"]["attempts"] == 3
    assert record["targets"]["facebook-politie"]["attempts"] == 1


def test_a_platform_error_is_retried_without_duplicate_posts(client, fan_out):
    fan_out.sink.misbehave("facebook-politie", Misbehaviour(status=500, times=1))
    create(client)
    fan_out.runner.drain()
    assert len(fan_out.sink.posts("facebook-politie")) == 1
    assert len(fan_out.sink.posts("x-politie")) == 1


def test_a_traffic_centre_that_stays_down_dead_letters_while_the_others_deliver(client, fan_out):
    fan_out.sink.misbehave("rws-tmc", Misbehaviour(status=503))
    alert = create(client)
    fan_out.runner.drain(timeout=60)
    assert [m["alert_id"] for m in fan_out.dead_letters("RoadSignsDeadLetterQueueUrl")] == [alert["id"]]
    states = {channel: record["state"] for channel, record in deliveries(client, alert["id"]).items()}
    assert states == {
        "app_push": "delivered",
        "news_media": "delivered",
        "social_media": "delivered",
        "road_signs": "failed",
        "station_screens": "delivered",
        "cap_feed": "delivered",
        "web": "delivered",
    }


def test_exercises_post_only_to_sandbox_accounts(client, fan_out):
    create(client, status="exercise")
    fan_out.runner.drain()
    assert fan_out.sink.posts("x-politie") == fan_out.sink.posts("facebook-politie") == []
    assert len(fan_out.sink.posts("x-sandbox")) == 1
    assert fan_out.sink.deliveries("rws-tmc") == []
    assert len(fan_out.sink.deliveries("rws-sandbox")) == 1


def test_a_name_the_signs_cannot_show_is_refused_at_create(client, aws, monkeypatch):

    monkeypatch.setenv("ROAD_SIGN_PROFILE", "3x10")
    reset()
    response = send(client, "POST", "/alerts", alert_body(child={"name": "Maximiliaan-Alexander"}))
    problem = json.loads(response.body)
    assert response.status_code == 422
    assert problem["errors"][0]["pointer"] == "/child/name"
    assert "road_signs" in problem["errors"][0]["detail"]
    # A vermist_kind never reaches the signs, so the same name is fine there
    fine = send(client, "POST", "/alerts", alert_body(level="vermist_kind", child={"name": "Maximiliaan-Alexander"}))
    assert fine.status_code == 201


@pytest.mark.parametrize("channel", ["road_signs", "station_screens", "social_media"])
def test_the_visual_channels_preview_what_they_send(client, aws, channel):
    alert = create(client)
    response = client.http.get(f"/alerts/{alert['id']}/previews/{channel}", headers={"accept": "image/png"})
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.body)).format == "PNG"


def test_an_account_that_never_carried_the_post_gets_no_found_notice(client, fan_out):
    # Given a child found before any post was made
    alert = create(client)
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then the retraction ran on every account, and no thank-you notice appeared out of nowhere
    assert fan_out.sink.posts("x-politie") == fan_out.sink.posts("facebook-politie") == []
    record = deliveries(client, alert["id"])["social_media"]
    assert {name: target["state"] for name, target in record["targets"].items()} == {
        "x-politie": "retracted",
        "facebook-politie": "retracted",
    }


ACCOUNTS = ("x-politie", "facebook-politie")


def siblings(client, fan_out: FanOut) -> tuple[dict[str, Any], dict[str, Any]]:
    """A sister and a brother missing together: two alerts, each post linking the other's page («zie ook …»)."""
    sister = create(client, reference="BN-2026-000201")
    brother = create(
        client,
        reference="BN-2026-000202",
        child={"name": "Daan de Vries", "age": 7, "description": "1,20 m, blauwe jas"},
        headline={"nl": "Daan (7) vermist in Utrecht", "en": "Daan (7) missing in Utrecht"},
        instruction={"nl": f"Zie ook {sister['links']['public_page']}", "en": "Seen Daan? Call 112 now."},
    )
    change = {"instruction": {"nl": f"Zie ook {brother['links']['public_page']}"}}
    response = send(client, "PATCH", f"/alerts/{sister['id']}", change, **{"If-Match": '"1"'})
    assert response.status_code == 200, response.body
    fan_out.runner.drain()
    return json.loads(response.body), brother


def assert_posts_live(client, fan_out: FanOut, alert: dict[str, Any]) -> None:
    """The alert's delivery record says delivered, and the post it names on each account is live and current."""
    record = deliveries(client, alert["id"])["social_media"]
    assert record["state"] == "delivered", record
    marker = f"{alert['links']['public_page']}#v{alert['version']}"
    for account in ACCOUNTS:
        named = record["targets"][account]["reference"]
        assert [post["text"].endswith(marker) for post in live_posts(fan_out, account) if post["id"] == named] == [
            True
        ], fan_out.sink.posts(account)


def posts_of(fan_out: FanOut, account: str, alert: dict[str, Any]) -> list[dict[str, Any]]:
    """The posts our channel made for the alert: those that end with its page and a version."""
    page = alert["links"]["public_page"]
    return [post for post in fan_out.sink.posts(account) if post["text"].rpartition("\n")[2].startswith(f"{page}#v")]


@pytest.mark.parametrize("found", ["brother", "sister"])
def test_finding_one_of_two_children_whose_alerts_link_each_other_leaves_the_others_posts_live(client, fan_out, found):
    # Given two live alerts whose posts each link the other's page
    sister, brother = siblings(client, fan_out)
    ended, other = (brother, sister) if found == "brother" else (sister, brother)
    # When one child is found
    response = send(client, "POST", f"/alerts/{ended['id']}/cancel", {"reason": "found"})
    assert response.status_code == 200, response.body
    fan_out.runner.drain()
    # Then the other child's posts stay live on both accounts, and its record still says delivered
    assert_posts_live(client, fan_out, other)
    # While the found child's posts are gone, and X carries the found child's notice
    for account in ACCOUNTS:
        assert {post["deleted"] for post in posts_of(fan_out, account, ended)} == {True}
    assert [post["text"].rpartition("\n")[2] for post in live_posts(fan_out, "x-politie")][-1] == (
        f"{ended['links']['public_page']}#gevonden"
    )
    assert deliveries(client, ended["id"])["social_media"]["state"] == "retracted"


def test_updating_one_of_two_alerts_that_link_each_other_leaves_the_others_posts_live(client, fan_out):
    # Given two live alerts whose posts each link the other's page
    sister, brother = siblings(client, fan_out)
    # When the brother's alert is updated
    change = {"headline": {"nl": "Daan (7) vermist in Zeist"}}
    response = send(client, "PATCH", f"/alerts/{brother['id']}", change, **{"If-Match": '"1"'})
    assert response.status_code == 200, response.body
    fan_out.runner.drain()
    # Then the sister's posts stay live on both accounts, and the brother's post is replaced
    assert_posts_live(client, fan_out, sister)
    assert_posts_live(client, fan_out, json.loads(response.body))
    for account in ACCOUNTS:
        assert [post["deleted"] for post in posts_of(fan_out, account, brother)] == [True, False]


def test_a_takedown_leaves_posts_that_only_quote_the_alerts_link(client, fan_out):
    # Given a live alert, and posts an officer wrote by hand on each account that quote its page
    alert = create(client)
    fan_out.runner.drain()
    page = alert["links"]["public_page"]
    quoting = [
        f"Deel deze oproep! {page}#v1 #KindAlarm",  # our very link, but not what ends the post
        f"Sanne wordt nog steeds gezocht: {page}",  # the page without a version
        f"Kijk hier: {page}#v1\nen bel 112 als je haar ziet",
        f"Meer over de vermissing: {page}#v1.",  # a sentence that ends after the link
    ]
    by_hand = {account: [fan_out.sink.post_by_hand(account, text) for text in quoting] for account in ACCOUNTS}
    # When the alert is updated, then the child is found
    response = send(
        client,
        "PATCH",
        f"/alerts/{alert['id']}",
        {"headline": {"nl": "Sanne (9) vermist in Zeist"}},
        **{"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.body
    fan_out.runner.drain()
    assert_posts_live(client, fan_out, json.loads(response.body))
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then the officer's posts are all still live, and ours are gone
    for account in ACCOUNTS:
        assert [post["id"] for post in live_posts(fan_out, account) if post["id"] in by_hand[account]] == by_hand[
            account
        ]
        assert all(post["deleted"] for post in posts_of(fan_out, account, alert))
