"""Telling CloudFront that the site's files changed, so a found child's page is what everyone sees within seconds."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

# CloudFront takes at most 3,000 paths in progress per distribution; an alert changes about a dozen.
MAX_PATHS = 3000


class SiteCache:
    """The distribution in front of the site; without one (the local stack) there is no cache to clear."""

    def __init__(self, client: Any, distribution_id: str) -> None:
        self._client = client
        self._distribution_id = distribution_id

    def invalidate(self, paths: Iterable[str]) -> str | None:
        """Invalidate these paths (relative to the site's root); the invalidation's id, None without a cache."""
        # CloudFront's cache key is the address as requested: a character a browser percent-encodes is invalidated
        # encoded (RFC 1738's unsafe and every non-ASCII one; «*» stays CloudFront's wildcard).
        items = sorted({"/" + quote(path.lstrip("/"), safe="/*") for path in paths})[:MAX_PATHS]
        if not self._distribution_id or not items:
            return None
        answer = self._client.create_invalidation(
            DistributionId=self._distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(items), "Items": items},
                "CallerReference": f"{int(time.time())}-{uuid.uuid4().hex}",
            },
        )
        return str(answer["Invalidation"]["Id"])
