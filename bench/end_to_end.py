"""Seconds from `POST /alerts` to each delivery, in the local stack (moto server, chalice local, event runner).

For several alerts in a row: the median time for the API to answer the POST (the floor), the median time
until each webhook partner had received the alert (seen from outside, at the partner sink), and per channel
the median `seconds_to_delivery` the channel recorded (from the accepted change to its delivery).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.channels.policy import deployed_channels_for
from devstack.process import start_local_stack
from devstack.samples import sample_alert

ALERTS = 12
PARTNERS = ("anp", "nos", "rws-tmc", "ns-screens")
CHANNELS = deployed_channels_for("kind_alarm")


def one_alert(api: str, sink: str, index: int) -> tuple[float, dict[str, float], dict[str, float]]:
    started = time.monotonic()
    alert = requests.post(f"{api}/alerts", json=sample_alert(f"BN-BENCH-{index}"), timeout=10).json()
    answered = time.monotonic() - started
    arrived: dict[str, float] = {}
    while True:
        if time.monotonic() - started > 60:
            raise TimeoutError(f"alert {index} was not delivered everywhere within 60 s")
        for item in requests.get(f"{sink}/deliveries", timeout=5).json():
            if item["payload"]["alert"]["id"] == alert["id"] and item["partner"] not in arrived:
                arrived[item["partner"]] = time.monotonic() - started
        records = requests.get(f"{api}/alerts/{alert['id']}", timeout=5).json()["deliveries"]
        if len(arrived) == len(PARTNERS) and all(records.get(c, {}).get("state") == "delivered" for c in CHANNELS):
            recorded = {channel: float(records[channel]["seconds_to_delivery"]) for channel in CHANNELS}
            return answered, arrived, recorded
        time.sleep(0.02)


def main() -> None:
    stack = start_local_stack()
    answers: list[float] = []
    arrivals: dict[str, list[float]] = defaultdict(list)
    recorded: dict[str, list[float]] = defaultdict(list)
    try:
        one_alert(stack.api, stack.sink, -1)  # warm-up: first imports and connections
        for index in range(ALERTS):
            answered, arrived, seconds = one_alert(stack.api, stack.sink, index)
            answers.append(answered)
            for partner, value in arrived.items():
                arrivals[partner].append(value)
            for channel, value in seconds.items():
                recorded[channel].append(value)
    finally:
        stack.stop()
    floor = statistics.median(answers)
    print(f"POST /alerts answered (floor): median {floor:.3f} s over {ALERTS} kind_alarm alerts")
    for partner, values in sorted(arrivals.items()):
        median = statistics.median(values)
        print(f"  at partner {partner:<11} median {median:.3f} s after the POST ({median / floor:.0f}x the floor)")
    for channel, values in sorted(recorded.items()):
        print(f"  {channel:<16} recorded seconds_to_delivery: median {statistics.median(values):.3f} s")
    print("the local event runner polls the stream 4 times a second and the channel queues side by side")


if __name__ == "__main__":
    main()
