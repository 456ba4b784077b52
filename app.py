"""Kind Alarm's functions: routes and event handlers only. Each parses, calls one use case, shapes the answer."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import CloudWatchEvent, DynamoDBEvent, IAMAuthorizer, Rate, Request, Response, SQSEvent

from chalicelib import metrics
from chalicelib.config import get_settings
from chalicelib.http import problems
from chalicelib.http.requests import alert_id, is_cap, json_object, optional_version, raw_document, required_version
from chalicelib.http.responses import (
    NegotiatingChalice,
    alert_response,
    negotiated_response,
    private_response,
    public_response,
)
from chalicelib.models.audit import Actor
from chalicelib.observability import logger
from chalicelib.wiring import wiring

app = NegotiatingChalice(app_name="kind-alarm", configure_logs=False)
app.api.binary_types.append("image/png")
burgernet = IAMAuthorizer()
settings = get_settings()

JSON = ["application/json"]
CAP = ["application/cap+xml", "application/xml"]
MERGE_PATCH = ["application/merge-patch+json", "application/json"]
# The canary runs GET /canary shows: a week at the default schedule.
CANARY_RUNS_SHOWN = 28


@app.middleware("http")
def problem_documents(event: Any, get_response: Any) -> Response:
    logger.append_keys(request_id=(event.context or {}).get("requestId"))
    return problems.from_chalice_error(get_response(event))


def _request() -> Request:
    request = app.current_request
    if request is None:
        raise RuntimeError("no current request")
    return request


def _actor() -> Actor:
    """The caller as API Gateway verified it (IAM principal) and the request id, for the audit trail."""
    context = _request().context or {}
    identity = context.get("identity") or {}
    principal = identity.get("userArn") or identity.get("caller") or "unsigned"
    return Actor(principal=str(principal), request_id=str(context.get("requestId") or "-"))


def _scheduled_actor(name: str, event: CloudWatchEvent) -> Actor:
    return Actor(principal=f"kind-alarm:{name}", request_id=str(getattr(event.context, "aws_request_id", "-")))


def _raw_body() -> bytes:
    request = _request()
    return raw_document(request.raw_body, get_settings().max_body_bytes)


def _body() -> dict[str, Any]:
    request = _request()
    return json_object(request.raw_body, request.headers.get("content-type"), get_settings().max_body_bytes)


@app.route("/alerts", methods=["POST"], authorizer=burgernet, content_types=JSON + CAP)
@problems.answers_problems
def create_alert() -> Response:
    if is_cap(_request().headers.get("content-type")):
        result = wiring().cap_ingest.ingest(_raw_body(), _actor())
    else:
        result = wiring().alert_service.create(_body(), _actor())
    metrics.alert_received(result.created)
    return alert_response(result.alert, status=201 if result.created else 200)


@app.route("/alerts/{id}", methods=["GET"], authorizer=burgernet)
@problems.answers_problems
def get_alert(id: str) -> Response:  # noqa: A002 - the path parameter's public name
    status = wiring().alert_service.status(alert_id(id))
    deliveries = {channel: record.public() for channel, record in status.deliveries.items()}
    return alert_response(status.alert, deliveries=deliveries, photo_urls=status.photo_urls)


@app.route("/alerts/{id}", methods=["PATCH"], authorizer=burgernet, content_types=MERGE_PATCH)
@problems.answers_problems
def update_alert(id: str) -> Response:  # noqa: A002
    checked_id = alert_id(id)
    version = required_version(_request().headers.get("if-match"))
    return alert_response(wiring().alert_service.update(checked_id, _body(), version, _actor()))


@app.route("/alerts/{id}/cancel", methods=["POST"], authorizer=burgernet, content_types=JSON)
@problems.answers_problems
def cancel_alert(id: str) -> Response:  # noqa: A002
    checked_id = alert_id(id)
    version = optional_version(_request().headers.get("if-match"))
    return alert_response(wiring().alert_service.cancel(checked_id, _body(), version, _actor()))


@app.route("/alerts/{id}/previews/{channel}", methods=["GET"], authorizer=burgernet)
@problems.answers_problems
def preview(id: str, channel: str) -> Response:  # noqa: A002
    shown = wiring().preview_service.preview(alert_id(id), channel)
    return negotiated_response(shown.body, shown.content_type, _request(), app.api.binary_types)


@app.route("/alerts/{id}/report", methods=["GET"], authorizer=burgernet)
@problems.answers_problems
def alert_report(id: str) -> Response:  # noqa: A002
    """For the evaluation afterwards: the timeline, per channel what went out and whom it reached; no child data."""
    report = wiring().alert_report.report(alert_id(id))
    return private_response(report.model_dump(mode="json"), "application/json")


@app.route("/feed", methods=["GET"])
@problems.answers_problems
def feed() -> Response:
    """Public: the Atom index of active alerts."""
    return public_response(wiring().feed_service.feed(), "application/atom+xml")


@app.route("/alerts/{id}/cap", methods=["GET"])
@problems.answers_problems
def alert_cap(id: str) -> Response:  # noqa: A002
    """Public while the alert is active: its current CAP 1.2 message."""
    return public_response(wiring().feed_service.message(alert_id(id)), "application/cap+xml")


@app.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    """Public: the OpenAPI 3.1 document of this API; its server is the base this request came in on."""
    from chalicelib.http.openapi import openapi_document, request_base

    request = _request()
    document = openapi_document(request_base(request.headers, request.context, "/openapi.json"))
    return public_response(json.dumps(document).encode(), "application/json")


@app.route("/devices/{device_id}", methods=["PUT"], authorizer=burgernet, content_types=JSON)
@problems.answers_problems
def register_device(device_id: str) -> Response:
    created = wiring().device_registry.register(device_id, _body())
    return Response(body="", status_code=201 if created else 204)


@app.route("/devices/{device_id}", methods=["DELETE"], authorizer=burgernet)
@problems.answers_problems
def unregister_device(device_id: str) -> Response:
    wiring().device_registry.unregister(device_id)
    return Response(body="", status_code=204)


@app.route("/reach", methods=["POST"], authorizer=burgernet, content_types=JSON)
@problems.answers_problems
def reach() -> Response:
    """Before sending: the devices an alert's pushes to this area would reach."""
    return private_response(wiring().reach.answer(_body()).model_dump(mode="json"), "application/json")


