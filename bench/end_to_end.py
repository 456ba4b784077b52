"""Seconds from `POST /alerts` to each delivery, in the local stack (moto server, chalice local, event runner).

Prints the median and spread over several alerts, per newsroom, next to the floor of the same stack:
the median time for the API to answer the POST itself.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.local.process import start_local_stack
from chalicelib.local.samples import sample_alert

ALERTS = 15
PARTNERS = ("anp", "nos")


def one_alert(api: str, sink: str, index: int) -> tuple[float, dict[str, float]]:
    started = time.monotonic()
    alert = requests.post(f"{api}/alerts", json=sample_alert(f"BN-BENCH-{index}"), timeout=10).json()
    answered = time.monotonic() - started
    arrived: dict[str, float] = {}
    while len(arrived) < len(PARTNERS):
        if time.monotonic() - started > 30:
            raise TimeoutError(f"alert {index} was not delivered within 30 s")
        for item in requests.get(f"{sink}/deliveries", timeout=5).json():
            if item["payload"]["alert"]["id"] == alert["id"] and item["partner"] not in arrived:
                arrived[item["partner"]] = time.monotonic() - started
        time.sleep(0.02)
    return answered, arrived


def main() -> None:
    stack = start_local_stack()
    try:
        one_alert(stack.api, stack.sink, -1)  # warm-up: first imports and connections
        answers: list[float] = []
        per_partner: dict[str, list[float]] = {partner: [] for partner in PARTNERS}
        for index in range(ALERTS):
            answered, arrived = one_alert(stack.api, stack.sink, index)
            answers.append(answered)
            for partner, arrival in arrived.items():
                per_partner[partner].append(arrival)
    finally:
        stack.stop()
    floor = statistics.median(answers)
    print(f"POST /alerts answered (floor): median {floor:.3f} s over {ALERTS} alerts")
    for partner, arrivals in per_partner.items():
        median = statistics.median(arrivals)
        print(
            f"news_media -> {partner}: median {median:.3f} s (min {min(arrivals):.3f}, max {max(arrivals):.3f}),"
            f" {median / floor:.1f}x the POST"
        )
    print("the event runner polls the stream 4 times a second, as Lambda does: expect about 0.125 s of that")


if __name__ == "__main__":
    main()
