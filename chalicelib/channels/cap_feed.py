"""cap_feed: the alert as an OASIS CAP 1.2 message per version, chained by ``references``, and the Atom index.

``cap_message`` and ``atom_feed`` are pure; ``CapFeedChannel`` writes them to the bucket the API serves them from.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from chalicelib.channels.targets import PartnerTarget
from chalicelib.models.alert import Alert, CircleArea, PolygonArea

NAME = "cap_feed"
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
EVENTS = {
    "kind_alarm": {"nl": "Kind Alarm", "en": "Child Alert"},
    "vermist_kind": {"nl": "Vermist kind", "en": "Missing child"},
}
# (urgency, severity, certainty) by level
GRAVITY = {"kind_alarm": ("Immediate", "Severe", "Likely"), "vermist_kind": ("Expected", "Moderate", "Likely")}
LANGUAGES = {"nl": "nl-NL", "en": "en-GB"}
SERVICE_AREA = Path(__file__).resolve().parents[1] / "geo" / "service_area.geojson"


@dataclass(frozen=True)
class CapPhoto:
    uri: str
    data: bytes


def cap_time(moment: datetime) -> str:
    """CAP's date-time: seconds precision and an explicit offset, never ``Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def identifier(alert: Alert) -> str:
    return f"kindalarm-{alert.id}-v{alert.version}"


def reference_of(alert: Alert, sender: str) -> str:
    """How a later message names this one in ``references``: sender,identifier,sent."""
    return f"{sender},{identifier(alert)},{cap_time(alert.updated_at)}"


def cap_message(alert: Alert, sender: str, references: list[str], photo: CapPhoto | None) -> bytes:
    """The CAP 1.2 message for this alert version: Alert, Update, or Cancel once it is cancelled or expired."""
    ET.register_namespace("", CAP_NS)
    root = ET.Element(f"{{{CAP_NS}}}alert")
    cancelled = alert.state != "active"
    _add(root, "identifier", identifier(alert))
    _add(root, "sender", sender)
    _add(root, "sent", cap_time(alert.updated_at))
    _add(root, "status", alert.status.capitalize())
    _add(root, "msgType", "Cancel" if cancelled else ("Alert" if not references else "Update"))
    _add(root, "scope", "Public")
    if references:
        _add(root, "references", " ".join(references))
    for language in ("nl", "en"):
        if language == "nl" or alert.headline.en:
            _info(root, alert, language, None if cancelled else photo)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _info(root: ET.Element, alert: Alert, language: str, photo: CapPhoto | None) -> None:
    info = _add(root, "info")
    urgency, severity, certainty = GRAVITY[alert.level]
    _add(info, "language", LANGUAGES[language])
    _add(info, "category", "Rescue")
    _add(info, "event", EVENTS[alert.level][language])
    _add(info, "urgency", urgency)
    _add(info, "severity", severity)
    _add(info, "certainty", certainty)
    _add(info, "expires", cap_time(alert.expires_at))
    _add(info, "senderName", "Politie / Burgernet")
    _add(info, "headline", (alert.headline.en if language == "en" else None) or alert.headline.nl)
    if alert.child.description:
        _add(info, "description", alert.child.description)
    _add(info, "instruction", (alert.instruction.en if language == "en" else None) or alert.instruction.nl)
    _add(info, "contact", alert.contact.phone)
    for name, value in _parameters(alert):
        parameter = _add(info, "parameter")
        _add(parameter, "valueName", name)
        _add(parameter, "value", value)
    if photo is not None:
        resource = _add(info, "resource")
        _add(resource, "resourceDesc", "Foto van het kind" if language == "nl" else "Photo of the child")
        _add(resource, "mimeType", "image/jpeg")
        _add(resource, "size", str(len(photo.data)))
        _add(resource, "uri", photo.uri)
        _add(resource, "digest", hashlib.sha1(photo.data).hexdigest())  # noqa: S324 - CAP 1.2 prescribes SHA-1
    _area(info, alert)


def _parameters(alert: Alert) -> list[tuple[str, str]]:
    """The child and the sighting, which CAP has no elements for, as parameters."""
    seen = alert.last_seen
    pairs = [("childName", alert.child.name), ("lastSeenAt", cap_time(seen.at)), ("lastSeenPlace", seen.place)]
    if alert.child.age is not None:
        pairs.insert(1, ("childAge", str(alert.child.age)))
    if seen.lat is not None and seen.lon is not None:
        pairs.append(("lastSeenPoint", f"{seen.lat},{seen.lon}"))
    return pairs


