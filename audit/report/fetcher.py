"""The only way a report reaches outside its own HTML: an allow-list fetcher.

WeasyPrint asks its URL fetcher for every image, stylesheet, font and
attachment a document names. Ours answers for exactly three kinds of URL:

- ``file:`` URLs of the photos handed to it (exact paths, no symlinks);
- ``file:`` URLs of the font files shipped in ``audit/report/fonts/``;
- ``data:`` URIs.

Everything else (``http(s):``, ``ftp:``, any other file) is refused without a
request being made, and recorded in :attr:`ReportURLFetcher.refused`, so tests
can prove that nothing in a comment ever made the renderer reach out.

Photos are sanitised on the way in: WeasyPrint embeds JPEG bytes as they are,
so any EXIF (GPS position, camera serial) left in a thumbnail would end up in
the PDF. APP1 (EXIF, XMP), APP13 (IPTC) and comment segments are dropped
byte by byte, which is cheap; anything unusual is re-encoded with Pillow.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from PIL import Image, ImageOps
from weasyprint.urls import URLFetcher, URLFetcherResponse

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_TYPES = {".otf": "font/otf", ".ttf": "font/ttf", ".woff2": "font/woff2"}
# A thumbnail is ~50 kB; anything far larger is not one of ours.
MAX_PHOTO_BYTES = 8 * 1024 * 1024
# Re-encoding quality when a photo must be cleaned by Pillow (see audit.photos).
JPEG_QUALITY = 85
# Recorded URLs are cut: a data: URI can be megabytes long.
RECORDED_URL_CHARS = 200

# APPn segments kept in a JPEG: JFIF (APP0), an ICC profile (APP2 "ICC_PROFILE")
# and Adobe's colour transform flag (APP14), which decoding needs.
_KEPT_APP = {0xE0, 0xEE}
_ICC_TAG = b"ICC_PROFILE\x00"
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


class _InMemoryResponse(URLFetcherResponse):  # type: ignore[misc]
    """A response WeasyPrint must use as given.

    For a ``file:`` URL WeasyPrint keeps the path and reads the file again
    when it writes the PDF, which would embed the original bytes (EXIF and
    all) instead of the cleaned ones. Without a path it uses what we return.
    """

    @property
    def path(self) -> None:
        return None


class URLRefused(ValueError):
    """A URL outside the report's allow-list (WeasyPrint logs it and goes on)."""


class ReportURLFetcher(URLFetcher):  # type: ignore[misc]
    def __init__(self, photos: Iterable[Path | str] = (), fonts_dir: Path = FONTS_DIR) -> None:
        super().__init__(timeout=5, allowed_protocols=("data", "file"), allow_redirects=False)
        self._photos = frozenset(os.path.abspath(p) for p in photos)
        self._fonts_dir = fonts_dir.resolve()
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        self.requested.append(url[:RECORDED_URL_CHARS])
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = _local_path(url)
            if path is not None and path in self._photos:
                return _InMemoryResponse(url, *_read_photo(path))
            font = self._font_file(path)
            if font is not None:
                return URLFetcherResponse(
                    url, font.read_bytes(), {"Content-Type": FONT_TYPES[font.suffix]}
                )
        self.refused.append(url[:RECORDED_URL_CHARS])
        raise URLRefused(f"not allowed in a report: {url[:RECORDED_URL_CHARS]}")

    def _font_file(self, path: str | None) -> Path | None:
        if path is None:
            return None
        resolved = Path(path).resolve()
        if resolved.suffix in FONT_TYPES and resolved.is_relative_to(self._fonts_dir):
            return resolved if resolved.is_file() else None
        return None


def _local_path(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or parts.query:
        return None
    return os.path.abspath(url2pathname(parts.path))


def _read_photo(path: str) -> tuple[bytes, dict[str, str]]:
    # O_NOFOLLOW: an allowed name that has become a symlink points elsewhere.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise URLRefused(f"photo too large for a report: {path}")
    clean = clean_image(data)
    kind = "image/jpeg" if clean.startswith(b"\xff\xd8") else "image/png"
    return clean, {"Content-Type": kind}


def clean_image(data: bytes) -> bytes:
    """The image without metadata: JPEGs stripped, anything else re-encoded."""
    if data.startswith(b"\xff\xd8"):
        try:
            stripped, had_exif = strip_jpeg_metadata(data)
        except ValueError:
            return _reencode(data)
        # EXIF may carry an orientation the pixels depend on: let Pillow apply it.
        return _reencode(data) if had_exif else stripped
    return _reencode(data)


def strip_jpeg_metadata(data: bytes) -> tuple[bytes, bool]:
    """Drop APP1/APP3-13/APP15 and COM segments; keep everything up to EOI.

    Returns the new bytes and whether an EXIF segment was found. Raises
    ValueError on anything that is not a well-formed JPEG.
    """
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    out = bytearray(b"\xff\xd8")
    pos, end, had_exif = 2, len(data), False
    while pos < end:
        if data[pos] != 0xFF:
            raise ValueError("bad marker")
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            raise ValueError("truncated")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI: whatever follows (an MPO's second picture) is dropped
            out += b"\xff\xd9"
            return bytes(out), had_exif
        if marker in _STANDALONE:
            out += bytes((0xFF, marker))
            continue
        if pos + 2 > end:
            raise ValueError("truncated")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > end:
            raise ValueError("bad segment length")
        segment = data[pos : pos + length]
        pos += length
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            if marker == 0xE1 and segment[2:8] == b"Exif\x00\x00":
                had_exif = True
            keep = marker in _KEPT_APP or (marker == 0xE2 and segment[2:14] == _ICC_TAG)
            if not keep:
                continue
        out += bytes((0xFF, marker)) + segment
        if marker == 0xDA:  # start of scan: copy entropy-coded data up to the next marker
            scan_end = _scan_end(data, pos)
            out += data[pos:scan_end]
            pos = scan_end
    raise ValueError("no end of image")


def _scan_end(data: bytes, pos: int) -> int:
    # In entropy-coded data 0xFF is followed by 0x00 (stuffing) or RSTn; any
    # other byte starts the next marker.
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise ValueError("truncated scan")
        nxt = data[pos + 1]
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
            pos += 1 if nxt == 0xFF else 2
            continue
        return pos


def _reencode(data: bytes) -> bytes:
    try:
        with Image.open(BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened)
            is_jpeg = opened.format in ("JPEG", "MPO")
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, (255, 255, 255))
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            image.info = {}
            out = BytesIO()
            if is_jpeg:
                image.save(out, "JPEG", quality=JPEG_QUALITY)
            else:
                image.save(out, "PNG")
            return out.getvalue()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise URLRefused(f"unreadable photo: {exc}") from None
