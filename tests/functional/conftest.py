"""Functional fixtures: AWS emulated in-process by moto, the resources built from the infra template."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

import app as api
from chalicelib.wiring import reset, wiring
from devstack.partners import local_partners, store_secrets
from devstack.resources import deploy_resources
from devstack.runner import EventRunner
from devstack.sink import PartnerSink
from devstack.wiring import event_runner, function_environment
from tests.conftest import alert_body


def reset_process_caches() -> None:
    """A fresh process: every part, client and setting is built again from the environment."""
    reset()


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    with mock_aws():
        reset_process_caches()
        yield deploy_resources("local", boto3.session.Session())
    reset_process_caches()


@pytest.fixture
def reference_lookups(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every reference the alert table is asked for (each one a DynamoDB read before the answer)."""
    store = wiring().alert_service._store
    looked_up: list[str] = []
    original = store.find_by_reference

    def find_by_reference(reference: str) -> Any:
        looked_up.append(reference)
        return original(reference)

    monkeypatch.setattr(store, "find_by_reference", find_by_reference)
    return looked_up


@pytest.fixture
def client(aws: dict[str, str]) -> Iterator[Client]:
    with Client(api.app, stage_name="local") as test_client:
        yield test_client


@dataclass
class FanOut:
    """The whole path after the API: stream, dispatcher, topic, queues, channel functions, partners."""

    outputs: dict[str, str]
    runner: EventRunner
    sink: PartnerSink

    def dead_letters(self, channel_output: str = "NewsMediaDeadLetterQueueUrl") -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        messages = sqs.receive_message(QueueUrl=self.outputs[channel_output], MaxNumberOfMessages=10)
        return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


@pytest.fixture
def fan_out(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FanOut]:
    sink = PartnerSink().start()
    directory, partner_secrets = local_partners(sink.url, "local")
    sink.trust(partner_secrets)
    store_secrets(directory, partner_secrets, boto3.client("ssm"))
    environment = function_environment(aws, "local", directory, retry_base_seconds=0)
    for name, value in {**environment, "WEBHOOK_TIMEOUT_SECONDS": "0.5"}.items():
        monkeypatch.setenv(name, value)
    reset_process_caches()
    runner = event_runner(api, boto3.session.Session(), aws)
    yield FanOut(aws, runner, sink)
    sink.stop()


def send(client: Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """One HTTP request through the Chalice app; dict bodies go as JSON."""
    payload = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    all_headers = {"content-type": "application/json", **headers} if payload is not None else headers
    return getattr(client.http, method.lower())(path, headers=all_headers, body=payload)


def create(
    client: Client,
    fan_out: FanOut | None = None,
    *,
    body: dict[str, Any] | None = None,
    expect: int = 201,
    **overrides: Any,
) -> dict[str, Any]:
    """``POST /alerts`` with ``body``, or the sample body with ``overrides`` (top-level fields); the alert answered.

    The answer must be ``expect``: 201 for a new alert, 200 for one its reference already names. With
    ``fan_out``, everything after the API (stream, dispatcher, channels, partners) has run too.
    """
    response = send(client, "POST", "/alerts", alert_body(**overrides) if body is None else body)
    assert response.status_code == expect, response.body
    if fan_out is not None:
        fan_out.runner.drain()
    return dict(json.loads(response.body))
