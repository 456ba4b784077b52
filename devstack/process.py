"""The local stack as a child process on free ports: for the end-to-end tests, `make demo` and the benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class LocalStackProcess:
    api: str
    aws: str
    sink: str
    site: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def follow(self) -> LocalStackProcess:
        """Keep reading its output (every log line of every function) so that it never blocks on a full pipe."""

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line.rstrip("\n"))

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        return self

    def stop(self) -> int:
        """Stop it as Ctrl-C would, and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=20)
        if self._reader is not None:
            self._reader.join(timeout=10)
        return self.process.returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_local_stack(timeout: float = 60.0) -> LocalStackProcess:
    ports = {"api": free_port(), "moto": free_port(), "sink": free_port(), "site": free_port()}
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    command = [sys.executable, "-m", "devstack.stack"]
    command += [f"--{name}-port={port}" for name, port in ports.items()]
    process = subprocess.Popen(  # noqa: S603 - our own module, with our own arguments
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError("the local stack exited early:\n" + "\n".join(output))
        output.append(line.rstrip("\n"))
        if line.strip() == "ready":
            api, aws, sink, site = (f"http://127.0.0.1:{ports[name]}" for name in ("api", "moto", "sink", "site"))
            return LocalStackProcess(api=api, aws=aws, sink=sink, site=site, process=process, output=output).follow()
    process.kill()
    raise RuntimeError("the local stack did not become ready:\n" + "\n".join(output))
