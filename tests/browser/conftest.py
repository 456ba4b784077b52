"""One local stack, one headless Chromium and one partner website for every browser test of a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from devstack.process import LocalStackProcess, start_local_stack
from devstack.site_previews import INSTALL_HINT, PartnerSite, chromium_executable, launch_chromium


@pytest.fixture(scope="module")
def local_stack() -> Iterator[LocalStackProcess]:
    stack = start_local_stack()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # A missing browser fails the suite: skipped browser tests would pass a gate that proved nothing.
    if chromium_executable() is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A visitor of their own: no cache, no cookies from another test."""
    fresh = browser.new_context(viewport={"width": 1280, "height": 900})
    yield fresh
    fresh.close()


@pytest.fixture(scope="module")
def partner() -> Iterator[PartnerSite]:
    site = PartnerSite()
    yield site
    site.stop()
