"""Alerts in the DynamoDB alerts table: one item per alert, one item per Burgernet reference."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from chalicelib.alerts.store import StaleWriteError
from chalicelib.models.alert import Alert
from chalicelib.models.audit import AuditRecord
from chalicelib.models.common import xml_repaired
from chalicelib.models.validation import parse_model

ALERT_SORT_KEY = "ALERT"
REFERENCE_SORT_KEY = "REFERENCE"
# A sparse index of the alerts still running, by when they expire: the scheduled functions' work list.
LIFECYCLE_INDEX = "by-lifecycle"
ACTIVE = "active"
# A cancelled or expired alert waits here until its child data is erased (``purge_at``, also the table's TTL).
RETAINED = "retained"
AUDIT_PREFIX = "AUDIT#"
DEFAULT_RETENTION_SECONDS = 30 * 24 * 3600
_TRANSACTION_ATTEMPTS = 4


def alert_key(alert_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ALERT#{alert_id}"}, "sk": {"S": ALERT_SORT_KEY}}


def reference_key(reference: str) -> dict[str, Any]:
    return {"pk": {"S": f"REFERENCE#{reference}"}, "sk": {"S": REFERENCE_SORT_KEY}}


def audit_key(alert_id: str, version: int, action: str) -> dict[str, Any]:
    return {"pk": {"S": f"ALERT#{alert_id}"}, "sk": {"S": f"{AUDIT_PREFIX}{version:06d}#{action}"}}


class AlertTable:
    """The ``AlertStore`` on DynamoDB. Every write is conditional; reads are strongly consistent."""

    def __init__(self, client: Any, table_name: str, retention_seconds: int = DEFAULT_RETENTION_SECONDS) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention_seconds

    def insert(self, alert: Alert, audit: AuditRecord) -> tuple[Alert, bool]:
        reference_item = {**reference_key(alert.reference), "kind": {"S": "reference"}, "alert_id": {"S": alert.id}}
        items = [
            {"Put": self._conditional_new(reference_item)},
            {"Put": self._conditional_new(self._item(alert))},
            {"Put": self._audit_put(audit)},
        ]
        for attempt in range(_TRANSACTION_ATTEMPTS):
            try:
                self._client.transact_write_items(TransactItems=items)
                return alert, True
            except self._client.exceptions.TransactionCanceledException as error:
                codes = _cancellation_codes(error.response)
                if codes[:1] == ["ConditionalCheckFailed"]:
                    existing = self._by_reference(alert.reference)
                    # Our own write may have landed before a lost response was retried: then this is the create.
                    return existing, existing.id == alert.id
                # Two creates with one reference at the same instant conflict; the retry then sees the winner.
                if "TransactionConflict" not in codes or attempt == _TRANSACTION_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def get(self, alert_id: str) -> Alert | None:
        response = self._client.get_item(TableName=self._table, Key=alert_key(alert_id), ConsistentRead=True)
        item = response.get("Item")
        return self._alert(item) if item else None

    def find_by_reference(self, reference: str) -> Alert | None:
        response = self._client.get_item(TableName=self._table, Key=reference_key(reference), ConsistentRead=True)
        item = response.get("Item")
        return self.get(item["alert_id"]["S"]) if item else None

    def replace(self, alert: Alert, expected_version: int, audit: AuditRecord) -> None:
        put = {
            "TableName": self._table,
            "Item": self._item(alert),
            "ConditionExpression": "#version = :expected AND #state = :active",
            "ExpressionAttributeNames": {"#version": "version", "#state": "state"},
            "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}, ":active": {"S": "active"}},
        }
        try:
            self._client.transact_write_items(TransactItems=[{"Put": put}, {"Put": self._audit_put(audit)}])
        except self._client.exceptions.TransactionCanceledException:
            # The alert moved on (condition failed) or another writer is mid-transaction on it: stale either way.
            raise StaleWriteError(alert.id) from None

    def retained(self, ending_before: int) -> list[Alert]:
        """Cancelled and expired alerts whose retention ended before ``ending_before``."""
        return self._by_lifecycle(RETAINED, ending_before)

    def purge(self, alert: Alert, audit: AuditRecord) -> None:
        """Erase the alert (the child's details), its reference and deliveries; keep the audit trail, add ``audit``."""
        items = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": alert_key(alert.id),
                    "ConditionExpression": "#version = :version",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":version": {"N": str(alert.version)}},
                }
            },
            {"Delete": {"TableName": self._table, "Key": reference_key(alert.reference)}},
            {"Put": self._audit_put(audit)},
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException:
            raise StaleWriteError(alert.id) from None
        for key in self._keys_under(alert.id, "DELIVERY#"):
            self._client.delete_item(TableName=self._table, Key=key)

    def audit_trail(self, alert_id: str) -> list[AuditRecord]:
        items = items_under(self._client, self._table, alert_id, AUDIT_PREFIX)
        return [parse_model(AuditRecord, from_item(item)) for item in items]

    def _keys_under(self, alert_id: str, prefix: str) -> list[dict[str, Any]]:
        return items_under(self._client, self._table, alert_id, prefix, ProjectionExpression="pk, sk")

    def _audit_put(self, audit: AuditRecord) -> dict[str, Any]:
        """Append-only: an audit record is written once and never replaced."""
        item = {**to_item(audit), **audit_key(audit.alert_id, audit.version, audit.action), "kind": {"S": "audit"}}
        return self._conditional_new(item)

    def active(self, ending_before: int | None = None) -> list[Alert]:
        """The active alerts (eventually consistent), those expiring before ``ending_before`` when given."""
        return self._by_lifecycle(ACTIVE, ending_before)

    def _by_lifecycle(self, lifecycle: str, ending_before: int | None) -> list[Alert]:
        condition = "#lifecycle = :lifecycle"
        values: dict[str, Any] = {":lifecycle": {"S": lifecycle}}
        if ending_before is not None:
            condition += " AND ends_at < :before"
            values[":before"] = {"N": str(ending_before)}
        query = {
            "TableName": self._table,
            "IndexName": LIFECYCLE_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#lifecycle": "lifecycle"},
            "ExpressionAttributeValues": values,
        }
        alerts: list[Alert] = []
        for page in self._client.get_paginator("query").paginate(**query):
            alerts.extend(self._alert(item) for item in page.get("Items", []))
        return alerts

    def _by_reference(self, reference: str) -> Alert:
        response = self._client.get_item(TableName=self._table, Key=reference_key(reference), ConsistentRead=True)
        alert_id = response["Item"]["alert_id"]["S"]
        # Both items are written in one transaction, so a known reference always has its alert.
        alert = self.get(alert_id)
        if alert is None:
            raise LookupError(f"reference {reference} points to the missing alert {alert_id}")
        return alert

    def _conditional_new(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}

    def _item(self, alert: Alert) -> dict[str, Any]:
        item = {**to_item(alert), **alert_key(alert.id), "kind": {"S": "alert"}}
        if alert.state == ACTIVE:
            item["lifecycle"] = {"S": ACTIVE}
            item["ends_at"] = {"N": str(int(alert.expires_at.timestamp()))}
        else:
            purge_at = {"N": str(int(alert.updated_at.timestamp()) + self._retention)}
            item.update({"lifecycle": {"S": RETAINED}, "ends_at": purge_at, "purge_at": purge_at})
        return item

    def _alert(self, item: dict[str, Any]) -> Alert:
        document = from_item(item)
        document.pop("purge_at", None)
        # An alert stored before text XML cannot carry was refused at intake must still be read, cancelled and
        # expired (one such alert would otherwise stop the expiry of every other): those characters become U+FFFD.
        return parse_model(Alert, _xml_repaired(document))


