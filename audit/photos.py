"""Evidence photos: an untrusted upload in, a clean JPEG and its thumbnail out.

Pure and synchronous; the service runs :func:`process_photo` in its decoding
processes (:mod:`audit.decoding`). Nothing of the upload survives but its
pixels: the format is sniffed by Pillow (never the Content-Type or a file
name), the pixel count is checked against the limit and against the size of
the file before any pixel is decoded, EXIF orientation is applied, and the
result is re-encoded
from scratch, so EXIF (with GPS), XMP and comments are gone, and an ICC
profile is applied (converted to sRGB) rather than kept.
Failures are :class:`PhotoError` carrying the HTTP status the route answers:

    413  larger than MAX_PHOTO_BYTES
    415  not a JPEG, PNG or WebP image (or empty)
    422  a decompression bomb, or a damaged / truncated image
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
import threading
import uuid
import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import Literal

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 15 * 1024 * 1024  # the route refuses bigger bodies with 413 before reading them

# Room for the 48-50 MP full-resolution modes of current phones (8192 x 6144 =
# 50.3 M). Checked on the header, before decoding: a crafted PNG or WebP of a
# few kilobytes can claim gigapixels, and decoding 50 M RGBA pixels already
# takes 200 MB.
MAX_PHOTO_PIXELS = 50 * 1024 * 1024

# A decompression bomb claims far more pixels than its bytes can describe:
# a 200 KB PNG of 8192 x 6400 flat pixels decodes to 200 MB in over a second.
# Photographs carry at least a byte per few pixels (a 12 MP phone JPEG is
# 2-5 MB, about 3-6 pixels a byte; measured at quality 85: one flat colour
# without sensor noise 64, a smooth gradient 46, flat with faint noise 15),
# so above BOMB_CHECK_PIXELS an image claiming more than MAX_PIXELS_PER_BYTE
# is refused on its header. Below it any file decodes in a few hundred
# milliseconds, so screenshots and flat test cards of phone size still pass.
BOMB_CHECK_PIXELS = 16 * 1024 * 1024
MAX_PIXELS_PER_BYTE = 100

IMAGE_MAX_SIDE = 2048  # sharp on a laptop screen and in a full-width PDF figure
THUMBNAIL_MAX_SIDE = 480  # PDF report grids and the PWA's item list
JPEG_QUALITY = 85  # no visible artefacts in photos; files about 2/3 the size of quality 95
CONTENT_TYPE = "image/jpeg"

# Pillow's format names. The JPEG plugin reports multi-picture JPEGs (as some
# phones write) as "MPO"; it is a JPEG whose first picture we take.
_ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
_OPENED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})

# What Pillow raises on bad bytes past identification (its own list for bad EXIF
# in JpegImagePlugin._read_dpi_from_exif, plus OSError for truncated data).
_DECODE_ERRORS = (OSError, SyntaxError, EOFError, ValueError, struct.error)
_EXIF_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    KeyError,
    ZeroDivisionError,
    struct.error,
)

# warnings.catch_warnings() and Pillow's LOAD_TRUNCATED_IMAGES are process-wide
# state: two threads inside the decoding step at once could restore each
# other's filters and leave them changed for good, so it is serialised within
# a process. The service never contends for it: each of its decoding
# processes handles one photo at a time (audit.decoding), and they run side by
# side. Callers that use threads (the demo, tests) queue here instead.
_decode_lock = threading.Lock()

# Modes that resize well as decoded; the others (palette, 1-bit, 16-bit) are
# converted first, as Pillow resizes them with the nearest pixel only.
_RESIZED_IN_PLACE = frozenset({"RGB", "RGBA", "L", "LA"})

_WHITE = (255, 255, 255)


class PhotoError(Exception):
    """An upload that is not a usable photo; `status` is the HTTP answer."""

    def __init__(self, status: Literal[413, 415, 422], message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __reduce__(self) -> tuple[type[PhotoError], tuple[int, str]]:
        # Raised in a decoding process and re-raised here: pickle it whole.
        return (PhotoError, (self.status, self.message))


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes  # JPEG, longest side at most IMAGE_MAX_SIDE
    thumbnail: bytes  # JPEG, longest side at most THUMBNAIL_MAX_SIDE
    width: int  # of `image`
    height: int
    content_type: str
    sha256: str  # of the original upload, so a repeated upload is recognised


def process_photo(data: bytes) -> ProcessedPhoto:
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(413, f"the photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    if not data:
        raise PhotoError(415, "the photo is empty; send a JPEG, PNG or WebP image")

    decoded, icc_profile = _decode(data)
    decoded.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE), Image.Resampling.LANCZOS)
    image = _to_srgb(_flatten(decoded), icc_profile)
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        image=_encode_jpeg(image),
        thumbnail=_encode_jpeg(thumbnail),
        width=image.width,
        height=image.height,
        content_type=CONTENT_TYPE,
        sha256=upload_digest(data),
    )


def upload_digest(data: bytes) -> str:
    """What a repeated upload is recognised by: the SHA-256 of the bytes sent."""
    return hashlib.sha256(data).hexdigest()


def photo_filenames(audit_uuid: str, photo_uuid: str) -> tuple[str, str]:
    """Relative paths (image, thumbnail) under the media directory.

    Made only from the two validated UUIDs, so no client text reaches the file
    system. Hashing them keeps the ids out of the paths and spreads files over
    256 folders; the same pair always gives the same paths, so a repeated
    upload overwrites instead of adding a file.
    """
    key = f"{_canonical_uuid(audit_uuid)}/{_canonical_uuid(photo_uuid)}"
    digest = hashlib.sha256(key.encode("ascii")).hexdigest()
    return f"{digest[:2]}/{digest}.jpg", f"{digest[:2]}/{digest}-thumb.jpg"


def _canonical_uuid(value: str) -> str:
    # uuid.UUID() also takes "{...}", "urn:uuid:..." and misplaced hyphens;
    # only the canonical 36-character form (any case) is an id we accept.
    try:
        canonical = str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"not a UUID: {value!r}") from None
    if canonical != value.lower():
        raise ValueError(f"not a UUID: {value!r}")
    return canonical


def _decode(data: bytes) -> tuple[Image.Image, bytes | None]:
    """The first frame, upright, as RGB or RGBA (or L), and its ICC profile."""
    with _decode_lock, warnings.catch_warnings():
        # Pillow warns about odd metadata in files we are about to discard;
        # only its decompression-bomb warning matters, and it means refusal.
        warnings.filterwarnings("ignore", module=r"PIL\.")
        warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
        try:
            opened = Image.open(BytesIO(data), formats=_ACCEPTED_FORMATS)
        except UnidentifiedImageError:
            # A file that starts like one of ours but whose header Pillow cannot
            # read is a damaged photo, not a wrong format.
            raise (_damaged() if _has_accepted_signature(data) else _wrong_format()) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except _DECODE_ERRORS:
            raise _damaged() from None
        with opened as img:
            if img.format not in _OPENED_FORMATS:
                raise _wrong_format()
            _check_pixels(img.width, img.height, len(data))
            # Animated PNG and WebP open on their first frame; we never seek.
            # For JPEG, let libjpeg decode at 1/2, 1/4 or 1/8 scale when that
            # still leaves twice the output size (the margin Image.thumbnail
            # uses to stay sharp).
            width, height = _capped_size(img.size, IMAGE_MAX_SIDE)
            img.draft(None, (width * 2, height * 2))
            # WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES on
            # import; a truncated upload must still be refused here.
            tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            try:
                img.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _too_many_pixels() from None
            except _DECODE_ERRORS:
                raise _damaged() from None
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
            if img.mode in _RESIZED_IN_PLACE:
                # Down to the stored size before anything copies the pixels: a
                # 50 MP PNG then peaks at one full-size decode, not three.
                img.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE), Image.Resampling.LANCZOS)
            _apply_orientation(img)
            icc_profile = img.info.get("icc_profile")
            return _normalise_mode(img), icc_profile if isinstance(icc_profile, bytes) else None


def _check_pixels(width: int, height: int, size: int) -> None:
    pixels = width * height
    if pixels > MAX_PHOTO_PIXELS:
        raise _too_many_pixels()
    if pixels > BOMB_CHECK_PIXELS and pixels > size * MAX_PIXELS_PER_BYTE:
        raise PhotoError(
            422,
            f"the photo claims {width} x {height} pixels in only {size // 1024} KB, far more"
            " than a photograph carries; it was refused unread as a decompression bomb",
        )


def _apply_orientation(img: Image.Image) -> None:
    # Unreadable EXIF: the pixels are fine, keep them as stored.
    with contextlib.suppress(*_EXIF_ERRORS):
        ImageOps.exif_transpose(img, in_place=True)


def _normalise_mode(img: Image.Image) -> Image.Image:
    """A detached copy in a mode that resizes well: RGBA when transparent, else RGB or L."""
    if img.mode in ("I;16", "I;16B", "I;16L"):
        # 16-bit grey PNG: convert() would clip every value above 255 to white.
        return img.point(lambda value: value / 256).convert("L")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        return img.convert("RGBA")
    if img.mode == "L":
        return img.copy()
    return img.convert("RGB")


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode == "RGBA":
        flat = Image.new("RGB", img.size, _WHITE)
        flat.paste(img, mask=img.getchannel("A"))
        return flat
    return img.convert("RGB")


def _to_srgb(img: Image.Image, icc_profile: bytes | None) -> Image.Image:
    # The profile is dropped with the rest of the metadata, so wide-gamut
    # photos (iPhones shoot Display P3) are converted rather than left to look
    # washed out. A profile we cannot use is ignored: the pixels stay as sent.
    if not icc_profile:
        return img
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
        if source.profile.xcolor_space.strip() != "RGB":
            return img
        converted = ImageCms.profileToProfile(
            img, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return img
    return converted if converted is not None else img


def _encode_jpeg(img: Image.Image) -> bytes:
    # Pillow's JPEG writer copies a comment from img.info by default; an empty
    # info guarantees nothing of the upload is written back.
    img.info = {}
    out = BytesIO()
    img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _capped_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _has_accepted_signature(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


def _wrong_format() -> PhotoError:
    return PhotoError(415, "the photo is not a JPEG, PNG or WebP image")


def _too_many_pixels() -> PhotoError:
    return PhotoError(
        422, f"the photo has too many pixels (the limit is {MAX_PHOTO_PIXELS // 2**20} megapixels)"
    )


def _damaged() -> PhotoError:
    return PhotoError(422, "the photo is damaged or truncated and cannot be read")
