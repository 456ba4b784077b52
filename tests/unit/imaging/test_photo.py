"""The photo pipeline on images the tests make: upright, clean, sized, and every bad input refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from chalicelib.imaging.photo import MAX_PIXELS, PhotoRejectedError, default_specs, process_photo, sniff

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
    expected = {spec.name: (spec.width, spec.height) for spec in default_specs() if spec.mode == "cover"}
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

    assert {spec.name for spec in default_specs()} == set(RENDITION_NAMES)
