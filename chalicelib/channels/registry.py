"""Building a channel's worker from the settings: the one place that knows every channel's transport."""

from __future__ import annotations

from functools import lru_cache

from chalicelib.adapters.clients import dynamodb_client, s3_client, sqs_client, ssm_client
from chalicelib.alerts.photos import PhotoService
from chalicelib.batches import QueueBackoff
from chalicelib.channels.base import Channel
from chalicelib.channels.targets import parse_directory
from chalicelib.channels.worker import ChannelWorker
from chalicelib.config import Settings


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
    if name == "news_media":
        from chalicelib.adapters.secrets import ParameterSecrets
        from chalicelib.adapters.webhooks import WebhookSender
        from chalicelib.channels.news_media import NewsMediaChannel

        sender = WebhookSender(settings.webhook_timeout_seconds)
        return NewsMediaChannel(sender, ParameterSecrets(ssm_client()), photos)
    raise LookupError(f"no channel named {name}")


def build_worker(name: str, settings: Settings) -> ChannelWorker:
    from chalicelib.adapters.alert_table import AlertTable
    from chalicelib.adapters.delivery_table import DeliveryTable
    from chalicelib.channels.cleanup import PhotoCleanup

    records = DeliveryTable(dynamodb_client(), settings.alerts_table)
    photos = build_photo_service(settings)
    return ChannelWorker(
        channel=build_channel(name, settings, photos),
        alerts=AlertTable(dynamodb_client(), settings.alerts_table),
        records=records,
        directory=parse_directory(settings.partners),
        on_retracted=PhotoCleanup(records, photos).after_retraction,
    )


@lru_cache(maxsize=1)
def _backoff(base: int, maximum: int) -> QueueBackoff:
    return QueueBackoff(sqs_client(), base, maximum)


def queue_backoff(settings: Settings) -> QueueBackoff:
    return _backoff(settings.retry_base_seconds, settings.retry_max_seconds)


def queue_backoff_cache_clear() -> None:
    _backoff.cache_clear()
