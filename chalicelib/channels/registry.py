"""Building a channel's worker from the settings: the one place that knows every channel's transport."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import TYPE_CHECKING

from chalicelib import metrics
from chalicelib.adapters.clients import dynamodb_client, s3_client, sns_client, sqs_client, ssm_client
from chalicelib.alerts.photos import PhotoService
from chalicelib.batches import QueueBackoff
from chalicelib.channels.base import Channel
from chalicelib.channels.targets import ChannelPartners, PartnerDirectory, PartnerTarget, parse_directory
from chalicelib.channels.worker import ChannelWorker
from chalicelib.config import Settings
from chalicelib.models.alert import Alert

if TYPE_CHECKING:
    from chalicelib.adapters.alert_table import AlertTable
    from chalicelib.alerts.devices import DeviceRegistry
    from chalicelib.alerts.watch import DeliveryWatch
    from chalicelib.imaging.visuals import VisualKind


def build_alert_table(settings: Settings) -> AlertTable:
    """The alerts table, with the stage's retention for the child's data of cancelled and expired alerts."""
    from chalicelib.adapters.alert_table import AlertTable

    return AlertTable(dynamodb_client(), settings.alerts_table, settings.retention_days * 24 * 3600)


def build_photo_service(settings: Settings) -> PhotoService:
    from chalicelib.adapters.photo_store import PhotoStore
    from chalicelib.adapters.photo_table import PhotoTable

    return PhotoService(
        PhotoStore(s3_client(), settings.photos_bucket),
        PhotoTable(dynamodb_client(), settings.alerts_table),
        road_sign=settings.road_sign_pixels(),
        max_upload_bytes=settings.max_upload_bytes,
        upload_seconds=settings.upload_url_seconds,
        url_seconds=settings.photo_url_seconds,
    )


def build_channel(name: str, settings: Settings, photos: PhotoService) -> Channel:
    from chalicelib.adapters.secrets import ParameterSecrets
    from chalicelib.adapters.webhooks import WebhookSender
    from chalicelib.channels import news_media, signs
    from chalicelib.channels.webhook_channel import WebhookChannel

    secrets = ParameterSecrets(ssm_client())
    sender = WebhookSender(settings.webhook_timeout_seconds)
    if name == news_media.NAME:
        return WebhookChannel(
            name,
            lambda alert: news_media.render(alert, photos.urls(alert.photo_id)),
            news_media.render_retraction,
            sender,
            secrets,
        )
    if name == signs.ROAD_SIGNS:
        profile = signs.SignProfile.parse(settings.road_sign_profile)
        image = visual(photos, "road_sign", settings.road_sign_pixels())
        return WebhookChannel(
            name,
            lambda alert: signs.road_sign_payload(alert, profile, image),
            signs.clear_payload("sign"),
            sender,
            secrets,
        )
    if name == signs.STATION_SCREENS:
        poster = visual(photos, "station_poster", (1920, 1080), signs.POSTER_MAX_BYTES)
        return WebhookChannel(
            name,
            lambda alert: signs.station_screen_payload(alert, poster),
            signs.clear_payload("screen"),
            sender,
            secrets,
        )
    if name == "app_push":
        from chalicelib.adapters.push import PushService
        from chalicelib.channels.app_push import AppPushChannel
        from chalicelib.channels.push_topics import PushTopics

        publisher = PushService(sns_client(), settings.sns_arn_prefix())
        return AppPushChannel(publisher, PushTopics(settings.push_topic_prefix), photos)
    if name == "cap_feed":
        from chalicelib.adapters.feed_store import FeedStore
        from chalicelib.channels.cap_feed import CapFeedChannel

        files = FeedStore(s3_client(), settings.photos_bucket)
        return CapFeedChannel(files, photos, settings.cap_sender, settings.public_base_url)
    if name == "social_media":
        from chalicelib.adapters.social import SocialClient
        from chalicelib.channels.social_media import SocialMediaChannel
        from chalicelib.links import public_page

        client = SocialClient(settings.webhook_timeout_seconds)
        page = partial(public_page, settings.public_site_url)
        return SocialMediaChannel(client, secrets, photos, page, found_notice=settings.social_found_notice)
    raise LookupError(f"no channel named {name}")


def visual(
    photos: PhotoService, kind: VisualKind, size: tuple[int, int], max_jpeg_bytes: int | None = None
) -> Callable[[Alert], bytes]:
    """The channel visual of an alert, with its photo when it has one (a PNG, or a JPEG within a budget)."""

    def render(alert: Alert) -> bytes:
        from chalicelib.imaging.visuals import VisualContent, render_visual

        content = VisualContent(
            alert.level, alert.child.name, alert.headline.nl, alert.contact.phone, photos.master(alert.photo_id)
        )
        return render_visual(content, size, kind, max_jpeg_bytes)

    return render


def with_own_audiences(directory: PartnerDirectory) -> PartnerDirectory:
    """app_push and cap_feed have no partners: app users or test devices; the public feed or the sandbox feed."""
    from chalicelib.channels.app_push import APP_USERS, TEST_DEVICES
    from chalicelib.channels.cap_feed import PUBLIC_FEED, SANDBOX_FEED

    def audience(name: str) -> PartnerTarget:
        return PartnerTarget.model_validate(
            {"name": name, "url": "https://internal.invalid/", "secret_parameter": "-", "platform": "internal"}
        )

    push = ChannelPartners(public=(audience(APP_USERS),), sandbox=(audience(TEST_DEVICES),))
    feed = ChannelPartners(public=(audience(PUBLIC_FEED),), sandbox=(audience(SANDBOX_FEED),))
    return PartnerDirectory(channels={**directory.channels, "app_push": push, "cap_feed": feed})


def build_device_registry(settings: Settings) -> DeviceRegistry:
    from chalicelib.adapters.device_table import DeviceTable
    from chalicelib.adapters.push import PushService
    from chalicelib.alerts.devices import DeviceRegistry
    from chalicelib.channels.push_topics import PushTopics

    return DeviceRegistry(
        PushService(sns_client(), settings.sns_arn_prefix()),
        DeviceTable(dynamodb_client(), settings.alerts_table),
        PushTopics(settings.push_topic_prefix),
        {"apns": settings.apns_application_arn, "fcm": settings.fcm_application_arn},
    )


def build_worker(name: str, settings: Settings) -> ChannelWorker:
    from chalicelib.adapters.delivery_table import DeliveryTable

    records = DeliveryTable(dynamodb_client(), settings.alerts_table)
    photos = build_photo_service(settings)
    return ChannelWorker(
        channel=build_channel(name, settings, photos),
        alerts=build_alert_table(settings),
        records=records,
        directory=with_own_audiences(parse_directory(settings.partners)),
        on_recorded=metrics.delivery_recorded,
    )


def build_delivery_watch(settings: Settings) -> DeliveryWatch:
    from chalicelib.adapters.delivery_table import DeliveryTable
    from chalicelib.alerts.watch import DeliveryWatch

    return DeliveryWatch(build_alert_table(settings), DeliveryTable(dynamodb_client(), settings.alerts_table))


@lru_cache(maxsize=1)
def _backoff(base: int, maximum: int) -> QueueBackoff:
    return QueueBackoff(sqs_client(), base, maximum)


def queue_backoff(settings: Settings) -> QueueBackoff:
    return _backoff(settings.retry_base_seconds, settings.retry_max_seconds)


def queue_backoff_cache_clear() -> None:
    _backoff.cache_clear()
