"""The photo pipeline: sniff, check, decode once (JPEG DCT scaling), turn upright, sRGB, strip, render sizes."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageCms, ImageOps

# Beyond this many pixels a photo is refused before decoding: a phone photo is 12-50 MP.
MAX_PIXELS = 60_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A portrait photo cropped into a 16:9 poster needs 0.64 of a 12 MP photo's width, just over what a half-scale
# DCT decode gives. Letting such a crop be enlarged by up to 1.3x keeps the decode at half scale (about 4x less
# work); the poster is read from metres away. Fit renditions (master, feed) are never enlarged by this.
COVER_UPSCALE_ALLOWED = 1.3
_STEP_DOWN_FROM = 1.5
_ROTATED = {5, 6, 7, 8}
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION = 0x0112


class PhotoRejectedError(ValueError):
    """The bytes are not a photo this service accepts; the message says why, for the caller."""


@dataclass(frozen=True)
class RenditionSpec:
    """A rendition: ``fit`` keeps the whole photo within the box, ``cover`` fills the box exactly."""

    name: str
    width: int
    height: int
    mode: Literal["fit", "cover"]
    quality: int = 85


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    data: bytes
    content_type: str = "image/jpeg"


def default_specs(road_sign: tuple[int, int] = (480, 270)) -> tuple[RenditionSpec, ...]:
    return (
        RenditionSpec("master", 1600, 1600, "fit"),
        RenditionSpec("station_poster", 1920, 1080, "cover"),
        RenditionSpec("social_card", 1200, 675, "cover"),
        RenditionSpec("push", 1024, 512, "cover"),
        RenditionSpec("feed", 800, 800, "fit"),
        RenditionSpec("road_sign", road_sign[0], road_sign[1], "cover"),
    )


def sniff(data: bytes) -> str:
    """The image format from the bytes themselves; the declared type is never trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise PhotoRejectedError(f"not a JPEG, PNG or WebP image ({_describe(data)})")


def process_photo(
    data: bytes, declared_type: str | None, specs: Sequence[RenditionSpec] | None = None
) -> list[Rendition]:
    """Every rendition of the photo, upright, in sRGB, without any metadata. Raises PhotoRejectedError."""
    specs = specs or default_specs()
    image_format = sniff(data)
    if declared_type is not None and ACCEPTED[image_format] != declared_type:
        raise PhotoRejectedError(f"declared {declared_type} but the bytes are {ACCEPTED[image_format]}")
    working = _decode(data, image_format, specs)
    return _render_all(working, specs)


def _render_all(working: Image.Image, specs: Sequence[RenditionSpec]) -> list[Rendition]:
    """Cascade: each rendition is cut from the smallest whole-photo image already made that still covers it."""
    sources = [working]
    rendered: dict[str, Rendition] = {}
    fits_first = sorted(specs, key=lambda spec: (spec.mode != "fit", -_scale_needed(working.size, spec)))
    for spec in fits_first:
        covering = [image for image in sources if _scale_needed(image.size, spec) <= 1.0]
        source = min(covering, key=lambda image: image.width) if covering else working
        image, rendition = _render(source, spec)
        rendered[spec.name] = rendition
        if spec.mode == "fit":
            sources.append(image)
    return [rendered[spec.name] for spec in specs]


def _decode(data: bytes, image_format: str, specs: Sequence[RenditionSpec]) -> Image.Image:
    """One decode, at the smallest scale every rendition can be cut from, upright and in sRGB."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=[image_format])
        _check_size(opened)
        orientation = opened.getexif().get(_EXIF_ORIENTATION, 1)
        stored_target = _stored_target(opened.size, orientation, specs)
        if image_format == "JPEG":
            # DCT scaling: the decoder itself skips detail no rendition needs (1/2, 1/4, 1/8).
            opened.draft("RGB", stored_target)
        opened.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejectedError(f"the image is too large (more than {MAX_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, PhotoRejectedError):
            raise
        raise PhotoRejectedError(f"the image is damaged or truncated ({_reason(error)})") from None
    image = _to_srgb(opened)
    if image.width > stored_target[0] * _STEP_DOWN_FROM:
        # A PNG or WebP (no DCT scaling) far larger than needed: one step down first.
        image = image.resize(stored_target, Image.Resampling.BICUBIC, reducing_gap=2.0)
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


def _stored_target(stored_size: tuple[int, int], orientation: int, specs: Sequence[RenditionSpec]) -> tuple[int, int]:
    """The size to decode to, in the stored (not yet upright) orientation."""
    rotated = orientation in _ROTATED
    upright = (stored_size[1], stored_size[0]) if rotated else stored_size
    scale = min(1.0, max(_decode_scale(upright, spec) for spec in specs))
    target = (max(1, round(upright[0] * scale)), max(1, round(upright[1] * scale)))
    return (target[1], target[0]) if rotated else target


def _decode_scale(size: tuple[int, int], spec: RenditionSpec) -> float:
    """The scale to decode at for this rendition: a crop that fills a box may be enlarged a little."""
    needed = _scale_needed(size, spec)
    return needed / COVER_UPSCALE_ALLOWED if spec.mode == "cover" else needed


def _scale_needed(size: tuple[int, int], spec: RenditionSpec) -> float:
    ratios = (spec.width / size[0], spec.height / size[1])
    return max(ratios) if spec.mode == "cover" else min(ratios)


def _check_size(image: Image.Image) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PhotoRejectedError(f"the image is too large ({width}×{height}; at most {MAX_PIXELS:,} pixels)")
    if min(width, height) < 64:
        raise PhotoRejectedError(f"the image is too small ({width}×{height}; at least 64 pixels each way)")


def _to_srgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flattened = Image.new("RGB", rgba.size, (255, 255, 255))
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        image = flattened
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(
                image.convert("RGB") if image.mode not in ("RGB", "CMYK") else image,
                source,
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError):
            pass  # an unreadable profile: the pixels are taken as sRGB
    return image if image.mode == "RGB" else image.convert("RGB")


def _render(source: Image.Image, spec: RenditionSpec) -> tuple[Image.Image, Rendition]:
    if spec.mode == "fit":
        image = source.copy()
        image.thumbnail((spec.width, spec.height), Image.Resampling.BICUBIC)
    else:
        # Faces sit in the upper half of a portrait; centre the crop a little above the middle.
        image = ImageOps.fit(source, (spec.width, spec.height), Image.Resampling.BICUBIC, centering=(0.5, 0.35))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=spec.quality)
    return image, Rendition(spec.name, image.width, image.height, out.getvalue())


def _describe(data: bytes) -> str:
    if not data:
        return "it is empty"
    for magic, name in ((b"GIF8", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"BM", "BMP")):
        if data.startswith(magic):
            return f"it is a {name}"
    head = data[:256].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
        return "it is an SVG"
    return "the format is unknown"


def _reason(error: BaseException) -> str:
    return str(error).split("\n")[0][:120] or type(error).__name__
