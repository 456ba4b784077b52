"""Every public partner's secret read and made ready to use, nothing sent: the canary's alert reaches the sandbox
targets only, so without this a public secret that is missing or malformed shows up at the first real alert."""

from __future__ import annotations

from chalicelib.adapters.failures import PartnerError
from chalicelib.channels.targets import PartnerDirectory, PartnerTarget
from chalicelib.channels.webhook_channel import Secrets, signing_keys


def check_public_secrets(directory: PartnerDirectory, secrets: Secrets) -> dict[str, str | None]:
    """Per public partner (``<channel>/<name>``): None when its secret is ready, else why not, as a delivery's
    detail would say it (``secret /kind-alarm/<stage>/partners/…: ParameterNotFound``)."""
    return {
        f"{channel}/{target.name}": _problem(target, secrets)
        for channel, partners in sorted(directory.channels.items())
        for target in partners.public
        if target.platform != "internal"
    }


def _problem(target: PartnerTarget, secrets: Secrets) -> str | None:
    # What is stored now, not what this process read minutes ago: an operator checks a fix at once.
    secrets.forget(target.secret_parameter, target.previous_secret_parameter)
    try:
        if target.platform == "webhook":
            signing_keys(target, secrets)  # both secrets while a rotation runs, as a delivery signs
        else:
            secrets.get(target.secret_parameter)  # a platform token: the platform alone can tell it is valid
    except PartnerError as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 - one partner's failure must not hide the others'
        return f"unexpected {type(error).__name__}"
    return None
