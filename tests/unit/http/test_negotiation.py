"""Content negotiation (RFC 9110) and the base URL a request came in on: pure functions of headers."""

from __future__ import annotations

import pytest

from chalicelib.http.openapi import request_base
from chalicelib.http.responses import accepts, gateway_sends_binary

BINARY = ["application/octet-stream", "image/png", "image/jpeg"]


@pytest.mark.parametrize(
    ("accept", "admitted"),
    [
        (None, True),
        ("", True),
        ("*/*", True),
        ("image/*", True),
        ("IMAGE/PNG", True),
        ("text/html, */*;q=0.1", True),
        ("image/png;q=0.001", True),
        ("image/*;q=0, image/png", True),  # the most specific range decides
        ("application/json", False),
        ("image/jpeg, image/webp", False),
        ("image/png;q=0, */*", False),
        ("*/*;q=0", False),
        ("image/png;q=2", False),  # not a quality value: the range is ignored
        ("image/png;q=high", False),
        ("image", False),
    ],
)
def test_accept_admits_png(accept, admitted):
    assert accepts(accept, "image/png") is admitted


@pytest.mark.parametrize(
    ("accept", "converted"),
    [
        ("image/png", True),
        ("image/png;q=0.5, */*", True),
        ("image/jpeg", True),
        ("*/*", False),
        ("image/*", False),
        (None, False),
        ("text/html, image/png", False),
    ],
)
def test_api_gateway_converts_only_on_a_first_accept_type_it_knows(accept, converted):
    assert gateway_sends_binary(accept, BINARY) is converted
    assert gateway_sends_binary(accept, ["*/*"]) is (accept is not None)


@pytest.mark.parametrize(
    ("headers", "context", "base"),
    [
        # chalice local: no stage in the path
        ({"host": "127.0.0.1:8000"}, {"path": "/openapi.json"}, "http://127.0.0.1:8000"),
        # API Gateway's own domain: the stage is in the path
        (
            {"host": "abc123.execute-api.eu-west-1.amazonaws.com", "x-forwarded-proto": "https"},
            {"path": "/api/openapi.json", "stage": "api"},
            "https://abc123.execute-api.eu-west-1.amazonaws.com/api",
        ),
        # a custom domain with a base path mapping, and one without
        (
            {"host": "api.kindalarm.nl", "x-forwarded-proto": "https"},
            {"path": "/v1/openapi.json"},
            "https://api.kindalarm.nl/v1",
        ),
        (
            {"host": "api.kindalarm.nl", "x-forwarded-proto": "https"},
            {"path": "/openapi.json"},
            "https://api.kindalarm.nl",
        ),
        ({"host": "[::1]:8000"}, {}, "http://[::1]:8000"),
        # a Host that is no host name never reaches the document: the path alone
        ({"host": 'evil.example/"><script>'}, {"path": "/api/openapi.json"}, "/api"),
        ({"host": "evil.example", "x-forwarded-proto": "javascript"}, {}, "http://evil.example"),
        ({}, {"path": "/openapi.json"}, "/"),
    ],
)
def test_the_base_a_request_came_in_on(headers, context, base):
    assert request_base(headers, context, "/openapi.json") == base
