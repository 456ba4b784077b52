"""Building a channel's worker from the settings: the one place that knows every channel's transport."""

from __future__ import annotations

from functools import lru_cache

from chalicelib.adapters.clients import dynamodb_client, sqs_client, ssm_client
from chalicelib.batches import QueueBackoff
from chalicelib.channels.base import Channel
from chalicelib.channels.targets import parse_directory
from chalicelib.channels.worker import ChannelWorker
from chalicelib.config import Settings


def build_channel(name: str, settings: Settings) -> Channel:
    if name == "news_media":
        from chalicelib.adapters.secrets import ParameterSecrets
        from chalicelib.adapters.webhooks import WebhookSender
        from chalicelib.channels.news_media import NewsMediaChannel

        return NewsMediaChannel(WebhookSender(settings.webhook_timeout_seconds), ParameterSecrets(ssm_client()))
    raise LookupError(f"no channel named {name}")


def build_worker(name: str, settings: Settings) -> ChannelWorker:
    from chalicelib.adapters.alert_table import AlertTable
    from chalicelib.adapters.delivery_table import DeliveryTable

    return ChannelWorker(
        channel=build_channel(name, settings),
        alerts=AlertTable(dynamodb_client(), settings.alerts_table),
        records=DeliveryTable(dynamodb_client(), settings.alerts_table),
        directory=parse_directory(settings.partners),
    )


@lru_cache(maxsize=1)
def _backoff(base: int, maximum: int) -> QueueBackoff:
    return QueueBackoff(sqs_client(), base, maximum)


def queue_backoff(settings: Settings) -> QueueBackoff:
    return _backoff(settings.retry_base_seconds, settings.retry_max_seconds)


def queue_backoff_cache_clear() -> None:
    _backoff.cache_clear()
