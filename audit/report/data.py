"""What one experience report is made of: plain, frozen, and anonymous.

``ReportData`` is everything the templates may show. It is built by
:mod:`audit.workflow.reports` from a submitted or approved audit (or by hand in
tests and benchmarks) and is the only input of rendering, so it is also what
the PDF cache key is made from, and the PDF and its JSON twin
(:mod:`audit.report.twin`) are two formats of the same value.
Nothing in it identifies the auditor: there is no field for a name, an e-mail
or a visit time, and the renderer has no other source of data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from audit.checklist import Checklist
from audit.scoring import Scorecard


@dataclass(frozen=True)
class Benchmarks:
    """Other locations' approved audits of the same checklist, over the brand and the region.

    Means of each audit's stored score (each audit counts once, nulls left
    out) over the audits visited on or before this visit, within the window
    of :mod:`audit.workflow.reports`; ``*_count`` is the number of audits
    behind a mean, 0 when there is none (the mean is then None).
    """

    brand_avg: float | None = None
    brand_count: int = 0
    region_avg: float | None = None
    region_count: int = 0
    brand_touchpoints: Mapping[str, float | None] = field(default_factory=dict)
    region_touchpoints: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Rank:
    """Where the location stands among the locations of a benchmark.

    Locations ranked by their mean overall over the benchmark's audits, this
    location by this visit (the benchmark leaves its own audits out).
    ``position`` is 1 + the number of locations with a higher mean, so ties
    share a place; ``of`` counts this location too.
    """

    position: int
    of: int


@dataclass(frozen=True)
class LocationNps:
    """The shopper-NPS of this location's last visits, this one included (CONTRACT.md)."""

    value: float  # 100 x (share of 9-10 minus share of 0-6)
    promoters: int
    detractors: int
    answers: int  # the visits with an answer: the n beside the figure
    visits: int  # the visits looked at (answered or not)


@dataclass(frozen=True)
class TrendPoint:
    visit_date: date
    overall: float | None
    # touchpoint → score of that visit (empty when not known)
    touchpoints: Mapping[str, float | None] = field(default_factory=dict)
    # the wave the visit was made for, where visits are planned in waves
    wave: str | None = None


@dataclass(frozen=True)
class ActionNote:
    """The owner's corrective action on an item of the earlier visit, as recorded."""

    what: str
    who: str
    due: date
    status: str  # open | done
    done_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class SinceCheck:
    """One item the earlier visit found failed or weak, and what this visit found
    (:func:`audit.corrective.checks`)."""

    item_id: str
    text: str
    touchpoint: str
    before: float
    after: float | None
    shortfall: str  # failed | weak
    verdict: str  # fixed | still_failing | not_checked
    action: ActionNote | None = None


@dataclass(frozen=True)
class SinceLastVisit:
    """The previous approved visit this one checks, and each of its failed or weak items."""

    visit_date: date
    checks: tuple[SinceCheck, ...] = ()


@dataclass(frozen=True)
class Amendment:
    """HQ's decision on one item an owner disputed, as the amended report prints it."""

    item_id: str
    item_text: str
    touchpoint: str  # the touchpoint's slug
    decision: str  # upheld | partly_upheld | rejected
    before: str  # the answer as first reported, in words
    after: str  # the answer now, in words (the same as before when rejected)
    note: str  # HQ's reason
    decided_on: date


@dataclass(frozen=True)
class ReportData:
    brand: str
    location_code: str
    location_name: str
    region: str | None
    visit_date: date
    checklist: Checklist
    scorecard: Scorecard
    # item id → thumbnails (JPEG files under the media directory), in upload order;
    # only items answered and shown (never N/A or hidden by show_if)
    photos: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    # item id → the full images of the same photos, in the same order (the appendix)
    images: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    benchmarks: Benchmarks = field(default_factory=Benchmarks)
    # frozen with the benchmarks: the location's place in its region and brand
    region_rank: Rank | None = None
    brand_rank: Rank | None = None
    location_nps: LocationNps | None = None
    # this location's previous approved audits of the checklist and this one, oldest first
    trend: tuple[TrendPoint, ...] = ()
    # the benchmarks' date: the approval date, or the day of an unapproved preview;
    # printed as "benchmarks as of"
    generated_at: date | None = None
    # the audit's public id, printed as a short reference the owner can quote to HQ
    reference: str = ""
    # the previous approved visit's failed and weak items, checked by this one
    since_last: SinceLastVisit | None = None
    # 1 as first issued; one more for every appeal decision that changed a score
    version: int = 1
    # the day of the latest such decision (the re-approval): None for version 1
    amended_on: date | None = None
    # the decisions on the owner's appeals up to this version, in the order made
    amendments: tuple[Amendment, ...] = ()
    # The language it is written in (audit.i18n): its labels, dates and
    # numbers; the checklist's texts are already in it where they exist.
    language: str = "en"

    def photo_paths(self) -> list[Path]:
        """Every photo the report may load (the fetcher's allow-list)."""
        return [
            path
            for photos in (self.photos, self.images)
            for paths in photos.values()
            for path in paths
        ]


def without_hq_items(data: ReportData) -> ReportData:
    """The report as the owner gets it: nothing of the ``audience: hq`` items.

    Their answers, photos and the items themselves go; they are never scored,
    so every figure stays the same. HQ's preview is this same document.
    """
    hq_only = data.checklist.hq_item_ids()
    if not hq_only:
        return data
    card = data.scorecard
    return replace(
        data,
        checklist=data.checklist.for_owners(),
        scorecard=replace(
            card,
            items=tuple(r for r in card.items if r.item.id not in hq_only),
            missing=tuple(i for i in card.missing if i not in hq_only),
        ),
        photos={item: paths for item, paths in data.photos.items() if item not in hq_only},
        images={item: paths for item, paths in data.images.items() if item not in hq_only},
    )


def without_unshown_evidence(data: ReportData) -> ReportData:
    """The report without photos of items answered N/A or hidden by ``show_if``.

    Such an answer counts nowhere, so a photo under it would print evidence of
    something the report says did not apply (submission refuses it too, but
    older audits may hold one).
    """
    shown = {
        r.item.id
        for r in data.scorecard.items
        if r.visible and not (r.answer is not None and r.answer.na)
    }
    return replace(
        data,
        photos={item: paths for item, paths in data.photos.items() if item in shown},
        images={item: paths for item, paths in data.images.items() if item in shown},
    )


def report_filename(data: ReportData) -> str:
    """The PDF's file name for downloads and e-mail: location code, visit date, version."""
    code = re.sub(r"[^A-Za-z0-9._-]+", "-", data.location_code).strip("-") or "location"
    version = f"-v{data.version}" if data.version > 1 else ""
    return f"experience-report-{code}-{data.visit_date.isoformat()}{version}.pdf"
