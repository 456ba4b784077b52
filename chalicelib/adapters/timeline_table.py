"""Timeline events in the alerts table, beside their alert: sort key ``TIMELINE#<channel>#<version>#<state>``.

Each is written once (a repeated message or a second worker of one version adds nothing) and never deleted: they
hold nothing of the child, carry no ``purge_at`` (the table's TTL) and are not among the items the retention purge
erases (``AlertTable.purge``), so the alert's report outlives its retention.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.alert_table import from_item, to_item
from chalicelib.alerts.report import ChannelEvent
from chalicelib.models.validation import parse_model

TIMELINE_PREFIX = "TIMELINE#"


def timeline_key(event: ChannelEvent) -> dict[str, Any]:
    return {"pk": {"S": f"ALERT#{event.alert_id}"}, "sk": {"S": f"{TIMELINE_PREFIX}{event.identity()}"}}


class TimelineTable:
    def __init__(self, client: Any, table_name: str, page_items: int | None = None) -> None:
        self._client = client
        self._table = table_name
        # DynamoDB ends a page at 1 MB; ``page_items`` ends it sooner (the tests read several pages without 1 MB).
        self._limit = {"Limit": page_items} if page_items else {}

    def add(self, event: ChannelEvent) -> bool:
        """Store the event unless one with its identity is there already (the first one's time stands)."""
        item = {**to_item(event), **timeline_key(event), "kind": {"S": "timeline"}}
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def for_alert(self, alert_id: str) -> list[ChannelEvent]:
        """Every event of the alert, over as many pages as DynamoDB answers them in (1 MB each)."""
        items: list[dict[str, Any]] = []
        page: dict[str, Any] = {}
        while True:
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": f"ALERT#{alert_id}"}, ":prefix": {"S": TIMELINE_PREFIX}},
                ConsistentRead=True,
                **self._limit,
                **page,
            )
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return [parse_model(ChannelEvent, from_item(item)) for item in items]
            page = {"ExclusiveStartKey": response["LastEvaluatedKey"]}
