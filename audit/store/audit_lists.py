"""HQ's lists of single audits: the review queue, longest waiting first, and a
location's latest audits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit.models import Audit


async def review_queue(
    limit: int,
    offset: int,
    auditor_ids: Sequence[int] | None = None,
    trust_below: int | None = None,
    brand_ids: Sequence[int] = (),
) -> tuple[int, list[dict[str, Any]]]:
    """Submitted audits (of ``auditor_ids`` only, when given), the longest waiting
    first, and how many there are.

    ``trust_below``: only those whose visit trust score is under it (audits
    from before proof of visit have none and are left out).
    """
    if auditor_ids is not None and not auditor_ids:
        return 0, []
    query = Audit.filter(status="submitted")
    if auditor_ids is not None:
        query = query.filter(auditor_id__in=list(auditor_ids))
    if trust_below is not None:
        query = query.filter(trust_score__lt=trust_below)
    if brand_ids:
        query = query.filter(location__brand_id__in=list(brand_ids))
    count = await query.count()
    rows = (
        await query.order_by("submitted_at", "id")
        .offset(offset)
        .limit(limit)
        .values(
            "uuid",
            "visited_at",
            "submitted_at",
            "overall",
            "critical_failed",
            "checklist_slug",
            "trust_score",
            location_code="location__code",
            location_name="location__name",
            region="location__region__name",
            checklist_title="checklist__title",
            checklist_version="checklist__version",
            auditor_id="auditor__id",
            auditor_name="auditor__name",
            auditor_email="auditor__email",
        )
    )
    return count, [
        {
            "uuid": r["uuid"],
            "location": r["location_code"],
            "location_name": r["location_name"],
            "region": r["region"],
            "checklist": r["checklist_slug"],
            "checklist_title": r["checklist_title"],
            "checklist_version": r["checklist_version"],
            "visited_at": r["visited_at"].isoformat() if r["visited_at"] else None,
            "submitted_at": r["submitted_at"].isoformat() if r["submitted_at"] else None,
            "auditor": r["auditor_name"] or r["auditor_email"],
            "auditor_id": r["auditor_id"],
            "overall": r["overall"],
            "critical_failed": bool(r["critical_failed"]),
            "trust_score": r["trust_score"],
        }
        for r in rows
    ]


async def next_in_queue(after_uuid: str, brand_ids: Sequence[int] = ()) -> str | None:
    """The submitted audit that waited longest, other than ``after_uuid`` (of
    ``brand_ids``' locations, when given)."""
    query = Audit.filter(status="submitted")
    if brand_ids:
        query = query.filter(location__brand_id__in=list(brand_ids))
    row = await query.exclude(uuid=after_uuid).order_by("submitted_at", "id").first().values("uuid")
    return None if row is None else str(row["uuid"])


async def recent_audits(
    location_id: int, checklist: str | None, limit: int
) -> list[dict[str, Any]]:
    """A location's latest audits past the draft stage, newest visit first (a rejected
    visit is not the location's: it is on its shopper's page)."""
    query = Audit.filter(location_id=location_id).exclude(status__in=("draft", "rejected"))
    if checklist is not None:
        query = query.filter(checklist_slug=checklist)
    return list(
        await query.order_by("-visit_date", "-id")
        .limit(limit)
        .values(
            "uuid",
            "status",
            "visit_date",
            "overall",
            "service",
            "experience",
            "nps",
            "critical_failed",
            checklist_title="checklist__title",
        )
    )
