"""The structured logger. Log lines carry alert ids and references, never the child's details."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="kind-alarm-api")
