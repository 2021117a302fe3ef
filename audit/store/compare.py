"""Every query behind HQ's comparisons, queue and exports.

The aggregates are raw SQL over the per-audit stored scores (``audit``'s
overall/service/experience/nps, ``section_score``, ``item_score``): sums and
counts per group, never answers.  :mod:`audit.compare` turns them into means.

Two shapes of touchpoint query: when every section of the compared
checklist versions has its own touchpoint, an audit's touchpoint score *is*
its section score and one join with ``GROUP BY`` suffices; when two sections
share a touchpoint, an inner query first takes each audit's section-weighted
mean, so that audit still counts once.

Approved audits are also counted ahead, per month and in total
(:mod:`audit.store.rollups`).  :func:`tallies` reads the whole months of a
period from those rollups (a period without dates from the totals), and only
the days at its edges (and any approved audit the rollups do not count yet)
from the audits' own rows; the sums and counts of the parts add up::

    2025-01-17 ...... 2025-02-01 ........... 2025-06-30 ...... 2025-07-09
    |-- audit rows --|---------- rollups ---------------|-- audit rows --|
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

from tortoise import connections

from audit.compare import (
    DETRACTOR_MAX,
    FAIL_BELOW,
    PROMOTER_MIN,
    ItemTally,
    Mean,
    Nps,
    Place,
    Tally,
    edge_days,
    month_end,
    whole_months,
)
from audit.models import Audit, Brand, ChecklistVersion, Location, Region
from audit.store.checklists import parsed
from audit.store.rollups import APPROVED, MONTHS, TOTALS, TOUCHPOINT_SCORE, Level

Group = Literal["location", "month", "all"]
# False: every figure from the audits' own rows (the benchmark's "before",
# and the reference the rollup tests compare with).
USE_ROLLUPS = True


@dataclass(frozen=True)
class Scope:
    """Which audits a comparison looks at (approved ones unless ``status`` says so)."""

    checklist: str | None
    version_ids: tuple[int, ...] = ()  # empty: every version of the checklist
    region_id: int | None = None
    brand_id: int | None = None
    location_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = APPROVED  # None: any status
    unrolled_only: bool = False  # only approved audits the rollups do not count

    def between(self, start: date | None, end: date | None) -> Scope:
        return replace(self, date_from=start, date_to=end)


class _Query:
    """Parameters in order, rendered as ``?`` (SQLite) or ``$n`` (PostgreSQL)."""

    def __init__(self) -> None:
        self.conn = connections.get("default")
        self.postgres = self.conn.capabilities.dialect == "postgres"
        self.params: list[Any] = []

    def __call__(self, value: Any) -> str:
        if isinstance(value, date) and not self.postgres:
            value = value.isoformat()  # SQLite keeps dates as ISO text
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else "?"

    def month(self, column: str) -> str:
        if self.postgres:
            return f"to_char({column}, 'YYYY-MM')"
        return f"substr({column}, 1, 7)"

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.conn.execute_query_dict(sql, self.params)
        return found

    async def tuples(self, sql: str) -> Sequence[Any]:
        """Rows that unpack like tuples (no dict per row: the big aggregates are hot)."""
        found: tuple[int, Sequence[Any]] = await self.conn.execute_query(sql, self.params)
        return found[1]


def _where(scope: Scope, q: _Query) -> str:
    # Parameters are added in the order they appear in the text (SQLite's ``?``).
    parts: list[str] = []
    if scope.status is not None:
        parts.append(f"a.status = {q(scope.status)}")
    if scope.unrolled_only:
        # Literal, as the partial index audit_not_rolled_up says it (0004_rollups).
        parts.append(f"a.status = '{APPROVED}' AND a.rolled_up = FALSE")
    if scope.checklist is not None:
        parts.append(f"a.checklist_slug = {q(scope.checklist)}")
    if scope.date_from is not None:
        parts.append(f"a.visit_date >= {q(scope.date_from)}")
    if scope.date_to is not None:
        parts.append(f"a.visit_date <= {q(scope.date_to)}")
    parts.extend(_place_filters(scope, q, "a"))
    return " AND ".join(parts) or "1 = 1"


def _rollup_where(scope: Scope, months: tuple[date | None, date | None], q: _Query) -> str:
    """The rollup rows (alias ``r``) of the scope's whole months ``(first, last)``."""
    parts: list[str] = []
    if scope.checklist is not None:
        parts.append(f"r.checklist_slug = {q(scope.checklist)}")
    first, last = months
    if first is not None:
        parts.append(f"r.month >= {q(first)}")
    if last is not None:
        parts.append(f"r.month <= {q(last)}")
    parts.extend(_place_filters(scope, q, "r"))
    return " AND ".join(parts) or "1 = 1"


