"""Timeline events in the alerts table, beside their alert: sort key ``TIMELINE#<channel>#<version>#<state>``.

Each is written once (a repeated message or a second worker of one version adds nothing) and never deleted: they
hold nothing of the child, carry no ``purge_at`` (the table's TTL) and are not among the items the retention purge
erases (``AlertTable.purge``), so the alert's report outlives its retention.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.alert_table import from_item, items_under, to_item
from chalicelib.alerts.report import ChannelEvent
from chalicelib.models.validation import parse_model

TIMELINE_PREFIX = "TIMELINE#"


def timeline_key(event: ChannelEvent) -> dict[str, Any]:
    return {"pk": {"S": f"ALERT#{event.alert_id}"}, "sk": {"S": f"{TIMELINE_PREFIX}{event.identity()}"}}


class TimelineTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, event: ChannelEvent) -> bool:
        """Store the event unless one with its identity is there already (the first one's time stands)."""
        item = {**to_item(event), **timeline_key(event), "kind": {"S": "timeline"}}
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def for_alert(self, alert_id: str) -> list[ChannelEvent]:
        items = items_under(self._client, self._table, alert_id, TIMELINE_PREFIX)
        return [parse_model(ChannelEvent, from_item(item)) for item in items]
