"""RFC 9457 problem documents: the one place where errors become HTTP statuses."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

from chalice.app import Response

from chalicelib import errors
from chalicelib.config import get_settings
from chalicelib.observability import logger

PROBLEM_JSON = "application/problem+json"
# The first this many bad fields are listed (the detail counts the rest): a body of 149,000 unknown members would
# otherwise answer with 13 MB of errors, over Lambda's 6 MB response, which API Gateway turns into a 502.
MAX_LISTED_ERRORS = 100

# error class -> (status, type slug, title)
_PROBLEMS: dict[type[errors.KindAlarmError], tuple[int, str, str]] = {
    errors.MalformedRequestError: (400, "malformed-request", "The request cannot be read"),
    errors.AlertNotFoundError: (404, "alert-not-found", "No such alert"),
    errors.UnknownPreviewError: (404, "no-preview", "No such preview"),
    errors.NotPublishedError: (404, "not-published", "Not in the public feed"),
    errors.AlertClosedError: (409, "alert-closed", "The alert is no longer active"),
    errors.AlertBusyError: (409, "alert-busy", "The alert kept changing"),
    errors.DeviceBusyError: (409, "device-busy", "The device kept changing"),
    errors.StatusMismatchError: (409, "status-mismatch", "The message's status differs from the alert's"),
    errors.VersionMismatchError: (412, "version-mismatch", "The alert has changed since that version"),
    errors.StaleReferenceError: (412, "version-mismatch", "The alert has changed since that version"),
    errors.PayloadTooLargeError: (413, "payload-too-large", "The request body is too large"),
    errors.UnsupportedMediaTypeError: (415, "unsupported-media-type", "Unsupported content type"),
    errors.InvalidAlertError: (422, "invalid-request", "The request has invalid fields"),
    errors.PreconditionRequiredError: (428, "precondition-required", "If-Match is required"),
    errors.ServiceUnavailableError: (503, "service-unavailable", "A service the request needs is busy"),
}

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


def problem_response(error: errors.KindAlarmError) -> Response:
    status, slug, title = _PROBLEMS[type(error)]
    body: dict[str, Any] = {
        "type": get_settings().problem_base_uri + slug,
        "title": title,
        "status": status,
        "detail": error.detail,
    }
    if error.errors:
        body["errors"] = [_error_entry(item) for item in error.errors[:MAX_LISTED_ERRORS]]
    headers = {}
    if isinstance(error, errors.VersionMismatchError):
        body["current_version"] = error.current
        headers["ETag"] = f'"{error.current}"'
    if isinstance(error, errors.ServiceUnavailableError):
        headers["Retry-After"] = str(error.retry_after)
    return _problem(body, headers)


def status_problem(status: int, detail: str, headers: Mapping[str, Any] | None = None) -> Response:
    """A problem that is just an HTTP status (``about:blank``), such as 404 for an unknown path."""
    title = HTTPStatus(status).phrase
    return _problem({"type": "about:blank", "title": title, "status": status, "detail": detail}, headers or {})


def answers_problems(view: ViewT) -> ViewT:
    """Turn the errors a view raises into problem documents; never leak an unexpected error's message."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except errors.KindAlarmError as error:
            return problem_response(error)
        except Exception as error:  # noqa: BLE001 - the last line of defence must catch everything
            log_unexpected(error)
            return status_problem(500, "An unexpected error occurred; the request was not carried out.")

    return wrapper  # type: ignore[return-value]


def log_unexpected(error: BaseException) -> None:
    # The exception's message may quote request data; log its type and where it came from only.
    logger.error(
        "unexpected error",
        extra={"error_type": type(error).__name__, "stack": "".join(traceback.format_tb(error.__traceback__))},
    )


def from_chalice_error(response: Response) -> Response:
    """Chalice answers some requests itself (405, 415, 500) with its own body; restate them as problems."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return response
    headers = {key: value for key, value in response.headers.items() if key.lower() == "allow"}
    detail = _CHALICE_DETAILS.get(response.status_code, "The request was not carried out.")
    return status_problem(response.status_code, detail.format(allow=headers.get("Allow", "")), headers)


_CHALICE_DETAILS = {
    405: "This method is not allowed on this path; allowed: {allow}.",
    415: "Unsupported Content-Type; send application/json.",
    500: "An unexpected error occurred; the request was not carried out.",
}


def _error_entry(item: errors.FieldError) -> dict[str, str]:
    entry = {"detail": item.detail}
    for name in ("pointer", "header", "parameter"):
        value = getattr(item, name)
        if value is not None:
            entry[name] = value
    return entry


def _problem(body: dict[str, Any], headers: Mapping[str, Any]) -> Response:
    return Response(
        body=body,
        status_code=body["status"],
        headers={**headers, "Content-Type": PROBLEM_JSON, "Cache-Control": "no-store"},
    )
