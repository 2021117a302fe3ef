"""Queries behind the experience report: the audit, peers' means, the trend, snapshots.

Peers' means and the trend are read from the scores stored at submission
(``Audit.overall`` and ``SectionScore``), approved audits only, never by
scoring again. What a report makes of them is :mod:`audit.workflow.reports`;
nothing read here about the auditor reaches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.functions import Avg, Count, Max
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from audit.models import (
    Assignment,
    Audit,
    Brand,
    Location,
    Photo,
    Region,
    ReportBenchmarks,
    SectionScore,
)

# -- the audit a report is made of


async def audit_by_uuid(audit_uuid: str) -> Audit | None:
    """The audit with its location and checklist version loaded."""
    return await Audit.get_or_none(uuid=audit_uuid).select_related("location", "checklist")


async def audit_by_id(audit_id: int) -> Audit | None:
    return await Audit.get_or_none(id=audit_id).select_related("location", "checklist")


async def approved_audit_location(audit_uuid: str) -> tuple[int, int] | None:
    """(audit id, location id) of an approved audit; None for any other."""
    rows = (
        await Audit.filter(uuid=audit_uuid, status="approved")
        .limit(1)
        .values_list("id", "location_id")
    )
    return (int(rows[0][0]), int(rows[0][1])) if rows else None


async def brand_and_region_names(location: Location) -> tuple[str | None, str | None]:
    # By id, so the caller may have loaded the location with or without these relations.
    brand = await Brand.get_or_none(id=location.brand_id)  # type: ignore[attr-defined]
    region = await Region.get_or_none(id=location.region_id)  # type: ignore[attr-defined]
    return (
        brand.name if brand is not None else None,
        region.name if region is not None else None,
    )


async def photo_rows(audit_id: int) -> list[tuple[str, str, str]]:
    """(item id, image path, thumbnail path under the media directory) of each photo,
    in upload order."""
    rows = (
        await Photo.filter(audit_id=audit_id)
        .order_by("created_at", "id")
        .values_list("item_id", "path", "thumb_path")
    )
    return [(str(item_id), str(image), str(thumb)) for item_id, image, thumb in rows]


async def approved_audit_uuids(since: date | None = None) -> list[str]:
    """Approved audits visited on or after ``since``, oldest first (``audit report --all``)."""
    query = Audit.filter(status="approved")
    if since is not None:
        query = query.filter(visit_date__gte=since)
    rows = await query.order_by("visit_date", "id").values_list("uuid", flat=True)
    return [str(u) for u in rows]


# -- peers: other locations' approved audits of a checklist


@dataclass(frozen=True)
class PeerMean:
    """Means of the stored scores of a set of approved audits (each counts once, nulls left out)."""

    overall: float | None
    audits: int  # the audits behind ``overall``
    touchpoints: Mapping[str, float | None]
    last_approved: datetime | None = None  # the latest approval among them


@dataclass(frozen=True)
class Peers:
    """Which audits a benchmark averages: see :func:`peer_mean`."""

    checklist_slug: str
    location_id: int  # the audit's own location, left out
    audit_id: int  # the audit itself, left out (its location is too: belt and braces)
    brand_id: int | None
    visited_from: date | None  # inclusive; None: every earlier visit
    visited_to: date  # inclusive


async def peer_mean(peers: Peers, region_id: int | None = None) -> PeerMean:
    """Means over approved audits of ``peers.checklist_slug`` at other locations of the brand
    (of the region too, when ``region_id`` is given), visited in the window."""
    audits = _peer_audits(peers, region_id)
    rows = (
        await audits.filter(overall__isnull=False)
        .annotate(mean=Avg("overall"), n=Count("id"), last=Max("approved_at"))
        .values("mean", "n", "last")
    )
    n = int(rows[0]["n"] or 0) if rows else 0
    overall = float(rows[0]["mean"]) if n else None
    last: datetime | None = rows[0]["last"] if n else None
    # Means of section scores per touchpoint. Each audit counts once per
    # touchpoint when a checklist has one section per touchpoint, as every
    # shipped checklist does; a touchpoint split over two sections would be
    # weighted by section instead of by audit.
    tp_rows = (
        await SectionScore.filter(audit_id__in=Subquery(audits.values("id")), score__isnull=False)
        .annotate(mean=Avg("score"))
        .group_by("touchpoint")
        .values("touchpoint", "mean")
    )
    touchpoints = {
        str(r["touchpoint"]): float(r["mean"]) if r["mean"] is not None else None for r in tp_rows
    }
    return PeerMean(overall, n, touchpoints, last)


async def peer_location_means(peers: Peers, region_id: int | None = None) -> list[float]:
    """Each peer location's mean overall over the same audits as :func:`peer_mean` (the rank)."""
    rows = (
        await _peer_audits(peers, region_id)
        .filter(overall__isnull=False)
        .annotate(mean=Avg("overall"))
        .group_by("location_id")
        .values("location_id", "mean")
    )
    return [float(r["mean"]) for r in rows if r["mean"] is not None]


