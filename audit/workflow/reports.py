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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.answers import Answer
from audit.auth import Principal
from audit.catalogue import gettext
from audit.checklist import Checklist, Item
from audit.compare import Nps
from audit.errors import NotFound, ServiceUnavailable
from audit.metrics import report_render
from audit.models import Audit
from audit.presentation import describe_answer
from audit.redaction import owner_answers
from audit.report.data import (
    Amendment,
    Benchmarks,
    LocationNps,
    Rank,
    ReportData,
    TrendPoint,
    report_filename,
    without_hq_items,
    without_unshown_evidence,
)
from audit.report.pool import RenderError, RenderTimeout, cached_report_pdf, report_cache
from audit.report.twin import report_document
from audit.scoring import score_answers
from audit.settings import Settings
from audit.store import accounts as account_store
from audit.store import appeals as appeal_store
from audit.store import reports as store
from audit.store.audits import photo_counts, stored_answers
from audit.store.checklists import parsed
from audit.store.reports import PeerMean, Peers, TrendRow
from audit.workflow.actions import since_last_visit
from audit.workflow.audits import get_audit

TREND_AUDITS = 12  # this visit and up to eleven before it: about three years of quarterly visits
# 2: with the ranks and the location's NPS; a format-1 snapshot has neither.
SNAPSHOT_FORMAT = 2
# Who may read an audit's report, by role, and from which status on.
READABLE = {"hq": ("submitted", "approved"), "owner": ("approved",)}


# -- for a reader (the routes)


async def readable_report(
    who: Principal, audit_uuid: str, settings: Settings, language: str | None = None
) -> ReportData:
    """The report for HQ once the audit is submitted, for its location's owner once approved.

    Anyone else, and any other status, gets 404: the report's existence does not leak.
    Its language: ``language`` (``?lang=``), else the owner's own when an owner
    reads it, else as :func:`report_language` says.
    """
    audit = await get_audit(who, audit_uuid)  # 404 for an audit the caller may not see
    if audit.status not in READABLE.get(who.role, ()):
        raise NotFound("no such report")
    chosen = language or (who.language if who.is_owner else None)
    return await report_data_for_audit(audit, settings, chosen)


@dataclass(frozen=True)
class RenderedReport:
    pdf: bytes
    etag: str  # the quoted cache key: the same data gives the same PDF
    filename: str


async def report_pdf(
    who: Principal, audit_uuid: str, settings: Settings, language: str | None = None
) -> RenderedReport:
    data = await readable_report(who, audit_uuid, settings, language)
    try:
        with report_render():  # counted and timed for /metrics
            pdf, key = await cached_report_pdf(data, report_cache(settings))
    except RenderTimeout:
        raise ServiceUnavailable("the report took too long to render; try again") from None
    except RenderError:
        raise ServiceUnavailable("the report could not be rendered; try again") from None
    return RenderedReport(pdf, f'"{key}"', report_filename(data))


async def report_json(
    who: Principal, audit_uuid: str, settings: Settings, language: str | None = None
) -> dict[str, Any]:
    return report_document(await readable_report(who, audit_uuid, settings, language))


# -- for the command line and the mailer (they have checked who it is for)


async def report_data_for(
    audit_uuid: str, settings: Settings, language: str | None = None
) -> ReportData:
    audit = await store.audit_by_uuid(audit_uuid)
    if audit is None:
        raise NotFound("no such audit")
    return await report_data_for_audit(audit, settings, language)


async def report_language(audit: Audit, settings: Settings) -> str:
    """A report's language when its reader chose none: the location's first owner's
    (docs/deploy.md, "Languages"), else AUDIT_LANGUAGE."""
    return await account_store.owner_language(audit.location.id) or settings.language


async def report_data_for_audit(
    audit: Audit, settings: Settings, language: str | None = None
) -> ReportData:
    """The report of an audit loaded with its location and checklist, in ``language``
    (None: :func:`report_language`)."""
    language = language or await report_language(audit, settings)
    location = audit.location
    brand, region = await store.brand_and_region_names(location)
    # Its texts in the report's language where the checklist has them; the
    # same structure, so the same scores.
    checklist = parsed(audit.checklist).localized(language)
    # Free text as HQ released it for owners (audit.redaction); scores are the same.
    answers = owner_answers(checklist, stored_answers(audit), audit.owner_text)
    scorecard = score_answers(checklist, answers, await photo_counts(audit.id))
    visit = visit_date_of(audit)
    earlier = await store.trend_rows(
        audit.checklist_slug,
        location.id,
        audit.id,
        visit,
        TREND_AUDITS - 1,
    )
    frozen = await benchmarks_of(audit, settings.benchmark_days, earlier)
    this_wave = (await store.wave_names([audit.uuid])).get(audit.uuid)
    trend = (
        *(TrendPoint(r.visit_date, r.overall, r.touchpoints, r.wave) for r in reversed(earlier)),
        TrendPoint(visit, scorecard.overall, dict(scorecard.touchpoints), this_wave),
    )
    thumbnails, images = await _photo_files(audit.id, settings.media_dir)
    # The report is the owner's (HQ previews the very same document).
    report = ReportData(
        brand=brand if brand is not None else settings.brand_name,
        location_code=location.code,
        location_name=location.name,
        region=region,
        visit_date=visit,
        checklist=checklist,
        scorecard=scorecard,
        photos=thumbnails,
        images=images,
        benchmarks=frozen.benchmarks,
        region_rank=frozen.region_rank,
        brand_rank=frozen.brand_rank,
        location_nps=frozen.location_nps,
        trend=trend,
        generated_at=frozen.as_of,
        reference=audit.uuid,
        since_last=await since_last_visit(audit),
        version=audit.report_version,
        amended_on=audit.amended_at.astimezone(UTC).date() if audit.amended_at else None,
        amendments=await _amendments(audit, checklist, language),
        language=language,
    )
    return without_unshown_evidence(without_hq_items(report))


