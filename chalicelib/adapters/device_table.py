"""Device records in the alerts table: ``DEVICE#<id>``. The H3 cell is kept, never the coordinates."""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.adapters.alert_table import from_item, to_item
from chalicelib.models.devices import DeviceRecord
from chalicelib.models.validation import parse_model


def device_key(device_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"DEVICE#{device_id}"}, "sk": {"S": "DEVICE"}}


def endpoint_key(endpoint_arn: str) -> dict[str, Any]:
    digest = hashlib.sha256(endpoint_arn.encode()).hexdigest()
    return {"pk": {"S": f"ENDPOINT#{digest}"}, "sk": {"S": "ENDPOINT"}}


class DeviceTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, device_id: str) -> DeviceRecord | None:
        item = self._client.get_item(TableName=self._table, Key=device_key(device_id), ConsistentRead=True).get("Item")
        return parse_model(DeviceRecord, from_item(item)) if item else None

    def put(self, record: DeviceRecord) -> None:
        """The device, and an index from its endpoint back to it (platform reports name only the endpoint)."""
        item = {**to_item(record), **device_key(record.id), "kind": {"S": "device"}}
        index = {**endpoint_key(record.endpoint_arn), "kind": {"S": "endpoint"}, "device_id": {"S": record.id}}
        self._client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self._table, "Item": item}},
                {"Put": {"TableName": self._table, "Item": index}},
            ]
        )

    def by_endpoint(self, endpoint_arn: str) -> str | None:
        key = endpoint_key(endpoint_arn)
        item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return str(item["device_id"]["S"]) if item else None

    def delete(self, record: DeviceRecord) -> None:
        self._client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self._table, "Key": device_key(record.id)}},
                {"Delete": {"TableName": self._table, "Key": endpoint_key(record.endpoint_arn)}},
            ]
        )
