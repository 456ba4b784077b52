"""30 concurrent creators and updaters on the local stack: every accepted change lands once, in order, everywhere."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
import requests

from chalicelib.channels.policy import CHANNELS
from tests.conftest import alert_body

pytestmark = pytest.mark.e2e

CREATORS = 15
UPDATERS = 15
WEBHOOK_PARTNERS = ("anp", "nos", "rws-tmc", "ns-screens")


def update_until_accepted(api: str, alert_id: str, worker: int, start: threading.Barrier) -> int:
    """One change by this worker, retried on 412 with the version the problem names; returns the version it made."""
    start.wait()
    version = requests.get(f"{api}/alerts/{alert_id}", timeout=30).json()["version"]
    for _ in range(200):
        patch = {"child": {"name": "Sanne de Vries", "description": f"gezien door melder {worker}"}}
        reply = requests.patch(
            f"{api}/alerts/{alert_id}",
            json=patch,
            headers={"If-Match": f'"{version}"', "Content-Type": "application/merge-patch+json"},
            timeout=30,
        )
        assert reply.status_code in (200, 412), reply.text
        if reply.status_code == 200:
            return int(reply.json()["version"])
        version = reply.json()["current_version"]
    raise AssertionError("never accepted")


def create(api: str, number: int, start: threading.Barrier) -> str:
    start.wait()
    reply = requests.post(f"{api}/alerts", json=alert_body(reference=f"BN-LOAD-{number}"), timeout=30)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def wait_for(condition: Any, describe: Any, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, describe()
        time.sleep(0.5)


def states(api: str, alert_id: str) -> dict[str, Any]:
    deliveries = requests.get(f"{api}/alerts/{alert_id}", timeout=30).json()["deliveries"]
    return {name: (r["state"], r["version"], r.get("detail")) for name, r in deliveries.items()}


def all_delivered(api: str, alert_id: str, version: int) -> bool:
    deliveries = requests.get(f"{api}/alerts/{alert_id}", timeout=30).json()["deliveries"]
    return len(deliveries) == len(CHANNELS) and all(
        record["state"] == "delivered" and record["version"] == version for record in deliveries.values()
    )


def test_thirty_concurrent_creators_and_updaters(local_stack):
    api = local_stack.api
    shared = requests.post(f"{api}/alerts", json=alert_body(reference="BN-LOAD-SHARED"), timeout=30).json()["id"]
    start = threading.Barrier(CREATORS + UPDATERS)
    with ThreadPoolExecutor(max_workers=CREATORS + UPDATERS) as pool:
        creations = [pool.submit(create, api, number, start) for number in range(CREATORS)]
        updates = [pool.submit(update_until_accepted, api, shared, worker, start) for worker in range(UPDATERS)]
        created = [future.result() for future in creations]
        versions = sorted(future.result() for future in updates)
    # Every accepted update made its own version: 2..16, none lost, none twice
    assert versions == list(range(2, UPDATERS + 2))
    final = UPDATERS + 1
    # Every channel ends on the last version of the shared alert, and delivers every created alert
    wait_for(lambda: all_delivered(api, shared, final), lambda: states(api, shared))
    for alert_id in created:
        wait_for(
            lambda alert_id=alert_id: all_delivered(api, alert_id, 1), lambda alert_id=alert_id: states(api, alert_id)
        )
    deliveries = requests.get(f"{local_stack.sink}/deliveries", timeout=30).json()
    check_partners(deliveries, shared, created, final)
    check_audit_trail(local_stack.aws, shared, final)


def check_partners(deliveries: list[dict[str, Any]], shared: str, created: list[str], final: int) -> None:
    seen: dict[tuple[str, str], list[int]] = defaultdict(list)
    for item in deliveries:
        alert = item["payload"].get("alert", {})
        if item["partner"] in WEBHOOK_PARTNERS and alert.get("id") in {shared, *created}:
            assert item["duplicate"] is False, item["webhook_id"]
            seen[(item["partner"], alert["id"])].append(alert["version"])
    for partner in WEBHOOK_PARTNERS:
        shown = seen[(partner, shared)]
        # Superseded versions may be skipped (a newer one has its own event), but never shown after a newer one
        assert shown == sorted(set(shown)), (partner, shown)
        assert shown[-1] == final
        for alert_id in created:
            assert seen[(partner, alert_id)] == [1]


def check_audit_trail(endpoint: str, alert_id: str, final: int) -> None:
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    items = client.query(
        TableName="kind-alarm-local-alerts",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :audit)",
        ExpressionAttributeValues={":pk": {"S": f"ALERT#{alert_id}"}, ":audit": {"S": "AUDIT#"}},
    )["Items"]
    assert sorted(int(item["version"]["N"]) for item in items) == list(range(1, final + 1))
