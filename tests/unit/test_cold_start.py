"""The API function imports nothing heavy until a request needs it (an alert may follow months of silence)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.alerts import lifecycle
from chalicelib.channels import app_push, checks, signs, social_media
from chalicelib.channels.base import ContentError
from chalicelib.errors import InvalidAlertError
from chalicelib.models.alert import (
    Alert,
    AlertCreate,
    Child,
    Contact,
    LastSeen,
    LocalizedHeadline,
    LocalizedInstruction,
)
from chalicelib.models.validation import parse_model
from tests.conftest import alert_body

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("shapely", "numpy", "boto3", "PIL", "h3", "moto", "aws_lambda_powertools.utilities.batch")


def test_importing_the_api_loads_no_heavy_module():
    script = f"import json, sys, app; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


# What a create without a photo must not load: Pillow, the channels' transports and geometry, and every channel
# module but the create-time checks and the policy table (a new channel module is covered by being one).
CHANNEL_MODULES = sorted(
    f"chalicelib.channels.{path.stem}"
    for path in (ROOT / "chalicelib" / "channels").glob("*.py")
    if path.stem not in {"__init__", "checks", "policy"}
)
NOT_FOR_A_CREATE = (
    "PIL",
    "standardwebhooks",
    "shapely",
    "numpy",
    "h3",
    "twitter_text",
    "chalicelib.imaging",
    "chalicelib.batches",
    "chalicelib.adapters.webhooks",
    "chalicelib.adapters.push",
    "chalicelib.adapters.social",
    *CHANNEL_MODULES,
)
FIRST_CREATE = """
import json, sys
import boto3
from chalice.test import Client
from moto import mock_aws
from devstack.resources import deploy_resources
from devstack.samples import sample_alert

unwanted = json.loads(sys.argv[1])
with mock_aws():
    deploy_resources("local", boto3.session.Session())
    before = [name for name in unwanted if name in sys.modules]
    import app
    from chalicelib.adapters.clients import s3_client
    with Client(app.app, stage_name="local") as client:
        reply = client.http.post(
            "/alerts", headers={"content-type": "application/json"}, body=json.dumps(sample_alert())
        )
    print(json.dumps({
        "status": reply.status_code,
        "loaded_before": before,
        "loaded": [name for name in unwanted if name in sys.modules],
        "s3_client_built": s3_client.cache_info().currsize > 0,
    }))
"""


def test_a_first_create_without_a_photo_loads_only_what_it_needs():
    # Given a fresh interpreter with the resources deployed in moto and nothing of the API imported
    environment = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    command = [sys.executable, "-c", FIRST_CREATE, json.dumps(NOT_FOR_A_CREATE)]
    # When the API answers its first POST /alerts, an alert without a photo
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin", **environment}
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    # Then it was created without Pillow, shapely, the channels or their transports, and without an S3 client
    assert outcome["status"] == 201
    assert outcome["loaded_before"] == []  # else the test could not tell
    assert outcome["loaded"] == []
    assert not outcome["s3_client_built"]


# The create-time checks compute what the channels render without importing them: they must agree on every alert.
WORDS = st.sampled_from(
    [
        "Sanne", "de", "Vries", "Zoë", "IJsbrand", "Maximiliaan-Alexander", "Wolfeschlegelsteinhausenbergerdorff",
        "Amsterdam", "Centraal", "Station", "'s-Hertogenbosch", "Capelle", "aan", "den", "IJssel", "Sint", "Noord",
        "https://www.politie.nl/vermist/2026/sanne", "politie.nl", "🚨", "👧🏼", "👩\u200d👧", "🇳🇱", "…", "。", "112",
    ]
)  # fmt: skip


def texts(max_words: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(WORDS, min_size=1, max_size=max_words).map(" ".join),
        st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=max_words * 6),
        st.sampled_from(["🚨", "👧🏼", "\u00e9", '"']).map(lambda unit: unit * max_words * 12),
    )


def _alert(level, name, description, headline, headline_en, instruction, instruction_en, place, phone) -> Alert:
    """The sample alert with other texts, unvalidated: the renderers see whatever the model would let through."""
    base = lifecycle.new_alert(parse_model(AlertCreate, alert_body()), "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b", NOW)
    return base.model_copy(
        update={
            "level": level,
            "child": Child.model_construct(name=name, age=9, description=description),
            "headline": LocalizedHeadline.model_construct(nl=headline, en=headline_en),
            "instruction": LocalizedInstruction.model_construct(nl=instruction, en=instruction_en),
            "last_seen": LastSeen.model_construct(at=NOW, place=place, lat=None, lon=None),
            "contact": Contact.model_construct(phone=phone),
        }
    )


def _verdict(render: Callable[..., object], *args: object) -> tuple[object, ...]:
    try:
        return ("shown", render(*args))
    except (ContentError, checks.UnshowableError) as error:
        return ("refused", str(error), getattr(error, "pointer", None))


@settings(max_examples=150, deadline=None)
@given(
    level=st.sampled_from(["kind_alarm", "vermist_kind"]),
    name=st.sampled_from(["Sanne de Vries", "Zoë", "IJsbrand Daniël", "Anaïs van den Heuvel-Wolfe", "Mo"]) | texts(5),
    description=st.none() | texts(40),
    headline=texts(20),
    headline_en=st.none() | texts(20),
    instruction=texts(60),
    instruction_en=st.none() | texts(60),
    place=st.sampled_from(["Amsterdam Centraal Station", "'s-Hertogenbosch", "Capelle aan den IJssel"]) | texts(6),
    phone=st.sampled_from(["0800-6070", "+31 (0)30 123 45 67", "112", "0800 6070 1234 5678 90"]),
    lines=st.integers(3, 5) | st.integers(1, 2),
    chars=st.integers(14, 24) | st.integers(6, 13),
)
def test_the_create_checks_say_what_the_channels_say(lines, chars, **fields):
    alert = _alert(**fields)
    ours, theirs = checks.SignProfile(lines, chars), signs.SignProfile(lines, chars)
    assert _verdict(checks.sign_lines, alert, ours) == _verdict(signs.sign_lines, alert, theirs)
    assert _verdict(checks.post_text, alert) == _verdict(social_media.post_text, alert)
    assert _verdict(checks.check_push, alert) == _verdict(app_push.check_renderable, alert)


def test_a_refused_create_names_each_channel_and_the_field_to_change():
    alert = _alert(
        "kind_alarm",
        "Maximiliaan-Alexander",
        None,
        "Wolfeschlegelsteinhausen" * 20,
        None,
        "Bel 112.",
        None,
        "Ede",
        "112",
    )
    with pytest.raises(InvalidAlertError) as caught:
        checks.content_check(checks.SignProfile(3, 12))(alert)
    assert [(error.detail, error.pointer) for error in caught.value.errors] == [
        ("social_media: the post does not fit X's 280 characters", "/headline/nl"),
        ("road_signs: the first name is longer than a road-sign line (12 characters)", "/child/name"),
    ]


def test_a_level_is_checked_only_for_its_channels():
    alert = _alert("vermist_kind", "Maximiliaan-Alexander", None, "Vermist", None, "Bel 112.", None, "Ede", "112")
    checks.content_check(checks.SignProfile(3, 12))(alert)  # no road signs for a vermist_kind alert
