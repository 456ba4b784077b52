"""How the local pieces connect: the functions' environment from the stack outputs, and the runner's queues."""

from __future__ import annotations

from typing import Any

from chalicelib.channels.targets import PartnerDirectory
from devstack.runner import ChannelQueue, EventRunner, PhotoUploads
from infra import channels

# Channel name -> the stack outputs naming its queue (URL, ARN), for every channel of the policy table.
CHANNEL_QUEUES = {channel: channels.output_keys(channel) for channel in channels.channels()}


def function_environment(
    outputs: dict[str, str],
    stage: str,
    directory: PartnerDirectory,
    retry_base_seconds: int,
    *,
    api_url: str | None = None,
    site_url: str | None = None,
) -> dict[str, str]:
    """What Lambda's environment holds in AWS (infra/merge.py), for the API and the event handlers alike: the stage,
    from which the settings derive every name (chalicelib.names), and the resources the stack gives.

    With ``api_url`` and ``site_url`` (where the local stack serves the API and the public site), every link an
    alert's answer, post, push or CAP message carries points there. No CloudFront distribution is named: there is
    none locally, so the site's files are never invalidated.
    """
    served_at = {"PUBLIC_BASE_URL": api_url} if api_url is not None else {}
    if site_url is not None:
        served_at |= {"PUBLIC_SITE_URL": site_url, "SITE_DISTRIBUTION_ID": ""}
    return {
        "STAGE": stage,
        "ALERTS_STREAM_ARN": outputs["AlertsTableStreamArn"],
        "ALERT_EVENTS_TOPIC_ARN": outputs["AlertEventsTopicArn"],
        "PARTNERS": directory.model_dump_json(),
        "RETRY_BASE_SECONDS": str(retry_base_seconds),
        "PHOTOS_BUCKET": outputs["PhotosBucketName"],
        "APNS_APPLICATION_ARN": outputs["ApnsApplicationArn"],
        "FCM_APPLICATION_ARN": outputs["FcmApplicationArn"],
        **served_at,
    }


def event_runner(app_module: Any, session: Any, outputs: dict[str, str], parallel: bool = False) -> EventRunner:
    """The runner driving ``app_module``'s dispatch and channel handlers."""
    queues = {
        name: ChannelQueue(outputs[url_key], outputs[arn_key], getattr(app_module, name))
        for name, (url_key, arn_key) in CHANNEL_QUEUES.items()
    }
    uploads = PhotoUploads(outputs["PhotosBucketName"], outputs["PhotoUploadsQueueArn"], app_module.photo_upload)
    return EventRunner(session, outputs["AlertsTableStreamArn"], app_module.dispatch, queues, uploads, parallel)
