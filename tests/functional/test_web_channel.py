"""The public site through the fan-out: a page per alert, its images, the index and active.json; gone when found."""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from PIL import Image

from chalicelib.alerts.retention import RetentionPurge
from chalicelib.channels.base import Assets
from chalicelib.channels.targets import OWN_AUDIENCES, PartnerTarget
from chalicelib.links import page_path
from chalicelib.models.alert import Cancellation
from chalicelib.models.audit import Actor
from chalicelib.wiring import reset, wiring
from tests.conftest import alert
from tests.functional.conftest import create, send

CHILD_DATA = ("Sanne", "blond haar", "rode jas", "Utrecht")


def photo() -> dict[str, str]:
    out = io.BytesIO()
    Image.new("RGB", (600, 800), (120, 90, 60)).save(out, "JPEG")
    return {"content_type": "image/jpeg", "data": base64.b64encode(out.getvalue()).decode()}


def site(aws: dict[str, str]) -> dict[str, bytes]:
    """Every file of the public site (what CloudFront serves), by its path on the site."""
    s3 = boto3.client("s3")
    listing = s3.list_objects_v2(Bucket=aws["PhotosBucketName"], Prefix="site/").get("Contents", [])
    return {
        item["Key"].removeprefix("site/"): s3.get_object(Bucket=aws["PhotosBucketName"], Key=item["Key"])["Body"].read()
        for item in listing
    }


def served(aws: dict[str, str], path: str) -> dict[str, Any]:
    answer = boto3.client("s3").get_object(Bucket=aws["PhotosBucketName"], Key=f"site/{path}")
    return {"type": answer["ContentType"], "cache": answer.get("CacheControl"), "body": answer["Body"].read()}


def active_ids(files: dict[str, bytes], folder: str = "") -> list[str]:
    return [listed["id"] for listed in json.loads(files[f"{folder}active.json"])["alerts"]]


def holds_child(text: bytes) -> list[str]:
    lowered = text.decode().lower()
    return [word for word in CHILD_DATA if word.lower() in lowered]


def cancel(client, alert_id: str, reason: str = "found") -> None:
    response = send(client, "POST", f"/alerts/{alert_id}/cancel", {"reason": reason})
    assert response.status_code == 200, response.body


def test_an_alert_gets_its_page_photo_card_and_place_in_the_index(client, fan_out, aws):
    created = create(client, fan_out, photo=photo())
    files = site(aws)
    alert_id = created["id"]
    page = served(aws, page_path(alert_id))
    assert page["type"].startswith("text/html") and page["cache"] == "public, max-age=10"
    assert b"Sanne de Vries" in page["body"] and b"Sanne de Vries" in files[page_path(alert_id, language="en")]
    assert {f"alerts/{alert_id}/photo-v1.jpg", f"alerts/{alert_id}/card-v1.jpg"} <= set(files)
    with Image.open(io.BytesIO(files[f"alerts/{alert_id}/card-v1.jpg"])) as card:
        assert (card.format, card.size) == ("JPEG", (1200, 675))
    # The page names its images by their public addresses (absolute: a shared link unfolds into the card).
    site_url = wiring().settings.public_site_url.rstrip("/")
    assert f"{site_url}/alerts/{alert_id}/card-v1.jpg".encode() in page["body"]
    assert f"{site_url}/alerts/{alert_id}/photo-v1.jpg".encode() in page["body"]
    assert active_ids(files) == [alert_id]
    assert b"Sanne de Vries" in files["index.html"] and b"Sanne de Vries" in files["index.en.html"]
    assert served(aws, "widget.js")["type"].startswith("text/javascript")


def test_an_update_replaces_the_images_and_the_found_page_holds_nothing_of_the_child(client, fan_out, aws):
    alert_id = create(client, fan_out, photo=photo())["id"]
    patch = {"contact": {"phone": "0800-1234"}}
    updated = send(client, "PATCH", f"/alerts/{alert_id}", patch, **{"If-Match": '"1"'})
    assert updated.status_code == 200, updated.body
    fan_out.runner.drain()
    images = sorted(path for path in site(aws) if path.startswith(f"alerts/{alert_id}/"))
    assert images == [f"alerts/{alert_id}/card-v2.jpg", f"alerts/{alert_id}/photo-v2.jpg"]
    assert b"0800-1234" in site(aws)[page_path(alert_id)]

    cancel(client, alert_id)
    fan_out.runner.drain()
    files = site(aws)
    assert not [path for path in files if path.startswith(f"alerts/{alert_id}/")]
    for language in ("nl", "en"):
        assert holds_child(files[page_path(alert_id, language=language)]) == []
    assert "Gevonden" in files[page_path(alert_id)].decode()
    assert active_ids(files) == []
    assert holds_child(files["index.html"]) == [] and holds_child(files["active.json"]) == []


