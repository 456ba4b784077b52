"""The web channel's pure parts: what CloudFront is asked to forget, and how an image's name says its version."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.site_cache import SiteCache


class CloudFront:
    """A CloudFront client that keeps the invalidations it is asked for."""

    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []

    def create_invalidation(self, DistributionId: str, InvalidationBatch: dict[str, Any]) -> dict[str, Any]:
        self.batches.append(InvalidationBatch)
        return {"Invalidation": {"Id": f"I{len(self.batches)}"}}


def test_paths_are_sent_as_their_addresses_are_requested():
    # Given a key with characters a browser percent-encodes in the address it asks CloudFront for
    client = CloudFront()
    # When it is invalidated
    SiteCache(client, "E1").invalidate(["alerts/a b\u00e9.html", "/index.html", ""])
    # Then CloudFront is asked for the encoded address (its cache key), and the site's root as «/»
    assert client.batches[0]["Paths"]["Items"] == ["/", "/alerts/a%20b%C3%A9.html", "/index.html"]
    assert client.batches[0]["Paths"]["Quantity"] == 3


def test_nothing_to_invalidate_makes_no_call():
    client = CloudFront()
    assert SiteCache(client, "E1").invalidate([]) is None
    assert SiteCache(None, "").invalidate(["index.html"]) is None
    assert client.batches == []
