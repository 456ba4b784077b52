"""Photo records in the alerts table: ``PHOTO#<id>``, removed by TTL when no alert takes them up."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.alert_table import from_item, to_item
from chalicelib.models.photos import PhotoRecord
from chalicelib.models.validation import parse_model


def photo_key(photo_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"PHOTO#{photo_id}"}, "sk": {"S": "PHOTO"}}


class PhotoTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, photo_id: str) -> PhotoRecord | None:
        item = self._client.get_item(TableName=self._table, Key=photo_key(photo_id), ConsistentRead=True).get("Item")
        return parse_model(PhotoRecord, from_item(item)) if item else None

    def put(self, record: PhotoRecord) -> None:
        item = {**to_item(record), **photo_key(record.id), "kind": {"S": "photo"}}
        self._client.put_item(TableName=self._table, Item=item)
