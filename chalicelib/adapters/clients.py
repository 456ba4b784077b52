"""AWS clients, built lazily once per process so warm invocations reuse their connections."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.config import get_settings


def _client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 4})
    return boto3.session.Session().client(service, region_name=get_settings().aws_default_region, config=config)


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    return _client("dynamodb")


@lru_cache(maxsize=1)
def sns_client() -> Any:
    return _client("sns")


@lru_cache(maxsize=1)
def sqs_client() -> Any:
    return _client("sqs")


@lru_cache(maxsize=1)
def s3_client() -> Any:
    return _client("s3")


@lru_cache(maxsize=1)
def ssm_client() -> Any:
    return _client("ssm")


@lru_cache(maxsize=1)
def cloudfront_client() -> Any:
    return _client("cloudfront")


def reset_clients() -> None:
    """Forget every client, for a process whose endpoint or credentials changed (tests, the local stack)."""
    for factory in (dynamodb_client, sns_client, sqs_client, s3_client, ssm_client, cloudfront_client):
        factory.cache_clear()