def _place_filters(scope: Scope, q: _Query, alias: str) -> list[str]:
    """Version, location, region and brand conditions on the table ``alias``."""
    parts: list[str] = []
    if scope.version_ids:
        parts.append(f"{alias}.checklist_id IN ({', '.join(q(v) for v in scope.version_ids)})")
    if scope.location_id is not None:
        parts.append(f"{alias}.location_id = {q(scope.location_id)}")
    if scope.region_id is not None:
        parts.append(
            f"{alias}.location_id IN "
            f"(SELECT id FROM location WHERE region_id = {q(scope.region_id)})"
        )
    if scope.brand_id is not None:
        parts.append(
            f"{alias}.location_id IN (SELECT id FROM location WHERE brand_id = {q(scope.brand_id)})"
        )
    return parts


def _group_expr(group: Group, q: _Query, alias: str = "a") -> str | None:
    if group == "location":
        return f"{alias}.location_id"
    if group == "month":
        return q.month("a.visit_date" if alias == "a" else f"{alias}.month")
    return None


# ---- Reference data for filters


async def checklist_versions(slug: str) -> list[ChecklistVersion]:
    """All stored versions of a checklist, the current one first."""
    return await ChecklistVersion.filter(slug=slug).order_by("-is_current", "-version", "-id")


async def current_checklists() -> list[ChecklistVersion]:
    return await ChecklistVersion.filter(is_current=True).order_by("title", "slug")


async def region_by_name(name: str) -> Region | None:
    return await Region.get_or_none(name=name)


async def brand_by_name(name: str) -> Brand | None:
    return await Brand.get_or_none(name=name)


async def region_names() -> list[str]:
    return list(await Region.all().order_by("name").values_list("name", flat=True))  # type: ignore[arg-type]


async def brand_names() -> list[str]:
    return list(await Brand.all().order_by("name").values_list("name", flat=True))  # type: ignore[arg-type]


async def location_place(code: str) -> tuple[int, Place, int | None, int | None] | None:
    """(id, place, region id, brand id) of a location by code."""
    rows = await Location.filter(code=code).values(
        "id", "code", "name", "region_id", "brand_id", region_name="region__name"
    )
    if not rows:
        return None
    r = rows[0]
    return r["id"], Place(r["code"], r["name"], r["region_name"]), r["region_id"], r["brand_id"]


async def places(location_ids: Iterable[int] | None = None) -> dict[int, Place]:
    """Location id → (code, name, region name); all locations when ids is None."""
    q = _Query()
    sql = (
        "SELECT l.id, l.code, l.name, r.name AS region FROM location l "
        "LEFT JOIN region r ON r.id = l.region_id"
    )
    if location_ids is not None:
        ids = sorted(set(location_ids))
        if not ids:
            return {}
        if len(ids) <= 500:
            sql += f" WHERE l.id IN ({', '.join(q(i) for i in ids)})"
    return {r["id"]: Place(r["code"], r["name"], r["region"]) for r in await q.rows(sql)}


def journey(versions: Sequence[ChecklistVersion]) -> list[str]:
    """Touchpoints in journey order: the first version's, then any only older ones had."""
    order: dict[str, None] = {}
    for version in versions:
        order.update(dict.fromkeys(parsed(version).touchpoints()))
    return list(order)


def shares_touchpoints(versions: Sequence[ChecklistVersion]) -> bool:
    """Does any version have two sections on one touchpoint?"""
    for version in versions:
        sections = parsed(version).sections
        if len({s.touchpoint for s in sections}) != len(sections):
            return True
    return False


# ---- Aggregates