def _peer_audits(peers: Peers, region_id: int | None) -> QuerySet[Audit]:
    locations = Location.filter(
        Q(brand_id=peers.brand_id) if peers.brand_id is not None else Q(brand_id__isnull=True)
    )
    if region_id is not None:
        locations = locations.filter(region_id=region_id)
    query = (
        Audit.filter(
            status="approved",
            checklist_slug=peers.checklist_slug,
            visit_date__lte=peers.visited_to,
            # Locations by subquery, not by join: with a join Tortoise groups
            # the aggregate by every audit column and returns one row per audit.
            location_id__in=Subquery(locations.values("id")),
        )
        .exclude(location_id=peers.location_id)
        .exclude(id=peers.audit_id)
    )
    if peers.visited_from is not None:
        query = query.filter(visit_date__gte=peers.visited_from)
    return query


async def drop_snapshots_benchmarked_by(
    checklist_slug: str, brand_id: int | None, location_id: int, visit: date
) -> int:
    """Forget the frozen benchmarks that a newly approved audit belongs in; how many.

    Those of approved audits of the checklist at other locations of the brand
    visited on or after ``visit``: their peers now include it.  An approval is
    normally of the latest visits, so this is normally none.
    """
    locations = Location.filter(
        Q(brand_id=brand_id) if brand_id is not None else Q(brand_id__isnull=True)
    ).exclude(id=location_id)
    affected = Audit.filter(
        status="approved",
        checklist_slug=checklist_slug,
        visit_date__gte=visit,
        location_id__in=Subquery(locations.values("id")),
    )
    dropped: int = await ReportBenchmarks.filter(
        audit_id__in=Subquery(affected.values("id"))
    ).delete()
    return dropped


@dataclass(frozen=True)
class TrendRow:
    visit_date: date
    overall: float | None
    nps: int | None
    touchpoints: Mapping[str, float | None]  # touchpoint → section score
    wave: str | None = None  # the name of the wave the visit was made for


async def wave_names(audit_uuids: list[str]) -> dict[str, str]:
    """The name of the wave each of these audits was made for (those made for one)."""
    if not audit_uuids:
        return {}
    rows = await Assignment.filter(audit_uuid__in=audit_uuids, wave_id__isnull=False).values_list(
        "audit_uuid", "wave__name"
    )
    return {str(uuid): str(name) for uuid, name in rows}


async def trend_rows(
    checklist_slug: str, location_id: int, audit_id: int, visit: date, limit: int
) -> list[TrendRow]:
    """Up to ``limit`` approved audits of the location visited on or before ``visit``
    (not ``audit_id``), newest first, with their touchpoint scores."""
    rows = (
        await Audit.filter(
            status="approved",
            checklist_slug=checklist_slug,
            location_id=location_id,
            visit_date__lte=visit,
            visit_date__isnull=False,
        )
        .exclude(id=audit_id)
        .order_by("-visit_date", "-id")
        .limit(limit)
        .values_list("id", "visit_date", "overall", "nps", "uuid")
    )
    waves = await wave_names([str(r[4]) for r in rows])
    by_audit: dict[int, dict[str, float | None]] = {int(r[0]): {} for r in rows}
    if by_audit:
        for aid, touchpoint, score in await SectionScore.filter(
            audit_id__in=list(by_audit)
        ).values_list("audit_id", "touchpoint", "score"):
            by_audit[int(aid)][str(touchpoint)] = float(score) if score is not None else None
    return [
        TrendRow(
            day,
            float(score) if score is not None else None,
            int(nps) if nps is not None else None,
            by_audit[int(aid)],
            waves.get(str(uuid)),
        )
        for aid, day, score, nps, uuid in rows
    ]


# -- benchmark snapshots, one row per approved audit


async def stored_snapshot(audit_id: int) -> tuple[dict[str, Any], date | None] | None:
    row = await ReportBenchmarks.get_or_none(audit_id=audit_id)
    if row is None:
        return None
    return dict(row.snapshot), row.as_of


async def store_snapshot_once(
    audit_id: int, snapshot: dict[str, Any], as_of: date | None
) -> tuple[dict[str, Any], date | None]:
    """Keep the audit's first snapshot; return the one stored (this one or an earlier writer's).

    Two first freezes may race (the approval's hook and a download, or two
    workers): the unique audit lets the first insert win.
    """
    try:
        # Its own transaction (a savepoint inside the caller's): on PostgreSQL
        # a failed insert would otherwise spoil an enclosing transaction.
        async with in_transaction():
            await ReportBenchmarks.create(audit_id=audit_id, snapshot=snapshot, as_of=as_of)
    except IntegrityError:
        stored = await stored_snapshot(audit_id)
        if stored is None:
            raise  # not a duplicate: the audit itself is gone
        return stored
    return snapshot, as_of


async def replace_snapshot(audit_id: int, snapshot: dict[str, Any], as_of: date | None) -> None:
    """Replace the audit's snapshot (an amended report is frozen again); inside a transaction."""
    await ReportBenchmarks.filter(audit_id=audit_id).delete()
    await ReportBenchmarks.create(audit_id=audit_id, snapshot=snapshot, as_of=as_of)
