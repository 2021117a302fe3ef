"""Queries behind the experience report: one audit's ReportData, benchmarks, trend, deliveries.

Benchmarks and the trend are read from the scores stored at submission
(``Audit.overall`` and ``SectionScore``), approved audits only, never by
scoring again. Nothing read here about the auditor reaches the report.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.functions import Avg, Count, Max
from tortoise.transactions import in_transaction

from audit.errors import NotFound
from audit.models import (
    Audit,
    Brand,
    Delivery,
    Location,
    Photo,
    Region,
    ReportBenchmarks,
    SectionScore,
)
from audit.report.data import Benchmarks, ReportData, TrendPoint
from audit.scoring import score_answers
from audit.settings import Settings
from audit.store.audits import photo_counts, stored_answers
from audit.store.checklists import parsed

TREND_AUDITS = 12  # this visit and up to eleven before it: about three years of quarterly visits


async def report_data_for(audit_uuid: str, settings: Settings) -> ReportData:
    """The report of one audit (the caller has checked who may see it)."""
    audit = await Audit.get_or_none(uuid=audit_uuid).select_related("location", "checklist")
    if audit is None:
        raise NotFound("no such audit")
    return await report_data_for_audit(audit, settings)


async def report_data_for_audit(audit: Audit, settings: Settings) -> ReportData:
    """Like :func:`report_data_for`, for an audit loaded with its location and checklist."""
    location = audit.location
    # By id, so the caller may have loaded the audit with or without these relations.
    brand = await Brand.get_or_none(id=location.brand_id)  # type: ignore[attr-defined]
    region = await Region.get_or_none(id=location.region_id)  # type: ignore[attr-defined]
    checklist = parsed(audit.checklist)
    scorecard = score_answers(checklist, stored_answers(audit), await photo_counts(audit.id))
    visit_date = _visit_date(audit)
    benchmarks, snapshot = await frozen_benchmarks(audit, settings)
    return ReportData(
        brand=brand.name if brand is not None else settings.brand_name,
        location_code=location.code,
        location_name=location.name,
        region=region.name if region is not None else None,
        visit_date=visit_date,
        checklist=checklist,
        scorecard=scorecard,
        photos=await _thumbnails(audit.id, settings.media_dir),
        benchmarks=benchmarks,
        trend=await trend_for(audit, scorecard.overall),
        generated_at=snapshot,
        reference=audit.uuid,
    )


# -- benchmarks, frozen at approval
#
# Averaging a brand's approved audits takes ~0.5 s at 100,000 audits, and the
# result changes with every approval anywhere in the brand. A report is a
# record of one visit, so its benchmarks are taken once, when the audit is
# approved (or first reported on), and kept: the PDF stays the same document,
# its cache stays valid, and a second download needs no aggregate query.
# Until approval they are computed afresh for each preview.
#
# They are kept as a ``report_benchmarks`` row, one per audit, so every worker
# and machine reads the same figures and ``audit backup`` carries them. Two
# first freezes may race (the approval's hook and a download, or two
# workers): the unique audit lets the first insert win, and every caller
# returns what is stored.

SNAPSHOT_FORMAT = 1


async def frozen_benchmarks(audit: Audit, settings: Settings) -> tuple[Benchmarks, date | None]:
    """The audit's benchmarks and their date: stored ones once approved, else fresh."""
    if audit.status == "approved":
        found = await _stored_snapshot(audit.id)
        if found is not None:
            return found
        # Snapshots taken before they were rows: figures an owner may already
        # have received. Read once, then the row is what counts.
        legacy = await asyncio.to_thread(_read_legacy_snapshot, _legacy_path(settings, audit.uuid))
        if legacy is not None:
            return await _store_snapshot(audit.id, *legacy)
    location = audit.location
    benchmarks, day = await benchmarks_for(
        audit.checklist_slug,
        brand_id=location.brand_id,  # type: ignore[attr-defined]
        region_id=location.region_id,  # type: ignore[attr-defined]
    )
    if audit.status == "approved":
        return await _store_snapshot(audit.id, benchmarks, day)
    return benchmarks, day


async def freeze_benchmarks(audit_uuid: str, settings: Settings) -> None:
    """Take an approved audit's benchmark snapshot now (call right after approving)."""
    audit = await Audit.get_or_none(uuid=audit_uuid).select_related("location")
    if audit is not None and audit.status == "approved":
        await frozen_benchmarks(audit, settings)


async def _stored_snapshot(audit_id: int) -> tuple[Benchmarks, date | None] | None:
    row = await ReportBenchmarks.get_or_none(audit_id=audit_id)
    if row is None:
        return None
    return _from_document(row.snapshot), row.as_of


