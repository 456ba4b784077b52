"""What newsrooms receive, and that the retraction carries nothing about the child."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.alerts import lifecycle
from chalicelib.channels.base import Assets, ContentError
from chalicelib.channels.news_media import NewsMediaChannel, render, render_retraction
from chalicelib.models.alert import Alert, AlertCreate
from chalicelib.models.validation import parse_model
from tests.conftest import alert_body

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)


def an_alert(**overrides: object) -> Alert:
    return lifecycle.new_alert(parse_model(AlertCreate, alert_body(**overrides)), "a-1", NOW)


def test_newsrooms_get_the_whole_alert_in_both_languages():
    payload = render(an_alert(), {})
    assert payload["type"] == "alert.published"
    alert = payload["alert"]
    assert (alert["id"], alert["version"], alert["level"], alert["status"]) == ("a-1", 1, "kind_alarm", "actual")
    assert alert["event"] == {"nl": "Kind Alarm", "en": "Child Alert"}
    assert alert["child"]["name"] == "Sanne de Vries"
    assert alert["headline"]["en"] == "Sanne (9) missing in Utrecht"
    assert alert["instruction"]["nl"] == "Zie je Sanne? Bel direct 112."
    assert alert["contact"] == {"phone": "0800-6070"}


def test_a_later_version_is_an_update():
    alert = an_alert()
    content = lifecycle.patched_content(alert, {"contact": {"phone": "112"}})
    assert render(lifecycle.revise(alert, content, NOW), {})["type"] == "alert.updated"


def test_the_retraction_names_the_alert_but_not_the_child():
    cancelled = lifecycle.cancel(an_alert(), "found", NOW)
    payload = render_retraction(cancelled)
    assert payload["type"] == "alert.retracted"
    assert payload["alert"]["reason"] == "found"
    assert "gevonden" in payload["notice"]["nl"]
    text = str(payload)
    for detail in ("Sanne", "rode jas", "Utrecht"):
        assert detail not in text


def test_content_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr("chalicelib.channels.webhook_channel.MAX_PAYLOAD_BYTES", 500)
    channel = NewsMediaChannel(None, None)  # type: ignore[arg-type]
    with pytest.raises(ContentError, match="news_media payload is"):
        channel.render(an_alert(), Assets(public_page="https://kindalarm.example/alerts/a-1.html"))
