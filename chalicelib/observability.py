"""The structured logger. Log lines carry alert ids and references, never the child's details."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger

logger = Logger(service="kind-alarm-api")

# At DEBUG, botocore and urllib3 log whole request bodies, which hold the child's details.
# Cap them at INFO so that turning on debug logging can never leak them.
for _name in ("botocore", "boto3", "urllib3", "s3transfer"):
    logging.getLogger(_name).setLevel(logging.INFO)
