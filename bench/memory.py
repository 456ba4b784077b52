"""Peak memory of every function on its worst accepted input, each run in a fresh interpreter as Lambda starts one.

Every run is a new ``python -S`` on the deployment zip's contents (only what the zip holds, with its bytecode)
against a moto server holding the stack's resources and the partner sink. It reads one event from a file, as
Lambda's runtime does, calls the function's handler once and reports its peak resident set. That is VmHWM, the
high-water mark of the process's own memory: ru_maxrss would do, but it carries the parent's peak across the
exec of a child (measured here: a 300 MB parent gives a 9 MB child a ru_maxrss of 310 MB).

The worst accepted inputs, each checked to be handled as intended (the photo taken, the batch without failures):
  api            the largest inline photo (4 MiB, a 60 MP JPEG); a progressive JPEG and a WebP at the decode
                 budget, a 60 MP RGBA PNG; bodies of MAX_BODY_BYTES that cost the most to parse (JSON of the most
                 members and items the item bound lets through, CAP of empty elements), refused after parsing;
                 a station poster preview
  photo_upload   a batch of 5 uploads of 25 MiB: 60 MP JPEGs, the PNG and the progressive JPEG padded, the WebP
  dispatch       a 6 MB stream batch (Lambda's limit) of alert changes, old and new image with 2,000-point areas
  channels       a full batch (the event source's batch size) of published alerts with photos
  the rest       their one event, with the bench's alerts in the table
Prints the peak of every input, then per function the worst (the largest over BENCH_RUNS runs, default 3),
1.5x that, the size infra/memory.py gives and the share of a vCPU it buys (one full vCPU at 1,769 MB). Then each
function's ordinary first answer, a cold start: wall and CPU seconds here (one core), and as Lambda would run it
at the size given and at 1.5x the peak: the CPU seconds stretched by 1 / share, the rest (waiting on moto and
the partners) as measured. Exits 1 when a size is below 1.5x a peak measured now. Builds
``build/dev/deployment.zip`` with ``make package`` when it is older than the code.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devstack.canary import scheduled_event  # noqa: E402
from infra.memory import FULL_VCPU_MB, HEADROOM, MEMORY, cpu_share  # noqa: E402

ZIP = ROOT / "build" / "dev" / "deployment.zip"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
UTRECHT = (52.0894, 5.1101)
LAMBDA_BATCH_BYTES = 6 * 1024 * 1024
JPEG, PNG, WEBP, CAP = "image/jpeg", "image/png", "image/webp", "application/cap+xml"
SCHEDULED = {
    "WatchDeliveries": "watch_deliveries",
    "ExpireAlerts": "expire_alerts",
    "PurgeAlerts": "purge_alerts",
    "Canary": "canary",
}
CHANNELS = {
    "AppPush": "app_push",
    "CapFeed": "cap_feed",
    "NewsMedia": "news_media",
    "SocialMedia": "social_media",
    "RoadSigns": "road_signs",
    "StationScreens": "station_screens",
    "Web": "web",
}
WORST_BATCH = {
    "app_push": 5,
    "cap_feed": 1,
    "news_media": 10,
    "social_media": 5,
    "road_signs": 5,
    "station_screens": 5,
    "web": 1,
}
# BENCH_ONLY=Web,CapFeed measures only those functions (the table's other sizes stay as measured before).
ONLY = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}

# The function's process: read the event as Lambda's runtime does, call the handler once, report.
CHILD = """
import json, resource, sys, types
handler, event_file, memory = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(event_file, "rb") as source:
    event = json.loads(source.read())
context = types.SimpleNamespace(function_name=handler, aws_request_id="bench-memory", memory_limit_in_mb=memory,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:kind-alarm-bench-" + handler,
    get_remaining_time_in_millis=lambda: 60000)
import app
reply = getattr(app, "app" if handler == "api" else handler)(event, context)
usage = resource.getrusage(resource.RUSAGE_SELF)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
if isinstance(reply, dict) and "statusCode" in reply:
    reply = {"status": reply["statusCode"], "body": str(reply.get("body"))[:300]}
