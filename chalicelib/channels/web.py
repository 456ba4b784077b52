"""web: the alert's official public page, static, on the site CloudFront serves from the bucket's ``site/``.

Per version it writes the page (Dutch, English), its photo and its social card, then the site's index pages and
``active.json`` (what the partner widget reads); once the alert ends its page becomes a short «Gevonden» /
«Ingetrokken» / «Verlopen» page without anything of the child, its images are deleted and it leaves the index.
Every change is invalidated in CloudFront. Exercise and test alerts live on the sandbox site (``sandbox/``).

Several ``web`` functions may run at once: a page never goes back to an older version (``write_version``), the
index never loses a change, and an image goes once the page shows a newer version or has ended (a newer version's
images stay while its function is still on its way to writing its page). Images of an older version put after the
takedown, by a function that then died, go when the takedown is made again once that send could no longer land.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, fields
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol, get_args

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.alerts.lifecycle import TERMINAL_STATES
from chalicelib.channels.base import CARD_SIZE, Asset, Assets, ChannelDefaults, Content, Preview, visual
from chalicelib.channels.targets import PartnerTarget, audience_for
from chalicelib.channels.versioned_files import (
    FileBody,
    StoredFiles,
    VersionedIndex,
    change_index,
    number,
    refresh_built,
    write_version,
)
from chalicelib.links import Language, page_path, public_page, site_dir
from chalicelib.models.alert import Alert
from chalicelib.observability import logger
from chalicelib.site.pages import (
    ACTIVE_FILE,
    INDEX_FILES,
    WIDGET_FILE,
    Listed,
    PageLinks,
    active_document,
    alert_page,
    ended_page,
    index_page,
    listed,
    utc_text,
    widget_script,
)

if TYPE_CHECKING:
    from chalicelib.adapters.feed_store import FeedFile
    from chalicelib.adapters.site_cache import SiteCache
    from chalicelib.wiring import Wiring

NAME = "web"
LANGUAGES: tuple[Language, ...] = get_args(Language)
HTML = "text/html; charset=utf-8"
# Pages and lists change the moment a child is found: CloudFront is invalidated, browsers keep them seconds.
LIVE = "public, max-age=10"
# An image's name holds its version; it is deleted (and invalidated) once its page no longer shows it. A browser
# that kept it shows it only where the page named it, and for no longer than CloudFront would (its maximum, 60 s).
IMAGE = "public, max-age=60"
WIDGET = "public, max-age=300"
CARD_JPEG_BYTES = 300_000
# What an index entry written by another release lacks stands for nothing; its time sorts it last.
LISTED_EMPTY = {"updated": "1970-01-01T00:00:00Z"}


def image_dir(alert_id: str, sandbox: bool) -> str:
    return f"{site_dir(sandbox)}alerts/{alert_id}/"


def index_paths(sandbox: bool) -> dict[str, str]:
    """The files built from an audience's index: the Dutch and English index pages and ``active.json``."""
    folder = site_dir(sandbox)
    return {**{lang: folder + name for lang, name in INDEX_FILES.items()}, "json": folder + ACTIVE_FILE}


