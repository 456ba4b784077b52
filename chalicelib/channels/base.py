"""What every channel provides, in one shape.

``render(alert, assets)`` is pure: from the alert and the assets the worker gathered (the photo's bytes and
links, the alert's public page) it computes what the channel shows, or, for a cancelled or expired alert, what
takes it down. The operator's preview is that same content (``preview``). ``deliver`` and ``retract`` are the
only I/O: they move the content to one target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from chalicelib.channels.targets import PartnerTarget
from chalicelib.channels.texts import ContentError
from chalicelib.models.alert import Alert

__all__ = ["Assets", "Channel", "ChannelDefaults", "ContentError", "Preview", "alert_summary"]

# The social card: X and Facebook posts, and the public page's share image (OpenGraph, Twitter card).
CARD_SIZE = (1200, 675)
Asset = Literal["photo", "photo_urls", "page_photo"]
Content = dict[str, Any]


@dataclass(frozen=True)
class Assets:
    """What rendering reads beyond the alert, gathered by the worker (or the preview) before ``render``."""

    public_page: str
    photo: bytes | None = None  # the master rendition
    photo_urls: Mapping[str, str] = field(default_factory=dict)  # expiring links, per rendition
    page_photo: bytes | None = None  # the rendition the public page shows


@dataclass(frozen=True)
class Preview:
    content_type: str
    body: bytes | str


class ChannelDefaults:
    """What most channels are: sends that a partner can tell apart (webhook-ids, versioned writes, collapse ids),
    and a reach that a send does not widen."""

    exclusive_sends = False

    def reach(self, content: Content, shown: str | None) -> str | None:
        return None


def alert_summary(alert: Alert) -> dict[str, Any]:
    """What every partner payload says of the alert itself: which one, which version, how urgent, how real."""
    return {
        "id": alert.id,
        "reference": alert.reference,
        "version": alert.version,
        "level": alert.level,
        "status": alert.status,
    }


class Channel(Protocol):
    name: str
    # The assets ``render`` reads: the worker gathers only these.
    needs: frozenset[Asset]
    # Partners that take no idempotency key (social platforms): two workers of one version must never send to
    # one target at once, or the post is made twice.
    exclusive_sends: bool

    def reach(self, content: Content, shown: str | None) -> str | None:
        """What to record as shown before a send, should its answer never come (None: what was shown before)."""
        ...

    def render(self, alert: Alert, assets: Assets) -> Content:
        """What the channel shows for this version (or what takes a cancelled or expired alert down). Pure;
        raises ContentError past the channel's limits."""
        ...

    def preview(self, content: Content) -> Preview:
        """The rendered content as the operator checks it: an image, the payload, the message."""
        ...

    def deliver(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> str | None:
        """Show ``content`` at ``target`` (replacing ``shown``, what it showed before); return the reference."""
        ...

    def retract(self, content: Content, target: PartnerTarget, delivery_id: str, shown: str | None) -> None:
        """Take the alert down at ``target`` (``shown``: what the record says it showed, if anything)."""
        ...


def visual(
    alert: Alert, photo: bytes | None, size: tuple[int, int], kind: str, max_jpeg_bytes: int | None = None
) -> bytes:
    """The channel visual of an alert (social card, station poster, road-sign image), with its photo if any, and
    what to recognise the child by: age, when and where last seen, description (each visual shows what it has
    room for)."""
    from chalicelib.imaging.visuals import VisualContent, render_visual

    child, seen = alert.child, alert.last_seen
    content = VisualContent(
        alert.level,
        child.name,
        alert.headline.nl,
        alert.contact.phone,
        photo,
        age=child.age,
        place=seen.place,
        seen_at=seen.at,
        description=child.description,
    )
    return render_visual(content, size, kind, max_jpeg_bytes)  # type: ignore[arg-type]


def png_of(image: bytes) -> bytes:
    """An image as PNG, pixel for pixel: the preview of a visual shows exactly what the partner got."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(image)) as opened:
        if opened.format == "PNG":
            return image
        out = io.BytesIO()
        opened.save(out, "PNG")
        return out.getvalue()