print(json.dumps({"peak_kib": peak, "cpu": usage.ru_utime + usage.ru_stime, "reply": reply}, default=str))
"""


@dataclass
class Measurement:
    peak_mb: float
    cpu: float
    wall: float


@dataclass
class Scenario:
    resource: str  # the function, as infra/iam.py and infra/memory.py name it
    handler: str
    label: str
    event: Callable[[int], dict[str, Any]]  # built afresh for each run (the argument)
    handled: Callable[[Any], bool]
    ordinary: bool = False  # the function's everyday input: its first answer is the cold start reported
    measurements: list[Measurement] = field(default_factory=list)


# --- inputs -------------------------------------------------------------------------------------------------------


def textured(width: int, height: int, noise: float = 0.3) -> Image.Image:
    """A photo-like picture: gradient, shapes and grain, so that decoding and encoding cost what they do."""
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(base)
    for i in range(80):
        x, y = i * 97 % width, i * 53 % height
        draw.ellipse((x, y, x + width // 7, y + height // 7), fill=(i * 7 % 255, 90, 160))
    if not noise:
        return base
    grain = Image.effect_noise((width, height), 40).convert("RGB")
    return Image.blend(base, grain, noise).filter(ImageFilter.GaussianBlur(0.6))


def encoded(image: Image.Image, image_format: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def padded_jpeg(data: bytes, size: int) -> bytes:
    """The JPEG made exactly ``size`` bytes long with comment segments (still a valid JPEG)."""
    missing, segments = size - len(data), []
    while missing > 0:
        body = min(missing - 4, 65533)
        if body < 0:
            raise ValueError("too close to the size to pad")
        segments.append(b"\xff\xfe" + (body + 2).to_bytes(2, "big") + b"\0" * body)
        missing -= body + 4
    return data[:2] + b"".join(segments) + data[2:]


def padded_png(data: bytes, size: int) -> bytes:
    """The PNG made ``size`` bytes long with a private ancillary chunk before its pixels (Pillow keeps a copy)."""
    import zlib

    body = b"\0" * (size - len(data) - 12)
    chunk = len(body).to_bytes(4, "big") + b"kaPd" + body + zlib.crc32(b"kaPd" + body).to_bytes(4, "big")
    end_of_header = 8 + 25
    return data[:end_of_header] + chunk + data[end_of_header:]


def sized_jpeg(image: Image.Image, limit: int, **options: Any) -> bytes:
    for quality in (95, 90, 85, 80, 70, 60, 50):
        data = encoded(image, "JPEG", quality=quality, **options)
        if len(data) <= limit - 8:
            return padded_jpeg(data, limit)
    raise ValueError("no quality fits the limit")


class Photos:
    """The worst accepted photos, made once per bench."""

    def __init__(self) -> None:
        from chalicelib.imaging.photo import MAX_DECODE_BYTES, MAX_PIXELS
        from chalicelib.models.alert import MAX_PHOTO_BYTES

        self.budget = MAX_DECODE_BYTES
        width = 8944
        height = MAX_PIXELS // width
        largest = textured(width, height, noise=0.15)
        self.inline_jpeg = sized_jpeg(largest, MAX_PHOTO_BYTES)
        # A PNG cannot be decoded smaller: 60 MP of RGBA is 240 MB in memory, 1-2 MB on the wire.
        rgba = textured(width, height, noise=0).convert("RGBA")
        rgba.putalpha(Image.linear_gradient("L").resize((width, height)))
        self.png = encoded(rgba, "PNG")
        del rgba
        # Progressive 4:4:4 keeps 6 bytes of coefficients a pixel: the budget holds about 40 MP of it.
        progressive_side = self.fitting(lambda w, h: 6 * w * h + 4 * (w // 4) * (h // 4), width, height)
        self.progressive = sized_jpeg(
            largest.resize(progressive_side), MAX_PHOTO_BYTES, progressive=True, subsampling=0
        )
        # Pillow's WebP decode holds four copies of the frame, plus the reduced working copy.
        webp_side = self.fitting(lambda w, h: 16 * w * h + 4 * (w // 2) * (h // 2), width, height)
        webp = largest.resize(webp_side)
        self.webp = next(
            data
            for quality in (80, 60, 40, 20)
            if len(data := encoded(webp, "WEBP", quality=quality, method=0)) <= MAX_PHOTO_BYTES
        )
        grainy = textured(width, height, noise=0.6)
        self.upload_jpeg = sized_jpeg(grainy, 25 * 1024 * 1024)
        del grainy, largest
        self.phone = encoded(textured(4000, 3000), "JPEG", quality=90)

    def fitting(self, cost: Callable[[int, int], int], width: int, height: int) -> tuple[int, int]:
        """The largest size of this aspect whose modelled decode cost stays within 97 % of the budget."""
        scale = 1.0
        while cost(round(width * scale), round(height * scale)) > 0.97 * self.budget:
            scale *= 0.99
        return round(width * scale), round(height * scale)


def circle_ring(points: int, radius_km: float) -> list[list[float]]:
    lat, lon = UTRECHT
    ring = []
    for i in range(points - 1):
        angle = 2 * math.pi * i / (points - 1)
        ring.append(
            [
                round(lon + radius_km / (111.32 * math.cos(math.radians(lat))) * math.cos(angle), 6),
                round(lat + radius_km / 110.57 * math.sin(angle), 6),
            ]
        )
    return [*ring, ring[0]]


def alert_body(reference: str, photo: bytes | None = None, content_type: str = "image/jpeg") -> dict[str, Any]:
    from devstack.samples import sample_alert

    if photo is None:
        return sample_alert(reference=reference)
    return sample_alert(
        reference=reference, photo={"content_type": content_type, "data": base64.b64encode(photo).decode()}
    )


def hostile_members(size: int) -> str:
    """A JSON object of ``size`` bytes with the most members the item bound lets through, each refused by name."""
    from chalicelib.http.requests import MAX_JSON_ITEMS

    head = "{" + ",".join(f'"m{index}":0' for index in range(MAX_JSON_ITEMS - 10)) + ',"pad":"'
    return head + "x" * (size - len(head) - 2) + '"}'


def hostile_items(size: int) -> str:
    """A JSON object of ``size`` bytes with the most array items the bound lets through (short strings)."""
    from chalicelib.http.requests import MAX_JSON_ITEMS

    head = '{"area":[' + ",".join(['"ab"'] * (MAX_JSON_ITEMS - 10)) + '],"pad":"'
    return head + "x" * (size - len(head) - 2) + '"}'


def hostile_cap(size: int) -> str:
    """A CAP document of ``size`` bytes that costs the most to parse: empty elements with an attribute each."""
    head, tail = '<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">', "</alert>"
    unit = '<a b=""/>'
    body = head + unit * ((size - len(head) - len(tail)) // len(unit)) + tail
    return body + " " * (size - len(body))


# --- Lambda events --------------------------------------------------------------------------------------------------


def api_event(
    method: str, resource: str, path: str, body: str | None = None, headers: dict[str, str] | None = None, **params: str
) -> dict[str, Any]:
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"host": "bench", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": params or None,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userArn": "arn:aws:iam::123456789012:role/burgernet"},
        },
    }


def post_alert(body: dict[str, Any] | str, content_type: str = "application/json") -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return api_event("POST", "/alerts", "/alerts", text, {"content-type": content_type})


def sqs_event(bodies: list[str], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "eu-west-1",
            }
            for body in bodies
        ]
    }


# --- the stack ------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Stack:
    """moto with the stack's resources, the partner sink, and the app in this process for setting the scene."""

    def __init__(self, stack: ExitStack) -> None:
        import boto3

        from devstack.partners import local_partners, store_secrets
        from devstack.resources import deploy_resources
        from devstack.sink import PartnerSink
        from devstack.stack import start_moto
        from devstack.wiring import CHANNEL_QUEUES, function_environment

        start_moto(free_port(), stack)
        session = boto3.session.Session(region_name="eu-west-1")
        self.outputs = deploy_resources("local", session)
        sink = PartnerSink(free_port()).start()
        stack.callback(sink.stop)
        directory, partner_secrets = local_partners(sink.url, "local")
        sink.trust(partner_secrets)
        store_secrets(directory, partner_secrets, session.client("ssm"))
        function_env = function_environment(self.outputs, "local", directory, retry_base_seconds=0)
        os.environ.update(function_env)
        base = {key: value for key, value in os.environ.items() if key.startswith(("AWS_", "PATH", "HOME", "LANG"))}
        self.environment = {**base, **function_env, "POWERTOOLS_LOG_LEVEL": "WARNING", "PYTHONDONTWRITEBYTECODE": "1"}
        self.queues = {
            channel: (self.outputs[url], self.outputs[arn]) for channel, (url, arn) in CHANNEL_QUEUES.items()
        }
        self.s3, self.sqs = session.client("s3"), session.client("sqs")
        self.dynamodb, self.streams = session.client("dynamodb"), session.client("dynamodbstreams")
        self._stream_after: str | None = None
        import app

        self.app = app

    def call(self, event: dict[str, Any]) -> dict[str, Any]:
        from devstack.runner import LambdaContext

        reply: dict[str, Any] = self.app.app(event, LambdaContext("api"))
        if reply["statusCode"] >= 300:
            raise RuntimeError(f"setting the scene failed: {reply['statusCode']} {str(reply.get('body'))[:500]}")
        return dict(json.loads(reply["body"])) if reply.get("body") else {}

    def create_alerts(self, count: int, photo: bytes) -> list[dict[str, Any]]:
        return [self.call(post_alert(alert_body(reference(), photo))) for _ in range(count)]

    def stream_records(self) -> list[dict[str, Any]]:
        """Every stream record since the last call, in Lambda's event shape, alert items only (the filter)."""
        arn = self.outputs["AlertsTableStreamArn"]
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self._stream_after}
        if self._stream_after is None:
            position = {"ShardIteratorType": "TRIM_HORIZON"}
        iterator = self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard, **position)["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            if not page.get("Records"):
                break
            records.extend(page["Records"])
            iterator = page.get("NextShardIterator")
        if records:
            self._stream_after = records[-1]["dynamodb"]["SequenceNumber"]
        shaped = []
        for record in records:
            change = dict(record["dynamodb"])
            if isinstance(change.get("ApproximateCreationDateTime"), datetime):
                change["ApproximateCreationDateTime"] = change["ApproximateCreationDateTime"].timestamp()
            if change.get("NewImage", {}).get("kind", {}).get("S") == "alert":
                shaped.append({**record, "dynamodb": change, "eventSourceARN": arn})
        return shaped

    def dispatch_pending(self) -> None:
        from devstack.runner import LambdaContext

        records = self.stream_records()
        for start in range(0, len(records), 100):
            reply = self.app.dispatch({"Records": records[start : start + 100]}, LambdaContext("dispatch"))
            if reply["batchItemFailures"]:
                raise RuntimeError(f"dispatch failed: {reply}")

    def purge_channel_queues(self) -> None:
        """Empty every channel queue (by receiving: SQS allows one PurgeQueue a minute, a short run asks sooner)."""
        for url, _ in self.queues.values():
            while messages := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
                entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
                self.sqs.delete_message_batch(QueueUrl=url, Entries=entries)

    def channel_event(self, channel: str, count: int) -> dict[str, Any]:
        url, arn = self.queues[channel]
        bodies: list[str] = []
        while len(bodies) < count:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, count - len(bodies)))
            if not messages.get("Messages"):
                raise RuntimeError(f"the {channel} queue holds {len(bodies)} messages, not {count}")
            for message in messages["Messages"]:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return sqs_event(bodies, arn)

    def uploads_event(self, photos: list[tuple[bytes, str]]) -> tuple[dict[str, Any], list[str]]:
        """Presigned uploads done (the objects under uploads/), announced as S3 announces them on the queue."""
        bucket, bodies, ids = self.outputs["PhotosBucketName"], [], []
        for data, content_type in photos:
            started = self.call(
                api_event("POST", "/photos", "/photos", json.dumps({"content_type": content_type}), JSON_HEADERS)
            )
            key = f"uploads/{started['photo_id']}"
            self.s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
            notification = {
                "Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]
            }
            bodies.append(json.dumps(notification))
            ids.append(started["photo_id"])
        return sqs_event(bodies, self.outputs["PhotoUploadsQueueArn"]), ids

    def photo_state(self, photo_id: str) -> str:
        from chalicelib.adapters.photo_table import photo_key

        item = self.dynamodb.get_item(TableName=self.outputs["AlertsTableName"], Key=photo_key(photo_id))["Item"]
        return str(item["state"]["S"])


