"""Turning pydantic's validation errors into field errors that name JSON pointers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.errors import FieldError, InvalidAlertError
from chalicelib.models.alert import AREA_TYPES
from chalicelib.models.common import xml_problem

ModelT = TypeVar("ModelT", bound=BaseModel)

_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "required",
}
_UNION_TAG_ERRORS = {"union_tag_invalid", "union_tag_not_found"}


def parse_model(model: type[ModelT], data: Any) -> ModelT:
    """Validate JSON-compatible ``data`` as ``model``, or raise ``InvalidAlertError`` naming each bad field.

    Validation runs in JSON mode so that strict types still read date-times from strings. A lone surrogate
    (a JSON escape such as ``\\ud800`` decodes to one) cannot be encoded again, so it is named where it stands.
    """
    surrogates = tuple(_lone_surrogates(data, []))
    if surrogates:
        raise InvalidAlertError(surrogates)
    try:
        return model.model_validate_json(json.dumps(data))
    except ValidationError as error:
        raise InvalidAlertError(field_errors(error)) from None


def _lone_surrogates(data: Any, location: list[str | int]) -> Iterator[FieldError]:
    if isinstance(data, str):
        problem = xml_problem(data, surrogates_only=True)
        if problem:
            yield FieldError(problem, pointer=pointer(location))
    elif isinstance(data, dict):
        for key, value in data.items():
            problem = xml_problem(key, surrogates_only=True)
            if problem:  # named at its object: a pointer holding the surrogate could not be encoded either
                yield FieldError(f"a member name {problem}", pointer=pointer(location))
            else:
                yield from _lone_surrogates(value, [*location, key])
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _lone_surrogates(value, [*location, index])


def field_errors(error: ValidationError) -> tuple[FieldError, ...]:
    return tuple(_field_error(item) for item in error.errors(include_url=False, include_input=False))


def _field_error(item: Any) -> FieldError:
    location = list(_without_union_tags(item["loc"]))
    if item["type"] in _UNION_TAG_ERRORS:
        location.append("type")
    message = _MESSAGES.get(item["type"], item["msg"])
    message = message.removeprefix("Value error, ")
    return FieldError(message, pointer=pointer(location))


def _without_union_tags(location: Sequence[str | int]) -> Sequence[str | int]:
    """pydantic puts the tag of a discriminated union into the location; the body has no such level."""
    kept: list[str | int] = []
    for part in location:
        if kept and kept[-1] == "area" and part in AREA_TYPES:
            continue
        kept.append(part)
    return kept


def pointer(location: Sequence[str | int]) -> str:
    """RFC 6901 JSON pointer for a location in the body."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in location)
