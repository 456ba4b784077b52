"""Start the local stack on 127.0.0.1: moto server with the infra template deployed, the partner sink, the public
site (the bucket's ``site/``), the event runner, then `chalice local`.

Run it with ``make run`` (or ``python -m devstack.stack``); Ctrl-C stops everything.
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
import warnings
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from devstack.api_server import LOCAL_STACK_VARIABLES
from devstack.partners import local_partners, store_secrets
from devstack.resources import deploy_resources
from devstack.sink import PartnerSink
from devstack.site_server import SiteServer
from devstack.wiring import event_runner, function_environment

ROOT = Path(__file__).resolve().parents[1]
STAGE = "local"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "eu-west-1"}


def main(argv: list[str] | None = None) -> int:
    options = _parse(argv)
    with ExitStack() as stack:
        endpoint = start_moto(options.moto_port, stack)
        ports = Ports(options.api_port, options.sink_port, options.site_port)
        backend = start_backend(endpoint, ports, stack, canary_every=options.canary_every)
        api = start_api(endpoint, options.api_port, backend.environment, stack)
        _print_banner(endpoint, api, backend)
        _wait_for_signal()
    print("local stack stopped", flush=True)
    return 0


def start_moto(port: int, stack: ExitStack) -> str:
    from devstack.moto_server import AtomicMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # moto names each template resource type it skips; subscriptions are made up for, policies it does not enforce.
    logging.getLogger("moto.cloudformation").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS::")
    server = AtomicMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    stack.callback(server.stop)
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update({**LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled"})
    return endpoint


@dataclass(frozen=True)
class Ports:
    api: int
    sink: int
    site: int


@dataclass
class Backend:
    outputs: dict[str, str]
    environment: dict[str, str]
    sink: PartnerSink
    site: SiteServer


def start_backend(endpoint: str, ports: Ports, stack: ExitStack, canary_every: int | None = None) -> Backend:
    """The resources of infra/ in moto, the partner sink, the public site, and the event runner driving the handlers.

    Every function links to the API and the site where this stack serves them (``ports``). With ``canary_every``
    (seconds) the canary's schedule runs too: a run that often (devstack/canary.py).
    """
    import boto3

    session = boto3.session.Session(region_name=LOCAL_CREDENTIALS["AWS_DEFAULT_REGION"])
    outputs = deploy_resources(STAGE, session)
    sink = PartnerSink(ports.sink).start()
    stack.callback(sink.stop)
    site = SiteServer(session.client("s3"), outputs["PhotosBucketName"], ports.site).start()
    stack.callback(site.stop)
    directory, partner_secrets = local_partners(sink.url, STAGE)
    sink.trust(partner_secrets)
    store_secrets(directory, partner_secrets, session.client("ssm"))
    api_url = f"http://127.0.0.1:{ports.api}"
    environment = function_environment(
        outputs, STAGE, directory, retry_base_seconds=2, api_url=api_url, site_url=site.url
    )
    if canary_every is not None:
        environment["CANARY_EVERY_SECONDS"] = str(canary_every)
    os.environ.update(environment)
    import app

    runner = event_runner(app, session, outputs, parallel=True).start()
    stack.callback(runner.stop)
    if canary_every is not None:
        from devstack.canary import CanaryTicker

        stack.callback(CanaryTicker(app.canary).start().stop)
    return Backend(outputs, environment, sink, site)


def start_api(endpoint: str, port: int, function_env: dict[str, str], stack: ExitStack) -> str:
    command = [
        sys.executable,
        "-m",
        "devstack.api_server",
        "local",
        "--stage",
        STAGE,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-autoreload",
    ]
    environment = {
        **os.environ,
        **LOCAL_CREDENTIALS,
        **function_env,
        LOCAL_STACK_VARIABLES: ",".join(function_env),
        "AWS_ENDPOINT_URL": endpoint,
        "PYTHONUNBUFFERED": "1",
    }
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


def _print_banner(endpoint: str, api: str, backend: Backend) -> None:
    lines = [
        "Kind Alarm local stack is running (Ctrl-C stops it):",
        f"  API (chalice local, stage {STAGE}):  {api}",
        f"  AWS endpoint (moto server):          {endpoint}   state: {endpoint}/moto-api/data.json",
        f"  partner sink (deliveries page):      {backend.sink.url}/",
        f"  public site (the bucket's site/):    {backend.site.url}/   pages: {backend.site.url}/alerts/<id>.html",
        "  event runner: tailing the alerts stream and the channel queues",
        *(
            [f"  canary: a run every {every} s to every channel's sandbox and back   runs: {api}/canary"]
            if (every := backend.environment.get("CANARY_EVERY_SECONDS"))
            else []
        ),
        *(f"  {key}: {value}" for key, value in sorted(backend.outputs.items())),
        f"  try:  curl -s {api}/alerts/<id>",
        "ready",
    ]
    print("\n".join(lines), flush=True)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")))
    parser.add_argument("--sink-port", type=int, default=int(os.environ.get("SINK_PORT", "8025")))
    parser.add_argument("--site-port", type=int, default=int(os.environ.get("SITE_PORT", "8030")))
    parser.add_argument(
        "--canary-every",
        type=int,
        default=int(os.environ["CANARY_EVERY"]) if os.environ.get("CANARY_EVERY") else None,
        help="run the canary every this many seconds (at least 60; off unless given)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
