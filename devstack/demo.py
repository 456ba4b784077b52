"""`make demo`: post a sample alert, show its deliveries per channel and its public page, cancel it, show the
retractions.

Uses the stack `make run` started when it answers on the given ports, else starts one of its own.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import requests

from chalicelib.channels.policy import deployed_channels_for
from chalicelib.channels.targets import audience_for
from chalicelib.links import public_page
from devstack.process import LocalStackProcess, start_local_stack
from devstack.samples import sample_alert

FINISHED = {"delivered", "failed", "retracted"}


def wait_for_deliveries(api: str, alert_id: str, version: int, timeout: float = 30.0) -> dict[str, Any]:
    """Poll the alert until every channel of its level has a record at ``version`` that has finished."""
    deadline = time.monotonic() + timeout
    while True:
        alert = requests.get(f"{api}/alerts/{alert_id}", timeout=5).json()
        deliveries = alert["deliveries"]
        expected = set(deployed_channels_for(alert["level"]))
        done = expected <= set(deliveries) and all(
            r["version"] >= version and r["state"] in FINISHED for r in deliveries.values()
        )
        if done or time.monotonic() > deadline:
            return dict(deliveries)
        time.sleep(0.1)


def show(title: str, deliveries: dict[str, Any], sink_items: list[dict[str, Any]]) -> None:
    print(f"\n== {title}")
    for channel, record in sorted(deliveries.items()):
        seconds = record.get("seconds_to_delivery")
        timing = f" in {seconds:.2f} s" if seconds is not None else ""
        print(f"  {channel}: {record['state']} (version {record['version']}){timing}")
        for target, result in sorted(record.get("targets", {}).items()):
            print(
                f"    {target}: {result['state']} after {result['attempts']} attempt(s), ref {result.get('reference')}"
            )
    for item in sink_items:
        payload = item["payload"]
        signed = "signature valid" if item["verified"] else "SIGNATURE INVALID"
        print(f"  partner sink <- {item['partner']}: {payload['type']} v{payload['alert']['version']} ({signed})")


def show_posts(sink: str, before: int) -> None:
    for post in requests.get(f"{sink}/posts", timeout=5).json()[before:]:
        state = "deleted" if post["deleted"] else "live"
        first_line = post["text"].splitlines()[0] if post["text"] else ""
        card = ", with the social card" if post["image"] else ""
        print(f"  post {post['id']} on {post['partner']}: {state} ({first_line!r}{card})")


def page_of(alert: dict[str, Any], site: str) -> str:
    """The alert's public page: the address its links give, else the one the site's layout makes."""
    given = alert.get("links", {}).get("public_page")
    return str(given) if given else public_page(site, alert["id"], audience_for(alert["status"]) == "sandbox")


def show_page(page: str, deliveries: dict[str, Any]) -> None:
    status = requests.get(page, timeout=5).status_code
    web = deliveries.get("web")
    written = f" (web channel: {web['state']}, version {web['version']})" if web else " (no web channel ran)"
    print(f"  public page {page}: HTTP {status}{written}")


def run(api: str, sink: str, site: str) -> str:
    """The demo against a running stack; the alert's public page."""
    posts_before = len(requests.get(f"{sink}/posts", timeout=5).json())
    reference = f"BN-DEMO-{int(time.time())}"
    created = requests.post(f"{api}/alerts", json=sample_alert(reference), timeout=10).json()
    alert_id, page = created["id"], page_of(created, site)
    print(f"created alert {alert_id} ({reference}), version {created['version']}")
    print(f"  its public page: {page}")
    deliveries = wait_for_deliveries(api, alert_id, 1)
    show("published", deliveries, _sink_items(sink, alert_id))
    show_posts(sink, posts_before)
    show_page(page, deliveries)
    cancelled = requests.post(f"{api}/alerts/{alert_id}/cancel", json={"reason": "found"}, timeout=10).json()
    print(f"\ncancelled (found): state {cancelled['state']}, version {cancelled['version']}")
    deliveries = wait_for_deliveries(api, alert_id, cancelled["version"])
    retractions = [i for i in _sink_items(sink, alert_id) if i["payload"]["type"].endswith((".retracted", ".clear"))]
    show("retracted", deliveries, retractions)
    show_posts(sink, posts_before)
    show_page(page, deliveries)
    return page


def _sink_items(sink: str, alert_id: str) -> list[dict[str, Any]]:
    items = requests.get(f"{sink}/deliveries", timeout=5).json()
    return [item for item in items if (item.get("payload") or {}).get("alert", {}).get("id") == alert_id]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--sink", default="http://127.0.0.1:8025")
    parser.add_argument("--site", default="http://127.0.0.1:8030")
    options = parser.parse_args(argv)
    own: LocalStackProcess | None = None
    try:
        requests.get(options.sink, timeout=1)
    except requests.ConnectionError:
        print("no local stack running; starting one for this demo", file=sys.stderr)
        own = start_local_stack()
        options.api, options.sink, options.site = own.api, own.sink, own.site
    try:
        page = run(options.api, options.sink, options.site)
        if own is None:
            print(f"\nevery delivery, with its images: {options.sink}/")
            print(f"the alert's public page: {page}   the site: {options.site}/")
    finally:
        if own is not None:
            own.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
