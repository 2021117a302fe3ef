from __future__ import annotations

import hashlib
import itertools
import os
import random
import struct
import time
import uuid
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw

from audit.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTO_PIXELS,
    PhotoError,
    ProcessedPhoto,
    photo_filenames,
    process_photo,
)

RED = (220, 30, 30)
BLUE = (30, 30, 220)

# A refusal must come from reading the header, not from decoding: a decode of
# these sizes takes seconds and gigabytes. One second is generous for a
# header read even on a slow CI machine.
BOMB_DEADLINE_SECONDS = 1.0


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    out = BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def reopen(data: bytes) -> Image.Image:
    img = Image.open(BytesIO(data))
    img.load()
    return img


def rgb(img: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = img.getpixel(xy)
    assert isinstance(pixel, tuple) and len(pixel) == 3
    return pixel[0], pixel[1], pixel[2]


def photo(size: tuple[int, int] = (640, 480), mode: str = "RGB") -> Image.Image:
    """A picture with structure (not one flat colour) and a red top-left corner."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    width, height = size
    draw.rectangle((0, 0, width // 4, height // 4), fill=RED)
    draw.ellipse((width // 3, height // 3, width - 10, height - 10), fill=BLUE)
    return img if mode == "RGB" else img.convert(mode)


def png_of_zero_rows(
    width: int, height: int, *, bit_depth: int = 1, color_type: int = 0, noisy_rows: int = 0
) -> bytes:
    """A real, complete PNG of `width` x `height` zero pixels, built without
    holding the pixels in memory; all-zero rows compress about 1000:1.
    The first `noisy_rows` rows are random instead (they barely compress)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    row = bytes(1 + (width * channels * bit_depth + 7) // 8)  # filter byte + samples
    noise = random.Random(7)
    noisy = [b"\x00" + noise.randbytes(len(row) - 1) for _ in range(min(noisy_rows, height))]
    compressor = zlib.compressobj(9)
    rows = itertools.chain(noisy, itertools.repeat(row, height - len(noisy)))
    idat = b"".join(compressor.compress(r) for r in rows) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) is rewritten to claim another size."""
    data = bytearray(encode(photo((16, 16)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def refusal(data: bytes) -> PhotoError:
    with pytest.raises(PhotoError) as caught:
        process_photo(data)
    return caught.value


def assert_refused_fast(data: bytes) -> PhotoError:
    started = time.perf_counter()
    error = refusal(data)
    elapsed = time.perf_counter() - started
    assert elapsed < BOMB_DEADLINE_SECONDS, f"refusal took {elapsed:.3f}s"
    return error


# --- accepted formats -------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "params"),
    [
        ("JPEG", {"quality": 95}),
        ("PNG", {}),
        ("WEBP", {"quality": 90}),
        ("WEBP", {"lossless": True}),
    ],
)
def test_jpeg_png_and_webp_are_re_encoded_as_jpeg(fmt: str, params: dict[str, object]) -> None:
    result = process_photo(encode(photo((640, 480)), fmt, **params))

    assert isinstance(result, ProcessedPhoto)
    assert result.content_type == "image/jpeg"
    image = reopen(result.image)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert (image.width, image.height) == (result.width, result.height) == (640, 480)
    assert reopen(result.thumbnail).format == "JPEG"
    # The pixels survive: the red corner is still red.
    red, green, blue = rgb(image, (10, 10))
    assert red > 180 and green < 80 and blue < 80


def test_result_is_frozen() -> None:
    result = process_photo(encode(photo(), "PNG"))
    with pytest.raises(AttributeError):
        result.width = 1  # type: ignore[misc]


# --- orientation and metadata ------------------------------------------------


def exif_with_gps_and_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Auditor's phone 12"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 22.0, 7.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 53.0, 42.0),
    }
    return exif


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'dc:creator="Jane Auditor"/></rdf:RDF></x:xmpmeta>'
)


def assert_no_metadata(data: bytes) -> None:
    img = reopen(data)
    assert dict(img.getexif()) == {}
    assert "exif" not in img.info
    assert "icc_profile" not in img.info
    assert "xmp" not in img.info
    assert "comment" not in img.info
    for marker in (b"Exif", b"GPS", b"PhoneMaker", b"Jane Auditor", b"http://ns.adobe.com/xap"):
        assert marker not in data
    assert b"ICC_PROFILE" not in data


def test_jpeg_with_gps_and_orientation_6_comes_out_upright_and_without_any_metadata() -> None:
    stored = photo((300, 200))  # as the sensor stored it; orientation 6 = turn 90° clockwise
    upload = encode(
        stored,
        "JPEG",
        exif=exif_with_gps_and_orientation(6),
        xmp=XMP,
        comment=b"Jane Auditor was here",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    # The upload really carries what must be removed.
    original = Image.open(BytesIO(upload))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"PhoneMaker" in upload and b"Jane Auditor" in upload

    result = process_photo(upload)

    assert (result.width, result.height) == (200, 300)
    upright = reopen(result.image)
    assert upright.size == (200, 300)
    # Turned clockwise, the stored top-left corner is now top-right.
    red, _, blue = rgb(upright, (190, 10))
    assert red > 180 and blue < 80
    # ...and the stored bottom-left, white, is the top-left.
    assert min(rgb(upright, (10, 10))) > 240
    assert_no_metadata(result.image)
    assert_no_metadata(result.thumbnail)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_exif_orientation_is_applied_and_stripped(fmt: str) -> None:
    upload = encode(photo((300, 200)), fmt, exif=exif_with_gps_and_orientation(8), xmp=XMP)
    assert Image.open(BytesIO(upload)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    result = process_photo(upload)

    assert (result.width, result.height) == (200, 300)
    assert_no_metadata(result.image)
    assert_no_metadata(result.thumbnail)


def test_photo_with_unreadable_exif_is_accepted_as_stored() -> None:
    upload = encode(photo((300, 200)), "JPEG", exif=b"Exif\x00\x00this is not a TIFF header")

    result = process_photo(upload)

    assert (result.width, result.height) == (300, 200)
    assert_no_metadata(result.image)


def test_script_appended_to_a_jpeg_does_not_survive() -> None:
    upload = encode(photo(), "JPEG") + b"<script>alert(document.cookie)</script>"

    result = process_photo(upload)

    assert b"<script>" not in result.image
    assert b"<script>" not in result.thumbnail


def test_unusable_icc_profile_is_dropped_and_the_photo_kept() -> None:
    upload = encode(photo(), "JPEG", icc_profile=b"definitely not an ICC profile")

    result = process_photo(upload)

    assert (result.width, result.height) == (640, 480)
    assert_no_metadata(result.image)


def test_srgb_profile_conversion_keeps_colours() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = encode(Image.new("RGB", (64, 64), (200, 120, 40)), "PNG", icc_profile=srgb)

    result = process_photo(upload)

    pixel = rgb(reopen(result.image), (32, 32))
    assert all(abs(got - want) <= 4 for got, want in zip(pixel, (200, 120, 40), strict=True))


# --- colour modes -------------------------------------------------------------


def test_png_alpha_is_flattened_on_white() -> None:
    img = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # transparent *black*
    ImageDraw.Draw(img).rectangle((50, 0, 99, 99), fill=(*RED, 255))

    result = process_photo(encode(img, "PNG"))

    out = reopen(result.image)
    assert out.mode == "RGB"
    assert min(rgb(out, (10, 50))) >= 250
    red, green, blue = rgb(out, (80, 50))
    assert red > 180 and green < 80 and blue < 80


def test_palette_png_with_transparency_is_flattened_on_white() -> None:
    img = Image.new("P", (40, 40), 0)
    img.putpalette([0, 0, 0, *RED])
    ImageDraw.Draw(img).rectangle((20, 0, 39, 39), fill=1)

    result = process_photo(encode(img, "PNG", transparency=0))

    out = reopen(result.image)
    assert min(rgb(out, (5, 20))) >= 250
    red, _, _ = rgb(out, (30, 20))
    assert red > 180


def test_half_transparent_webp_is_blended_with_white() -> None:
    result = process_photo(
        encode(Image.new("RGBA", (32, 32), (0, 0, 0, 128)), "WEBP", lossless=True)
    )

    red, green, blue = rgb(reopen(result.image), (16, 16))
    assert 110 <= red <= 145 and 110 <= green <= 145 and 110 <= blue <= 145


def test_16_bit_grey_png_keeps_its_tones() -> None:
    result = process_photo(encode(Image.new("I;16", (32, 32), 32768), "PNG"))

    red, green, blue = rgb(reopen(result.image), (16, 16))
    assert 120 <= red <= 136 and red == green == blue


@pytest.mark.parametrize("mode", ["L", "CMYK", "1", "LA"])
def test_other_colour_modes_come_out_rgb(mode: str) -> None:
    fmt = "JPEG" if mode in ("L", "CMYK") else "PNG"

    result = process_photo(encode(photo((64, 48), mode=mode), fmt))

    assert reopen(result.image).mode == "RGB"
    assert (result.width, result.height) == (64, 48)


# --- animation ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_image_gives_its_first_frame(fmt: str) -> None:
    first, second = Image.new("RGB", (64, 64), RED), Image.new("RGB", (64, 64), BLUE)
    upload = encode(first, fmt, save_all=True, append_images=[second], duration=100, loop=0)
    assert getattr(Image.open(BytesIO(upload)), "n_frames", 1) == 2

    result = process_photo(upload)

    red, _, blue = rgb(reopen(result.image), (32, 32))
    assert red > 180 and blue < 80


# --- sizes --------------------------------------------------------------------


def test_thumbnail_longest_side_is_480() -> None:
    result = process_photo(encode(photo((1600, 1200)), "JPEG"))

    assert reopen(result.thumbnail).size == (480, 360)


def test_thumbnail_of_a_portrait_photo_is_480_high() -> None:
    result = process_photo(encode(photo((900, 1600)), "PNG"))

    assert reopen(result.thumbnail).size == (270, 480)


@pytest.mark.parametrize(
    ("size", "expected"),
    [((5000, 1000), (2048, 410)), ((1000, 5000), (410, 2048)), ((2048, 1536), (2048, 1536))],
)
def test_longest_side_is_capped_at_2048(size: tuple[int, int], expected: tuple[int, int]) -> None:
    result = process_photo(encode(photo(size), "PNG"))

    assert (result.width, result.height) == expected
    assert reopen(result.image).size == expected


def test_large_jpeg_decoded_at_reduced_scale_still_gives_2048() -> None:
    # 8192 x 4096 lets libjpeg decode at half size; the output must not notice.
    upload = encode(photo((8192, 4096), mode="L"), "JPEG", quality=70)

    result = process_photo(upload)

    assert (result.width, result.height) == (2048, 1024)
    assert reopen(result.thumbnail).size == (480, 240)


def test_small_photo_is_not_enlarged() -> None:
    result = process_photo(encode(photo((120, 80)), "JPEG"))

    assert (result.width, result.height) == (120, 80)
    assert reopen(result.thumbnail).size == (120, 80)


# --- refused bodies -------------------------------------------------------------


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
)
HTML = b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(SVG, id="svg"),
        pytest.param(HTML, id="html"),
        pytest.param(encode(photo((32, 32)), "GIF"), id="gif"),
        pytest.param(encode(photo((32, 32)), "TIFF"), id="tiff"),
        pytest.param(encode(photo((32, 32)), "BMP"), id="bmp"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", id="pdf"),
        pytest.param(os.urandom(4096), id="random"),
    ],
)
def test_anything_but_jpeg_png_or_webp_is_415(body: bytes) -> None:
    error = refusal(body)

    assert error.status == 415
    assert error.message == "the photo is not a JPEG, PNG or WebP image"
    assert str(error) == error.message


def test_empty_body_is_415() -> None:
    error = refusal(b"")

    assert error.status == 415
    assert "empty" in error.message


def test_body_over_the_byte_limit_is_413_without_being_read() -> None:
    # Valid JPEG start, so only the size can be the reason.
    body = encode(photo((16, 16)), "JPEG").ljust(MAX_PHOTO_BYTES + 1, b"\0")

    error = assert_refused_fast(body)

    assert error.status == 413
    assert "15 MB" in error.message


# --- decompression bombs and damaged files ----------------------------------------


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    return png_of_zero_rows(30_000, 30_000)  # 900 megapixels, 2.7 GB as RGB


def test_png_bomb_is_422_fast(png_bomb: bytes) -> None:
    assert len(png_bomb) < 200_000

    error = assert_refused_fast(png_bomb)

    assert error.status == 422
    assert "too many pixels" in error.message


def test_png_in_pillows_warning_range_is_422_fast() -> None:
    # 100 MP: above Pillow's warning threshold but below its own error; its
    # warning must become a refusal, not a printed warning.
    error = assert_refused_fast(png_of_zero_rows(10_000, 10_000))

    assert error.status == 422
    assert "too many pixels" in error.message


def test_png_just_over_our_own_pixel_limit_is_422_fast() -> None:
    width = 8000
    height = MAX_PHOTO_PIXELS // width + 1

    error = assert_refused_fast(png_of_zero_rows(width, height, bit_depth=8, color_type=2))

    assert error.status == 422
    assert "too many pixels" in error.message


def test_png_at_our_pixel_limit_is_accepted() -> None:
    # 1-bit, so building it stays cheap; it exercises the whole path at the limit.
    # Random rows give it the bytes a photograph of that size has (not a bomb's).
    width = 8192
    result = process_photo(png_of_zero_rows(width, MAX_PHOTO_PIXELS // width, noisy_rows=600))

    assert result.width == 2048


@pytest.fixture(scope="module")
def flat_png_at_the_limit() -> bytes:
    """What the attack sent: about 200 KB of 8192 x 6400 RGB that decode to 157 MB."""
    return png_of_zero_rows(8192, 6400, bit_depth=8, color_type=2, noisy_rows=2)


def test_a_200_kb_png_claiming_8192_by_6400_is_refused_on_its_header_as_a_bomb(
    flat_png_at_the_limit: bytes,
) -> None:
    assert 150_000 < len(flat_png_at_the_limit) < 250_000
    assert MAX_PHOTO_PIXELS >= 8192 * 6400  # the pixel limit alone lets it through

    error = assert_refused_fast(flat_png_at_the_limit)

    assert error.status == 422
    assert "8192 x 6400 pixels in only" in error.message
    assert "decompression bomb" in error.message


def test_flat_images_of_phone_size_are_not_taken_for_bombs() -> None:
    # 12 MP in a few kilobytes: below the size where the bytes are checked.
    result = process_photo(png_of_zero_rows(4000, 3000))

    assert (result.width, result.height) == (2048, 1536)


@pytest.mark.parametrize("size", [(60_000, 60_000), (8_000, 7_000)])
def test_jpeg_claiming_too_many_pixels_is_422_fast(size: tuple[int, int]) -> None:
    error = assert_refused_fast(jpeg_claiming(*size))

    assert error.status == 422
    assert "too many pixels" in error.message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_image_is_422(fmt: str) -> None:
    # Seeded: cut at a random point, a JPEG can end in a byte pattern that
    # libjpeg reads as complete, which would make the test flaky.
    noise = Image.frombytes("RGB", (256, 256), random.Random(7).randbytes(256 * 256 * 3))
    data = encode(noise, fmt)

    error = refusal(data[: len(data) // 2])

    assert error.status == 422
    assert error.message == "the photo is damaged or truncated and cannot be read"


def test_jpeg_with_a_broken_huffman_table_is_422() -> None:
    data = bytearray(encode(photo((256, 256)), "JPEG"))
    table = data.index(b"\xff\xc4")  # DHT
    data[table + 5 : table + 21] = b"\xff" * 16  # impossible code counts

    error = refusal(bytes(data))

    assert error.status == 422
    assert error.message == "the photo is damaged or truncated and cannot be read"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n", id="png-signature-only"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", id="jpeg-cut-in-its-header"),
        pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 ", id="webp-cut-in-its-header"),
    ],
)
def test_accepted_format_with_an_unreadable_header_is_422(body: bytes) -> None:
    error = refusal(body)

    assert error.status == 422
    assert "damaged" in error.message


# --- idempotency and concurrency -----------------------------------------------------


def test_same_upload_twice_gives_the_same_sha256_of_the_original() -> None:
    upload = encode(photo(), "JPEG", exif=exif_with_gps_and_orientation(6))

    first, second = process_photo(upload), process_photo(upload)

    assert first.sha256 == second.sha256 == hashlib.sha256(upload).hexdigest()
    assert first.image == second.image
    assert process_photo(encode(photo(), "PNG")).sha256 != first.sha256


def test_concurrent_uploads_leave_the_warning_filters_alone(png_bomb: bytes) -> None:
    filters_before = list(warnings.filters)
    uploads = [encode(photo(), "JPEG"), encode(photo(), "PNG"), png_bomb, b"<svg/>"] * 8

    def outcome(data: bytes) -> int:
        try:
            process_photo(data)
        except PhotoError as error:
            return error.status
        return 200

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(outcome, uploads))

    assert statuses == [200, 200, 422, 415] * 8
    assert list(warnings.filters) == filters_before


# --- file names ---------------------------------------------------------------------


AUDIT = "8c1f6a5e-0f0b-4f5e-9b7a-2f1d3c4b5a69"
PHOTO = "2d9b2c64-77a1-4c49-8d0e-5f7c9a1b3e20"


def test_photo_filenames_are_server_made_and_stable() -> None:
    image, thumbnail = photo_filenames(AUDIT, PHOTO)

    assert (image, thumbnail) == photo_filenames(AUDIT, PHOTO)
    folder, name = image.split("/")
    assert len(folder) == 2 and name.startswith(folder) and name.endswith(".jpg")
    assert thumbnail.startswith(f"{folder}/") and thumbnail.endswith(".jpg")
    assert thumbnail != image
    for path in (image, thumbnail):
        assert AUDIT not in path and PHOTO not in path
        assert all(ch in "0123456789abcdef-/.thumbjpg" for ch in path)


def test_photo_filenames_differ_per_audit_and_per_photo() -> None:
    other = str(uuid.uuid4())

    paths = {
        photo_filenames(AUDIT, PHOTO),
        photo_filenames(other, PHOTO),
        photo_filenames(AUDIT, other),
        photo_filenames(PHOTO, AUDIT),
    }

    assert len(paths) == 4


def test_photo_filenames_ignore_uuid_case() -> None:
    assert photo_filenames(AUDIT.upper(), PHOTO) == photo_filenames(AUDIT, PHOTO)


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "../../etc/passwd",
        f"{AUDIT}/../x",
        f"../{AUDIT}",
        "",
        "photo.jpg",
        f"{{{AUDIT}}}",
        f"urn:uuid:{AUDIT}",
        AUDIT.replace("-", ""),
        f" {AUDIT}",
        f"{AUDIT}\n",
        AUDIT[:-1] + "g",
    ],
)
def test_photo_filenames_refuse_anything_but_a_uuid(bad: str) -> None:
    with pytest.raises(ValueError, match="not a UUID"):
        photo_filenames(bad, PHOTO)
    with pytest.raises(ValueError, match="not a UUID"):
        photo_filenames(AUDIT, bad)


def test_truncated_jpeg_is_refused_even_after_weasyprint_loosened_pillow() -> None:
    import weasyprint  # noqa: F401  (sets ImageFile.LOAD_TRUNCATED_IMAGES = True on import)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    data = encode(photo((256, 256)), "JPEG")

    error = refusal(data[: len(data) // 2])

    assert error.status == 422
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for WeasyPrint's own use
