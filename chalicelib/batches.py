"""Lambda batch glue: partial batch failures for the stream and the channel queues (powertools)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.adapters.event_topic import EventTopic
from chalicelib.adapters.queue_backoff import QueueBackoff
from chalicelib.alerts.photos import PhotoService
from chalicelib.channels.worker import ChannelWorker, DeliveryFailedError
from chalicelib.dispatch import event_from_record
from chalicelib.models.events import AlertEvent
from chalicelib.observability import logger


def dispatch_batch(event: dict[str, Any], context: Any, topic: EventTopic) -> dict[str, Any]:
    """Publish an event for every alert change in the batch; failed records are reported, not the batch."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def record_handler(record: Any) -> None:
        alert_event = event_from_record(record.raw_event)
        if alert_event is None:
            return
        message_id = topic.publish(alert_event)
        logger.info(
            "alert event published",
            extra={
                "alert_id": alert_event.alert_id,
                "version": alert_event.version,
                "kind": alert_event.kind,
                "message_id": message_id,
            },
        )

    # Report every failed record, even when all failed; Lambda then retries from the first of them.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )


def channel_batch(event: dict[str, Any], context: Any, worker: ChannelWorker, backoff: QueueBackoff) -> dict[str, Any]:
    """Run the channel for each event in the batch; a failed one is retried later with backoff."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def record_handler(record: Any) -> None:
        alert_event = AlertEvent.model_validate_json(record.body)
        try:
            worker.handle(alert_event)
        except DeliveryFailedError as error:
            seconds = backoff.delay(record, error.retry_after)
            logger.warning(
                "delivery failed; retrying",
                extra={"alert_id": alert_event.alert_id, "version": alert_event.version, "retry_in_seconds": seconds},
            )
            raise
        except Exception as error:
            # Anything else (AWS throttling, a lost connection) is retried with the same backoff, not after
            # the queue's whole visibility timeout; the partner gets the same delivery id again.
            seconds = backoff.delay(record, None)
            logger.exception(
                "channel error; retrying",
                extra={
                    "alert_id": alert_event.alert_id,
                    "version": alert_event.version,
                    "retry_in_seconds": seconds,
                    "error_type": type(error).__name__,
                },
            )
            raise

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )


def photo_upload_batch(event: dict[str, Any], context: Any, photos: PhotoService) -> dict[str, Any]:
    """Process each upload S3 announced; a failure (not a refusal: that is recorded) is retried."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def record_handler(record: Any) -> None:
        notification = json.loads(record.body)
        for item in notification.get("Records", []):  # S3 first sends an s3:TestEvent without records
            photos.process_upload(unquote_plus(item["s3"]["object"]["key"]))

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
