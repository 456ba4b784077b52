"""Device records in the alerts table (``DEVICE#<id>``), and the count of devices per H3 cell and language.

The H3 cell is kept, never the coordinates. Beside the records live the counts: ``COUNT#<cell>``, ``COUNT#national``
and ``COUNT#test`` (test devices), one number per language. A device record is written or deleted in the same
transaction as the changes to the counts it moves, on condition that the record is still the one read: a repeated
registration moves nothing, a move takes one from the old cell and adds one to the new, and two requests for one
device cannot both count. A registration not yet complete is recorded uncounted (``counted`` false) and
counts when it completes. The counts are read, never the records: ``POST /reach`` scans nothing. DynamoDB
throttling or out of reach answers ``ServiceUnavailableError``.

A language that ever had a device in a cell keeps its number there, at zero when the last one left: its cell topic
exists from that device's subscription on, so the number's presence says the topic would be published to.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from chalicelib.adapters.alert_table import from_item, to_item
from chalicelib.adapters.aws_errors import unavailable_when_busy
from chalicelib.alerts.devices import DeviceChangedError
from chalicelib.errors import ServiceUnavailableError
from chalicelib.models.devices import DeviceRecord
from chalicelib.models.validation import parse_model
from chalicelib.observability import logger

NATIONAL = "national"
TEST = "test"
COUNT_SORT_KEY = "COUNT"
# BatchGetItem takes at most 100 keys.
_BATCH = 100
# Counts of one cell (the national one above all) are shared by every device there: transactions on them conflict.
_TRANSACTION_ATTEMPTS = 8

Deltas = dict[str, dict[str, int]]  # count scope (a cell, national, test) -> language -> change


def device_key(device_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"DEVICE#{device_id}"}, "sk": {"S": "DEVICE"}}


def endpoint_key(endpoint_arn: str) -> dict[str, Any]:
    digest = hashlib.sha256(endpoint_arn.encode()).hexdigest()
    return {"pk": {"S": f"ENDPOINT#{digest}"}, "sk": {"S": "ENDPOINT"}}


def count_key(scope: str) -> dict[str, Any]:
    return {"pk": {"S": f"COUNT#{scope}"}, "sk": {"S": COUNT_SORT_KEY}}


def counted_in(record: DeviceRecord) -> list[str]:
    """The counts a device is in: its cell's and the national one (it subscribes to both), and the test devices';
    none while its registration is not complete."""
    if not record.counted:
        return []
    return [record.cell, NATIONAL, *([TEST] if record.test_device else [])]


def count_changes(before: DeviceRecord | None, after: DeviceRecord | None) -> Deltas:
    """What replacing ``before`` by ``after`` changes in the counts; nothing when cell, language and test stay."""
    changes: dict[str, Counter[str]] = {}
    for record, step in ((before, -1), (after, 1)):
        if record is not None:
            for scope in counted_in(record):
                changes.setdefault(scope, Counter())[record.language] += step
    return {
        scope: {language: change for language, change in counter.items() if change}
        for scope, counter in changes.items()
        if any(counter.values())
    }


class DeviceTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, device_id: str) -> DeviceRecord | None:
        with unavailable_when_busy("DynamoDB"):
            response = self._client.get_item(TableName=self._table, Key=device_key(device_id), ConsistentRead=True)
        item = response.get("Item")
        return parse_model(DeviceRecord, from_item(item)) if item else None

    def put(self, record: DeviceRecord, previous: DeviceRecord | None = None) -> None:
        """The device, an index from its endpoint back to it (platform reports name only the endpoint), and the
        counts it moves; only if the stored record is still ``previous`` (None: there is none), else
        ``DeviceChangedError`` and nothing is written."""
        item = {**to_item(record), **device_key(record.id), "kind": {"S": "device"}}
        device = {"TableName": self._table, "Item": item, **_still(previous)}
        index = []
        if record.endpoint_arn is not None:
            entry = {**endpoint_key(record.endpoint_arn), "kind": {"S": "endpoint"}, "device_id": {"S": record.id}}
            index.append({"Put": {"TableName": self._table, "Item": entry}})
        self._write([{"Put": device}, *index], count_changes(previous, record))

    def by_endpoint(self, endpoint_arn: str) -> str | None:
        key = endpoint_key(endpoint_arn)
        with unavailable_when_busy("DynamoDB"):
            item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return str(item["device_id"]["S"]) if item else None

    def delete(self, record: DeviceRecord) -> None:
        """The device, its endpoint index and its place in the counts; only if the stored record is still
        ``record``, else ``DeviceChangedError``."""
        device = {"TableName": self._table, "Key": device_key(record.id), **_still(record)}
        index = []
        if record.endpoint_arn is not None:
            index.append({"Delete": {"TableName": self._table, "Key": endpoint_key(record.endpoint_arn)}})
        self._write([{"Delete": device}, *index], count_changes(record, None))

    def counts(self, scopes: Iterable[str]) -> dict[str, dict[str, int]]:
        """Per scope (a cell, ``national``, ``test``) the number of devices per language ever filed there.

        Scopes where no device was ever filed are left out. Eventually consistent: an estimate.
        """
        keys = [count_key(scope) for scope in dict.fromkeys(scopes)]
        found: dict[str, dict[str, int]] = {}
        for start in range(0, len(keys), _BATCH):
            for item in self._batch_get(keys[start : start + _BATCH]):
                scope = item["pk"]["S"].removeprefix("COUNT#")
                found[scope] = {name: int(value["N"]) for name, value in item.items() if "N" in value}
        return found

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {self._table: {"Keys": keys}}
        for attempt in range(_TRANSACTION_ATTEMPTS):
            response = self._client.batch_get_item(RequestItems=request)
            items.extend(response.get("Responses", {}).get(self._table, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return items
            _pause(attempt)
        raise RuntimeError("DynamoDB left device counts unread")

    def _write(self, items: list[dict[str, Any]], changes: Deltas) -> None:
        """The device's items (the record first, then its endpoint index if known) and its count changes in one
        transaction.

        A count that would go below zero (it missed a device, such as one registered before counts were kept)
        stays at zero: the device's change is never refused over a count. The log says the counts need a rebuild.
        """
        for attempt in range(_TRANSACTION_ATTEMPTS):
            scopes = sorted(changes)
            updates = [{"Update": self._count_update(scope, changes[scope])} for scope in scopes]
            try:
                with unavailable_when_busy("DynamoDB"):
                    self._client.transact_write_items(TransactItems=[*items, *updates])
                return
            except self._client.exceptions.TransactionCanceledException as error:
                codes = [reason.get("Code") for reason in error.response.get("CancellationReasons") or []]
                if codes[:1] == ["ConditionalCheckFailed"]:
                    raise DeviceChangedError from None
                if "ThrottlingError" in codes:
                    raise ServiceUnavailableError("DynamoDB") from None
                first = len(items)
                short = {
                    scopes[n - first] for n, code in enumerate(codes) if n >= first and code == "ConditionalCheckFailed"
                }
                if short:
                    logger.warning("device counts short: rebuild them", extra={"counts_short": len(short)})
                    changes = _without_decrements(changes, short)
                elif "TransactionConflict" not in codes or attempt == _TRANSACTION_ATTEMPTS - 1:
                    raise
                _pause(attempt)
        raise RuntimeError("device counts kept conflicting")

    def _count_update(self, scope: str, changes: dict[str, int]) -> dict[str, Any]:
        """ADD each language's change; a decrement only where the count holds it, so none goes below zero."""
        names = {"#kind": "kind", **{f"#l{n}": language for n, language in enumerate(changes)}}
        values: dict[str, Any] = {":kind": {"S": "count"}}
        adds, floors = [], []
        for n, change in enumerate(changes.values()):
            values[f":c{n}"] = {"N": str(change)}
            adds.append(f"#l{n} :c{n}")
            if change < 0:
                values[f":f{n}"] = {"N": str(-change)}
                floors.append(f"#l{n} >= :f{n}")
        update = {
            "TableName": self._table,
            "Key": count_key(scope),
            "UpdateExpression": "SET #kind = :kind ADD " + ", ".join(adds),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if floors:
            update["ConditionExpression"] = " AND ".join(floors)
        return update


def _still(record: DeviceRecord | None) -> dict[str, Any]:
    """The condition that the stored device record is ``record`` (None: that there is none)."""
    if record is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    if record.revision == 0:  # a record from before revisions were kept
        return {
            "ConditionExpression": (
                "attribute_exists(pk) AND (attribute_not_exists(#revision) OR #revision = :revision)"
            ),
            "ExpressionAttributeNames": {"#revision": "revision"},
            "ExpressionAttributeValues": {":revision": {"N": "0"}},
        }
    return {
        "ConditionExpression": "#revision = :revision",
        "ExpressionAttributeNames": {"#revision": "revision"},
        "ExpressionAttributeValues": {":revision": {"N": str(record.revision)}},
    }


def _without_decrements(changes: Deltas, scopes: set[str]) -> Deltas:
    kept = {
        scope: {language: change for language, change in counts.items() if scope not in scopes or change > 0}
        for scope, counts in changes.items()
    }
    return {scope: counts for scope, counts in kept.items() if counts}


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not secrecy
