"""The photo pipeline: sniff, check, budget, decode once (JPEG DCT scaling), bring down, sRGB, upright, render sizes."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageCms, ImageOps

# Beyond this many pixels a photo is refused before decoding: a phone photo is 12-50 MP.
MAX_PIXELS = 60_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# The pixel memory one photo may take while it is decoded: the decoded image itself (w x h x the bytes Pillow keeps
# per pixel), what the decoder holds beside it, and a progressive JPEG's coefficients. Pixel counts alone do not bound
# it: a 59 MP RGBA PNG of 249 KB decodes to 236 MB, a 17 MP WebP takes 270 MB. The functions that decode photos (the
# API, photo_upload) are sized for this in infra/memory.py, measured by bench/memory.py; everything after the decode
# works on the brought-down image and a strip at a time. 256 MiB holds every baseline JPEG within MAX_PIXELS and
# every PNG but a long panorama.
MAX_DECODE_BYTES = 256 * 1024 * 1024

ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A crop that fills a box (the push image) from a tall photo can need more of its pixels than the master does.
# Letting such a crop be enlarged by up to 1.3x lets the decode stay at a smaller DCT scale (half each way is about
# 4x less work) for a picture shown at phone size. Fit renditions (master, feed) are never enlarged by this.
COVER_UPSCALE_ALLOWED = 1.3
_STEP_DOWN_FROM = 1.5
# A decoded image larger than needed is brought down a strip of about this many bytes at a time: box-reduced by a whole
# factor (as JPEG DCT scaling does), flattened and converted per strip, so no second full-size copy ever exists.
_STRIP_BYTES = 4 * 1024 * 1024
# Bytes Pillow keeps per pixel; modes of more than one band are stored four bytes a pixel (RGB too).
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Pillow's WebP decoder holds two canvases of its own and the frame's bytes beside the image: four copies in all.
_WEBP_COPIES = 4
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_WORKING_MODES = ("L", "RGB", "CMYK")
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


# What the channels read: the master (its bytes for the channel visuals and CAP, its link for newsrooms and CAP) and
# the push image's link. The feed rendition is for the public alert page (issue 14), which links it.
RENDITION_SPECS = (
    RenditionSpec("master", 1600, 1600, "fit"),
    RenditionSpec("push", 1024, 512, "cover"),
    RenditionSpec("feed", 800, 800, "fit"),
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


def process_photo(data: bytes, declared_type: str | None, max_decode_bytes: int = MAX_DECODE_BYTES) -> list[Rendition]:
    """Every rendition of the photo (``RENDITION_SPECS``), upright, in sRGB, without any metadata.

    Raises PhotoRejectedError.
    """
    specs = RENDITION_SPECS
    image_format = sniff(data)
    if declared_type is not None and ACCEPTED[image_format] != declared_type:
        raise PhotoRejectedError(f"declared {declared_type} but the bytes are {ACCEPTED[image_format]}")
    working = _decode(data, image_format, specs, max_decode_bytes)
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


def _decode(data: bytes, image_format: str, specs: Sequence[RenditionSpec], max_decode_bytes: int) -> Image.Image:
    """One decode, at the smallest scale every rendition can be cut from, then brought down, in sRGB, upright."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=[image_format])
        _check_size(opened)
        full_size = opened.size
        orientation = opened.getexif().get(_EXIF_ORIENTATION, 1)
        stored_target = _stored_target(full_size, orientation, specs)
        if image_format == "JPEG":
            # DCT scaling: the decoder itself skips detail no rendition needs (1/2, 1/4, 1/8).
            opened.draft("RGB", stored_target)
        _check_budget(opened, image_format, data, full_size, stored_target, max_decode_bytes)
        opened.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejectedError(f"the image is too large (more than {MAX_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, PhotoRejectedError):
            raise
        raise PhotoRejectedError(f"the image is damaged or truncated ({_reason(error)})") from None
    image = _to_srgb(_working(opened, stored_target), opened.info.get("icc_profile"))
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


def _check_budget(
    opened: Image.Image,
    image_format: str,
    data: bytes,
    full_size: tuple[int, int],
    target: tuple[int, int],
    max_decode_bytes: int,
) -> None:
    needed = _decode_bytes(opened, image_format, data, full_size) + _working_bytes(opened.size, opened.mode, target)
    if needed > max_decode_bytes:
        width, height = full_size
        raise PhotoRejectedError(
            f"the image is too large to decode ({width}×{height} {image_format} {opened.mode} needs "
            f"{_mib(needed)} MiB, at most {_mib(max_decode_bytes)} MiB): send it as a baseline JPEG or smaller"
        )


def _decode_bytes(opened: Image.Image, image_format: str, data: bytes, full_size: tuple[int, int]) -> int:
    """What the decode holds: the image as decoded (after DCT scaling) and what the decoder keeps beside it."""
    decoded = opened.width * opened.height * _PIXEL_BYTES.get(opened.mode, 4)
    if image_format == "WEBP":
        return decoded * _WEBP_COPIES
    if image_format == "JPEG":
        return decoded + _coefficient_bytes(opened, data, full_size)
    return decoded


def _working_bytes(size: tuple[int, int], mode: str, target: tuple[int, int]) -> int:
    """What ``_working`` makes beside the decoded image: nothing, or the reduced (or converted) copy."""
    factors = _reduce_factors(size, target)
    if mode in _WORKING_MODES and factors in (None, (1, 1)):
        return 0
    factor_x, factor_y = factors or (1, 1)
    pixels = math.ceil(size[0] / factor_x) * math.ceil(size[1] / factor_y)
    return pixels * _PIXEL_BYTES.get(mode if mode in _WORKING_MODES else "RGB", 4)


def _coefficient_bytes(opened: Image.Image, data: bytes, full_size: tuple[int, int]) -> int:
    """A progressive or multi-scan JPEG keeps every DCT coefficient (2 bytes) of the full image until the last scan.

    DCT scaling does not shrink this buffer: a 60 MP progressive JPEG needs 180-360 MB whatever size it is decoded at.
    """
    components: list[tuple[int, int, int, int]] = getattr(opened, "layer", [])
    scan = _first_scan_components(data)
    if not components or not (opened.info.get("progressive") or (scan is not None and scan < len(components))):
        return 0
    h_max = max(h for _, h, _, _ in components)
    v_max = max(v for _, _, v, _ in components)
    width, height = full_size
    blocks = 0
    for _, h, v, _ in components:
        blocks_wide = math.ceil(math.ceil(width * h / h_max) / 8)
        blocks_high = math.ceil(math.ceil(height * v / v_max) / 8)
        blocks += (math.ceil(blocks_wide / h) * h) * (math.ceil(blocks_high / v) * v)
    return blocks * 64 * 2


def _first_scan_components(data: bytes) -> int | None:
    """How many components the first scan of a JPEG carries (fewer than the frame's: the scans are not interleaved)."""
    position = 2
    while position + 4 < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD8:
            position += 2
        elif marker == 0xDA:
            return data[position + 4]
        else:
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return None


def _mib(size: int) -> str:
    return f"{math.ceil(size / 2**20):,}"


def _check_size(image: Image.Image) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PhotoRejectedError(f"the image is too large ({width}×{height}; at most {MAX_PIXELS:,} pixels)")
    if min(width, height) < 64:
        raise PhotoRejectedError(f"the image is too small ({width}×{height}; at least 64 pixels each way)")


def _reduce_factors(size: tuple[int, int], target: tuple[int, int]) -> tuple[int, int] | None:
    """The whole factors to box-reduce by before the last resize; None when the image is near enough the target."""
    if size[0] <= target[0] * _STEP_DOWN_FROM:
        return None
    return max(1, size[0] // target[0]), max(1, size[1] // target[1])


def _working(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """The decoded image in L, RGB or CMYK, brought down to ``target`` first when it is far larger.

    Box-reducing by the largest whole factor that stays at or above the target, then one bicubic step of less than
    2x, is what DCT scaling gives a JPEG. The reduction and the flattening go a strip at a time, so beside the decoded
    image only one strip and the reduced image exist; the colour conversion then works on the small image.
    """
    factors = _reduce_factors(image.size, target)
    if image.mode in _WORKING_MODES and factors in (None, (1, 1)):
        reduced = image
    else:
        reduced = _reduced(image, factors or (1, 1))
    if factors is None:
        return reduced
    box = (0.0, 0.0, image.width / factors[0], image.height / factors[1])
    return reduced.resize(target, Image.Resampling.BICUBIC, box=box)


def _reduced(image: Image.Image, factors: tuple[int, int]) -> Image.Image:
    factor_x, factor_y = factors
    rows = max(1, _STRIP_BYTES // (image.width * 4) // factor_y) * factor_y
    reduced = Image.new(_working_mode(image), (math.ceil(image.width / factor_x), math.ceil(image.height / factor_y)))
    for top in range(0, image.height, rows):
        strip = _flattened(image.crop((0, top, image.width, min(image.height, top + rows))))
        reduced.paste(strip.reduce(factors) if factors != (1, 1) else strip, (0, top // factor_y))
    return reduced


def _working_mode(image: Image.Image) -> str:
    return image.mode if image.mode in _WORKING_MODES else "RGB"


def _flattened(image: Image.Image) -> Image.Image:
    """Transparency on white; any other mode as RGB (L, RGB and CMYK stay, for their colour profiles)."""
    if image.mode in _ALPHA_MODES or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flattened = Image.new("RGB", rgba.size, (255, 255, 255))
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        return flattened
    return image if image.mode == _working_mode(image) else image.convert("RGB")


def _to_srgb(image: Image.Image, profile: bytes | None) -> Image.Image:
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
        image = _fitted(source, spec.width, spec.height)
    else:
        # Faces sit in the upper half of a portrait; centre the crop a little above the middle.
        image = ImageOps.fit(source, (spec.width, spec.height), Image.Resampling.BICUBIC, centering=(0.5, 0.35))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=spec.quality)
    return image, Rendition(spec.name, image.width, image.height, out.getvalue())


def _fitted(source: Image.Image, width: int, height: int) -> Image.Image:
    """``Image.thumbnail``'s size and filter, without first copying the source (never enlarged)."""
    if width >= source.width and height >= source.height:
        return source
    aspect = source.width / source.height
    if width / height >= aspect:
        width = _round_aspect(height * aspect, lambda n: abs(aspect - n / height))
    else:
        height = _round_aspect(width / aspect, lambda n: 0 if n == 0 else abs(aspect - width / n))
    return source.resize((width, height), Image.Resampling.BICUBIC, reducing_gap=2.0)


def _round_aspect(number: float, key: Callable[[int], float]) -> int:
    return max(min(math.floor(number), math.ceil(number), key=key), 1)


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