JSON_HEADERS = {"content-type": "application/json"}


def reference() -> str:
    return f"BN-BENCH-{uuid.uuid4().hex[:12]}"


def largest_dispatch_batch(record: dict[str, Any]) -> dict[str, Any]:
    """Lambda's largest stream batch (6 MB, at most 100 records): an alert's change, old and new image each with a
    polygon area of the most points a ring takes."""
    from boto3.dynamodb.types import TypeSerializer

    from chalicelib.models.alert import MAX_RING_POSITIONS

    ring = [[Decimal(str(lon)), Decimal(str(lat))] for lon, lat in circle_ring(MAX_RING_POSITIONS, 15)]
    area = TypeSerializer().serialize({"type": "polygon", "coordinates": [ring]})
    new = {**record["dynamodb"]["NewImage"], "area": area}
    old = {**new, "version": {"N": str(int(new["version"]["N"]) - 1)}}
    batch: list[dict[str, Any]] = []
    size = 0
    for index in range(100):
        change = {**record["dynamodb"], "NewImage": new, "OldImage": old, "SequenceNumber": f"{index + 1:021d}"}
        changed = {**record, "eventID": uuid.uuid4().hex, "eventName": "MODIFY", "dynamodb": change}
        size += len(json.dumps(changed, default=str))
        if size > LAMBDA_BATCH_BYTES:
            break
        batch.append(changed)
    return {"Records": batch}