class _Sums:
    """Sums and counts per group key, added up from any number of row sets.

    The drivers hand back ints and floats as they are (every summed column
    is INT or REAL); a SUM over nothing but nulls is None, taken as 0.
    """

    def __init__(self) -> None:
        # key -> [audits, overall, n, service, n, experience, n, promoters, detractors, answers]
        self.audits: dict[Any, list[Any]] = {}
        self.points: dict[Any, dict[str, list[Any]]] = {}

    def add_audits(self, rows: Iterable[Sequence[Any]]) -> None:
        for key, *values in rows:
            found = self.audits.get(key)
            if found is None:
                self.audits[key] = [0.0 if v is None else v for v in values]
            else:
                for n, v in enumerate(values):
                    if v is not None:
                        found[n] += v

    def add_points(self, rows: Iterable[Sequence[Any]]) -> None:
        for key, touchpoint, total_, count in rows:
            per = self.points.get(key)
            if per is None:
                per = self.points[key] = {}
            found = per.get(touchpoint)
            if found is None:
                per[touchpoint] = [total_ or 0.0, count]
            else:
                found[0] += total_ or 0.0
                found[1] += count

    def tallies(self) -> dict[Any, Tally]:
        out: dict[Any, Tally] = {}
        no_points: dict[str, list[Any]] = {}
        for key, (audits, o, on, s, sn, e, en, p, d, n) in self.audits.items():
            if audits:
                points = self.points.get(key, no_points)
                out[key] = Tally(
                    audits,
                    Mean(o, on),
                    Mean(s, sn),
                    Mean(e, en),
                    Nps(p, d, n),
                    {tp: Mean(t, c) for tp, (t, c) in points.items()},
                )
        return out


async def tallies(
    scope: Scope,
    group: Group,
    shared_touchpoints: bool,
    touchpoints: bool = True,
    *,
    rollups: bool | None = None,
) -> dict[Any, Tally]:
    """Group key (location id, "YYYY-MM" or None) -> Tally of the scope's audits.

    ``touchpoints=False`` skips the section join when only the audit-level
    figures are wanted (a comparison line on a chart).  ``rollups``: True
    reads whole months from the rollups, False every audit's rows, None
    (the default) whichever is faster for the period.
    """
    sums = _Sums()
    parts = [scope]
    months = whole_months(scope.date_from, scope.date_to)
    if months is not None and scope.status == APPROVED and _rollups_pay(months, rollups):
        parts = [scope.between(*days) for days in edge_days(scope.date_from, scope.date_to)]
        first, last = months
        end = None if last is None else month_end(last)
        parts.append(replace(scope.between(first, end), unrolled_only=True))
        # Without dates, and unless by month, the totals hold the same sums.
        level = TOTALS if months == (None, None) and group != "month" else MONTHS
        sums.add_audits(await _rollup_audit_sums(scope, months, group, level))
        if touchpoints:
            sums.add_points(await _rollup_touchpoint_sums(scope, months, group, level))
    for part in parts:
        found = await _audit_sums(part, group)
        sums.add_audits(found)
        if found and touchpoints:
            sums.add_points(await _touchpoint_sums(part, group, shared_touchpoints))
    return sums.tallies()


# Fewer whole months than this are read from the audits' rows: the rollups'
# index is ordered by location, so reading them costs about as much for two
# months as for all of them, while two months of audits are cheap (the
# 90-day dashboard, bench/compare.py).
MIN_ROLLUP_MONTHS = 3


def _rollups_pay(months: tuple[date | None, date | None], rollups: bool | None) -> bool:
    if rollups is not None:
        return rollups
    first, last = months
    if not USE_ROLLUPS:
        return False
    if first is None:
        return True
    last = last or datetime.now(UTC).date().replace(day=1)  # an open end: until now
    return (last.year - first.year) * 12 + last.month - first.month + 1 >= MIN_ROLLUP_MONTHS


async def _rollup_audit_sums(
    scope: Scope, months: tuple[date | None, date | None], group: Group, level: Level
) -> Sequence[Any]:
    q = _Query()
    expr = _group_expr(group, q, "r")
    where = _rollup_where(scope, months, q)
    sql = (
        f"SELECT {expr or 'NULL'} AS grp, SUM(r.audits), "
        "SUM(r.overall_sum), SUM(r.overall_count), SUM(r.service_sum), SUM(r.service_count), "
        "SUM(r.experience_sum), SUM(r.experience_count), "
        "SUM(r.nps_promoters), SUM(r.nps_detractors), SUM(r.nps_answers) "
        f"FROM {level.audits} r WHERE {where}"
    )
    if expr:
        sql += f" GROUP BY {_rollup_group(group, expr)}"
    return await q.tuples(sql)