class WebSite:
    """The site's files: ``site`` is what the public reads, ``state`` the private index per audience."""

    def __init__(self, site: SiteFiles, state: StoredFiles, cache: SiteCache, url: str) -> None:
        self._site = site
        self._state = state
        self._cache = cache
        self._url = url.rstrip("/")
        self._widget_published = False  # the site holds this process's widget.js: no need to look again

    def show(self, content: Content) -> bool:
        """This version's images, then its pages, then its place in the index; False if a newer one is shown.

        What changed is invalidated even when a later step fails: a retry would not find the images it deleted.
        """
        alert_id, sandbox, version = content["alert_id"], content["sandbox"], content["version"]
        changed: list[str] = []
        try:
            for path, image in content["images"].items():
                self._site.put(path, image, "image/jpeg", IMAGE)
                changed.append(path)
            ended = content["entry"] is None
            current = True
            for path, html in content["pages"].items():
                current &= write_version(self._site, path, version, _page(html), ended="1" if ended else "0")
                changed.append(path)
            shown = (None if ended else version) if current else self._shown(content)
            self._tidy_images(alert_id, sandbox, shown, changed)
            self._list(alert_id, sandbox, version, content["entry"], content["updated"], changed)
        finally:
            self._cache.invalidate(changed)
        return current

    def erase(self, alert_id: str, at: datetime) -> None:
        """Everything the site holds of the alert (retention): its pages, its images, its place in the index.

        A refused invalidation is logged, not raised: what CloudFront may still hold for seconds is the found page,
        which holds nothing of the child, and the purge must go on to the child's data.
        """
        when = at.astimezone(timezone.utc).isoformat()
        for sandbox in (False, True):
            changed: list[str] = []
            try:
                for path in [page_path(alert_id, sandbox, language) for language in LANGUAGES]:
                    self._site.delete(path)
                    changed.append(path)
                self._tidy_images(alert_id, sandbox, None, changed)
                index = self._index(sandbox, lambda index: index.forget(alert_id, when))
                self._rebuild(sandbox, index, changed)
            finally:
                try:
                    self._cache.invalidate(changed)
                except (BotoCoreError, ClientError) as error:
                    extra = {"alert_id": alert_id, "error": type(error).__name__}
                    logger.warning("erased site files not invalidated", extra=extra)

    def _shown(self, content: Content) -> int | None:
        """The version the alert's page shows; None once the alert ended (or its page is gone)."""
        stored = self._site.read(page_path(content["alert_id"], content["sandbox"]))
        return number(stored, "version") if stored and stored.metadata.get("ended") != "1" else None

    def _tidy_images(self, alert_id: str, sandbox: bool, shown: int | None, deleted: list[str]) -> None:
        """Delete the alert's images of versions older than the one its page shows, or every one once it ended
        (``shown`` None); each path deleted is added to ``deleted`` the moment it is.

        A newer version's images stay: its function put them before writing its page, and tidies after it.
        """
        if shown == 1:
            return  # the first version: nothing older to delete, and no LIST for the alert's first seconds
        for path in self._site.keys(image_dir(alert_id, sandbox)):
            if shown is None or (_version_of(path) or 0) < shown:
                self._site.delete(path)
                deleted.append(path)

    def _list(
        self, alert_id: str, sandbox: bool, version: int, entry: Listed | None, at: str, changed: list[str]
    ) -> None:
        listing = asdict(entry) if entry else None
        index = self._index(sandbox, lambda index: index.record(alert_id, version, listing, at))
        self._rebuild(sandbox, index, changed)

    def _index(self, sandbox: bool, change: Callable[[VersionedIndex], bool]) -> VersionedIndex:
        paths = index_paths(sandbox)
        key = f"{site_dir(sandbox)}index.json"
        return change_index(self._state, key, change, lambda: number(self._site.read(paths["json"]), "generation"))

    def _rebuild(self, sandbox: bool, index: VersionedIndex, changed: list[str]) -> None:
        """Rebuild the index pages and ``active.json`` from ``index``; each path written (an index page also at its
        folder's address) is added to ``changed`` the moment it is."""
        entries = [_listed(entry) for entry in index.entries()]
        updated = utc_text(datetime.fromisoformat(index.updated))  # as every time on the site, whoever wrote it
        site = f"{self._url}/{site_dir(sandbox)}"
        paths = index_paths(sandbox)
        built = {
            paths["json"]: lambda: FileBody(active_document(entries, sandbox, updated), "application/json", LIVE),
            paths["nl"]: lambda: FileBody(index_page(entries, "nl", sandbox, site).encode(), HTML, LIVE),
            paths["en"]: lambda: FileBody(index_page(entries, "en", sandbox, site).encode(), HTML, LIVE),
        }
        for path, build in built.items():
            if refresh_built(self._site, path, index, build):
                changed.extend([path, *_folders_of([path])])
        self._publish_widget(changed)

    def _publish_widget(self, changed: list[str]) -> None:
        if self._widget_published:
            return
        script = widget_script()
        digest = hashlib.sha256(script).hexdigest()
        stored = self._site.read(WIDGET_FILE)
        if stored is None or stored.metadata.get("digest") != digest:
            self._site.put(WIDGET_FILE, script, "text/javascript; charset=utf-8", WIDGET, Metadata={"digest": digest})
            changed.append(WIDGET_FILE)
        self._widget_published = True


class SiteFiles(StoredFiles, Protocol):
    """The site's files: versioned pages, and images written whatever is there and listed by folder."""

    def put(self, key: str, body: bytes, content_type: str, cache_control: str | None, **extra: Any) -> None: ...

    def keys(self, under: str) -> list[str]: ...


