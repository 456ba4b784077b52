"""Cold start of the API function: importing `app` in a fresh interpreter, against importing Chalice alone.

Prints the median of several fresh-interpreter imports of each, and their ratio. The baseline is the
floor any Chalice function pays; the difference is what Kind Alarm's own import adds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 15
TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str) -> float:
    script = TIMER.format(module=module)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(result.stdout)


def main() -> None:
    baseline, api = [], []
    for _ in range(RUNS):  # interleaved, so that machine noise hits both alike
        baseline.append(import_seconds("chalice.app"))
        api.append(import_seconds("app"))
    base_ms, api_ms = statistics.median(baseline) * 1000, statistics.median(api) * 1000
    print(f"import chalice.app (baseline): median {base_ms:7.1f} ms over {RUNS} fresh interpreters")
    print(f"import app (Kind Alarm API):   median {api_ms:7.1f} ms over {RUNS} fresh interpreters")
    print(f"ratio app / baseline: {api_ms / base_ms:.2f}x; added by Kind Alarm: {api_ms - base_ms:.1f} ms")


if __name__ == "__main__":
    main()
