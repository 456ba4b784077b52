"""app_push: SNS mobile push to the Burgernet app, per language, to the national topic or the area's cell topics.

One message per language serves APNs and FCM (``MessageStructure=json``); the alert id is the collapse id,
thread id and tag, so an update replaces the notification and the cancel replaces it with «Gevonden». A tap
opens the alert's public page in the message's language (after a cancel, the page says the child was found).
The alert carries its area (the circle, or a polygon that contains the original): the cells reach every device
inside and some outside, and the app shows it only where the device is inside (docs/push-payload.md). The
retraction carries none, so that it replaces the notification wherever it is. A device that got the alert and
then moved is in none of the cells the alert reached, so a regional alert's retraction also goes, as a quiet copy
that the app shows only where it showed the alert, to the national topics, which hold every device.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.adapters.push import TopicMissingError
from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.channels.base import Asset, Assets, ChannelDefaults, Content, Preview
from chalicelib.channels.push_topics import PushTopics
from chalicelib.channels.targets import PartnerTarget, audience_for
from chalicelib.channels.texts import (
    ContentError,
    PushText,
    alert_notification,
    page_in,
    push_area,
    retraction_notification,
    sns_message,
)
from chalicelib.models.alert import Alert, Area, CircleArea, PolygonArea
from chalicelib.wording import LANGUAGES

if TYPE_CHECKING:
    from chalicelib.wiring import Wiring

NAME = "app_push"
PUBLISH_THREADS = 16


class Publisher(Protocol):
    def publish(self, topic_name: str, message: str, attributes: dict[str, str]) -> str: ...


def collapse_attributes(alert: Alert) -> dict[str, str]:
    return {
        "AWS.SNS.MOBILE.APNS.COLLAPSE_ID": alert.id,
        "AWS.SNS.MOBILE.APNS.PUSH_TYPE": "alert",
        "AWS.SNS.MOBILE.APNS.PRIORITY": "10",
    }


def area_cells(area: Area) -> list[str] | None:
    """The H3 cells whose topics the area's pushes go to, sorted; None for a national alert (the national topic)."""
    from chalicelib.geo.cover import circle_cover, polygon_cover

    if isinstance(area, CircleArea):
        return circle_cover(area.lat, area.lon, area.radius_km)
    if isinstance(area, PolygonArea):
        return polygon_cover(area.coordinates)
    return None


def _message(alert: Alert, text: PushText, image: str | None, area: dict[str, Any] | None) -> str:
    """The SNS message with the photo link, or without it where the link would take it past 4 KB.

    The create checks hold the texts and the page's link to 4 KB without the photo's link; that is a presigned
    URL whose length the checks cannot know (in Lambda it carries the role's session token, about a kilobyte).
    A notification without its image beats none.
    """
    try:
        return sns_message(alert, *text, image, area)
    except ContentError:
        if image is None:
            raise
        return sns_message(alert, *text, None, area)


