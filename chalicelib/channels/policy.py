"""Which alert levels each channel serves: the one policy table, from which the subscriptions are derived."""

from __future__ import annotations

from chalicelib.models.alert import Level

CHANNELS = ("app_push", "social_media", "news_media", "road_signs", "station_screens", "cap_feed", "web")

CHANNELS_BY_LEVEL: dict[Level, tuple[str, ...]] = {
    "kind_alarm": CHANNELS,
    "vermist_kind": ("app_push", "social_media", "news_media", "cap_feed", "web"),
}


# The channels that have a queue and a function so far; a photo is deleted once all of these have retracted.
DEPLOYED_CHANNELS = CHANNELS


def deployed_channels_for(level: Level) -> tuple[str, ...]:
    return tuple(channel for channel in CHANNELS_BY_LEVEL[level] if channel in DEPLOYED_CHANNELS)


def levels_served_by(channel: str) -> list[str]:
    return sorted(level for level, channels in CHANNELS_BY_LEVEL.items() if channel in channels)


def filter_policy(channel: str) -> dict[str, list[str]]:
    """The SNS filter policy of a channel's queue subscription."""
    return {"level": levels_served_by(channel)}
