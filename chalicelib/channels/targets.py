"""Where a channel delivers: the one place that sends exercise and test alerts to sandbox targets only."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from chalicelib.models.alert import Status

Audience = Literal["public", "sandbox"]


class PartnerTarget(BaseModel):
    """A partner: a signed-webhook endpoint, or a social platform account (``url`` is then the API's base).

    The secret (webhook signing secret, or the account's OAuth access token) lives in SSM Parameter
    Store, named here.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    url: HttpUrl
    secret_parameter: str
    # "internal": an audience the channel reaches itself (app users over SNS, the CAP feed files).
    platform: Literal["webhook", "x", "facebook", "internal"] = "webhook"
    # The Facebook page to post on.
    account_id: str | None = Field(default=None, pattern=r"^[0-9A-Za-z_.-]{1,64}$")

    @property
    def previous_secret_parameter(self) -> str:
        """Where a webhook partner's secret before the current one is kept while a rotation runs: beside it
        (``…/<name>/secret`` -> ``…/<name>/previous``), in the channel's folder its function may already read.
        An admin makes it in the console by copying the secret, and deletes it to end the rotation."""
        return self.secret_parameter.removesuffix("/secret") + "/previous"


class ChannelPartners(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    public: tuple[PartnerTarget, ...] = ()
    sandbox: tuple[PartnerTarget, ...] = ()


class PartnerDirectory(BaseModel):
    """Per channel, the targets for real alerts and those for exercises and tests."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: dict[str, ChannelPartners] = Field(default_factory=dict)


def audience_for(status: Status) -> Audience:
    return "public" if status == "actual" else "sandbox"


def targets_for(directory: PartnerDirectory, channel: str, status: Status) -> tuple[PartnerTarget, ...]:
    partners = directory.channels.get(channel, ChannelPartners())
    return partners.public if audience_for(status) == "public" else partners.sandbox


@lru_cache(maxsize=4)
def parse_directory(document: str) -> PartnerDirectory:
    return PartnerDirectory.model_validate(json.loads(document or "{}"))


# The channels that reach their audience themselves, and the target that stands for it: (public, sandbox).
OWN_AUDIENCES = {
    "app_push": ("app-users", "test-devices"),
    "cap_feed": ("public-feed", "sandbox-feed"),
    "web": ("public-site", "sandbox-site"),
}


def with_own_audiences(directory: PartnerDirectory) -> PartnerDirectory:
    """app_push, cap_feed and web have no partners: app users or test devices; the public or the sandbox feed, site."""

    def audience(name: str) -> PartnerTarget:
        return PartnerTarget.model_validate(
            {"name": name, "url": "https://internal.invalid/", "secret_parameter": "-", "platform": "internal"}
        )

    own = {
        channel: ChannelPartners(public=(audience(public),), sandbox=(audience(sandbox),))
        for channel, (public, sandbox) in OWN_AUDIENCES.items()
    }
    return PartnerDirectory(channels={**directory.channels, **own})
