"""The public alert site (infra/site.py): CloudFront reads only the bucket's ``site/`` through Origin Access Control,
pages expire within a minute, functions get the site's address, and only ``web`` and the purge change the site."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.channels import policy
from infra import site
from tests.infra.policies import Request, Stack, as_list, evaluate

STAGE = "dev"
ACCOUNT = "123456789012"
BUCKET = f"arn:aws:s3:::kind-alarm-{STAGE}-photos-{ACCOUNT}"
DISTRIBUTION_ID = "E2KINDALARMDEV"
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
DISTRIBUTION_ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/{DISTRIBUTION_ID}"
OTHER_DISTRIBUTION_ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E3SOMEONEELSE"
INDEX_FUNCTION_ARN = f"arn:aws:cloudfront::{ACCOUNT}:function/kind-alarm-{STAGE}-site-index"
CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0f8fad5b-d9cb-469f-a165-70867728950e"
# What the web channel writes (chalicelib/channels/web.py) and what must never be served.
SITE_KEYS = (
    "site/alerts/a1.html",
    "site/alerts/a1.en.html",
    "site/alerts/a1/photo-v2.jpg",
    "site/index.html",
    "site/index.en.html",
    "site/active.json",
    "site/widget.js",
    "site/sandbox/alerts/a1.html",
    "site/sandbox/active.json",
)
STATE_KEYS = ("web/index.json", "web/sandbox/index.json")
PRIVATE_KEYS = (
    *STATE_KEYS,
    "uploads/u1",
    "photos/p1/master.jpg",
    "feed/feed.atom",
    "feed/cap/a1.xml",
    "site",
    "sites/x.html",
)
# What reads the channel list when it is imported, in import order (as tests/infra/test_channels.py reloads them).
DERIVED_MODULES = ("infra.iam", "infra.memory", "infra.operations", "infra.merge")


@pytest.fixture(scope="module")
def template() -> Iterator[dict[str, Any]]:
    """The merge template with the web channel in the policy table (added here if the table does not name it yet)."""
    if "web" in policy.CHANNELS:
        yield importlib.import_module("infra.merge").merge_template()
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(policy, "CHANNELS", (*policy.CHANNELS, "web"))
        try:
            modules = [importlib.reload(importlib.import_module(name)) for name in DERIVED_MODULES]
            yield modules[-1].merge_template()
        finally:
            patch.undo()
            for name in DERIVED_MODULES:
                importlib.reload(importlib.import_module(name))


NO_VALUE = object()


class Attributes(dict[str, str]):
    """The stack's resource attributes; those the tests do not name get a recognisable stand-in."""

    def __missing__(self, key: str) -> str:
        return f"arn:aws:test:::{key}"


@dataclass(frozen=True)
class ConditionalStack(Stack):
    """A stack that also resolves the template's conditions, Fn::If and AWS::NoValue (and a rule's assertions)."""

    conditions: dict[str, Any] = field(default_factory=dict)

    def ref(self, name: str) -> Any:
        return NO_VALUE if name == "AWS::NoValue" else super().ref(name)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.conditions[name]))

    def resolve(self, node: Any) -> Any:
        value = super().resolve(node)
        if isinstance(value, dict):
            return {key: item for key, item in value.items() if item is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in value if item is not NO_VALUE]
        return value

    def _functions(self) -> dict[str, Any]:
        return {
            **super()._functions(),
            "Fn::If": lambda value: self.resolve(value[1] if self.condition(value[0]) else value[2]),
            "Fn::Equals": lambda value: self.resolve(value[0]) == self.resolve(value[1]),
            "Fn::Not": lambda value: not self.resolve(value[0]),
            "Fn::And": lambda value: all(self.resolve(item) for item in value),
            "Fn::Or": lambda value: any(self.resolve(item) for item in value),
            "Condition": self.condition,
        }


