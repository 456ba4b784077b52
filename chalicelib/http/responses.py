"""Shaping alerts into API responses, and choosing a response the client accepts (RFC 9110 content negotiation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import CaseInsensitiveMapping, Chalice, Request, Response, RestAPIEventHandler

from chalicelib.channels.targets import audience_for
from chalicelib.config import get_settings
from chalicelib.http.problems import status_problem
from chalicelib.links import public_page
from chalicelib.models.alert import Alert, AlertLinks, AlertResource


def alert_resource(
    alert: Alert, deliveries: dict[str, Any] | None = None, photo_urls: dict[str, str] | None = None
) -> AlertResource:
    settings = get_settings()
    base = f"{settings.public_base_url}/alerts/{alert.id}"
    photo = {"id": alert.photo_id, "renditions": photo_urls or {}} if alert.photo_id else None
    page = public_page(settings.public_site_url, alert.id, sandbox=audience_for(alert.status) == "sandbox")
    return AlertResource.model_validate(
        {
            **alert.model_dump(exclude={"photo", "photo_id"}),
            "photo": photo,
            "links": AlertLinks(self=base, cancel=f"{base}/cancel", public_page=page),
            "deliveries": deliveries or {},
        },
        strict=False,
    )


def alert_response(
    alert: Alert,
    status: int = 200,
    deliveries: dict[str, Any] | None = None,
    photo_urls: dict[str, str] | None = None,
) -> Response:
    resource = alert_resource(alert, deliveries, photo_urls)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        "ETag": f'"{alert.version}"',
        # The child's details must not linger in shared caches.
        "Cache-Control": "no-store",
    }
    if status == 201:
        headers["Location"] = resource.links.self
    return Response(body=resource.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers)


def private_response(body: Any, content_type: str, status: int = 200) -> Response:
    """A response about a child that no cache may keep."""
    headers: dict[str, str | list[str]] = {"Content-Type": content_type, "Cache-Control": "no-store"}
    return Response(body=body, status_code=status, headers=headers)


def public_response(body: bytes, content_type: str) -> Response:
    """A public document (the CAP feed): caches may keep it for a short while."""
    headers: dict[str, str | list[str]] = {"Content-Type": content_type, "Cache-Control": "public, max-age=30"}
    return Response(body=body.decode("utf-8"), status_code=200, headers=headers)


def accepts(accept: str | None, media_type: str) -> bool:
    """Whether an ``Accept`` header admits ``media_type`` (RFC 9110, 12.5.1).

    No header (or an empty one) admits anything; otherwise the most specific range that matches decides
    (``image/png`` over ``image/*`` over ``*/*``), and ``q=0`` refuses.
    """
    if accept is None or not accept.strip():
        return True
    wanted = _bare(media_type)
    kind = wanted.partition("/")[0]
    decided: tuple[int, float] | None = None
    for item in accept.split(","):
        name, *parameters = (part.strip() for part in item.split(";"))
        specificity = {wanted: 2, f"{kind}/*": 1, "*/*": 0}.get(name.lower())
        quality = _quality(parameters)
        if specificity is None or quality is None:
            continue
        if decided is None or specificity > decided[0]:
            decided = (specificity, quality)
    return decided is not None and decided[1] > 0


def _bare(media_type: str) -> str:
    return media_type.partition(";")[0].strip().lower()


def _quality(parameters: list[str]) -> float | None:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return None
            return quality if 0 <= quality <= 1 else None
    return 1.0


def gateway_sends_binary(accept: str | None, binary_types: list[str]) -> bool:
    """Whether API Gateway (REST, Lambda proxy) turns a base64 body back into bytes for this request.

    It looks only at the first type of ``Accept`` and matches it against the API's binary media types (which
    ``chalice package`` takes from ``app.api.binary_types``); otherwise the client would get the base64 text.
    """
    first = _bare((accept or "").partition(",")[0])
    if "/" not in first:
        return False
    kind = first.partition("/")[0]
    return any(_bare(binary) in (first, f"{kind}/*", "*/*") for binary in binary_types)


def negotiated_response(body: bytes | str, content_type: str, request: Request, binary_types: list[str]) -> Response:
    """A private response in its one representation, or ``406`` naming the type to ask for when it cannot be sent.

    Behind API Gateway a binary body also needs an ``Accept`` that API Gateway itself recognises (see
    ``gateway_sends_binary``): without it the client would get base64 text labelled as an image.
    """
    accept = request.headers.get("accept")
    binary = _bare(content_type) in (_bare(item) for item in binary_types)
    behind_gateway = bool((request.context or {}).get("apiId"))
    if not accepts(accept, content_type):
        return not_acceptable(content_type, f"this representation is {content_type}")
    if binary and behind_gateway and not gateway_sends_binary(accept, binary_types):
        return not_acceptable(content_type, f"API Gateway sends {content_type} only when Accept names it first")
    response = private_response(body, content_type)
    response.headers["Vary"] = "Accept"
    return response


def not_acceptable(media_type: str, why: str) -> Response:
    detail = f"Nothing here is acceptable to this Accept header: {why}. Send Accept: {media_type}."
    response = status_problem(406, detail, {"Vary": "Accept"})
    response.body["errors"] = [{"header": "Accept", "detail": f"must admit {media_type}"}]
    return response


class _NegotiatingHandler(RestAPIEventHandler):
    def _validate_binary_response(
        self, request_headers: CaseInsensitiveMapping, response_headers: CaseInsensitiveMapping
    ) -> bool:
        content_type = str(response_headers.get("content-type", "application/json"))
        if _bare(content_type) not in (_bare(item) for item in self.api.binary_types):
            return True
        return accepts(_header(request_headers, "accept"), content_type)


class NegotiatingChalice(Chalice):
    """Chalice that sends a binary body to every request whose ``Accept`` admits its type.

    Chalice alone sends a binary body only when ``Accept`` literally names one of the binary types and answers
    ``400`` otherwise: no ``Accept`` at all, or ``image/*``, got 400 for a PNG the client would take. The routes
    that answer binary negotiate before they answer (``negotiated_response``); the check kept here only stops a
    binary body going to a client that refuses its type.
    """

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        # Chalice.__call__ (chalice 1.34) with the handler above in place of RestAPIEventHandler.
        self.lambda_context = context
        handler = _NegotiatingHandler(
            self.routes, self.api, self.log, self.debug, middleware_handlers=self._get_middleware_handlers("http")
        )
        self.current_request = handler.create_request_object(event, context)
        return dict(handler(event, context))


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    value = headers.get(name)
    return None if value is None else str(value)
