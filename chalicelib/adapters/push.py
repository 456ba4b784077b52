"""SNS mobile push: platform endpoints, topic subscriptions, publishes.

The calls a device registration makes answer ``ServiceUnavailableError`` when SNS throttles them or is out of
reach past botocore's retries (``chalicelib.adapters.aws_errors``); publishes answer ``PartnerError``, which the
channel queue retries.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws_errors import unavailable_when_busy
from chalicelib.adapters.failures import PartnerError

_EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:\S+) already exists")
# A lookup of endpoints by device lists a platform application's endpoints, 100 a page, at 30 calls a second for
# the account: with a million endpoints a whole walk takes over five minutes, past any request. It is needed only
# for an endpoint whose making was cut short before its ARN was recorded (which has no subscription), so a request
# reads this many pages at most.
LOOKUP_PAGES = 50


class TopicMissingError(Exception):
    """No topic of this name exists: no device ever registered there."""


class PushService:
    def __init__(self, sns_client: Any, topic_arn_prefix: str) -> None:
        self._sns = sns_client
        self._prefix = topic_arn_prefix  # arn:aws:sns:<region>:<account>:
        self._created: set[str] = set()

    def topic_arn(self, name: str) -> str:
        return self._prefix + name

    def ensure_topic(self, name: str) -> str:
        if name not in self._created:
            with unavailable_when_busy("SNS"):
                self._sns.create_topic(Name=name)
            self._created.add(name)
        return self.topic_arn(name)

    def create_endpoint(self, application_arn: str, token: str, device_id: str) -> str:
        """The token's endpoint, made or taken over; SNS answers the same one for the same token and attributes, so
        a registration sent again finds the endpoint an earlier attempt made."""
        with unavailable_when_busy("SNS"):
            try:
                response = self._sns.create_platform_endpoint(
                    PlatformApplicationArn=application_arn, Token=token, CustomUserData=device_id
                )
                return str(response["EndpointArn"])
            except self._sns.exceptions.InvalidParameterException as error:
                # The token has an endpoint already (registered before under other attributes): take it over.
                found = _EXISTING_ENDPOINT.search(str(error))
                if not found:
                    raise
                endpoint = found.group(1)
        self.update_endpoint(endpoint, token, device_id)
        return endpoint

    def update_endpoint(self, endpoint_arn: str, token: str, device_id: str) -> None:
        with unavailable_when_busy("SNS"):
            self._sns.set_endpoint_attributes(
                EndpointArn=endpoint_arn,
                Attributes={"Token": token, "Enabled": "true", "CustomUserData": device_id},
            )

    def endpoint_enabled(self, endpoint_arn: str) -> bool:
        """False when SNS marked the endpoint disabled (the platform refused its token) or it no longer exists."""
        with unavailable_when_busy("SNS"):
            try:
                attributes = self._sns.get_endpoint_attributes(EndpointArn=endpoint_arn)["Attributes"]
            except self._sns.exceptions.NotFoundException:
                return False
        return bool(attributes.get("Enabled") != "false")

    def delete_endpoint(self, endpoint_arn: str) -> None:
        with unavailable_when_busy("SNS"):
            self._sns.delete_endpoint(EndpointArn=endpoint_arn)

    def endpoints_of(self, application_arn: str, device_id: str) -> list[str]:
        """The application's endpoints made for the device (``CustomUserData``), among the first ``LOOKUP_PAGES``
        pages of its endpoints."""
        pages = self._sns.get_paginator("list_endpoints_by_platform_application").paginate(
            PlatformApplicationArn=application_arn, PaginationConfig={"MaxItems": 100 * LOOKUP_PAGES}
        )
        with unavailable_when_busy("SNS"):
            return [
                str(endpoint["EndpointArn"])
                for page in pages
                for endpoint in page.get("Endpoints", [])
                if endpoint.get("Attributes", {}).get("CustomUserData") == device_id
            ]

    def subscribe(self, topic_name: str, endpoint_arn: str) -> str:
        topic = self.ensure_topic(topic_name)
        with unavailable_when_busy("SNS"):
            response = self._sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=endpoint_arn)
        return str(response["SubscriptionArn"])

    def subscription_of(self, topic_name: str, endpoint_arn: str) -> str | None:
        """The ARN of the endpoint's subscription to the topic, where one may exist and its ARN was not recorded.

        SNS makes no second subscription of one endpoint to one topic: subscribing answers the one there is (or
        makes it, to be removed next). None where the topic or the endpoint does not exist: then neither does the
        subscription, or it reaches nobody.
        """
        with unavailable_when_busy("SNS"):
            try:
                response = self._sns.subscribe(
                    TopicArn=self.topic_arn(topic_name), Protocol="application", Endpoint=endpoint_arn
                )
            except (self._sns.exceptions.NotFoundException, self._sns.exceptions.InvalidParameterException):
                return None
        return str(response["SubscriptionArn"])

    def unsubscribe(self, subscription_arn: str) -> None:
        with unavailable_when_busy("SNS"):
            try:
                self._sns.unsubscribe(SubscriptionArn=subscription_arn)
            except self._sns.exceptions.NotFoundException:
                return

    def publish(self, topic_name: str, message: str, attributes: dict[str, str]) -> str:
        try:
            response = self._sns.publish(
                TopicArn=self.topic_arn(topic_name),
                Message=message,
                MessageStructure="json",
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
        except self._sns.exceptions.NotFoundException:
            raise TopicMissingError(topic_name) from None
        except ClientError as error:
            # Throttling and service errors: the channel queue retries; the collapse id keeps it to one notification.
            raise PartnerError(f"SNS refused the publish: {error.response['Error'].get('Code')}") from None
        return str(response["MessageId"])
