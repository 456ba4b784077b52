"""Photos through the API: inline and uploaded, stored clean and private, previewed, and deleted on cancel."""

from __future__ import annotations

import base64
import io
import json
import math
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from PIL import Image

from chalicelib.adapters.clients import s3_client
from chalicelib.models.photos import RENDITION_NAMES
from chalicelib.wiring import wiring
from tests.conftest import alert_body
from tests.functional.conftest import create, send
from tests.functional.test_takedown_faults import Hook

GPS = {1: "N", 2: (52.0, 5.0, 21.8), 3: "E", 4: (5.0, 6.0, 36.4)}


def phone_jpeg(orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8825] = GPS
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (150, 110, 90)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def inline(data: bytes, content_type: str = "image/jpeg") -> dict[str, str]:
    return {"content_type": content_type, "data": base64.b64encode(data).decode()}


def objects(aws: dict[str, str], prefix: str = "photos/") -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=aws["PhotosBucketName"], Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_an_inline_photo_is_stored_clean_private_and_linked(client, aws):
    # Given a create with a phone photo (sideways, with GPS)
    alert = create(client, photo=inline(phone_jpeg()))
    photo_id = alert["photo"]["id"]
    # Then every rendition is in the bucket, encrypted, without any metadata
    keys = objects(aws)
    assert [key.rsplit("/", 1)[1] for key in keys] == sorted(f"{name}.jpg" for name in ("master", "push", "feed"))
    s3 = boto3.client("s3")
    for key in keys:
        head = s3.head_object(Bucket=aws["PhotosBucketName"], Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        image = Image.open(io.BytesIO(s3.get_object(Bucket=aws["PhotosBucketName"], Key=key)["Body"].read()))
        assert not image.getexif()
    master = Image.open(
        io.BytesIO(s3.get_object(Bucket=aws["PhotosBucketName"], Key=f"photos/{photo_id}/master.jpg")["Body"].read())
    )
    assert master.size == (900, 1200)  # upright
    # And the alert links to expiring URLs of each rendition, never to the inline data
    read = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)
    assert set(read["photo"]["renditions"]) == {"master", "push", "feed"}
    assert (
        "Expires=" in read["photo"]["renditions"]["master"] or "X-Amz-Expires" in read["photo"]["renditions"]["master"]
    )
    assert "data" not in json.dumps(read["photo"])


def test_a_retried_create_with_a_photo_stores_it_once(client, aws):
    first = create(client, photo=inline(phone_jpeg()))
    again = create(client, expect=200, photo=inline(phone_jpeg()))
    assert again["id"] == first["id"]
    assert again["photo"]["id"] == first["photo"]["id"]
    assert len(objects(aws)) == len(RENDITION_NAMES)


def test_a_bad_inline_photo_is_refused_and_nothing_is_stored(client, aws):
    out = io.BytesIO()
    Image.new("P", (100, 100)).save(out, "GIF")
    response = send(client, "POST", "/alerts", alert_body(photo=inline(out.getvalue(), "image/jpeg")))
    problem = json.loads(response.body)
    assert response.status_code == 422
    assert problem["errors"] == [
        {"pointer": "/photo/data", "detail": "the photo was refused: not a JPEG, PNG or WebP image (it is a GIF)"}
    ]
    assert objects(aws) == []


def webp_too_large_to_decode() -> bytes:
    # 17.6 MP in 60 KB: Pillow's WebP decoder would hold about 280 MB for it, over the decode budget.
    out = io.BytesIO()
    Image.new("RGB", (4200, 4200), (150, 110, 90)).save(out, "WEBP", quality=50, method=0)
    return out.getvalue()


def test_a_photo_too_large_to_decode_is_refused_with_a_422_naming_the_field(client, aws):
    # Given a create whose photo is small on the wire but would take more memory to decode than the budget holds
    response = send(client, "POST", "/alerts", alert_body(photo=inline(webp_too_large_to_decode(), "image/webp")))
    # Then it is refused before decoding, as a problem document pointing at the photo's data
    problem = json.loads(response.body)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == 422
    assert problem["type"].endswith("/invalid-request")
    [error] = problem["errors"]
    assert error["pointer"] == "/photo/data"
    assert error["detail"].startswith("the photo was refused: the image is too large to decode (4200×4200 WEBP")
    assert "at most 256 MiB" in error["detail"]
    assert objects(aws) == []


def padded_jpeg(size: int) -> bytes:
    """A valid JPEG of exactly ``size`` bytes: a phone photo with comment segments after its start."""
    data = phone_jpeg()
    missing, segments = size - len(data), []
    while missing:
        body = min(missing - 4, 65533)
        segments.append(b"\xff\xfe" + (body + 2).to_bytes(2, "big") + b"\0" * body)
        missing -= body + 4
    return data[:2] + b"".join(segments) + data[2:]


