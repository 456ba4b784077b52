"""Cold start as Lambda sees it: a fresh interpreter on the deployment zip's contents, against a moto server.

Measures, from process start, the first answered ``POST /alerts`` and the first processed channel message
(cap_feed: read the alert, render CAP, write the feed), each from the zip with its precompiled bytecode and
from the same files without it (what every cold start on a read-only /var/task pays when the zip has none).
The floor, measured side by side: a bare process that imports boto3 and makes one ``put_item``.

Prints medians over interleaved runs and their ratios to the floor. Target: the API's first answer within
1.3x of the floor. Builds ``build/dev/deployment.zip`` with ``make package`` when it is missing; ``BENCH_ZIP``
names another zip (one built elsewhere, so that two people measuring do not overwrite each other's).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ZIP = Path(os.environ.get("BENCH_ZIP", ROOT / "build" / "dev" / "deployment.zip"))
RUNS = int(os.environ.get("BENCH_RUNS", "9"))

FLOOR = """
import boto3
boto3.client("dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": "floor"}, "sk": {"S": "floor"}})
"""
API = """
import app
reply = app.app(EVENT, CONTEXT)
assert reply["statusCode"] == 201, reply
"""
CHANNEL = """
import app
reply = app.cap_feed(EVENT, CONTEXT)
assert reply == {"batchItemFailures": []}, reply
"""
PRELUDE = """
import json, sys, time, types
TABLE, EVENT = sys.argv[1], json.loads(sys.argv[2])
CONTEXT = types.SimpleNamespace(function_name="cold-start", aws_request_id="cold-start", memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:cold-start",
    get_remaining_time_in_millis=lambda: 30000)
"""
DONE = "\nprint(time.time())\n"


def ensure_zip() -> None:
    if not ZIP.exists():
        subprocess.run(["make", "package", "STAGE=dev"], cwd=ROOT, check=True, capture_output=True)


def unpack(target: Path, keep_bytecode: bool) -> Path:
    with zipfile.ZipFile(ZIP) as archive:
        archive.extractall(target)
    if not keep_bytecode:
        for cache in list(target.rglob("__pycache__")):
            shutil.rmtree(cache)
    return target


def api_event(reference: str) -> dict[str, Any]:
    from devstack.samples import sample_alert

    body = json.dumps(sample_alert(reference=reference, status="exercise"))
    return {
        "resource": "/alerts",
        "path": "/alerts",
        "httpMethod": "POST",
        "headers": {"content-type": "application/json", "host": "bench"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/alerts",
            "httpMethod": "POST",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
        },
    }


def channel_event(alert: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    event = {
        "alert_id": alert["id"],
        "version": alert["version"],
        "kind": "published",
        "level": alert["level"],
        "status": alert["status"],
        "occurred_at": alert["updated_at"],
    }
    record = {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "bench",
        "body": json.dumps(event),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "eu-west-1",
    }
    return {"Records": [record]}


def first_answer(code: Path, body: str, table: str, event: dict[str, Any], environment: dict[str, str]) -> float:
    """Seconds from spawning a fresh interpreter on ``code`` to its first answer."""
    # -S: no site-packages, so only what the zip holds is importable, as in Lambda.
    command = [sys.executable, "-S", "-c", PRELUDE + body + DONE, table, json.dumps(event)]
    env = {**environment, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.time()
    # The working directory is the code's, as /var/task is in Lambda (and -c puts it first on sys.path).
    result = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:] + result.stderr[-2000:])
    return float(result.stdout.strip().splitlines()[-1]) - started


def start_backend(stack: ExitStack) -> tuple[dict[str, str], dict[str, str]]:
    import boto3

    from chalicelib.channels.targets import PartnerDirectory
    from devstack.resources import deploy_resources
    from devstack.stack import start_moto
    from devstack.wiring import function_environment

    start_moto(5099, stack)
    outputs = deploy_resources("local", boto3.session.Session(region_name="eu-west-1"))
    environment = function_environment(outputs, "local", PartnerDirectory(channels={}), retry_base_seconds=0)
    base = {key: value for key, value in os.environ.items() if key.startswith(("AWS_", "PATH", "HOME", "LANG"))}
    return outputs, {
        **base,
        **environment,
        "ALERTS_TABLE": outputs["AlertsTableName"],
        "POWERTOOLS_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }


def create_alert(code: Path, table: str, environment: dict[str, str]) -> dict[str, Any]:
    script = PRELUDE + "import app\nprint(app.app(EVENT, CONTEXT)['body'])\n"
    command = [sys.executable, "-S", "-c", script, table, json.dumps(api_event(f"BN-BENCH-{uuid.uuid4().hex[:12]}"))]
    env = {**environment, "PYTHONPATH": str(code)}
    result = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def fresh_stack() -> None:
    """Reset moto and deploy the resources again (a quarter of a second; every name stays the same).

    moto deep-copies a table, with every stream record it ever kept, for each ``TransactWriteItems`` (to undo a
    failed one), so its transactions slow down with every write of earlier runs: 5 ms at first, 120 ms after
    400 writes. DynamoDB's do not; every run starts from a fresh stack, so every run measures the same thing.
    """
    import urllib.request

    import boto3

    from devstack.resources import deploy_resources

    reset = urllib.request.Request(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/reset", method="POST")
    with urllib.request.urlopen(reset, timeout=10):
        pass
    deploy_resources("local", boto3.session.Session(region_name="eu-west-1"))


def measure(
    with_code: Path, without_code: Path, outputs: dict[str, str], env: dict[str, str]
) -> dict[str, list[float]]:
    table, queue = outputs["AlertsTableName"], outputs["CapFeedQueueArn"]
    times: dict[str, list[float]] = {}
    for _ in range(RUNS):  # interleaved, so that machine noise hits every variant alike
        for label, code in (("bytecode", with_code), ("no bytecode", without_code)):
            fresh_stack()
            times.setdefault(f"floor ({label})", []).append(first_answer(code, FLOOR, table, {}, env))
            reference = f"BN-BENCH-{uuid.uuid4().hex[:12]}"
            times.setdefault(f"api POST /alerts ({label})", []).append(
                first_answer(code, API, table, api_event(reference), env)
            )
            alert = create_alert(with_code, table, env)
            times.setdefault(f"cap_feed message ({label})", []).append(
                first_answer(code, CHANNEL, table, channel_event(alert, queue), env)
            )
    return times


def report(times: dict[str, list[float]]) -> None:
    floor = statistics.median(times["floor (bytecode)"])
    print(f"fresh interpreter to first answer, median of {RUNS} runs; floor = boto3 import + one put_item")
    for label, samples in times.items():
        median = statistics.median(samples)
        print(f"  {label:34s} {median * 1000:7.0f} ms   {median / floor:4.2f}x floor")
    api = statistics.median(times["api POST /alerts (bytecode)"])
    verdict = "met" if api <= 1.3 * floor else "NOT met"
    print(f"target: API first answer within 1.3x of the floor: {api / floor:.2f}x ({verdict})")


def main() -> None:
    ensure_zip()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as scratch:
        with_code = unpack(Path(scratch) / "with", keep_bytecode=True)
        without_code = unpack(Path(scratch) / "without", keep_bytecode=False)
        outputs, environment = start_backend(stack)
        report(measure(with_code, without_code, outputs, environment))


if __name__ == "__main__":
    main()
