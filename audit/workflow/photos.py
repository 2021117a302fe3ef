"""Evidence photos: attach to an audit, fetch, delete, under the audit's row lock.

Attaching and deleting take the audit's lock (:func:`audit.store.audits.lock_audit`)
for the status check and the row change, as a submit does for counting the
photos it is submitted with; so a photo is never deleted from a submitted
audit, nor added to an approved one, by a request that read the status just
before it changed.
"""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
from tortoise.transactions import in_transaction

from audit.auth import Principal
from audit.decoding import default_decoder
from audit.errors import Conflict, Invalid, NotFound, PayloadTooLarge, UnsupportedMedia
from audit.media import remove_files, store_files
from audit.models import Audit, Photo
from audit.photos import PhotoError, photo_filenames, upload_digest
from audit.store import audits as audit_store
from audit.store import photos as store
from audit.store.checklists import parsed
from audit.workflow.audits import EDITABLE, Precondition, own_audit
from audit.workflow.views import stale

# Evidence may still arrive after the submit (the outbox sends it last on a bad
# connection); once HQ has approved the audit it is closed.
ACCEPTS_PHOTOS = ("draft", "returned", "submitted")


async def _own(who: Principal, audit_uuid: str) -> Audit:
    audit = await own_audit(who, audit_uuid)
    if audit is None:
        raise NotFound("no such audit")
    return audit


async def attach_photo(
    who: Principal, audit_uuid: str, photo_uuid: str, item_id: str, data: bytes, media_dir: Path
) -> tuple[Photo, bool]:
    """Store one photo; the same upload again changes nothing; returns (photo, created)."""
    audit = await _own(who, audit_uuid)
    item = parsed(audit.checklist).item_map().get(item_id)
    if item is None:
        raise Invalid("unknown item", {"item": f"no item {item_id!r} in this checklist"})
    if item.type != "photo" and item.photo == "none":
        raise Invalid("this item takes no photos", {"item": f"item {item_id!r} takes no photos"})
    existing = await store.photo_by_uuid(photo_uuid)
    if existing is not None:
        # A retry of a stored photo (the outbox repeats what it was not told of)
        # is recognised by its bytes, without taking a decode slot.
        digest = await anyio.to_thread.run_sync(upload_digest, data)
        return _same_or_conflict(existing, audit, item_id, digest), False
    try:
        processed = await default_decoder().process(who.user_id, data)
    except PhotoError as exc:
        error = {413: PayloadTooLarge, 415: UnsupportedMedia}.get(exc.status, Invalid)
        raise error(exc.message, {"body": exc.message}) from None
    if audit.status not in ACCEPTS_PHOTOS:
        raise Conflict(f"this audit is {audit.status}; it takes no more photos")
    names = photo_filenames(audit_uuid, photo_uuid)
    # The row first, the files inside its transaction: the unique photo uuid
    # decides which of two racing uploads writes the files (their names come
    # from the uuids, so a loser that wrote would overwrite the winner's).
    photo: Photo | None = None
    try:
        async with in_transaction():
            locked = await audit_store.lock_audit(audit.id)
            status = locked[1] if locked is not None else "gone"
            if status not in ACCEPTS_PHOTOS:
                raise Conflict(f"this audit is {status}; it takes no more photos")
            photo = await store.insert_photo(audit.id, photo_uuid, item_id, names, processed)
            if photo is not None:
                await anyio.to_thread.run_sync(store_files, media_dir, names, processed)
    except BaseException:
        if photo is not None:
            remove_files(media_dir, names)
        raise
    if photo is None:
        # The same upload raced itself: the other request stored it.
        again = await store.photo_by_uuid(photo_uuid)
        if again is None:
            raise Conflict("this photo was being stored and removed at once; upload it again")
        return _same_or_conflict(again, audit, item_id, processed.sha256), False
    return photo, True


def _same_or_conflict(photo: Photo, audit: Audit, item_id: str, sha256: str) -> Photo:
    if photo.audit_id != audit.id:  # type: ignore[attr-defined]
        raise Conflict("this photo id is already used")
    if photo.sha256 != sha256 or photo.item_id != item_id:
        raise Conflict("a different photo was already stored under this id")
    return photo


async def photo_of(audit: Audit, photo_uuid: str) -> Photo:
    """One photo of an audit the caller may see (checked by the caller)."""
    photo = await store.photo_of_audit(audit.id, photo_uuid)
    if photo is None:
        raise NotFound("no such photo")
    return photo


async def delete_photo(
    who: Principal,
    audit_uuid: str,
    photo_uuid: str,
    media_dir: Path,
    expected: Precondition | None = None,
) -> None:
    """Delete a photo of a draft (or returned) audit, with the audit's row locked."""
    audit = await _own(who, audit_uuid)
    photo = await photo_of(audit, photo_uuid)
    async with in_transaction():
        locked = await audit_store.lock_audit(audit.id)
        revision, status = locked if locked is not None else (None, "gone")
        fresh = expected is None or expected.matches(revision)
        if fresh:
            if status not in EDITABLE:
                raise Conflict(f"this audit is {status}; its photos can no longer change")
            await store.delete_photo_row(photo)
    if not fresh:
        assert expected is not None
        current = await _own(who, audit_uuid)
        raise await stale(who, current, expected.describe())
    remove_files(media_dir, (photo.path, photo.thumb_path))
