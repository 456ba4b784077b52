"""The public addresses of an alert that every channel links to, and where the site's files lie.

The public site is static: every path here is a file under ``site/`` in the bucket, served as it is (CloudFront in
AWS, the site port locally). Exercise and test alerts live under ``sandbox/``, apart from the public pages.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["nl", "en"]
SANDBOX_DIR = "sandbox/"


def site_dir(sandbox: bool) -> str:
    """The folder of one audience's site, relative to the site's root: ``""`` or ``"sandbox/"``."""
    return SANDBOX_DIR if sandbox else ""


def page_path(alert_id: str, sandbox: bool = False, language: Language = "nl") -> str:
    """The alert's page relative to the site's root; the Dutch page is the canonical one."""
    suffix = "" if language == "nl" else f".{language}"
    return f"{site_dir(sandbox)}alerts/{alert_id}{suffix}.html"


def public_page(site_url: str, alert_id: str, sandbox: bool = False, language: Language = "nl") -> str:
    """The alert's official page: static, on the public site; the address stays when the child is found."""
    return f"{site_url.rstrip('/')}/{page_path(alert_id, sandbox, language)}"
