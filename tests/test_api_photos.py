"""Evidence photos: upload limits, sniffing, bombs, metadata stripping, storage, access."""

from __future__ import annotations

import asyncio
import io
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from audit.decoding import default_decoder
from audit.models import Photo, User
from audit.photos import MAX_PHOTO_BYTES
from tests.helpers import Session, audit_body, image_bytes, new_uuid, seed, sign_in
from tests.test_photos import png_of_zero_rows

ANSWERS: dict[str, Any] = {
    "answered": {"value": True},
    "rings": {"na": True},
    "clean": {"value": 3},
    "recommend": {"value": 7},
}
MB = 1024 * 1024


# argon2 at its cheapest: every test seeds five users and signs in.
pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def phone_jpeg() -> bytes:
    """Red on the left, blue on the right, stored sideways (EXIF orientation 6), with GPS."""
    img = Image.new("RGB", (60, 40), (255, 0, 0))
    img.paste((0, 0, 255), (30, 0, 60, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Auditor's phone 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, comment=b"taken by ann")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header claims width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


def media_files(media_dir: Path) -> list[Path]:
    if not media_dir.exists():
        return []
    return sorted(p for p in media_dir.rglob("*") if p.is_file())


async def new_draft(auditor: Session, location: str = "S1") -> str:
    uid = new_uuid()
    r = await auditor.put(f"/api/audits/{uid}", json=audit_body(ANSWERS, location=location))
    assert r.status_code == 201, r.text
    return uid


async def put_photo(
    who: Session, audit: str, photo: str, data: Any, item: str = "clean", **kw: Any
) -> httpx.Response:
    return await who.put(f"/api/audits/{audit}/photos/{photo}?item={item}", content=data, **kw)


@pytest.fixture
async def auditor(client, db) -> Session:
    await seed()
    return await sign_in(client, "auditor@x.test")


async def test_upload_applies_orientation_strips_metadata_and_makes_a_thumbnail(auditor, db):
    uid = await new_draft(auditor)
    pid = new_uuid()

    r = await put_photo(auditor, uid, pid, phone_jpeg(), headers={"Content-Type": "image/jpeg"})

    assert r.status_code == 201, r.text
    assert r.json() == {"uuid": pid, "item": "clean", "width": 40, "height": 60}
    photo = await Photo.get(uuid=pid)
    files = media_files(db.media_dir)
    assert sorted(files) == sorted([db.media_dir / photo.path, db.media_dir / photo.thumb_path])
    for path in files:
        # Server-made names: nothing of the client's ids or the item in the path.
        relative = str(path.relative_to(db.media_dir))
        assert pid not in relative and uid not in relative and "clean" not in relative
        data = path.read_bytes()
        for secret in (b"Exif", b"GPS", b"PhoneMaker", b"taken by ann"):
            assert secret not in data
        with Image.open(path) as img:
            assert img.format == "JPEG"
            assert not img.getexif()
            upright = img.convert("RGB")
            top = upright.getpixel((upright.width // 2, upright.height // 6))
            bottom = upright.getpixel((upright.width // 2, upright.height * 5 // 6))
            assert top[0] > 200 and top[2] < 60  # red on top: turned as EXIF said
            assert bottom[2] > 200 and bottom[0] < 60
    with Image.open(db.media_dir / photo.path) as img:
        assert img.size == (40, 60)


async def test_thumbnail_is_small_and_served_on_request(auditor, db):
    uid = await new_draft(auditor)
    pid = new_uuid()
    big = image_bytes("JPEG", (3000, 2000), (10, 120, 10))
    assert (await put_photo(auditor, uid, pid, big)).status_code == 201

    full = await auditor.get(f"/api/audits/{uid}/photos/{pid}")
    thumb = await auditor.get(f"/api/audits/{uid}/photos/{pid}?size=thumb")

    assert full.status_code == thumb.status_code == 200
    assert full.headers["content-type"] == thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(full.content)).size == (2048, 1365)
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 480


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
async def test_jpeg_png_and_webp_are_accepted_and_stored_as_jpeg(auditor, db, fmt):
    uid = await new_draft(auditor)
    pid = new_uuid()

    r = await put_photo(auditor, uid, pid, image_bytes(fmt), headers={"Content-Type": "x/y"})

    assert r.status_code == 201, r.text
    assert (r.json()["width"], r.json()["height"]) == (60, 40)
    stored = (await auditor.get(f"/api/audits/{uid}/photos/{pid}")).content
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


async def test_repeating_the_same_upload_changes_nothing(auditor, db):
    uid = await new_draft(auditor)
    pid = new_uuid()
    data = phone_jpeg()
    first = await put_photo(auditor, uid, pid, data)
    assert first.status_code == 201
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in media_files(db.media_dir)}
    row = await Photo.filter(uuid=pid).values()

    again = await put_photo(auditor, uid, pid, data)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in media_files(db.media_dir)} == before
    assert await Photo.filter(uuid=pid).values() == row


async def test_a_different_upload_under_a_used_photo_id_is_409(auditor, db):
    uid = await new_draft(auditor)
    pid = new_uuid()
    assert (await put_photo(auditor, uid, pid, image_bytes("JPEG"))).status_code == 201
    before = {p: p.read_bytes() for p in media_files(db.media_dir)}

    other_image = await put_photo(auditor, uid, pid, image_bytes("JPEG", colour=(0, 0, 255)))
    other_item = await put_photo(auditor, uid, pid, image_bytes("JPEG"), item="receipt_photo")
    other_audit = await put_photo(auditor, await new_draft(auditor), pid, image_bytes("JPEG"))

    assert other_image.status_code == other_item.status_code == other_audit.status_code == 409
    assert {p: p.read_bytes() for p in media_files(db.media_dir)} == before
    assert await Photo.all().count() == 1


async def test_concurrent_identical_uploads_store_one_photo(auditor, db):
    uid = await new_draft(auditor)
    pid = new_uuid()
    data = image_bytes("JPEG")

    responses = await asyncio.gather(*(put_photo(auditor, uid, pid, data) for _ in range(10)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 9 + [201], [r.text for r in responses]
    assert await Photo.filter(uuid=pid).count() == 1
    assert len(media_files(db.media_dir)) == 2


async def test_concurrent_different_uploads_keep_the_winners_pixels(auditor, db):
    uid = await new_draft(auditor)
    pid = new_uuid()
    red = image_bytes("JPEG", colour=(255, 0, 0))
    blue = image_bytes("JPEG", colour=(0, 0, 255))
    bodies = [red if i % 2 else blue for i in range(10)]

    responses = await asyncio.gather(*(put_photo(auditor, uid, pid, b) for b in bodies))

    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {200, 201, 409}
    winner = bodies[statuses.index(201)]
    stored = (await auditor.get(f"/api/audits/{uid}/photos/{pid}")).content
    pixel = Image.open(io.BytesIO(stored)).convert("RGB").getpixel((30, 20))
    expected = Image.open(io.BytesIO(winner)).convert("RGB").getpixel((30, 20))
    assert max(abs(a - b) for a, b in zip(pixel, expected, strict=True)) < 30
    assert len(media_files(db.media_dir)) == 2


async def test_a_declared_oversize_body_is_refused_before_it_is_read(auditor, db):
    uid = await new_draft(auditor)
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(16):
            pulled += 1
            yield b"\xff" * MB

    r = await put_photo(
        auditor, uid, new_uuid(), body(), headers={"Content-Length": str(MAX_PHOTO_BYTES + 1)}
    )

    assert r.status_code == 413
    assert r.json() == {"error": "the body is larger than 15,728,640 bytes", "fields": {}}
    assert pulled == 0
    assert media_files(db.media_dir) == []
    assert await Photo.all().count() == 0


async def test_a_streamed_oversize_body_is_cut_off_at_the_limit(auditor, db):
    uid = await new_draft(auditor)
    pulled = 0
    chunks = 40  # 40 MB if read to the end

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(chunks):
            pulled += 1
            yield b"\xff" * MB

    r = await put_photo(auditor, uid, new_uuid(), body())

    assert r.status_code == 413
    assert r.json() == {"error": "the body is larger than 15,728,640 bytes", "fields": {}}
    assert MAX_PHOTO_BYTES // MB <= pulled <= MAX_PHOTO_BYTES // MB + 2
    assert pulled < chunks
    assert media_files(db.media_dir) == []
    assert await Photo.all().count() == 0


async def test_a_body_of_exactly_the_limit_is_read(auditor, db):
    uid = await new_draft(auditor)
    # A JPEG signature padded to the limit: read in full, then found damaged (not 413).
    data = b"\xff\xd8\xff" + b"\x00" * (MAX_PHOTO_BYTES - 3)

    r = await put_photo(auditor, uid, new_uuid(), data)

    assert r.status_code == 422
    assert media_files(db.media_dir) == []


@pytest.mark.parametrize(
    ("data", "status"),
    [
        pytest.param(b"", 415, id="empty"),
        pytest.param(b"hello, this is not an image", 415, id="text"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", 415, id="pdf"),
        pytest.param(image_bytes("GIF"), 415, id="gif"),
        pytest.param(image_bytes("BMP"), 415, id="bmp"),
        pytest.param(image_bytes("TIFF"), 415, id="tiff"),
        pytest.param(image_bytes("JPEG", (200, 200))[:300], 422, id="truncated-jpeg"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, 422, id="broken-png"),
        pytest.param(png_claiming(30_000, 30_000), 422, id="bomb-900-megapixels"),
        pytest.param(png_claiming(12_000, 9_000), 422, id="bomb-108-megapixels"),
        pytest.param(png_claiming(9_000, 7_000), 422, id="over-50-megapixels"),
        pytest.param(png_claiming(1, 2**31 - 1), 422, id="absurd-height"),
    ],
)
async def test_bad_uploads_are_refused_and_leave_no_file(auditor, db, data, status):
    uid = await new_draft(auditor)

    r = await put_photo(auditor, uid, new_uuid(), data, headers={"Content-Type": "image/jpeg"})

    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"]
    assert "body" in body["fields"]
    assert media_files(db.media_dir) == []
    assert await Photo.all().count() == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "item"),
        ("?item=", "item"),
        ("?item=bogus", "item"),
        ("?item=answered", "item"),  # takes no photos
    ],
)
async def test_photos_need_an_item_that_takes_photos(auditor, db, query, field):
    uid = await new_draft(auditor)

    r = await auditor.put(f"/api/audits/{uid}/photos/{new_uuid()}{query}", content=phone_jpeg())

    assert r.status_code == 422
    assert field in r.json()["fields"]
    assert media_files(db.media_dir) == []


async def test_a_malformed_photo_id_is_422(auditor, db):
    uid = await new_draft(auditor)

    r = await auditor.put(f"/api/audits/{uid}/photos/../../etc?item=clean", content=phone_jpeg())
    bad = await auditor.put(f"/api/audits/{uid}/photos/x{new_uuid()}?item=clean", content=b"")
    device = await auditor.put(
        f"/api/audits/{uid}/photos/{uuid.uuid1()}?item=clean", content=phone_jpeg()
    )

    assert r.status_code in (404, 422)
    assert bad.status_code == 422
    assert "photo_uuid" in bad.json()["fields"]
    assert device.status_code == 422
    assert "random" in device.json()["fields"]["photo_uuid"]
    assert media_files(db.media_dir) == []


async def test_photos_for_someone_elses_or_an_unknown_audit_are_404(login, db):
    await seed()
    first = await login("auditor@x.test")
    uid = await new_draft(first)
    second = await login("auditor2@x.test")

    for target in (uid, new_uuid()):
        r = await put_photo(second, target, new_uuid(), phone_jpeg())
        assert r.status_code == 404
    assert media_files(db.media_dir) == []
    assert await Photo.all().count() == 0


async def test_photo_access_follows_the_audit(login, db):
    await seed()
    auditor = await login("auditor@x.test")
    uid = await new_draft(auditor)
    pid = new_uuid()
    assert (await put_photo(auditor, uid, pid, phone_jpeg())).status_code == 201
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
    owner = await login("owner@x.test")
    owner2 = await login("owner2@x.test")
    other = await login("auditor2@x.test")
    hq = await login("hq@x.test")
    url = f"/api/audits/{uid}/photos/{pid}"

    assert (await auditor.get(url)).status_code == 200
    assert (await hq.get(url)).status_code == 200
    assert (await owner.get(url)).status_code == 404  # not approved yet
    assert (await other.get(url)).status_code == 404
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200

    shown = await owner.get(url)
    assert shown.status_code == 200
    assert shown.content == (await auditor.get(url)).content
    assert (await owner.get(f"{url}?size=thumb")).status_code == 200
    assert (await owner2.get(url)).status_code == 404
    assert (await other.get(url)).status_code == 404
    assert (await owner.get(f"/api/audits/{uid}/photos/{new_uuid()}")).status_code == 404


async def test_a_photo_is_found_only_under_its_own_audit(auditor, db):
    uid = await new_draft(auditor)
    other = await new_draft(auditor)
    pid = new_uuid()
    assert (await put_photo(auditor, uid, pid, phone_jpeg())).status_code == 201

    assert (await auditor.get(f"/api/audits/{other}/photos/{pid}")).status_code == 404


async def test_the_media_directory_is_not_served(auditor, db, client):
    uid = await new_draft(auditor)
    pid = new_uuid()
    assert (await put_photo(auditor, uid, pid, phone_jpeg())).status_code == 201
    photo = await Photo.get(uuid=pid)

    for url in (f"/{photo.path}", f"/media/{photo.path}", f"/var/media/{photo.path}"):
        r = await client.get(url)
        assert r.headers.get("content-type") != "image/jpeg", url
        assert r.status_code == 404, url


async def test_photos_arriving_after_submit_are_taken_until_approval(login, db):
    await seed()
    auditor = await login("auditor@x.test")
    uid = await new_draft(auditor)
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200

    late = await put_photo(auditor, uid, new_uuid(), phone_jpeg())
    assert late.status_code == 201
    hq = await login("hq@x.test")
    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200
    files = media_files(db.media_dir)

    closed = await put_photo(auditor, uid, new_uuid(), phone_jpeg())

    assert closed.status_code == 409
    assert media_files(db.media_dir) == files
    assert await Photo.all().count() == 1


async def test_deleting_a_draft_photo_removes_row_and_files(auditor, db):
    uid = await new_draft(auditor)
    pid = new_uuid()
    assert (await put_photo(auditor, uid, pid, phone_jpeg())).status_code == 201

    r = await auditor.delete(f"/api/audits/{uid}/photos/{pid}")

    assert r.status_code == 204
    assert await Photo.all().count() == 0
    assert media_files(db.media_dir) == []
    assert (await auditor.delete(f"/api/audits/{uid}/photos/{pid}")).status_code == 404
    assert (await auditor.get(f"/api/audits/{uid}/photos/{pid}")).status_code == 404


async def test_photos_of_a_submitted_audit_cannot_be_deleted(auditor, db):
    uid = await new_draft(auditor)
    pid = new_uuid()
    assert (await put_photo(auditor, uid, pid, phone_jpeg())).status_code == 201
    assert (await auditor.post(f"/api/audits/{uid}/submit")).status_code == 200
    files = media_files(db.media_dir)

    r = await auditor.delete(f"/api/audits/{uid}/photos/{pid}")

    assert r.status_code == 409
    assert await Photo.all().count() == 1
    assert media_files(db.media_dir) == files


async def test_the_audit_view_lists_its_photos(auditor, db):
    uid = await new_draft(auditor)
    pid = new_uuid()
    assert (
        await put_photo(auditor, uid, pid, phone_jpeg(), item="receipt_photo")
    ).status_code == 201

    view = (await auditor.get(f"/api/audits/{uid}")).json()

    assert view["photos"] == [{"uuid": pid, "item": "receipt_photo"}]


# --- decoding: bombs refused on the header, caps per auditor (audit.decoding) ----


async def test_a_200_kb_png_of_8192_by_6400_is_refused_as_a_bomb_and_stores_nothing(auditor, db):
    bomb = png_of_zero_rows(8192, 6400, bit_depth=8, color_type=2, noisy_rows=2)
    uid = await new_draft(auditor)

    r = await put_photo(auditor, uid, new_uuid(), bomb, headers={"Content-Type": "image/png"})

    assert r.status_code == 422, r.text
    assert "decompression bomb" in r.json()["fields"]["body"]
    assert media_files(db.media_dir) == []
    assert await Photo.all().count() == 0


async def test_an_auditor_over_the_decode_cap_waits_then_gets_429_while_another_uploads(
    login, db, monkeypatch
):
    await seed()
    first = await login("auditor@x.test")
    second = await login("auditor2@x.test")
    busy, free = await new_draft(first), await new_draft(second, location="S2")
    decoder = default_decoder()
    monkeypatch.setattr(decoder, "over_cap_wait", 0.2)
    slots = decoder.slots()
    user = await User.get(email="auditor@x.test")
    # The first auditor's photos are being decoded.
    held = [await slots.acquire(user.id) for _ in range(slots.per_user)]
    try:
        refused = await put_photo(first, busy, new_uuid(), phone_jpeg())
        other = await put_photo(second, free, new_uuid(), phone_jpeg())
    finally:
        for slot in held:
            slots.release(slot)

    assert refused.status_code == 429, refused.text
    assert refused.headers["Retry-After"]
    assert "previous photos are still being processed" in refused.json()["fields"]["body"]
    assert other.status_code == 201, other.text
    assert await Photo.filter(audit__uuid=busy).count() == 0
    # Once the first auditor's decodes are done, the same upload goes through.
    again = await put_photo(first, busy, new_uuid(), phone_jpeg())
    assert again.status_code == 201, again.text
