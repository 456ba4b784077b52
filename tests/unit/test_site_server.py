"""The local public site's mapping from a request path to a bucket key: always under site/, never outside it."""

from __future__ import annotations

import pytest

from devstack.site_server import UnsafePath, site_key


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ("/", "site/index.html"),
        ("/en/", "site/en/index.html"),
        ("/sandbox/", "site/sandbox/index.html"),
        ("/sandbox/en/", "site/sandbox/en/index.html"),
        ("/alerts/0f8fad5b.html", "site/alerts/0f8fad5b.html"),
        ("/alerts/0f8fad5b.en.html?utm=x", "site/alerts/0f8fad5b.en.html"),
        ("/alerts/0f8fad5b/poster%20large.jpg", "site/alerts/0f8fad5b/poster large.jpg"),
        ("/active.json", "site/active.json"),
        ("/widget.js", "site/widget.js"),
        ("/sandbox/active.json", "site/sandbox/active.json"),
        ("/..foo/bar", "site/..foo/bar"),
    ],
)
def test_a_path_names_its_key_under_site(target, key):
    assert site_key(target) == key


@pytest.mark.parametrize(
    "target",
    [
        "/../feed/index.json",
        "/alerts/../../feed/index.json",
        "/alerts/..",
        "/%2e%2e/feed/index.json",
        "/%2E%2E/feed/index.json",
        "/.%2e/feed/index.json",
        "/..%2ffeed",
        "/..%2Ffeed",
        "/..%5cfeed",
        "/..\\feed",
        "/alerts/%00.html",
        "/alerts/%0a.html",
        "//feed/index.json",
        "/a//b",
        "/./feed",
        "feed/index.json",
        "http://127.0.0.1/feed/index.json",
        "*",
    ],
)
def test_a_path_that_could_leave_site_is_refused(target):
    with pytest.raises(UnsafePath):
        site_key(target)


def test_a_path_that_is_not_utf8_is_refused():
    with pytest.raises(UnicodeDecodeError):
        site_key("/%ff.html")
