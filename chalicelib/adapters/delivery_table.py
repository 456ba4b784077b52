"""Delivery records in the alerts table, beside their alert: sort key ``DELIVERY#<channel>``."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.alert_table import from_item, items_under, to_item
from chalicelib.alerts.store import StaleWriteError
from chalicelib.models.events import DeliveryRecord
from chalicelib.models.validation import parse_model

DELIVERY_PREFIX = "DELIVERY#"


def delivery_key(alert_id: str, channel: str) -> dict[str, Any]:
    return {"pk": {"S": f"ALERT#{alert_id}"}, "sk": {"S": f"{DELIVERY_PREFIX}{channel}"}}


class DeliveryTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, alert_id: str, channel: str) -> DeliveryRecord | None:
        response = self._client.get_item(
            TableName=self._table, Key=delivery_key(alert_id, channel), ConsistentRead=True
        )
        item = response.get("Item")
        return parse_model(DeliveryRecord, from_item(item)) if item else None

    def put(self, record: DeliveryRecord, previous: DeliveryRecord | None) -> None:
        """Store ``record`` if the stored one is still ``previous``: two workers never overwrite each other."""
        item = {**to_item(record), **delivery_key(record.alert_id, record.channel), "kind": {"S": "delivery"}}
        if previous is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "updated_at = :seen",
                "ExpressionAttributeValues": {":seen": {"S": previous.model_dump(mode="json")["updated_at"]}},
            }
        try:
            self._client.put_item(TableName=self._table, Item=item, **condition)
        except self._client.exceptions.ConditionalCheckFailedException:
            raise StaleWriteError(f"{record.alert_id}/{record.channel}") from None

    def for_alert(self, alert_id: str) -> list[DeliveryRecord]:
        items = items_under(self._client, self._table, alert_id, DELIVERY_PREFIX)
        return [parse_model(DeliveryRecord, from_item(item)) for item in items]
