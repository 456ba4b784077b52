"""The API function imports nothing heavy until a request needs it (an alert may follow months of silence)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    # The create checks run the channels' own text rules (texts), which are pure and light.
    if path.stem not in {"__init__", "checks", "policy", "texts", "targets"}
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