def _rollup_group(group: Group, expr: str) -> str:
    # A rollup's month is the month's first day: grouped by the column itself,
    # rows come in the order of the month index and need no sorting.
    return "r.month" if group == "month" else expr


async def _rollup_touchpoint_sums(
    scope: Scope, months: tuple[date | None, date | None], group: Group, level: Level
) -> Sequence[Any]:
    q = _Query()
    expr = _group_expr(group, q, "r")
    by = f"{_rollup_group(group, expr)}, " if expr else ""
    where = _rollup_where(scope, months, q)
    sql = (
        f"SELECT {expr or 'NULL'} AS grp, r.touchpoint, SUM(r.score_sum), SUM(r.score_count) "
        f"FROM {level.touchpoints} r WHERE {where} GROUP BY {by}r.touchpoint"
    )
    return await q.tuples(sql)


async def _audit_sums(scope: Scope, group: Group) -> Sequence[Any]:
    q = _Query()
    expr = _group_expr(group, q)
    where = _where(scope, q)
    sql = (
        f"SELECT {expr or 'NULL'} AS grp, COUNT(*) AS audits, "
        "SUM(a.overall), COUNT(a.overall), SUM(a.service), COUNT(a.service), "
        "SUM(a.experience), COUNT(a.experience), "
        f"COUNT(CASE WHEN a.nps >= {PROMOTER_MIN:d} THEN 1 END), "
        f"COUNT(CASE WHEN a.nps <= {DETRACTOR_MAX:d} THEN 1 END), "
        f"COUNT(a.nps) FROM audit a WHERE {where}"
    )
    if expr:
        sql += f" GROUP BY {expr}"
    return await q.tuples(sql)


async def _touchpoint_sums(scope: Scope, group: Group, shared_touchpoints: bool) -> Sequence[Any]:
    q = _Query()
    expr = _group_expr(group, q)
    by = f"{expr}, " if expr else ""
    where = _where(scope, q)
    if not shared_touchpoints:
        sql = (
            f"SELECT {expr or 'NULL'} AS grp, s.touchpoint, SUM(s.score), COUNT(s.score) "
            f"FROM audit a JOIN section_score s ON s.audit_id = a.id WHERE {where} "
            f"GROUP BY {by}s.touchpoint"
        )
    else:
        outer_by = "t.grp, " if expr else ""
        # Without a group, NULL: PostgreSQL refuses t.grp outside the GROUP BY.
        outer = "t.grp" if expr else "NULL"
        sql = (
            f"SELECT {outer}, t.tp, SUM(t.score), COUNT(t.score) FROM ("
            f"SELECT {expr or 'NULL'} AS grp, a.id AS audit_id, s.touchpoint AS tp, "
            f"{TOUCHPOINT_SCORE} AS score "
            f"FROM audit a JOIN section_score s ON s.audit_id = a.id WHERE {where} "
            f"GROUP BY {by}a.id, s.touchpoint) t GROUP BY {outer_by}t.tp"
        )
    return await q.tuples(sql)


async def overall_by_location(scope: Scope, *, rollups: bool | None = None) -> dict[int, Mean]:
    """Location id → overall Mean (the previous period of a league table)."""
    found = await tallies(scope, "location", False, touchpoints=False, rollups=rollups)
    return {key: tally.overall for key, tally in found.items()}


