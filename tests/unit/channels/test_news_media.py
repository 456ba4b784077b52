"""What newsrooms receive, and that the retraction carries nothing about the child."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.alerts import lifecycle
from chalicelib.channels.base import Assets, ContentError
from chalicelib.channels.news_media import NewsMediaChannel, render, render_retraction
from tests.conftest import ALERT_ID, alert

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
PAGE = f"https://kindalarm.example/alerts/{ALERT_ID}.html"


def test_newsrooms_get_the_whole_alert_in_both_languages():
    payload = render(alert(), {}, PAGE)
    assert payload["type"] == "alert.published"
    sent = payload["alert"]
    assert (sent["id"], sent["version"], sent["level"], sent["status"]) == (ALERT_ID, 1, "kind_alarm", "actual")
    assert sent["event"] == {"nl": "Kind Alarm", "en": "Child Alert"}
    assert sent["child"]["name"] == "Sanne de Vries"
    assert sent["headline"]["en"] == "Sanne (9) missing in Utrecht"
    assert sent["instruction"]["nl"] == "Zie je Sanne? Bel direct 112."
    assert sent["contact"] == {"phone": "0800-6070"}


def test_a_later_version_is_an_update():
    first = alert()
    content = lifecycle.patched_content(first, {"contact": {"phone": "112"}})
    assert render(lifecycle.revise(first, content, NOW), {}, PAGE)["type"] == "alert.updated"


def test_the_retraction_names_the_alert_but_not_the_child():
    cancelled = lifecycle.cancel(alert(), "found", NOW)
    payload = render_retraction(cancelled, PAGE)
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
        channel.render(alert(), Assets(public_page=PAGE))
