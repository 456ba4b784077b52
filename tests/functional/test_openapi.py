"""The OpenAPI 3.1 document: valid, describing exactly the routes the app has, served and committed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

import app as api
from chalicelib.http.openapi import openapi_document
from tests.conftest import alert_body
from tests.functional.conftest import send

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "put", "post", "patch", "delete"}


def schema(document: dict[str, Any], name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})


def test_the_document_is_valid_openapi_3_1():
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_it_describes_exactly_the_routes_the_app_has_with_their_authorization():
    document = openapi_document()
    described = {
        (path, method): spec
        for path, item in document["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    }
    routes = {
        (path, method.lower()): entry for path, methods in api.app.routes.items() for method, entry in methods.items()
    }
    assert set(described) == set(routes)
    for key, entry in routes.items():
        assert (described[key]["security"] == []) == (entry.authorizer is None), key


def test_it_is_served_and_the_committed_copy_is_current(client):
    response = send(client, "GET", "/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.body) == openapi_document()
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == openapi_document(), "run: make openapi"


def test_the_schemas_accept_what_the_api_accepts_and_returns(client):
    document = openapi_document()
    body = alert_body()
    assert list(schema(document, "AlertCreate").iter_errors(body)) == []
    created = json.loads(send(client, "POST", "/alerts", body).body)
    assert list(schema(document, "AlertResource").iter_errors(created)) == []
    problem = json.loads(send(client, "POST", "/alerts", {**body, "level": "x"}).body)
    assert list(schema(document, "Problem").iter_errors(problem)) == []
    assert list(schema(document, "AlertPatch").iter_errors({"contact": {"phone": "112"}})) == []
    assert list(schema(document, "AlertPatch").iter_errors({})) != []
