"""Queries about evidence photos: one row per photo uuid, naming its files."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from audit.models import Photo
from audit.photos import ProcessedPhoto


async def photo_by_uuid(photo_uuid: str) -> Photo | None:
    return await Photo.get_or_none(uuid=photo_uuid)


async def photo_of_audit(audit_id: int, photo_uuid: str) -> Photo | None:
    return await Photo.get_or_none(uuid=photo_uuid, audit_id=audit_id)


async def insert_photo(
    audit_id: int, photo_uuid: str, item_id: str, names: tuple[str, str], photo: ProcessedPhoto
) -> Photo | None:
    """The new photo's row; None when the uuid is taken (the same upload raced itself)."""
    try:
        # A savepoint of its own: on PostgreSQL a failed insert would spoil
        # the caller's transaction (which holds the audit's lock).
        async with in_transaction():
            return await Photo.create(
                uuid=photo_uuid,
                audit_id=audit_id,
                item_id=item_id,
                path=names[0],
                thumb_path=names[1],
                sha256=photo.sha256,
                width=photo.width,
                height=photo.height,
                size=len(photo.image),
            )
    except IntegrityError:
        if await Photo.exists(uuid=photo_uuid):
            return None
        raise


async def delete_photo_row(photo: Photo) -> None:
    await photo.delete()


async def photo_files(audit_id: int) -> list[tuple[str, str]]:
    """The file names (image, thumbnail) of every photo of an audit."""
    rows = await Photo.filter(audit_id=audit_id).values_list("path", "thumb_path")
    return [(str(path), str(thumb)) for path, thumb in rows]


async def delete_photos_of(audit_id: int) -> None:
    await Photo.filter(audit_id=audit_id).delete()
