"""Create-time checks: an alert that a channel of its level could not show is refused before it is stored.

They run the channels' own text rules (``texts``), which import nothing heavy: the API runs them on every create.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.channels.policy import deployed_channels_for
from chalicelib.channels.texts import ContentError, SignProfile, check_push, post_text, sign_lines
from chalicelib.errors import FieldError, InvalidAlertError
from chalicelib.models.alert import Alert


def content_check(profile: SignProfile) -> Callable[[Alert], None]:
    checks: dict[str, Callable[[Alert], object]] = {
        "road_signs": lambda alert: sign_lines(alert, profile),
        "social_media": post_text,
        "app_push": check_push,
    }

    def check(alert: Alert) -> None:
        errors = []
        for channel in deployed_channels_for(alert.level):
            if channel not in checks:
                continue
            try:
                checks[channel](alert)
            except ContentError as error:
                errors.append(FieldError(f"{channel}: {error}", pointer=error.pointer or "/headline/nl"))
        if errors:
            raise InvalidAlertError(tuple(errors))

    return check
