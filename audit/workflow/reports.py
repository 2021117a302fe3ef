"""The experience report of one audit: who may read it, what it holds, its benchmarks.

One computation, two formats: :func:`report_data_for_audit` builds the
ReportData that the PDF renders and that ``report.json`` serialises
(:func:`audit.report.twin.report_document`). Queries are
:mod:`audit.store.reports`; nothing read about the auditor reaches the data.

Benchmarks (docs/scoring.md, "Benchmarks") are the means of *other
locations'* approved audits of the same checklist, visited on or before this
visit (within ``Settings.benchmark_days`` of it when that is set): the
region's (other locations of the brand in the audit's region) and the
brand's.  Which audits count depends on visit dates only, never on the order
HQ approved them in.

They are frozen at approval.  Averaging a brand's approved audits costs an
aggregate query, so the figures are kept as a ``report_benchmarks`` row: the
PDF stays the same document, its cache stays valid, every worker and machine
reads the same figures, and ``audit backup`` carries them.  Only one event
changes them: the approval of another location's audit visited on or before
this one (a late review of an earlier visit).  That approval drops the
frozen rows it belongs in (:func:`audit.store.reports.drop_snapshots_benchmarked_by`),
and the next render freezes them again.  They are dated with the latest
approval they count (this audit's own, or the late one), whenever the freeze
runs.  Before approval (HQ's preview of a submitted audit) they are computed
afresh and dated today.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.auth import Principal
from audit.errors import NotFound, ServiceUnavailable
from audit.metrics import report_render
from audit.models import Audit
from audit.redaction import owner_answers
from audit.report.data import (
    Benchmarks,
    ReportData,
    TrendPoint,
    report_filename,
    without_hq_items,
)
from audit.report.pool import RenderError, RenderTimeout, cached_report_pdf, report_cache
from audit.report.twin import report_document
from audit.scoring import score_answers
from audit.settings import Settings
from audit.store import reports as store
from audit.store.audits import photo_counts, stored_answers
from audit.store.checklists import parsed
from audit.store.reports import PeerMean, Peers
from audit.workflow.audits import get_audit

TREND_AUDITS = 12  # this visit and up to eleven before it: about three years of quarterly visits
SNAPSHOT_FORMAT = 1
# Who may read an audit's report, by role, and from which status on.
READABLE = {"hq": ("submitted", "approved"), "owner": ("approved",)}


# -- for a reader (the routes)


async def readable_report(who: Principal, audit_uuid: str, settings: Settings) -> ReportData:
    """The report for HQ once the audit is submitted, for its location's owner once approved.

    Anyone else, and any other status, gets 404: the report's existence does not leak.
    """
    audit = await get_audit(who, audit_uuid)  # 404 for an audit the caller may not see
    if audit.status not in READABLE.get(who.role, ()):
        raise NotFound("no such report")
    return await report_data_for_audit(audit, settings)


@dataclass(frozen=True)
class RenderedReport:
    pdf: bytes
    etag: str  # the quoted cache key: the same data gives the same PDF
    filename: str


async def report_pdf(who: Principal, audit_uuid: str, settings: Settings) -> RenderedReport:
    data = await readable_report(who, audit_uuid, settings)
    try:
        with report_render():  # counted and timed for /metrics
            pdf, key = await cached_report_pdf(data, report_cache(settings))
    except RenderTimeout:
        raise ServiceUnavailable("the report took too long to render; try again") from None
    except RenderError:
        raise ServiceUnavailable("the report could not be rendered; try again") from None
    return RenderedReport(pdf, f'"{key}"', report_filename(data))


async def report_json(who: Principal, audit_uuid: str, settings: Settings) -> dict[str, Any]:
    return report_document(await readable_report(who, audit_uuid, settings))


# -- for the command line and the mailer (they have checked who it is for)


async def report_data_for(audit_uuid: str, settings: Settings) -> ReportData:
    audit = await store.audit_by_uuid(audit_uuid)
    if audit is None:
        raise NotFound("no such audit")
    return await report_data_for_audit(audit, settings)


async def report_data_for_audit(audit: Audit, settings: Settings) -> ReportData:
    """The report of an audit loaded with its location and checklist."""
    location = audit.location
    brand, region = await store.brand_and_region_names(location)
    checklist = parsed(audit.checklist)
    # Free text as HQ released it for owners (audit.redaction); scores are the same.
    answers = owner_answers(checklist, stored_answers(audit), audit.owner_text)
    scorecard = score_answers(checklist, answers, await photo_counts(audit.id))
    visit = visit_date_of(audit)
    benchmarks, as_of = await benchmarks_of(audit, settings.benchmark_days)
    earlier = await store.trend_rows(
        audit.checklist_slug,
        location.id,
        audit.id,
        visit,
        TREND_AUDITS - 1,
    )
    trend = (
        *(TrendPoint(d, s) for d, s in reversed(earlier)),
        TrendPoint(visit, scorecard.overall),
    )
    # The report is the owner's (HQ previews the very same document).
    report = ReportData(
        brand=brand if brand is not None else settings.brand_name,
        location_code=location.code,
        location_name=location.name,
        region=region,
        visit_date=visit,
        checklist=checklist,
        scorecard=scorecard,
        photos=await _thumbnails(audit.id, settings.media_dir),
        benchmarks=benchmarks,
        trend=trend,
        generated_at=as_of,
        reference=audit.uuid,
    )
    return without_hq_items(report)


def visit_date_of(audit: Audit) -> date:
    if audit.visit_date is not None:
        return audit.visit_date
    stamp = audit.visited_at or audit.finished_at or audit.created_at
    return stamp.date()


async def _thumbnails(audit_id: int, media_dir: Path) -> dict[str, tuple[Path, ...]]:
    rows = await store.thumbnail_rows(audit_id)

    def existing() -> dict[str, tuple[Path, ...]]:
        # A photo whose file is gone is left out rather than drawn as a broken image.
        found: dict[str, list[Path]] = {}
        for item_id, thumb in rows:
            path = (media_dir / thumb).absolute()
            if path.is_file():
                found.setdefault(item_id, []).append(path)
        return {item_id: tuple(paths) for item_id, paths in found.items()}

    return await asyncio.to_thread(existing)


# -- benchmarks


async def benchmarks_of(
    audit: Audit, window_days: int | None = None
) -> tuple[Benchmarks, date | None]:
    """The audit's benchmarks and their date: frozen ones once approved, else fresh."""
    if audit.status != "approved":
        fresh, _ = await peer_benchmarks(audit, window_days)
        return fresh, datetime.now(UTC).date()
    found = await store.stored_snapshot(audit.id)
    if found is None:
        # Not frozen yet (the approval's hook has not run, or a late approval
        # of an earlier visit dropped the figures): dated with the latest
        # approval they count.
        fresh, last = await peer_benchmarks(audit, window_days)
        day = _approval_day(audit)
        if last is not None:
            day = max(day, last.astimezone(UTC).date())
        found = await store.store_snapshot_once(audit.id, _to_document(fresh), day)
    snapshot, as_of = found
    return _from_document(snapshot), as_of


