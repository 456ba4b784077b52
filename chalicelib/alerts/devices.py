"""The device registry: an app install becomes an SNS endpoint subscribed to its language's national topic
and the topic of its H3 cell (and the test topic for test devices). Only the cell is kept, never the location,
and logs name the device by its id alone: its cell, like its token, stays out of them. Every record change moves
the device counts per cell and language with it (``chalicelib.adapters.device_table``), which reach estimates read.

A registration writes the record before each step that makes something in SNS (the endpoint, the subscriptions),
naming what that step will make, so a registration cut short (SNS throttling past botocore's retries, a timeout,
a dead function) leaves nothing that no record names: ``DELETE`` finds and removes it, and the same registration
sent again completes it from wherever it stopped. A move joins the new cell before it leaves the old one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from chalicelib.channels.push_topics import PushTopics
from chalicelib.clock import utc_now
from chalicelib.errors import DeviceBusyError, FieldError, MalformedRequestError
from chalicelib.geo.cover import device_cell
from chalicelib.models.devices import DEVICE_ID_PATTERN, DeviceRecord, DeviceRegistration, Subscription
from chalicelib.models.validation import parse_model
from chalicelib.observability import logger

_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)
# Two requests for one device at once: the loser reads the winner's record and goes again.
_ATTEMPTS = 4
T = TypeVar("T")


class DeviceChangedError(Exception):
    """The stored device record is no longer the one read: another request for the device came in between."""


class Push(Protocol):
    def create_endpoint(self, application_arn: str, token: str, device_id: str) -> str: ...

    def update_endpoint(self, endpoint_arn: str, token: str, device_id: str) -> None: ...

    def endpoint_enabled(self, endpoint_arn: str) -> bool: ...

    def delete_endpoint(self, endpoint_arn: str) -> None: ...

    def endpoints_of(self, application_arn: str, device_id: str) -> list[str]: ...

    def subscribe(self, topic_name: str, endpoint_arn: str) -> str: ...

    def subscription_of(self, topic_name: str, endpoint_arn: str) -> str | None: ...

    def unsubscribe(self, subscription_arn: str) -> None: ...


class Devices(Protocol):
    def get(self, device_id: str) -> DeviceRecord | None: ...

    def put(self, record: DeviceRecord, previous: DeviceRecord | None = None) -> None:
        """Store ``record`` and move its counts if the stored record is still ``previous``, else raise
        ``DeviceChangedError``."""
        ...

    def by_endpoint(self, endpoint_arn: str) -> str | None: ...

    def delete(self, record: DeviceRecord) -> None:
        """Delete ``record`` and take it from the counts if it is still the stored one, else ``DeviceChangedError``."""
        ...


class DeviceRegistry:
    def __init__(
        self,
        push: Push,
        devices: Devices,
        topics: PushTopics,
        applications: dict[str, str],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._push = push
        self._devices = devices
        self._topics = topics
        self._applications = applications
        self._clock = clock

    def register(self, device_id: str, body: Any) -> bool:
        """Create or move the device; True when it is new."""
        _check_id(device_id)
        request = parse_model(DeviceRegistration, body)
        return self._settled(lambda: self._register(device_id, request))

    def unregister(self, device_id: str) -> None:
        _check_id(device_id)
        self._settled(lambda: self._unregister(device_id))

    def _register(self, device_id: str, request: DeviceRegistration) -> bool:
        found = self._devices.get(device_id)
        stored = found
        if stored is not None and stored.platform != request.platform:
            self._remove(stored)  # moved to another platform: a new endpoint
            stored = None
        cell = device_cell(request.location.lat, request.location.lon)
        wanted = self._wanted_topics(request, cell)
        asked = {
            "token_sha256": hashlib.sha256(request.token.encode()).hexdigest(),
            "cell": cell,
            "language": request.language,
            "test_device": request.test_device,
        }
        if stored is None:
            stored = self._write(self._started(device_id, request, asked), None)
        joined = self._subscribed(self._with_endpoint(stored, request), stored, wanted)
        self._leave(joined, set(wanted))
        complete = {topic: joined.subscriptions[topic] for topic in wanted}
        self._write(joined.model_copy(update={**asked, "subscriptions": complete, "counted": True}), joined)
        created = found is None or not found.counted
        logger.info("device registered", extra={"device_id": device_id, "new": created})
        return created

    def _started(self, device_id: str, request: DeviceRegistration, asked: dict[str, Any]) -> DeviceRecord:
        """The record of a registration that has made nothing yet, written before its endpoint is made: a
        ``DELETE`` then knows that an endpoint may exist for the device."""
        return DeviceRecord(
            id=device_id,
            platform=request.platform,
            subscriptions={},
            updated_at=self._clock(),
            revision=0,
            counted=False,
            **asked,
        )

    def _write(self, record: DeviceRecord, stored: DeviceRecord | None) -> DeviceRecord:
        """Store ``record`` as the next revision of ``stored`` (None: there is none); the record as stored."""
        revision = stored.revision + 1 if stored is not None else 1
        written = record.model_copy(update={"revision": revision, "updated_at": self._clock()})
        self._devices.put(written, stored)
        return written

    def _with_endpoint(self, stored: DeviceRecord, request: DeviceRegistration) -> DeviceRecord:
        """The record with its endpoint, made (SNS answers the one an earlier attempt made for the same token) or
        brought up to date; not stored yet."""
        token_hash = hashlib.sha256(request.token.encode()).hexdigest()
        if stored.endpoint_arn is None:
            endpoint = self._push.create_endpoint(self._applications[request.platform], request.token, stored.id)
            self._release(endpoint, stored.id)
            return stored.model_copy(update={"endpoint_arn": endpoint, "token_sha256": token_hash})
        if stored.token_sha256 != token_hash or not self._push.endpoint_enabled(stored.endpoint_arn):
            self._push.update_endpoint(stored.endpoint_arn, request.token, stored.id)
        return stored

    def _subscribed(self, record: DeviceRecord, stored: DeviceRecord, wanted: list[str]) -> DeviceRecord:
        """Subscribe the endpoint to every wanted topic it is not known to be in, after storing the record with
        those topics named (and its endpoint, if new): the record as last stored (its revision, its counts), with
        the subscriptions made."""
        subscriptions = {subscription.topic: subscription for subscription in record.subscriptions.values()}
        joining = [topic for topic in wanted if subscriptions.get(topic, Subscription(topic=topic)).arn is None]
        named = {**subscriptions, **{topic: Subscription(topic=topic) for topic in joining}}
        noted = record.model_copy(update={"subscriptions": named})
        if noted != stored:
            stored = self._write(noted, stored)
        endpoint = _endpoint_of(stored)
        for topic in joining:
            named[topic] = Subscription(topic=topic, arn=self._push.subscribe(topic, endpoint))
        return stored.model_copy(update={"subscriptions": named})

    def _leave(self, record: DeviceRecord, kept: set[str]) -> None:
        """Unsubscribe the endpoint from every topic the record names but ``kept`` does not."""
        for subscription in record.subscriptions.values():
            if subscription.topic not in kept:
                self._unsubscribe(subscription, record.endpoint_arn)

    def _unsubscribe(self, subscription: Subscription, endpoint: str | None) -> None:
        arn = subscription.arn
        if arn is None and endpoint is not None:  # asked for, its answer not recorded: SNS tells the ARN again
            arn = self._push.subscription_of(subscription.topic, endpoint)
        if arn is not None:
            self._push.unsubscribe(arn)

    def _unregister(self, device_id: str) -> None:
        record = self._devices.get(device_id)
        if record is not None:
            self._remove(record)
            logger.info("device unregistered", extra={"device_id": device_id})

    def _remove(self, record: DeviceRecord) -> None:
        """Unsubscribe, delete the endpoint, then the record: each step may be made again, so a removal cut short
        is completed by the next one, which still finds the record."""
        self._leave(record, set())
        if record.endpoint_arn is not None:
            self._push.delete_endpoint(record.endpoint_arn)
        else:
            self._delete_unrecorded_endpoints(record)
        self._devices.delete(record)

    def _delete_unrecorded_endpoints(self, record: DeviceRecord) -> None:
        """A registration cut short while its endpoint was made, before the ARN was recorded: the endpoint has no
        subscription (none is made before the ARN is recorded), and is found by the device id it carries."""
        found = self._push.endpoints_of(self._applications[record.platform], record.id)
        for endpoint in found:
            if self._devices.by_endpoint(endpoint) in (None, record.id):
                self._push.delete_endpoint(endpoint)
        if not found:  # not made, or beyond the pages read; either way it is in no topic
            logger.warning("no endpoint found for a registration cut short", extra={"device_id": record.id})

    def _settled(self, change: Callable[[], T]) -> T:
        """Make the change; while another request changed the device in between, read it afresh and again."""
        for _ in range(_ATTEMPTS):
            try:
                return change()
            except DeviceChangedError:
                logger.info("device changed meanwhile: read again")
        raise DeviceBusyError

    def endpoint_reported(self, endpoint_arn: str) -> bool:
        """SNS reported a change to an endpoint: forget its device only if the endpoint is now disabled or gone.

        SNS sends ``EndpointUpdated`` for every attribute change, our own token refresh and re-enable included,
        and ``DeliveryFailure`` for passing failures too; only the endpoint's current state says the platform
        gave up on the token. True when the device was forgotten.
        """
        if self._push.endpoint_enabled(endpoint_arn):
            logger.info("endpoint still enabled, device kept")
            return False
        self.forget_endpoint(endpoint_arn)
        return True

    def forget_endpoint(self, endpoint_arn: str) -> None:
        """The endpoint is disabled or gone (app removed, token expired): clean it up."""
        device_id = self._devices.by_endpoint(endpoint_arn)
        if device_id is not None:
            self.unregister(device_id)
        else:
            self._push.delete_endpoint(endpoint_arn)

    def _release(self, endpoint: str, new_owner: str) -> None:
        """A reinstalled app brings the old install's token: the old record lets go of the endpoint."""
        owner = self._devices.by_endpoint(endpoint)
        previous = self._devices.get(owner) if owner not in (None, new_owner) else None
        if previous is not None:
            self._leave(previous, set())
            self._devices.delete(previous)

    def _wanted_topics(self, request: DeviceRegistration, cell: str) -> list[str]:
        """The topics the device belongs in: its cell's, its language's national one, and for a test device the
        test topic."""
        wanted = [self._topics.cell(request.language, cell), self._topics.national(request.language)]
        return [*wanted, self._topics.test(request.language)] if request.test_device else wanted


def _endpoint_of(record: DeviceRecord) -> str:
    if record.endpoint_arn is None:
        raise ValueError("a device record without its endpoint has no subscriptions")
    return record.endpoint_arn


def _check_id(device_id: str) -> None:
    if not _DEVICE_ID.match(device_id):
        raise MalformedRequestError(
            "The device id must be 1 to 128 letters, digits or . _ : -.",
            (FieldError("1 to 128 of A-Z a-z 0-9 . _ : -", parameter="device_id"),),
        )
