"""app_push: SNS mobile push to the Burgernet app, per language, to the national topic or the area's cell topics.

One message per language serves APNs and FCM (``MessageStructure=json``); the alert id is the collapse id,
thread id and tag, so an update replaces the notification and the cancel replaces it with «Gevonden».
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.adapters.push import TopicMissingError
from chalicelib.channels.base import ContentError
from chalicelib.channels.push_topics import LANGUAGES, PushTopics
from chalicelib.channels.targets import PartnerTarget
from chalicelib.geo.cover import cell_cover
from chalicelib.models.alert import Alert

NAME = "app_push"
# APNs and FCM both stop at 4 KB per notification payload.
MAX_PLATFORM_PAYLOAD = 4096
TITLES = {
    "kind_alarm": {"nl": "Kind Alarm", "en": "Child Alert"},
    "vermist_kind": {"nl": "Vermist kind", "en": "Missing child"},
}
RETRACTIONS = {
    "found": {
        "nl": ("Gevonden", "Het kind is gevonden. Dank voor uw hulp."),
        "en": ("Found", "The child has been found. Thank you for your help."),
    },
    "withdrawn": {
        "nl": ("Ingetrokken", "Deze oproep is ingetrokken."),
        "en": ("Withdrawn", "This alert has been withdrawn."),
    },
    "expired": {"nl": ("Verlopen", "Deze oproep is verlopen."), "en": ("Expired", "This alert has expired.")},
}
PUBLISH_THREADS = 16


class Publisher(Protocol):
    def publish(self, topic_name: str, message: str, attributes: dict[str, str]) -> str: ...


class PhotoLinks(Protocol):
    def urls(self, photo_id: str | None) -> dict[str, str]: ...


def sns_message(alert: Alert, title: str, body: str, image_url: str | None) -> str:
    """The SNS ``MessageStructure=json`` message: the same notification for APNs (and its sandbox) and FCM."""
    data = {"alert_id": alert.id, "version": str(alert.version), "state": alert.state}
    apns = {
        "aps": {
            "alert": {"title": title, "body": body},
            "sound": "default",
            "thread-id": alert.id,
            "mutable-content": 1,
            "interruption-level": "time-sensitive",
        },
        **data,
        **({"image_url": image_url} if image_url else {}),
    }
    notification = {"title": title, "body": body, **({"image": image_url} if image_url else {})}
    fcm = {
        "fcmV1Message": {
            "message": {
                "notification": notification,
                "android": {
                    "collapse_key": alert.id,
                    "priority": "high",
                    "notification": {"tag": alert.id, "channel_id": "kind_alarm"},
                },
                "data": data,
            }
        }
    }
    platforms = {"APNS": json.dumps(apns, ensure_ascii=False), "GCM": json.dumps(fcm, ensure_ascii=False)}
    for platform, payload in platforms.items():
        if len(payload.encode()) > MAX_PLATFORM_PAYLOAD:
            raise ContentError(f"the {platform} payload is over {MAX_PLATFORM_PAYLOAD} bytes")
    return json.dumps({"default": f"{title}: {body}", "APNS_SANDBOX": platforms["APNS"], **platforms})


def alert_notification(alert: Alert, language: str) -> tuple[str, str]:
    """Title «Kind Alarm: <name>» and body: headline and instruction, in the device's language (Dutch by default)."""
    headline = alert.headline.en if language == "en" and alert.headline.en else alert.headline.nl
    instruction = alert.instruction.en if language == "en" and alert.instruction.en else alert.instruction.nl
    return f"{TITLES[alert.level][language]}: {alert.child.name}", f"{headline}\n{instruction}"


def retraction_notification(alert: Alert, language: str) -> tuple[str, str]:
    reason = alert.cancellation.reason if alert.cancellation else "expired"
    label, text = RETRACTIONS[reason][language]
    return f"{TITLES[alert.level][language]}: {label}", text


