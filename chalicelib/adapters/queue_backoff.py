"""Exponential backoff for a channel message that failed: SQS makes it visible again later."""

from __future__ import annotations

from typing import Any


class QueueBackoff:
    """Exponential backoff for a failed message: it becomes visible again after base * 2^(receives-1) s."""

    def __init__(self, sqs_client: Any, base_seconds: int, max_seconds: int) -> None:
        self._sqs = sqs_client
        self._base = base_seconds
        self._max = max_seconds
        self._urls: dict[str, str] = {}

    def delay(self, record: Any, retry_after: float | None) -> int:
        receives = int(record.attributes.approximate_receive_count or 1)
        seconds = min(self._max, max(self._base * 2 ** (receives - 1), int(retry_after or 0)))
        self._sqs.change_message_visibility(
            QueueUrl=self._queue_url(record.event_source_arn),
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=seconds,
        )
        return int(seconds)

    def _queue_url(self, queue_arn: str) -> str:
        if queue_arn not in self._urls:
            _, _, _, _, account, name = queue_arn.split(":")
            self._urls[queue_arn] = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        return self._urls[queue_arn]
