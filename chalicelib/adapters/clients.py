"""AWS clients, built lazily once per process so warm invocations reuse their connections."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.config import get_settings


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"mode": "standard", "max_attempts": 4},
    )
    return boto3.session.Session().client("dynamodb", region_name=get_settings().aws_default_region, config=config)
