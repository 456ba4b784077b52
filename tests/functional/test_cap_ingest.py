"""CAP 1.2 in: the specification's kind of examples, our own messages round-tripped, hostile XML refused."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

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
    assert len(listing["Contents"]) == 6
    refused = post_cap(client, cap_alert(info.replace("image/jpeg", "image/png"), identifier="NL-BN-2026-0099"))
    assert refused.status_code == 422
    assert problem(refused)["errors"][0]["pointer"] == "/alert/info/0/resource/0/derefUri"
