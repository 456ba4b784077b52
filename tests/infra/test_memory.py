"""Every function's memory comes from one table (infra/memory.py), measured by bench/memory.py, with headroom."""

from __future__ import annotations

import base64
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra import iam
from infra.memory import FULL_VCPU_MB, HEADROOM, MEMORY, cpu_share

ROOT = Path(__file__).resolve().parents[2]
# Lambda's own limits: MemorySize in MB, and a synchronous invocation's payload (the whole API Gateway event).
LAMBDA_MEMORY = range(128, 10240 + 1)
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
EVENT_ENVELOPE_BYTES = 16 * 1024  # headers, request context, identity: what API Gateway wraps around the body


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The prod template as `make package` builds it, in a folder of its own (the other infra tests use build/)."""
    folder = tmp_path_factory.mktemp("package")
    merge = folder / "merge-template.json"
    # No credentials, only a region: what a developer without an account has.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment["AWS_DEFAULT_REGION"] = "eu-west-1"
    merged = subprocess.run(
        [sys.executable, "infra/merge.py"], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    merge.write_text(merged.stdout, encoding="utf-8")
    chalice = Path(sys.executable).parent / "chalice"
    command = [str(chalice), "package", "--stage", "prod", "--merge-template", str(merge), str(folder / "out")]
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return dict(json.loads((folder / "out" / "sam.json").read_text(encoding="utf-8")))


def functions(template: dict[str, Any]) -> dict[str, Any]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_every_packaged_function_has_the_size_the_table_gives_it(template):
    packaged = functions(template)
    assert set(packaged) == set(MEMORY)
    assert {name: properties["MemorySize"] for name, properties in packaged.items()} == {
        name: memory.size_mb for name, memory in MEMORY.items()
    }


def test_the_table_names_every_function_and_nothing_else():
    assert set(MEMORY) == set(iam.FUNCTIONS)


@pytest.mark.parametrize("name", sorted(MEMORY))
def test_each_size_holds_its_measured_peak_with_headroom_within_lambdas_limits(name):
    memory = MEMORY[name]
    assert memory.size_mb in LAMBDA_MEMORY
    assert memory.size_mb >= HEADROOM * memory.peak_mb, f"{name}: run bench/memory.py and size it again"
    assert memory.worst_input


def test_only_the_table_sets_memory():
    """A MemorySize left in functions.json would be overridden silently, or would override the measurement."""
    document = json.loads((ROOT / "infra" / "functions.json").read_text(encoding="utf-8"))
    assert not [
        name for name, resource in document["Resources"].items() if "MemorySize" in resource.get("Properties", {})
    ]


def test_the_functions_that_decode_photos_and_parse_the_largest_bodies_get_a_full_vcpu():
    # They are on an alert's way out and run cold nearly every time: CPU share is their cold start.
    for name in ("APIHandler", "PhotoUpload", "Dispatch"):
        assert cpu_share(MEMORY[name].size_mb) >= 1.0
    assert cpu_share(FULL_VCPU_MB) == 1.0


def test_the_body_limit_holds_the_largest_inline_photo_and_fits_a_lambda_invocation():
    from chalicelib.config import Settings
    from chalicelib.models.alert import MAX_PHOTO_BYTES, MAX_RING_POSITIONS
    from devstack.samples import sample_alert

    limit = Settings().max_body_bytes
    # Given the largest inline photo and a detailed polygon area (a 15 km circle of the most points a ring takes)
    turn = math.tau / (MAX_RING_POSITIONS - 1)
    ring = [
        [round(5.11 + 0.2 * math.cos(i * turn), 6), round(52.09 + 0.13 * math.sin(i * turn), 6)]
        for i in range(MAX_RING_POSITIONS)
    ]
    body = sample_alert(
        photo={"content_type": "image/jpeg", "data": base64.b64encode(b"\xff" * MAX_PHOTO_BYTES).decode()},
        area={"type": "polygon", "coordinates": [ring]},
    )
    # Then the body is within the limit, and the limit within what Lambda takes in one invocation
    assert len(json.dumps(body).encode()) <= limit
    assert limit + EVENT_ENVELOPE_BYTES <= LAMBDA_PAYLOAD_BYTES
