"""API Gateway: who may call it (resource policy), how fast (throttling), and errors as problem documents."""

from __future__ import annotations

from typing import Any

# Routes anyone may read: the public feed, an active alert's CAP message, the API's description.
PUBLIC_ROUTES = (("GET", "/feed"), ("GET", "/alerts/*/cap"), ("GET", "/openapi.json"))

INVOKE_ARN = "execute-api:/*"


def resource_policy() -> dict[str, Any]:
    """Burgernet's principal may call every route (each still needs a valid SigV4 signature); anyone the public ones."""
    public = [f"execute-api:/*/{method}{path}" for method, path in PUBLIC_ROUTES]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Burgernet",
                "Effect": "Allow",
                "Principal": {"AWS": {"Ref": "BurgernetPrincipals"}},
                "Action": "execute-api:Invoke",
                "Resource": [INVOKE_ARN],
            },
            {
                "Sid": "PublicFeed",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": public,
            },
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
        }
    }
