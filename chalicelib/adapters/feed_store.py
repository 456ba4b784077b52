"""Files a channel keeps in the private bucket under a prefix of its own.

The CAP feed's are under ``feed/`` (``[sandbox/]cap/<alert id>.xml``, ``index.json``, ``feed.atom``); the public
site's under ``site/`` (what CloudFront serves) and the site's private index under ``web/``.

Writes are conditional (S3 ``If-Match`` / ``If-None-Match``): a write based on a file another writer has replaced
since it was read fails instead of overwriting it, so several feed writers can run at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

PREFIX = "feed/"
# What S3 answers a conditional write that lost: the ETag moved (412), another conditional write to the key was in
# flight (409), or the file the write was based on is gone (404).
CONFLICTS = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "404", "409", "412"})


@dataclass(frozen=True)
class FeedFile:
    body: bytes
    etag: str
    metadata: dict[str, str] = field(default_factory=dict)


class FeedStore:
    def __init__(self, s3_client: Any, bucket: str, prefix: str = PREFIX) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._prefix = prefix

    def get(self, key: str) -> bytes | None:
        stored = self.read(key)
        return stored.body if stored else None

    def read(self, key: str) -> FeedFile | None:
        try:
            answer = self._s3.get_object(Bucket=self._bucket, Key=self._prefix + key)
        except self._s3.exceptions.NoSuchKey:
            return None
        return FeedFile(bytes(answer["Body"].read()), str(answer["ETag"]), dict(answer.get("Metadata") or {}))

    def write(
        self,
        key: str,
        body: bytes,
        content_type: str,
        metadata: dict[str, str],
        replacing: str | None,
        cache_control: str | None = None,
    ) -> bool:
        """Write ``key`` only if it is still the file with ETag ``replacing`` (``None``: only if there is none).

        False when another writer got there first: read it again and decide again.
        """
        condition = {"IfMatch": replacing} if replacing is not None else {"IfNoneMatch": "*"}
        try:
            self.put(key, body, content_type, cache_control, Metadata=metadata, **condition)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in CONFLICTS:
                return False
            raise
        return True

    def put(self, key: str, body: bytes, content_type: str, cache_control: str | None, **extra: Any) -> None:
        """Write ``key`` whatever is there (``extra``: metadata, a condition)."""
        self._s3.put_object(
            Bucket=self._bucket,
            Key=self._prefix + key,
            Body=body,
            ContentType=content_type,
            ServerSideEncryption="AES256",
            **({"CacheControl": cache_control} if cache_control else {}),
            **extra,
        )

    def keys(self, under: str) -> list[str]:
        """Every key under ``under`` (relative to this store's prefix, as are the keys returned)."""
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=self._prefix + under)
        return [item["Key"][len(self._prefix) :] for page in pages for item in page.get("Contents", [])]

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=self._prefix + key)
