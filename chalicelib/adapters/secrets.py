"""Partner secrets from SSM Parameter Store (SecureString), cached for a few minutes per process; a secret that
cannot be read fails with a sentence naming its parameter and the cause."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.failures import PartnerError

SECRET_MAX_AGE_SECONDS = 300.0
# SSM's error code for a parameter that is not there: for an optional one (a previous secret), its usual state.
NOT_FOUND = "ParameterNotFound"


class SecretError(PartnerError):
    """A partner's secret could not be read or used: ``secret <parameter>: <cause>``, the cause being SSM's error
    code (``ParameterNotFound``, ``AccessDenied``, ``Throttling``) or what is wrong with the value."""

    def __init__(self, parameter: str, cause: str) -> None:
        super().__init__(f"secret {parameter}: {cause}")
        self.parameter = parameter
        self.cause = cause


class ParameterSecrets:
    """SecureString parameters, each value (or, for an optional one, its absence) kept for SECRET_MAX_AGE_SECONDS.

    Not powertools' SSMProvider: it keeps no absence, so an optional parameter that is not there would be asked
    for at every delivery, and it folds every failure into one GetParameterError whose text is all that is left,
    where a delivery's detail must name the cause.
    """

    def __init__(self, ssm_client: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = ssm_client
        self._clock = clock
        self._kept: dict[str, tuple[float, str | None]] = {}

    def get(self, name: str) -> str:
        """The value of ``name``; SecretError when it cannot be read (an absence is not kept: the next call asks)."""
        value = self._read(name, keep_absence=False)
        if value is None:
            raise SecretError(name, NOT_FOUND)
        return value

    def get_optional(self, name: str) -> str | None:
        """The value of ``name``, or None when there is no such parameter; SecretError on any other failure."""
        return self._read(name, keep_absence=True)

    def forget(self, *names: str) -> None:
        """Read these again on their next use: what is stored may have changed since (a rotation, a fix)."""
        for name in names:
            self._kept.pop(name, None)

    def _read(self, name: str, keep_absence: bool) -> str | None:
        now = self._clock()
        kept = self._kept.get(name)
        if kept is not None and kept[0] > now:
            return kept[1]
        value = self._fetch(name)
        if value is not None or keep_absence:
            self._kept[name] = (now + SECRET_MAX_AGE_SECONDS, value)
        return value

    def _fetch(self, name: str) -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return str(self._client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code == NOT_FOUND:
                return None
            # botocore's code without its suffix: AccessDeniedException -> AccessDenied, as IAM and the console say.
            raise SecretError(name, code.removesuffix("Exception") or type(error).__name__) from None
        except BotoCoreError as error:
            raise SecretError(name, type(error).__name__) from None