def collapse_attributes(alert: Alert) -> dict[str, str]:
    return {
        "AWS.SNS.MOBILE.APNS.COLLAPSE_ID": alert.id,
        "AWS.SNS.MOBILE.APNS.PUSH_TYPE": "alert",
        "AWS.SNS.MOBILE.APNS.PRIORITY": "10",
    }


def check_renderable(alert: Alert) -> None:
    for language in LANGUAGES:
        sns_message(alert, *alert_notification(alert, language), None)


class AppPushChannel:
    name = NAME

    def __init__(self, publisher: Publisher, topics: PushTopics, photos: PhotoLinks) -> None:
        self._publisher = publisher
        self._topics = topics
        self._photos = photos

    def render(self, alert: Alert) -> dict[str, Any]:
        image = self._photos.urls(alert.photo_id).get("push")
        messages = {lang: sns_message(alert, *alert_notification(alert, lang), image) for lang in LANGUAGES}
        return {"messages": messages, "attributes": collapse_attributes(alert), "cells": cell_cover(alert.area)}

    def reach(self, content: dict[str, Any], previous: str | None) -> str:
        """Every topic any version of the alert reached, this one included: what the retraction must cover."""
        return Reach.parse(previous).including(content["cells"]).dump()

    def deliver(
        self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, previous: str | None
    ) -> str | None:
        self._publish_all(content["messages"], content["attributes"], target, content["cells"])
        return self.reach(content, previous)

    def retract(self, alert: Alert, target: PartnerTarget, reference: str | None, delivery_id: str) -> None:
        # Phones keep what came last under the collapse id: every cell an earlier version reached gets the
        # retraction too, not only those of the alert's last area.
        messages = {lang: sns_message(alert, *retraction_notification(alert, lang), None) for lang in LANGUAGES}
        reach = Reach.parse(reference).including(cell_cover(alert.area))
        covers = ([None] if reach.national else []) + ([sorted(reach.cells)] if reach.cells else [])
        for cells in covers[:1] if target.name == TEST_DEVICES else covers:  # the test topics: once
            self._publish_all(messages, collapse_attributes(alert), target, cells)

    def topics_for(self, target: PartnerTarget, cells: list[str] | None) -> list[tuple[str, str]]:
        """(language, topic) pairs: the test topics for the sandbox target, else national or the cells."""
        if target.name == TEST_DEVICES:
            return [(lang, self._topics.test(lang)) for lang in LANGUAGES]
        if cells is None:
            return [(lang, self._topics.national(lang)) for lang in LANGUAGES]
        return [(lang, self._topics.cell(lang, cell)) for lang in LANGUAGES for cell in cells]

    def _publish_all(
        self, messages: dict[str, str], attributes: dict[str, str], target: PartnerTarget, cells: list[str] | None
    ) -> str:
        pairs = self.topics_for(target, cells)

        def publish(pair: tuple[str, str]) -> bool:
            language, topic = pair
            try:
                self._publisher.publish(topic, messages[language], attributes)
            except TopicMissingError:
                return False  # no device was ever filed there
            return True

        with ThreadPoolExecutor(max_workers=PUBLISH_THREADS) as pool:
            published = sum(pool.map(publish, pairs))
        return f"{published} of {len(pairs)} topics"


@dataclass(frozen=True)
class Reach:
    """The topics an alert's pushes reached: the national topics, and the H3 cells of its areas."""

    national: bool = False
    cells: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, reference: str | None) -> Reach:
        try:
            document = json.loads(reference or "{}")
        except ValueError:
            return cls()  # a reference from before reaches were recorded
        if not isinstance(document, dict):
            return cls()
        return cls(bool(document.get("national")), frozenset(str(cell) for cell in document.get("cells", [])))

    def including(self, cells: list[str] | None) -> Reach:
        if cells is None:
            return Reach(True, self.cells)
        return Reach(self.national, self.cells | frozenset(cells))

    def dump(self) -> str:
        return json.dumps({"national": self.national, "cells": sorted(self.cells)}, separators=(",", ":"))


APP_USERS = "app-users"
TEST_DEVICES = "test-devices"