async def _store_snapshot(
    audit_id: int, benchmarks: Benchmarks, day: date | None
) -> tuple[Benchmarks, date | None]:
    """Keep the first snapshot of the audit; return the one stored (ours or the winner's)."""
    try:
        # Its own transaction (a savepoint inside the caller's): on PostgreSQL
        # a failed insert would otherwise spoil an enclosing transaction.
        async with in_transaction():
            await ReportBenchmarks.create(
                audit_id=audit_id, snapshot=_to_document(benchmarks), as_of=day
            )
    except IntegrityError:
        # Another worker froze it first: its figures are the report's.
        stored = await _stored_snapshot(audit_id)
        if stored is None:
            raise  # not a duplicate: the audit itself is gone
        return stored
    return benchmarks, day


def _to_document(benchmarks: Benchmarks) -> dict[str, object]:
    return {
        "format": SNAPSHOT_FORMAT,
        "brand_avg": benchmarks.brand_avg,
        "brand_count": benchmarks.brand_count,
        "region_avg": benchmarks.region_avg,
        "region_count": benchmarks.region_count,
        "brand_touchpoints": dict(benchmarks.brand_touchpoints),
        "region_touchpoints": dict(benchmarks.region_touchpoints),
    }


def _from_document(doc: dict[str, Any]) -> Benchmarks:
    def mean(value: Any) -> float | None:
        return float(value) if value is not None else None

    return Benchmarks(
        brand_avg=mean(doc["brand_avg"]),
        brand_count=int(doc["brand_count"]),
        region_avg=mean(doc["region_avg"]),
        region_count=int(doc["region_count"]),
        brand_touchpoints={str(k): mean(v) for k, v in doc["brand_touchpoints"].items()},
        region_touchpoints={str(k): mean(v) for k, v in doc["region_touchpoints"].items()},
    )


def _legacy_path(settings: Settings, audit_uuid: str) -> Path:
    """Where snapshots were written as JSON files before the ``report_benchmarks`` table."""
    name = re.sub(r"[^0-9a-f-]", "", audit_uuid.lower())
    return settings.var_dir / "reports" / "benchmarks" / name[:2] / f"{name}.json"


def _read_legacy_snapshot(path: Path) -> tuple[Benchmarks, date | None] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != SNAPSHOT_FORMAT:
            return None
        day = date.fromisoformat(doc["as_of"]) if doc.get("as_of") else None
        return _from_document(doc["benchmarks"]), day
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # unreadable: take the benchmarks afresh, as for a missing file


def _visit_date(audit: Audit) -> date:
    if audit.visit_date is not None:
        return audit.visit_date
    stamp = audit.visited_at or audit.finished_at or audit.created_at
    return stamp.date()


async def _thumbnails(audit_id: int, media_dir: Path) -> dict[str, tuple[Path, ...]]:
    rows = (
        await Photo.filter(audit_id=audit_id)
        .order_by("created_at", "id")
        .values_list("item_id", "thumb_path")
    )

    def existing() -> dict[str, tuple[Path, ...]]:
        # A photo whose file is gone is left out rather than drawn as a broken image.
        found: dict[str, list[Path]] = {}
        for item_id, thumb in rows:
            path = (media_dir / str(thumb)).absolute()
            if path.is_file():
                found.setdefault(str(item_id), []).append(path)
        return {item_id: tuple(paths) for item_id, paths in found.items()}

    return await asyncio.to_thread(existing)


async def benchmarks_for(
    checklist_slug: str, brand_id: int | None, region_id: int | None
) -> tuple[Benchmarks, date | None]:
    """Brand and region means over approved audits of the checklist, and the snapshot date.

    The snapshot date is the day of the latest approval counted: the
    benchmarks (and so the cached PDF) change only when an audit is approved.
    """
    approved = Audit.filter(status="approved", checklist_slug=checklist_slug)
    # Locations by subquery, not by join: with a join Tortoise groups the
    # aggregate by every audit column and returns one row per audit.
    brand_q = approved
    if brand_id is not None:
        brand_q = approved.filter(location_id__in=_locations(brand_id=brand_id))
    brand_avg, brand_count, last = await _overall(brand_q)
    region_avg: float | None = None
    region_count = 0
    region_tp: dict[str, float | None] = {}
    if region_id is not None:
        region_q = approved.filter(location_id__in=_locations(brand_id, region_id))
        region_avg, region_count, _ = await _overall(region_q)
        region_tp = await _touchpoints(checklist_slug, brand_id, region_id)
    benchmarks = Benchmarks(
        brand_avg=brand_avg,
        brand_count=brand_count,
        region_avg=region_avg,
        region_count=region_count,
        brand_touchpoints=await _touchpoints(checklist_slug, brand_id, None),
        region_touchpoints=region_tp,
    )
    return benchmarks, last.date() if last is not None else None


