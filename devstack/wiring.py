"""How the local pieces connect: the functions' environment from the stack outputs, and the runner's queues."""

from __future__ import annotations

from typing import Any

from chalicelib.channels.targets import PartnerDirectory
from devstack.runner import ChannelQueue, EventRunner, PhotoUploads
from infra import channels

# Channel name -> the stack outputs naming its queue (URL, ARN), for every channel of the policy table.
CHANNEL_QUEUES = {channel: channels.output_keys(channel) for channel in channels.channels()}


def function_environment(
    outputs: dict[str, str], stage: str, directory: PartnerDirectory, retry_base_seconds: int
) -> dict[str, str]:
    """What Lambda's environment holds in AWS (infra/merge.py), for the API and the event handlers alike: the stage,
    from which the settings derive every name (chalicelib.names), and the resources the stack gives."""
    return {
        "STAGE": stage,
        "ALERTS_STREAM_ARN": outputs["AlertsTableStreamArn"],
        "ALERT_EVENTS_TOPIC_ARN": outputs["AlertEventsTopicArn"],
        "PARTNERS": directory.model_dump_json(),
        "RETRY_BASE_SECONDS": str(retry_base_seconds),
        "PHOTOS_BUCKET": outputs["PhotosBucketName"],
        "APNS_APPLICATION_ARN": outputs["ApnsApplicationArn"],
        "FCM_APPLICATION_ARN": outputs["FcmApplicationArn"],
    }


def event_runner(app_module: Any, session: Any, outputs: dict[str, str], parallel: bool = False) -> EventRunner:
    """The runner driving ``app_module``'s dispatch and channel handlers."""
    queues = {
        name: ChannelQueue(outputs[url_key], outputs[arn_key], getattr(app_module, name))
        for name, (url_key, arn_key) in CHANNEL_QUEUES.items()
    }
    uploads = PhotoUploads(outputs["PhotosBucketName"], outputs["PhotoUploadsQueueArn"], app_module.photo_upload)
    return EventRunner(session, outputs["AlertsTableStreamArn"], app_module.dispatch, queues, uploads, parallel)
