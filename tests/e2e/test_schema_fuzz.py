"""Schemathesis against the local stack: requests generated from the OpenAPI document, valid and broken. No 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from chalicelib.http.openapi import openapi_document
from tests.conftest import alert_body

pytestmark = pytest.mark.e2e

SCHEMA = schemathesis.openapi.from_dict(openapi_document())
OPERATIONS: list[Any] = [result.ok() for result in SCHEMA.get_all_operations()]  # type: ignore[union-attr]
EXAMPLES_PER_OPERATION = 150
sent: list[int] = []


@pytest.fixture(scope="module")
def alert_id(local_stack) -> str:
    reply = requests.post(f"{local_stack.api}/alerts", json=alert_body(reference="BN-SCHEMA-FUZZ"), timeout=10)
    return str(reply.json()["id"])


def cases(operation: Any, alert_id: str) -> st.SearchStrategy[Any]:
    """Valid and broken requests; for half of them the path names a real alert, so they reach the use cases."""
    strategies = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    if "{id}" in operation.path:
        strategies += [
            operation.as_strategy(mode, path_parameters={"id": alert_id})
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    return st.one_of(strategies)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_generated_requests_never_get_a_5xx(local_stack, alert_id, operation):
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation, alert_id))
    def run(case: Any) -> None:
        response = case.call(base_url=local_stack.api, timeout=30)
        sent.append(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
        if response.status_code >= 400:
            assert response.headers.get("content-type") == ["application/problem+json"], (
                response.status_code,
                dict(case.headers or {}),
                response.text[:300],
            )

    run()


def test_at_least_a_thousand_requests_were_sent():
    # Runs after the generated tests in this module (pytest keeps file order).
    assert len(sent) >= 1000, len(sent)
    assert any(status < 300 for status in sent) and any(400 <= status < 500 for status in sent)