def _area(info: ET.Element, alert: Alert) -> None:
    area = _add(info, "area")
    area_type = alert.area
    if isinstance(area_type, CircleArea):
        _add(area, "areaDesc", f"{area_type.radius_km:g} km rond {alert.last_seen.place}")
        _add(area, "circle", f"{area_type.lat},{area_type.lon} {area_type.radius_km:g}")
    elif isinstance(area_type, PolygonArea):
        _add(area, "areaDesc", f"Gebied rond {alert.last_seen.place}")
        for ring in area_type.coordinates[:1]:  # CAP polygons have no holes: the outer ring
            _add(area, "polygon", " ".join(f"{lat},{lon}" for lon, lat in ring))
    else:
        _add(area, "areaDesc", "Nederland")
        ring = json.loads(SERVICE_AREA.read_text(encoding="utf-8"))["geometry"]["coordinates"][0]
        _add(area, "polygon", " ".join(f"{lat},{lon}" for lon, lat in ring))


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


ATOM_NS = "http://www.w3.org/2005/Atom"
PUBLIC_FEED = "public-feed"
SANDBOX_FEED = "sandbox-feed"


@dataclass(frozen=True)
class FeedEntry:
    alert_id: str
    identifier: str
    title: str
    updated: str


def atom_feed(entries: list[FeedEntry], base_url: str, updated: str) -> bytes:
    """The Atom index of active alerts, each entry linking to its CAP message (CAP feed conventions)."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _atom(feed, "id", "urn:kindalarm:feed")
    _atom(feed, "title", "Kind Alarm: vermiste kinderen")
    _atom(feed, "updated", updated)
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=f"{base_url}/feed")
    author = _atom(feed, "author")
    _atom(author, "name", "Politie / Burgernet")
    for entry in entries:
        item = _atom(feed, "entry")
        _atom(item, "id", f"urn:kindalarm:{entry.identifier}")
        _atom(item, "title", entry.title)
        _atom(item, "updated", entry.updated)
        ET.SubElement(
            item,
            f"{{{ATOM_NS}}}link",
            rel="alternate",
            type="application/cap+xml",
            href=f"{base_url}/alerts/{entry.alert_id}/cap",
        )
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _atom(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


class FeedFiles(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def index(self, prefix: str) -> dict[str, Any]: ...


class Photos(Protocol):
    def urls(self, photo_id: str | None) -> dict[str, str]: ...

    def master(self, photo_id: str | None) -> bytes | None: ...


class CapFeedChannel:
    """Writes each version's CAP message and keeps the Atom index of active alerts, per feed (public, sandbox)."""

    name = NAME

    def __init__(self, files: FeedFiles, photos: Photos, sender: str, base_url: str) -> None:
        self._files = files
        self._photos = photos
        self._sender = sender
        self._base_url = base_url

    def render(self, alert: Alert) -> dict[str, Any]:
        return {"alert": alert, "preview": cap_message(alert, self._sender, [], None)}

    def deliver(
        self, content: dict[str, Any], target: PartnerTarget, delivery_id: str, previous: str | None
    ) -> str | None:
        alert: Alert = content["alert"]
        master = self._photos.master(alert.photo_id)
        url = self._photos.urls(alert.photo_id).get("master")
        photo = CapPhoto(url, master) if master is not None and url is not None else None
        message = cap_message(alert, self._sender, [previous] if previous else [], photo)
        entry = FeedEntry(alert.id, identifier(alert), alert.headline.nl, cap_time(alert.updated_at))
        self._publish(_prefix(target), alert, message, entry)
        return reference_of(alert, self._sender)

    def retract(self, alert: Alert, target: PartnerTarget, reference: str | None, delivery_id: str) -> None:
        message = cap_message(alert, self._sender, [reference] if reference else [], None)
        self._publish(_prefix(target), alert, message, None)

    def _publish(self, prefix: str, alert: Alert, message: bytes, entry: FeedEntry | None) -> None:
        self._files.put(f"{prefix}cap/{alert.id}.xml", message, "application/cap+xml")
        index = self._files.index(prefix)
        if entry is None:
            index.pop(alert.id, None)  # a cancelled or expired alert leaves the index
        else:
            index[alert.id] = asdict(entry)
        self._files.put(f"{prefix}index.json", json.dumps(index).encode(), "application/json")
        entries = sorted((FeedEntry(**item) for item in index.values()), key=lambda e: e.updated, reverse=True)
        feed = atom_feed(entries, self._base_url, cap_time(alert.updated_at))
        self._files.put(f"{prefix}feed.atom", feed, "application/atom+xml")


def _prefix(target: PartnerTarget) -> str:
    return "" if target.name == PUBLIC_FEED else "sandbox/"
