"""Each function's memory: the peak bench/memory.py measured on its worst accepted input, and the size it is given.

infra/merge.py puts these sizes into the template; tests/infra/test_memory.py holds the packaged template to them
and every size to at least HEADROOM times its peak. Memory also buys CPU: Lambda gives a function a share of a vCPU
in proportion to its memory, a full vCPU at 1,769 MB. The functions on an alert's way out (the API, photo uploads,
the dispatcher, the seven channels) run cold nearly every time, a few alerts a year, and one cold start after the
other stands between Burgernet's call and the last channel: they get a full vCPU. At HEADROOM times their peak
(a tenth to two fifths of a vCPU) their cold starts would take two to five times as long (bench/memory.py prints
both). The rest run on a schedule or for SNS reports no one waits for: HEADROOM times the peak, in 64 MB steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra import iam

HEADROOM = 1.5
FULL_VCPU_MB = 1769


@dataclass(frozen=True)
class FunctionMemory:
    """``peak_mb``: VmHWM in MiB from bench/memory.py on ``worst_input``; ``size_mb``: the function's MemorySize."""

    peak_mb: int
    worst_input: str
    size_mb: int


# Measured with bench/memory.py (3 runs, VmHWM in MiB) on the zip of the commit that set them.
MEMORY: dict[str, FunctionMemory] = {
    # On an alert's way out: a full vCPU.
    "APIHandler": FunctionMemory(460, "POST /alerts, JSON of 150k members", FULL_VCPU_MB),
    "PhotoUpload": FunctionMemory(385, "5 uploads of 25 MiB", FULL_VCPU_MB),
    "Dispatch": FunctionMemory(160, "6 MB batch, 2,000-point areas", FULL_VCPU_MB),
    "AppPush": FunctionMemory(125, "batch of 5 alerts", FULL_VCPU_MB),
    "CapFeed": FunctionMemory(101, "batch of 1 alert", FULL_VCPU_MB),
    "NewsMedia": FunctionMemory(101, "batch of 10 alerts", FULL_VCPU_MB),
    "SocialMedia": FunctionMemory(125, "batch of 5 alerts", FULL_VCPU_MB),
    "RoadSigns": FunctionMemory(120, "batch of 5 alerts", FULL_VCPU_MB),
    "StationScreens": FunctionMemory(134, "batch of 5 alerts", FULL_VCPU_MB),
    "Web": FunctionMemory(112, "batch of 1 alert", FULL_VCPU_MB),
    # No one waits for them: HEADROOM x peak, rounded up to 64 MB.
    "PushEvents": FunctionMemory(70, "an endpoint report", 128),
    "WatchDeliveries": FunctionMemory(60, "the schedule's event", 128),
    "ExpireAlerts": FunctionMemory(93, "the schedule's event", 192),
    "PurgeAlerts": FunctionMemory(71, "the schedule's event", 128),
    "Canary": FunctionMemory(66, "the schedule's event", 128),
}


# A channel function the table does not name (a new channel, not measured yet) runs on an alert's way out: a full vCPU.
CHANNEL_SIZE_MB = FULL_VCPU_MB


def size_mb(resource: str) -> int:
    """The MemorySize of a function: the table's, or for a channel function it does not name, CHANNEL_SIZE_MB."""
    if resource in MEMORY:
        return MEMORY[resource].size_mb
    if resource in iam.CHANNEL_QUEUES:
        return CHANNEL_SIZE_MB
    raise KeyError(f"{resource} has no memory size: measure it with bench/memory.py and add it to MEMORY")


def cpu_share(size_mb: int) -> float:
    """The share of a vCPU Lambda gives a function of this size (more than one vCPU above 1,769 MB)."""
    return size_mb / FULL_VCPU_MB


def template() -> dict[str, Any]:
    """The MemorySize of every function, to merge over `chalice package`'s output."""
    return {"Resources": {name: {"Properties": {"MemorySize": size_mb(name)}} for name in iam.FUNCTIONS}}
