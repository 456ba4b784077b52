"""Whatever arrives, every route answers 2xx or a 4xx problem document: never a 5xx for bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import alert_body
from tests.functional.conftest import send

ALERT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
# {id} is an existing alert, so that changes reach the use cases and not just a 404.
ROUTES = [
    ("POST", "/alerts"),
    ("PATCH", "/alerts/{id}"),
    ("POST", "/alerts/{id}/cancel"),
    ("PATCH", f"/alerts/{ALERT_ID}"),
    ("GET", "/alerts/{id}"),
    ("GET", "/alerts/{id}/previews/news_media"),
    ("POST", "/photos"),
    ("PUT", "/devices/phone-1"),
    ("DELETE", "/devices/phone-1"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)


def mutated_alert(draw: st.DrawFn) -> dict[str, Any]:
    """A valid alert with one field replaced by something random: the likeliest kind of bad input."""
    body = alert_body()
    field = draw(st.sampled_from(sorted(body)))
    body[field] = draw(json_values)
    return body


bodies = st.one_of(
    json_values.map(json.dumps),
    st.binary(max_size=200),
    st.composite(mutated_alert)().map(json.dumps),
)
content_types = st.sampled_from(
    ["application/json", "application/merge-patch+json", "application/json; charset=latin-1", "text/plain", ""]
)
if_match = st.sampled_from([None, '"1"', '"2"', "*", "garbage", '"99999999999999999999"'])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(route=st.sampled_from(ROUTES), body=bodies, content_type=content_types, version=if_match)
def test_random_requests_never_get_a_5xx(client, route, body, content_type, version):
    method, template = route
    existing = send(client, "POST", "/alerts", alert_body(reference="BN-FUZZ"))
    path = template.format(id=json.loads(existing.body)["id"])
    headers = {"content-type": content_type} if content_type else {}
    if version is not None:
        headers["If-Match"] = version
    response = getattr(client.http, method.lower())(path, headers=headers, body=body)
    assert response.status_code < 500, (route, body[:200], response.body[:300])
    if response.status_code >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"
        assert json.loads(response.body)["status"] == response.status_code


@pytest.mark.parametrize("path", ["/alerts/%00", "/alerts/" + "a" * 5000, f"/alerts/{ALERT_ID}/previews/%F0%9F%9A%A8"])
def test_odd_paths_are_problems(client, path):
    response = send(client, "GET", path)
    assert 400 <= response.status_code < 500
