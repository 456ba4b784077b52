"""The partner sink: one HTTP server standing in for every partner.

Webhook partners (newsrooms, the traffic-management centre, NS) under ``/webhooks/<partner>``: it
verifies each signature, records what arrived and answers with a reference a retraction can name.
Social accounts under ``/x/<account>`` and ``/meta/<account>`` on the platforms' own API paths (X API v2
media upload, posts and deletes; Graph API page photos and deletes), checking the account's token and refusing
another as each platform does (X a 401, Graph an OAuthException 190); a test renews a token with ``renew_secret``.
Any partner can be told to misbehave (fail, stall, rate-limit). A page lists everything, with the pictures each
partner got beside the delivery that brought them (``/images/<n>``): what the country sees.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class SocialRequest:
    method: str
    api: str  # "x" or "meta": whose refusals the sink answers with
    partner: str
    path: str
    token: str | None
    body: bytes
    fields: dict[str, bytes]


@dataclass(frozen=True)
class ReceivedImage:
    """A picture a partner received: inline in a webhook, or uploaded to a social platform."""

    content_type: str
    data: bytes
    label: str


@dataclass
class Misbehaviour:
    status: int = 500
    times: int | None = None  # None: until told otherwise
    delay_seconds: float = 0.0
    retry_after: int | None = None
    # Only requests of this method and path (e.g. "POST /2/tweets"), for a social platform; None: every request.
    request: str | None = None


class PartnerSink:
    def __init__(self, port: int = 0) -> None:
        self._secrets: dict[str, str] = {}
        self._lock = threading.Lock()
        self._deliveries: list[dict[str, Any]] = []
        self._posts: list[dict[str, Any]] = []
        self._images: list[ReceivedImage] = []
        self._media: dict[str, int] = {}  # an uploaded medium's id -> its image number
        self._misbehaviour: dict[str, Misbehaviour] = {}
        self._server = _SinkServer(port, self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="partner-sink", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> PartnerSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def trust(self, secrets: dict[str, str]) -> None:
        """The partners' webhook secrets, against which signatures are verified."""
        with self._lock:
            self._secrets = dict(secrets)

    def renew_secret(self, partner: str, value: str) -> None:
        """One partner's secret or access token renewed: the one it held before is refused from now on."""
        with self._lock:
            self._secrets = {**self._secrets, partner: value}

    def deliveries(self, partner: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for item in self._deliveries if partner in (None, item["partner"])]

    def posts(self, partner: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for item in self._posts if partner in (None, item["partner"])]

    def post_by_hand(self, partner: str, text: str) -> str:
        """A post someone wrote on the account in the platform's own app, not through its API; its id."""
        with self._lock:
            post_id = f"{partner}-post-{len(self._posts) + 1}"
            self._posts.append(
                {"partner": partner, "id": post_id, "text": text, "image": False, "deleted": False, "images": []}
            )
        return post_id

    def image(self, number: int) -> ReceivedImage | None:
        """The ``number``-th picture received (from 1), as ``/images/<number>`` serves it."""
        with self._lock:
            return self._images[number - 1] if 0 < number <= len(self._images) else None

    def page(self) -> str:
        """The page a person reads: every delivery and post, newest first, with the pictures it carried."""
        with self._lock:
            deliveries = [dict(item) for item in self._deliveries]
            posts = [dict(item) for item in self._posts]
            labels = {number: image.label for number, image in enumerate(self._images, start=1)}
        return _page(deliveries, posts, labels)

    def _keep_image(self, data: bytes, label: str) -> int:
        """Called with the lock held; the image's number."""
        self._images.append(ReceivedImage(_image_type(data), data, label))
        return len(self._images)

    def social(self, request: SocialRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The X and Graph API calls this sink answers, on their real paths below the account prefix."""
        failure = self._take_misbehaviour(request.partner, f"{request.method} {request.path}")
        if failure is not None:
            time.sleep(failure.delay_seconds)
            if failure.status >= 300:
                reset = str(int(time.time()) + (failure.retry_after or 0))
                return failure.status, {"title": "Too Many Requests"}, {"x-rate-limit-reset": reset}
        if request.token != self._secrets.get(request.partner):
            return _token_refused(request.api)
        return self._social_call(request)

    def _social_call(self, request: SocialRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        path, method = request.path, request.method
        with self._lock:
            if method == "POST" and path.endswith("/media/upload"):
                media_id = f"m{len(self._media) + 1}"
                self._media[media_id] = self._keep_image(request.fields.get("media", b""), SOCIAL_CARD)
                return 200, {"data": {"id": media_id}}, {}
            if method == "POST" and (path.endswith("/tweets") or path.endswith("/photos")):
                return self._new_post(request)
            if method == "DELETE":
                return self._delete_post(request.partner, path.rsplit("/", 1)[-1])
            if method == "GET":
                return self._listing(request.partner, path)
        return 404, {"title": "Not Found"}, {}

    def _listing(self, partner: str, path: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        """X's user timeline (links shortened in the text, expanded in the entities) and a Graph page's posts."""
        live = [post for post in reversed(self._posts) if post["partner"] == partner and not post["deleted"]][:100]
        if path == "/2/users/me":
            return 200, {"data": {"id": f"{partner}-user", "username": partner}}, {}
        if path.startswith("/2/users/") and path.endswith("/tweets"):
            tweets = [_as_tweet(post) for post in live]
            return 200, ({"data": tweets} if tweets else {}) | {"meta": {"result_count": len(tweets)}}, {}
        if path.endswith("/posts"):
            return 200, {"data": [{"id": post["id"], "message": post["text"]} for post in live]}, {}
        return 404, {"title": "Not Found"}, {}

    def _new_post(self, request: SocialRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        post_id = f"{request.partner}-post-{len(self._posts) + 1}"
        if request.path.endswith("/tweets"):
            document = json.loads(request.body or b"{}")
            media = document.get("media", {}).get("media_ids", [])
            text, number = document.get("text", ""), self._media.get(media[0]) if media else None
        else:
            text, source = request.fields.get("message", b"").decode(), request.fields.get("source")
            number = self._keep_image(source, SOCIAL_CARD) if source else None
        images = [f"/images/{number}"] if number is not None else []
        post = {"partner": request.partner, "id": post_id, "text": text, "image": bool(images), "deleted": False}
        post["images"] = images
        self._posts.append(post)
        answer = (
            {"data": {"id": post_id, "text": text}}
            if request.path.endswith("/tweets")
            else {"id": post_id, "post_id": post_id}
        )
        return 201, answer, {}

    def _delete_post(self, partner: str, post_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        for post in self._posts:
            if post["partner"] == partner and post["id"] == post_id and not post["deleted"]:
                post["deleted"] = True
                return 200, {"data": {"deleted": True}, "success": True}, {}
        return 404, {"title": "Not Found"}, {}

    def misbehave(self, partner: str, behaviour: Misbehaviour | None) -> None:
        with self._lock:
            if behaviour is None:
                self._misbehaviour.pop(partner, None)
            else:
                self._misbehaviour[partner] = behaviour

    def receive(self, partner: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        failure = self._take_misbehaviour(partner)
        if failure is not None:
            time.sleep(failure.delay_seconds)
            if failure.status >= 300:
                answer: dict[str, Any] = {"error": "partner unavailable (sink told to fail)"}
                if failure.retry_after is not None:
                    answer["retry_after"] = failure.retry_after
                return failure.status, answer
        verified, document = self._verify(partner, headers, body)
        pictures = _inline_images(document)
        with self._lock:
            images = [f"/images/{self._keep_image(data, label)}" for data, label in pictures]
            seen = [item for item in self._deliveries if item["webhook_id"] == headers.get("webhook-id")]
            reference = seen[0]["reference"] if seen else f"{partner}-{len(self._deliveries) + 1}"
            self._deliveries.append(
                {
                    "partner": partner,
                    "received_at": datetime.now(timezone.utc).isoformat(),
                    "webhook_id": headers.get("webhook-id"),
                    "verified": verified,
                    "duplicate": bool(seen),
                    "reference": reference,
                    "payload": document,
                    "raw_body": body.decode("utf-8", "replace"),
                    "images": images,
                    "signature": {k: v for k, v in headers.items() if k.startswith("webhook-")},
                }
            )
        return (200, {"id": reference}) if verified else (401, {"error": "bad signature"})

    def _take_misbehaviour(self, partner: str, request: str | None = None) -> Misbehaviour | None:
        with self._lock:
            behaviour = self._misbehaviour.get(partner)
            if behaviour is None or behaviour.request not in (None, request):
                return None
            if behaviour.times is not None:
                behaviour.times -= 1
                if behaviour.times <= 0:
                    del self._misbehaviour[partner]
            return behaviour

    def _verify(self, partner: str, headers: dict[str, str], body: bytes) -> tuple[bool, Any]:
        secret = self._secrets.get(partner)
        try:
            document = json.loads(body)
        except ValueError:
            return False, None
        if secret is None:
            return False, document
        signatures = _symmetric_signatures(headers.get("webhook-signature", ""))
        try:
            Webhook(secret).verify(body, {**headers, "webhook-signature": signatures})
        except WebhookVerificationError:
            return False, document
        return True, document


def _symmetric_signatures(header: str) -> str:
    """The header's well-formed ``v1,<base64>`` signatures: a receiver tries each until one matches, and an entry
    it cannot read (another scheme, a mangled one) is passed over, not a reason to refuse the others."""
    kept = []
    for entry in header.split(" "):
        version, _, signature = entry.partition(",")
        try:
            if version == "v1" and base64.b64decode(signature, validate=True):
                kept.append(entry)
        except binascii.Error:
            continue
    return " ".join(kept)


class _SinkServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, sink: PartnerSink) -> None:
        super().__init__(("127.0.0.1", port), _SinkHandler)
        self.sink = sink

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A sender that timed out has hung up before the (deliberately slow) answer; that is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _SinkHandler(BaseHTTPRequestHandler):
    server: _SinkServer

    def do_DELETE(self) -> None:
        self._social("DELETE", b"")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        route, _, partner = self.path.strip("/").partition("/")
        if route in ("x", "meta"):
            self._social("POST", body)
        elif route == "webhooks" and partner:
            status, answer = self.server.sink.receive(partner, {k.lower(): v for k, v in self.headers.items()}, body)
            extra = {"Retry-After": str(answer["retry_after"])} if "retry_after" in answer else {}
            self._send(status, json.dumps(answer).encode(), "application/json", extra)
        elif route == "misbehave" and partner:
            document = json.loads(body or b"null")
            self.server.sink.misbehave(partner, Misbehaviour(**document) if document else None)
            self._send(204, b"", "text/plain")
        else:
            self._send(404, b'{"error": "no such path"}', "application/json")

    def do_GET(self) -> None:
        if self.path.startswith(("/x/", "/meta/")):
            self._social("GET", b"")
        elif self.path == "/deliveries":
            self._send(200, json.dumps(self.server.sink.deliveries()).encode(), "application/json")
        elif self.path == "/posts":
            self._send(200, json.dumps(self.server.sink.posts()).encode(), "application/json")
        elif self.path == "/":
            self._send(200, self.server.sink.page().encode(), "text/html; charset=utf-8")
        elif self.path.startswith("/images/"):
            self._image(self.path.removeprefix("/images/"))
        else:
            self._send(404, b'{"error": "no such path"}', "application/json")

    def _image(self, number: str) -> None:
        image = self.server.sink.image(int(number)) if number.isdigit() else None
        if image is None:
            self._send(404, b'{"error": "no such image"}', "application/json")
        else:
            # An image's number never names another picture: the page's refresh need not fetch it again.
            self._send(200, image.data, image.content_type, {"Cache-Control": "max-age=86400, immutable"})

    def _social(self, method: str, body: bytes) -> None:
        url = urlsplit(self.path)
        api, partner, path = [*url.path.strip("/").split("/", 2), "", ""][:3]
        fields = _form_fields(self.headers.get("Content-Type", ""), body)
        authorization = self.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ") if authorization else None
        token = token or fields.get("access_token", b"").decode() or parse_qs(url.query).get("access_token", [None])[0]
        request = SocialRequest(method, api, partner, "/" + path, token, body, fields)
        status, answer, headers = self.server.sink.social(request)
        self._send(status, json.dumps(answer).encode(), "application/json", headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


_LINK = re.compile(r"https?://\S+")


def _token_refused(api: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """What X and Graph answer a revoked or unknown access token: X v2 a 401 problem, Graph an OAuthException
    (code 190) over HTTP 400."""
    if api == "meta":
        error = {
            "message": "Error validating access token: The session has been invalidated.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 460,
            "fbtrace_id": "AbCdEfGhIjK",
        }
        return 400, {"error": error}, {}
    return 401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, {}


def _as_tweet(post: dict[str, Any]) -> dict[str, Any]:
    """A post as X v2 lists it: every link in the text shortened to t.co, the original in the entities (with its
    place in the text, in code points), and an attached photo as one more t.co link at the end, to its media page."""
    expanded = {_t_co(link): link for link in _LINK.findall(post["text"])}
    text = _LINK.sub(lambda match: _t_co(match.group(0)), post["text"])
    urls = [_url_entity(match.start(), match.group(0), expanded[match.group(0)]) for match in _LINK.finditer(text)]
    tweet: dict[str, Any] = {"id": post["id"]}
    if post["image"]:
        photo = f"https://x.com/{post['partner']}/status/{post['id']}/photo/1"
        number = post["images"][0].rsplit("/", 1)[-1]
        text = f"{text} {_t_co(photo)}"
        media = {"display_url": f"pic.x.com/{number}", "media_key": f"3_{number}"}
        urls.append(_url_entity(len(text) - len(_t_co(photo)), _t_co(photo), photo) | media)
        tweet["attachments"] = {"media_keys": [f"3_{number}"]}
    return tweet | {"text": text, "entities": {"urls": urls}}


def _t_co(link: str) -> str:
    return f"https://t.co/{abs(hash(link)) % 10**10:010d}"


def _url_entity(start: int, short: str, expanded: str) -> dict[str, Any]:
    shown = expanded.split("://", 1)[-1]
    display = shown if len(shown) <= 27 else shown[:26] + "…"
    return {"start": start, "end": start + len(short), "url": short, "expanded_url": expanded, "display_url": display}


def _form_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    if not content_type.startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=default).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


SOCIAL_CARD = "social card"
# The pictures webhook channels send inline, base64 in a top-level field, by that field's name.
INLINE_IMAGES = {"poster_jpeg": "station poster", "image_png": "road-sign bitmap"}
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))
_RETRACTIONS = (".retracted", ".clear")
_IMAGE_STYLE = "max-width:320px;max-height:180px;width:auto;height:auto"


def _inline_images(document: Any) -> list[tuple[bytes, str]]:
    """The pictures a webhook payload carries inline, with what each is; a field that is not base64 is skipped."""
    if not isinstance(document, dict):
        return []
    found = []
    for field, label in INLINE_IMAGES.items():
        value = document.get(field)
        if isinstance(value, str):
            try:
                found.append((base64.b64decode(value, validate=True), label))
            except (binascii.Error, ValueError):
                continue
    return found


def _image_type(data: bytes) -> str:
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return "image/webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else "application/octet-stream"


def _retracted(deliveries: list[dict[str, Any]]) -> set[int]:
    """The deliveries (by position) that a later delivery to the same partner took down or replaced."""
    gone: set[int] = set()
    for position, item in enumerate(deliveries):
        kind, alert = _kind_and_alert(item)
        if kind.endswith(_RETRACTIONS) or not item.get("images"):
            continue
        later = [_kind_and_alert(other) for other in deliveries[position + 1 :] if other["partner"] == item["partner"]]
        if any(other_alert == alert and other_kind.endswith(_RETRACTIONS) for other_kind, other_alert in later):
            gone.add(position)
    return gone


def _kind_and_alert(item: dict[str, Any]) -> tuple[str, Any]:
    payload, alert = _payload_and_alert(item)
    return str(payload.get("type", "")), alert.get("id")


def _payload_and_alert(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A delivery's payload and the alert it names; empty for a body that was no JSON object."""
    payload = item["payload"] if isinstance(item["payload"], dict) else {}
    alert = payload.get("alert")
    return payload, alert if isinstance(alert, dict) else {}


def _caption(payload: dict[str, Any]) -> str:
    """The words shown with the picture: the sign's lines, the screen's text, else the headline."""
    if isinstance(payload.get("lines"), list):
        return " / ".join(str(line) for line in payload["lines"])
    text = payload.get("text")
    if isinstance(text, dict):
        return " — ".join(str(text[key]) for key in ("title", "name", "line") if text.get(key))
    return ""


def _figure(src: str, alt: str, note: str, retracted: bool) -> str:
    state = " — RETRACTED (taken down)" if retracted else ""
    style = _IMAGE_STYLE + (";opacity:0.35" if retracted else "")
    return (
        f'<figure style="margin:0 0 4px 0"><a href="{html.escape(src)}">'
        f'<img src="{html.escape(src)}" alt="{html.escape(alt)}" style="{style}"></a>'
        f"<figcaption>{html.escape(note)}{state}</figcaption></figure>"
    )


def _delivery_images(item: dict[str, Any], labels: dict[int, str], retracted: bool) -> str:
    payload, alert = _payload_and_alert(item)
    caption = _caption(payload)
    figures = []
    for src in item.get("images", []):
        label = labels.get(int(src.rsplit("/", 1)[-1]), "picture")
        alt = f"{label} as {item['partner']} received it" + (f": {caption}" if caption else "")
        figures.append(_figure(src, alt, label, retracted))
    photo = alert.get("photo_url")
    if isinstance(photo, str) and photo:
        alt = f"photo of the child, linked for {item['partner']} (the link expires)"
        figures.append(_figure(photo, alt, "photo link", retracted))
    return "".join(figures)


def _delivery_row(item: dict[str, Any], images: str) -> str:
    payload, alert = _payload_and_alert(item)
    values = (
        item["received_at"],
        item["partner"],
        payload.get("type"),
        alert.get("id"),
        alert.get("version"),
        alert.get("status"),
        "yes" if item["verified"] else "NO",
        "yes" if item["duplicate"] else "",
    )
    cells = "".join(f"<td>{html.escape(str(value))}</td>" for value in values)
    return f"<tr>{cells}<td>{images}</td></tr>"


def _post_row(post: dict[str, Any], labels: dict[int, str]) -> str:
    first_line = post["text"].splitlines()[0] if post["text"] else ""
    figures = "".join(
        _figure(src, f"{SOCIAL_CARD} posted by {post['partner']}: {first_line}", SOCIAL_CARD, post["deleted"])
        for src in post.get("images", [])
    )
    return (
        f"<tr><td>{html.escape(post['partner'])}</td><td>{html.escape(post['id'])}</td>"
        f"<td><pre>{html.escape(post['text'])}</pre></td><td>{figures}</td>"
        f"<td>{'DELETED (retracted)' if post['deleted'] else 'live'}</td></tr>"
    )


def _page(deliveries: list[dict[str, Any]], posts: list[dict[str, Any]], labels: dict[int, str]) -> str:
    retracted = _retracted(deliveries)
    rows = "".join(
        _delivery_row(item, _delivery_images(item, labels, position in retracted))
        for position, item in reversed(list(enumerate(deliveries)))
    )
    header = "".join(
        f"<th>{name}</th>"
        for name in ("received", "partner", "type", "alert", "version", "status", "signed", "repeat", "images")
    )
    post_rows = "".join(_post_row(post, labels) for post in reversed(posts))
    return (
        "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=2>"
        "<title>Kind Alarm partner sink</title><h1>Webhook deliveries received</h1>"
        f"<table border=1 cellpadding=4><tr>{header}</tr>{rows}</table>"
        "<h1>Social posts</h1><table border=1 cellpadding=4>"
        f"<tr><th>account</th><th>post</th><th>text</th><th>image</th><th>state</th></tr>{post_rows}</table>"
    )
