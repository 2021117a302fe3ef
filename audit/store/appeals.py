"""Queries about appeals: open one per item, find, list, decide once, attach evidence.

What an appeal may be and what its decision does is
:mod:`audit.workflow.appeals`' business; here are the rows.  The decision is
a conditional ``UPDATE … WHERE status = 'open'``: of two HQ users deciding
the same appeal at once, one changes the row and the other none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from audit.models import Appeal

OPEN = "open"


def open_key(audit_id: int, item_id: str) -> str:
    return f"{audit_id}:{item_id}"


async def insert_appeal(fields: Mapping[str, Any]) -> Appeal | None:
    """The new appeal; None when an appeal of the same item is open already."""
    try:
        # A savepoint of its own: on PostgreSQL a failed insert would spoil
        # an enclosing transaction.
        async with in_transaction():
            return await Appeal.create(**fields)
    except IntegrityError:
        if await Appeal.exists(open_key=fields["open_key"]):
            return None
        raise


async def appeal_by_uuid(appeal_uuid: str) -> Appeal | None:
    return await Appeal.get_or_none(uuid=appeal_uuid)


async def appeals_of(audit_id: int) -> list[Appeal]:
    """Every appeal of one audit, oldest first."""
    return await Appeal.filter(audit_id=audit_id).order_by("opened_at", "id")


_LISTED = (
    "uuid",
    "item_id",
    "reason",
    "status",
    "opened_at",
    "due_at",
    "decided_at",
    "decision_note",
    "report_version",
    "photo_path",
)


async def appeal_rows(
    *,
    location_ids: Sequence[int] | None,
    status: str | None,
    limit: int,
    offset: int,
    decided: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """(how many match, one page of them) with their audit's facts.

    Open appeals first, the earliest due first (so the overdue lead), then the
    decided ones, the latest decision first.
    """
    query = Appeal.all()
    if location_ids is not None:
        query = query.filter(audit__location_id__in=list(location_ids))
    if status is not None:
        query = query.filter(status=status)
    if decided:
        query = query.exclude(status=OPEN)
    count = await query.count()
    open_rows = []
    decided_rows = []
    fields = dict(
        audit_uuid="audit__uuid",
        checklist_id="audit__checklist_id",
        checklist_hash="audit__checklist__content_hash",
        checklist="audit__checklist_slug",
        visit_date="audit__visit_date",
        location="audit__location__code",
        location_name="audit__location__name",
    )
    if status in (None, OPEN) and not decided:
        open_rows = (
            await query.filter(status=OPEN)
            .order_by("due_at", "id")
            .offset(offset)
            .limit(limit)
            .values(*_LISTED, **fields)
        )
    if status != OPEN and len(open_rows) < limit:
        open_total = (
            await query.filter(status=OPEN).count() if status is None and not decided else 0
        )
        skip = max(0, offset - open_total)
        decided_rows = (
            await query.exclude(status=OPEN)
            .order_by("-decided_at", "-id")
            .offset(skip)
            .limit(limit - len(open_rows))
            .values(*_LISTED, **fields)
        )
    return count, [*open_rows, *decided_rows]


async def open_count(brand_ids: Sequence[int] = ()) -> int:
    query = Appeal.filter(status=OPEN)
    if brand_ids:
        query = query.filter(audit__location__brand_id__in=list(brand_ids))
    return await query.count()


async def decide_if_open(appeal_id: int, changes: Mapping[str, Any]) -> bool:
    """Write HQ's decision if the appeal is still open; False (nothing written) if not."""
    changed = await Appeal.filter(id=appeal_id, status=OPEN).update(**changes, open_key=None)
    return changed > 0


async def set_photo_if_open(appeal_id: int, names: tuple[str, str], sha256: str) -> bool:
    """Attach the evidence photo while the appeal is open and has none."""
    changed = await Appeal.filter(id=appeal_id, status=OPEN, photo_path__isnull=True).update(
        photo_path=names[0], thumb_path=names[1], photo_sha256=sha256
    )
    return changed > 0


async def decided_up_to(audit_id: int, until: datetime) -> list[Appeal]:
    """The audit's appeals decided at or before ``until``, in the order they were decided."""
    return (
        await Appeal.filter(audit_id=audit_id, decided_at__lte=until)
        .exclude(status=OPEN)
        .order_by("decided_at", "id")
    )
