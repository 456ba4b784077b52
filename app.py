"""Kind Alarm's API: routes only. Each parses the request, calls one use case and shapes the response."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from chalice.app import Chalice, IAMAuthorizer, Request, Response

from chalicelib.alerts.service import AlertService
from chalicelib.config import get_settings
from chalicelib.http import problems
from chalicelib.http.requests import alert_id, json_object, optional_version, required_version
from chalicelib.http.responses import alert_response
from chalicelib.observability import logger

app = Chalice(app_name="kind-alarm", configure_logs=False)
burgernet = IAMAuthorizer()

JSON = ["application/json"]
MERGE_PATCH = ["application/merge-patch+json", "application/json"]


@lru_cache(maxsize=1)
def alert_service() -> AlertService:
    from chalicelib.adapters.alert_table import AlertTable
    from chalicelib.adapters.clients import dynamodb_client
    from chalicelib.geo.areas import load_service_area

    settings = get_settings()
    return AlertService(
        store=AlertTable(dynamodb_client(), settings.alerts_table),
        service_area=load_service_area(settings.service_area_file),
        max_duration=timedelta(hours=settings.max_alert_hours),
    )


@app.middleware("http")
def problem_documents(event: Any, get_response: Any) -> Response:
    logger.append_keys(request_id=(event.context or {}).get("requestId"))
    return problems.from_chalice_error(get_response(event))


def _request() -> Request:
    request = app.current_request
    if request is None:
        raise RuntimeError("no current request")
    return request


def _body() -> dict[str, Any]:
    request = _request()
    return json_object(request.raw_body, request.headers.get("content-type"), get_settings().max_body_bytes)


@app.route("/alerts", methods=["POST"], authorizer=burgernet, content_types=JSON)
@problems.answers_problems
def create_alert() -> Response:
    result = alert_service().create(_body())
    return alert_response(result.alert, status=201 if result.created else 200)


@app.route("/alerts/{id}", methods=["GET"], authorizer=burgernet)
@problems.answers_problems
def get_alert(id: str) -> Response:  # noqa: A002 - the path parameter's public name
    return alert_response(alert_service().get(alert_id(id)))


@app.route("/alerts/{id}", methods=["PATCH"], authorizer=burgernet, content_types=MERGE_PATCH)
@problems.answers_problems
def update_alert(id: str) -> Response:  # noqa: A002
    checked_id = alert_id(id)
    version = required_version(_request().headers.get("if-match"))
    return alert_response(alert_service().update(checked_id, _body(), version))


@app.route("/alerts/{id}/cancel", methods=["POST"], authorizer=burgernet, content_types=JSON)
@problems.answers_problems
def cancel_alert(id: str) -> Response:  # noqa: A002
    checked_id = alert_id(id)
    version = optional_version(_request().headers.get("if-match"))
    return alert_response(alert_service().cancel(checked_id, _body(), version))
