"""Partner secrets from SSM Parameter Store (SecureString), cached for a few minutes per process."""

from __future__ import annotations

from typing import Any

SECRET_MAX_AGE_SECONDS = 300


class ParameterSecrets:
    def __init__(self, ssm_client: Any) -> None:
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        self._provider = SSMProvider(boto3_client=ssm_client)

    def get(self, name: str) -> str:
        return str(self._provider.get(name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS))