def test_the_largest_inline_photo_is_within_the_body_limit_and_one_byte_more_is_refused(client, aws):
    from chalicelib.models.alert import MAX_PHOTO_BYTES

    # Given a detailed polygon area and a photo of exactly the inline limit (4 MiB decoded)
    ring = [
        [5.11 + 0.2 * math.cos(i * math.tau / 1999), 52.09 + 0.12 * math.sin(i * math.tau / 1999)] for i in range(1999)
    ]
    area = {"type": "polygon", "coordinates": [[*ring, ring[0]]]}
    photo = padded_jpeg(MAX_PHOTO_BYTES)
    # When it is created, and again with one byte more
    response = send(client, "POST", "/alerts", alert_body(reference="BN-LARGEST", photo=inline(photo), area=area))
    over = send(client, "POST", "/alerts", alert_body(reference="BN-OVER", photo=inline(photo + b"\0"), area=area))
    # Then the body limit (lowered to what the API's memory is measured on) still takes the first
    assert response.status_code == 201, response.body
    assert len(objects(aws)) == len(RENDITION_NAMES)
    # And the second is refused on the photo's size, not as a body too large
    assert over.status_code == 422
    assert json.loads(over.body)["errors"][0]["pointer"] == "/photo/data"


def upload(client, data: bytes, content_type: str = "image/jpeg") -> tuple[str, requests.Response]:
    response = send(client, "POST", "/photos", {"content_type": content_type})
    assert response.status_code == 201, response.body
    body = json.loads(response.body)
    form = body["upload"]
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("photo", data, content_type)}, timeout=10)
    return body["photo_id"], posted


def test_a_large_photo_goes_through_a_presigned_upload(client, aws, fan_out):
    # Given a presigned upload form for a JPEG
    response = send(client, "POST", "/photos", {"content_type": "image/jpeg"})
    form = json.loads(response.body)["upload"]
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    # Then S3 itself will refuse another type or a size over the limit
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ["content-length-range", 1, 25 * 1024 * 1024] in policy["conditions"]
    # When the photo is uploaded and S3 announces it
    photo_id, posted = upload(client, phone_jpeg())
    assert posted.status_code in (200, 204)
    fan_out.runner.drain()
    # Then the upload is processed and removed, and an alert can name the photo
    assert objects(aws, "uploads/") == []
    assert len(objects(aws, f"photos/{photo_id}/")) == len(RENDITION_NAMES)
    alert = create(client, photo_id=photo_id)
    assert alert["photo"]["id"] == photo_id


def test_an_alert_cannot_name_a_photo_that_is_not_ready(client, aws, fan_out):
    waiting = json.loads(send(client, "POST", "/photos", {"content_type": "image/png"}).body)["photo_id"]
    rejected, _ = upload(client, b"GIF89a" + b"\x00" * 100, "image/png")
    fan_out.runner.drain()
    for photo_id, reason in ((waiting, "not been uploaded"), (rejected, "refused"), ("0" * 32, "no photo has this id")):
        response = send(client, "POST", "/alerts", alert_body(reference=f"BN-{photo_id[:8]}", photo_id=photo_id))
        problem = json.loads(response.body)
        assert response.status_code == 422
        assert problem["errors"][0]["pointer"] == "/photo_id"
        assert reason in problem["errors"][0]["detail"]


def test_an_upload_too_large_to_decode_is_rejected_and_an_alert_naming_it_is_told_why(client, aws, fan_out):
    photo_id, posted = upload(client, webp_too_large_to_decode(), "image/webp")
    assert posted.status_code in (200, 204)
    fan_out.runner.drain()
    response = send(client, "POST", "/alerts", alert_body(photo_id=photo_id))
    problem = json.loads(response.body)
    assert response.status_code == 422
    assert problem["errors"][0]["pointer"] == "/photo_id"
    assert "too large to decode" in problem["errors"][0]["detail"]
    assert objects(aws, "photos/") == []


def test_newsrooms_get_the_photo_link_and_cancel_deletes_the_photo(client, aws, fan_out):
    # Given a delivered alert with a photo
    alert = create(client, photo=inline(phone_jpeg()))
    fan_out.runner.drain()
    photo_url = fan_out.sink.deliveries("anp")[0]["payload"]["alert"]["photo_url"]
    assert f"photos/{alert['photo']['id']}/master.jpg" in photo_url
    assert objects(aws)
    # When the child is found and every newsroom has retracted
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    fan_out.runner.drain()
    # Then the photo and every rendition are gone
    assert objects(aws) == []
    read = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)
    assert read["photo"]["renditions"] == {}