@app.on_sns_message(topic=settings.push_events_topic, name="push_events")
def push_events(event: Any) -> None:
    """SNS reports endpoint changes and failures: forget the device only once its endpoint is disabled or gone."""
    report = json.loads(event.message)
    endpoint = report.get("EndpointArn")
    if endpoint and report.get("EventType") in ("EndpointUpdated", "DeliveryFailure", "EndpointDeleted"):
        wiring().device_registry.endpoint_reported(endpoint)


@app.route("/photos", methods=["POST"], authorizer=burgernet, content_types=JSON)
@problems.answers_problems
def start_photo_upload() -> Response:
    return private_response(wiring().photo_service.start_upload(_body()), "application/json", status=201)


@app.on_sqs_message(queue=settings.photo_uploads_queue, batch_size=5, name="photo_upload")
def photo_upload(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.batches import photo_upload_batch

    return photo_upload_batch(event.to_dict(), event.context, wiring().photo_service)


@app.on_dynamodb_record(stream_arn=settings.alerts_stream_arn, batch_size=100, starting_position="TRIM_HORIZON")
def dispatch(event: DynamoDBEvent) -> dict[str, Any]:
    from chalicelib.batches import dispatch_batch

    return dispatch_batch(event.to_dict(), event.context, wiring().event_topic)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="watch_deliveries")
