"""Device records in the alerts table: ``DEVICE#<id>``. The H3 cell is kept, never the coordinates."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.alert_table import from_item, to_item
from chalicelib.models.devices import DeviceRecord
from chalicelib.models.validation import parse_model


def device_key(device_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"DEVICE#{device_id}"}, "sk": {"S": "DEVICE"}}


class DeviceTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, device_id: str) -> DeviceRecord | None:
        item = self._client.get_item(TableName=self._table, Key=device_key(device_id), ConsistentRead=True).get("Item")
        return parse_model(DeviceRecord, from_item(item)) if item else None

    def put(self, record: DeviceRecord) -> None:
        item = {**to_item(record), **device_key(record.id), "kind": {"S": "device"}}
        self._client.put_item(TableName=self._table, Item=item)

    def delete(self, device_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=device_key(device_id))