def test_replacing_the_photo_deletes_the_old_one(client, aws):
    alert = create(client, photo=inline(phone_jpeg(orientation=1)))
    old = alert["photo"]["id"]
    response = send(
        client, "PATCH", f"/alerts/{alert['id']}", {"photo": inline(phone_jpeg(orientation=3))}, **{"If-Match": '"1"'}
    )
    new = json.loads(response.body)["photo"]["id"]
    assert response.status_code == 200
    assert new != old
    assert objects(aws, f"photos/{old}/") == []
    assert len(objects(aws, f"photos/{new}/")) == len(RENDITION_NAMES)
    removed = send(client, "PATCH", f"/alerts/{alert['id']}", {"photo_id": None}, **{"If-Match": '"2"'})
    assert "photo" not in json.loads(removed.body)
    assert objects(aws) == []


@pytest.mark.parametrize(
    ("channel", "size"), [("social_media", (1200, 675)), ("station_screens", (1920, 1080)), ("road_signs", (480, 270))]
)
def test_visual_channels_preview_as_png(client, aws, channel, size):
    alert = create(client, photo=inline(phone_jpeg()))
    response = client.http.get(f"/alerts/{alert['id']}/previews/{channel}", headers={"accept": "image/png"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.body))
    assert (image.format, image.size) == ("PNG", size)


def test_news_media_previews_as_its_payload(client, aws):
    alert = create(client)
    response = send(client, "GET", f"/alerts/{alert['id']}/previews/news_media")
    assert response.status_code == 200
    assert json.loads(response.body)["alert"]["child"]["name"] == "Sanne de Vries"


def test_no_preview_for_a_channel_the_level_does_not_use_or_a_closed_alert(client, aws):
    alert = create(client, level="vermist_kind")
    response = send(client, "GET", f"/alerts/{alert['id']}/previews/road_signs")
    assert response.status_code == 404
    assert "does not carry vermist_kind" in json.loads(response.body)["detail"]
    send(client, "POST", f"/alerts/{alert['id']}/cancel", {"reason": "found"})
    closed = send(client, "GET", f"/alerts/{alert['id']}/previews/news_media")
    assert closed.status_code == 409


def test_a_photo_gone_from_the_bucket_previews_without_it(client, aws):
    alert = create(client, photo=inline(phone_jpeg()))
    s3 = boto3.client("s3")
    for key in objects(aws):
        s3.delete_object(Bucket=aws["PhotosBucketName"], Key=key)
    response = client.http.get(f"/alerts/{alert['id']}/previews/social_media", headers={"accept": "image/png"})
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.body)).size == (1200, 675)


def test_the_upload_function_ignores_s3_test_events_and_strays(client, aws):
    import app as api
    from devstack.runner import LambdaContext

    bodies = [
        json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": aws["PhotosBucketName"]}),
        json.dumps({"Records": [{"s3": {"object": {"key": "uploads/no-such-photo"}}}]}),
    ]
    boto3.client("s3").put_object(Bucket=aws["PhotosBucketName"], Key="uploads/no-such-photo", Body=b"x")
    event = {
        "Records": [
            {
                "messageId": str(index),
                "receiptHandle": "-",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": aws["PhotoUploadsQueueArn"],
            }
            for index, body in enumerate(bodies)
        ]
    }
    assert api.photo_upload(event, LambdaContext("photo_upload")) == {"batchItemFailures": []}
    assert objects(aws, "uploads/") == []


def test_app_push_previews_its_notifications_and_cap_feed_its_message(client, aws):
    alert = create(client)
    response = send(client, "GET", f"/alerts/{alert['id']}/previews/app_push")
    assert response.status_code == 200
    shown = json.loads(response.body)
    assert shown["nl"]["title"] == "Kind Alarm: Sanne de Vries"
    assert shown["en"]["body"].startswith("Sanne (9) missing in Utrecht")
    cap = send(client, "GET", f"/alerts/{alert['id']}/previews/cap_feed")
    assert cap.status_code == 200
    assert cap.headers["Content-Type"] == "application/cap+xml"
    assert b"<msgType>Alert</msgType>" in cap.body


# A change whose write fails after its photo was stored.


def patch_photo(client, alert_id: str, version: int, **body: object) -> Any:
    return send(client, "PATCH", f"/alerts/{alert_id}", body, **{"If-Match": f'"{version}"'})


def with_a_rival_first(monkeypatch, rival) -> None:
    """The alert table's conditional write, with ``rival`` (another caller's change) landing once just before it."""
    store = wiring().alert_service._store
    original = store.replace
    rivals = iter([rival])

    def replace(alert, expected_version, audit):
        meanwhile = next(rivals, None)
        if meanwhile is not None:
            meanwhile()
        original(alert, expected_version, audit)

    monkeypatch.setattr(store, "replace", replace)