@pytest.mark.parametrize("status", ["exercise", "test"])
def test_an_exercise_lives_on_the_sandbox_site_only(client, fan_out, aws, status):
    alert_id = create(client, fan_out, status=status)["id"]
    files = site(aws)
    assert page_path(alert_id) not in files
    assert b"noindex" in files[page_path(alert_id, sandbox=True)]
    assert active_ids(files, "sandbox/") == [alert_id]
    assert "active.json" not in files or active_ids(files) == []


def test_a_late_older_version_never_brings_the_child_back(client, fan_out, aws):
    # Given an alert whose version 1 is rendered, then found (version 2) and taken down
    first = alert(photo=None)
    channel = wiring().channel("web")
    assets = Assets(public_page="-", photo=None, page_photo=b"\xff\xd8photo")
    stale = channel.render(first, assets)
    target = PartnerTarget.model_validate(
        {"name": OWN_AUDIENCES["web"][0], "url": "https://internal.invalid/", "secret_parameter": "-"}
    )
    later = first.updated_at + timedelta(hours=1)
    found = first.model_copy(
        update={
            "version": 2,
            "state": "cancelled",
            "updated_at": later,
            "cancellation": Cancellation(reason="found", at=later),
        }
    )
    channel.retract(channel.render(found, Assets(public_page="-")), target, "d2", None)
    # When version 1's delivery arrives late
    channel.deliver(stale, target, "d1", None)
    # Then the page still says found, no image of the child is left, and the index does not list it
    files = site(aws)
    assert holds_child(files[page_path(first.id)]) == []
    assert not [path for path in files if path.startswith(f"alerts/{first.id}/")]
    assert active_ids(files) == []


def test_the_preview_is_the_page(client, fan_out):
    alert_id = create(client, fan_out)["id"]
    response = client.http.get(f"/alerts/{alert_id}/previews/web", headers={"Accept": "text/html"})
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"Sanne de Vries" in response.body


def distribution() -> str:
    """A CloudFront distribution in moto, as the template makes one in front of the site."""
    config = {
        "CallerReference": "site",
        "Comment": "site",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "site",
                    "DomainName": "bucket.s3.amazonaws.com",
                    "OriginPath": "/site",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    return str(boto3.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"])


def invalidated(distribution_id: str) -> set[str]:
    cloudfront = boto3.client("cloudfront")
    listing = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"].get("Items", [])
    paths: set[str] = set()
    for item in listing:
        batch = cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])["Invalidation"]
        paths |= set(batch["InvalidationBatch"]["Paths"].get("Items", []))
    return paths


def test_every_change_is_invalidated_in_cloudfront(client, fan_out, aws, monkeypatch):
    distribution_id = distribution()
    monkeypatch.setenv("SITE_DISTRIBUTION_ID", distribution_id)
    reset()
    alert_id = create(client, fan_out, photo=photo())["id"]
    assert {f"/alerts/{alert_id}.html", f"/alerts/{alert_id}.en.html", "/active.json", "/index.html", "/"} <= (
        invalidated(distribution_id)
    )
    assert f"/alerts/{alert_id}/photo-v1.jpg" in invalidated(distribution_id)
    cancel(client, alert_id)
    fan_out.runner.drain()
    assert holds_child(site(aws)[page_path(alert_id)]) == []
    # The photo's address was invalidated again when it was deleted
    assert (
        len(boto3.client("cloudfront").list_invalidations(DistributionId=distribution_id)["InvalidationList"]["Items"])
        >= 2
    )


def test_retention_deletes_the_found_page(client, fan_out, aws, monkeypatch):
    alert_id = create(client, fan_out, photo=photo())["id"]
    cancel(client, alert_id)
    fan_out.runner.drain()
    assert page_path(alert_id) in site(aws)
    # When the retention has passed and the purge runs
    later = datetime.now(timezone.utc) + timedelta(days=31)
    purge = RetentionPurge(wiring().alert_table, (wiring().web_site,), clock=lambda: later)
    assert purge.run(Actor(principal="test", request_id="r")) == [alert_id]
    files = site(aws)
    assert not [path for path in files if alert_id in path]
    assert active_ids(files) == []
