"""The public alert site: CloudFront in front of the photos bucket's ``site/`` folder, the bucket staying private.

The ``web`` channel writes the site's files under ``site/`` (pages, images, index pages, ``active.json``, the
partner widget; the sandbox site under ``site/sandbox/``) and its private index under ``web/``, which is never
served. CloudFront reads the bucket with Origin Access Control, and the bucket policy lets it read ``site/*`` of
this distribution only. Pages are invalidated when they change and also expire within a minute by themselves.

Nothing here depends on a function: the functions depend on the distribution (its address and id in their
environment, its ARN in the roles of the ``web`` channel and the purge), the bucket policy on the distribution
(its ARN), and the distribution only on the bucket and its own policies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parent

# The channel that writes the site (chalicelib/channels/web.py); its function gets the site's permissions.
WEB_CHANNEL = "web"
# The bucket's folders: what the public reads, and the web channel's own state (private).
SITE_PREFIX = "site/"
STATE_PREFIX = "web/"

DISTRIBUTION = "SiteDistribution"
HAS_DOMAIN = "HasSiteDomain"
# CloudFront is global; its metrics live in us-east-1 only, and an alarm must be in the region of its metric.
METRICS_REGION = "us-east-1"
IN_METRICS_REGION = "InCloudFrontMetricsRegion"

DISTRIBUTION_ARN = {
    "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${" + DISTRIBUTION + "}"
}
# The site's address: the custom domain when the stack has one, else the distribution's own.
SITE_URL = {
    "Fn::If": [
        HAS_DOMAIN,
        {"Fn::Sub": "https://${SiteDomainName}"},
        {"Fn::Sub": "https://${" + DISTRIBUTION + ".DomainName}"},
    ]
}
# What each function's environment carries (infra/merge.py): chalicelib.config.Settings reads these.
ENVIRONMENT = {"PUBLIC_SITE_URL": SITE_URL, "SITE_DISTRIBUTION_ID": {"Ref": DISTRIBUTION}}

# Seconds CloudFront keeps a file: the object's own Cache-Control max-age within these bounds, DEFAULT without one.
# Every change is invalidated; the bounds make a missed invalidation last a minute at most.
MIN_TTL = 0
DEFAULT_TTL = 10
MAX_TTL = 60
# A missing page (S3 answers 403 to CloudFront, which may not list) is remembered this long.
ERROR_TTL = 10
# The answer to a missing page: the site's index (its links are whole addresses), with status 404.
NOT_FOUND_PAGE = "/index.html"
HSTS_SECONDS = 2 * 365 * 24 * 3600

PARAMETERS: dict[str, Any] = {
    "SiteDomainName": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^$|^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        "ConstraintDescription": "a lower-case host name such as kindalarm.burgernet.nl, or empty",
        "Description": "The public site's own domain (custom domain); empty: the distribution's cloudfront.net name.",
    },
    "SiteCertificateArn": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^$|^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+$",
        "ConstraintDescription": "an ACM certificate ARN in us-east-1 (CloudFront takes none elsewhere), or empty",
        "Description": "The ACM certificate (in us-east-1) for SiteDomainName; empty when SiteDomainName is.",
    },
}

CONDITIONS: dict[str, Any] = {
    HAS_DOMAIN: {"Fn::Not": [{"Fn::Equals": [{"Ref": "SiteDomainName"}, ""]}]},
    IN_METRICS_REGION: {"Fn::Equals": [{"Ref": "AWS::Region"}, METRICS_REGION]},
}


def _empty(parameter: str) -> dict[str, Any]:
    return {"Fn::Equals": [{"Ref": parameter}, ""]}


# A domain without its certificate (or the other way round) is refused before anything is changed.
RULES: dict[str, Any] = {
    "SiteDomainWithItsCertificate": {
        "Assertions": [
            {
                "Assert": {
                    "Fn::Or": [
                        {"Fn::And": [_empty("SiteDomainName"), _empty("SiteCertificateArn")]},
                        {
                            "Fn::And": [
                                {"Fn::Not": [_empty("SiteDomainName")]},
                                {"Fn::Not": [_empty("SiteCertificateArn")]},
                            ]
                        },
                    ]
                },
                "AssertDescription": "SiteDomainName and SiteCertificateArn are given together (or neither)",
            }
        ]
    }
}

# A folder's address (/, /en/, /sandbox/) serves its index.html, and a folder named without its slash is redirected
# to it, as the local site server does (devstack/site_server.py): S3 itself knows only whole keys. Every file of the
# site has an extension, so a last segment without a dot is a folder.
INDEX_FUNCTION_CODE = """\
function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (uri.charAt(uri.length - 1) === '/') {
        request.uri = uri + 'index.html';
        return request;
    }
    if (uri.substring(uri.lastIndexOf('/') + 1).indexOf('.') === -1) {
        return {
            statusCode: 301,
            statusDescription: 'Moved Permanently',
            headers: {location: {value: uri + '/'}, 'cache-control': {value: 'max-age=300'}}
        };
    }
    return request;
}
"""


def name(thing: str) -> dict[str, str]:
    """An account-wide CloudFront name of the stage: kind-alarm-<stage>-<thing>."""
    return {"Fn::Sub": "kind-alarm-${Stage}-" + thing}


def origin_access_control() -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::OriginAccessControl",
        "Properties": {
            "OriginAccessControlConfig": {
                "Name": name("site"),
                "Description": "CloudFront signs every request to the photos bucket (site/ only, bucket policy)",
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    }


def cache_policy() -> dict[str, Any]:
    """Short lifetimes; the key is the path alone (no cookies, query strings or headers), compressed either way."""
    return {
        "Type": "AWS::CloudFront::CachePolicy",
        "Properties": {
            "CachePolicyConfig": {
                "Name": name("site"),
                "Comment": "Kind Alarm site: pages change when a child is found; seconds, not hours",
                "MinTTL": MIN_TTL,
                "DefaultTTL": DEFAULT_TTL,
                "MaxTTL": MAX_TTL,
                "ParametersInCacheKeyAndForwardedToOrigin": {
                    "CookiesConfig": {"CookieBehavior": "none"},
                    "HeadersConfig": {"HeaderBehavior": "none"},
                    "QueryStringsConfig": {"QueryStringBehavior": "none"},
                    "EnableAcceptEncodingGzip": True,
                    "EnableAcceptEncodingBrotli": True,
                },
            }
        },
    }


def response_headers_policy() -> dict[str, Any]:
    """Security headers on every answer, and CORS for anyone's GET.

    CORS covers the whole site rather than ``active.json`` alone: everything on it is public and read without
    credentials, so ``*`` lets a partner's widget read nothing a plain download would not; one behaviour keeps one
    cache policy, and the site answers as the local site server does (which sends it on every answer).
    """
    return {
        "Type": "AWS::CloudFront::ResponseHeadersPolicy",
        "Properties": {
            "ResponseHeadersPolicyConfig": {
                "Name": name("site"),
                "Comment": "Kind Alarm site: security headers; CORS for the partner widget",
                "SecurityHeadersConfig": {
                    "StrictTransportSecurity": {
                        "AccessControlMaxAgeSec": HSTS_SECONDS,
                        "IncludeSubdomains": False,
                        "Preload": False,
                        "Override": True,
                    },
                    "ContentTypeOptions": {"Override": True},
                    # The widget is a script partners load, never a frame.
                    "FrameOptions": {"FrameOption": "DENY", "Override": True},
                    "ReferrerPolicy": {"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": True},
                    # Only what no page needs: scripts, styles and images are the pages' own concern.
                    "ContentSecurityPolicy": {
                        "ContentSecurityPolicy": "frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
                        "Override": True,
                    },
                },
                "CorsConfig": {
                    "AccessControlAllowCredentials": False,
                    "AccessControlAllowHeaders": {"Items": ["*"]},
                    "AccessControlAllowMethods": {"Items": ["GET", "HEAD"]},
                    "AccessControlAllowOrigins": {"Items": ["*"]},
                    "AccessControlMaxAgeSec": 600,
                    "OriginOverride": True,
                },
            }
        },
    }


def index_function() -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::Function",
        "Properties": {
            "Name": name("site-index"),
            "AutoPublish": True,
            "FunctionConfig": {"Comment": "A folder's address serves its index.html", "Runtime": "cloudfront-js-2.0"},
            "FunctionCode": INDEX_FUNCTION_CODE,
        },
    }


def distribution() -> dict[str, Any]:
    origin = {
        "Id": "site",
        "DomainName": {"Fn::GetAtt": ["PhotosBucket", "RegionalDomainName"]},
        # Only the site's folder is an origin at all; the bucket policy is what actually keeps the rest out.
        "OriginPath": "/" + SITE_PREFIX.rstrip("/"),
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]},
    }
    behaviour = {
        "TargetOriginId": "site",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD"],
        "CachedMethods": ["GET", "HEAD"],
        "Compress": True,
        "CachePolicyId": {"Ref": "SiteCachePolicy"},
        "ResponseHeadersPolicyId": {"Ref": "SiteResponseHeadersPolicy"},
        "FunctionAssociations": [
            {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["SiteIndexFunction", "FunctionARN"]}}
        ],
    }
    # CloudFront may not list the bucket, so S3 answers a missing key with 403: both are a page that is not there.
    errors = [
        {"ErrorCode": code, "ResponseCode": 404, "ResponsePagePath": NOT_FOUND_PAGE, "ErrorCachingMinTTL": ERROR_TTL}
        for code in (403, 404)
    ]
    certificate = {
        "Fn::If": [
            HAS_DOMAIN,
            {
                "AcmCertificateArn": {"Ref": "SiteCertificateArn"},
                "SslSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
            {"CloudFrontDefaultCertificate": True},
        ]
    }
    return {
        "Type": "AWS::CloudFront::Distribution",
        # cfn-lint checks the certificate's ARN with SiteCertificateArn's default (empty); that value is only ever
        # deployed with an empty SiteDomainName (RULES), and then the certificate is CloudFront's own.
        "Metadata": {"cfn-lint": {"config": {"ignore_checks": ["W1030"]}}},
        "Properties": {
            "DistributionConfig": {
                "Comment": {"Fn::Sub": "Kind Alarm ${Stage}: the public alert site (the photos bucket's site/)"},
                "Enabled": True,
                "Aliases": {"Fn::If": [HAS_DOMAIN, [{"Ref": "SiteDomainName"}], {"Ref": "AWS::NoValue"}]},
                "ViewerCertificate": certificate,
                "HttpVersion": "http2and3",
                "IPV6Enabled": True,
                # North America and Europe: the audience is in the Netherlands.
                "PriceClass": "PriceClass_100",
                "DefaultRootObject": "index.html",
                "Origins": [origin],
                "DefaultCacheBehavior": behaviour,
                "CustomErrorResponses": errors,
            }
        },
    }


def cloudfront_reads_the_site() -> dict[str, Any]:
    """The bucket policy's one allow: this distribution, and no other, reads ``site/*``."""
    return {
        "Sid": "CloudFrontReadsTheSiteOnly",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "${PhotosBucket.Arn}/" + SITE_PREFIX + "*"},
        "Condition": {"StringEquals": {"AWS:SourceArn": DISTRIBUTION_ARN}},
    }