# --- the scenarios --------------------------------------------------------------------------------------------------


def status_is(*statuses: int) -> Callable[[Any], bool]:
    return lambda reply: isinstance(reply, dict) and reply.get("status") in statuses


def no_failures(reply: Any) -> bool:
    return isinstance(reply, dict) and reply.get("batchItemFailures") == []


def anything(reply: Any) -> bool:
    return True


def api_scenarios(stack: Stack, photos: Photos) -> list[Scenario]:
    from chalicelib.config import get_settings

    largest = get_settings().max_body_bytes

    def photo(data: bytes, content_type: str) -> Callable[[int], dict[str, Any]]:
        return lambda run: post_alert(alert_body(reference(), data, content_type))

    def preview(run: int) -> dict[str, Any]:
        alert_id = stack.create_alerts(1, photos.phone)[0]["id"]
        path = f"/alerts/{alert_id}/previews/station_screens"
        resource = "/alerts/{id}/previews/{channel}"
        return api_event("GET", resource, path, None, {"accept": "image/png"}, id=alert_id, channel="station_screens")

    created, refused = status_is(201), status_is(400, 422)
    return [
        Scenario("APIHandler", "api", "POST /alerts, 12 MP phone photo", photo(photos.phone, JPEG), created, True),
        Scenario("APIHandler", "api", "POST /alerts, 4 MiB 60 MP JPEG", photo(photos.inline_jpeg, JPEG), created),
        Scenario("APIHandler", "api", "POST /alerts, 60 MP RGBA PNG", photo(photos.png, PNG), created),
        Scenario("APIHandler", "api", "POST /alerts, progressive JPEG", photo(photos.progressive, JPEG), created),
        Scenario("APIHandler", "api", "POST /alerts, WebP at the budget", photo(photos.webp, WEBP), created),
        Scenario(
            "APIHandler",
            "api",
            "POST /alerts, JSON of 150k members",
            lambda run: post_alert(hostile_members(largest)),
            refused,
        ),
        Scenario(
            "APIHandler",
            "api",
            "POST /alerts, JSON of 150k items",
            lambda run: post_alert(hostile_items(largest)),
            refused,
        ),
        Scenario(
            "APIHandler", "api", "POST /alerts, hostile CAP", lambda run: post_alert(hostile_cap(largest), CAP), refused
        ),
        Scenario("APIHandler", "api", "GET station_screens preview", preview, status_is(200)),
    ]


