"""The errors the service reports to its callers. Their HTTP mapping lives in ``chalicelib.http.problems``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One bad part of a request: a JSON pointer into the body, a header or a path parameter."""

    detail: str
    pointer: str | None = None
    header: str | None = None
    parameter: str | None = None

    def location(self) -> str:
        if self.header is not None:
            return f"header {self.header}"
        if self.parameter is not None:
            return f"path parameter {self.parameter}"
        return self.pointer.lstrip("/").replace("/", ".") if self.pointer else "body"


class KindAlarmError(Exception):
    """Base of every error the API answers with a problem document."""

    def __init__(self, detail: str, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class InvalidAlertError(KindAlarmError):
    """The request is well-formed JSON but its content breaks the rules."""

    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first.location()}: {first.detail}{more}", errors)


class AlertNotFoundError(KindAlarmError):
    def __init__(self, alert_id: str) -> None:
        super().__init__(
            f"No alert with id {alert_id!r}.",
            (FieldError("no alert has this id", parameter="id"),),
        )


class UnknownPreviewError(KindAlarmError):
    """No preview of this channel for this alert."""

    def __init__(self, channel: str, why: str) -> None:
        super().__init__(f"No preview of {channel[:40]!r}: {why}.", (FieldError(why, parameter="channel"),))


class NotPublishedError(KindAlarmError):
    """The alert has no public CAP message (not published yet, or no longer active)."""

    def __init__(self, alert_id: str, why: str) -> None:
        super().__init__(f"Alert {alert_id} has no public CAP message: {why}.", (FieldError(why, parameter="id"),))


class AlertClosedError(KindAlarmError):
    """A change to an alert that is already cancelled or expired."""

    def __init__(self, alert_id: str, state: str) -> None:
        super().__init__(f"Alert {alert_id} is {state}; a {state} alert cannot be changed.")
        self.state = state


class StatusMismatchError(KindAlarmError):
    """A message of one status (actual, exercise, test) that names an alert of another: it never acts on it."""

    def __init__(self, alert_id: str, message_status: str, alert_status: str, pointer: str) -> None:
        super().__init__(
            f"This message is {message_status} but alert {alert_id} is {alert_status}; "
            "an exercise or test never changes an actual alert, nor the reverse.",
            (FieldError(f"is {message_status}, the referenced alert is {alert_status}", pointer=pointer),),
        )
        self.alert_id = alert_id
        self.message_status = message_status
        self.alert_status = alert_status


class AlertBusyError(KindAlarmError):
    """Concurrent changes kept winning the race for this alert."""

    def __init__(self, alert_id: str) -> None:
        super().__init__(f"Alert {alert_id} changed several times while this request ran; send it again.")


class DeviceBusyError(KindAlarmError):
    """Concurrent registrations of one device kept winning the race for its record."""

    def __init__(self) -> None:
        super().__init__("The device changed several times while this request ran; send it again.")


class ServiceUnavailableError(KindAlarmError):
    """An AWS service the request needs throttled it or could not be reached, past the client's own retries.

    What the request did before is recorded, so the same request sent again completes it.
    """

    retry_after = 5

    def __init__(self, service: str) -> None:
        super().__init__(
            f"{service} is busy or out of reach; send the same request again in {self.retry_after} seconds."
        )


class VersionMismatchError(KindAlarmError):
    def __init__(self, expected: int, current: int) -> None:
        super().__init__(
            f"If-Match names version {expected} but the alert is at version {current}; "
            "read it again and resend the change.",
            (FieldError(f"the current version is {current}", header="If-Match"),),
        )
        self.current = current


class StaleReferenceError(VersionMismatchError):
    """A CAP Update or Cancel whose ``references`` name a version of ours that the alert has moved on from."""

    def __init__(self, expected: int, current: int, pointer: str) -> None:
        KindAlarmError.__init__(
            self,
            f"The references name version {expected} but the alert is at version {current}; "
            "read it again and reference its current message.",
            (FieldError(f"names version {expected}; the current version is {current}", pointer=pointer),),
        )
        self.current = current


class PreconditionRequiredError(KindAlarmError):
    def __init__(self) -> None:
        super().__init__(
            'A change needs the version it is based on: send If-Match: "<version>".',
            (FieldError('required, as "<version>"', header="If-Match"),),
        )


class MalformedRequestError(KindAlarmError):
    """The body or a header cannot be read at all (not JSON, not UTF-8, bad If-Match syntax)."""


class UnsupportedMediaTypeError(KindAlarmError):
    def __init__(self, content_type: str, supported: tuple[str, ...]) -> None:
        super().__init__(
            f"Content-Type {content_type!r} is not accepted here; send one of: {', '.join(supported)}.",
            (FieldError(f"must be one of {', '.join(supported)}", header="Content-Type"),),
        )


class PayloadTooLargeError(KindAlarmError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"The body is {size} bytes; at most {limit} bytes are accepted.")
