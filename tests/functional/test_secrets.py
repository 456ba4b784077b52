"""Partner secrets read from SSM Parameter Store (moto): what is kept and for how long, and each failure named by
its parameter and its cause."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from chalicelib.adapters.secrets import SECRET_MAX_AGE_SECONDS, ParameterSecrets, SecretError

SECRET = "/kind-alarm/local/partners/news_media/anp/secret"
PREVIOUS = "/kind-alarm/local/partners/news_media/anp/previous"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ssm() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ssm", region_name="eu-west-1")


def reads_of(client: Any) -> list[str]:
    """The names every GetParameter call asks for, as SSM sees them."""
    asked: list[str] = []
    client.meta.events.register(
        "provide-client-params.ssm.GetParameter", lambda params, **_: asked.append(params["Name"])
    )
    return asked


def store(ssm: Any, name: str, value: str) -> None:
    ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def test_a_missing_secret_names_its_parameter_and_parameter_not_found(ssm):
    with pytest.raises(SecretError) as raised:
        ParameterSecrets(ssm).get(SECRET)
    assert str(raised.value) == f"secret {SECRET}: ParameterNotFound"


def test_a_secret_the_function_may_not_read_names_access_denied():
    # Given SSM refusing the read as IAM would
    ssm = boto3.client("ssm", region_name="eu-west-1")
    with Stubber(ssm) as stubbed:
        stubbed.add_client_error("get_parameter", "AccessDeniedException", "not authorized", 400)
        # When it is read
        with pytest.raises(SecretError) as raised:
            ParameterSecrets(ssm).get(SECRET)
    # Then the cause is named as IAM names it, and no text of SSM's message is repeated
    assert str(raised.value) == f"secret {SECRET}: AccessDenied"


def test_a_missing_secret_is_asked_for_again_at_once_once_stored(ssm):
    secrets = ParameterSecrets(ssm)
    with pytest.raises(SecretError):
        secrets.get(SECRET)
    store(ssm, SECRET, "whsec_c2VjcmV0")
    assert secrets.get(SECRET) == "whsec_c2VjcmV0"


def test_a_previous_secret_that_is_not_there_is_none_and_is_not_asked_for_at_every_delivery(ssm):
    # Given no rotation running
    clock = Clock()
    secrets = ParameterSecrets(ssm, clock=clock)
    asked = reads_of(ssm)
    # When deliveries ask for the previous secret again and again
    answers = [secrets.get_optional(PREVIOUS) for _ in range(5)]
    # Then there is none, and SSM was asked once
    assert answers == [None] * 5 and asked == [PREVIOUS]
    # And once the kept answer is old, SSM is asked again
    clock.now += SECRET_MAX_AGE_SECONDS + 1
    store(ssm, PREVIOUS, "whsec_b2xk")
    assert secrets.get_optional(PREVIOUS) == "whsec_b2xk" and asked == [PREVIOUS, PREVIOUS]


def test_a_secret_is_kept_for_minutes_and_read_again_when_forgotten(ssm):
    # Given the secret read once
    store(ssm, SECRET, "whsec_b2xk")
    clock = Clock()
    secrets = ParameterSecrets(ssm, clock=clock)
    assert secrets.get(SECRET) == "whsec_b2xk"
    # When it is rotated in SSM
    store(ssm, SECRET, "whsec_bmV3")
    # Then the process keeps its value for a few minutes, unless told to forget it
    clock.now += SECRET_MAX_AGE_SECONDS - 1
    assert secrets.get(SECRET) == "whsec_b2xk"
    secrets.forget(SECRET, PREVIOUS)
    assert secrets.get(SECRET) == "whsec_bmV3"