def upload_scenarios(stack: Stack, photos: Photos) -> list[Scenario]:
    from chalicelib.config import get_settings

    size = get_settings().max_upload_bytes
    uploaded: list[str] = []

    def uploads(batch: list[tuple[bytes, str]]) -> Callable[[int], dict[str, Any]]:
        def event(run: int) -> dict[str, Any]:
            built, uploaded[:] = stack.uploads_event(batch)
            return built

        return event

    def ready(reply: Any) -> bool:
        return no_failures(reply) and all(stack.photo_state(photo_id) == "ready" for photo_id in uploaded)

    worst = [
        (photos.upload_jpeg, JPEG),
        (padded_png(photos.png, size), PNG),
        (padded_jpeg(photos.progressive, size), JPEG),
        (photos.webp, WEBP),
        (photos.upload_jpeg, JPEG),
    ]
    return [
        Scenario("PhotoUpload", "photo_upload", "one 12 MP phone photo", uploads([(photos.phone, JPEG)]), ready, True),
        Scenario("PhotoUpload", "photo_upload", "5 uploads of 25 MiB", uploads(worst), ready),
    ]


def event_scenarios(stack: Stack, photos: Photos) -> list[Scenario]:
    def dispatch(worst: bool) -> Callable[[int], dict[str, Any]]:
        def event(run: int) -> dict[str, Any]:
            stack.create_alerts(1, photos.phone)
            record = stack.stream_records()[-1]
            return largest_dispatch_batch(record) if worst else {"Records": [record]}

        return event

    def push_report(run: int) -> dict[str, Any]:
        report = {
            "EventType": "EndpointUpdated",
            "EndpointArn": "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/kind-alarm-local/bench",
            "Resource": "arn:aws:sns:eu-west-1:123456789012:app/GCM/kind-alarm-local",
        }
        sns = {"Type": "Notification", "MessageId": str(uuid.uuid4()), "Subject": None, "Message": json.dumps(report)}
        return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": {**sns, "MessageAttributes": {}}}]}

    found = [
        Scenario("Dispatch", "dispatch", "one new alert", dispatch(worst=False), no_failures, True),
        Scenario("Dispatch", "dispatch", "6 MB batch, 2,000-point areas", dispatch(worst=True), no_failures),
        Scenario("PushEvents", "push_events", "an endpoint report", push_report, anything, True),
    ]
    for resource, handler in SCHEDULED.items():
        found.append(Scenario(resource, handler, "the schedule's event", lambda run: scheduled_event(), anything, True))
    return found


