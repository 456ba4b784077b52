"""Backoff of a failed channel message: exponential in its receive count, never shorter than Retry-After."""

from __future__ import annotations

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.adapters.queue_backoff import QueueBackoff


@pytest.fixture
def queue(aws):
    sqs = boto3.client("sqs")
    url = aws["NewsMediaQueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    return sqs, url


def received(sqs, url: str, arn: str, receives: int) -> SQSRecord:
    message = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], VisibilityTimeout=0)["Messages"][0]
    attributes = {**message["Attributes"], "ApproximateReceiveCount": str(receives)}
    return SQSRecord(
        {"receiptHandle": message["ReceiptHandle"], "attributes": attributes, "eventSourceARN": arn, "body": "{}"}
    )


@pytest.mark.parametrize(
    ("receives", "retry_after", "expected"),
    [(1, None, 10), (2, None, 20), (4, None, 80), (9, None, 900), (1, 45.0, 45), (3, 5.0, 40)],
)
def test_delay_grows_with_each_receive(aws, queue, receives, retry_after, expected):
    sqs, url = queue
    backoff = QueueBackoff(sqs, base_seconds=10, max_seconds=900)
    record = received(sqs, url, aws["NewsMediaQueueArn"], receives)
    assert backoff.delay(record, retry_after) == expected
    hidden = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert hidden["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
