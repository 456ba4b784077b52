"""Screenshots of the public site into docs/site/: an alert's page on a phone and a desktop, the page once the child
is found, and the widget on a partner's page; the browser machinery the browser tests use too.

A local stack of its own gets the sample alert with the drawn stand-in photo (never a real child). The browser is
Debian's headless Chromium driven by Playwright (Playwright's own browser download cannot be fetched here).
Run with ``make previews``.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from devstack.previews import stand_in_photo
from devstack.process import start_local_stack
from devstack.samples import sample_alert

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "site"
WIDGET_DOC = ROOT / "docs" / "widget.md"
# The site address docs/widget.md writes in its snippets; partners put their own there.
DOCUMENTED_SITE = "https://kindalarm.burgernet.nl"
PHONE: ViewportSize = {"width": 360, "height": 800}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
# Without the background-networking flags Chromium keeps calling Google's services, which a closed network refuses.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
INSTALL_HINT = (
    "No Chromium to drive: install Debian's package (apt-get update && apt-get install -y chromium, as root), "
    "or set KINDALARM_CHROMIUM=/path/to/chromium. Playwright's own browser download is not used."
)


def chromium_executable() -> str | None:
    """KINDALARM_CHROMIUM if set, else Debian's chromium; None when that is no program."""
    named = os.environ.get("KINDALARM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return named if os.path.isfile(named) and os.access(named, os.X_OK) else None


def launch_chromium(playwright: Playwright) -> Browser:
    executable = chromium_executable()
    if executable is None:
        raise RuntimeError(INSTALL_HINT)
    return playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))


def widget_snippet(site: str, sandbox: bool = False) -> str:
    """The plain (or sandbox) snippet docs/widget.md gives partners, pointed at ``site``."""
    blocks = re.findall(r"```html\n(.*?)```", WIDGET_DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    plain = [block.strip() for block in blocks if block.strip().startswith("<script") and "data-lang" not in block]
    snippet = next(block for block in plain if ('data-sandbox="true"' in block) == sandbox)
    return str(snippet).replace(DOCUMENTED_SITE, site.rstrip("/"))


def partner_page(snippet: str) -> str:
    """A news site's page with the widget's snippet at the top of its main content."""
    return (
        '<!DOCTYPE html>\n<html lang="nl">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>Omroep Voorbeeld</title>\n'
        "<style>body{margin:0;font:16px/1.5 Georgia,serif;color:#222;background:#f4f1ea}"
        "header{padding:12px 24px;color:#fff;background:#24324a;font:700 22px/1.2 sans-serif}"
        "main{max-width:44rem;margin:0 auto;padding:16px 24px}</style>\n</head>\n<body>\n"
        "<header>Omroep Voorbeeld</header>\n<main>\n"
        f"{snippet}\n<h1>Nieuws uit de regio</h1>\n"
        "<p>Het college presenteert vandaag de plannen voor het nieuwe fietspad langs de rivier. "
        "De werkzaamheden beginnen na de zomer.</p>\n</main>\n</body>\n</html>\n"
    )


class PartnerSite:
    """A partner's website on its own port (another origin than the Kind Alarm site), serving the pages it is given."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = pages.get(self.path)
                body = (page or "Not found").encode()
                self.send_response(200 if page is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="partner-site", daemon=True)
        self._thread.start()

    def add(self, path: str, html: str) -> str:
        """Serve ``html`` at ``path``; its URL."""
        self.pages[path] = html
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.2)


def publish(api: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create the alert over the API and wait until its public page shows the child; the alert as created."""
    created = requests.post(f"{api}/alerts", json=body, timeout=30)
    created.raise_for_status()
    alert: dict[str, Any] = created.json()
    page = alert["links"]["public_page"]
    wait_for(lambda: body["child"]["name"] in _text(page), f"the public page {page}")
    return alert


def cancel(api: str, alert: dict[str, Any], reason: str = "found") -> None:
    """End the alert over the API and wait until its public page no longer shows it."""
    answer = requests.post(f"{api}/alerts/{alert['id']}/cancel", json={"reason": reason}, timeout=30)
    answer.raise_for_status()
    page = alert["links"]["public_page"]
    wait_for(lambda: alert["child"]["name"] not in _text(page), f"the ended page {page}")


def photo_body() -> dict[str, str]:
    return {"content_type": "image/jpeg", "data": base64.b64encode(stand_in_photo()).decode()}


def wait_for_widget_photos(page: Page) -> None:
    page.wait_for_function(
        "() => { const photos = [...document.querySelectorAll('.kindalarm-photo')];"
        " return photos.length > 0 && photos.every(p => p.complete && p.naturalWidth > 0); }"
    )


def _text(url: str) -> str:
    response = requests.get(url, timeout=10)
    return response.text if response.status_code == 200 else ""


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    stack = start_local_stack()
    partner = PartnerSite()
    try:
        alert = publish(stack.api, sample_alert(f"BN-PREVIEW-{int(time.time())}", photo=photo_body()))
        page_url = alert["links"]["public_page"]
        partner_url = partner.add("/", partner_page(widget_snippet(stack.site)))
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            shoot(browser, page_url, PHONE, "alert-phone.png", full_page=True)
            shoot(browser, page_url, DESKTOP, "alert-desktop.png", full_page=False)
            shoot(browser, partner_url, {"width": 1024, "height": 600}, "widget.png", full_page=False, widget=True)
            cancel(stack.api, alert)
            shoot(browser, page_url, PHONE, "found-phone.png", full_page=True)
            browser.close()
    finally:
        partner.stop()
        stack.stop()
    return 0


def shoot(browser: Browser, url: str, size: ViewportSize, name: str, full_page: bool, widget: bool = False) -> None:
    context = browser.new_context(viewport=size)
    page = context.new_page()
    page.goto(url, wait_until="load")
    if widget:
        wait_for_widget_photos(page)
    path = OUT / name
    page.screenshot(path=str(path), full_page=full_page)
    context.close()
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
