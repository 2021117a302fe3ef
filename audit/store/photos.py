"""Evidence photos: stored under server-made names, recorded once per photo uuid."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import anyio.to_thread
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from audit.auth import Principal
from audit.errors import Conflict, Invalid, NotFound, PayloadTooLarge, UnsupportedMedia
from audit.models import Audit, Photo
from audit.photos import PhotoError, ProcessedPhoto, photo_filenames, process_photo
from audit.store.checklists import parsed

# Evidence may still arrive after the submit (the outbox sends it last on a bad
# connection); once HQ has approved the audit it is closed.
ACCEPTS_PHOTOS = ("draft", "returned", "submitted")

# A photo is written under this prefix, then renamed into place.
UPLOAD_PREFIX = ".upload-"
# A temporary file lives from its creation to its rename: the write and fsync
# of one processed photo, seconds even on a slow network volume.  Another
# worker (on this machine or another one sharing the directory) may be in that
# window right now, so only a file untouched for an hour is taken for one a
# killed process left behind; the hour also covers clocks of machines sharing
# the volume that disagree by minutes.
STALE_UPLOAD_SECONDS = 3600


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=UPLOAD_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _store_files(media_dir: Path, names: tuple[str, str], photo: ProcessedPhoto) -> None:
    _write_atomically(media_dir / names[0], photo.image)
    _write_atomically(media_dir / names[1], photo.thumbnail)


def remove_stale_uploads(
    media_dir: Path, older_than: float = STALE_UPLOAD_SECONDS, prefix: str = UPLOAD_PREFIX
) -> int:
    """Delete the temporary files (``prefix``…) a killed process left; return how many."""
    cutoff = time.time() - older_than
    removed = 0
    for root, _, files in os.walk(media_dir):
        for name in files:
            if not name.startswith(prefix):
                continue
            path = Path(root) / name
            # Gone meanwhile: renamed into place, or swept by another worker.
            with contextlib.suppress(FileNotFoundError):
                if path.lstat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
    return removed


def _remove_files(media_dir: Path, names: tuple[str, str]) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            (media_dir / name).unlink()


async def add_photo(
    who: Principal, audit_uuid: str, photo_uuid: str, item_id: str, data: bytes, media_dir: Path
) -> tuple[Photo, bool]:
    """Store one photo; the same upload again changes nothing; returns (photo, created)."""
    audit = await Audit.get_or_none(uuid=audit_uuid).select_related("checklist")
    if audit is None or audit.auditor_id != who.user_id:  # type: ignore[attr-defined]
        raise NotFound("no such audit")
    item = parsed(audit.checklist).item_map().get(item_id)
    if item is None:
        raise Invalid("unknown item", {"item": f"no item {item_id!r} in this checklist"})
    if item.type != "photo" and item.photo == "none":
        raise Invalid("this item takes no photos", {"item": f"item {item_id!r} takes no photos"})
    existing = await Photo.get_or_none(uuid=photo_uuid)
    try:
        processed = await anyio.to_thread.run_sync(process_photo, data)
    except PhotoError as exc:
        error = {413: PayloadTooLarge, 415: UnsupportedMedia}.get(exc.status, Invalid)
        raise error(exc.message, {"body": exc.message}) from None
    if existing is not None:
        return _same_or_conflict(existing, audit, item_id, processed.sha256), False
    if audit.status not in ACCEPTS_PHOTOS:
        raise Conflict(f"this audit is {audit.status}; it takes no more photos")
    names = photo_filenames(audit_uuid, photo_uuid)
    # The row first, the files inside its transaction: the unique photo uuid
    # decides which of two racing uploads writes the files (their names come
    # from the uuids, so a loser that wrote would overwrite the winner's).
    created = False
    try:
        async with in_transaction():
            photo = await Photo.create(
                uuid=photo_uuid,
                audit_id=audit.id,
                item_id=item_id,
                path=names[0],
                thumb_path=names[1],
                sha256=processed.sha256,
                width=processed.width,
                height=processed.height,
                size=len(processed.image),
            )
            created = True
            await anyio.to_thread.run_sync(_store_files, media_dir, names, processed)
    except IntegrityError:
        if created:
            _remove_files(media_dir, names)
            raise
        # The same upload raced itself: the other request stored it.
        again = await Photo.get_or_none(uuid=photo_uuid)
        if again is None:
            raise
        return _same_or_conflict(again, audit, item_id, processed.sha256), False
    except BaseException:
        if created:
            _remove_files(media_dir, names)
        raise
    return photo, True


def _same_or_conflict(photo: Photo, audit: Audit, item_id: str, sha256: str) -> Photo:
    if photo.audit_id != audit.id:  # type: ignore[attr-defined]
        raise Conflict("this photo id is already used")
    if photo.sha256 != sha256 or photo.item_id != item_id:
        raise Conflict("a different photo was already stored under this id")
    return photo


async def photo_for(audit: Audit, photo_uuid: str) -> Photo:
    photo = await Photo.get_or_none(uuid=photo_uuid, audit_id=audit.id)
    if photo is None:
        raise NotFound("no such photo")
    return photo


async def delete_photo(who: Principal, audit_uuid: str, photo_uuid: str, media_dir: Path) -> None:
    audit = await Audit.get_or_none(uuid=audit_uuid)
    if audit is None or audit.auditor_id != who.user_id:  # type: ignore[attr-defined]
        raise NotFound("no such audit")
    photo = await photo_for(audit, photo_uuid)
    if audit.status not in ("draft", "returned"):
        raise Conflict(f"this audit is {audit.status}; its photos can no longer change")
    await photo.delete()
    _remove_files(media_dir, (photo.path, photo.thumb_path))