class AppPushChannel(ChannelDefaults):
    name = NAME
    needs: frozenset[Asset] = frozenset({"photo_urls"})

    def __init__(self, publisher: Publisher, topics: PushTopics) -> None:
        self._publisher = publisher
        self._topics = topics

    def render(self, alert: Alert, assets: Assets) -> Content:
        if alert.state in TERMINAL_STATES:
            notices = {lang: retraction_notification(alert, lang) for lang in LANGUAGES}
            image = None
        else:
            notices = {lang: alert_notification(alert, lang) for lang in LANGUAGES}
            image = assets.photo_urls.get("push")
        pages = {lang: page_in(lang, assets.public_page, alert) for lang in LANGUAGES}
        texts: dict[str, PushText] = {lang: (*notices[lang], pages[lang]) for lang in LANGUAGES}
        area = None if alert.state in TERMINAL_STATES else push_area(alert, texts.values())
        messages = {lang: _message(alert, texts[lang], image, area) for lang in LANGUAGES}
        return {
            "notifications": {
                lang: {"title": title, "body": body, "url": pages[lang]} for lang, (title, body) in notices.items()
            },
            "messages": messages,
            "quiet_messages": (
                {lang: quiet_message(message) for lang, message in messages.items()}
                if alert.state in TERMINAL_STATES
                else {}
            ),
            "area": area,
            "attributes": collapse_attributes(alert),
            "cells": area_cells(alert.area),
            "audience": audience_for(alert.status),
        }

    def preview(self, content: Content) -> Preview:
        return Preview("application/json", json.dumps(content["notifications"], ensure_ascii=False))

    def reach(self, content: Content, previous: str | None) -> str:
        """Every topic any version of the alert reached, this one included: what the retraction must cover."""
        return Reach.parse(previous).including(content["cells"]).dump()

    def deliver(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> str | None:
        self._publish_all(content, content["cells"])
        return self.reach(content, shown)

    def retract(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> None:
        # Phones keep what came last under the collapse id: every cell an earlier version reached gets the
        # retraction too, not only those of the alert's last area, and every device the quiet copy.
        covers = Reach.parse(shown).including(content["cells"]).covers()
        for cover in covers[:1] if content["audience"] == "sandbox" else covers:  # the test topics: once
            self._publish_all(content, cover.cells, quiet=cover.quiet)

    def topics_for(self, audience: str, cells: list[str] | None) -> list[tuple[str, str]]:
        """(language, topic) pairs: the test topics for the sandbox audience, else national or the cells."""
        if audience == "sandbox":
            return [(lang, self._topics.test(lang)) for lang in LANGUAGES]
        if cells is None:
            return [(lang, self._topics.national(lang)) for lang in LANGUAGES]
        return [(lang, self._topics.cell(lang, cell)) for lang in LANGUAGES for cell in cells]

    def _publish_all(self, content: Content, cells: list[str] | None, *, quiet: bool = False) -> str:
        pairs = self.topics_for(content["audience"], cells)
        messages, attributes = content["quiet_messages" if quiet else "messages"], content["attributes"]

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


def quiet_message(message: str) -> str:
    """The retraction's copy for every device, which the app shows only where it showed the alert.

    On iOS a passive notification under the same collapse id: the app's extension drops it where the alert was never
    shown, and where it was, it replaces the alert without a sound. On Android data only, for the app to decide (FCM
    would show a notification block itself), at normal priority (FCM lowers the priority of an app whose
    high-priority messages show nothing) and without the collapse key, with which it could take the place of the
    visible retraction that FCM holds for an offline device.
    """
    document = json.loads(message)
    apns = json.loads(document["APNS"])
    apns["aps"].pop("sound", None)
    apns["aps"]["interruption-level"] = "passive"
    fcm = json.loads(document["GCM"])
    inner = fcm["fcmV1Message"]["message"]
    notification = inner.pop("notification")
    inner["android"] = {"priority": "normal"}
    inner["data"] = {**inner["data"], "title": notification["title"], "body": notification["body"]}
    platforms = {
        "APNS": json.dumps(apns, ensure_ascii=False, separators=(",", ":")),
        "GCM": json.dumps(fcm, ensure_ascii=False, separators=(",", ":")),
    }
    return json.dumps({"default": document["default"], "APNS_SANDBOX": platforms["APNS"], **platforms})


@dataclass(frozen=True)
class Cover:
    """The topics one round of a retraction is published to: ``cells`` None for the national topics; ``quiet`` for
    the copy the app shows only where it showed the alert (``quiet_message``)."""

    cells: list[str] | None
    quiet: bool = False


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

    def covers(self) -> list[Cover]:
        """The retraction's rounds: the national topics if reached, the cells if reached, and when the national
        topics were not, the quiet copy on them: a device that moved after the alert is in none of its cells, but
        every device is in its language's national topic."""
        reached = [Cover(None)] if self.national else []
        if self.cells:
            reached.append(Cover(sorted(self.cells)))
        return reached if self.national else [*reached, Cover(None, quiet=True)]

    def dump(self) -> str:
        return json.dumps({"national": self.national, "cells": sorted(self.cells)}, separators=(",", ":"))


def build(parts: Wiring) -> AppPushChannel:
    from chalicelib.adapters.clients import sns_client
    from chalicelib.adapters.push import PushService

    settings = parts.settings
    return AppPushChannel(PushService(sns_client(), settings.sns_arn_prefix()), PushTopics(settings.push_topic_prefix))
