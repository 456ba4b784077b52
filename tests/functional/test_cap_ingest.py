"""CAP 1.2 in: the specification's kind of examples, our own messages round-tripped, hostile XML refused."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from chalicelib.channels.cap_feed import CAP_NS
from chalicelib.models.photos import RENDITION_NAMES
from tests.conftest import alert_body
from tests.functional.conftest import send

CAP = "application/cap+xml"
SOON = (datetime.now(timezone.utc) + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
NOW = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def post_cap(client, document: str | bytes, content_type: str = CAP) -> Any:
    body = document.encode() if isinstance(document, str) else document
    return client.http.post("/alerts", headers={"content-type": content_type}, body=body)


def problem(response) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/problem+json", response.body
    return json.loads(response.body)


def cap_alert(
    infos: str,
    *,
    identifier: str = "NL-BN-2026-0042",
    msg_type: str = "Alert",
    status: str = "Actual",
    sent: str = NOW,
    references: str = "",
) -> str:
    refs = f"<references>{references}</references>" if references else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        f"<identifier>{identifier}</identifier><sender>burgernet@politie.nl</sender><sent>{sent}</sent>"
        f"<status>{status}</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}{infos}</alert>"
    )


def dutch_info(area: str = "<circle>52.0894,5.1101 15</circle>", name: str = "Zoë Jansen") -> str:
    return (
        "<info><language>nl-NL</language><category>Rescue</category><event>Kind Alarm</event>"
        "<urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>"
        f"<expires>{SOON}</expires><headline>Zoë (7) vermist in Utrecht</headline>"
        "<description>1,20 m, bruin haar, gele jas</description><instruction>Zie je Zoë? Bel 112.</instruction>"
        "<contact>0800-6070</contact>"
        f"<parameter><valueName>childName</valueName><value>{name}</value></parameter>"
        "<parameter><valueName>childAge</valueName><value>7</value></parameter>"
        f"<area><areaDesc>Utrecht en omgeving</areaDesc>{area}</area></info>"
    )


def test_a_dutch_cap_alert_becomes_an_alert(client, aws):
    response = post_cap(client, cap_alert(dutch_info()))
    body = json.loads(response.body)
    assert response.status_code == 201, body
    assert (body["reference"], body["level"], body["status"]) == ("NL-BN-2026-0042", "kind_alarm", "actual")
    assert body["child"] == {"name": "Zoë Jansen", "age": 7, "description": "1,20 m, bruin haar, gele jas"}
    assert body["area"] == {"type": "circle", "lat": 52.0894, "lon": 5.1101, "radius_km": 15.0}
    again = post_cap(client, cap_alert(dutch_info()), "application/xml")
    assert (again.status_code, json.loads(again.body)["id"]) == (200, body["id"])


def test_update_and_cancel_act_on_the_referenced_alert(client, aws):
    created = json.loads(post_cap(client, cap_alert(dutch_info())).body)
    reference = f"burgernet@politie.nl,NL-BN-2026-0042,{NOW}"
    update = cap_alert(
        dutch_info(name="Zoë de Jong"), identifier="NL-BN-2026-0043", msg_type="Update", references=reference
    )
    updated = json.loads(post_cap(client, update).body)
    assert (updated["id"], updated["version"], updated["child"]["name"]) == (created["id"], 2, "Zoë de Jong")
    cancel = cap_alert("", identifier="NL-BN-2026-0044", msg_type="Cancel", references=reference)
    cancelled = json.loads(post_cap(client, cancel).body)
    assert (cancelled["id"], cancelled["state"]) == (created["id"], "cancelled")


def test_our_own_cap_message_round_trips_to_the_same_content(client, fan_out):
    original = json.loads(send(client, "POST", "/alerts", alert_body()).body)
    fan_out.runner.drain()
    message = client.http.get(f"/alerts/{original['id']}/cap").body
    copy = json.loads(post_cap(client, message).body)
    assert copy["id"] != original["id"]
    for key in ("level", "status", "child", "headline", "instruction", "area", "contact"):
        assert copy[key] == original[key], key
    assert instant(copy["expires_at"]) == instant(original["expires_at"])
    for key in ("place", "lat", "lon"):
        assert copy["last_seen"][key] == original["last_seen"][key]
    assert instant(copy["last_seen"]["at"]) == instant(original["last_seen"]["at"])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# Modelled on the examples in the CAP 1.2 specification's appendix (not in the Netherlands, no child parameters).
SPEC_LIKE = {
    "homeland security advisory": (
        "<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>43b080713727</identifier>"
        "<sender>hsas@dhs.gov</sender><sent>2003-04-02T14:39:01-05:00</sent><status>Actual</status>"
        "<msgType>Alert</msgType><scope>Public</scope><info><category>Security</category>"
        "<event>Homeland Security Advisory System Update</event><urgency>Immediate</urgency>"
        "<severity>Severe</severity><certainty>Likely</certainty><senderName>U.S. Government</senderName>"
        "<headline>Homeland Security Sets Code ORANGE</headline><area><areaDesc>U.S. nationwide</areaDesc></area>"
        "</info></alert>",
        "/alert/info/0/parameter/childName",
    ),
    "severe thunderstorm warning": (
        "<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>KSTO1055887203</identifier>"
        "<sender>KSTO@NWS.NOAA.GOV</sender><sent>2003-06-17T14:57:00-07:00</sent><status>Actual</status>"
        "<msgType>Alert</msgType><scope>Public</scope><info><category>Met</category>"
        "<event>SEVERE THUNDERSTORM</event><urgency>Immediate</urgency><severity>Severe</severity>"
        "<certainty>Observed</certainty><expires>2003-06-17T16:00:00-07:00</expires>"
        "<headline>SEVERE THUNDERSTORM WARNING</headline><area>"
        "<areaDesc>EXTREME NORTH CENTRAL TUOLUMNE COUNTY</areaDesc>"
        "<polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14</polygon>"
        "</area></info></alert>",
        "/alert/info/0/parameter/childName",
    ),
    "earthquake report update": (
        "<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>TRI13970876.2</identifier>"
        "<sender>trinet@caltech.edu</sender><sent>2003-06-11T20:56:00-07:00</sent><status>Actual</status>"
        "<msgType>Update</msgType><scope>Public</scope>"
        "<references>trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00</references><info>"
        "<category>Geo</category><event>Earthquake</event><urgency>Past</urgency><severity>Minor</severity>"
        "<certainty>Observed</certainty><headline>EQ 3.4 Imperial County CA</headline>"
        "<area><areaDesc>1 km SSW of Brawley, CA</areaDesc><circle>32.9525,-115.5527 0</circle></area></info></alert>",
        "/alert/references",
    ),
    "multilingual amber alert": (
        "<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>KAR0-0306112239-SW</identifier>"
        "<sender>KARO@CLETS.DOJ.CA.GOV</sender><sent>2003-06-11T22:39:00-07:00</sent><status>Actual</status>"
        "<msgType>Alert</msgType><source>SW</source><scope>Public</scope><info><language>en-US</language>"
        "<category>Rescue</category><event>Child Abduction</event><urgency>Immediate</urgency>"
        "<severity>Severe</severity><certainty>Likely</certainty><senderName>Los Angeles Police Dept</senderName>"
        "<headline>AMBER ALERT</headline><description>DATE/TIME: 06/11/03, 1915 HRS.</description>"
        "<contact>LAPD 213 485-2389</contact><area><areaDesc>Los Angeles County</areaDesc>"
        "<geocode><valueName>SAME</valueName><value>006037</value></geocode></area></info>"
        "<info><language>es-US</language><category>Rescue</category><event>Abducción de Niño</event>"
        "<urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>"
        "<headline>Alerta Amber</headline><area><areaDesc>condado de Los Ángeles</areaDesc></area></info></alert>",
        "/alert/info/0/parameter/childName",
    ),
}


@pytest.mark.parametrize("name", sorted(SPEC_LIKE))
def test_examples_from_elsewhere_are_refused_with_a_reason(client, aws, name):
    document, pointer = SPEC_LIKE[name]
    response = post_cap(client, document)
    assert response.status_code == 422
    assert pointer in [error["pointer"] for error in problem(response)["errors"]]


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        (cap_alert(dutch_info(), sent="2026-11-28T15:40:00Z"), "/alert/sent"),
        (cap_alert(dutch_info(), identifier="NL BN 42"), "/alert/identifier"),
        (cap_alert(dutch_info(), status="Live"), "/alert/status"),
        (cap_alert(dutch_info(), status="Draft"), "/alert/status"),
        (cap_alert(dutch_info("<polygon>52.0,5.0 52.1,5.1 52.0,5.2</polygon>")), "/alert/info/0/area/0/polygon/0"),
        (cap_alert(dutch_info("<circle>52.0894 5.1101 15</circle>")), "/alert/info/0/area/0/circle/0"),
        (
            cap_alert(dutch_info().replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>")),
            "/alert/info/0/urgency",
        ),
        (cap_alert(dutch_info().replace("<category>Rescue</category>", "")), "/alert/info/0/category"),
        (cap_alert(dutch_info(), msg_type="Ack"), "/alert/msgType"),
        (cap_alert(dutch_info("<circle>50.85,4.35 5</circle>")), "/alert/info/0/area/0"),
        ("<alert xmlns='urn:other'/>", "/alert"),
    ],
)
def test_cap_rules_are_checked_field_by_field(client, aws, document, pointer):
    response = post_cap(client, document)
    assert response.status_code == 422
    assert pointer in [error["pointer"] for error in problem(response)["errors"]]


XXE = '<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]><alert>&x;</alert>'
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]><alert>&lol9;</alert>"
)


@pytest.mark.parametrize(
    ("document", "status"),
    [(XXE, 400), (LAUGHS, 400), ("<alert><unclosed></alert>", 400), ("", 400), ("<a/>" + " " * (8 * 1024 * 1024), 413)],
    ids=["external entity", "billion laughs", "not well-formed", "empty", "oversized"],
)
def test_hostile_xml_is_refused_without_reading_or_expanding(client, aws, document, status):
    response = post_cap(client, document)
    assert response.status_code == status
    assert "root:" not in response.body.decode()
    problem(response)


def test_a_deref_uri_photo_goes_through_the_photo_pipeline(client, aws):
    import base64
    import io

    import boto3
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (600, 800), (90, 80, 70)).save(out, "JPEG")
    resource = (
        "<resource><resourceDesc>Foto</resourceDesc><mimeType>image/jpeg</mimeType>"
        f"<derefUri>{base64.b64encode(out.getvalue()).decode()}</derefUri></resource>"
    )
    info = dutch_info().replace("<area>", resource + "<area>")
    created = json.loads(post_cap(client, cap_alert(info)).body)
    photo_id = created["photo"]["id"]
    listing = boto3.client("s3").list_objects_v2(Bucket=aws["PhotosBucketName"], Prefix=f"photos/{photo_id}/")
    assert len(listing["Contents"]) == len(RENDITION_NAMES)
    refused = post_cap(client, cap_alert(info.replace("image/jpeg", "image/png"), identifier="NL-BN-2026-0099"))
    assert refused.status_code == 422
    assert problem(refused)["errors"][0]["pointer"] == "/alert/info/0/resource/0/derefUri"


def without_expires(info: str) -> str:
    return info.replace(f"<expires>{SOON}</expires>", "")


def test_an_alert_without_expires_runs_the_default_lifetime(client, aws):
    # Given a CAP alert without <expires>, which CAP 1.2 allows
    before = datetime.now(timezone.utc)
    # When it is taken in
    response = post_cap(client, cap_alert(without_expires(dutch_info())))
    # Then it is created, and the answer shows when it ends: DEFAULT_ALERT_HOURS (24) from now
    body = json.loads(response.body)
    assert response.status_code == 201, body
    expires = instant(body["expires_at"])
    assert (
        before + timedelta(hours=24) - timedelta(seconds=1)
        <= expires
        <= datetime.now(timezone.utc) + timedelta(hours=24)
    )


def test_an_update_without_expires_keeps_the_end(client, aws):
    created = json.loads(post_cap(client, cap_alert(dutch_info())).body)
    reference = f"burgernet@politie.nl,NL-BN-2026-0042,{NOW}"
    update = cap_alert(
        without_expires(dutch_info(name="Zoë de Jong")),
        identifier="NL-BN-2026-0043",
        msg_type="Update",
        references=reference,
    )
    updated = json.loads(post_cap(client, update).body)
    assert (updated["version"], updated["expires_at"]) == (2, created["expires_at"])


@pytest.mark.parametrize(
    ("alert_status", "message_status", "msg_type"),
    [
        ("Actual", "Exercise", "Update"),
        ("Actual", "Test", "Cancel"),
        ("Exercise", "Actual", "Cancel"),
        ("Test", "Exercise", "Update"),
    ],
)
def test_a_message_never_acts_on_an_alert_of_another_status(client, aws, alert_status, message_status, msg_type):
    # Given an alert of one status
    created = json.loads(post_cap(client, cap_alert(dutch_info(), status=alert_status)).body)
    # When a message of another status references it
    message = cap_alert(
        dutch_info(name="Zoë de Jong") if msg_type == "Update" else "",
        identifier="NL-BN-2026-0050",
        msg_type=msg_type,
        status=message_status,
        references=f"burgernet@politie.nl,NL-BN-2026-0042,{NOW}",
    )
    response = post_cap(client, message)
    # Then it is refused with 409, naming the status
    assert response.status_code == 409, response.body
    body = problem(response)
    assert [error["pointer"] for error in body["errors"]] == ["/alert/status"]
    assert message_status.lower() in body["detail"] and alert_status.lower() in body["detail"]
    # And the alert is as it was
    current = json.loads(send(client, "GET", f"/alerts/{created['id']}").body)
    assert (current["version"], current["state"], current["child"]["name"]) == (1, "active", "Zoë Jansen")


def our_message(client, fan_out, alert_id: str) -> str:
    """How a partner replying to our current CAP message names it: sender,identifier,sent."""
    fan_out.runner.drain()
    root = ET.fromstring(client.http.get(f"/alerts/{alert_id}/cap").body)
    return ",".join(root.findtext(f"{{{CAP_NS}}}{name}") or "" for name in ("sender", "identifier", "sent"))


def test_a_reference_to_our_message_acts_as_if_match_on_its_version(client, fan_out):
    # Given an alert whose version 1 a partner saw in our feed, and which then moved on to version 2
    original = json.loads(send(client, "POST", "/alerts", alert_body()).body)
    first = our_message(client, fan_out, original["id"])
    assert f"kindalarm-{original['id']}-v1" in first
    path = f"/alerts/{original['id']}"
    assert send(client, "PATCH", path, {"contact": {"phone": "112"}}, **{"If-Match": '"1"'}).status_code == 200
    # When the partner sends an Update and a Cancel based on version 1
    update = cap_alert(dutch_info(name="Zoë de Jong"), identifier="P-1", msg_type="Update", references=first)
    cancel = cap_alert("", identifier="P-2", msg_type="Cancel", references=first)
    # Then both are refused as stale (412), naming the references and the current version
    for message in (update, cancel):
        response = post_cap(client, message)
        assert response.status_code == 412, response.body
        body = problem(response)
        assert body["current_version"] == 2
        assert [error["pointer"] for error in body["errors"]] == ["/alert/references"]
    assert json.loads(send(client, "GET", path).body)["state"] == "active"
    # While an Update based on the current version applies
    second = our_message(client, fan_out, original["id"])
    updated = post_cap(
        client,
        cap_alert(dutch_info(name="Zoë de Jong"), identifier="P-3", msg_type="Update", references=f"{first} {second}"),
    )
    assert updated.status_code == 200, updated.body
    assert (json.loads(updated.body)["version"], json.loads(updated.body)["child"]["name"]) == (3, "Zoë de Jong")
    # And a Cancel naming that version after it moved on is stale, one naming the current version cancels
    assert post_cap(client, cap_alert("", identifier="P-4", msg_type="Cancel", references=second)).status_code == 412
    third = our_message(client, fan_out, original["id"])
    cancelled = post_cap(client, cap_alert("", identifier="P-5", msg_type="Cancel", references=third))
    assert (cancelled.status_code, json.loads(cancelled.body)["state"]) == (200, "cancelled")


@pytest.mark.parametrize(
    ("info", "pointer"),
    [
        (dutch_info(name="Zo\ufdd0ë"), "/alert/info/0/parameter/childName"),
        (dutch_info().replace("gele jas", "gele jas\U0001ffff"), "/alert/info/0/description"),
        (
            dutch_info()
            + dutch_info().replace("nl-NL", "en-GB").replace("Zoë (7) vermist in Utrecht", "Zoë (7) missing\ufdef"),
            "/alert/info/1/headline",
        ),
    ],
    ids=["name", "description", "English headline"],
)
def test_text_xml_should_not_carry_is_refused_on_its_element(client, aws, info, pointer):
    # Given a CAP alert holding a noncharacter, which XML 1.0 parses but feeds must not carry
    response = post_cap(client, cap_alert(info))
    # Then it is refused, naming the element it came in
    assert response.status_code == 422, response.body
    assert [error["pointer"] for error in problem(response)["errors"]] == [pointer]


@pytest.mark.parametrize("char", ["&#xFFFF;", "&#xFFFE;", "&#x1;", "\uffff"])
def test_text_xml_cannot_carry_does_not_even_parse(client, aws, char):
    response = post_cap(client, cap_alert(dutch_info(name=f"Zo{char}ë")))
    assert response.status_code == 400
    problem(response)


@pytest.mark.parametrize("age", ["²", "٣", "7 jaar", "-1"])
def test_a_child_age_that_is_no_number_is_named(client, aws, age):
    response = post_cap(client, cap_alert(dutch_info().replace("<value>7</value>", f"<value>{age}</value>")))
    assert response.status_code == 422, response.body
    assert [error["pointer"] for error in problem(response)["errors"]] == ["/alert/info/0/parameter/childAge"]


@pytest.mark.parametrize("identifier", ["x" * 3000, "NL&amp;BN"])
def test_references_that_name_nothing_we_know_are_refused(client, reference_lookups, identifier):
    # Given the alert table, which in DynamoDB refuses keys over 2,048 bytes with an error (moto does not)
    looked_up = reference_lookups
    # When a Cancel names an identifier that no alert can have
    references = f"burgernet@politie.nl,{identifier},{NOW}"
    response = post_cap(client, cap_alert("", identifier="NL-BN-2", msg_type="Cancel", references=references))
    # Then it is refused on references, and the table was not asked about it
    assert response.status_code == 422, response.body
    assert [error["pointer"] for error in problem(response)["errors"]] == ["/alert/references"]
    assert looked_up == []
