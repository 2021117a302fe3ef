"""Waves: storing one with its assignments, listing them, and their progress.

A wave's progress is never stored: it is counted from its assignments and
the audits linked to them, per region, in one statement that reads the
assignment index ``(wave_id, location_id, auditor_id, due, audit_uuid)``
and looks each linked audit up by its unique uuid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from audit.models import Assignment, ChecklistVersion, Location, Region, User, Wave
from audit.store import sql
from audit.store.sql import dialect_sql
from audit.wave_plan import Coverage, PlannedVisit

# Rows per INSERT: SQLite allows 32,766 parameters a statement, and nine a row.
INSERT_BATCH = 500


@dataclass(frozen=True)
class NewWave:
    name: str
    checklist: ChecklistVersion
    starts_on: date
    ends_on: date
    visits_per_location: int
    coverage: Coverage
    allow_repeat: bool
    release_days: int
    created_by_id: int | None
    notes: str = ""


async def create_wave(
    new: NewWave,
    location_ids: Sequence[int],
    visits: Sequence[PlannedVisit],
    now: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> Wave:
    """The wave and one open assignment per planned visit, in one transaction.

    ``on_progress(stored, total)`` is called after each batch of rows (the
    command line's progress bar); nothing is visible to others until the end.
    """
    async with in_transaction():
        wave = await Wave.create(
            name=new.name,
            checklist_slug=new.checklist.slug,
            checklist=new.checklist,
            starts_on=new.starts_on,
            ends_on=new.ends_on,
            visits_per_location=new.visits_per_location,
            coverage=new.coverage.as_json(),
            allow_repeat=new.allow_repeat,
            release_days=new.release_days,
            created_by_id=new.created_by_id,
        )
        # Hand-written multi-row INSERTs: 4,000 ORM objects took seconds.
        columns = (
            "location_id, checklist_slug, due, notes, created_at, wave_id, opens_on, "
            "coverage, release_by"
        )
        row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
        created = now
        for start in range(0, len(visits), INSERT_BATCH):
            batch = visits[start : start + INSERT_BATCH]
            values: list[Any] = []
            for v in batch:
                values += sql.db_values(
                    Assignment,
                    {
                        "location_id": location_ids[v.location_index],
                        "checklist_slug": new.checklist.slug,
                        "due": v.due,
                        "notes": new.notes,
                        "created_at": created,
                        "wave_id": wave.id,
                        "opens_on": v.opens_on,
                        "coverage": v.slot,
                        "release_by": v.release_by,
                    },
                )
            await sql.execute(
                Assignment,
                f"INSERT INTO assignment ({columns}) VALUES {', '.join([row] * len(batch))}",
                values,
            )
            if on_progress is not None:
                on_progress(start + len(batch), len(visits))
    return wave


async def _waves(brand_ids: Sequence[int]) -> QuerySet[Wave]:
    """Every wave, or (``brand_ids``) those whose every location is of these brands."""
    if not brand_ids:
        return Wave.all()
    outside = Q(location__brand_id__isnull=True) | ~Q(location__brand_id__in=list(brand_ids))
    foreign = await Assignment.filter(outside, wave_id__isnull=False).distinct().values("wave_id")
    return Wave.exclude(id__in=[int(r["wave_id"]) for r in foreign])


async def wave_named(name: str, brand_ids: Sequence[int] = ()) -> Wave | None:
    return await (await _waves(brand_ids)).get_or_none(name=name).select_related("checklist")


async def wave_by_id(wave_id: int, brand_ids: Sequence[int] = ()) -> Wave | None:
    return await (await _waves(brand_ids)).get_or_none(id=wave_id).select_related("checklist")


async def all_waves(brand_ids: Sequence[int] = ()) -> list[Wave]:
    """Every wave (of ``brand_ids``), the latest window first."""
    query = await _waves(brand_ids)
    return await query.select_related("checklist").order_by("-starts_on", "-id")


async def wave_names(brand_ids: Sequence[int] = ()) -> list[tuple[int, str]]:
    query = await _waves(brand_ids)
    rows = await query.order_by("-starts_on", "-id").values_list("id", "name")
    return [(int(i), str(n)) for i, n in rows]


async def waves_of_checklist(slug: str, brand_ids: Sequence[int] = ()) -> list[Wave]:
    query = await _waves(brand_ids)
    return await query.filter(checklist_slug=slug).order_by("starts_on", "id")


async def location_ids(codes: Sequence[str], brand_ids: Sequence[int] = ()) -> dict[str, int]:
    """Code → id of the known ones among ``codes`` (of ``brand_ids``, when given)."""
    found: dict[str, int] = {}
    chunk = 500
    for start in range(0, len(codes), chunk):
        query = Location.filter(code__in=list(codes[start : start + chunk]))
        if brand_ids:
            query = query.filter(brand_id__in=list(brand_ids))
        rows = await query.values_list("code", "id")
        found.update({str(c): int(i) for c, i in rows})
    return found


async def all_location_ids(region: str | None = None, brand_ids: Sequence[int] = ()) -> list[int]:
    """Every location's id (or those of one region, of ``brand_ids``), in code order."""
    query = Location.all()
    if brand_ids:
        query = query.filter(brand_id__in=list(brand_ids))
    if region is not None:
        query = query.filter(region__name=region)
    return [int(i) for i in await query.order_by("code").values_list("id", flat=True)]  # type: ignore[call-overload]


async def region_exists(name: str) -> bool:
    return await Region.exists(name=name)


@dataclass(frozen=True)
class Progress:
    """Counts of one region's (or the whole wave's) visits."""

    region: str
    planned: int
    claimed: int  # given, claimed or started by an auditor
    started: int
    submitted: int  # submitted or approved (sent by the auditor)
    approved: int
    overdue: int  # due date passed and not submitted

    def share(self, count: int) -> float:
        return 0.0 if not self.planned else count / self.planned


# Not sent yet: no audit, a draft, or returned to the auditor.
_OPEN_STATUS = "(a.status IS NULL OR a.status IN ('draft', 'returned'))"


async def progress(wave_id: int, today: date) -> list[Progress]:
    """Per region (by name; "" for locations without one), the wave's counts."""
    db = sql.connection(Assignment)
    dialect = db.capabilities.dialect
    day = today if dialect == "postgres" else today.isoformat()
    statement = (
        "SELECT COALESCE(r.name, '') AS region, COUNT(*) AS planned, "
        "COUNT(CASE WHEN asg.auditor_id IS NOT NULL OR asg.audit_uuid IS NOT NULL THEN 1 END), "
        "COUNT(a.id), "
        "COUNT(CASE WHEN a.status IN ('submitted', 'approved') THEN 1 END), "
        "COUNT(CASE WHEN a.status = 'approved' THEN 1 END), "
        f"COUNT(CASE WHEN asg.due < ? AND {_OPEN_STATUS} THEN 1 END) "
        "FROM assignment asg JOIN location l ON l.id = asg.location_id "
        "LEFT JOIN region r ON r.id = l.region_id "
        "LEFT JOIN audit a ON a.uuid = asg.audit_uuid "
        "WHERE asg.wave_id = ? GROUP BY COALESCE(r.name, '') ORDER BY 1"
    )
    _, rows = await db.execute_query(dialect_sql(statement, dialect), [day, wave_id])
    return [Progress(str(r[0]), *(int(v) for v in r[1:])) for r in rows]


def total(rows: Sequence[Progress]) -> Progress:
    return Progress(
        "",
        *(sum(getattr(r, name) for r in rows) for name in _COUNTS),
    )


_COUNTS = ("planned", "claimed", "started", "submitted", "approved", "overdue")


async def wave_totals(today: date) -> dict[int, Progress]:
    """Wave id → its whole progress, for the list of waves (one statement for all)."""
    db = sql.connection(Assignment)
    dialect = db.capabilities.dialect
    day = today if dialect == "postgres" else today.isoformat()
    statement = (
        "SELECT asg.wave_id, COUNT(*), "
        "COUNT(CASE WHEN asg.auditor_id IS NOT NULL OR asg.audit_uuid IS NOT NULL THEN 1 END), "
        "COUNT(a.id), "
        "COUNT(CASE WHEN a.status IN ('submitted', 'approved') THEN 1 END), "
        "COUNT(CASE WHEN a.status = 'approved' THEN 1 END), "
        f"COUNT(CASE WHEN asg.due < ? AND {_OPEN_STATUS} THEN 1 END) "
        "FROM assignment asg LEFT JOIN audit a ON a.uuid = asg.audit_uuid "
        "WHERE asg.wave_id IS NOT NULL GROUP BY asg.wave_id"
    )
    _, rows = await db.execute_query(dialect_sql(statement, dialect), [day])
    return {int(r[0]): Progress("", *(int(v) for v in r[1:])) for r in rows}


async def open_visit_of(wave_id: int, location_code: str) -> Assignment | None:
    """The location's first visit of the wave that nobody has yet (earliest due first)."""
    return (
        await Assignment.filter(
            wave_id=wave_id, location__code=location_code, auditor_id=None, audit_uuid=None
        )
        .order_by("due", "id")
        .first()
    )


async def active_auditor_id(email: str) -> int | None:
    found = await User.get_or_none(email=email.strip().lower(), role="auditor", active=True)
    return found.id if found is not None else None
