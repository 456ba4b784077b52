"""The public addresses of an alert that every channel links to."""

from __future__ import annotations


def public_page(site_url: str, alert_id: str) -> str:
    """The alert's official page: static, on the public site; the address stays when the child is found."""
    return f"{site_url.rstrip('/')}/alerts/{alert_id}.html"