async def _amendments(audit: Audit, checklist: Checklist, language: str) -> tuple[Amendment, ...]:
    """The appeal decisions an amended report lists: those made up to its version.

    A decision that changes no score (a rejection) issues no new version, so
    it waits for the next amendment to appear in print; the owner sees it in
    the portal at once.
    """
    if audit.report_version <= 1 or audit.amended_at is None:
        return ()
    items = checklist.item_map()
    touchpoint_of = {i.id: s.touchpoint for s in checklist.sections for i in s.items}
    out = []
    for appeal in await appeal_store.decided_up_to(audit.id, audit.amended_at):
        item = items.get(appeal.item_id)
        if item is None or appeal.decided_at is None:
            continue
        before = _answer_words(item, appeal.original, language)
        after = (
            _answer_words(item, appeal.decided_answer, language)
            if appeal.decided_answer is not None
            else before
        )
        out.append(
            Amendment(
                item_id=item.id,
                item_text=item.text,
                touchpoint=touchpoint_of[item.id],
                decision=appeal.status,
                before=before,
                after=after,
                note=appeal.decision_note,
                decided_on=appeal.decided_at.astimezone(UTC).date(),
            )
        )
    return tuple(out)


def _answer_words(item: Item, raw: Mapping[str, Any] | None, language: str) -> str:
    if raw is None:
        # Rejected before any change: the answer is the one the report prints.
        return gettext(language, "as reported")
    answer = Answer(value=raw.get("value"), na=bool(raw.get("na")))
    return describe_answer(item, answer, language=language).text


def visit_date_of(audit: Audit) -> date:
    if audit.visit_date is not None:
        return audit.visit_date
    stamp = audit.visited_at or audit.finished_at or audit.created_at
    return stamp.date()


PhotoFiles = dict[str, tuple[Path, ...]]


async def _photo_files(audit_id: int, media_dir: Path) -> tuple[PhotoFiles, PhotoFiles]:
    """Thumbnails and full images by item, in upload order."""
    rows = await store.photo_rows(audit_id)

    def existing() -> tuple[PhotoFiles, PhotoFiles]:
        # A photo whose files are gone is left out rather than drawn as a broken image.
        thumbs: dict[str, list[Path]] = {}
        images: dict[str, list[Path]] = {}
        for item_id, image, thumb in rows:
            image_path, thumb_path = (media_dir / image).absolute(), (media_dir / thumb).absolute()
            if image_path.is_file() and thumb_path.is_file():
                thumbs.setdefault(item_id, []).append(thumb_path)
                images.setdefault(item_id, []).append(image_path)
        return (
            {item_id: tuple(paths) for item_id, paths in thumbs.items()},
            {item_id: tuple(paths) for item_id, paths in images.items()},
        )

    return await asyncio.to_thread(existing)


# -- benchmarks


@dataclass(frozen=True)
class FrozenFigures:
    """What is frozen at approval: the benchmarks, the ranks, the location's NPS, their date."""

    benchmarks: Benchmarks
    region_rank: Rank | None
    brand_rank: Rank | None
    location_nps: LocationNps | None
    as_of: date | None


async def benchmarks_of(
    audit: Audit, window_days: int | None = None, earlier: list[TrendRow] | None = None
) -> FrozenFigures:
    """The audit's frozen figures once approved, else fresh ones dated today.

    ``earlier``: the location's earlier visits (:func:`audit.store.reports.trend_rows`),
    read when not given.
    """
    if earlier is None:
        earlier = await store.trend_rows(
            audit.checklist_slug,
            audit.location.id,
            audit.id,
            visit_date_of(audit),
            TREND_AUDITS - 1,
        )
    if audit.status != "approved":
        fresh, _ = await peer_benchmarks(audit, window_days)
        doc = _to_document(fresh, *await _standing(audit, window_days, earlier))
        return _from_document(doc, datetime.now(UTC).date())
    found = await store.stored_snapshot(audit.id)
    if found is None:
        # Not frozen yet (the approval's hook has not run, or a late approval
        # of an earlier visit dropped the figures): dated with the latest
        # approval they count.
        fresh, last = await peer_benchmarks(audit, window_days)
        day = _approval_day(audit)
        if last is not None:
            day = max(day, last.astimezone(UTC).date())
        doc = _to_document(fresh, *await _standing(audit, window_days, earlier))
        found = await store.store_snapshot_once(audit.id, doc, day)
    snapshot, as_of = found
    return _from_document(snapshot, as_of)


