"""The local stack as `make run` starts it, on free ports, driven over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LocalStack:
    api: str
    aws: str
    sink: str
    process: subprocess.Popen[str]
    output: list[str]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=20)
        rest = self.process.stdout.read() if self.process.stdout else ""
        self.output.extend(rest.splitlines())
        return self.process.returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_local_stack() -> LocalStack:
    api_port, moto_port, sink_port = free_port(), free_port(), free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "chalicelib.local.stack"),
            *("--api-port", str(api_port), "--moto-port", str(moto_port), "--sink-port", str(sink_port)),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError("local stack exited early:\n" + "".join(output))
        output.append(line.rstrip("\n"))
        if line.strip() == "ready":
            api, aws, sink = (f"http://127.0.0.1:{port}" for port in (api_port, moto_port, sink_port))
            return LocalStack(api=api, aws=aws, sink=sink, process=process, output=output)
    process.kill()
    raise RuntimeError("local stack did not become ready:\n" + "\n".join(output))


@pytest.fixture(scope="module")
def local_stack() -> Iterator[LocalStack]:
    stack = start_local_stack()
    yield stack
    stack.stop()
