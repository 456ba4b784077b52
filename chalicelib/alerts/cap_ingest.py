"""CAP 1.2 in: a hardened parse, the CAP rules with field-level errors, and the mapping onto create/update/cancel."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar
from xml.etree.ElementTree import Element

from chalicelib.alerts.service import Created
from chalicelib.errors import (
    AlertNotFoundError,
    FieldError,
    InvalidAlertError,
    MalformedRequestError,
    StaleReferenceError,
    StatusMismatchError,
    VersionMismatchError,
)
from chalicelib.models.alert import Alert
from chalicelib.models.audit import UNATTRIBUTED, Actor

T = TypeVar("T")

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ENUMS = {
    "status": {"Actual", "Exercise", "System", "Test", "Draft"},
    "msgType": {"Alert", "Update", "Cancel", "Ack", "Error"},
    "scope": {"Public", "Restricted", "Private"},
}
INFO_ENUMS = {
    "category": {
        "Geo",
        "Met",
        "Safety",
        "Security",
        "Rescue",
        "Fire",
        "Health",
        "Env",
        "Transport",
        "Infra",
        "CBRNE",
        "Other",
    },
    "urgency": {"Immediate", "Expected", "Future", "Past", "Unknown"},
    "severity": {"Extreme", "Severe", "Moderate", "Minor", "Unknown"},
    "certainty": {"Observed", "Likely", "Possible", "Unlikely", "Unknown"},
}
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
IDENTIFIER = re.compile(r"^[^\s,<&]+$")
PAIR = r"-?\d+(\.\d+)?,-?\d+(\.\d+)?"
CIRCLE = re.compile(rf"^{PAIR} \d+(\.\d+)?$")
STATUS = {"Actual": "actual", "Exercise": "exercise", "Test": "test"}


@dataclass
class CapDocument:
    """A CAP alert, checked against the CAP 1.2 rules."""

    fields: dict[str, str]
    infos: list[dict[str, Any]]
    errors: list[FieldError] = field(default_factory=list)


def parse_cap(data: bytes) -> Element:
    """Parse with DTDs, entities and external references forbidden (defusedxml)."""
    from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as error:
        raise MalformedRequestError(
            f"The CAP document is refused: {type(error).__name__} (DTDs, entities and external references are not"
            " accepted).",
            (FieldError("DTDs, entities and external references are not accepted", pointer=""),),
        ) from None
    except ParseError as error:
        raise MalformedRequestError(f"The CAP document is not well-formed XML: {error}.", ()) from None
    return root


def read_cap(root: Element) -> CapDocument:
    """The alert's fields and info blocks, with an error for each CAP 1.2 rule it breaks."""
    if root.tag != f"{{{CAP_NS}}}alert":
        raise InvalidAlertError((FieldError(f"must be a CAP 1.2 <alert> in {CAP_NS}", pointer="/alert"),))
    document = CapDocument(fields={}, infos=[])
    for name in ("identifier", "sender", "sent", "status", "msgType", "scope", "references"):
        value = _text(root, name)
        if value is not None:
            document.fields[name] = value
        elif name != "references":
            document.errors.append(FieldError("required", pointer=f"/alert/{name}"))
    _check_fields(document)
    for index, info in enumerate(root.findall(f"{{{CAP_NS}}}info")):
        document.infos.append(_read_info(info, f"/alert/info/{index}", document.errors))
    return document


def _check_fields(document: CapDocument) -> None:
    for name, allowed in ENUMS.items():
        value = document.fields.get(name)
        if value is not None and value not in allowed:
            document.errors.append(FieldError(f"must be one of {', '.join(sorted(allowed))}", pointer=f"/alert/{name}"))
    sent = document.fields.get("sent")
    if sent is not None and not DATE_TIME.match(sent):
        document.errors.append(
            FieldError("must be YYYY-MM-DDThh:mm:ss with an offset such as +01:00", pointer="/alert/sent")
        )
    identifier = document.fields.get("identifier")
    if identifier is not None and not IDENTIFIER.match(identifier):
        message = "must not contain spaces, commas, < or &"
        document.errors.append(FieldError(message, pointer="/alert/identifier"))


