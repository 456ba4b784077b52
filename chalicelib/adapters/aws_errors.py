"""Which botocore errors say that an AWS service is busy or out of reach for now, not that the request was wrong."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from chalicelib.errors import ServiceUnavailableError

# Throttling and service-side failures, as SNS and DynamoDB name them (SNS's modelled one is "Throttled").
BUSY_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "ThrottledException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestTimeout",
    }
)


def busy(error: BaseException) -> bool:
    """True for a throttle, a service failure (429, 5xx) or a connection that failed or timed out: the classes
    botocore's own retries count as transient, raised once those retries are spent."""
    if isinstance(error, (BotocoreConnectionError, HTTPClientError)):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code in BUSY_CODES or status == 429 or status >= 500
    return False


@contextmanager
def unavailable_when_busy(service: str) -> Iterator[None]:
    """Raise ``ServiceUnavailableError`` (503 with Retry-After) for a busy or unreachable ``service``."""
    try:
        yield
    except (ClientError, BotocoreConnectionError, HTTPClientError) as error:
        if busy(error):
            raise ServiceUnavailableError(service) from None
        raise
