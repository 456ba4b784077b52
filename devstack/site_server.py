"""The public site as CloudFront serves it in AWS: the photos bucket's ``site/`` folder, read over S3, on its own port.

``GET /path`` answers the object ``site/path`` with its own Content-Type and Cache-Control; a path that ends in ``/``
answers that folder's ``index.html``. Nothing outside ``site/`` can be named: a dot segment, an encoded slash or
backslash, or a control character is refused before the bucket is asked.
"""

from __future__ import annotations

import html
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

SITE_PREFIX = "site/"
INDEX = "index.html"
ALLOWED_METHODS = "GET, HEAD"
# Percent-encodings that would let one path segment name another folder once decoded.
_ENCODED_SEPARATORS = ("%2f", "%5c", "%00")


class UnsafePath(ValueError):
    """A request path that could name something outside the site's folder."""


def site_key(request_target: str) -> str:
    """The bucket key a request target names, always under ``site/``; raises UnsafePath for anything else."""
    raw_path = request_target.partition("?")[0]  # origin-form only: a proxy's absolute-form is no request here
    if not raw_path.startswith("/") or any(encoded in raw_path.lower() for encoded in _ENCODED_SEPARATORS):
        raise UnsafePath(request_target)
    path = unquote(raw_path, errors="strict")
    segments = path[1:].split("/")
    inner, last = segments[:-1], segments[-1]
    if any(segment in ("", ".", "..") for segment in inner) or last in (".", ".."):
        raise UnsafePath(request_target)
    if "\\" in path or any(ord(character) < 0x20 or ord(character) == 0x7F for character in path):
        raise UnsafePath(request_target)
    return SITE_PREFIX + path[1:] + (INDEX if last == "" else "")


@dataclass(frozen=True)
class SiteObject:
    body: bytes
    headers: dict[str, str]


class SiteServer:
    """The bucket's ``site/`` over HTTP on 127.0.0.1, read through ``s3_client`` (any thread may use it)."""

    def __init__(self, s3_client: Any, bucket: str, port: int = 0) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._server = _SiteHTTPServer(port, self.fetch)
        self._thread = threading.Thread(target=self._server.serve_forever, name="public-site", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fetch(self, key: str) -> SiteObject | None:
        """The object at ``key`` with the headers it is served with, or None when the bucket has no such key."""
        if not key.startswith(SITE_PREFIX):
            raise UnsafePath(key)
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            return None
        headers = {"Content-Type": found.get("ContentType") or "application/octet-stream"}
        if found.get("CacheControl"):
            headers["Cache-Control"] = found["CacheControl"]
        if found.get("ETag"):
            headers["ETag"] = found["ETag"]
        if found.get("LastModified") is not None:
            headers["Last-Modified"] = found["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT")
        return SiteObject(found["Body"].read(), headers)


Fetch = Callable[[str], SiteObject | None]


class _SiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, fetch: Fetch) -> None:
        super().__init__(("127.0.0.1", port), _SiteHandler)
        self.fetch = fetch

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that navigates away hangs up mid-answer; that is no error of the site.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _SiteHandler(BaseHTTPRequestHandler):
    server: _SiteHTTPServer

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler looks up do_<METHOD> for every request: every other method is not allowed.
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)

    def _method_not_allowed(self) -> None:
        self._page(405, "Method not allowed", f"The site is read-only: {ALLOWED_METHODS}.", {"Allow": ALLOWED_METHODS})

    def _serve(self, with_body: bool) -> None:
        try:
            key = site_key(self.path)
        except (UnsafePath, UnicodeDecodeError):
            self._page(400, "Bad request", "This path names nothing on the site.", with_body=with_body)
            return
        try:
            found = self.server.fetch(key)
            # A folder named without its slash (/en, /sandbox) is found at its index, as a browser expects.
            folder = found is None and not key.endswith("/" + INDEX) and self.server.fetch(f"{key}/{INDEX}") is not None
        except (BotoCoreError, ClientError) as error:
            self._page(502, "Bad gateway", f"The bucket did not answer: {error}", with_body=with_body)
            return
        if folder:
            location = self.path.partition("?")[0] + "/"
            self._page(301, "Moved", "This folder is at its address with a slash.", {"Location": location}, with_body)
        elif found is None:
            self._page(404, "Not found", "There is no such page on the site.", with_body=with_body)
        else:
            length = str(len(found.body))
            self._send(200, found.body if with_body else b"", {**found.headers, "Content-Length": length})

    def _page(
        self, status: int, title: str, text: str, headers: dict[str, str] | None = None, with_body: bool = True
    ) -> None:
        body = (
            f"<!doctype html><meta charset=utf-8><title>{status} {html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        ).encode()
        page_headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", **(headers or {})}
        self._send(status, body if with_body else b"", {**page_headers, "Content-Length": str(len(body))})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Access-Control-Allow-Origin": "*"}.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return