def channel_scenarios(stack: Stack, photos: Photos) -> list[Scenario]:
    prepared: list[int] = []

    def batch(name: str, count: int) -> Callable[[int], dict[str, Any]]:
        def event(run: int) -> dict[str, Any]:
            if run not in prepared:
                # Fresh alerts for each run: a channel skips what it has already delivered.
                stack.purge_channel_queues()
                stack.create_alerts(max(WORST_BATCH.values()) + 1, photos.phone)
                stack.dispatch_pending()
                prepared.append(run)
            return stack.channel_event(name, count)

        return event

    found = []
    for resource, name in CHANNELS.items():
        count = WORST_BATCH[name]
        worst = f"batch of {count} alert{'s' if count > 1 else ''}"
        found.append(Scenario(resource, name, worst, batch(name, WORST_BATCH[name]), no_failures))
        found.append(Scenario(resource, name, "one alert", batch(name, 1), no_failures, True))
    return found


# --- running --------------------------------------------------------------------------------------------------------


def ensure_zip() -> None:
    sources = [ROOT / "app.py", *ROOT.glob("chalicelib/**/*.py"), ROOT / "requirements.txt"]
    newest = max(path.stat().st_mtime for path in sources)
    if not ZIP.exists() or ZIP.stat().st_mtime < newest:
        print("building build/dev/deployment.zip (make package)", flush=True)
        subprocess.run(["make", "package", "STAGE=dev"], cwd=ROOT, check=True, capture_output=True)


