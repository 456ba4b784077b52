"""Who gets into the API: the resource policy of the merge template, evaluated as AWS does for every route.

API Gateway admits a caller of the API's own account whose IAM policy allows ``execute-api:Invoke`` unless the
resource policy denies it explicitly; a caller of another account needs both policies to allow. Each case below
computes that decision (explicit deny wins) for a caller, a method and a path of the app's real routes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import app as api
from infra.merge import merge_template
from tests.infra.policies import Request, Stack, api_gateway_decision, evaluate

ACCOUNT = "123456789012"  # the API's account
API_ID = "a1b2c3d4e5"
BURGERNET = "arn:aws:iam::111122223333:role/burgernet-kind-alarm"  # Burgernet's own account
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/kind-alarm-break-glass"  # police operators, in the API's account
APP_BACKEND = f"arn:aws:iam::{ACCOUNT}:role/burgernet-app-backend"
INTRUDER = f"arn:aws:iam::{ACCOUNT}:role/some-other-team"  # same account, Invoke on * in its own policy
OUTSIDER = "arn:aws:iam::999988887777:role/curious"
STACK = Stack(
    parameters={"BurgernetPrincipals": [BURGERNET, OPERATOR], "AppBackendPrincipals": [APP_BACKEND]},
    account=ACCOUNT,
)

PUBLIC = {("GET", "/feed"), ("GET", "/alerts/{id}/cap"), ("GET", "/openapi.json")}
DEVICES = {("PUT", "/devices/{device_id}"), ("DELETE", "/devices/{device_id}")}


def routes() -> list[tuple[str, str]]:
    return sorted((method, path) for path, methods in api.app.routes.items() for method in methods)


def resource_policy() -> dict[str, Any]:
    body = merge_template()["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    policy: dict[str, Any] = STACK.resolve(body["x-amazon-apigateway-policy"])
    return expand(policy)


def expand(node: Any) -> Any:
    """API Gateway's shorthand ``execute-api:/…`` becomes this API's ARN when the policy is saved."""
    if isinstance(node, str) and node.startswith("execute-api:/"):
        return f"arn:aws:execute-api:{STACK.region}:{ACCOUNT}:{API_ID}/" + node.removeprefix("execute-api:/")
    if isinstance(node, list):
        return [expand(item) for item in node]
    if isinstance(node, dict):
        return {key: expand(value) for key, value in node.items()}
    return node


def decide(caller: str | None, method: str, path: str) -> str:
    concrete = re.sub(r"\{[^}]+\}", "x-1", path)
    resource = f"arn:aws:execute-api:{STACK.region}:{ACCOUNT}:{API_ID}/api/{method}{concrete}"
    request = Request("execute-api:Invoke", resource, principal=caller)
    # Every named caller's own account lets it invoke; the intruder's and the outsider's too (the worst case).
    return api_gateway_decision(resource_policy(), request, identity_allows=caller is not None, api_account=ACCOUNT)


def test_the_app_has_the_routes_this_policy_is_about():
    assert set(routes()) >= PUBLIC | DEVICES
    assert len(set(routes()) - PUBLIC - DEVICES) >= 6


@pytest.mark.parametrize(("method", "path"), routes())
def test_each_route_admits_exactly_its_callers(method, path):
    if (method, path) in PUBLIC:
        admitted = {None, BURGERNET, OPERATOR, APP_BACKEND, INTRUDER, OUTSIDER}
    elif (method, path) in DEVICES:
        admitted = {APP_BACKEND}
    else:
        admitted = {BURGERNET, OPERATOR}
    for caller in (None, BURGERNET, OPERATOR, APP_BACKEND, INTRUDER, OUTSIDER):
        expected = "allow" if caller in admitted else "not allow"
        decision = decide(caller, method, path)
        assert (decision if decision == "allow" else "not allow") == expected, (caller, method, path, decision)


@pytest.mark.parametrize(
    ("caller", "method", "path"),
    [
        (INTRUDER, "POST", "/alerts"),
        (INTRUDER, "POST", "/alerts/{id}/cancel"),
        (INTRUDER, "PUT", "/devices/{device_id}"),
        (APP_BACKEND, "POST", "/alerts"),
        (APP_BACKEND, "GET", "/alerts/{id}"),
        (OPERATOR, "PUT", "/devices/{device_id}"),
        (OPERATOR, "DELETE", "/devices/{device_id}"),
        (BURGERNET, "PUT", "/devices/{device_id}"),
    ],
)
def test_a_caller_of_this_account_whose_own_policy_allows_everything_is_denied_explicitly(caller, method, path):
    # Only an explicit Deny stops a same-account caller whose IAM policy allows execute-api:Invoke on *
    assert decide(caller, method, path) == "deny"


def test_the_public_routes_need_no_caller_at_all():
    for method, path in sorted(PUBLIC):
        assert decide(None, method, path) == "allow", path
    assert decide(None, "GET", "/alerts/{id}") != "allow"
    assert decide(None, "PUT", "/devices/{device_id}") != "allow"


def test_the_principal_parameters_take_role_or_user_arns_only():
    parameters = merge_template()["Parameters"]
    for name in ("BurgernetPrincipals", "AppBackendPrincipals"):
        assert parameters[name]["Type"] == "CommaDelimitedList"
        pattern = re.compile(parameters[name]["AllowedPattern"])
        assert pattern.match(BURGERNET) and pattern.match(APP_BACKEND)
        assert pattern.match("arn:aws:iam::123456789012:role/service-role/app-backend")
        for wide in ("*", "arn:aws:iam::123456789012:root", "123456789012", "arn:aws:iam::*:role/x"):
            assert not pattern.match(wide), wide


def test_the_evaluation_itself_follows_iam_rules():
    # Given a policy that allows a role everything and denies it one route
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    policy: dict[str, Any] = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": [role]}, "Action": "execute-api:Invoke", "Resource": "a/*"},
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:*", "Resource": "a/x"},
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "NotResource": ["a/x", "a/y"],
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [role]}},
            },
        ]
    }
    # Then the deny wins, an allow is needed, and a negated condition holds for a caller without a principal
    assert evaluate(policy["Statement"], Request("execute-api:Invoke", "a/x", role), True) == "deny"
    assert evaluate(policy["Statement"], Request("execute-api:Invoke", "a/z", role), True) == "allow"
    assert evaluate(policy["Statement"], Request("execute-api:Invoke", "a/y", None), True) == "implicit deny"
    assert evaluate(policy["Statement"], Request("execute-api:Invoke", "a/z", None), True) == "deny"
    # And another account's caller needs its own policy too, while this account's needs either
    stranger = Request("execute-api:Invoke", "a/y", "arn:aws:iam::999988887777:role/s")
    allowing = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}]}
    assert api_gateway_decision(allowing, stranger, identity_allows=False, api_account=ACCOUNT) == "implicit deny"
    assert api_gateway_decision(allowing, stranger, identity_allows=True, api_account=ACCOUNT) == "allow"
    own = Request("execute-api:Invoke", "a/y", role)
    assert api_gateway_decision({"Statement": []}, own, identity_allows=True, api_account=ACCOUNT) == "allow"
