"""The partner sink: one HTTP server standing in for every partner.

Webhook partners (newsrooms, the traffic-management centre, NS) under ``/webhooks/<partner>``: it
verifies each signature, records what arrived and answers with a reference a retraction can name.
Social accounts under ``/x/<account>`` and ``/meta/<account>`` on the platforms' own API paths (X API v2
media upload, posts and deletes; Graph API page photos and deletes), checking the account's token.
Any partner can be told to misbehave (fail, stall, rate-limit). A page lists everything.
"""

from __future__ import annotations

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
    partner: str
    path: str
    token: str | None
    body: bytes
    fields: dict[str, bytes]


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
        self._media: dict[str, int] = {}
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

    def deliveries(self, partner: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for item in self._deliveries if partner in (None, item["partner"])]

    def posts(self, partner: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for item in self._posts if partner in (None, item["partner"])]

    def social(self, request: SocialRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The X and Graph API calls this sink answers, on their real paths below the account prefix."""
        failure = self._take_misbehaviour(request.partner, f"{request.method} {request.path}")
        if failure is not None:
            time.sleep(failure.delay_seconds)
            if failure.status >= 300:
                reset = str(int(time.time()) + (failure.retry_after or 0))
                return failure.status, {"title": "Too Many Requests"}, {"x-rate-limit-reset": reset}
        if request.token != self._secrets.get(request.partner):
            return 401, {"title": "Unauthorized"}, {}
        return self._social_call(request)

    def _social_call(self, request: SocialRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        path, method = request.path, request.method
        with self._lock:
            if method == "POST" and path.endswith("/media/upload"):
                media_id = f"m{len(self._media) + 1}"
                self._media[media_id] = len(request.fields.get("media", b""))
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
            text, image = document.get("text", ""), bool(media) and media[0] in self._media
        else:
            text, image = request.fields.get("message", b"").decode(), bool(request.fields.get("source"))
        post = {"partner": request.partner, "id": post_id, "text": text, "image": image, "deleted": False}
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
        with self._lock:
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
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            return False, document
        return True, document


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
            page = _page(self.server.sink.deliveries(), self.server.sink.posts())
            self._send(200, page.encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b'{"error": "no such path"}', "application/json")

    def _social(self, method: str, body: bytes) -> None:
        url = urlsplit(self.path)
        _, partner, path = [*url.path.strip("/").split("/", 2), "", ""][:3]
        fields = _form_fields(self.headers.get("Content-Type", ""), body)
        authorization = self.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ") if authorization else None
        token = token or fields.get("access_token", b"").decode() or parse_qs(url.query).get("access_token", [None])[0]
        request = SocialRequest(method, partner, "/" + path, token, body, fields)
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


def _as_tweet(post: dict[str, Any]) -> dict[str, Any]:
    """A post as X lists it: every link in the text shortened to t.co, the original in the entities."""
    links = _LINK.findall(post["text"])
    short = {link: f"https://t.co/{abs(hash(link)) % 10**10:010d}" for link in links}
    text = _LINK.sub(lambda match: short[match.group(0)], post["text"])
    urls = [{"url": short[link], "expanded_url": link} for link in links]
    return {"id": post["id"], "text": text, "entities": {"urls": urls}}


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


def _page(deliveries: list[dict[str, Any]], posts: list[dict[str, Any]]) -> str:
    rows = []
    for item in reversed(deliveries):
        payload = item["payload"] or {}
        alert = payload.get("alert", {})
        image = alert.get("photo_url")
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(value))}</td>"
                for value in (
                    item["received_at"],
                    item["partner"],
                    payload.get("type"),
                    alert.get("id"),
                    alert.get("version"),
                    alert.get("status"),
                    "yes" if item["verified"] else "NO",
                    "yes" if item["duplicate"] else "",
                )
            )
            + (f'<td><img src="{html.escape(image)}" height="80"></td>' if image else "<td></td>")
            + "</tr>"
        )
    header = "".join(
        f"<th>{name}</th>"
        for name in ("received", "partner", "type", "alert", "version", "status", "signed", "repeat", "image")
    )
    post_rows = "".join(
        f"<tr><td>{html.escape(post['partner'])}</td><td>{html.escape(post['id'])}</td>"
        f"<td><pre>{html.escape(post['text'])}</pre></td><td>{'yes' if post['image'] else ''}</td>"
        f"<td>{'DELETED' if post['deleted'] else 'live'}</td></tr>"
        for post in reversed(posts)
    )
    return (
        "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=2>"
        "<title>Kind Alarm partner sink</title><h1>Webhook deliveries received</h1>"
        f"<table border=1 cellpadding=4><tr>{header}</tr>{''.join(rows)}</table>"
        "<h1>Social posts</h1><table border=1 cellpadding=4>"
        f"<tr><th>account</th><th>post</th><th>text</th><th>image</th><th>state</th></tr>{post_rows}</table>"
    )