async def freeze_benchmarks(audit_uuid: str, window_days: int | None = None) -> None:
    """Take an approved audit's benchmark snapshot now (the approval's hook)."""
    audit = await store.audit_by_uuid(audit_uuid)
    if audit is not None and audit.status == "approved":
        await benchmarks_of(audit, window_days)


async def peer_benchmarks(
    audit: Audit, window_days: int | None = None
) -> tuple[Benchmarks, datetime | None]:
    """The audit's benchmarks computed now, by the rule of this module's docstring,
    and the latest approval among the audits they count."""
    location = audit.location
    visit = visit_date_of(audit)
    peers = Peers(
        checklist_slug=audit.checklist_slug,
        location_id=location.id,
        audit_id=audit.id,
        brand_id=location.brand_id,  # type: ignore[attr-defined]
        visited_from=visit - timedelta(days=window_days - 1) if window_days else None,
        visited_to=visit,
    )
    brand = await store.peer_mean(peers)
    region_id: int | None = location.region_id  # type: ignore[attr-defined]
    region = await store.peer_mean(peers, region_id) if region_id is not None else _NONE
    benchmarks = Benchmarks(
        brand_avg=brand.overall,
        brand_count=brand.audits,
        region_avg=region.overall,
        region_count=region.audits,
        brand_touchpoints=dict(brand.touchpoints),
        region_touchpoints=dict(region.touchpoints),
    )
    # The region's audits are the brand's too.
    return benchmarks, brand.last_approved


_NONE = PeerMean(None, 0, {})


def _approval_day(audit: Audit) -> date:
    stamp = audit.approved_at or datetime.now(UTC)
    return stamp.astimezone(UTC).date()


def _to_document(benchmarks: Benchmarks) -> dict[str, Any]:
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
