"""cap_feed: the alert as an OASIS CAP 1.2 message per version, chained by ``references``, and the Atom index.

Every ``info`` names the alert's official page in its language as ``web`` (a Cancel's too: the page then says
how the alert ended), and every Atom entry links to it beside its CAP message.

``cap_message`` and ``atom_feed`` are pure; ``CapFeed`` writes them to the bucket the API serves them from, with
conditional writes so that several ``cap_feed`` functions can run at once; ``CapFeedChannel`` is the channel.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.channels.base import Asset, Assets, ChannelDefaults, Content, Preview
from chalicelib.channels.targets import OWN_AUDIENCES, PartnerTarget, audience_for
from chalicelib.channels.texts import ending, page_in
from chalicelib.channels.versioned_files import (
    FileBody,
    StoredFiles,
    VersionedIndex,
    change_index,
    number,
    refresh_built,
    write_version,
)
from chalicelib.models.alert import Alert, CircleArea, PolygonArea
from chalicelib.wording import ENDINGS, LANGUAGES, LEVEL_TITLES, Language

if TYPE_CHECKING:
    from chalicelib.adapters.feed_store import FeedFile
    from chalicelib.wiring import Wiring

NAME = "cap_feed"
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# (urgency, severity, certainty) by level
GRAVITY = {"kind_alarm": ("Immediate", "Severe", "Likely"), "vermist_kind": ("Expected", "Moderate", "Likely")}
CAP_LANGUAGES = {"nl": "nl-NL", "en": "en-GB"}
# A Cancel: nothing more to do (Past), and what it says was seen to happen.
CANCEL_GRAVITY = ("Past", "Minor", "Observed")
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


def cap_message(alert: Alert, sender: str, references: list[str], photo: CapPhoto | None, page: str) -> bytes:
    """The CAP 1.2 message for this alert version: Alert, Update, or Cancel once it is cancelled or expired.

    ``page`` is the alert's (Dutch) public page; each ``info`` links the page in its own language. A Cancel names
    the event and why it ended, never the child: no name, age, description, place, point or photo.
    """
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
    for language in LANGUAGES:
        if language == "nl" or alert.headline.en:
            web = page_in(language, page, alert)
            if cancelled:
                _cancel_info(root, alert, language, web)
            else:
                _info(root, alert, language, photo, web)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _cancel_info(root: ET.Element, alert: Alert, language: Language, web: str) -> None:
    info = _add(root, "info")
    label, text = ENDINGS[ending(alert)][language]
    label = label.lower()
    _add(info, "language", CAP_LANGUAGES[language])
    _add(info, "category", "Rescue")
    _add(info, "event", LEVEL_TITLES[alert.level][language])
    for tag, value in zip(("urgency", "severity", "certainty"), CANCEL_GRAVITY, strict=True):
        _add(info, tag, value)
    _add(info, "senderName", "Politie / Burgernet")
    _add(info, "headline", f"{LEVEL_TITLES[alert.level][language]}: {label}")
    _add(info, "description", text)
    _add(info, "web", web)


def _info(root: ET.Element, alert: Alert, language: Language, photo: CapPhoto | None, web: str) -> None:
    info = _add(root, "info")
    urgency, severity, certainty = GRAVITY[alert.level]
    _add(info, "language", CAP_LANGUAGES[language])
    _add(info, "category", "Rescue")
    _add(info, "event", LEVEL_TITLES[alert.level][language])
    _add(info, "urgency", urgency)
    _add(info, "severity", severity)
    _add(info, "certainty", certainty)
    _add(info, "expires", cap_time(alert.expires_at))
    _add(info, "senderName", "Politie / Burgernet")
    _add(info, "headline", (alert.headline.en if language == "en" else None) or alert.headline.nl)
    if alert.child.description:
        _add(info, "description", alert.child.description)
    _add(info, "instruction", (alert.instruction.en if language == "en" else None) or alert.instruction.nl)
    _add(info, "web", web)  # CAP 1.2 orders it after instruction, before contact
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
PUBLIC_FEED = OWN_AUDIENCES[NAME][0]  # the public feed's target (the sandbox feed's is the second)
SANDBOX_PREFIX = "sandbox/"
FEEDS = ("", SANDBOX_PREFIX)  # the public feed and the sandbox feed, as prefixes of their files
CAP_TYPE = "application/cap+xml"
ATOM_TYPE = "application/atom+xml"


@dataclass(frozen=True)
class FeedEntry:
    alert_id: str
    identifier: str
    title: str
    updated: str
    # The alert's public page; empty in an entry listed before the pages were.
    page: str = ""


def atom_feed(entries: list[FeedEntry], base_url: str, updated: str) -> bytes:
    """The Atom index of active alerts, each entry linking to its CAP message (CAP feed conventions) and its page.

    The feed and the CAP messages are the API's: their links are absolute under ``base_url``, the API's public
    address. Without one they are relative to the feed's own address (``<api>/feed``), so that a reader still
    finds them wherever the API is served, a stage path such as API Gateway's ``/api`` included.
    """
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _atom(feed, "id", "urn:kindalarm:feed")
    _atom(feed, "title", "Kind Alarm: vermiste kinderen")
    _atom(feed, "updated", updated)
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=_api_link(base_url, "feed"))
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
            href=_api_link(base_url, f"alerts/{entry.alert_id}/cap"),
        )
        if entry.page:
            ET.SubElement(item, f"{{{ATOM_NS}}}link", rel="related", type="text/html", href=entry.page)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _api_link(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path}" if base_url else path


def _atom(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


FeedFiles = StoredFiles


def message_key(prefix: str, alert_id: str) -> str:
    return f"{prefix}cap/{alert_id}.xml"


class FeedIndex(VersionedIndex):
    """One feed's index (``VersionedIndex``), its entries the Atom document's."""

    def feed_entries(self) -> list[FeedEntry]:
        return [FeedEntry(**entry) for entry in self.entries()]


class CapFeed:
    """The files of both feeds (public and sandbox), safe with several writers at once.

    Every write is conditional on the file being the one just read; a writer that loses reads again and decides
    again. A CAP message never goes back to an older version, the index never loses another writer's change,
    and ``feed.atom`` is only replaced by one built from a newer index.
    """

    def __init__(self, files: FeedFiles, base_url: str) -> None:
        self._files = files
        self._base_url = base_url

    def write_message(
        self, prefix: str, alert: Alert, sender: str, previous: str | None, photo: CapPhoto | None, page: str
    ) -> None:
        def message(stored: FeedFile | None) -> FileBody:
            # The message it replaces names itself, so a retraction without a delivery record still chains to it.
            chain = (stored.metadata.get("reference") if stored else None) or previous
            return FileBody(cap_message(alert, sender, [chain] if chain else [], photo, page), CAP_TYPE)

        reference = reference_of(alert, sender)
        write_version(self._files, message_key(prefix, alert.id), alert.version, message, reference=reference)

    def list_version(self, prefix: str, alert_id: str, version: int, entry: FeedEntry | None, at: str) -> None:
        """The alert's place in the index at this version: ``entry``, or out of the feed with ``None``."""
        listing = asdict(entry) if entry else None
        index = self._change_index(prefix, lambda index: index.record(alert_id, version, listing, at))
        self._refresh_atom(prefix, index)

    def erase(self, alert_id: str, at: datetime) -> None:
        """Everything either feed holds of the alert: its CAP message and its line in the index."""
        for prefix in FEEDS:
            self._files.delete(message_key(prefix, alert_id))
            index = self._change_index(prefix, lambda index: index.forget(alert_id, cap_time(at)))
            self._refresh_atom(prefix, index)

    def _change_index(self, prefix: str, change: Callable[[VersionedIndex], bool]) -> FeedIndex:
        index = change_index(self._files, f"{prefix}index.json", change, lambda: self._atom_generation(prefix))
        return FeedIndex(index.generation, index.updated, index.alerts)

    def _refresh_atom(self, prefix: str, index: FeedIndex) -> None:
        def atom() -> FileBody:
            return FileBody(atom_feed(index.feed_entries(), self._base_url, index.updated), ATOM_TYPE)

        refresh_built(self._files, f"{prefix}feed.atom", index, atom)

    def _atom_generation(self, prefix: str) -> int:
        return number(self._files.read(f"{prefix}feed.atom"), "generation")


