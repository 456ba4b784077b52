"""Reading request bodies and headers, without a server."""

from __future__ import annotations

import pytest

from chalicelib.errors import (
    AlertNotFoundError,
    InvalidAlertError,
    MalformedRequestError,
    PayloadTooLargeError,
    PreconditionRequiredError,
    UnsupportedMediaTypeError,
)
from chalicelib.http.requests import MAX_JSON_DEPTH, alert_id, json_object, optional_version, required_version

LIMIT = 1024


def test_a_json_object_is_read():
    assert json_object(b'{"a": [1, "\xc3\xab"]}', "application/json", LIMIT) == {"a": [1, "ë"]}
    assert json_object('\ufeff{"a": 1}', "application/json; charset=UTF-8", LIMIT) == {"a": 1}


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"", MalformedRequestError, "empty"),
        (b"   ", MalformedRequestError, "empty"),
        (b'{"a": ', MalformedRequestError, "line 1 column 7"),
        (b'{"a": 1,}', MalformedRequestError, "not valid JSON"),
        (b'{"a": NaN}', MalformedRequestError, "NaN"),
        (b'{"a": 1, "a": 2}', MalformedRequestError, "appears twice"),
        (b'{"a": "\xff"}', MalformedRequestError, "UTF-8"),
        (b"[1, 2]", InvalidAlertError, "an array"),
        (b'"text"', InvalidAlertError, "a string"),
        (b"null", InvalidAlertError, "null"),
        (('{"a": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}").encode(), MalformedRequestError, "nested"),
        (b'{"a":' * 100_000, MalformedRequestError, ""),
    ],
)
def test_unreadable_bodies_are_explained(body, error, message):
    with pytest.raises(error) as caught:
        json_object(body, "application/json", 10_000_000)
    assert message in caught.value.detail


def test_nesting_up_to_the_limit_is_fine():
    body = "[" * (MAX_JSON_DEPTH - 2) + "1" + "]" * (MAX_JSON_DEPTH - 2)
    assert json_object(f'{{"a": {body}}}', None, LIMIT)


def test_too_large_and_wrong_charset():
    with pytest.raises(PayloadTooLargeError):
        json_object(b"{}" + b" " * LIMIT, "application/json", LIMIT)
    with pytest.raises(UnsupportedMediaTypeError):
        json_object(b"{}", "application/json; charset=latin-1", LIMIT)


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ("3", 3), (' "12" ', 12), (None, None), ("", None)])
def test_if_match_names_a_version(header, version):
    assert optional_version(header) == version


@pytest.mark.parametrize("header", ["*", 'W/"3"', '"0"', '"abc"', '"1", "2"', '"-1"'])
def test_if_match_that_names_no_single_version_is_malformed(header):
    with pytest.raises(MalformedRequestError) as caught:
        optional_version(header)
    assert caught.value.errors[0].header == "If-Match"


def test_if_match_is_required_for_changes():
    with pytest.raises(PreconditionRequiredError):
        required_version(None)
    assert required_version('"7"') == 7


def test_impossible_ids_are_not_found():
    valid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert alert_id(valid) == valid
    with pytest.raises(AlertNotFoundError):
        alert_id("../../etc/passwd")
