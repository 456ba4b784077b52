"""The photo pipeline on images the tests make: upright, clean, sized, and every bad input refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFilter

from chalicelib.imaging.photo import MAX_PIXELS, RENDITION_SPECS, PhotoRejectedError, process_photo, sniff

# A photo that shows which way is up: red band at the top, blue at the bottom, green on the left.
WIDTH, HEIGHT = 600, 400
# The stored pixels for each EXIF orientation, such that the upright picture is the one above.
STORED_FOR_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
GPS = {1: "N", 2: (52.0, 5.0, 21.8), 3: "E", 4: (5.0, 6.0, 36.4)}


def upright_picture() -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), (128, 128, 128))
    image.paste((220, 20, 20), (0, 0, WIDTH, 60))
    image.paste((20, 20, 220), (0, HEIGHT - 60, WIDTH, HEIGHT))
    image.paste((20, 200, 20), (0, 100, 60, 300))
    return image


def encoded(image: Image.Image, image_format: str = "JPEG", orientation: int = 1, **extra: object) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8825] = GPS
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, image_format, exif=exif, **extra)
    return out.getvalue()


def master(data: bytes, declared: str = "image/jpeg") -> Image.Image:
    renditions = {r.name: r for r in process_photo(data, declared)}
    return Image.open(io.BytesIO(renditions["master"].data))


def colour_at(image: Image.Image, x_fraction: float, y_fraction: float) -> tuple[int, int, int]:
    pixel = image.getpixel((int(image.width * x_fraction), int(image.height * y_fraction)))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def is_red(rgb: tuple[int, int, int]) -> bool:
    return rgb[0] > 150 and rgb[2] < 90


def is_blue(rgb: tuple[int, int, int]) -> bool:
    return rgb[2] > 150 and rgb[0] < 90


def is_green(rgb: tuple[int, int, int]) -> bool:
    return rgb[1] > 150 and rgb[0] < 90


@pytest.mark.parametrize("orientation", sorted(STORED_FOR_ORIENTATION))
def test_every_exif_orientation_comes_out_upright(orientation):
    # Given the picture stored the way a camera held in that orientation stores it
    method = STORED_FOR_ORIENTATION[orientation]
    picture = upright_picture()
    stored = picture.transpose(method) if method is not None else picture
    # When it goes through the pipeline
    result = master(encoded(stored, orientation=orientation))
    # Then red is at the top, blue at the bottom and green on the left
    assert result.size == (WIDTH, HEIGHT)
    assert is_red(colour_at(result, 0.5, 0.05))
    assert is_blue(colour_at(result, 0.5, 0.95))
    assert is_green(colour_at(result, 0.05, 0.5))


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_no_metadata_survives_in_any_rendition(image_format):
    declared = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[image_format]
    data = encoded(upright_picture(), image_format, orientation=1)
    assert Image.open(io.BytesIO(data)).getexif()  # the input does carry EXIF with GPS
    for rendition in process_photo(data, declared):
        image = Image.open(io.BytesIO(rendition.data))
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info
        assert "icc_profile" not in image.info
        assert "xmp" not in image.info
        assert "comment" not in image.info
        assert b"PhoneMaker" not in rendition.data
        assert b"Exif" not in rendition.data


def test_renditions_have_their_sizes():
    data = encoded(Image.new("RGB", (4000, 3000), (90, 90, 90)), orientation=6)
    sizes = {r.name: (r.width, r.height) for r in process_photo(data, "image/jpeg")}
    expected = {spec.name: (spec.width, spec.height) for spec in RENDITION_SPECS if spec.mode == "cover"}
    assert {name: sizes[name] for name in expected} == expected
    assert sizes["master"] == (1200, 1600)
    assert sizes["feed"] == (600, 800)


def test_a_wide_gamut_photo_is_converted_to_srgb():
    # Given a photo tagged with a (non-sRGB) LAB-based profile
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))
    lab = Image.new("LAB", (200, 200), (60, 40, 40))
    data = encoded(lab.convert("RGB"), "PNG", icc_profile=profile.tobytes())
    result = master(data, "image/png")
    assert result.mode == "RGB"
    assert "icc_profile" not in result.info


def test_transparency_is_flattened_on_white():
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    result = master(encoded(image, "PNG"), "image/png")
    assert colour_at(result, 0.5, 0.5) >= (250, 250, 250)


def bomb() -> bytes:
    # A PNG whose header claims more pixels than allowed; its data is tiny.
    side = int(MAX_PIXELS**0.5) + 100
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    return encoded(Image.effect_noise((800, 600), 50).convert("RGB"))[:5000]


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (100, 100)).save(out, "GIF")
    return out.getvalue()


def tiff() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (100, 100)).save(out, "TIFF")
    return out.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


@pytest.mark.parametrize(
    ("data", "declared", "reason"),
    [
        (bomb(), "image/png", "too large"),
        (truncated_jpeg(), "image/jpeg", "damaged or truncated"),
        (b"", "image/jpeg", "it is empty"),
        (gif(), "image/jpeg", "it is a GIF"),
        (SVG, "image/jpeg", "it is an SVG"),
        (tiff(), "image/jpeg", "it is a TIFF"),
        (encoded(upright_picture(), "PNG"), "image/jpeg", "declared image/jpeg but the bytes are image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "image/jpeg", "damaged or truncated"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 50, "image/webp", "damaged or truncated"),
        (encoded(Image.new("RGB", (40, 40))), "image/jpeg", "too small"),
        (b"GIF89a<svg onload=alert(1)>", "image/gif", "it is a GIF"),
    ],
    ids=[
        "bomb",
        "truncated",
        "empty",
        "gif",
        "svg",
        "tiff",
        "png-as-jpeg",
        "jpeg-header-only",
        "bad-webp",
        "tiny",
        "polyglot",
    ],
)
def test_bad_images_are_refused_with_a_reason(data, declared, reason):
    with pytest.raises(PhotoRejectedError, match=reason):
        process_photo(data, declared)


def test_sniffing_ignores_the_declared_type():
    assert sniff(encoded(upright_picture(), "PNG")) == "PNG"
    assert sniff(encoded(upright_picture(), "WEBP")) == "WEBP"


def test_the_rendition_names_the_api_links_are_the_ones_made():
    from chalicelib.models.photos import RENDITION_NAMES

    assert {spec.name for spec in RENDITION_SPECS} == set(RENDITION_NAMES)


# The decode budget: what decoding takes (decoded bytes and the decoder's own), not how many pixels there are.
MiB = 1024 * 1024


FLAT_COLOURS: dict[str, int | tuple[int, ...]] = {"L": 120, "RGB": (150, 110, 90), "RGBA": (150, 110, 90, 255)}


def flat(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, FLAT_COLOURS[mode])


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (encoded(flat((4000, 3000)), "PNG"), "image/png"),
        (encoded(flat((4000, 3000)), "JPEG", progressive=True, subsampling=0), "image/jpeg"),
        (encoded(flat((2000, 1500)), "WEBP"), "image/webp"),
    ],
    ids=["png-48-MB", "progressive-jpeg-72-MB-of-coefficients", "webp-decoded-four-times"],
)
def test_a_photo_whose_decode_exceeds_the_budget_is_refused_before_it_is_decoded(data, declared):
    # Given a budget of 32 MiB, which a baseline JPEG of 12 MP fits (it decodes at half scale: 12 MB)
    baseline = encoded(flat((4000, 3000)))
    assert process_photo(baseline, "image/jpeg", max_decode_bytes=32 * MiB)
    # When a photo whose decode takes more arrives (a PNG cannot be decoded smaller; a progressive JPEG keeps every
    # coefficient; Pillow's WebP decoder holds copies of its own)
    # Then it is refused, saying what it needs, what is allowed and what to send instead
    with pytest.raises(PhotoRejectedError, match=r"too large to decode .* needs \d+ MiB, at most 32 MiB"):
        process_photo(data, declared, max_decode_bytes=32 * MiB)


def test_the_budget_counts_bytes_per_pixel_so_a_greyscale_png_fits_where_the_colour_one_does_not():
    grey = encoded(flat((4000, 3000), "L"), "PNG")
    colour = encoded(flat((4000, 3000), "RGBA"), "PNG")
    assert master(grey, "image/png").size == (1600, 1200)
    with pytest.raises(PhotoRejectedError, match="too large to decode"):
        process_photo(colour, "image/png", max_decode_bytes=32 * MiB)
    assert process_photo(grey, "image/png", max_decode_bytes=32 * MiB)


def test_a_baseline_jpeg_whose_scans_are_not_interleaved_is_budgeted_for_its_coefficients():
    # libjpeg buffers a whole image of coefficients for such a JPEG too; its header says so in the first scan
    interleaved = encoded(flat((4000, 3000)))
    assert process_photo(interleaved, "image/jpeg", max_decode_bytes=40 * MiB)
    data = bytearray(interleaved)
    start_of_scan = data.index(b"\xff\xda")
    data[start_of_scan + 4] = 1  # the first scan carries one of the three components
    with pytest.raises(PhotoRejectedError, match="too large to decode"):
        process_photo(bytes(data), "image/jpeg", max_decode_bytes=40 * MiB)


def test_the_default_budget_refuses_a_webp_that_would_take_hundreds_of_megabytes():
    webp = encoded(flat((4200, 4200)), "WEBP", quality=50, method=0)
    assert len(webp) < 100_000  # 17.6 MP, small on the wire
    with pytest.raises(PhotoRejectedError, match=r"too large to decode \(4200×4200 WEBP"):
        process_photo(webp, "image/webp")


def transparent_top(size: tuple[int, int]) -> Image.Image:
    """Fully transparent above the middle, opaque blue below: flattened, white over blue."""
    image = Image.new("RGBA", size, (20, 20, 220, 255))
    image.paste((0, 0, 0, 0), (0, 0, size[0], size[1] // 2))
    return image


@pytest.mark.parametrize(
    ("mode", "top", "bottom"),
    [
        ("RGBA", (255, 255, 255), (20, 20, 220)),
        ("LA", (255, 255, 255), (43, 43, 43)),
        ("P", (255, 255, 255), (20, 20, 220)),
        ("I;16", (0, 0, 0), (43, 43, 43)),
    ],
)
def test_a_large_png_is_brought_down_strip_by_strip_to_the_same_picture(mode, top, bottom):
    # Given a PNG far larger than any rendition needs (reduced a strip at a time), in a mode needing conversion
    picture = transparent_top((5000, 3000))
    options: dict[str, object] = {}
    if mode == "LA":
        picture = picture.convert("LA")
    elif mode == "P":
        picture = picture.convert("RGB").quantize(4)
        options["transparency"] = picture.getpixel((0, 0))
    elif mode == "I;16":
        picture = picture.convert("L").convert("I;16")
    # When it goes through the pipeline
    result = master(encoded(picture, "PNG", 1, **options), "image/png")
    # Then the master has its size and its colours (transparency on white) on either side of the middle, every row
    assert result.size == (1600, 960)
    for y in [*range(2, 48, 3), *range(52, 100, 3)]:
        expected = top if y < 50 else bottom
        assert all(abs(a - b) <= 2 for a, b in zip(colour_at(result, 0.5, y / 100), expected, strict=True)), y


def test_a_brought_down_png_matches_pillows_own_resize():
    # Given a photo-like RGBA picture (shapes, soft edges, a gradient of transparency) far larger than the master
    texture = Image.radial_gradient("L").resize((4800, 3600)).convert("RGB")
    draw = ImageDraw.Draw(texture)
    for i in range(40):
        draw.ellipse((i * 113 % 4400, i * 71 % 3200, i * 113 % 4400 + 400, i * 71 % 3200 + 380), fill=(i * 6, 90, 160))
    texture = texture.filter(ImageFilter.GaussianBlur(2))
    rgba = texture.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(texture.size))
    # When the pipeline brings it down a strip at a time
    result = master(encoded(rgba, "PNG", compress_level=1), "image/png").convert("RGB")
    # Then it is the picture Pillow makes from the whole image (flattened on white, resized): within 1 % on average
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))
    reference = white.resize(result.size, Image.Resampling.BICUBIC, reducing_gap=3.0)
    difference = ImageChops.difference(result, reference).convert("L")
    mean = sum(count * value for value, count in enumerate(difference.histogram())) / (result.width * result.height)
    assert mean < 2.55
