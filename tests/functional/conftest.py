"""Functional fixtures: AWS emulated in-process by moto, the table built from the infra template."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

import app as api
from chalicelib.adapters.clients import dynamodb_client

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "resources.json"


def deploy_resources(stage: str = "local") -> dict[str, str]:
    """Create the infra template's stack in the (emulated) account and return its outputs."""
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(
        StackName=f"kind-alarm-{stage}",
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
    )
    stack = cloudformation.describe_stacks(StackName=f"kind-alarm-{stage}")["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}


def reset_process_caches() -> None:
    dynamodb_client.cache_clear()
    api.alert_service.cache_clear()


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    with mock_aws():
        reset_process_caches()
        yield deploy_resources()
    reset_process_caches()


@pytest.fixture
def client(aws: dict[str, str]) -> Iterator[Client]:
    with Client(api.app, stage_name="local") as test_client:
        yield test_client


def send(client: Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """One HTTP request through the Chalice app; dict bodies go as JSON."""
    payload = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    all_headers = {"content-type": "application/json", **headers} if payload is not None else headers
    return getattr(client.http, method.lower())(path, headers=all_headers, body=payload)