def bucket_policy() -> dict[str, Any]:
    """infra/resources.json's bucket policy with CloudFront's read added (a bucket has one policy: the whole list)."""
    document: dict[str, Any] = json.loads((INFRA / "resources.json").read_text(encoding="utf-8"))
    statements = document["Resources"]["PhotosBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    return {"Properties": {"PolicyDocument": {"Statement": [*statements, cloudfront_reads_the_site()]}}}


def template() -> dict[str, Any]:
    """The site's part of the merge template: parameters, conditions, resources and outputs."""
    return {
        "Parameters": PARAMETERS,
        "Conditions": CONDITIONS,
        "Rules": RULES,
        "Resources": {
            "SiteOriginAccessControl": origin_access_control(),
            "SiteCachePolicy": cache_policy(),
            "SiteResponseHeadersPolicy": response_headers_policy(),
            "SiteIndexFunction": index_function(),
            DISTRIBUTION: distribution(),
            "PhotosBucketPolicy": bucket_policy(),
        },
        "Outputs": {
            "PublicSiteUrl": {"Value": SITE_URL},
            "SiteDistributionId": {"Value": {"Ref": DISTRIBUTION}},
            # Where the custom domain's DNS record (CNAME, or Route 53 alias) points.
            "SiteDistributionDomainName": {"Value": {"Fn::GetAtt": [DISTRIBUTION, "DomainName"]}},
        },
    }
