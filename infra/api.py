"""API Gateway: who may call it (resource policy), how fast (throttling), and errors as problem documents."""

from __future__ import annotations

from typing import Any

# Routes anyone may read: the public feed, an active alert's CAP message, the API's description.
PUBLIC_ROUTES = (("GET", "/feed"), ("GET", "/alerts/*/cap"), ("GET", "/openapi.json"))
# The only routes of the Burgernet app backend, and the only ones Burgernet itself may not call.
DEVICE_ROUTES = (("PUT", "/devices/*"), ("DELETE", "/devices/*"))
# IAM's * spans "/": GET /alerts/*/cap also matches Burgernet's GET /alerts/{id}/previews/cap. A path ending in /cap
# with more segments between is never the public route (an alert id holds no "/"), so it is Burgernet's.
DEEPER_THAN_PUBLIC = (("GET", "/alerts/*/*/cap"),)

INVOKE_ARN = "execute-api:/*"

# Who may call: each list is the IAM roles (or users) of one caller, as aws:PrincipalArn names them.
BURGERNET = {"Ref": "BurgernetPrincipals"}
APP_BACKEND = {"Ref": "AppBackendPrincipals"}
PRINCIPAL_PATTERN = "^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$"
PARAMETERS: dict[str, Any] = {
    "BurgernetPrincipals": {
        "Type": "CommaDelimitedList",
        "AllowedPattern": PRINCIPAL_PATTERN,
        "Description": "IAM role ARNs of Burgernet (and the operators' break-glass role): every route but /devices.",
    },
    "AppBackendPrincipals": {
        "Type": "CommaDelimitedList",
        "AllowedPattern": PRINCIPAL_PATTERN,
        "Description": "IAM role ARNs of the Burgernet app backend: PUT and DELETE /devices/{device_id}, nothing else.",
    },
}


def _short(routes: tuple[tuple[str, str], ...]) -> list[str]:
    return [f"execute-api:/*/{method}{path}" for method, path in routes]


def _full(routes: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    """Whole ARNs (any API id of this account and region): a NotResource does not rely on API Gateway expanding
    the ``execute-api:/`` shorthand, which it documents for Resource."""
    prefix = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:*/*/"
    return [{"Fn::Sub": f"{prefix}{method}{path}"} for method, path in routes]


def _both(first: dict[str, str], second: dict[str, str]) -> dict[str, Any]:
    """Two CommaDelimitedList parameters as one list."""
    joined = [{"Fn::Join": [",", first]}, {"Fn::Join": [",", second]}]
    return {"Fn::Split": [",", {"Fn::Join": [",", joined]}]}


def _deny(sid: str, principals: dict[str, Any], operator: str, scope: str, routes: list[Any]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        scope: routes,
        "Condition": {operator: {"aws:PrincipalArn": principals}},
    }


def resource_policy() -> dict[str, Any]:
    """Burgernet may call every route but the devices', the app backend only the devices', anyone the public ones.

    The allows alone do not keep anyone out: API Gateway admits a caller of this account whose own IAM policy
    allows ``execute-api:Invoke`` even when the resource policy names someone else. So explicit denies (which win
    over any allow) refuse everyone not named outside the public routes, and each caller outside its routes.
    Every non-public route also needs a valid SigV4 signature.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Burgernet",
                "Effect": "Allow",
                "Principal": {"AWS": BURGERNET},
                "Action": "execute-api:Invoke",
                "Resource": [INVOKE_ARN],
            },
            {
                "Sid": "AppBackend",
                "Effect": "Allow",
                "Principal": {"AWS": APP_BACKEND},
                "Action": "execute-api:Invoke",
                "Resource": _short(DEVICE_ROUTES),
            },
            {
                "Sid": "PublicFeed",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": _short(PUBLIC_ROUTES),
            },
            _deny(
                "DenyWhoeverIsNotNamed",
                _both(BURGERNET, APP_BACKEND),
                "ArnNotEquals",
                "NotResource",
                _full(PUBLIC_ROUTES),
            ),
            _deny(
                "DenyAllButBurgernetPastThePublicRoutes",
                BURGERNET,
                "ArnNotEquals",
                "Resource",
                _full(DEEPER_THAN_PUBLIC),
            ),
            _deny("DenyBurgernetTheDevices", BURGERNET, "ArnEquals", "Resource", _full(DEVICE_ROUTES)),
            _deny(
                "DenyAppBackendAllButTheDevices",
                APP_BACKEND,
                "ArnEquals",
                "NotResource",
                _full(DEVICE_ROUTES + PUBLIC_ROUTES),
            ),
        ],
    }


def problem_response(status: str | None = None) -> dict[str, Any]:
    """API Gateway's own refusals (unsigned, throttled, too large, no such route) as RFC 9457 documents."""
    template = (
        '{"type": "https://kindalarm.burgernet.nl/problems/gateway", "title": $context.error.messageString, '
        '"code": "$context.error.responseType", "instance": "$context.path", "request_id": "$context.requestId"}'
    )
    response: dict[str, Any] = {
        "responseParameters": {
            "gatewayresponse.header.Content-Type": "'application/problem+json'",
            "gatewayresponse.header.Cache-Control": "'no-store'",
        },
        "responseTemplates": {"application/json": template},
    }
    if status is not None:
        response["statusCode"] = status
    return response


GATEWAY_RESPONSES = {
    "DEFAULT_4XX": problem_response(),
    "DEFAULT_5XX": problem_response(),
    # API Gateway says 403 "Missing Authentication Token" both for an unsigned call and for a path it does not have.
    "MISSING_AUTHENTICATION_TOKEN": problem_response("403"),
}


def template() -> dict[str, Any]:
    return {
        "Parameters": PARAMETERS,
        "Resources": {
            "RestAPI": {
                "Properties": {
                    "DefinitionBody": {
                        "x-amazon-apigateway-policy": resource_policy(),
                        "x-amazon-apigateway-gateway-responses": GATEWAY_RESPONSES,
                    },
                    "MethodSettings": [
                        {
                            "ResourcePath": "/*",
                            "HttpMethod": "*",
                            "ThrottlingRateLimit": {"Ref": "ApiRateLimit"},
                            "ThrottlingBurstLimit": {"Ref": "ApiBurstLimit"},
                            "MetricsEnabled": True,
                        }
                    ],
                }
            }
        },
    }
