"""The signed-webhook channels' secrets on the whole path (moto, the partner sink): a rotation never costs a
delivery or a retraction, and a secret that cannot be used says why in the delivery record."""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.channels.targets import PartnerTarget, parse_directory, targets_for
from chalicelib.config import get_settings
from devstack.partners import new_secret
from tests.functional.conftest import FanOut, create, reset_process_caches, send


def public_newsroom(name: str) -> PartnerTarget:
    targets = targets_for(parse_directory(get_settings().partners), "news_media", "actual")
    return next(target for target in targets if target.name == name)


def stored(name: str) -> str:
    return str(boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])


def store(name: str, value: str) -> None:
    boto3.client("ssm").put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def every_partners_secret() -> dict[str, str]:
    directory = parse_directory(get_settings().partners)
    return {
        target.name: stored(target.secret_parameter)
        for partners in directory.channels.values()
        for target in (*partners.public, *partners.sandbox)
    }


def rotate(fan_out: FanOut, target: PartnerTarget, partner_switches: bool) -> str:
    """The runbook's rotation: the current secret copied to ``previous``, then the new one stored; the partner is
    given the new one (``partner_switches``) or keeps the old one for now. The new secret."""
    old, new = stored(target.secret_parameter), new_secret()
    store(target.previous_secret_parameter, old)
    store(target.secret_parameter, new)
    if partner_switches:
        fan_out.sink.trust({**every_partners_secret(), target.name: new})
    return new


def deliveries_of(fan_out: FanOut, partner: str, kind: str) -> list[dict[str, Any]]:
    return [item for item in fan_out.sink.deliveries(partner) if item["payload"]["type"] == kind]


def record(client: Any, alert_id: str, channel: str = "news_media") -> dict[str, Any]:
    return dict(json.loads(send(client, "GET", f"/alerts/{alert_id}").body)["deliveries"][channel])


def test_a_retraction_made_during_a_rotation_is_verified_though_the_old_secret_is_still_cached(client, fan_out):
    # Given an alert delivered to the newsroom, its function keeping the secret it signed with
    alert = create(client, fan_out)
    assert [item["verified"] for item in deliveries_of(fan_out, "anp", "alert.published")] == [True]
    # When the secret is rotated and the newsroom verifies with the new one only, and then the child is found
    rotate(fan_out, public_newsroom("anp"), partner_switches=True)
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then the newsroom refused the first try (signed with the cached old secret only) and verified the second,
    # made at once with both secrets read again, within the first receive
    retractions = deliveries_of(fan_out, "anp", "alert.retracted")
    assert [item["verified"] for item in retractions] == [False, True]
    assert len(retractions[1]["signature"]["webhook-signature"].split(" ")) == 2
    news = record(client, alert["id"])
    assert news["state"] == "retracted" and news["targets"]["anp"]["attempts"] == 1
    # And nothing went to the dead-letter queue
    assert fan_out.dead_letters() == []


def test_during_a_rotation_every_delivery_carries_both_signatures_so_either_secret_verifies(client, fan_out):
    # Given a rotation begun (the new secret stored, the old kept as the previous) in a fresh process, while the
    # newsroom still verifies with the old secret
    anp = public_newsroom("anp")
    rotate(fan_out, anp, partner_switches=False)
    reset_process_caches()
    # When an alert goes out and is updated
    alert = create(client, fan_out)
    path = f"/alerts/{alert['id']}"
    send(client, "PATCH", path, {"instruction": {"nl": "Bel 112.", "en": "Call 112."}}, **{"If-Match": '"1"'})
    fan_out.runner.drain()
    # Then each delivery was verified at its first try, signed with both secrets
    published = [*deliveries_of(fan_out, "anp", "alert.published"), *deliveries_of(fan_out, "anp", "alert.updated")]
    assert [item["verified"] for item in published] == [True, True]
    assert all(len(item["signature"]["webhook-signature"].split(" ")) == 2 for item in published)
    # And once the newsroom holds the new secret, the cancel is verified at its first try too
    fan_out.sink.trust({**every_partners_secret()})
    send(client, "POST", f"{path}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    assert [item["verified"] for item in deliveries_of(fan_out, "anp", "alert.retracted")] == [True]
    # And the newsroom whose secret was not rotated is signed for with its one secret
    assert all(len(item["signature"]["webhook-signature"].split(" ")) == 1 for item in fan_out.sink.deliveries("nos"))


def test_a_missing_secret_is_named_in_the_delivery_record(client, fan_out):
    # Given the newsroom's secret deleted from Parameter Store
    anp = public_newsroom("anp")
    boto3.client("ssm").delete_parameter(Name=anp.secret_parameter)
    reset_process_caches()
    # When an alert goes out
    alert = create(client, fan_out)
    # Then the record says which secret and why, and the other newsroom got the alert
    news = record(client, alert["id"])
    assert news["state"] == "failed"
    assert news["targets"]["anp"]["detail"] == f"secret {anp.secret_parameter}: ParameterNotFound"
    assert f"anp: secret {anp.secret_parameter}: ParameterNotFound" in news["detail"]
    assert [item["verified"] for item in fan_out.sink.deliveries("nos")] == [True]


def test_a_malformed_secret_is_named_in_the_delivery_record_and_nothing_is_sent(client, fan_out):
    # Given a secret stored with one of its characters changed into one that is not base64
    anp = public_newsroom("anp")
    value = stored(anp.secret_parameter)
    store(anp.secret_parameter, value[:20] + "!" + value[21:])
    reset_process_caches()
    # When an alert goes out
    alert = create(client, fan_out)
    # Then the record says the secret is not base64, and the newsroom was sent nothing signed with another key
    detail = record(client, alert["id"])["targets"]["anp"]["detail"]
    assert detail.startswith(f"secret {anp.secret_parameter}: not base64")
    assert fan_out.sink.deliveries("anp") == []
