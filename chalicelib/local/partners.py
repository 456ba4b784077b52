"""The partners of the local stack: newsrooms served by the partner sink, secrets in (emulated) SSM."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from chalicelib.channels.targets import ChannelPartners, PartnerDirectory, WebhookTarget

PUBLIC_NEWSROOMS = ("anp", "nos")
SANDBOX_NEWSROOMS = ("newsroom-sandbox",)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def local_partners(sink_url: str, stage: str) -> tuple[PartnerDirectory, dict[str, str]]:
    """The partner directory pointing at the sink, and each partner's fresh secret."""

    def target(name: str) -> WebhookTarget:
        return WebhookTarget.model_validate(
            {
                "name": name,
                "url": f"{sink_url}/webhooks/{name}",
                "secret_parameter": f"/kind-alarm/{stage}/partners/{name}/webhook-secret",
            }
        )

    directory = PartnerDirectory(
        channels={
            "news_media": ChannelPartners(
                public=tuple(target(name) for name in PUBLIC_NEWSROOMS),
                sandbox=tuple(target(name) for name in SANDBOX_NEWSROOMS),
            )
        }
    )
    return directory, {name: new_secret() for name in PUBLIC_NEWSROOMS + SANDBOX_NEWSROOMS}


def store_secrets(directory: PartnerDirectory, partner_secrets: dict[str, str], ssm_client: Any) -> None:
    for partners in directory.channels.values():
        for target in (*partners.public, *partners.sandbox):
            ssm_client.put_parameter(
                Name=target.secret_parameter, Value=partner_secrets[target.name], Type="SecureString", Overwrite=True
            )
