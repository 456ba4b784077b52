"""Publishing alert events to the SNS topic the channel queues subscribe to."""

from __future__ import annotations

from typing import Any

from chalicelib.models.events import AlertEvent


class EventTopic:
    def __init__(self, sns_client: Any, topic_arn: str) -> None:
        self._sns = sns_client
        self._topic_arn = topic_arn

    def publish(self, event: AlertEvent) -> str:
        response = self._sns.publish(
            TopicArn=self._topic_arn,
            Message=event.model_dump_json(),
            MessageAttributes=event.message_attributes(),
        )
        return str(response["MessageId"])