def _read_info(info: Element, pointer: str, errors: list[FieldError]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in (
        "language",
        "event",
        "headline",
        "description",
        "instruction",
        "contact",
        "expires",
        "senderName",
        "urgency",
        "severity",
        "certainty",
        "category",
    ):
        values[name] = _text(info, name)
    for name in ("event", "urgency", "severity", "certainty", "category"):
        if values[name] is None:
            errors.append(FieldError("required", pointer=f"{pointer}/{name}"))
    for name, allowed in INFO_ENUMS.items():
        if values[name] is not None and values[name] not in allowed:
            errors.append(FieldError(f"must be one of {', '.join(sorted(allowed))}", pointer=f"{pointer}/{name}"))
    if values["expires"] is not None and not DATE_TIME.match(values["expires"]):
        errors.append(FieldError("must be a CAP date-time with an offset", pointer=f"{pointer}/expires"))
    values["parameters"] = {
        _text(p, "valueName") or "": _text(p, "value") or "" for p in info.findall(f"{{{CAP_NS}}}parameter")
    }
    values["resources"] = [
        {name: _text(r, name) for name in ("mimeType", "derefUri", "uri")}
        for r in info.findall(f"{{{CAP_NS}}}resource")
    ]
    values["areas"] = [
        _read_area(a, f"{pointer}/area/{i}", errors) for i, a in enumerate(info.findall(f"{{{CAP_NS}}}area"))
    ]
    return values


def _read_area(area: Element, pointer: str, errors: list[FieldError]) -> dict[str, Any]:
    description = _text(area, "areaDesc")
    if description is None:
        errors.append(FieldError("required", pointer=f"{pointer}/areaDesc"))
    polygons, circles = [], []
    for index, polygon in enumerate(area.findall(f"{{{CAP_NS}}}polygon")):
        points = (polygon.text or "").split()
        if len(points) < 4 or points[0] != points[-1] or not all(re.fullmatch(PAIR, p) for p in points):
            message = "must be at least 4 lat,lon pairs, separated by spaces, the first and last equal"
            errors.append(FieldError(message, pointer=f"{pointer}/polygon/{index}"))
        else:
            polygons.append([[float(p.split(",")[1]), float(p.split(",")[0])] for p in points])
    for index, circle in enumerate(area.findall(f"{{{CAP_NS}}}circle")):
        text = (circle.text or "").strip()
        if not CIRCLE.match(text):
            errors.append(FieldError('must be "lat,lon radius" (radius in km)', pointer=f"{pointer}/circle/{index}"))
        else:
            centre, radius = text.split()
            lat, lon = centre.split(",")
            circles.append({"lat": float(lat), "lon": float(lon), "radius_km": float(radius)})
    return {"areaDesc": description, "polygons": polygons, "circles": circles}


def _text(element: Element, name: str) -> str | None:
    child = element.find(f"{{{CAP_NS}}}{name}")
    return child.text.strip() if child is not None and child.text and child.text.strip() else None


# Where each field of our alert comes from in a CAP document, for errors found after the mapping;
# {nl} and {en} stand for the indexes of the Dutch and the English info blocks.
SOURCES = {
    "/reference": "/alert/identifier",
    "/status": "/alert/status",
    "/level": "/alert/info/{nl}/severity",
    "/child/name": "/alert/info/{nl}/parameter/childName",
    "/child/age": "/alert/info/{nl}/parameter/childAge",
    "/child/description": "/alert/info/{nl}/description",
    "/child": "/alert/info/{nl}/parameter/childName",
    "/headline/en": "/alert/info/{en}/headline",
    "/headline": "/alert/info/{nl}/headline",
    "/instruction/en": "/alert/info/{en}/instruction",
    "/instruction": "/alert/info/{nl}/instruction",
    "/last_seen": "/alert/info/{nl}/parameter/lastSeenAt",
    "/area": "/alert/info/{nl}/area/0",
    "/contact": "/alert/info/{nl}/contact",
    "/expires_at": "/alert/info/{nl}/expires",
    "/photo": "/alert/info/{nl}/resource/0/derefUri",
    "/reason": "/alert/info/{nl}/parameter/cancelReason",
    "": "/alert",
}
HINTS = {
    "/child/name": "required: a parameter childName with the child's name",
    "/child": "required: a parameter childName",
}


def translated(error: InvalidAlertError, document: CapDocument | None = None) -> InvalidAlertError:
    """The same errors, pointing into the CAP document instead of the JSON alert."""
    dutch, english = _languages(document.infos) if document is not None and document.infos else (0, None)
    indexes = {"nl": dutch, "en": dutch if english is None else english}
    items = []
    for item in error.errors:
        pointer = item.pointer or ""
        source = next(
            (SOURCES[key] for key in sorted(SOURCES, key=len, reverse=True) if pointer.startswith(key)), "/alert"
        )
        detail = HINTS.get(pointer, item.detail) if item.detail == "required" else item.detail
        items.append(FieldError(detail, pointer=source.format(**indexes)))
    return InvalidAlertError(tuple(items))


def _languages(infos: list[dict[str, Any]]) -> tuple[int, int | None]:
    """Which info block is Dutch (or else the first), and which English, if any."""
    dutch = next((n for n, info in enumerate(infos) if (info["language"] or "").lower().startswith("nl")), 0)
    english = next(
        (n for n, info in enumerate(infos) if n != dutch and (info["language"] or "en-US").lower().startswith("en")),
        None,
    )
    return dutch, english


def alert_body(document: CapDocument) -> dict[str, Any]:
    """The JSON alert a CAP alert stands for (the child and the sighting travel as CAP parameters)."""
    if not document.infos:
        raise InvalidAlertError((FieldError("an alert needs an info block", pointer="/alert/info"),))
    nl, en = _languages(document.infos)
    dutch, english = document.infos[nl], None if en is None else document.infos[en]
    params = dutch["parameters"]
    level = params.get("level") or ("kind_alarm" if dutch["severity"] in ("Extreme", "Severe") else "vermist_kind")
    body = {
        "reference": document.fields.get("identifier"),
        "level": level,
        "status": STATUS.get(document.fields.get("status", ""), document.fields.get("status")),
        "child": {
            "name": params.get("childName"),
            "age": _age(params.get("childAge")),
            "description": dutch["description"],
        },
        "headline": {"nl": dutch["headline"], "en": english["headline"] if english else None},
        "instruction": {"nl": dutch["instruction"], "en": english["instruction"] if english else None},
        "last_seen": _last_seen(dutch, document.fields.get("sent")),
        "area": _area_of(dutch["areas"]),
        "contact": {"phone": dutch["contact"]},
        "expires_at": dutch["expires"],
        "photo": next(
            ({"content_type": r["mimeType"], "data": r["derefUri"]} for r in dutch["resources"] if r["derefUri"]), None
        ),
    }
    return dict(_without_none(body))


def _age(text: str | None) -> int | str | None:
    """The child's age; anything but digits stays text, so the model names it (``int`` refuses "²", isdigit not)."""
    if not text:
        return None
    return int(text) if re.fullmatch(r"[0-9]{1,3}", text) else text


def _last_seen(info: dict[str, Any], sent: str | None) -> dict[str, Any]:
    params = info["parameters"]
    seen: dict[str, Any] = {
        "at": params.get("lastSeenAt") or sent,
        "place": params.get("lastSeenPlace") or next((a["areaDesc"] for a in info["areas"] if a["areaDesc"]), None),
    }
    point = params.get("lastSeenPoint", "")
    if re.fullmatch(PAIR, point):
        seen["lat"], seen["lon"] = (float(part) for part in point.split(","))
    return seen


def _area_of(areas: list[dict[str, Any]]) -> dict[str, Any]:
    for area in areas:
        if area["circles"]:
            return {"type": "circle", **area["circles"][0]}
        if area["polygons"]:
            return {"type": "polygon", "coordinates": [area["polygons"][0]]}
    return {"type": "national"}


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    return value


def _update_patch(document: CapDocument) -> dict[str, Any]:
    """What an Update changes: what it carries, and nothing it leaves out.

    CAP has no way to say "unchanged": an Update without a circle or polygon keeps the alert's area (it would
    otherwise become national, every device in the country), and one without ``lastSeenAt`` keeps when the child
    was last seen (its ``<sent>`` is when Burgernet wrote, not when anyone saw her).
    """
    body = alert_body(document)
    patch = {key: value for key, value in body.items() if key not in ("reference", "level", "status")}
    dutch = document.infos[_languages(document.infos)[0]]
    if not any(area["circles"] or area["polygons"] for area in dutch["areas"]):
        patch.pop("area", None)
    if not dutch["parameters"].get("lastSeenAt"):
        seen = {key: value for key, value in patch.pop("last_seen", {}).items() if key != "at"}
        if seen:
            patch["last_seen"] = seen
    return patch


def referenced_identifiers(document: CapDocument) -> list[str]:
    """The identifiers ``references`` names (sender,identifier,sent triples separated by spaces)."""
    return [triple.split(",")[1] for triple in document.fields.get("references", "").split() if triple.count(",") == 2]


# cap_feed names each message it publishes after the alert and its version (``cap_feed.identifier``), so a
# partner's reply to one of our messages says which version it was based on.
OWN_IDENTIFIER = re.compile(r"^kindalarm-(?P<id>[0-9a-f-]{36})-v(?P<version>[1-9][0-9]{0,8})$")
# Only an identifier that could be a reference is looked up (others name nothing, and keys have a size limit).
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
REFERENCES = "/alert/references"
# The most messages ``references`` may name: each is a table read before the answer.
MAX_REFERENCES = 100


@dataclass(frozen=True)
class Referenced:
    """The alert an Update or Cancel names, and the version of ours it names, which acts as If-Match."""

    alert: Alert
    version: int | None


class AlertUseCases(Protocol):
    def create(self, body: Any, actor: Actor = ...) -> Created: ...

    def get(self, alert_id: str) -> Alert: ...

    def find_by_reference(self, reference: str) -> Alert | None: ...

    def update(self, alert_id: str, patch: Any, expected_version: int, actor: Actor = ...) -> Alert: ...

    def cancel(self, alert_id: str, body: Any, expected_version: int | None, actor: Actor = ...) -> Alert: ...


class CapIngest:
    """``POST /alerts`` with a CAP 1.2 document: Alert creates, Update and Cancel act on the alert it references."""

    def __init__(self, alerts: AlertUseCases) -> None:
        self._alerts = alerts

    def ingest(self, data: bytes, actor: Actor = UNATTRIBUTED) -> Created:
        document = read_cap(parse_cap(data))
        if document.errors:
            raise InvalidAlertError(tuple(document.errors))
        if document.fields["status"] not in STATUS:
            message = "only Actual, Exercise and Test alerts are taken in"
            raise InvalidAlertError((FieldError(message, pointer="/alert/status"),))
        kind = document.fields["msgType"]
        if kind == "Alert":
            return _translated(lambda: self._alerts.create(alert_body(document), actor), document)
        if kind not in ("Update", "Cancel"):
            raise InvalidAlertError((FieldError(f"{kind} messages are not taken in", pointer="/alert/msgType"),))
        referenced = self._referenced(document)
        target = referenced.alert
        status = STATUS[document.fields["status"]]
        if status != target.status:
            raise StatusMismatchError(target.id, status, target.status, pointer="/alert/status")
        if kind == "Cancel":
            reason = (document.infos[0]["parameters"].get("cancelReason") if document.infos else None) or "withdrawn"
            cancel = partial(self._alerts.cancel, target.id, {"reason": reason}, referenced.version, actor)
            return Created(_translated(cancel, document, referenced.version), False)
        patch = _update_patch(document)
        expected = referenced.version or target.version
        update = partial(self._alerts.update, target.id, patch, expected, actor)
        return Created(_translated(update, document, referenced.version), False)

    def _referenced(self, document: CapDocument) -> Referenced:
        """The one alert ``references`` names; a message naming two alerts acts on neither.

        Each of our messages names its alert by id (one lookup per alert); any other identifier is looked up as a
        reference, at most MAX_REFERENCES of them, so a long list cannot hold the request past API Gateway's 29 s.
        """
        named = referenced_identifiers(document)
        ours = {m["id"] for m in map(OWN_IDENTIFIER.match, named) if m}
        others = {identifier for identifier in named if not OWN_IDENTIFIER.match(identifier)}
        if len(ours) + len(others) > MAX_REFERENCES:
            message = f"names at most {MAX_REFERENCES} messages (alerts and their updates)"
            raise InvalidAlertError((FieldError(message, pointer=REFERENCES),))
        found = [self._own(alert_id) for alert_id in sorted(ours)] + [self._by_reference(i) for i in sorted(others)]
        alerts = {alert.id: alert for alert in found if alert is not None}
        if not alerts:
            raise InvalidAlertError((FieldError("names no alert known here", pointer=REFERENCES),))
        if len(alerts) > 1:
            message = f"names {len(alerts)} alerts; an Update or Cancel acts on one"
            raise InvalidAlertError((FieldError(message, pointer=REFERENCES),))
        (alert,) = alerts.values()
        # A message may name several of our versions; it is based on the latest of them.
        versions = [int(m.group("version")) for m in map(OWN_IDENTIFIER.match, named) if m and m["id"] == alert.id]
        return Referenced(alert, max(versions, default=None))

    def _own(self, alert_id: str) -> Alert | None:
        try:
            return self._alerts.get(alert_id)
        except AlertNotFoundError:
            return None

    def _by_reference(self, identifier: str) -> Alert | None:
        return self._alerts.find_by_reference(identifier) if REFERENCE.match(identifier) else None


def _translated(action: Callable[[], T], document: CapDocument, named_version: int | None = None) -> T:
    """Run a use case; its errors name the CAP document's elements, a stale named version names ``references``."""
    try:
        return action()
    except InvalidAlertError as error:
        raise translated(error, document) from None
    except StatusMismatchError as error:
        raise StatusMismatchError(error.alert_id, error.message_status, error.alert_status, "/alert/status") from None
    except VersionMismatchError as error:
        if named_version is None:
            raise
        raise StaleReferenceError(named_version, error.current, REFERENCES) from None