def stack(
    template: dict[str, Any], domain: str = "", certificate: str = "", region: str = "eu-west-1"
) -> ConditionalStack:
    return ConditionalStack(
        parameters={
            "Stage": STAGE,
            "SiteDomainName": domain,
            "SiteCertificateArn": certificate,
            "ApnsApplicationArn": f"arn:aws:sns:{region}:{ACCOUNT}:app/APNS/kind-alarm-{STAGE}",
            "FcmApplicationArn": f"arn:aws:sns:{region}:{ACCOUNT}:app/GCM/kind-alarm-{STAGE}",
        },
        attributes=Attributes(
            {
                "PhotosBucket.Arn": BUCKET,
                "PhotosBucket.RegionalDomainName": f"kind-alarm-{STAGE}-photos-{ACCOUNT}.s3.{region}.amazonaws.com",
                "SiteDistribution.DomainName": DISTRIBUTION_DOMAIN,
                "SiteOriginAccessControl.Id": "E1OAC",
                "SiteIndexFunction.FunctionARN": INDEX_FUNCTION_ARN,
            }
        ),
        references={
            "AlertEventsTopic": f"arn:aws:sns:{region}:{ACCOUNT}:kind-alarm-{STAGE}-alert-events",
            "SiteDistribution": DISTRIBUTION_ID,
            "SiteCachePolicy": "cache-policy-id",
            "SiteResponseHeadersPolicy": "headers-policy-id",
        },
        region=region,
        account=ACCOUNT,
        conditions=template["Conditions"],
    )


def config(template: dict[str, Any], **parameters: str) -> dict[str, Any]:
    resolved: dict[str, Any] = stack(template, **parameters).resolve(template["Resources"][site.DISTRIBUTION])
    return dict(resolved["Properties"]["DistributionConfig"])


def bucket_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    policy_document = template["Resources"]["PhotosBucketPolicy"]["Properties"]["PolicyDocument"]
    found: list[dict[str, Any]] = stack(template).resolve(policy_document["Statement"])
    return found


def cloudfront_may_read(template: dict[str, Any], key: str, source: str | None) -> bool:
    """S3's decision on CloudFront's GetObject of ``key`` signed for the distribution ``source`` (over HTTPS)."""
    context = {"aws:SecureTransport": "true", **({"AWS:SourceArn": source} if source else {})}
    request = Request("s3:GetObject", f"{BUCKET}/{key}", context=context)
    # policies.evaluate matches AWS principals only: keep the statements whose principal is CloudFront's or anyone.
    for_cloudfront = [
        statement
        for statement in bucket_statements(template)
        if statement["Principal"] in ("*", {"Service": "cloudfront.amazonaws.com"})
    ]
    return evaluate(for_cloudfront, request) == "allow"


def role_statements(template: dict[str, Any], resource: str) -> list[dict[str, Any]]:
    role = template["Resources"][f"{resource}Role"]["Properties"]
    found: list[dict[str, Any]] = stack(template).resolve(
        [statement for part in role["Policies"] for statement in part["PolicyDocument"]["Statement"]]
    )
    return found


def may(template: dict[str, Any], resource: str, action: str, arn: str, **context: str) -> bool:
    return evaluate(role_statements(template, resource), Request(action, arn, context=context)) == "allow"


def functions() -> list[str]:
    """Every function of the template (infra.iam as the fixture left it: with the web channel's)."""
    from infra import iam

    return list(iam.FUNCTIONS)


# CloudFront reads the private bucket, and only its site.


