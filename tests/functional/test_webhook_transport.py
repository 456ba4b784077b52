"""The webhook transport against a real local HTTP server: answers, timeouts, rate limits, backoff, signatures."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from chalicelib.adapters.failures import PartnerError
from chalicelib.adapters.secrets import SecretError
from chalicelib.adapters.webhooks import SignatureRefusedError, WebhookSender, signing_keys
from devstack.partners import new_secret
from devstack.sink import Misbehaviour, PartnerSink


@pytest.fixture
def sink():
    server = PartnerSink().start()
    server.trust({"anp": SECRET})
    yield server
    server.stop()


SECRET = new_secret()
KEYS = signing_keys({"/anp/secret": SECRET})


def test_an_accepted_delivery_returns_the_partner_reference(sink):
    receipt = WebhookSender(timeout_seconds=2).send(f"{sink.url}/webhooks/anp", KEYS, "id-1", {"a": "Zoë"})
    assert (receipt.status, receipt.reference) == (200, "anp-1")
    assert sink.deliveries("anp")[0]["payload"] == {"a": "Zoë"}
    assert sink.deliveries("anp")[0]["verified"] is True


def test_a_repeated_delivery_id_is_recognisable(sink):
    sender = WebhookSender(timeout_seconds=2)
    first = sender.send(f"{sink.url}/webhooks/anp", KEYS, "id-1", {"a": 1})
    again = sender.send(f"{sink.url}/webhooks/anp", KEYS, "id-1", {"a": 1})
    assert first.reference == again.reference
    assert [d["duplicate"] for d in sink.deliveries("anp")] == [False, True]


def test_a_wrong_secret_is_refused_by_the_partner_and_told_apart_from_other_failures(sink):
    other = signing_keys({"/anp/secret": new_secret()})
    with pytest.raises(SignatureRefusedError, match="HTTP 401"):
        WebhookSender(timeout_seconds=2).send(f"{sink.url}/webhooks/anp", other, "id-1", {"a": 1})


@pytest.mark.parametrize("trusted", ["new", "old"])
def test_a_delivery_during_a_rotation_is_verified_by_a_partner_holding_either_secret(sink, trusted):
    # Given a rotation: the new secret stored, the old one kept as the previous
    new, old = new_secret(), SECRET
    keys = signing_keys({"/anp/secret": new, "/anp/previous": old})
    # When the partner holds only one of them
    sink.trust({"anp": new if trusted == "new" else old})
    receipt = WebhookSender(timeout_seconds=2).send(f"{sink.url}/webhooks/anp", keys, "id-1", {"a": 1})
    # Then it verified the delivery: the header carries one v1 signature per secret, newest first
    assert receipt.status == 200 and sink.deliveries("anp")[0]["verified"] is True
    signatures = sink.deliveries("anp")[0]["signature"]["webhook-signature"].split(" ")
    assert [entry.split(",")[0] for entry in signatures] == ["v1", "v1"]
    assert signatures[0] != signatures[1]


def test_a_secret_stored_in_both_places_signs_once():
    assert len(signing_keys({"/anp/secret": SECRET, "/anp/previous": SECRET})) == 1


@pytest.mark.parametrize("value", ["whsec_not a secret!", "whsec_abcde", "kind-alarm-token-ü"])
def test_a_secret_that_is_not_base64_is_refused_before_anything_is_sent(value):
    with pytest.raises(SecretError, match=r"^secret /anp/secret: not base64"):
        signing_keys({"/anp/secret": value})


def test_whitespace_pasted_with_a_secret_is_not_part_of_it(sink):
    keys = signing_keys({"/anp/secret": f" {SECRET[:30]}\n{SECRET[30:]}\n"})
    assert WebhookSender(timeout_seconds=2).send(f"{sink.url}/webhooks/anp", keys, "id-1", {}).status == 200


def test_the_partner_tries_each_signature_and_passes_over_those_it_cannot_read(sink):
    # Given a delivery whose header holds a mangled entry, another scheme's, a wrong one and, last, the right one
    body, at = json.dumps({"a": 1}), datetime.now(timezone.utc)
    right, wrong = Webhook(SECRET).sign("id-1", at, body), Webhook(new_secret()).sign("id-1", at, body)
    header = f"garbage v1,not-base64! v1a,{'A' * 88} {wrong} {right}"
    headers = {"webhook-id": "id-1", "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": header}
    # When it arrives
    answer = requests.post(f"{sink.url}/webhooks/anp", data=body, headers=headers, timeout=5)
    # Then the partner verified it by the one that matches
    assert answer.status_code == 200 and sink.deliveries("anp")[0]["verified"] is True
    # And with no readable signature that matches, it is refused (not an error)
    headers["webhook-signature"] = f"garbage {wrong}"
    assert requests.post(f"{sink.url}/webhooks/anp", data=body, headers=headers, timeout=5).status_code == 401


def test_a_server_error_is_a_partner_error(sink):
    sink.misbehave("anp", Misbehaviour(status=500, times=1))
    with pytest.raises(PartnerError, match="HTTP 500") as raised:
        WebhookSender(timeout_seconds=2).send(f"{sink.url}/webhooks/anp", KEYS, "id-1", {})
    assert not isinstance(raised.value, SignatureRefusedError)


def test_a_slow_partner_times_out(sink):
    sink.misbehave("anp", Misbehaviour(status=200, times=1, delay_seconds=1.0))
    with pytest.raises(PartnerError, match="unreachable"):
        WebhookSender(timeout_seconds=0.2).send(f"{sink.url}/webhooks/anp", KEYS, "id-1", {})


def test_a_partner_that_is_not_there_is_unreachable():
    with pytest.raises(PartnerError, match="unreachable"):
        WebhookSender(timeout_seconds=0.5).send("http://127.0.0.1:9/webhooks/x", KEYS, "id-1", {})