def test_a_patch_with_a_photo_that_loses_to_the_cancel_leaves_nothing_of_the_new_photo(client, aws, monkeypatch):
    # Given an alert with a photo, and the child found between a PATCH's photo processing and its write
    alert = create(client, photo=inline(phone_jpeg(orientation=1)))
    old = alert["photo"]["id"]
    service = wiring().alert_service
    with_a_rival_first(monkeypatch, lambda: service.cancel(alert["id"], {"reason": "found"}, None))
    # When the PATCH with a new photo reaches the table
    response = patch_photo(client, alert["id"], 1, photo=inline(phone_jpeg(orientation=3)))
    # Then the cancel wins, and no rendition of either photo is left
    assert response.status_code == 409, response.body
    read = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)
    assert (read["state"], read["version"], read["photo"]["id"]) == ("cancelled", 2, old)
    assert objects(aws) == []


def test_a_patch_with_a_photo_that_loses_to_another_change_keeps_only_the_current_photo(client, aws, monkeypatch):
    # Given an alert with a photo, and another change landing between a PATCH's photo processing and its write
    alert = create(client, photo=inline(phone_jpeg(orientation=1)))
    old = alert["photo"]["id"]
    service = wiring().alert_service
    with_a_rival_first(monkeypatch, lambda: service.update(alert["id"], {"contact": {"phone": "112"}}, 1))
    # When the PATCH with a new photo reaches the table
    response = patch_photo(client, alert["id"], 1, photo=inline(phone_jpeg(orientation=3)))
    # Then it is told the alert moved on, and the alert's own photo is all the bucket holds
    assert response.status_code == 412, response.body
    read = json.loads(send(client, "GET", f"/alerts/{alert['id']}").body)
    assert (read["version"], read["photo"]["id"]) == (2, old)
    assert objects(aws) == sorted(f"photos/{old}/{name}.jpg" for name in RENDITION_NAMES)


def test_a_create_whose_write_took_effect_but_whose_answer_was_lost_keeps_its_photo(client, aws, monkeypatch):
    # Given a table that stores the alert and then loses the answer (a timeout after DynamoDB wrote it)
    store = wiring().alert_service._store
    insert = store.insert

    def answer_lost(alert, audit):
        insert(alert, audit)
        raise TimeoutError("read timeout")

    monkeypatch.setattr(store, "insert", answer_lost)
    # When a create with a photo is sent
    response = send(client, "POST", "/alerts", alert_body(photo=inline(phone_jpeg())))
    # Then it fails, but the stored alert's photo is still there: the outcome was unknown, so nothing was deleted
    assert response.status_code == 500
    monkeypatch.setattr(store, "insert", insert)
    again = send(client, "POST", "/alerts", alert_body(photo=inline(phone_jpeg())))
    assert again.status_code == 200, again.body
    photo_id = json.loads(again.body)["photo"]["id"]
    assert sorted(f"photos/{photo_id}/{name}.jpg" for name in RENDITION_NAMES) == [
        key for key in objects(aws) if key.startswith(f"photos/{photo_id}/")
    ]


def test_a_photo_whose_renditions_cannot_all_be_stored_leaves_none(client, aws):
    # Given S3 refusing the last rendition of a create's photo
    failure = ClientError({"Error": {"Code": "InternalError", "Message": "try again"}}, "PutObject")
    Hook(s3_client(), "PutObject", failure, lambda params: str(params.get("Key", "")).endswith("/feed.jpg"))
    # When the create is sent
    response = send(client, "POST", "/alerts", alert_body(photo=inline(phone_jpeg())))
    # Then it fails, and the renditions already stored went with it
    assert response.status_code >= 500
    assert objects(aws) == []


def test_an_uploaded_photo_stays_for_the_retry_of_a_patch_that_lost_a_race(client, aws, fan_out, monkeypatch):
    # Given an alert, an uploaded photo, and another change landing between a PATCH naming it and its write
    alert = create(client)
    photo_id, posted = upload(client, phone_jpeg())
    assert posted.status_code in (200, 204)
    fan_out.runner.drain()
    service = wiring().alert_service
    with_a_rival_first(monkeypatch, lambda: service.update(alert["id"], {"contact": {"phone": "112"}}, 1))
    lost = patch_photo(client, alert["id"], 1, photo_id=photo_id)
    assert lost.status_code == 412, lost.body
    # When Burgernet sends the PATCH again on the current version
    again = patch_photo(client, alert["id"], 2, photo_id=photo_id)
    # Then the alert has the photo, every rendition of it there: the lost PATCH had not stored it, so kept it
    assert again.status_code == 200, again.body
    assert json.loads(again.body)["photo"]["id"] == photo_id
    assert len(objects(aws, f"photos/{photo_id}/")) == len(RENDITION_NAMES)
