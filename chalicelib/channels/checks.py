"""Create-time checks: an alert that a channel of its level could not show is refused before it is stored."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.channels import app_push, signs, social_media
from chalicelib.channels.base import ContentError
from chalicelib.channels.policy import deployed_channels_for
from chalicelib.errors import FieldError, InvalidAlertError
from chalicelib.models.alert import Alert


def content_check(profile: signs.SignProfile) -> Callable[[Alert], None]:
    checks: dict[str, tuple[Callable[[Alert], object], str]] = {
        signs.ROAD_SIGNS: (lambda alert: signs.sign_lines(alert, profile), "/child/name"),
        social_media.NAME: (social_media.post_text, "/headline/nl"),
        app_push.NAME: (app_push.check_renderable, "/headline/nl"),
    }

    def check(alert: Alert) -> None:
        errors = []
        for channel in deployed_channels_for(alert.level):
            if channel not in checks:
                continue
            render, pointer = checks[channel]
            try:
                render(alert)
            except ContentError as error:
                errors.append(FieldError(f"{channel}: {error}", pointer=getattr(error, "pointer", pointer)))
        if errors:
            raise InvalidAlertError(tuple(errors))

    return check
