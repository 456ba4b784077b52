"""Start the local stack on 127.0.0.1: moto server with the infra template deployed, then `chalice local`.

Run it with ``make run`` (or ``python -m chalicelib.local.stack``); Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "resources.json"
STAGE = "local"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "eu-west-1"}


def main(argv: list[str] | None = None) -> int:
    options = _parse(argv)
    with ExitStack() as stack:
        endpoint = start_moto(options.moto_port, stack)
        outputs = deploy_resources(endpoint)
        api = start_api(endpoint, options.api_port, stack)
        _print_banner(endpoint, api, outputs)
        _wait_for_signal()
    print("local stack stopped", flush=True)
    return 0


def start_moto(port: int, stack: ExitStack) -> str:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    stack.callback(server.stop)
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update({**LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint})
    return endpoint


def deploy_resources(endpoint: str) -> dict[str, str]:
    """Create the infra template as a CloudFormation stack in moto, so the template itself is exercised."""
    import boto3

    cloudformation = boto3.client("cloudformation", endpoint_url=endpoint, region_name="eu-west-1")
    name = f"kind-alarm-{STAGE}"
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": STAGE}],
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {name} ended in {stack['StackStatus']}")
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def start_api(endpoint: str, port: int, stack: ExitStack) -> str:
    chalice = Path(sys.executable).with_name("chalice")
    command = [str(chalice), "local", "--stage", STAGE, "--host", "127.0.0.1", "--port", str(port), "--no-autoreload"]
    environment = {**os.environ, **LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)  # noqa: S603
    stack.callback(_stop, process)
    url = f"http://127.0.0.1:{port}"
    _wait_until_serving(url, process)
    return url


def _wait_until_serving(url: str, process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chalice local exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"{url}/alerts/00000000-0000-4000-8000-000000000000", timeout=1)  # noqa: S310
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
            continue
        return
    raise RuntimeError(f"chalice local did not answer on {url} within {timeout:.0f} s")


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_for_signal() -> None:
    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stopping:
        time.sleep(0.2)


def _print_banner(endpoint: str, api: str, outputs: dict[str, str]) -> None:
    lines = [
        "Kind Alarm local stack is running (Ctrl-C stops it):",
        f"  API (chalice local, stage {STAGE}):  {api}",
        f"  AWS endpoint (moto server):          {endpoint}   state: {endpoint}/moto-api/data.json",
        *(f"  {key}: {value}" for key, value in sorted(outputs.items())),
        f"  try:  curl -s {api}/alerts/<id>",
        "ready",
    ]
    print("\n".join(lines), flush=True)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")))
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
