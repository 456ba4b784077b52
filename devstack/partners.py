"""The partners of the local stack, all served by the partner sink; their secrets in (emulated) SSM."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from chalicelib import names
from chalicelib.channels.targets import ChannelPartners, PartnerDirectory, PartnerTarget

# channel -> (public partners, sandbox partners); each partner is (name, platform, page id)
PARTNERS: dict[str, tuple[tuple[tuple[str, str, str | None], ...], tuple[tuple[str, str, str | None], ...]]] = {
    "news_media": ((("anp", "webhook", None), ("nos", "webhook", None)), (("newsroom-sandbox", "webhook", None),)),
    "social_media": (
        (("x-politie", "x", None), ("facebook-politie", "facebook", "politie")),
        (("x-sandbox", "x", None),),
    ),
    "road_signs": ((("rws-tmc", "webhook", None),), (("rws-sandbox", "webhook", None),)),
    "station_screens": ((("ns-screens", "webhook", None),), (("ns-sandbox", "webhook", None),)),
}
_PATHS = {"webhook": "webhooks", "x": "x", "facebook": "meta"}


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def local_partners(sink_url: str, stage: str) -> tuple[PartnerDirectory, dict[str, str]]:
    """The partner directory pointing at the sink, and each partner's fresh secret or token."""

    def target(channel: str, name: str, platform: str, account: str | None) -> PartnerTarget:
        return PartnerTarget.model_validate(
            {
                "name": name,
                "url": f"{sink_url}/{_PATHS[platform]}/{name}",
                # In the channel's own folder: in AWS each channel function may read only that one.
                "secret_parameter": f"{names.partner_folder(stage, channel)}{name}/secret",
                "platform": platform,
                "account_id": account,
            }
        )

    directory = PartnerDirectory(
        channels={
            channel: ChannelPartners(
                public=tuple(target(channel, *partner) for partner in public),
                sandbox=tuple(target(channel, *partner) for partner in sandbox),
            )
            for channel, (public, sandbox) in PARTNERS.items()
        }
    )
    partner_names = [partner[0] for public, sandbox in PARTNERS.values() for partner in (*public, *sandbox)]
    return directory, {name: new_secret() for name in partner_names}


def store_secrets(directory: PartnerDirectory, partner_secrets: dict[str, str], ssm_client: Any) -> None:
    for partners in directory.channels.values():
        for target in (*partners.public, *partners.sandbox):
            ssm_client.put_parameter(
                Name=target.secret_parameter, Value=partner_secrets[target.name], Type="SecureString", Overwrite=True
            )
