"""Files that several functions of one channel change at once: an alert's file per version, an index, what is
built from the index.

Every write is conditional on the file being the one just read (S3 ``If-Match`` / ``If-None-Match``); a writer
that loses reads again and decides again. An alert's file never goes back to an older version, the index never
loses another writer's change, and a file built from the index is only replaced by one built from a newer index.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.adapters.failures import PartnerError

if TYPE_CHECKING:
    from chalicelib.adapters.feed_store import FeedFile

EPOCH = "1970-01-01T00:00:00+00:00"
# Writers at once are few (the event source's maximum concurrency): a handful of rereads settles any conflict.
WRITE_ATTEMPTS = 10


class StoredFiles(Protocol):
    def read(self, key: str) -> FeedFile | None: ...

    def write(
        self,
        key: str,
        body: bytes,
        content_type: str,
        metadata: dict[str, str],
        replacing: str | None,
        cache_control: str | None = None,
    ) -> bool: ...

    def delete(self, key: str) -> None: ...


class FilesBusyError(PartnerError):
    """Other writers kept replacing a file between our read and our write; the message is tried again later."""


def number(stored: FeedFile | None, name: str) -> int:
    """A number the writer put in the file's metadata; -1 when there is no file or it has none."""
    value = stored.metadata.get(name, "") if stored else ""
    return int(value) if value.isdigit() else -1


@dataclass(frozen=True)
class FileBody:
    body: bytes
    content_type: str
    cache_control: str | None = None


def write_version(
    files: StoredFiles, key: str, version: int, build: Callable[[FeedFile | None], FileBody], **metadata: str
) -> bool:
    """Write the alert's file at ``version`` unless it holds this version or a newer one already.

    ``build`` reads the file it replaces (or ``None``). True if this version is now the file, False if a newer
    one was there: the caller's version is out of date. The first version is written without a read (only if no
    file is there): on the day of an alert that is the one every second counts for.
    """
    if version == 1:
        made = build(None)
        tags = {**metadata, "version": "1"}
        if files.write(key, made.body, made.content_type, tags, None, made.cache_control):
            return True
    for _ in range(WRITE_ATTEMPTS):
        stored = files.read(key)
        held = number(stored, "version")
        if held >= version:
            return held == version
        made = build(stored)
        tags = {**metadata, "version": str(version)}
        if files.write(key, made.body, made.content_type, tags, stored.etag if stored else None, made.cache_control):
            return True
    raise FilesBusyError(f"{key} kept changing")


@dataclass
class VersionedIndex:
    """Per alert the newest version seen and its entry, ``None`` once the alert left the index.

    The version stays after the alert leaves, so a late event of an older version cannot put it back;
    ``generation`` counts the changes, so a file built from the index can tell whether it is from the latest.
    """

    generation: int = 0
    updated: str = EPOCH
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: bytes) -> VersionedIndex:
        stored = json.loads(data)
        if "alerts" not in stored:  # the index before versions: alert id → entry, each at an unknown version
            return cls(alerts={alert_id: {"version": 0, "entry": entry} for alert_id, entry in stored.items()})
        return cls(int(stored["generation"]), str(stored["updated"]), dict(stored["alerts"]))

    def dump(self) -> bytes:
        return json.dumps({"generation": self.generation, "updated": self.updated, "alerts": self.alerts}).encode()

    def record(self, alert_id: str, version: int, entry: dict[str, Any] | None, at: str) -> bool:
        """Note this version of the alert (listed, or gone with ``None``) unless the index knows it or a newer one."""
        known = self.alerts.get(alert_id)
        if known is not None and int(known["version"]) >= version:
            return False
        self.alerts[alert_id] = {"version": version, "entry": entry}
        self._changed(at)
        return True

    def forget(self, alert_id: str, at: str) -> bool:
        if self.alerts.pop(alert_id, None) is None:
            return False
        self._changed(at)
        return True

    def entries(self) -> list[dict[str, Any]]:
        """The listed entries, newest first (each entry's ``updated``: UTC times of one format sort as text)."""
        listed = [known["entry"] for known in self.alerts.values() if known["entry"]]
        return sorted(listed, key=lambda entry: str(entry.get("updated", "")), reverse=True)

    def _changed(self, at: str) -> None:
        self.generation += 1
        self.updated = max(self.updated, at)


def change_index(
    files: StoredFiles, key: str, change: Callable[[VersionedIndex], bool], lost_from: Callable[[], int]
) -> VersionedIndex:
    """Apply ``change`` to the index at ``key`` and write it back if it changed anything.

    A lost index (a lifecycle rule, a hand) starts again after generation ``lost_from()``, never below what was
    built from it.
    """
    for _ in range(WRITE_ATTEMPTS):
        stored = files.read(key)
        index = VersionedIndex.parse(stored.body) if stored else VersionedIndex(max(0, lost_from()))
        if not change(index):
            return index
        if files.write(key, index.dump(), "application/json", {}, stored.etag if stored else None):
            return index
    raise FilesBusyError(f"{key} kept changing")


def refresh_built(files: StoredFiles, key: str, index: VersionedIndex, build: Callable[[], FileBody]) -> bool:
    """Replace the file built from the index unless it was built from this generation or a newer one.

    True if this call wrote it.
    """
    for _ in range(WRITE_ATTEMPTS):
        stored = files.read(key)
        if stored is not None and number(stored, "generation") >= index.generation:
            return False
        made = build()
        metadata = {"generation": str(index.generation)}
        if files.write(
            key, made.body, made.content_type, metadata, stored.etag if stored else None, made.cache_control
        ):
            return True
    raise FilesBusyError(f"{key} kept changing")
