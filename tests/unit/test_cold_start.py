"""The API function imports nothing heavy until a request needs it (an alert may follow months of silence)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("shapely", "numpy", "boto3", "PIL", "h3", "moto", "aws_lambda_powertools.utilities.batch")


def test_importing_the_api_loads_no_heavy_module():
    script = f"import json, sys, app; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []
