"""The alert's JSON links to its official public page: the public one for a real alert, the sandbox one otherwise."""

from __future__ import annotations

import json

import pytest

from chalicelib.wiring import reset
from tests.functional.conftest import create, send

SITE = "https://kindalarm.burgernet.nl"


def test_the_alert_links_to_its_public_page(client):
    # Given a real alert, just created
    created = create(client)
    # When it is read back
    read = json.loads(send(client, "GET", f"/alerts/{created['id']}").body)
    # Then both answers name its page on the public site
    page = f"{SITE}/alerts/{created['id']}.html"
    assert created["links"]["public_page"] == page
    assert read["links"]["public_page"] == page


@pytest.mark.parametrize("status", ["exercise", "test"])
def test_an_exercise_or_test_links_to_its_sandbox_page(client, status):
    created = create(client, reference=f"BN-2026-{status}", status=status)
    assert created["links"]["public_page"] == f"{SITE}/sandbox/alerts/{created['id']}.html"


def test_the_page_is_on_the_configured_site(client, monkeypatch):
    # Given a stage whose public site lies elsewhere
    monkeypatch.setenv("PUBLIC_SITE_URL", "http://127.0.0.1:8030/")
    reset()
    # When an alert is created, then its page is on that site
    created = create(client)
    assert created["links"]["public_page"] == f"http://127.0.0.1:8030/alerts/{created['id']}.html"


def test_the_cancelled_alert_keeps_linking_to_its_page(client):
    created = create(client)
    cancelled = send(client, "POST", f"/alerts/{created['id']}/cancel", {"reason": "found"})
    assert json.loads(cancelled.body)["links"]["public_page"] == created["links"]["public_page"]
