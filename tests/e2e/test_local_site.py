"""The public site of the local stack: the bucket's site/ on the site port, as CloudFront serves it in AWS."""

from __future__ import annotations

import html
import http.client
import json
import re
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import boto3
import pytest
import requests

from chalicelib import names
from chalicelib.channels.policy import deployed_channels_for
from tests.conftest import alert_body

pytestmark = pytest.mark.e2e

BUCKET = names.photos_bucket("local", names.LOCAL_ACCOUNT)


@pytest.fixture(scope="module")
def s3(local_stack):
    return boto3.client(
        "s3",
        endpoint_url=local_stack.aws,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def raw_get(site: str, target: str, method: str = "GET") -> http.client.HTTPResponse:
    """One request with the target sent as written: requests and browsers would remove the dot segments first."""
    address = urlsplit(site)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    connection.request(method, target)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_an_object_under_site_is_served_with_its_type_and_cache_control(local_stack, s3):
    # Given a page the web channel would write
    s3.put_object(
        Bucket=BUCKET,
        Key="site/alerts/e2e-page.html",
        Body=b"<p>Sanne</p>",
        ContentType="text/html; charset=utf-8",
        CacheControl="max-age=60",
    )
    # When it is asked for on the site port
    response = requests.get(f"{local_stack.site}/alerts/e2e-page.html", timeout=10)
    # Then it comes as it was written, open to every origin
    assert response.status_code == 200
    assert response.text == "<p>Sanne</p>"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    head = requests.head(f"{local_stack.site}/alerts/e2e-page.html", timeout=10)
    assert (head.status_code, head.content, head.headers["Content-Length"]) == (200, b"", str(len(b"<p>Sanne</p>")))


def test_folders_answer_their_index(local_stack, s3):
    for folder in ("", "en/", "sandbox/"):
        s3.put_object(Bucket=BUCKET, Key=f"site/{folder}index.html", Body=f"index of /{folder}".encode())
    s3.put_object(
        Bucket=BUCKET, Key="site/active.json", Body=json.dumps({"alerts": []}).encode(), ContentType="application/json"
    )
    for folder in ("", "en/", "sandbox/"):
        assert requests.get(f"{local_stack.site}/{folder}", timeout=10).text == f"index of /{folder}"
    # A folder named without its slash is sent to it
    assert requests.get(f"{local_stack.site}/en", timeout=10).url == f"{local_stack.site}/en/"
    active = requests.get(f"{local_stack.site}/active.json", timeout=10)
    assert (active.headers["Content-Type"], active.json()) == ("application/json", {"alerts": []})


def test_a_missing_page_is_a_404_page(local_stack):
    response = requests.get(f"{local_stack.site}/alerts/no-such-alert.html", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Not found" in response.text


@pytest.mark.parametrize(
    "target",
    [
        "/../feed/index.json",
        "/alerts/../../feed/index.json",
        "/%2e%2e/feed/index.json",
        "/alerts/%2E%2E/%2e%2e/feed/index.json",
        "/..%2ffeed%2findex.json",
        "/alerts%2f..%2f..%2ffeed/index.json",
        "/..%5cfeed%5cindex.json",
        "//feed/index.json",
        "/./feed/index.json",
        "/alerts/%00.html",
        "/%ff.html",
    ],
)
def test_nothing_outside_site_is_served(local_stack, s3, target):
    # Given an object beside site/ that must never be public
    s3.put_object(Bucket=BUCKET, Key="feed/index.json", Body=b'{"secret": true}')
    # When a path tries to climb out of site/
    response = raw_get(local_stack.site, target)
    # Then it is refused
    assert response.status in (400, 404)


def test_other_methods_are_not_allowed(local_stack):
    for method in ("POST", "PUT", "DELETE", "TRACE", "BREW"):
        response = raw_get(local_stack.site, "/index.html", method)
        assert response.status == 405
        assert response.getheader("Allow") == "GET, HEAD"


def test_the_functions_link_to_the_local_api_and_site(local_stack):
    # Given the stack's functions, told where the API and the site are served
    created = requests.post(f"{local_stack.api}/alerts", json=alert_body(reference="BN-E2E-SITE-LINKS"), timeout=10)
    alert = created.json()
    # Then the alert's links are addresses on this machine that answer
    assert alert["links"]["self"] == f"{local_stack.api}/alerts/{alert['id']}"
    assert requests.get(alert["links"]["self"], timeout=10).status_code == 200
    assert alert["links"]["public_page"] == f"{local_stack.site}/alerts/{alert['id']}.html"


@pytest.mark.skipif("web" not in deployed_channels_for("kind_alarm"), reason="the policy deploys no web channel")
def test_an_alerts_public_page_is_published_on_the_site_and_cleared_when_the_child_is_found(local_stack):
    # Given an alert created over the API
    created = requests.post(f"{local_stack.api}/alerts", json=alert_body(reference="BN-E2E-SITE-PAGE"), timeout=10)
    alert = created.json()
    page = alert["links"]["public_page"]
    # When the web channel has run, the page answers on the site port with the child on it, and its images
    wait_until(lambda: "Sanne de Vries" in (_page_text(page) or ""))
    images = _images_of(alert["id"], page, _page_text(page) or "")
    assert images, "the page names no image of its own"
    for image in images:
        served = requests.get(image, timeout=10)
        assert (served.status_code, served.headers["Content-Type"].split("/")[0]) == (200, "image")
    wait_until(lambda: alert["id"] in requests.get(f"{local_stack.site}/active.json", timeout=10).text)
    # When the child is found
    cancelled = requests.post(f"{local_stack.api}/alerts/{alert['id']}/cancel", json={"reason": "found"}, timeout=10)
    assert cancelled.status_code == 200, cancelled.text
    # Then the page stays at its address without the child, and its images are gone
    wait_until(lambda: "Sanne de Vries" not in (_page_text(page) or "Sanne de Vries"))
    wait_until(lambda: all(requests.get(image, timeout=10).status_code == 404 for image in images))
    wait_until(lambda: alert["id"] not in requests.get(f"{local_stack.site}/active.json", timeout=10).text)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def _page_text(page: str) -> str | None:
    response = requests.get(page, timeout=10)
    return response.text if response.status_code == 200 else None


def _images_of(alert_id: str, page: str, text: str) -> list[str]:
    """The images of the alert's own folder that the page shows or names for link previews."""
    found = (urljoin(page, html.unescape(value)) for value in re.findall(r'(?:src|content)="([^"]+)"', text))
    return sorted({url for url in found if f"/alerts/{alert_id}/" in url})