def run_once(
    code: Path, scenario: Scenario, event: dict[str, Any], environment: dict[str, str], folder: Path
) -> Measurement:
    event_file = folder / "event.json"
    event_file.write_text(json.dumps(event, default=str), encoding="utf-8")
    memory = MEMORY[scenario.resource].size_mb
    command = [sys.executable, "-S", "-c", CHILD, scenario.handler, str(event_file), str(memory)]
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=code, env={**environment, "PYTHONPATH": str(code)}, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{scenario.handler} / {scenario.label} failed:\n{result.stderr[-3000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if not scenario.handled(report["reply"]):
        raise RuntimeError(f"{scenario.handler} / {scenario.label}: not handled as intended: {report['reply']}")
    return Measurement(report["peak_kib"] / 1024, report["cpu"], wall)


def peak(scenario: Scenario) -> float:
    return max(measurement.peak_mb for measurement in scenario.measurements)


def worst_peaks(found: list[Scenario]) -> dict[str, Scenario]:
    return {
        resource: max((scenario for scenario in found if scenario.resource == resource), key=peak)
        for resource in MEMORY
        if any(scenario.resource == resource for scenario in found)
    }


def in_lambda(scenario: Scenario, size_mb: int) -> float:
    """The cold start at this size: CPU seconds at its share of a vCPU, the waiting as measured."""
    wall = statistics.median(m.wall for m in scenario.measurements)
    cpu = statistics.median(m.cpu for m in scenario.measurements)
    return max(wall - cpu, 0.0) + cpu / min(1.0, cpu_share(size_mb))


def report(found: list[Scenario]) -> bool:
    print("\nevery input: peak resident set in MiB, the largest of the runs")
    for scenario in found:
        print(f"  {scenario.handler:16s} {scenario.label:36s} {peak(scenario):6.0f}")
    print(f"\nper function: its worst input, largest of {RUNS} runs in fresh interpreters (MiB)")
    print(f"  {'function':16s} {'worst input':36s} {'peak':>6s} {'x1.5':>6s} {'size':>6s}  vCPU   verdict")
    worst = worst_peaks(found)
    fits = True
    for resource, memory in MEMORY.items():
        if resource not in worst:
            continue  # not measured this time (BENCH_ONLY)
        needed = HEADROOM * peak(worst[resource])
        fits = fits and memory.size_mb >= needed
        verdict = "ok" if memory.size_mb >= needed else "TOO SMALL"
        print(
            f"  {resource:16s} {worst[resource].label:36s} {peak(worst[resource]):6.0f} {needed:6.0f} "
            f"{memory.size_mb:6d}  {cpu_share(memory.size_mb):4.2f}   {verdict} (table: peak {memory.peak_mb})"
        )
    print(
        f"\ncold start: the ordinary first answer of a fresh interpreter, median of {RUNS}, here (one core) and as "
        f"Lambda would run it at the size given and at 1.5x the peak (the CPU seconds take 1 / share as long; "
        f"share 1.0 at {FULL_VCPU_MB:,} MB)"
    )
    header = "   wall     CPU |  size share  Lambda |  1.5x share  Lambda"
    print(f"  {'function':16s} {'input':32s} {header}")
    for scenario in (scenario for scenario in found if scenario.ordinary):
        wall = statistics.median(m.wall for m in scenario.measurements)
        cpu = statistics.median(m.cpu for m in scenario.measurements)
        size = MEMORY[scenario.resource].size_mb
        tight = max(128, math.ceil(HEADROOM * peak(worst[scenario.resource])))
        print(
            f"  {scenario.resource:16s} {scenario.label:32s} {wall:6.2f}s {cpu:6.2f}s | {size:5d} "
            f"{cpu_share(size):5.2f} {in_lambda(scenario, size):6.2f}s | {tight:5d} {cpu_share(tight):5.2f} "
            f"{in_lambda(scenario, tight):6.2f}s"
        )
    return fits


def main() -> None:
    ensure_zip()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        code = folder / "code"
        with zipfile.ZipFile(ZIP) as archive:
            archive.extractall(code)
        print("making the worst accepted photos", flush=True)
        photos = Photos()
        backend = Stack(stack)
        found = [
            *api_scenarios(backend, photos),
            *upload_scenarios(backend, photos),
            *event_scenarios(backend, photos),
            *channel_scenarios(backend, photos),
        ]
        found = [scenario for scenario in found if not ONLY or scenario.resource in ONLY]
        for run in range(RUNS):  # interleaved, so that machine noise hits every function alike
            for scenario in found:
                event = scenario.event(run)
                measured = run_once(code, scenario, event, backend.environment, folder)
                scenario.measurements.append(measured)
                print(f"  {scenario.handler:16s} {scenario.label:36s} {measured.peak_mb:6.0f} MB", flush=True)
            print(f"run {run + 1} of {RUNS} done", flush=True)
        fits = report(found)
    sys.exit(0 if fits else 1)


if __name__ == "__main__":
    main()
