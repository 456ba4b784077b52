"""The device registry: an app install becomes an SNS endpoint subscribed to its language's national topic
and the topic of its H3 cell (and the test topic for test devices). Only the cell is kept, never the location,
and logs name the device by its id alone: its cell, like its token, stays out of them. Every record change moves
the device counts per cell and language with it (``chalicelib.adapters.device_table``), which reach estimates read."""

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

    def subscribe(self, topic_name: str, endpoint_arn: str) -> str: ...

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
        record = self._devices.get(device_id)
        created = record is None
        if record is not None and record.platform != request.platform:
            self._remove(record)  # moved to another platform: a new endpoint
            record = None
        token_hash = hashlib.sha256(request.token.encode()).hexdigest()
        endpoint = self._endpoint(device_id, request, record, token_hash)
        cell = device_cell(request.location.lat, request.location.lon)
        wanted = self._wanted_topics(request, cell)
        subscriptions = self._resubscribe(endpoint, wanted, record.subscriptions if record else {})
        updated = DeviceRecord(
            id=device_id,
            platform=request.platform,
            endpoint_arn=endpoint,
            token_sha256=token_hash,
            cell=cell,
            language=request.language,
            test_device=request.test_device,
            subscriptions=subscriptions,
            updated_at=self._clock(),
            revision=record.revision + 1 if record else 1,
        )
        self._devices.put(updated, record)
        logger.info("device registered", extra={"device_id": device_id, "new": created})
        return created

    def _unregister(self, device_id: str) -> None:
        record = self._devices.get(device_id)
        if record is not None:
            self._remove(record)
            logger.info("device unregistered", extra={"device_id": device_id})

    def _remove(self, record: DeviceRecord) -> None:
        for subscription in record.subscriptions.values():
            self._push.unsubscribe(subscription.arn)
        self._push.delete_endpoint(record.endpoint_arn)
        self._devices.delete(record)

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

    def _endpoint(
        self, device_id: str, request: DeviceRegistration, record: DeviceRecord | None, token_hash: str
    ) -> str:
        if record is not None:  # on the same platform
            if record.token_sha256 != token_hash or not self._push.endpoint_enabled(record.endpoint_arn):
                self._push.update_endpoint(record.endpoint_arn, request.token, device_id)
            return record.endpoint_arn
        endpoint = self._push.create_endpoint(self._applications[request.platform], request.token, device_id)
        self._release(endpoint, device_id)
        return endpoint

    def _release(self, endpoint: str, new_owner: str) -> None:
        """A reinstalled app brings the old install's token: the old record lets go of the endpoint."""
        owner = self._devices.by_endpoint(endpoint)
        previous = self._devices.get(owner) if owner not in (None, new_owner) else None
        if previous is not None:
            for subscription in previous.subscriptions.values():
                self._push.unsubscribe(subscription.arn)
            self._devices.delete(previous)

    def _wanted_topics(self, request: DeviceRegistration, cell: str) -> dict[str, str]:
        wanted = {
            "national": self._topics.national(request.language),
            "cell": self._topics.cell(request.language, cell),
        }
        if request.test_device:
            wanted["test"] = self._topics.test(request.language)
        return wanted

    def _resubscribe(
        self, endpoint: str, wanted: dict[str, str], current: dict[str, Subscription]
    ) -> dict[str, Subscription]:
        kept = {scope: sub for scope, sub in current.items() if wanted.get(scope) == sub.topic}
        for scope, subscription in current.items():
            if scope not in kept:
                self._push.unsubscribe(subscription.arn)
        for scope, topic in wanted.items():
            if scope not in kept:
                kept[scope] = Subscription(topic=topic, arn=self._push.subscribe(topic, endpoint))
        return kept


def _check_id(device_id: str) -> None:
    if not _DEVICE_ID.match(device_id):
        raise MalformedRequestError(
            "The device id must be 1 to 128 letters, digits or . _ : -.",
            (FieldError("1 to 128 of A-Z a-z 0-9 . _ : -", parameter="device_id"),),
        )
