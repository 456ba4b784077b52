"""Reading what a request carries: its JSON body, its If-Match version, its path parameters."""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.errors import (
    AlertNotFoundError,
    FieldError,
    InvalidAlertError,
    MalformedRequestError,
    PayloadTooLargeError,
    PreconditionRequiredError,
    UnsupportedMediaTypeError,
)
from chalicelib.models.common import ALERT_ID_PATTERN

MAX_JSON_DEPTH = 16
# Arrays, objects and the commas between items a body may hold, counted before parsing: the largest valid alert (a
# polygon of 20 rings of 2,000 points) has about 121,000. pydantic's JSON parser holds about 1 KB for each array,
# so 5 MB of nothing but "[]," would take it 4.7 GB; at this bound the API's memory holds the worst (bench/memory.py).
MAX_JSON_ITEMS = 150_000
_ETAG = re.compile(r'^"?(?P<version>[1-9][0-9]{0,17})"?$')
_BODY = (FieldError("the body", pointer=""),)
_TOO_DEEP = f"The body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."


def json_object(raw_body: bytes | str, content_type: str | None, max_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object, or a precise error saying why it is not one."""
    raw = raw_body.encode("utf-8") if isinstance(raw_body, str) else raw_body
    _check_charset(content_type)
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(len(raw), max_bytes)
    if not raw.strip():
        raise MalformedRequestError("The body is empty; send a JSON object.", _BODY)
    _check_items(raw)
    document = _parse(_decode(raw))
    if not isinstance(document, dict):
        raise InvalidAlertError((FieldError(f"must be a JSON object, not {_json_type(document)}", pointer=""),))
    _check_depth(document)
    return document


def is_cap(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type in ("application/cap+xml", "application/xml")


def raw_document(raw_body: bytes | str, max_bytes: int) -> bytes:
    """A non-JSON body (a CAP document), size-checked before anything parses it."""
    raw = raw_body.encode("utf-8") if isinstance(raw_body, str) else raw_body
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(len(raw), max_bytes)
    if not raw.strip():
        raise MalformedRequestError("The body is empty; send a CAP 1.2 document.", _BODY)
    return raw


def required_version(header: str | None) -> int:
    """The alert version named by ``If-Match: "<version>"``, which this change must carry."""
    version = optional_version(header)
    if version is None:
        raise PreconditionRequiredError()
    return version


def optional_version(header: str | None) -> int | None:
    """The alert version named by ``If-Match: "<version>"``, if the request names one."""
    if header is None or not header.strip():
        return None
    match = _ETAG.match(header.strip())
    if not match:
        raise MalformedRequestError(
            f'If-Match must name one alert version as "<version>", got {header.strip()[:40]!r}.',
            (FieldError('must be "<version>", the ETag of the alert', header="If-Match"),),
        )
    return int(match.group("version"))


def alert_id(value: str) -> str:
    """An id from the path; ids that cannot exist are simply not found."""
    if not ALERT_ID_PATTERN.match(value):
        raise AlertNotFoundError(value[:64])
    return value


def _check_charset(content_type: str | None) -> None:
    if not content_type:
        return
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaTypeError(content_type[:80], ("application/json; charset=utf-8",))


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise MalformedRequestError(f"The body is not valid UTF-8 (byte {error.start}).", _BODY) from None


def _parse(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_members, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise MalformedRequestError(
            f"The body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}.", _BODY
        ) from None
    except ValueError as error:
        raise MalformedRequestError(f"The body is not valid JSON: {error}.", _BODY) from None
    except RecursionError:
        raise MalformedRequestError(_TOO_DEEP, _BODY) from None


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"the member {key[:40]!r} appears twice in one object")
        document[key] = value
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_items(raw: bytes) -> None:
    items = raw.count(b"[") + raw.count(b"{") + raw.count(b",")
    if items > MAX_JSON_ITEMS:
        raise MalformedRequestError(
            f"The body holds too many arrays, objects and items ({items:,}; at most {MAX_JSON_ITEMS:,}).", _BODY
        )


def _check_depth(document: Any) -> None:
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise MalformedRequestError(_TOO_DEEP, _BODY)
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children)


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return names.get(type(value), "null")
