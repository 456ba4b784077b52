"""Photos in the private S3 bucket: renditions under ``photos/<id>/``, uploads under ``uploads/<id>``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Pillow loads only where a photo is processed, not with every API start
    from chalicelib.imaging.photo import Rendition

RENDITION_PREFIX = "photos/"
UPLOAD_PREFIX = "uploads/"


class PhotoStore:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._client: Callable[[], Any] = lambda: s3_client
        self._bucket = bucket

    @classmethod
    def with_client_on_first_use(cls, s3_client: Callable[[], Any], bucket: str) -> PhotoStore:
        """A store that asks ``s3_client`` (a cached factory) for its client only when it first touches S3.

        Building the S3 client costs a cold start tens of milliseconds (its service model is large), and an
        alert without a photo never needs it.
        """
        store = cls(None, bucket)
        store._client = s3_client
        return store

    @property
    def _s3(self) -> Any:
        return self._client()

    def put_renditions(self, photo_id: str, renditions: Iterable[Rendition]) -> list[str]:
        names = []
        for rendition in renditions:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=f"{RENDITION_PREFIX}{photo_id}/{rendition.name}.jpg",
                Body=rendition.data,
                ContentType=rendition.content_type,
                CacheControl="private, max-age=3600",
                ServerSideEncryption="AES256",
            )
            names.append(rendition.name)
        return names

    def rendition(self, photo_id: str, name: str) -> bytes | None:
        """The rendition's bytes, or None when it is gone (deleted, or expired by the bucket's lifecycle)."""
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=f"{RENDITION_PREFIX}{photo_id}/{name}.jpg")
        except self._s3.exceptions.NoSuchKey:
            return None
        return bytes(response["Body"].read())

    def urls(self, photo_id: str, names: Iterable[str], seconds: int) -> dict[str, str]:
        return {
            name: self._s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": self._bucket, "Key": f"{RENDITION_PREFIX}{photo_id}/{name}.jpg"},
                ExpiresIn=seconds,
            )
            for name in names
        }

    def delete(self, photo_id: str) -> int:
        """Delete every rendition of the photo; returns how many objects went."""
        listing = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=f"{RENDITION_PREFIX}{photo_id}/")
        keys = [{"Key": item["Key"]} for item in listing.get("Contents", [])]
        if keys:
            self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": keys, "Quiet": True})
        return len(keys)

    def upload_form(self, photo_id: str, content_type: str, max_bytes: int, seconds: int) -> dict[str, Any]:
        """A presigned POST: S3 itself refuses another content type or a body over ``max_bytes``."""
        return dict(
            self._s3.generate_presigned_post(
                Bucket=self._bucket,
                Key=f"{UPLOAD_PREFIX}{photo_id}",
                Fields={"Content-Type": content_type},
                Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
                ExpiresIn=seconds,
            )
        )

    def take_upload(self, key: str) -> bytes:
        """Read an upload and remove it: only the cleaned renditions are kept."""
        data = bytes(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())
        self._s3.delete_object(Bucket=self._bucket, Key=key)
        return data
