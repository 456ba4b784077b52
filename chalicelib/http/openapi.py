"""The OpenAPI 3.1 document of the public API, built from the pydantic models the routes validate with."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from chalicelib.alerts.canary import CanaryRuns
from chalicelib.alerts.report import AlertReport
from chalicelib.models.alert import AlertCancel, AlertContent, AlertCreate, AlertResource
from chalicelib.models.devices import DeviceRegistration, Reach, ReachRequest
from chalicelib.models.photos import PhotoUploadRequest

REF = "#/components/schemas/{model}"
# The API Gateway stage path: the server of the committed copy (docs/openapi.json), relative to where it is served.
STAGE_BASE = "/api"
# A Host header as a client may send it: a name or an IPv4/IPv6 address, and a port.
HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$"
)
PROBLEM = "application/problem+json"
SIGNED: list[dict[str, list[str]]] = [{"sigv4": []}]


class FieldProblem(BaseModel):
    model_config = ConfigDict(extra="allow")

    detail: str
    pointer: str | None = Field(default=None, description="JSON Pointer (RFC 6901) into the request body")
    header: str | None = None
    parameter: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details; ``errors`` names every bad field."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] = []


PATCH_DESCRIPTION = "JSON Merge Patch (RFC 7396) of an alert's mutable fields; null removes an optional one."


class PhotoUpload(BaseModel):
    photo_id: str
    upload: dict[str, Any] = Field(description="url, fields (a presigned S3 POST) and max_bytes")


MODELS: list[type[BaseModel]] = [
    AlertCreate,
    AlertContent,
    AlertCancel,
    AlertResource,
    DeviceRegistration,
    ReachRequest,
    Reach,
    PhotoUploadRequest,
    PhotoUpload,
    Problem,
    CanaryRuns,
    AlertReport,
]
# What the API answers (its serialised form); the others are what it reads.
RESPONSES: tuple[type[BaseModel], ...] = (AlertResource, AlertReport)


def _schemas() -> dict[str, Any]:
    modes = [(model, "serialization" if model in RESPONSES else "validation") for model in MODELS]
    _, document = models_json_schema(modes, ref_template=REF)  # type: ignore[arg-type]
    schemas: dict[str, Any] = document["$defs"]
    patch = dict(schemas["AlertContent"])
    patch.pop("required", None)
    patch["description"] = PATCH_DESCRIPTION
    patch["minProperties"] = 1
    schemas["AlertPatch"] = patch
    return schemas


def _ref(model: str) -> dict[str, str]:
    return {"$ref": REF.format(model=model)}


def _json(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {"description": "a problem document", "content": {PROBLEM: {"schema": _ref("Problem")}}}
        for status in statuses
    }


def _unavailable() -> dict[str, Any]:
    """503: an AWS service throttled the request or was out of reach; what it did is recorded, send it again."""
    return {
        "503": {
            "description": (
                "a problem document: SNS or DynamoDB throttled the request or could not be reached; what it did is"
                " recorded, and the same request sent again after Retry-After completes it"
            ),
            "headers": {
                "Retry-After": {"description": "seconds to wait before sending again", "schema": {"type": "integer"}}
            },
            "content": {PROBLEM: {"schema": _ref("Problem")}},
        }
    }


def _path_id(name: str = "id") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": 'the version the change is based on, as the ETag: "<version>"',
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}
CAP_BODY = {"application/cap+xml": {"schema": {"type": "string", "description": "a CAP 1.2 alert message"}}}


def _operation(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "security": SIGNED, "responses": responses, **extra}


def _alert_paths() -> dict[str, Any]:
    alert = {"description": "the alert", "content": _json("AlertResource")}
    return {
        "/alerts": {
            "post": _operation(
                "Create an alert (idempotent by reference); also takes a CAP 1.2 Alert, Update or Cancel",
                {"201": alert, "200": {"description": "the alert this reference already made", **alert}}
                | _problems(400, 409, 412, 413, 415, 422),
                operationId="createAlert",
                requestBody={"required": True, "content": _json("AlertCreate") | CAP_BODY},
            )
        },
        "/alerts/{id}": {
            "parameters": [_path_id()],
            "get": _operation(
                "The alert with its deliveries per channel", {"200": alert} | _problems(404), operationId="getAlert"
            ),
            "patch": _operation(
                "Change the alert (JSON Merge Patch)",
                {"200": alert} | _problems(400, 404, 409, 412, 415, 422, 428),
                operationId="updateAlert",
                parameters=[IF_MATCH],
                requestBody={
                    "required": True,
                    "content": {
                        "application/merge-patch+json": {"schema": _ref("AlertPatch")},
                        "application/json": {"schema": _ref("AlertPatch")},
                    },
                },
            ),
        },
        "/alerts/{id}/cancel": {
            "parameters": [_path_id()],
            "post": _operation(
                "Cancel the alert: every channel retracts it",
                {"200": alert} | _problems(400, 404, 409, 412, 415, 422),
                operationId="cancelAlert",
                parameters=[{**IF_MATCH, "required": False}],
                requestBody={"required": True, "content": _json("AlertCancel")},
            ),
        },
        "/alerts/{id}/previews/{channel}": {
            "parameters": [_path_id(), _path_id("channel")],
            "get": _operation(
                "What one channel shows for the alert",
                {
                    "200": {
                        "description": "PNG for visual channels, JSON or CAP otherwise",
                        "content": {"image/png": {}, "application/json": {}, "application/cap+xml": {}},
                    },
                    "406": {
                        "description": "Accept admits no image (or, behind API Gateway, does not name it first): "
                        "the problem says which type to ask for",
                        "content": {PROBLEM: {"schema": _ref("Problem")}},
                    },
                }
                | _problems(404, 409),
                operationId="previewAlert",
            ),
        },
        "/alerts/{id}/report": {
            "parameters": [_path_id()],
            "get": _operation(
                "For the evaluation afterwards: the alert's timeline, per channel and version when it was delivered"
                " and retracted, the partners, the posts and the devices reached; no child data, so it answers after"
                " the child's data is erased too",
                {"200": {"description": "the report", "content": _json("AlertReport")}} | _problems(404),
                operationId="reportAlert",
            ),
        },
    }


def _other_paths() -> dict[str, Any]:
    public: dict[str, list[Any]] = {"security": []}
    return {
        "/photos": {
            "post": _operation(
                "A presigned upload for a photo over the inline limit",
                {"201": {"description": "the upload", "content": _json("PhotoUpload")}} | _problems(400, 415, 422),
                operationId="startPhotoUpload",
                requestBody={"required": True, "content": _json("PhotoUploadRequest")},
            )
        },
        "/devices/{device_id}": {
            "parameters": [_path_id("device_id")],
            "put": _operation(
                "Register or move a device",
                {"201": {"description": "registered"}, "204": {"description": "updated"}}
                | _problems(400, 409, 415, 422)
                | _unavailable(),
                operationId="registerDevice",
                requestBody={"required": True, "content": _json("DeviceRegistration")},
            ),
            "delete": _operation(
                "Unregister a device",
                {"204": {"description": "gone"}} | _problems(400, 409) | _unavailable(),
                operationId="unregisterDevice",
            ),
        },
        "/reach": {
            "post": _operation(
                "Before sending: the devices an alert's pushes to this area would reach, its publishes, and the"
                " estimated share of those devices outside the area",
                {"200": {"description": "the reach", "content": _json("Reach")}} | _problems(400, 415, 422),
                operationId="estimateReach",
                requestBody={"required": True, "content": _json("ReachRequest")},
            )
        },
        "/canary": {
            "get": _operation(
                "The latest canary runs, newest first: per channel whether it delivered and retracted the test alert"
                " within the limit, in how many seconds, and the partner's answer when it did not",
                {"200": {"description": "the runs", "content": _json("CanaryRuns")}},
                operationId="canaryRuns",
            )
        },
        "/feed": {
            "get": {
                "summary": "Atom index of the active alerts, each linking to its CAP message",
                "operationId": "feed",
                "responses": {"200": {"description": "the feed", "content": {"application/atom+xml": {}}}},
                **public,
            }
        },
        "/alerts/{id}/cap": {
            "parameters": [_path_id()],
            "get": {
                "summary": "The active alert as a CAP 1.2 message",
                "operationId": "alertCap",
                "responses": {"200": {"description": "CAP 1.2", "content": {"application/cap+xml": {}}}}
                | _problems(404),
                **public,
            },
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                **public,
            }
        },
    }


def request_base(headers: Mapping[str, Any], context: Mapping[str, Any], route: str) -> str:
    """The base URL a request came in on: its scheme and Host, and the path in front of ``route``.

    On API Gateway's own domain that path is the stage (``/api``); behind a custom domain, its base path mapping;
    on ``chalice local``, nothing. A Host that is not a host name gives the path alone (a relative server).
    """
    path = str(context.get("path") or route)
    prefix = path[: -len(route)] if path.endswith(route) else ""
    host = str(headers.get("host") or "")
    if not HOST.match(host):
        return prefix or "/"
    scheme = str(headers.get("x-forwarded-proto") or "http").lower()
    return f"{scheme if scheme in ('http', 'https') else 'http'}://{host}{prefix}"


def openapi_document(server: str = STAGE_BASE) -> dict[str, Any]:
    """The document, naming ``server`` as the base of every path (served: the base the request came in on)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kind Alarm",
            "version": "1",
            "description": "Missing-child alerts from Burgernet to the public, and their retraction.",
        },
        "servers": [{"url": server}],
        "paths": _alert_paths() | _other_paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "AWS Signature Version 4 (IAM), checked by API Gateway",
                }
            },
        },
    }
