"""The one template `chalice package --merge-template` takes: resources, function settings, roles, API, operations,
the public site."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib import names
from infra import api, channels, iam, memory, operations, site

INFRA = Path(__file__).resolve().parent

PARTNER_HANDLERS = [iam.FUNCTIONS[channel] for channel in iam.PARTNER_CHANNELS]
# No "secret_parameter" whose value is not in a partner channel's own folder (whole value, "." spanning lines).
PARTNER_SECRETS_PATTERN = (
    r'(?s)^(?!.*"secret_parameter"\s*:\s*"(?!'
    + names.partner_folder(names.STAGE_PATTERN, "(?:" + "|".join(PARTNER_HANDLERS) + ")")
    + r'[^"/][^"]*")).*$'
)
SECRET_PARAMETER = names.partner_folder("<stage>", "<channel>") + "<name>/secret"
PARAMETERS: dict[str, Any] = {
    "ApnsApplicationArn": {
        "Type": "String",
        "AllowedPattern": "^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:app/APNS(_SANDBOX)?/.+$",
        "Description": "The SNS platform application for iOS (created once per account).",
    },
    "FcmApplicationArn": {
        "Type": "String",
        "AllowedPattern": "^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:app/GCM/.+$",
        "Description": "The SNS platform application for Android (FCM).",
    },
    "Partners": {
        "Type": "String",
        "Default": "{}",
        # Each channel function may read only its own folder (infra/iam.py): a secret elsewhere would fail every
        # delivery and retraction of that partner with AccessDenied, so the stack refuses it instead.
        "AllowedPattern": PARTNER_SECRETS_PATTERN,
        "ConstraintDescription": f"every secret_parameter must be {SECRET_PARAMETER}"
        f" ({', '.join(PARTNER_HANDLERS[:-1])} or {PARTNER_HANDLERS[-1]}): see docs/runbook.md",
        "Description": "Each channel's partners per audience as JSON; their secrets live under"
        f" {names.partner_folder('<stage>', '<channel>')}.",
    },
    "PublicBaseUrl": {
        "Type": "String",
        "Default": "",
        "Description": "The public address of the API (custom domain), used in the CAP feed's links.",
    },
    "ApiRateLimit": {"Type": "Number", "Default": 50, "MinValue": 1, "Description": "Requests per second."},
    "ApiBurstLimit": {"Type": "Number", "Default": 100, "MinValue": 1, "Description": "Burst of requests."},
    "LogRetentionDays": {
        "Type": "Number",
        "Default": 30,
        "AllowedValues": [7, 14, 30, 60, 90],
        "Description": "Days the functions' logs are kept.",
    },
}

# Each function's environment from the stack; the settings derive every other name from STAGE (chalicelib.names).
ENVIRONMENT = {
    "STAGE": {"Ref": "Stage"},
    "ALERTS_STREAM_ARN": {"Fn::GetAtt": ["AlertsTable", "StreamArn"]},
    "ALERT_EVENTS_TOPIC_ARN": {"Ref": "AlertEventsTopic"},
    "PHOTOS_BUCKET": {"Ref": "PhotosBucket"},
    "PUBLIC_BASE_URL": {"Ref": "PublicBaseUrl"},
    "APNS_APPLICATION_ARN": {"Ref": "ApnsApplicationArn"},
    "FCM_APPLICATION_ARN": {"Ref": "FcmApplicationArn"},
    "PARTNERS": {"Ref": "Partners"},
    # The public site's address and its distribution (infra/site.py): pages to link to, paths to invalidate.
    **site.ENVIRONMENT,
}


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _json(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((INFRA / name).read_text(encoding="utf-8"))
    document.pop("Description", None)
    return document


# The canary's schedule and limit, for the canary function alone (infra/operations.py: the parameters).
CANARY_ENVIRONMENT = {
    "CANARY_EVERY_SECONDS": operations.CANARY_SECONDS,
    "CANARY_LIMIT_SECONDS": {"Ref": "CanaryLimitSeconds"},
}


def environment() -> dict[str, Any]:
    variables = {"Properties": {"Environment": {"Variables": ENVIRONMENT}}}
    resources = {resource: variables for resource in iam.FUNCTIONS}
    resources["Canary"] = {"Properties": {"Environment": {"Variables": {**ENVIRONMENT, **CANARY_ENVIRONMENT}}}}
    return {"Resources": resources}


def merge_template() -> dict[str, Any]:
    merged = deep_merge(_json("resources.json"), channels.template())
    merged = deep_merge(merged, _json("functions.json"))
    parts = (
        channels.functions_template(),
        environment(),
        memory.template(),
        iam.template(),
        api.template(),
        operations.template(),
        site.template(),
    )
    for part in (*parts, {"Parameters": PARAMETERS}):
        merged = deep_merge(merged, part)
    return merged


if __name__ == "__main__":
    json.dump(merge_template(), sys.stdout, indent=2)
    sys.stdout.write("\n")
