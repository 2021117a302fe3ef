"""HQ's view of each shopper: their record (:mod:`audit.store.shoppers`), their visits,
and the review queue narrowed to some shoppers.

Everything here is HQ's alone: it names auditors, which owners never learn.
Figures are compared as the pages print them (a mean grade to one decimal, a
rate as a whole percentage), so "grade below 3" never keeps a shopper the
page shows at 3.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.auth import Principal
from audit.errors import NotFound
from audit.presentation import LOW_TRUST_BELOW, round_grade, round_rate, trust_label
from audit.store import audit_lists
from audit.store import shoppers as store
from audit.store.shoppers import ShopperRecord

# The visits a shopper's page lists, newest first: a year of weekly visits.
SHOPPER_AUDITS = 60


@dataclass(frozen=True)
class QueueFilter:
    """Which shoppers' audits the review queue shows (all of them by default)."""

    shopper: int | None = None
    grade_below: float | None = None  # mean grade as shown, strictly below
    return_rate: int | None = None  # return rate as shown, in percent, at least

    @property
    def active(self) -> bool:
        return (
            self.shopper is not None
            or self.grade_below is not None
            or (self.return_rate is not None)
        )

    def keeps(self, r: ShopperRecord) -> bool:
        if self.shopper is not None and r.id != self.shopper:
            return False
        if self.grade_below is not None:
            grade = round_grade(r.grade)
            if grade is None or grade >= self.grade_below:
                return False
        if self.return_rate is not None:
            rate = round_rate(r.return_rate)
            if rate is None or rate < self.return_rate:
                return False
        return True


def record_json(r: ShopperRecord) -> dict[str, Any]:
    """One shopper's record; ``grade`` and the rates exact (pages round them)."""
    return {
        "id": r.id,
        "name": r.name,
        "email": r.email,
        "active": r.active,
        "visits": r.visits,
        "reviewed": r.reviewed,
        "returned": r.returned,
        "rejected": r.rejected,
        "graded": r.graded,
        "grade": r.grade,
        "return_rate": r.return_rate,
        "rejection_rate": r.rejection_rate,
        "trust": r.trust,
        "trusted": r.trusted,
        "low_trust": r.low_trust,
        "last_visit": r.last_visit.isoformat() if r.last_visit else None,
    }


async def shopper_records(who: Principal | None = None) -> list[ShopperRecord]:
    """Every auditor's record (for a brand-limited ``who``, their brands' only)."""
    brands = who.brand_limit if who is not None else ()
    return await store.shopper_records(LOW_TRUST_BELOW, brand_ids=brands)


async def shopper_record(who: Principal, user_id: int) -> ShopperRecord | None:
    """One auditor's record alone (the review page's summary of who made the visit)."""
    found = await store.shopper_records(LOW_TRUST_BELOW, [user_id], who.brand_limit)
    return found[0] if found else None


async def shopper(who: Principal, user_id: int) -> tuple[ShopperRecord, list[dict[str, Any]]]:
    """One auditor's record and visits; 404 for anyone who is not an auditor (or, for a
    brand-limited caller, not one of their brands')."""
    found = await store.shopper_records(LOW_TRUST_BELOW, [user_id], who.brand_limit)
    if not found:
        raise NotFound("no such shopper")
    rows = await store.shopper_audits(user_id, SHOPPER_AUDITS, who.brand_limit)
    audits = [
        {
            "uuid": r["uuid"],
            "status": r["status"],
            "location": r["location"],
            "location_name": r["location_name"],
            "checklist_title": r["checklist_title"],
            "visit_date": str(r["visit_date"])[:10] if r["visit_date"] else None,
            "overall": r["overall"],
            "grade": r["grade"],
            "grade_note": r["grade_note"] or "",
            "review_note": r["review_note"] or "",
            "returns": int(r["returns"]),
            # Visit trust (audit.trust); None for visits from before proof of visit.
            "trust_score": r["trust_score"],
            "trust_label": trust_label(r["trust_score"]).label
            if r["trust_score"] is not None
            else None,
        }
        for r in rows
    ]
    return found[0], audits


async def review_queue(
    who: Principal, f: QueueFilter, limit: int, offset: int, trust_below: int | None = None
) -> tuple[int, list[dict[str, Any]], dict[int, ShopperRecord]]:
    """The queue (narrowed by ``f``, and to visit trust scores under ``trust_below``),
    its size, and the record of each shopper in it."""
    ids: list[int] | None = None
    records: dict[int, ShopperRecord] = {}
    brands = who.brand_limit
    if f.grade_below is not None or f.return_rate is not None:
        # Filtering by their figures needs every shopper's record.
        records = {r.id: r for r in await store.shopper_records(LOW_TRUST_BELOW, brand_ids=brands)}
        ids = [i for i, r in records.items() if f.keeps(r)]
    elif f.shopper is not None:
        ids = [f.shopper]
    count, rows = await audit_lists.review_queue(limit, offset, ids, trust_below, brands)
    # The record of each shopper on this page only: a few auditors, not all.
    wanted = sorted({int(r["auditor_id"]) for r in rows} - set(records))
    for record in await store.shopper_records(LOW_TRUST_BELOW, wanted):
        records[record.id] = record
    return count, rows, records


async def auditor_names(who: Principal) -> list[tuple[int, str]]:
    return await store.auditor_names(who.brand_limit)
