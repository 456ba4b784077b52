"""Canary runs in the alerts table: partition ``CANARY``, sort key ``RUN#<run id>`` (its start, so newest last).

Every write is conditional: a new run only where none of its id is, a step only over the revision it was read at.
A run holds no child data; the table's TTL (``purge_at``) removes it after KEEP_DAYS.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.alert_table import from_item, to_item
from chalicelib.alerts.canary import CanaryRun
from chalicelib.alerts.store import StaleWriteError
from chalicelib.models.validation import parse_model

CANARY_PARTITION = "CANARY"
RUN_PREFIX = "RUN#"
KEEP_DAYS = 90


def run_key(run_id: str) -> dict[str, Any]:
    return {"pk": {"S": CANARY_PARTITION}, "sk": {"S": f"{RUN_PREFIX}{run_id}"}}


class CanaryTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def latest(self, count: int) -> list[CanaryRun]:
        """The newest ``count`` runs, newest first."""
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": CANARY_PARTITION}, ":prefix": {"S": RUN_PREFIX}},
            ScanIndexForward=False,
            Limit=count,
            ConsistentRead=True,
        )
        return [self._run(item) for item in response.get("Items", [])]

    def insert(self, run: CanaryRun) -> None:
        self._put(run, 0, "attribute_not_exists(pk)", {}, {})

    def replace(self, run: CanaryRun, revision: int) -> CanaryRun:
        self._put(run, revision + 1, "#revision = :seen", {"#revision": "revision"}, {":seen": {"N": str(revision)}})
        return run.model_copy(update={"revision": revision + 1})

    def _put(
        self, run: CanaryRun, revision: int, condition: str, names: dict[str, str], values: dict[str, Any]
    ) -> None:
        purge_at = int(run.started_at.timestamp()) + KEEP_DAYS * 24 * 3600
        item = {
            **to_item(run),
            **run_key(run.run_id),
            "kind": {"S": "canary_run"},
            "revision": {"N": str(revision)},
            "purge_at": {"N": str(purge_at)},
        }
        extra: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        if values:
            extra["ExpressionAttributeValues"] = values
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression=condition, **extra)
        except self._client.exceptions.ConditionalCheckFailedException:
            raise StaleWriteError(f"canary run {run.run_id}") from None

    @staticmethod
    def _run(item: dict[str, Any]) -> CanaryRun:
        document = from_item(item)
        document.pop("purge_at", None)
        return parse_model(CanaryRun, document)