async def item_tallies(scope: Scope) -> dict[tuple[str, str, str | None], ItemTally]:
    """(item id, touchpoint, region name) → ItemTally of the scope's counted items."""
    q = _Query()
    where = _where(scope, q)
    sql = (
        "SELECT g.item_id, g.touchpoint, r.name AS region, g.answered, g.failed, g.points "
        "FROM (SELECT i.item_id, i.touchpoint, l.region_id, COUNT(*) AS answered, "
        f"COUNT(CASE WHEN i.points < {FAIL_BELOW!r} THEN 1 END) AS failed, "
        "SUM(i.points) AS points "
        "FROM audit a JOIN item_score i ON i.audit_id = a.id "
        f"JOIN location l ON l.id = a.location_id WHERE {where} "
        "GROUP BY i.item_id, i.touchpoint, l.region_id) g "
        "LEFT JOIN region r ON r.id = g.region_id"
    )
    return {
        (r["item_id"], r["touchpoint"], r["region"]): ItemTally(
            int(r["answered"]), int(r["failed"]), float(r["points"] or 0.0)
        )
        for r in await q.rows(sql)
    }


# ---- Review queue


async def review_queue(limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """Submitted audits, the longest waiting first, and how many there are."""
    query = Audit.filter(status="submitted")
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
            location_code="location__code",
            location_name="location__name",
            region="location__region__name",
            checklist_title="checklist__title",
            checklist_version="checklist__version",
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
            "overall": r["overall"],
            "critical_failed": bool(r["critical_failed"]),
        }
        for r in rows
    ]


async def next_in_queue(after_uuid: str) -> str | None:
    """The submitted audit that waited longest, other than ``after_uuid``."""
    row = (
        await Audit.filter(status="submitted")
        .exclude(uuid=after_uuid)
        .order_by("submitted_at", "id")
        .first()
        .values("uuid")
    )
    return None if row is None else str(row["uuid"])


async def recent_audits(
    location_id: int, checklist: str | None, limit: int
) -> list[dict[str, Any]]:
    query = Audit.filter(location_id=location_id).exclude(status="draft")
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


# ---- Per-audit export

# The columns of an export chunk's audit rows, in order (raw rows: 100,000 of
# them are too many to wrap in objects).
AUDIT_COLUMNS = (
    "id",
    "uuid",
    "status",
    "checklist_slug",
    "checklist_id",
    "visit_date",
    "location_id",
    "auditor_id",
    "overall",
    "service",
    "experience",
    "nps",
    "critical_failed",
)
Sections = dict[int, list[tuple[str, float, float | None]]]  # audit id -> (tp, weight, score)


async def scoped_versions(scope: Scope) -> list[ChecklistVersion]:
    """The checklist versions an export of ``scope`` can meet, current ones first."""
    query = ChecklistVersion.all()
    if scope.checklist is not None:
        query = query.filter(slug=scope.checklist)
    if scope.version_ids:
        query = query.filter(id__in=scope.version_ids)
    return await query.order_by("-is_current", "slug", "-version", "-id")


async def version_numbers() -> dict[int, int]:
    rows = await ChecklistVersion.all().values_list("id", "version")
    return {int(i): int(v) for i, v in rows}


async def user_names() -> dict[int, str]:
    from audit.models import User

    rows = await User.all().values("id", "name", "email")
    return {r["id"]: r["name"] or r["email"] for r in rows}


async def audit_chunks(scope: Scope, chunk: int) -> AsyncIterator[tuple[Sequence[Any], Sections]]:
    """The scope's audits in id order, ``chunk`` at a time, with their section scores.

    Keyset paging (``id > last``) keeps memory flat at any size, and each
    chunk's sections come from one range scan of ``section_score.audit_id``.
    """
    last = 0
    while True:
        q = _Query()
        where = _where(scope, q)
        sql = (
            f"SELECT {', '.join(f'a.{c}' for c in AUDIT_COLUMNS)} FROM audit a "
            f"WHERE {where} AND a.id > {q(last)} ORDER BY a.id LIMIT {q(chunk)}"
        )
        rows = await q.tuples(sql)
        if not rows:
            return
        first, last = rows[0][0], rows[-1][0]
        yield rows, await _sections_between(first, last)
        if len(rows) < chunk:
            return


async def _sections_between(first: int, last: int) -> Sections:
    q = _Query()
    sql = (
        "SELECT audit_id, touchpoint, weight, score FROM section_score "
        f"WHERE audit_id >= {q(first)} AND audit_id <= {q(last)}"
    )
    out: Sections = {}
    for audit_id, touchpoint, weight, score in await q.tuples(sql):
        found = out.get(audit_id)
        if found is None:
            found = out[audit_id] = []
        found.append((touchpoint, weight, score))
    return out