class CapFeedChannel(ChannelDefaults):
    """Writes each version's CAP message and keeps the Atom index of active alerts, per feed (public, sandbox)."""

    name = NAME

    needs: frozenset[Asset] = frozenset({"photo", "photo_urls"})

    def __init__(self, files: FeedFiles, sender: str, base_url: str) -> None:
        self._feed = CapFeed(files, base_url)
        self._sender = sender

    def render(self, alert: Alert, assets: Assets) -> Content:
        """The message's parts: which feed, the alert, its photo (none on a Cancel), its page and its index entry.
        The message itself chains to the one it replaces in the feed, which only the write can read."""
        url = assets.photo_urls.get("master")
        active = alert.state not in TERMINAL_STATES
        photo = CapPhoto(url, assets.photo) if active and assets.photo is not None and url is not None else None
        page = assets.public_page
        updated = cap_time(alert.updated_at)
        entry = FeedEntry(alert.id, identifier(alert), alert.headline.nl, updated, page) if active else None
        prefix = "" if audience_for(alert.status) == "public" else SANDBOX_PREFIX
        return {"alert": alert, "photo": photo, "page": page, "entry": entry, "prefix": prefix}

    def preview(self, content: Content) -> Preview:
        message = cap_message(content["alert"], self._sender, [], content["photo"], content["page"])
        return Preview(CAP_TYPE, message.decode())

    def deliver(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> str | None:
        alert: Alert = content["alert"]
        self._feed.write_message(content["prefix"], alert, self._sender, shown, content["photo"], content["page"])
        self._feed.list_version(content["prefix"], alert.id, alert.version, content["entry"], content["entry"].updated)
        return reference_of(alert, self._sender)

    def retract(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> None:
        """The Cancel replaces the message and the alert leaves the index, whether or not it was ever shown."""
        alert: Alert = content["alert"]
        self._feed.write_message(content["prefix"], alert, self._sender, shown, None, content["page"])
        self._feed.list_version(content["prefix"], alert.id, alert.version, None, cap_time(alert.updated_at))


def build(parts: Wiring) -> CapFeedChannel:
    return CapFeedChannel(parts.feed_store, parts.settings.cap_sender, parts.settings.public_base_url)