async def refreeze_benchmarks(audit: Audit, window_days: int | None, day: date) -> None:
    """Freeze an amended audit's figures again, dated ``day`` (its re-approval).

    ``audit`` carries its new scores (its rank is taken by its new overall);
    call inside the transaction that stored them.
    """
    earlier = await store.trend_rows(
        audit.checklist_slug,
        audit.location.id,
        audit.id,
        visit_date_of(audit),
        TREND_AUDITS - 1,
    )
    fresh, _ = await peer_benchmarks(audit, window_days)
    doc = _to_document(fresh, *await _standing(audit, window_days, earlier))
    await store.replace_snapshot(audit.id, doc, day)


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
    peers = _peers(audit, window_days)
    brand = await store.peer_mean(peers)
    region_id: int | None = audit.location.region_id  # type: ignore[attr-defined]
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


def _peers(audit: Audit, window_days: int | None) -> Peers:
    location = audit.location
    visit = visit_date_of(audit)
    return Peers(
        checklist_slug=audit.checklist_slug,
        location_id=location.id,
        audit_id=audit.id,
        brand_id=location.brand_id,  # type: ignore[attr-defined]
        visited_from=visit - timedelta(days=window_days - 1) if window_days else None,
        visited_to=visit,
    )


async def _standing(
    audit: Audit, window_days: int | None, earlier: list[TrendRow]
) -> tuple[Rank | None, Rank | None, LocationNps | None]:
    """The location's rank in its region and brand, and its NPS over its last visits.

    The rank orders locations by their mean overall over the benchmark's
    audits, this location by this visit; the NPS covers this visit and the
    earlier ones of the trend.
    """
    peers = _peers(audit, window_days)
    region_id: int | None = audit.location.region_id  # type: ignore[attr-defined]
    brand_rank = rank_among(audit.overall, await store.peer_location_means(peers))
    region_rank = (
        rank_among(audit.overall, await store.peer_location_means(peers, region_id))
        if region_id is not None
        else None
    )
    answers = [audit.nps, *(r.nps for r in earlier)]
    nps = Nps.of(answers)
    location_nps = (
        LocationNps(nps.value, nps.promoters, nps.detractors, nps.answers, len(answers))
        if nps.value is not None
        else None
    )
    return region_rank, brand_rank, location_nps


def rank_among(overall: float | None, others: list[float]) -> Rank | None:
    """This visit's place among the other locations' means; None without a score or others."""
    if overall is None or not others:
        return None
    return Rank(1 + sum(1 for mean in others if mean > overall), len(others) + 1)


def _approval_day(audit: Audit) -> date:
    stamp = audit.approved_at or datetime.now(UTC)
    return stamp.astimezone(UTC).date()


def _to_document(
    benchmarks: Benchmarks,
    region_rank: Rank | None,
    brand_rank: Rank | None,
    location_nps: LocationNps | None,
) -> dict[str, Any]:
    def rank(r: Rank | None) -> list[int] | None:
        return [r.position, r.of] if r is not None else None

    return {
        "format": SNAPSHOT_FORMAT,
        "brand_avg": benchmarks.brand_avg,
        "brand_count": benchmarks.brand_count,
        "region_avg": benchmarks.region_avg,
        "region_count": benchmarks.region_count,
        "brand_touchpoints": dict(benchmarks.brand_touchpoints),
        "region_touchpoints": dict(benchmarks.region_touchpoints),
        "region_rank": rank(region_rank),
        "brand_rank": rank(brand_rank),
        "location_nps": None
        if location_nps is None
        else {
            "value": location_nps.value,
            "promoters": location_nps.promoters,
            "detractors": location_nps.detractors,
            "answers": location_nps.answers,
            "visits": location_nps.visits,
        },
    }


def _from_document(doc: dict[str, Any], as_of: date | None) -> FrozenFigures:
    def mean(value: Any) -> float | None:
        return float(value) if value is not None else None

    def rank(value: Any) -> Rank | None:
        return Rank(int(value[0]), int(value[1])) if value else None

    nps = doc.get("location_nps")
    return FrozenFigures(
        benchmarks=Benchmarks(
            brand_avg=mean(doc["brand_avg"]),
            brand_count=int(doc["brand_count"]),
            region_avg=mean(doc["region_avg"]),
            region_count=int(doc["region_count"]),
            brand_touchpoints={str(k): mean(v) for k, v in doc["brand_touchpoints"].items()},
            region_touchpoints={str(k): mean(v) for k, v in doc["region_touchpoints"].items()},
        ),
        # A format-1 snapshot (frozen before ranks existed) has none: the
        # report stays as it was frozen rather than gaining today's figures.
        region_rank=rank(doc.get("region_rank")),
        brand_rank=rank(doc.get("brand_rank")),
        location_nps=None
        if not nps
        else LocationNps(
            float(nps["value"]),
            int(nps["promoters"]),
            int(nps["detractors"]),
            int(nps["answers"]),
            int(nps["visits"]),
        ),
        as_of=as_of,
    )
