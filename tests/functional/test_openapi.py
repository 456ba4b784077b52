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
    response = send(client, "GET", "/openapi.json", host="127.0.0.1:8000")
    assert response.status_code == 200
    assert json.loads(response.body) == openapi_document("http://127.0.0.1:8000")
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == openapi_document(), "run: make openapi"
    assert committed["servers"] == [{"url": "/api"}]  # the committed copy: API Gateway's stage, relative


def test_the_served_document_names_the_base_the_request_came_in_on(client):
    # chalice local (the local stack): no stage in front of the routes
    local = json.loads(send(client, "GET", "/openapi.json", host="localhost:8000").body)
    assert local["servers"] == [{"url": "http://localhost:8000"}]
    # API Gateway: the stage path, on the host the client called
    answer = api.app(gateway_event("abc123.execute-api.eu-west-1.amazonaws.com", "/api/openapi.json"), None)
    assert answer["statusCode"] == 200
    document = json.loads(answer["body"])
    assert document["servers"] == [{"url": "https://abc123.execute-api.eu-west-1.amazonaws.com/api"}]
    # a custom domain with a base path mapping
    mapped = json.loads(api.app(gateway_event("api.kindalarm.nl", "/v1/openapi.json"), None)["body"])
    assert mapped["servers"] == [{"url": "https://api.kindalarm.nl/v1"}]
    assert mapped["paths"] == local["paths"]


def gateway_event(host: str, path: str) -> dict[str, Any]:
    """``GET /openapi.json`` as API Gateway (REST, Lambda proxy) hands it to the function."""
    headers = {"Host": host, "X-Forwarded-Proto": "https", "Accept": "application/json"}
    return {
        "resource": "/openapi.json",
        "path": "/openapi.json",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/openapi.json",
            "httpMethod": "GET",
            "path": path,
            "stage": path.split("/")[1],
            "apiId": "abc123",
            "requestId": "req-openapi",
            "identity": {"sourceIp": "192.0.2.1"},
        },
    }


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
