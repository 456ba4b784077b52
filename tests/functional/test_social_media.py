"""The social channel's access tokens on the whole path (moto, the partner sink standing in for X and Graph): a
token renewed while a warm function still keeps the old one costs no retraction, and a token the platform refuses
says so in the delivery record."""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.channels.targets import PartnerTarget, parse_directory, targets_for
from chalicelib.config import get_settings
from devstack.partners import new_secret
from tests.functional.conftest import FanOut, create, send

ACCOUNTS = ("x-politie", "facebook-politie")


def public_account(name: str) -> PartnerTarget:
    targets = targets_for(parse_directory(get_settings().partners), "social_media", "actual")
    return next(target for target in targets if target.name == name)


def store(name: str, value: str) -> None:
    boto3.client("ssm").put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def social_record(client: Any, alert_id: str) -> dict[str, Any]:
    return dict(json.loads(send(client, "GET", f"/alerts/{alert_id}").body)["deliveries"]["social_media"])


def live_posts(fan_out: FanOut, partner: str) -> list[dict[str, Any]]:
    return [post for post in fan_out.sink.posts(partner) if not post["deleted"]]


def test_a_retraction_made_after_a_token_was_renewed_deletes_the_posts_though_the_old_token_is_still_cached(
    client, fan_out
):
    # Given an alert posted on both accounts, the warm function keeping the token it posted with
    alert = create(client, fan_out)
    posted = {partner: live_posts(fan_out, partner)[0]["id"] for partner in ACCOUNTS}
    # When an admin renews both tokens (stored in SSM, the old ones revoked at the platforms) and the child is found
    for partner in ACCOUNTS:
        token = new_secret()
        store(public_account(partner).secret_parameter, token)
        fan_out.sink.renew_secret(partner, token)
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then the posts are deleted on the first receive, each refused once with the old token and then done
    for partner, post_id in posted.items():
        assert [post["deleted"] for post in fan_out.sink.posts(partner) if post["id"] == post_id] == [True]
    record = social_record(client, alert["id"])
    assert record["state"] == "retracted"
    assert {partner: record["targets"][partner]["attempts"] for partner in ACCOUNTS} == dict.fromkeys(ACCOUNTS, 1)
    # And X carries the found notice, posted with the renewed token
    assert [post["text"].startswith("Het vermiste kind is gevonden") for post in live_posts(fan_out, "x-politie")] == [
        True
    ]
    # And nothing went to the dead-letter queue
    assert fan_out.dead_letters("SocialMediaDeadLetterQueueUrl") == []


def test_a_token_the_platform_still_refuses_when_read_again_is_named_in_the_record_without_its_value(client, fan_out):
    # Given both platforms holding a token that was never stored in SSM
    held = {partner: new_secret() for partner in ACCOUNTS}
    for partner, token in held.items():
        fan_out.sink.renew_secret(partner, token)
    # When an alert goes out
    alert = create(client, fan_out)
    # Then nothing is posted and the record says which platform refused the token, naming no token
    assert all(fan_out.sink.posts(partner) == [] for partner in ACCOUNTS)
    targets = social_record(client, alert["id"])["targets"]
    assert targets["x-politie"]["detail"] == "x refused the token (401)"
    assert targets["facebook-politie"]["detail"] == "facebook refused the token (OAuthException 190)"
    stored = [
        str(
            boto3.client("ssm").get_parameter(Name=public_account(partner).secret_parameter, WithDecryption=True)[
                "Parameter"
            ]["Value"]
        )
        for partner in ACCOUNTS
    ]
    shown = json.dumps(social_record(client, alert["id"]))
    assert not [token for token in (*held.values(), *stored) if token in shown]