def _locations(brand_id: int | None, region_id: int | None = None) -> Subquery:
    query = Location.all()
    if brand_id is not None:
        query = query.filter(brand_id=brand_id)
    if region_id is not None:
        query = query.filter(region_id=region_id)
    return Subquery(query.values("id"))


async def _overall(query: Any) -> tuple[float | None, int, datetime | None]:
    rows = (
        await query.filter(overall__isnull=False)
        .annotate(mean=Avg("overall"), n=Count("id"), last=Max("approved_at"))
        .values("mean", "n", "last")
    )
    if not rows or not rows[0]["n"]:
        return None, 0, None
    row = rows[0]
    return float(row["mean"]), int(row["n"]), row["last"]


async def _touchpoints(
    checklist_slug: str, brand_id: int | None, region_id: int | None
) -> dict[str, float | None]:
    # Means of section scores per touchpoint. Each audit counts once per
    # touchpoint when a checklist has one section per touchpoint, as every
    # shipped checklist does; a touchpoint split over two sections would be
    # weighted by section instead of by audit.
    query = SectionScore.filter(
        audit__status="approved", audit__checklist_slug=checklist_slug, score__isnull=False
    )
    if brand_id is not None or region_id is not None:
        query = query.filter(audit__location_id__in=_locations(brand_id, region_id))
    rows = (
        await query.annotate(mean=Avg("score")).group_by("touchpoint").values("touchpoint", "mean")
    )
    return {str(r["touchpoint"]): float(r["mean"]) if r["mean"] is not None else None for r in rows}


async def trend_for(audit: Audit, overall: float | None) -> tuple[TrendPoint, ...]:
    """This location's earlier approved audits of the checklist, oldest first, then this one."""
    visit = _visit_date(audit)
    rows = (
        await Audit.filter(
            status="approved",
            checklist_slug=audit.checklist_slug,
            location_id=audit.location_id,  # type: ignore[attr-defined]
            visit_date__lte=visit,
        )
        .exclude(id=audit.id)
        .order_by("-visit_date", "-id")
        .limit(TREND_AUDITS - 1)
        .values_list("visit_date", "overall")
    )
    earlier = [TrendPoint(day, score) for day, score in reversed(rows) if day is not None]
    return (*earlier, TrendPoint(visit, overall))


async def approved_audit_uuids(since: date | None = None) -> list[str]:
    """Approved audits visited on or after ``since``, oldest first (``audit report --all``)."""
    query = Audit.filter(status="approved")
    if since is not None:
        query = query.filter(visit_date__gte=since)
    rows = await query.order_by("visit_date", "id").values_list("uuid", flat=True)
    return [str(u) for u in rows]


# -- deliveries of the report by e-mail


async def record_deliveries(audit_id: int, recipients: Sequence[str]) -> list[Delivery]:
    """One pending delivery per recipient; an existing one is kept (approval may repeat)."""
    out = []
    for email in dict.fromkeys(recipients):
        delivery, _ = await Delivery.get_or_create(audit_id=audit_id, recipient=email)
        out.append(delivery)
    return out


async def due_deliveries(now: datetime, max_attempts: int, limit: int = 100) -> list[Delivery]:
    """Deliveries not sent yet whose next attempt is due (a stale claim counts as due)."""
    query = Delivery.filter(
        status__in=("pending", "failed", "sending"), attempts__lt=max_attempts
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return await query.order_by("id").limit(limit)


async def claim_delivery(delivery: Delivery, lease_until: datetime) -> bool:
    """Take a delivery for one attempt; False when another worker took it first.

    The conditional update is the lock, as for submissions: of two workers
    that read the same row, one moves it to "sending" and the other sees 0
    rows. The lease lets another worker retry if this one dies mid-send.
    """
    taken = await Delivery.filter(
        id=delivery.id, status=delivery.status, attempts=delivery.attempts
    ).update(status="sending", next_attempt_at=lease_until)
    if taken:
        delivery.status = "sending"
        delivery.next_attempt_at = lease_until
    return bool(taken)


async def mark_sent(delivery: Delivery, now: datetime) -> None:
    delivery.status = "sent"
    delivery.attempts += 1
    delivery.sent_at = now
    delivery.last_error = ""
    delivery.next_attempt_at = None
    await delivery.save(
        update_fields=["status", "attempts", "sent_at", "last_error", "next_attempt_at"]
    )


async def mark_failed(delivery: Delivery, error: str, next_attempt_at: datetime | None) -> None:
    """A failed attempt; ``next_attempt_at`` None means no more tries."""
    delivery.attempts += 1
    delivery.status = "failed" if next_attempt_at is not None else "abandoned"
    delivery.last_error = error[:2000]
    delivery.next_attempt_at = next_attempt_at
    await delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])


async def deliveries_of(audit_id: int) -> list[Delivery]:
    return await Delivery.filter(audit_id=audit_id).order_by("id")
