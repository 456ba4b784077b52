"""The webhook transport against a real local HTTP server: answers, timeouts, rate limits, backoff."""

from __future__ import annotations

import pytest

from chalicelib.adapters.failures import PartnerError
from chalicelib.adapters.webhooks import WebhookSender
from devstack.partners import new_secret
from devstack.sink import Misbehaviour, PartnerSink


@pytest.fixture
def sink():
    server = PartnerSink().start()
    server.trust({"anp": SECRET})
    yield server
    server.stop()


SECRET = new_secret()


def test_an_accepted_delivery_returns_the_partner_reference(sink):
    receipt = WebhookSender(timeout_seconds=2).send(f"{sink.url}/webhooks/anp", SECRET, "id-1", {"a": "Zoë"})
    assert (receipt.status, receipt.reference) == (200, "anp-1")
    assert sink.deliveries("anp")[0]["payload"] == {"a": "Zoë"}
    assert sink.deliveries("anp")[0]["verified"] is True


def test_a_repeated_delivery_id_is_recognisable(sink):
    sender = WebhookSender(timeout_seconds=2)
    first = sender.send(f"{sink.url}/webhooks/anp", SECRET, "id-1", {"a": 1})
    again = sender.send(f"{sink.url}/webhooks/anp", SECRET, "id-1", {"a": 1})
    assert first.reference == again.reference
    assert [d["duplicate"] for d in sink.deliveries("anp")] == [False, True]


def test_a_wrong_secret_is_refused_by_the_partner(sink):
    with pytest.raises(PartnerError, match="HTTP 401"):
        WebhookSender(timeout_seconds=2).send(f"{sink.url}/webhooks/anp", new_secret(), "id-1", {"a": 1})


def test_a_server_error_is_a_partner_error(sink):
    sink.misbehave("anp", Misbehaviour(status=500, times=1))
    with pytest.raises(PartnerError, match="HTTP 500"):
        WebhookSender(timeout_seconds=2).send(f"{sink.url}/webhooks/anp", SECRET, "id-1", {})


def test_a_slow_partner_times_out(sink):
    sink.misbehave("anp", Misbehaviour(status=200, times=1, delay_seconds=1.0))
    with pytest.raises(PartnerError, match="unreachable"):
        WebhookSender(timeout_seconds=0.2).send(f"{sink.url}/webhooks/anp", SECRET, "id-1", {})


def test_a_partner_that_is_not_there_is_unreachable():
    with pytest.raises(PartnerError, match="unreachable"):
        WebhookSender(timeout_seconds=0.5).send("http://127.0.0.1:9/webhooks/x", SECRET, "id-1", {})
