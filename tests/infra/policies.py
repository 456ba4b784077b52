"""Policies as AWS reads them: the template's intrinsic functions resolved for one stack, and the IAM evaluation
logic (an explicit Deny wins, else an Allow is needed) applied to one request, so tests ask what a principal may
do instead of matching strings."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["allow", "deny", "implicit deny"]


@dataclass(frozen=True)
class Stack:
    """The values a template's intrinsic functions resolve to in one deployed stack."""

    parameters: dict[str, Any]
    attributes: Mapping[str, str] = field(default_factory=dict)  # "Logical.Attribute" -> value
    references: dict[str, str] = field(default_factory=dict)  # logical id -> Ref value
    partition: str = "aws"
    region: str = "eu-west-1"
    account: str = "123456789012"

    def ref(self, name: str) -> Any:
        pseudo = {"AWS::Partition": self.partition, "AWS::Region": self.region, "AWS::AccountId": self.account}
        for values in (pseudo, self.parameters, self.references):
            if name in values:
                return values[name]
        raise KeyError(f"nothing to resolve Ref {name}")

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), *_ = node.items()
            function = self._functions().get(key)
            if function is not None:
                return function(value)
        return {key: self.resolve(value) for key, value in node.items()}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self.ref,
            "Fn::GetAtt": lambda value: self.attributes[".".join(value)],
            "Fn::Sub": self._sub,
            "Fn::Join": lambda value: value[0].join(self.resolve(value[1])),
            "Fn::Split": lambda value: str(self.resolve(value[1])).split(value[0]),
            "Fn::Select": lambda value: self.resolve(value[1])[int(value[0])],
        }

    def _sub(self, value: Any) -> str:
        text, variables = (value, {}) if isinstance(value, str) else (value[0], self.resolve(value[1]))

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self.attributes[name]
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!][^}]*)\}", one, text)


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    # The caller's IAM principal (aws:PrincipalArn: a role's ARN, not its session's); None for an anonymous call.
    principal: str | None = None
    context: dict[str, str] = field(default_factory=dict)

    def keys(self) -> dict[str, str]:
        keys = dict(self.context)
        if self.principal is not None:
            keys["aws:PrincipalArn"] = self.principal
            keys["aws:PrincipalAccount"] = self.principal.split(":")[4]
        return keys


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    """IAM's matching: ``*`` any run of characters (``/`` and ``:`` included), ``?`` any one character."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal in ("*", {"AWS": "*"}):
        return True
    if request.principal is None:
        return False
    for named in as_list(principal.get("AWS", [])):
        account = request.principal.split(":")[4]
        if named in (request.principal, account, f"arn:aws:iam::{account}:root"):
            return True
    return False


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": wildcard,
    "ArnEquals": lambda pattern, value: pattern == value,
    "ArnLike": wildcard,
    "Bool": lambda pattern, value: str(pattern).lower() == value.lower(),
}


def _condition_holds(condition: dict[str, Any], request: Request) -> bool:
    """Every operator of the block, and every key of each operator, must hold (AND); any of a key's values (OR).

    A negated operator (``StringNotEquals``, ``ArnNotLike``) holds when the key is missing from the request.
    """
    keys = request.keys()
    for operator, tests in condition.items():
        negated = "Not" in operator
        match = _OPERATORS[operator.replace("Not", "")]
        for key, patterns in tests.items():
            value = keys.get(key)
            if value is None:
                if not negated:
                    return False
                continue
            found = any(match(str(pattern), value) for pattern in as_list(patterns))
            if found == negated:
                return False
    return True


def statement_applies(statement: dict[str, Any], request: Request, resource_policy: bool = False) -> bool:
    if resource_policy:
        if "NotPrincipal" in statement:
            if _principal_matches(statement["NotPrincipal"], request):
                return False
        elif not _principal_matches(statement["Principal"], request):
            return False
    if "NotAction" in statement:
        action = not any(wildcard(a, request.action, False) for a in as_list(statement["NotAction"]))
    else:
        action = any(wildcard(a, request.action, False) for a in as_list(statement["Action"]))
    if "NotResource" in statement:
        resource = not any(wildcard(r, request.resource) for r in as_list(statement["NotResource"]))
    else:
        resource = any(wildcard(r, request.resource) for r in as_list(statement["Resource"]))
    return action and resource and _condition_holds(statement.get("Condition", {}), request)


def evaluate(statements: list[dict[str, Any]], request: Request, resource_policy: bool = False) -> Decision:
    applying = [s for s in statements if statement_applies(s, request, resource_policy)]
    if any(s["Effect"] == "Deny" for s in applying):
        return "deny"
    if any(s["Effect"] == "Allow" for s in applying):
        return "allow"
    return "implicit deny"


def api_gateway_decision(
    resource_policy: dict[str, Any], request: Request, identity_allows: bool, api_account: str
) -> Decision:
    """API Gateway with IAM authorization and a resource policy (its developer guide, «How API Gateway resource
    policies affect authorization workflow»): an explicit Deny in either policy refuses; a caller of the API's own
    account gets in when either policy allows; a caller of another account needs both."""
    by_resource = evaluate(resource_policy["Statement"], request, resource_policy=True)
    if by_resource == "deny":
        return "deny"
    if request.principal is None:  # an unsigned call to a route without IAM authorization
        allowed = by_resource == "allow"
    elif request.principal.split(":")[4] == api_account:
        allowed = by_resource == "allow" or identity_allows
    else:
        allowed = by_resource == "allow" and identity_allows
    return "allow" if allowed else "implicit deny"
