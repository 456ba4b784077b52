"""Hostile review of issue 13 §3 (deployed template): what the resource policy and the parameters let through."""

from __future__ import annotations

import json
import re

import pytest

from devstack.partners import local_partners
from infra import iam
from infra.merge import merge_template
from tests.infra.test_api_policy import APP_BACKEND, BURGERNET, INTRUDER, OPERATOR, OUTSIDER, decide


@pytest.mark.parametrize("channel", ["cap", "news_media", "road_signs"])
def test_no_caller_but_burgernet_reaches_a_preview_whatever_its_channel(channel):
    # IAM's * spans "/": the public route's pattern GET/alerts/*/cap also matched GET/alerts/<id>/previews/cap,
    # which admitted a caller of any account (with its own allow) and the app backend to a Burgernet route.
    path = f"/alerts/{{id}}/previews/{channel}"
    for caller in (None, INTRUDER, OUTSIDER, APP_BACKEND):
        assert decide(caller, "GET", path) != "allow", caller
    for caller in (BURGERNET, OPERATOR):
        assert decide(caller, "GET", path) == "allow", caller
    # And the public CAP route itself stays public
    for caller in (None, INTRUDER, OUTSIDER, APP_BACKEND, BURGERNET):
        assert decide(caller, "GET", "/alerts/{id}/cap") == "allow", caller


def partners_pattern() -> re.Pattern[str]:
    # CloudFormation matches the whole value against AllowedPattern (Java regex; these constructs read the same)
    return re.compile(merge_template()["Parameters"]["Partners"]["AllowedPattern"])


def partner(channel: str, secret: str) -> str:
    target = {"name": "nos", "url": "https://hooks.example/nos", "secret_parameter": secret, "platform": "webhook"}
    return json.dumps({"channels": {channel: {"public": [target], "sandbox": []}}}, indent=2)


def test_partners_whose_secrets_the_channels_cannot_read_are_refused_by_the_stack_not_at_the_first_alert():
    # Each channel function may read only /kind-alarm/<stage>/partners/<channel>/ (d9fe4b8); the runbook before
    # that put secrets at /kind-alarm/<stage>/partners/<name>/secret. A stack updated with such a directory
    # deployed fine, and every newsroom, sign, screen and social delivery (and retraction) failed AccessDenied.
    pattern = partners_pattern()
    assert pattern.fullmatch("{}")
    directory, _ = local_partners("https://sink.example", "prod")
    assert pattern.fullmatch(directory.model_dump_json())
    assert pattern.fullmatch(json.dumps(directory.model_dump(mode="json"), indent=2))
    assert pattern.fullmatch(partner("news_media", "/kind-alarm/prod/partners/news_media/nos/secret"))
    for secret in (
        "/kind-alarm/prod/partners/nos/secret",  # the runbook's path before the per-channel folders
        "/kind-alarm/prod/nos/secret",
        "/other/prod/partners/news_media/nos/secret",
        "/kind-alarm/prod/partners/cap_feed/nos/secret",
        "/kind-alarm/prod/partners/news_media/",
    ):
        assert not pattern.fullmatch(partner("news_media", secret)), secret


def test_only_cap_feed_and_the_purge_may_change_the_public_feed():
    # The API (internet-facing, parsing hostile input) and the photo upload function held PutObject and DeleteObject
    # on the whole bucket: either could rewrite the public CAP messages and Atom feed
    from tests.infra.test_iam import BUCKET, may

    for resource in iam.FUNCTIONS:
        for key in ("feed/feed.atom", "feed/cap/a1.xml", "feed/sandbox/index.json"):
            for action in ("s3:PutObject", "s3:DeleteObject"):
                allowed = may(resource, action, f"{BUCKET}/{key}")
                assert allowed == (resource in ("CapFeed", "PurgeAlerts")), (resource, action, key)
    # What they do need stays: the API stores renditions and signs uploads, reads the feed it serves
    assert may("APIHandler", "s3:PutObject", f"{BUCKET}/photos/p1/master.jpg")
    assert may("APIHandler", "s3:PutObject", f"{BUCKET}/uploads/u1")
    assert may("APIHandler", "s3:GetObject", f"{BUCKET}/feed/feed.atom")
    assert may("PhotoUpload", "s3:GetObject", f"{BUCKET}/uploads/u1")
    assert may("PhotoUpload", "s3:DeleteObject", f"{BUCKET}/uploads/u1")
    assert may("PhotoUpload", "s3:PutObject", f"{BUCKET}/photos/p1/master.jpg")