def test_cloudfront_reads_the_bucket_with_origin_access_control_and_the_bucket_stays_private(template):
    resources = template["Resources"]
    control = resources["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (control["OriginAccessControlOriginType"], control["SigningBehavior"], control["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    origins = config(template)["Origins"]
    assert len(origins) == 1
    (origin,) = origins
    assert origin["DomainName"] == f"kind-alarm-{STAGE}-photos-{ACCOUNT}.s3.eu-west-1.amazonaws.com"
    assert origin["OriginAccessControlId"] == "E1OAC"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy origin access identity
    assert origin["OriginPath"] == "/site"
    # The bucket: every public access blocked, no ACLs, and no statement that allows anyone
    bucket = resources["PhotosBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert "AccessControl" not in bucket
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    for statement in bucket_statements(template):
        if statement["Effect"] == "Allow":
            assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}, statement


def test_only_this_distribution_reads_and_only_the_site_folder(template):
    for key in SITE_KEYS:
        assert cloudfront_may_read(template, key, DISTRIBUTION_ARN), key
        # Another distribution (of this account or any other) pointed at the bucket reads nothing
        assert not cloudfront_may_read(template, key, OTHER_DISTRIBUTION_ARN), key
        assert not cloudfront_may_read(template, key, None), key
    for key in PRIVATE_KEYS:
        assert not cloudfront_may_read(template, key, DISTRIBUTION_ARN), key
    # Reading is all it may do: no listing (a missing page answers 403, made a 404 below), no writing
    for statement in bucket_statements(template):
        if statement["Effect"] == "Allow":
            assert as_list(statement["Action"]) == ["s3:GetObject"]
            assert as_list(statement["Resource"]) == [f"{BUCKET}/site/*"]
            assert statement["Condition"] == {"StringEquals": {"AWS:SourceArn": DISTRIBUTION_ARN}}
    # Plain HTTP stays refused to everyone, CloudFront included
    insecure = Request("s3:GetObject", f"{BUCKET}/site/index.html", context={"aws:SecureTransport": "false"})
    assert evaluate(bucket_statements(template), insecure, resource_policy=True) == "deny"


def test_the_bucket_policy_keeps_the_statements_of_resources_json(template):
    document = json.loads((site.INFRA / "resources.json").read_text(encoding="utf-8"))
    kept = document["Resources"]["PhotosBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    merged = template["Resources"]["PhotosBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert merged[: len(kept)] == kept
    assert [statement["Sid"] for statement in merged[len(kept) :]] == ["CloudFrontReadsTheSiteOnly"]


# How the site is served.


def test_pages_expire_within_a_minute_by_themselves_and_the_cache_key_is_the_path(template):
    policy_config = template["Resources"]["SiteCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert policy_config["MinTTL"] == 0
    assert 0 < policy_config["DefaultTTL"] <= 10
    assert policy_config["DefaultTTL"] <= policy_config["MaxTTL"] <= 60
    key = policy_config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["EnableAcceptEncodingGzip"] and key["EnableAcceptEncodingBrotli"]
    distribution = config(template)
    behaviour = distribution["DefaultCacheBehavior"]
    assert behaviour["CachePolicyId"] == "cache-policy-id"
    assert behaviour["Compress"] is True
    # No other behaviour with a longer life, and no legacy TTL settings that would override the policy
    assert "CacheBehaviors" not in distribution
    assert not {"DefaultTTL", "MaxTTL", "MinTTL", "ForwardedValues"} & set(behaviour)
    # A page that is missing is remembered no longer than a page
    for error in distribution["CustomErrorResponses"]:
        assert error["ErrorCachingMinTTL"] <= policy_config["MaxTTL"]


def test_viewers_get_https_http2_and_3_ipv6_and_the_index_at_the_root(template):
    distribution = config(template)
    behaviour = distribution["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert distribution["HttpVersion"] == "http2and3"
    assert distribution["IPV6Enabled"] is True
    assert distribution["PriceClass"] == "PriceClass_100"
    assert distribution["DefaultRootObject"] == "index.html"
    assert distribution["Enabled"] is True


def test_a_page_that_is_not_there_answers_404(template):
    # CloudFront may not list the bucket, so S3 answers a missing key with 403
    errors = {error["ErrorCode"]: error for error in config(template)["CustomErrorResponses"]}
    assert set(errors) == {403, 404}
    for error in errors.values():
        assert error["ResponseCode"] == 404
        assert error["ResponsePagePath"] == "/index.html"


def test_every_answer_carries_security_headers_and_anyone_may_read_it_from_a_script(template):
    assert config(template)["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == "headers-policy-id"
    headers = template["Resources"]["SiteResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 365 * 24 * 3600
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] in ("strict-origin-when-cross-origin", "no-referrer")
    assert "frame-ancestors 'none'" in security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert all(header["Override"] for header in security.values())
    # The partner widget fetches active.json from the partner's own site: CORS for GET, without credentials
    cors = headers["CorsConfig"]
    assert cors["AccessControlAllowOrigins"] == {"Items": ["*"]}
    assert cors["AccessControlAllowMethods"] == {"Items": ["GET", "HEAD"]}
    assert cors["AccessControlAllowCredentials"] is False


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the CloudFront function's JavaScript")
@pytest.mark.parametrize(
    ("uri", "served", "redirect"),
    [
        ("/", "/index.html", None),
        ("/en/", "/en/index.html", None),
        ("/sandbox/", "/sandbox/index.html", None),
        ("/sandbox/en/", "/sandbox/en/index.html", None),
        ("/en", None, "/en/"),
        ("/sandbox", None, "/sandbox/"),
        ("/alerts/a1.html", "/alerts/a1.html", None),
        ("/alerts/a1/photo-v2.jpg", "/alerts/a1/photo-v2.jpg", None),
        ("/sandbox/active.json", "/sandbox/active.json", None),
        ("/widget.js", "/widget.js", None),
    ],
)
def test_a_folders_address_serves_its_index_as_the_local_site_server_does(template, uri, served, redirect):
    properties = template["Resources"]["SiteIndexFunction"]["Properties"]
    assert properties["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert config(template)["DefaultCacheBehavior"]["FunctionAssociations"] == [
        {
            "EventType": "viewer-request",
            "FunctionARN": INDEX_FUNCTION_ARN,
        }
    ]
    event = {"request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {}, "cookies": {}}}
    script = f"{properties['FunctionCode']}\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    answer = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout)
    if redirect is None:
        assert answer["uri"] == served
    else:
        assert (answer["statusCode"], answer["headers"]["location"]["value"]) == (301, redirect)


# The site's address, with and without a custom domain.


def site_variables(resolved: ConditionalStack, template: dict[str, Any], resource: str) -> dict[str, Any]:
    variables = template["Resources"][resource]["Properties"]["Environment"]["Variables"]
    return {name: resolved.resolve(variables[name]) for name in ("PUBLIC_SITE_URL", "SITE_DISTRIBUTION_ID")}


def test_the_site_url_is_the_distributions_address_without_a_custom_domain(template):
    resolved = stack(template)
    for resource in functions():
        variables = site_variables(resolved, template, resource)
        assert variables["PUBLIC_SITE_URL"] == f"https://{DISTRIBUTION_DOMAIN}", resource
        assert variables["SITE_DISTRIBUTION_ID"] == DISTRIBUTION_ID, resource
    distribution = config(template)
    assert "Aliases" not in distribution
    assert distribution["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    outputs = template["Outputs"]
    assert resolved.resolve(outputs["PublicSiteUrl"]["Value"]) == f"https://{DISTRIBUTION_DOMAIN}"
    assert resolved.resolve(outputs["SiteDistributionId"]["Value"]) == DISTRIBUTION_ID
    assert resolved.resolve(outputs["SiteDistributionDomainName"]["Value"]) == DISTRIBUTION_DOMAIN


def test_the_site_url_is_the_custom_domain_when_the_stack_has_one(template):
    domain = "kindalarm.burgernet.nl"
    resolved = stack(template, domain=domain, certificate=CERTIFICATE)
    for resource in functions():
        variables = site_variables(resolved, template, resource)
        assert variables["PUBLIC_SITE_URL"] == f"https://{domain}", resource
        assert variables["SITE_DISTRIBUTION_ID"] == DISTRIBUTION_ID, resource
    distribution = config(template, domain=domain, certificate=CERTIFICATE)
    assert distribution["Aliases"] == [domain]
    assert distribution["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert resolved.resolve(template["Outputs"]["PublicSiteUrl"])["Value"] == f"https://{domain}"


def test_the_stack_refuses_a_domain_without_its_certificate_or_a_certificate_outside_us_east_1(template):
    parameters = template["Parameters"]
    assert parameters["SiteDomainName"]["Default"] == parameters["SiteCertificateArn"]["Default"] == ""
    rule = template["Rules"]["SiteDomainWithItsCertificate"]
    assert "RuleCondition" not in rule
    for domain, certificate, admitted in (
        ("", "", True),
        ("kindalarm.burgernet.nl", CERTIFICATE, True),
        ("kindalarm.burgernet.nl", "", False),
        ("", CERTIFICATE, False),
    ):
        resolved = stack(template, domain=domain, certificate=certificate)
        holds = all(resolved.resolve(assertion["Assert"]) for assertion in rule["Assertions"])
        assert holds == admitted, (domain, certificate)
    # CloudFormation matches the whole value (Java regex; these constructs read the same)
    certificates = re.compile(parameters["SiteCertificateArn"]["AllowedPattern"])
    assert certificates.fullmatch(CERTIFICATE) and certificates.fullmatch("")
    assert not certificates.fullmatch(CERTIFICATE.replace("us-east-1", "eu-west-1"))
    domains = re.compile(parameters["SiteDomainName"]["AllowedPattern"])
    assert domains.fullmatch("kindalarm.burgernet.nl") and domains.fullmatch("")
    for wrong in ("https://kindalarm.burgernet.nl", "kindalarm.burgernet.nl/", "KindAlarm.nl", "localhost"):
        assert not domains.fullmatch(wrong), wrong


# Who changes the site.


def test_only_web_and_the_purge_write_the_site_and_the_webs_private_index(template):
    for resource in functions():
        for key in (*SITE_KEYS, *STATE_KEYS):
            for action in ("s3:PutObject", "s3:DeleteObject"):
                allowed = may(template, resource, action, f"{BUCKET}/{key}")
                assert allowed == (resource in ("Web", "PurgeAlerts")), (resource, action, key)
    # The web channel writes nothing else, reads the renditions it puts on its pages, and may list the bucket:
    # it reads its pages and index before writing them, and the first time S3 tells a missing key only to a lister
    for key in ("feed/feed.atom", "photos/p1/master.jpg", "uploads/u1"):
        assert not may(template, "Web", "s3:PutObject", f"{BUCKET}/{key}"), key
    assert may(template, "Web", "s3:GetObject", f"{BUCKET}/photos/p1/page.jpg")
    assert not may(template, "Web", "s3:GetObject", f"{BUCKET}/uploads/u1")
    for key in (*SITE_KEYS, *STATE_KEYS):
        assert may(template, "Web", "s3:GetObject", f"{BUCKET}/{key}"), key
    assert may(template, "Web", "s3:ListBucket", BUCKET, **{"s3:prefix": "site/alerts/a1/"})
    assert may(template, "PurgeAlerts", "s3:ListBucket", BUCKET, **{"s3:prefix": "site/sandbox/alerts/a1/"})


def test_only_web_and_the_purge_invalidate_and_only_this_distribution(template):
    for resource in functions():
        allowed = may(template, resource, "cloudfront:CreateInvalidation", DISTRIBUTION_ARN)
        assert allowed == (resource in ("Web", "PurgeAlerts")), resource
        assert not may(template, resource, "cloudfront:CreateInvalidation", OTHER_DISTRIBUTION_ARN), resource
        assert not may(template, resource, "cloudfront:UpdateDistribution", DISTRIBUTION_ARN), resource
    for resource in ("Web", "PurgeAlerts"):
        cloudfront = [
            statement
            for statement in role_statements(template, resource)
            if any(action.startswith("cloudfront:") for action in as_list(statement["Action"]))
        ]
        assert [(statement["Action"], statement["Resource"]) for statement in cloudfront] == [
            (["cloudfront:CreateInvalidation"], [DISTRIBUTION_ARN])
        ]


# No circular dependency: the distribution and the bucket policy come before every function and role.


def references(node: Any) -> set[str]:
    """The logical ids a template node names (Ref, Fn::GetAtt, ${...} in Fn::Sub)."""
    if isinstance(node, list):
        return {name for item in node for name in references(item)}
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            found.add(value)
        elif key == "Fn::GetAtt":
            found.add(value[0] if isinstance(value, list) else value.split(".")[0])
        elif key == "Fn::Sub":
            text = value if isinstance(value, str) else value[0]
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
            found |= references(value[1:]) if isinstance(value, list) else set()
        else:
            found |= references(value)
    return found


def dependencies(template: dict[str, Any]) -> dict[str, set[str]]:
    resources = template["Resources"]
    return {
        name: (references(resource) | set(as_list(resource.get("DependsOn", [])))) & set(resources)
        for name, resource in resources.items()
    }


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph[name])
    return seen


def test_the_distribution_and_the_bucket_policy_depend_on_no_function_and_nothing_is_circular(template):
    graph = dependencies(template)
    roles = {f"{resource}Role" for resource in functions()}
    for name in (site.DISTRIBUTION, "PhotosBucketPolicy", "SiteOriginAccessControl", "PhotosBucket"):
        assert not reachable(graph, name) & (set(functions()) | roles), name
    assert reachable(graph, site.DISTRIBUTION) == {
        "PhotosBucket",
        "PhotoUploadsQueuePolicy",
        "PhotoUploadsQueue",
        "PhotoUploadsDeadLetterQueue",
        "SiteOriginAccessControl",
        "SiteCachePolicy",
        "SiteResponseHeadersPolicy",
        "SiteIndexFunction",
    }
    for name in graph:
        assert name not in reachable(graph, name), f"{name} depends on itself"


# Watched.


def test_the_site_error_alarm_exists_where_cloudfronts_metrics_are_and_the_dashboard_shows_them(template):
    alarm = template["Resources"]["SiteErrorRateAlarm"]
    properties = alarm["Properties"]
    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/CloudFront", "5xxErrorRate")
    assert stack(template).resolve(properties["Dimensions"]) == [
        {"Name": "DistributionId", "Value": DISTRIBUTION_ID},
        {"Name": "Region", "Value": "Global"},
    ]
    assert properties["AlarmActions"] == [{"Ref": "OperationsTopic"}]
    # CloudWatch alarms only on metrics of their own region; CloudFront's are in us-east-1
    assert stack(template, region="us-east-1").condition(alarm["Condition"])
    assert not stack(template, region="eu-west-1").condition(alarm["Condition"])
    body = json.loads(template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    widgets = [w["properties"] for w in body["widgets"] if w["properties"]["metrics"][0][0] == "AWS/CloudFront"]
    assert len(widgets) == 1
    assert widgets[0]["region"] == "us-east-1"
    assert widgets[0]["metrics"][0][2:6] == ["DistributionId", "${SiteDistribution}", "Region", "Global"]


def test_found_pages_expire_by_themselves_should_the_table_forget_the_alert_before_the_purge(template):
    # The table's TTL on purge_at may delete the alert before the hourly purge erases its page: the bucket's
    # lifecycle deletes an alert's page files a retention after their last write (the found page's), as the feed's.
    rules = template["Resources"]["PhotosBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = {rule["Prefix"]: rule["ExpirationInDays"] for rule in rules if rule["Status"] == "Enabled"}
    assert expiring["site/alerts/"] == expiring["site/sandbox/alerts/"] == expiring["feed/"] == 30
    # Nothing else of the site expires: the index pages, active.json and the widget live as long as the site
    assert not [prefix for prefix in expiring if prefix.startswith("site/") and not prefix.endswith("alerts/")]
