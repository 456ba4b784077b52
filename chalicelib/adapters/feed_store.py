"""The CAP feed's files in the private bucket: ``feed/[sandbox/]cap/<alert id>.xml``, ``index.json``, ``feed.atom``."""

from __future__ import annotations

import json
from typing import Any


class FeedStore:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(
            Bucket=self._bucket, Key=f"feed/{key}", Body=body, ContentType=content_type, ServerSideEncryption="AES256"
        )

    def get(self, key: str) -> bytes | None:
        try:
            return bytes(self._s3.get_object(Bucket=self._bucket, Key=f"feed/{key}")["Body"].read())
        except self._s3.exceptions.NoSuchKey:
            return None

    def index(self, prefix: str) -> dict[str, Any]:
        data = self.get(f"{prefix}index.json")
        return dict(json.loads(data)) if data else {}