def watch_deliveries(event: CloudWatchEvent) -> dict[str, Any]:
    """Every minute: count the channels of active kind_alarm alerts that have not delivered within 60 s."""
    late = wiring().delivery_watch.late()
    for item in late:
        logger.warning(
            "channel late",
            extra={
                "alert_id": item.alert_id,
                "version": item.version,
                "channel": item.channel,
                "seconds": item.seconds,
            },
        )
    metrics.undelivered_channels(len(late))
    return {"late": len(late)}


@app.schedule(Rate(1, unit=Rate.MINUTES), name="expire_alerts")
def expire_alerts(event: CloudWatchEvent) -> dict[str, Any]:
    """Every minute: alerts whose expires_at has passed expire, and retract on every channel as a cancel does."""
    expired = wiring().alert_service.expire_due(_scheduled_actor("expire_alerts", event))
    return {"expired": [alert.id for alert in expired]}


@app.schedule(Rate(1, unit=Rate.HOURS), name="purge_alerts")
def purge_alerts(event: CloudWatchEvent) -> dict[str, Any]:
    """Every hour: erase the child's data of alerts past their retention (table and feed); the audit trail stays."""
    return {"purged": wiring().retention_purge.run(_scheduled_actor("purge_alerts", event))}


@app.schedule(Rate(1, unit=Rate.MINUTES), name="canary")
def canary(event: CloudWatchEvent) -> dict[str, Any]:
    """Every minute: move the canary's runs on (a test alert to every channel's sandbox and back), and start one
    each CANARY_EVERY_SECONDS; an operator's invocation with ``{"detail": {"start": "now"}}`` also starts one."""
    start_now = (event.detail or {}).get("start") == "now"
    runs = wiring().canary.tick(_scheduled_actor("canary", event), start_now=start_now)
    return {"runs": {run.run_id: run.state for run in runs}}


@app.route("/canary", methods=["GET"], authorizer=burgernet)
@problems.answers_problems
def canary_runs() -> Response:
    """The latest canary runs, newest first: per channel delivered and retracted, in how many seconds."""
    from chalicelib.alerts.canary import CanaryRuns

    runs = CanaryRuns(runs=wiring().canary.latest(CANARY_RUNS_SHOWN))
    return private_response(runs.model_dump(mode="json", exclude_none=True), "application/json")


def _channel_batch(name: str, event: SQSEvent) -> dict[str, Any]:
    from chalicelib.batches import channel_batch

    parts = wiring()
    return channel_batch(event.to_dict(), event.context, parts.worker(name), parts.queue_backoff)


@app.on_sqs_message(queue=settings.channel_queue("app_push"), batch_size=5, name="app_push")
def app_push(event: SQSEvent) -> dict[str, Any]:
    return _channel_batch("app_push", event)


@app.on_sqs_message(queue=settings.channel_queue("cap_feed"), batch_size=1, name="cap_feed")
def cap_feed(event: SQSEvent) -> dict[str, Any]:
    return _channel_batch("cap_feed", event)


@app.on_sqs_message(queue=settings.channel_queue("web"), batch_size=1, name="web")
def web(event: SQSEvent) -> dict[str, Any]:
    return _channel_batch("web", event)


@app.on_sqs_message(queue=settings.channel_queue("news_media"), batch_size=10, name="news_media")
def news_media(event: SQSEvent) -> dict[str, Any]:
    return _channel_batch("news_media", event)


@app.on_sqs_message(queue=settings.channel_queue("social_media"), batch_size=5, name="social_media")
def social_media(event: SQSEvent) -> dict[str, Any]:
    return _channel_batch("social_media", event)


@app.on_sqs_message(queue=settings.channel_queue("road_signs"), batch_size=5, name="road_signs")
def road_signs(event: SQSEvent) -> dict[str, Any]:
    return _channel_batch("road_signs", event)


@app.on_sqs_message(queue=settings.channel_queue("station_screens"), batch_size=5, name="station_screens")
def station_screens(event: SQSEvent) -> dict[str, Any]:
    return _channel_batch("station_screens", event)
