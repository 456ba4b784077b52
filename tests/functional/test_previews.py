"""Previews answer in the one type they have, to every client that accepts it, and say which type to ask for."""

from __future__ import annotations

import base64
import io
import json
import uuid
from typing import Any

import pytest
from PIL import Image

import app as api
from tests.conftest import alert_body
from tests.functional.conftest import create
from tests.functional.test_photos import inline, phone_jpeg

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize("accept", [None, "", "*/*", "image/*", "image/png", "image/png;q=0.8", BROWSER])
def test_an_image_preview_is_a_png_for_every_client_that_takes_one(client, aws, accept):
    # Given an alert with a photo
    alert = create(client, photo=inline(phone_jpeg()))
    # When a client that accepts any type (or images, or PNG) asks for a visual channel's preview
    headers = {} if accept is None else {"accept": accept}
    response = client.http.get(f"/alerts/{alert['id']}/previews/social_media", headers=headers)
    # Then it gets the PNG
    assert response.status_code == 200, response.body[:300]
    assert response.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.body)).size == (1200, 675)
    assert response.headers["Vary"] == "Accept"


@pytest.mark.parametrize("accept", ["application/json", "text/html", "image/jpeg", "image/png;q=0, */*", "garbage"])
def test_a_client_that_takes_no_png_gets_406_saying_to_ask_for_one(client, aws, accept):
    alert = create(client)
    response = client.http.get(f"/alerts/{alert['id']}/previews/station_screens", headers={"accept": accept})
    assert response.status_code == 406
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(response.body)
    assert problem["status"] == 406
    assert "Send Accept: image/png." in problem["detail"]
    assert problem["errors"] == [{"header": "Accept", "detail": "must admit image/png"}]


def test_a_text_preview_negotiates_the_same_way(client, aws):
    alert = create(client)
    path = f"/alerts/{alert['id']}/previews/cap_feed"
    assert client.http.get(path).status_code == 200
    assert client.http.get(path, headers={"accept": "application/*"}).status_code == 200
    refused = client.http.get(path, headers={"accept": "image/png"})
    assert refused.status_code == 406
    assert "Send Accept: application/cap+xml." in json.loads(refused.body)["detail"]


def test_an_unknown_alert_or_channel_is_still_404_whatever_the_accept(client, aws):
    missing = client.http.get(f"/alerts/{uuid.uuid4()}/previews/social_media", headers={"accept": "text/html"})
    assert missing.status_code == 404


def gateway_get(path: str, resource: str, accept: str | None, **path_parameters: str) -> dict[str, Any]:
    """A GET as API Gateway (REST, Lambda proxy) hands it to the function."""
    headers = {"Host": "abc123.execute-api.eu-west-1.amazonaws.com", "X-Forwarded-Proto": "https"}
    if accept is not None:
        headers["Accept"] = accept
    event = {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": "GET",
            "path": f"/api{path}",
            "stage": "api",
            "apiId": "abc123",
            "requestId": f"req-{uuid.uuid4()}",
            "identity": {"userArn": "arn:aws:sts::111122223333:assumed-role/burgernet/op", "sourceIp": "192.0.2.1"},
        },
    }
    return dict(api.app(event, None))


@pytest.mark.parametrize(
    ("accept", "status"), [("image/png", 200), ("image/png;q=0.9", 200), ("image/*", 406), ("*/*", 406), (None, 406)]
)
def test_behind_api_gateway_a_png_goes_only_where_the_gateway_sends_bytes(client, aws, accept, status):
    # API Gateway turns the function's base64 back into bytes only when the first Accept type is a binary media
    # type of the API (app.api.binary_types); otherwise the client would get base64 text labelled image/png.
    alert = json.loads(
        client.http.post("/alerts", headers={"content-type": "application/json"}, body=json.dumps(alert_body())).body
    )
    path = f"/alerts/{alert['id']}/previews/road_signs"
    answer = gateway_get(path, "/alerts/{id}/previews/{channel}", accept, id=alert["id"], channel="road_signs")
    assert answer["statusCode"] == status
    if status == 200:
        assert answer["isBase64Encoded"] is True
        assert Image.open(io.BytesIO(base64.b64decode(answer["body"]))).format == "PNG"
    else:
        assert "API Gateway" in json.loads(answer["body"])["detail"]
