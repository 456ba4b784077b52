"""The one place that builds the service's parts from the settings, each once per process and on first use.

Every function imports only what its own parts need: a part's modules load when it is first asked for, so the
API never loads a channel's transport, and a channel never loads another's. Tests and the local stack start
afresh with ``reset()``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, cast

from chalicelib.adapters.clients import dynamodb_client, reset_clients, s3_client, sns_client, sqs_client, ssm_client
from chalicelib.config import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.adapters.alert_table import AlertTable
    from chalicelib.adapters.canary_table import CanaryTable
    from chalicelib.adapters.delivery_table import DeliveryTable
    from chalicelib.adapters.event_topic import EventTopic
    from chalicelib.adapters.feed_store import FeedStore
    from chalicelib.adapters.queue_backoff import QueueBackoff
    from chalicelib.adapters.secrets import ParameterSecrets
    from chalicelib.adapters.timeline_table import TimelineTable
    from chalicelib.adapters.webhooks import WebhookSender
    from chalicelib.alerts.canary import Canary
    from chalicelib.alerts.cap_ingest import CapIngest
    from chalicelib.alerts.devices import DeviceRegistry
    from chalicelib.alerts.feed import FeedService
    from chalicelib.alerts.photos import PhotoService
    from chalicelib.alerts.reach import ReachEstimator
    from chalicelib.alerts.report import AlertReports, TimelineRecorder
    from chalicelib.alerts.retention import RetentionPurge
    from chalicelib.alerts.service import AlertService
    from chalicelib.alerts.watch import DeliveryWatch
    from chalicelib.channels.base import Asset, Assets, Channel
    from chalicelib.channels.previews import PreviewService
    from chalicelib.channels.web import WebSite
    from chalicelib.channels.worker import ChannelWorker
    from chalicelib.models.alert import Alert
    from chalicelib.models.events import DeliveryRecord


class Wiring:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._channels: dict[str, Channel] = {}
        self._workers: dict[str, ChannelWorker] = {}

    # Tables and stores.

    @cached_property
    def alert_table(self) -> AlertTable:
        """The alerts table, with the stage's retention for the child's data of cancelled and expired alerts."""
        from chalicelib.adapters.alert_table import AlertTable

        return AlertTable(dynamodb_client(), self.settings.alerts_table, self.settings.retention_days * 24 * 3600)

    @cached_property
    def delivery_table(self) -> DeliveryTable:
        from chalicelib.adapters.delivery_table import DeliveryTable

        return DeliveryTable(dynamodb_client(), self.settings.alerts_table)

    @cached_property
    def timeline_table(self) -> TimelineTable:
        from chalicelib.adapters.timeline_table import TimelineTable

        return TimelineTable(dynamodb_client(), self.settings.alerts_table)

    @cached_property
    def feed_store(self) -> FeedStore:
        from chalicelib.adapters.feed_store import FeedStore

        return FeedStore(s3_client(), self.settings.photos_bucket)

    @cached_property
    def web_site(self) -> WebSite:
        """The public site's files (``site/``), its private index (``web/``) and its CloudFront distribution."""
        from chalicelib.adapters.clients import cloudfront_client
        from chalicelib.adapters.feed_store import FeedStore
        from chalicelib.adapters.site_cache import SiteCache
        from chalicelib.channels.web import WebSite

        settings = self.settings
        site = FeedStore(s3_client(), settings.photos_bucket, "site/")
        state = FeedStore(s3_client(), settings.photos_bucket, "web/")
        distribution = settings.site_distribution_id
        cache = SiteCache(cloudfront_client() if distribution else None, distribution)
        return WebSite(site, state, cache, settings.public_site_url)

    # Use cases.

    @cached_property
    def alert_service(self) -> AlertService:
        from chalicelib.alerts.service import AlertService
        from chalicelib.channels.checks import content_check
        from chalicelib.channels.texts import SignProfile
        from chalicelib.geo.areas import load_service_area

        current = self.settings
        return AlertService(
            store=self.alert_table,
            service_area=load_service_area(current.service_area_file),
            max_duration=timedelta(hours=current.max_alert_hours),
            default_duration=timedelta(hours=current.default_alert_hours),
            deliveries=self.delivery_table,
            photos=self.photo_service,
            content_check=content_check(SignProfile.parse(current.road_sign_profile)),
        )

    @cached_property
    def photo_service(self) -> PhotoService:
        from chalicelib.adapters.photo_store import PhotoStore
        from chalicelib.adapters.photo_table import PhotoTable
        from chalicelib.alerts.photos import PhotoService

        current = self.settings
        return PhotoService(
            # The S3 client only when a photo is handled: a create without one never builds it.
            PhotoStore.with_client_on_first_use(s3_client, current.photos_bucket),
            PhotoTable(dynamodb_client(), current.alerts_table),
            max_upload_bytes=current.max_upload_bytes,
            upload_seconds=current.upload_url_seconds,
            url_seconds=current.photo_url_seconds,
        )

    @cached_property
    def cap_ingest(self) -> CapIngest:
        from chalicelib.alerts.cap_ingest import CapIngest

        return CapIngest(self.alert_service)

    @cached_property
    def feed_service(self) -> FeedService:
        from chalicelib.alerts.feed import FeedService

        return FeedService(self.alert_service, self.feed_store)

    @cached_property
    def device_registry(self) -> DeviceRegistry:
        from chalicelib.adapters.device_table import DeviceTable
        from chalicelib.adapters.push import PushService
        from chalicelib.alerts.devices import DeviceRegistry
        from chalicelib.channels.push_topics import PushTopics

        current = self.settings
        return DeviceRegistry(
            PushService(sns_client(), current.sns_arn_prefix()),
            DeviceTable(dynamodb_client(), current.alerts_table),
            PushTopics(current.push_topic_prefix),
            {"apns": current.apns_application_arn, "fcm": current.fcm_application_arn},
        )

    @cached_property
    def reach(self) -> ReachEstimator:
        """Reach before sending, from the device counts; it loads h3 and shapely, which no create needs."""
        from chalicelib.adapters.device_table import DeviceTable
        from chalicelib.alerts.reach import ReachEstimator
        from chalicelib.geo.areas import load_service_area

        current = self.settings
        return ReachEstimator(
            DeviceTable(dynamodb_client(), current.alerts_table), load_service_area(current.service_area_file)
        )

    @cached_property
    def preview_service(self) -> PreviewService:
        from chalicelib.channels.previews import PreviewService

        return PreviewService(
            self.alert_service,
            self.channel,
            self.assets,
            lambda alert: self.reach.for_alert(alert).model_dump(mode="json"),
        )

    @cached_property
    def delivery_watch(self) -> DeliveryWatch:
        from chalicelib.alerts.watch import DeliveryWatch

        return DeliveryWatch(self.alert_table, self.delivery_table)

    @cached_property
    def alert_report(self) -> AlertReports:
        """Reports from the audit trail and the channels' timeline: they outlive the child's data."""
        from chalicelib.alerts.report import AlertReports

        return AlertReports(self.alert_table, self.timeline_table, self.delivery_table)

    @cached_property
    def retention_purge(self) -> RetentionPurge:
        from chalicelib.alerts.retention import RetentionPurge
        from chalicelib.channels.cap_feed import CapFeed

        return RetentionPurge(
            self.alert_table, (CapFeed(self.feed_store, self.settings.public_base_url), self.web_site)
        )

    @cached_property
    def canary_runs(self) -> CanaryTable:
        from chalicelib.adapters.canary_table import CanaryTable

        return CanaryTable(dynamodb_client(), self.settings.alerts_table)

    @cached_property
    def canary(self) -> Canary:
        """The canary's runs: its test alert written through the alert service, as the API writes one."""
        from chalicelib import metrics
        from chalicelib.alerts.canary import Canary
        from chalicelib.channels.partner_secrets import check_public_secrets
        from chalicelib.channels.targets import parse_directory

        current = self.settings
        directory = parse_directory(current.partners)
        return Canary(
            alerts=self.alert_service,
            deliveries=self.delivery_table,
            runs=self.canary_runs,
            every=timedelta(seconds=current.canary_every_seconds),
            limit=timedelta(seconds=current.canary_limit_seconds),
            on_finished=metrics.canary_finished,
            check_secrets=lambda: check_public_secrets(directory, self.secrets),
        )

    @cached_property
    def event_topic(self) -> EventTopic:
        from chalicelib.adapters.event_topic import EventTopic

        return EventTopic(sns_client(), self.settings.alert_events_topic_arn)

    # The channels.

    def channel(self, name: str) -> Channel:
        """The channel of that name: its module ``chalicelib.channels.<name>`` builds it (``build(wiring)``)."""
        from chalicelib.channels.policy import CHANNELS

        if name not in CHANNELS:
            raise LookupError(f"no channel named {name}")
        if name not in self._channels:
            self._channels[name] = importlib.import_module(f"chalicelib.channels.{name}").build(self)
        return self._channels[name]

    def worker(self, name: str) -> ChannelWorker:
        from chalicelib.channels.targets import parse_directory, with_own_audiences
        from chalicelib.channels.timeline_worker import TimelineWorker

        if name not in self._workers:
            timeline = self.timeline_recorder(name)
            self._workers[name] = TimelineWorker(
                channel=self.channel(name),
                alerts=self.alert_table,
                records=self.delivery_table,
                directory=with_own_audiences(parse_directory(self.settings.partners)),
                assets=self.assets,
                on_recorded=self._on_recorded(timeline),
                timeline=timeline,
            )
        return self._workers[name]

    def timeline_recorder(self, name: str) -> TimelineRecorder:
        """What a channel's delivery records add to the alert's timeline; a push's with the topics it reached."""
        from chalicelib.alerts.report import PushReachCount, TimelineRecorder

        if name != "app_push":
            return TimelineRecorder(self.timeline_table)
        from chalicelib.adapters.device_table import DeviceTable
        from chalicelib.channels.app_push import AppPushChannel

        push = cast(AppPushChannel, self.channel(name))
        counts = DeviceTable(dynamodb_client(), self.settings.alerts_table)
        return TimelineRecorder(self.timeline_table, PushReachCount(self.alert_table, push, counts))

    @staticmethod
    def _on_recorded(timeline: TimelineRecorder) -> Callable[[DeliveryRecord], None]:
        from chalicelib import metrics

        def recorded(record: DeliveryRecord) -> None:
            metrics.delivery_recorded(record)
            if record.state == "failed":  # a delivered or retracted version: from what the worker answers
                timeline.record(record)

        return recorded

    def assets(self, alert: Alert, needs: frozenset[Asset]) -> Assets:
        """What a channel's render reads beyond the alert: its public page, and the photo where it needs it."""
        from chalicelib.channels.base import Assets
        from chalicelib.channels.targets import audience_for
        from chalicelib.links import public_page

        photos = self.photo_service
        sandbox = audience_for(alert.status) == "sandbox"
        return Assets(
            public_page=public_page(self.settings.public_site_url, alert.id, sandbox),
            photo=photos.master(alert.photo_id) if "photo" in needs else None,
            photo_urls=photos.urls(alert.photo_id) if "photo_urls" in needs else {},
            page_photo=photos.rendition(alert.photo_id, "feed") if "page_photo" in needs else None,
        )

    @cached_property
    def queue_backoff(self) -> QueueBackoff:
        from chalicelib.adapters.queue_backoff import QueueBackoff

        return QueueBackoff(sqs_client(), self.settings.retry_base_seconds, self.settings.retry_max_seconds)

    # What the channels' transports share.

    @cached_property
    def secrets(self) -> ParameterSecrets:
        from chalicelib.adapters.secrets import ParameterSecrets

        return ParameterSecrets(ssm_client())

    @cached_property
    def webhook_sender(self) -> WebhookSender:
        from chalicelib.adapters.webhooks import WebhookSender

        return WebhookSender(self.settings.webhook_timeout_seconds)


@lru_cache(maxsize=1)
def wiring() -> Wiring:
    return Wiring(get_settings())


def reset() -> None:
    """Forget every part, client and setting, for a process whose environment changed (tests, the local stack)."""
    wiring.cache_clear()
    get_settings.cache_clear()
    reset_clients()
