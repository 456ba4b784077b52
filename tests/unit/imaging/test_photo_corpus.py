"""Malformed images through the photo pipeline: each is refused with a reason or processed, never a crash."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib.imaging.photo import PhotoRejectedError, process_photo

MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def valid(image_format: str) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((320, 240), 40).convert("RGB").save(out, image_format)
    return out.getvalue()


SAMPLES = {name: valid(name) for name in MIME}


def outcome(data: bytes, declared: str) -> str:
    try:
        process_photo(data, declared)
    except PhotoRejectedError as error:
        reason = str(error)
    else:
        return "processed"
    assert reason, "a refusal names its reason"
    return "refused"


@settings(max_examples=150, deadline=None)
@given(
    image_format=st.sampled_from(sorted(MIME)),
    cut=st.integers(min_value=0, max_value=5000),
    flips=st.lists(st.tuples(st.integers(min_value=0, max_value=4000), st.integers(0, 255)), max_size=8),
)
def test_truncated_and_corrupted_images_are_refused_or_processed(image_format, cut, flips):
    data = bytearray(SAMPLES[image_format])
    for position, value in flips:
        data[position % len(data)] = value
    assert outcome(bytes(data[: len(data) - cut]), MIME[image_format]) in ("refused", "processed")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_with_header(width: int, height: int, pixels: bytes = b"") -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(SAMPLES["JPEG"])
    marker = data.index(b"\xff\xc0")
    data[marker + 5 : marker + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def zlib_bomb() -> bytes:
    # 4000x4000 RGB of zeros: 48 MB once inflated, under 50 KB as sent.
    rows = b"".join(b"\x00" + b"\x00" * 4000 * 3 for _ in range(4000))
    return png_with_header(4000, 4000, zlib.compress(rows, 9))


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (png_with_header(100_000, 100_000), "image/png"),
        (png_with_header(0, 0), "image/png"),
        (jpeg_claiming(65_000, 65_000), "image/jpeg"),
        (zlib_bomb(), "image/png"),
        (SAMPLES["JPEG"] + b"<?php system($_GET['c']); ?>", "image/jpeg"),
        (b"%PDF-1.7\n" + SAMPLES["JPEG"], "image/jpeg"),
        (b"PK\x03\x04" + SAMPLES["PNG"], "image/png"),
        (SAMPLES["PNG"][:8] + SAMPLES["JPEG"], "image/png"),
        (b"\x00" * 1024, "image/webp"),
        (b"RIFF" + struct.pack("<I", 2**31) + b"WEBPVP8X" + b"\xff" * 40, "image/webp"),
    ],
    ids=[
        "png-header-bomb",
        "png-zero-size",
        "jpeg-header-bomb",
        "png-zlib-bomb",
        "jpeg-php-trailer",
        "pdf-polyglot",
        "zip-polyglot",
        "png-magic-jpeg-body",
        "zeros",
        "webp-huge-extended-header",
    ],
)
def test_the_malformed_corpus_never_crashes_the_pipeline(data, declared):
    result = outcome(data, declared)
    assert result in ("refused", "processed")


def test_trailing_data_after_a_valid_jpeg_is_not_carried_into_any_rendition():
    hidden = b"<?php system($_GET['c']); ?>"
    renditions = process_photo(SAMPLES["JPEG"] + hidden, "image/jpeg")
    assert all(hidden not in rendition.data for rendition in renditions)
