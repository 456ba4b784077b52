"""Shaping alerts into API responses."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.config import get_settings
from chalicelib.models.alert import Alert, AlertLinks, AlertResource


def alert_resource(
    alert: Alert, deliveries: dict[str, Any] | None = None, photo_urls: dict[str, str] | None = None
) -> AlertResource:
    base = f"{get_settings().public_base_url}/alerts/{alert.id}"
    photo = {"id": alert.photo_id, "renditions": photo_urls or {}} if alert.photo_id else None
    return AlertResource.model_validate(
        {
            **alert.model_dump(exclude={"photo", "photo_id"}),
            "photo": photo,
            "links": AlertLinks(self=base, cancel=f"{base}/cancel"),
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