def _xml_repaired(value: Any) -> Any:
    if isinstance(value, str):
        return xml_repaired(value)
    if isinstance(value, dict):
        return {key: _xml_repaired(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_xml_repaired(item) for item in value]
    return value


def items_under(client: Any, table: str, alert_id: str, prefix: str, **extra: Any) -> list[dict[str, Any]]:
    """The items beside an alert whose sort key starts with ``prefix`` (deliveries, audit records)."""
    response = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"ALERT#{alert_id}"}, ":prefix": {"S": prefix}},
        ConsistentRead=True,
        **extra,
    )
    return list(response.get("Items", []))


def to_item(model: BaseModel) -> dict[str, Any]:
    """A model as a DynamoDB item with native types (numbers as N, objects as M), readable in the console."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    document = json.loads(model.model_dump_json(exclude_none=True), parse_float=Decimal)
    return {key: serializer.serialize(value) for key, value in document.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as JSON-compatible data, without its keys."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    document = {key: deserializer.deserialize(value) for key, value in item.items() if key not in _KEYS}
    return dict(json.loads(json.dumps(document, default=_number)))


_KEYS = frozenset({"pk", "sk", "kind", "lifecycle", "ends_at"})


def _number(value: Any) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _cancellation_codes(response: dict[str, Any]) -> list[str]:
    return [reason.get("Code", "None") for reason in response.get("CancellationReasons") or []]
