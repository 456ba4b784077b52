"""The event runner: what Lambda's event source mappings do in AWS, done here against moto.

It tails the alerts stream (4 polls a second) and polls every channel queue, invokes the very same
handlers with Lambda-shaped events, honours partial batch failures, and leaves retries and
dead-lettering to the queues' own visibility timeouts and redrive policies.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from chalicelib.observability import logger

Handler = Callable[[dict[str, Any], Any], Any]
POLL_SECONDS = 0.25
STREAM_RETRY_LIMIT = 5


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:local"
    aws_request_id: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass(frozen=True)
class PhotoUploads:
    """The bucket whose ``uploads/`` objects S3 would announce on the uploads queue (moto sends no notifications)."""

    bucket: str
    queue_arn: str
    handler: Handler


@dataclass(frozen=True)
class ChannelQueue:
    url: str
    arn: str
    handler: Handler


class EventRunner:
    def __init__(
        self,
        session: Any,
        stream_arn: str,
        dispatch: Handler,
        queues: dict[str, ChannelQueue],
        uploads: PhotoUploads | None = None,
        parallel: bool = False,
    ) -> None:
        # In AWS every channel is its own function; parallel polling lets the local stack deliver side by side.
        self._pool = ThreadPoolExecutor(max_workers=len(queues), thread_name_prefix="channel") if parallel else None
        self._streams = session.client("dynamodbstreams")
        self._sqs = session.client("sqs")
        self._s3 = session.client("s3")
        self._uploads = uploads
        self._stream_arn = stream_arn
        self._dispatch = dispatch
        self._queues = queues
        self._stream_position: tuple[str, str | None] = ("TRIM_HORIZON", None)
        self._stream_failures: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="event-runner", daemon=True)

    def start(self) -> EventRunner:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def run_once(self) -> int:
        """One poll of the stream and of every queue; returns how many records and messages were handled."""
        handled = self._poll_uploads() + self._poll_stream()
        if self._pool is not None:
            return handled + sum(self._pool.map(lambda item: self._poll_queue(*item), self._queues.items()))
        for name, queue in self._queues.items():
            handled += self._poll_queue(name, queue)
        return handled

    def drain(self, timeout: float = 30.0, idle_polls: int = 2) -> None:
        """Poll until nothing is left to do (``idle_polls`` empty polls in a row) or the timeout passes."""
        deadline, idle = time.monotonic() + timeout, 0
        while idle < idle_polls:
            if time.monotonic() > deadline:
                raise TimeoutError("the event runner still had work after the timeout")
            idle = idle + 1 if self.run_once() == 0 else 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as error:  # noqa: BLE001 - the runner must keep running, as Lambda would
                logger.error("event runner poll failed", extra={"error_type": type(error).__name__})
            self._stop.wait(POLL_SECONDS)

    def _poll_uploads(self) -> int:
        """moto sends no S3 notifications; announce each upload to the photo function as S3 would."""
        if self._uploads is None:
            return 0
        listing = self._s3.list_objects_v2(Bucket=self._uploads.bucket, Prefix="uploads/")
        keys = [item["Key"] for item in listing.get("Contents", [])]
        for key in keys:
            notification = {"Records": [_s3_record(self._uploads.bucket, key)]}
            message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "-", "Body": json.dumps(notification)}
            event = {"Records": [_lambda_sqs_record(message, self._uploads.queue_arn)]}
            if _failed_items(self._uploads.handler, event, "photo_upload", [message["MessageId"]]):
                # No retries here: drop the upload, as the dead-letter queue would in the end.
                self._s3.delete_object(Bucket=self._uploads.bucket, Key=key)
        return len(keys)

    def _poll_stream(self) -> int:
        # A fresh iterator from the last position on every poll: when a transaction fails, moto restores the
        # table from a copy whose stream shard is a new object, and an old iterator would never see new records.
        iterator = self._shard_iterator(*self._stream_position)
        records = self._streams.get_records(ShardIterator=iterator, Limit=100).get("Records", [])
        if not records:
            return 0
        event = {"Records": [self._lambda_stream_record(r) for r in records]}
        failures = _failed_items(self._dispatch, event, "dispatch", [r["dynamodb"]["SequenceNumber"] for r in records])
        if not failures:
            self._stream_position = ("AFTER_SEQUENCE_NUMBER", records[-1]["dynamodb"]["SequenceNumber"])
            return len(records)
        self._retry_stream_from(min(failures, key=int))
        return len(records)

    def _retry_stream_from(self, sequence: str) -> None:
        count = self._stream_failures[sequence] = self._stream_failures.get(sequence, 0) + 1
        if count <= STREAM_RETRY_LIMIT:
            self._stream_position = ("AT_SEQUENCE_NUMBER", sequence)
            return
        # As Lambda does after MaximumRetryAttempts: give up on this record and go on after it.
        logger.error("stream record dropped after retries", extra={"sequence_number": sequence})
        self._stream_position = ("AFTER_SEQUENCE_NUMBER", sequence)

    def _shard_iterator(self, iterator_type: str, sequence: str | None = None) -> str:
        shard = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"][0]
        extra = {"SequenceNumber": sequence} if sequence else {}
        return str(
            self._streams.get_shard_iterator(
                StreamArn=self._stream_arn, ShardId=shard["ShardId"], ShardIteratorType=iterator_type, **extra
            )["ShardIterator"]
        )

    def _lambda_stream_record(self, record: dict[str, Any]) -> dict[str, Any]:
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            change["ApproximateCreationDateTime"] = created.timestamp()
        return {**record, "dynamodb": change, "eventSourceARN": self._stream_arn}

    def _poll_queue(self, name: str, queue: ChannelQueue) -> int:
        messages = self._sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [_lambda_sqs_record(message, queue.arn) for message in messages]}
        failed = set(_failed_items(queue.handler, event, name, [m["MessageId"] for m in messages]))
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=queue.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)


def _failed_items(handler: Handler, event: dict[str, Any], name: str, identifiers: list[str]) -> list[str]:
    """The items a handler reports failed; when it raises, as in Lambda, the whole batch failed."""
    try:
        result = handler(event, _context(name))
    except Exception as error:  # noqa: BLE001 - an invocation error, as Lambda would see it
        logger.error("handler failed", extra={"function": name, "error_type": type(error).__name__})
        return identifiers
    return [item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])]


def _s3_record(bucket: str, key: str) -> dict[str, Any]:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-west-1",
        "eventName": "ObjectCreated:Post",
        "s3": {"bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}, "object": {"key": quote_plus(key)}},
    }


def _lambda_sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            key: {"stringValue": value.get("StringValue"), "dataType": value.get("DataType", "String")}
            for key, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def _context(function_name: str) -> LambdaContext:
    return LambdaContext(function_name=function_name, aws_request_id=str(uuid.uuid4()))
