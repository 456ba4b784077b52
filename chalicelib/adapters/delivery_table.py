"""Delivery records in the alerts table, beside their alert: sort key ``DELIVERY#<channel>``.

A record is written in steps, so what a partner did is never lost with the function that asked it: ``begin``
claims the record for a version, ``put_target`` writes one target's state before and after each partner call,
``finish`` writes the summary. Every step is conditional on the version, so a worker that was overtaken by a
newer version learns it (``StaleWriteError``) instead of overwriting the newer one's results.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.adapters.alert_table import from_item, items_under, to_item
from chalicelib.alerts.store import StaleWriteError
from chalicelib.models.events import DeliveryRecord, DeliveryState, TargetResult
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

    def begin(self, alert_id: str, channel: str, version: int, state: DeliveryState, now: str) -> DeliveryRecord:
        """Claim the record for ``version`` (keeping what earlier versions reached), unless a newer one holds it.

        Returns the record as claimed: from then on no older version can write a target, so its targets are
        everything a worker of an older version ever marked ``sending`` (a read before the claim can miss one).
        """
        claimed = self._update(
            alert_id,
            channel,
            "SET #version = :version, #state = :state, #updated_at = :now, "
            "#created_at = if_not_exists(#created_at, :now), #targets = if_not_exists(#targets, :empty), "
            "#kind = :kind, #alert_id = :alert_id, #channel = :channel REMOVE #delivered_at, #seconds_to_delivery",
            "attribute_not_exists(pk) OR #version <= :version",
            {
                ":version": {"N": str(version)},
                ":state": {"S": state},
                ":now": {"S": now},
                ":empty": {"M": {}},
                ":kind": {"S": "delivery"},
                ":alert_id": {"S": alert_id},
                ":channel": {"S": channel},
            },
            returned="ALL_NEW",
        )
        return parse_model(DeliveryRecord, from_item(claimed))

    def put_target(self, alert_id: str, channel: str, version: int, name: str, result: TargetResult) -> None:
        """One target's state, written the moment it is known, while the record still belongs to ``version``."""
        self._update(
            alert_id,
            channel,
            "SET #targets.#target = :result",
            "#version = :version",
            {":version": {"N": str(version)}, ":result": {"M": to_item(result)}},
            target=name,
        )

    def claim_target(
        self, alert_id: str, channel: str, version: int, name: str, result: TargetResult, seen: TargetResult | None
    ) -> None:
        """``put_target``, but only while the target is still as this worker read it (``seen``; None: absent).

        Two workers of one version at once (a message the queue delivered twice) cannot both claim a target:
        the one that loses learns it from a ``StaleWriteError`` and reads the record again.
        """
        values: dict[str, Any] = {":version": {"N": str(version)}, ":result": {"M": to_item(result)}}
        if seen is None:
            unchanged = "attribute_not_exists(#targets.#target)"
        else:
            unchanged = (
                "#targets.#target.#state = :seen_state AND #targets.#target.#version = :seen_version "
                "AND #targets.#target.#attempts = :seen_attempts"
            )
            values |= {
                ":seen_state": {"S": seen.state},
                ":seen_version": {"N": str(seen.version)},
                ":seen_attempts": {"N": str(seen.attempts)},
            }
        self._update(
            alert_id,
            channel,
            "SET #targets.#target = :result",
            f"#version = :version AND {unchanged}",
            values,
            target=name,
        )

    def finish(self, record: DeliveryRecord) -> None:
        """The summary of a version's delivery; the targets were written one by one before."""
        fields = to_item(record)
        present = [name for name in _SUMMARY if name in fields]
        absent = [name for name in _SUMMARY if name not in fields]
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in present)
        if absent:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in absent)
        values = {f":{name}": fields[name] for name in present}
        self._update(
            record.alert_id,
            record.channel,
            expression,
            "#version = :version",
            {**values, ":version": fields["version"]},
        )

    def for_alert(self, alert_id: str) -> list[DeliveryRecord]:
        items = items_under(self._client, self._table, alert_id, DELIVERY_PREFIX)
        return [parse_model(DeliveryRecord, from_item(item)) for item in items]

    def _update(
        self,
        alert_id: str,
        channel: str,
        expression: str,
        condition: str,
        values: dict[str, Any],
        target: str | None = None,
        returned: str = "NONE",
    ) -> dict[str, Any]:
        # Every attribute goes by a placeholder: several of these names are reserved words in DynamoDB.
        text = f"{expression} {condition}"
        names = {f"#{name}": name for name in re.findall(r"#([a-z_]+)", text) if name != "target"}
        if target is not None:
            names["#target"] = target
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=delivery_key(alert_id, channel),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues=returned,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise StaleWriteError(f"{alert_id}/{channel}") from None
        return dict(response.get("Attributes") or {})


_SUMMARY = ("state", "attempts", "detail", "updated_at", "delivered_at", "seconds_to_delivery")