def _page(html: str) -> Callable[[FeedFile | None], FileBody]:
    """A page's file, whatever it replaces."""
    body = FileBody(html.encode(), HTML, LIVE)
    return lambda _replaced: body


def _listed(entry: dict[str, Any]) -> Listed:
    """An index entry as this release lists it, whichever release wrote it: a field it does not know is left out, a
    field it lacks is empty. One entry of another shape must not stop every rebuild, a found child's removal too."""
    values: dict[str, Any] = {}
    for known in fields(Listed):
        empty = None if "None" in str(known.type) else LISTED_EMPTY.get(known.name, "")
        values[known.name] = entry.get(known.name, empty)
    return Listed(**values)


def _version_of(path: str) -> int | None:
    """The version in an image's name (``photo-v3.jpg``, ``card-v3.jpg``)."""
    stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
    _, _, version = stem.rpartition("-v")
    return int(version) if version.isdigit() else None


def _folders_of(paths: Iterable[str]) -> list[str]:
    """An index page is also served at its folder's address (``/``, ``/sandbox/``)."""
    return [path.removesuffix("index.html") for path in paths if path.endswith("index.html")]


class WebChannel(ChannelDefaults):
    """Writes each version's public page and keeps the site's index of active alerts, per audience."""

    name = NAME
    # An image is a plain S3 put, at an address the page link gives away. Two functions of one version (the queue
    # delivered the message twice) must not send at once: the second would mark the site delivered over the first's
    # "sending", and a takedown would not wait for the first one's images, still on their way.
    exclusive_sends = True

    # The master photo for the social card (the page's share image), the page's own rendition for the page.
    needs: frozenset[Asset] = frozenset({"photo", "page_photo"})

    def __init__(self, site: WebSite, site_url: str, api_url: str) -> None:
        self._site = site
        self._site_url = site_url.rstrip("/")
        self._api_url = api_url.rstrip("/")

    def render(self, alert: Alert, assets: Assets) -> Content:
        sandbox = audience_for(alert.status) == "sandbox"
        ended = alert.state in TERMINAL_STATES
        images = {} if ended else self._images(alert, assets, sandbox)
        links = {language: self._links(alert, sandbox, language, images) for language in LANGUAGES}
        draw = ended_page if ended else alert_page
        photo = links["nl"].photo
        return {
            "alert_id": alert.id,
            "version": alert.version,
            "sandbox": sandbox,
            "updated": alert.updated_at.astimezone(timezone.utc).isoformat(),
            "pages": {page_path(alert.id, sandbox, lang): draw(alert, lang, links[lang]) for lang in LANGUAGES},
            "images": images,
            "entry": None if ended else listed(alert, links["nl"].page, photo),
        }

    def preview(self, content: Content) -> Preview:
        return Preview(HTML, next(iter(content["pages"].values())))

    def deliver(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> str | None:
        self._site.show(content)
        return f"v{content['version']}"

    def retract(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> None:
        """The ended page replaces the alert's page, its images go and it leaves the index, shown or not."""
        self._site.show(content)

    def _images(self, alert: Alert, assets: Assets, sandbox: bool) -> dict[str, bytes]:
        folder = image_dir(alert.id, sandbox)
        card = visual(alert, assets.photo, CARD_SIZE, "social_card", CARD_JPEG_BYTES)
        images = {f"{folder}card-v{alert.version}.jpg": card}
        if assets.page_photo is not None:
            images[f"{folder}photo-v{alert.version}.jpg"] = assets.page_photo
        return images

    def _links(self, alert: Alert, sandbox: bool, language: Language, images: dict[str, bytes]) -> PageLinks:
        other: Language = "en" if language == "nl" else "nl"
        by_kind = {path.rsplit("/", 1)[-1].split("-v", 1)[0]: f"{self._site_url}/{path}" for path in images}
        return PageLinks(
            site=f"{self._site_url}/{site_dir(sandbox)}",
            page=public_page(self._site_url, alert.id, sandbox, language),
            other_language=public_page(self._site_url, alert.id, sandbox, other),
            cap=f"{self._api_url}/alerts/{alert.id}/cap",
            photo=by_kind.get("photo"),
            card=by_kind.get("card"),
        )


def build(parts: Wiring) -> WebChannel:
    settings = parts.settings
    return WebChannel(parts.web_site, settings.public_site_url, settings.public_base_url)
