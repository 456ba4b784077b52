"""Combine resources.json and functions.json into the one template `chalice package --merge-template` takes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parent


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_template() -> dict[str, Any]:
    resources = json.loads((INFRA / "resources.json").read_text(encoding="utf-8"))
    functions = json.loads((INFRA / "functions.json").read_text(encoding="utf-8"))
    functions.pop("Description", None)
    return deep_merge(resources, functions)


if __name__ == "__main__":
    json.dump(merge_template(), sys.stdout, indent=2)
    sys.stdout.write("\n")
