"""The sums and counts behind HQ's comparisons, league tables, charts and weakest items.

They are raw SQL over the per-audit stored scores (``audit``'s
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

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from audit.compare import (
    DETRACTOR_MAX,
    FAIL_BELOW,
    PROMOTER_MIN,
    ItemTally,
    Mean,
    Nps,
    Tally,
    edge_days,
    month_end,
    whole_months,
)
from audit.store.rollups import APPROVED, MONTHS, TOTALS, TOUCHPOINT_SCORE, Level
from audit.store.scope import Group, Query, Scope, audit_where, group_expr, rollup_where

# False: every figure from the audits' own rows (the benchmark's "before",
# and the reference the rollup tests compare with).
USE_ROLLUPS = True


class _Sums:
    """Sums and counts per group key, added up from any number of row sets.

    The drivers hand back ints and floats as they are (every summed column
    is INT or REAL); a SUM over nothing but nulls is None, taken as 0.
    """

    def __init__(self) -> None:
        # key -> [audits, overall, n, service, n, experience, n, promoters, detractors, answers]
        self.audits: dict[Any, list[Any]] = {}
        self.points: dict[Any, dict[str, list[Any]]] = {}
        self.consistency: dict[Any, list[Any]] = {}

    def add_consistency(self, rows: Iterable[Sequence[Any]]) -> None:
        for key, total_, count in rows:
            found = self.consistency.setdefault(key, [0.0, 0])
            found[0] += total_ or 0.0
            found[1] += count or 0

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
                    Mean(*self.consistency.get(key, (0.0, 0))),
                )
        return out


async def tallies(
    scope: Scope,
    group: Group,
    shared_touchpoints: bool,
    touchpoints: bool = True,
    *,
    rollups: bool | None = None,
    consistency: bool = False,
) -> dict[Any, Tally]:
    """Group key (location id, "YYYY-MM" or None) -> Tally of the scope's audits.

    ``touchpoints=False`` skips the section join when only the audit-level
    figures are wanted (a comparison line on a chart).  ``rollups``: True
    reads whole months from the rollups, False every audit's rows, None
    (the default) whichever is faster for the period.  ``consistency``
    also sums the audits' consistency scores (checklists with rules: the
    columns are outside the covering indexes, so others never read them).
    """
    sums = _Sums()
    parts = [scope]
    months = whole_months(scope.date_from, scope.date_to)
    if (
        months is not None
        and scope.status == APPROVED
        and scope.wave_id is None
        and _rollups_pay(months, rollups)
    ):
        parts = [scope.between(*days) for days in edge_days(scope.date_from, scope.date_to)]
        first, last = months
        end = None if last is None else month_end(last)
        parts.append(replace(scope.between(first, end), unrolled_only=True))
        # Without dates, and unless by month, the totals hold the same sums.
        level = TOTALS if months == (None, None) and group != "month" else MONTHS
        sums.add_audits(await _rollup_audit_sums(scope, months, group, level))
        if touchpoints:
            sums.add_points(await _rollup_touchpoint_sums(scope, months, group, level))
        if consistency:
            sums.add_consistency(await _rollup_consistency_sums(scope, months, group, level))
    for part in parts:
        found = await _audit_sums(part, group)
        sums.add_audits(found)
        if found and touchpoints:
            sums.add_points(await _touchpoint_sums(part, group, shared_touchpoints))
        if found and consistency:
            sums.add_consistency(await _consistency_sums(part, group))
    return sums.tallies()


async def _rollup_consistency_sums(
    scope: Scope, months: tuple[date | None, date | None], group: Group, level: Level
) -> Sequence[Any]:
    q = Query()
    expr = group_expr(group, q, "r")
    where = rollup_where(scope, months, q)
    sql = (
        f"SELECT {expr or 'NULL'} AS grp, SUM(r.consistency_sum), SUM(r.consistency_count) "
        f"FROM {level.audits} r WHERE {where}"
    )
    if expr:
        sql += f" GROUP BY {_rollup_group(group, expr)}"
    return await q.tuples(sql)


async def _consistency_sums(scope: Scope, group: Group) -> Sequence[Any]:
    q = Query()
    expr = group_expr(group, q)
    where = audit_where(scope, q)
    sql = (
        f"SELECT {expr or 'NULL'} AS grp, SUM(a.consistency), COUNT(a.consistency) "
        f"FROM audit a WHERE {where}"
    )
    if expr:
        sql += f" GROUP BY {expr}"
    return await q.tuples(sql)


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
    q = Query()
    expr = group_expr(group, q, "r")
    where = rollup_where(scope, months, q)
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
    q = Query()
    expr = group_expr(group, q, "r")
    by = f"{_rollup_group(group, expr)}, " if expr else ""
    where = rollup_where(scope, months, q)
    sql = (
        f"SELECT {expr or 'NULL'} AS grp, r.touchpoint, SUM(r.score_sum), SUM(r.score_count) "
        f"FROM {level.touchpoints} r WHERE {where} GROUP BY {by}r.touchpoint"
    )
    return await q.tuples(sql)


async def _audit_sums(scope: Scope, group: Group) -> Sequence[Any]:
    q = Query()
    expr = group_expr(group, q)
    where = audit_where(scope, q)
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
    q = Query()
    expr = group_expr(group, q)
    by = f"{expr}, " if expr else ""
    where = audit_where(scope, q)
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


async def critical_failures(scope: Scope) -> dict[int, int]:
    """Location id → how many of the scope's approved audits failed a critical item.

    Read through the partial index ``audit_critical_failed`` (0009), which
    holds only such audits: its condition is repeated here word for word,
    and SQLite is told to use it (its planner prefers the covering index of
    all approved audits, with one more equality column, and would read
    every approved audit's row for ``critical_failed``).
    """
    if scope.status != APPROVED:
        return {}
    q = Query()
    where = audit_where(replace(scope, status=None, unrolled_only=False), q)
    hint = " INDEXED BY audit_critical_failed" if q.dialect == "sqlite" else ""
    sql = (
        f"SELECT a.location_id, COUNT(*) FROM audit a{hint} "
        f"WHERE a.status = '{APPROVED}' AND a.critical_failed = TRUE AND {where} "
        "GROUP BY a.location_id"
    )
    return {int(location): int(count) for location, count in await q.tuples(sql)}


async def overall_by_location(scope: Scope, *, rollups: bool | None = None) -> dict[int, Mean]:
    """Location id → overall Mean (the previous period of a league table)."""
    found = await tallies(scope, "location", False, touchpoints=False, rollups=rollups)
    return {key: tally.overall for key, tally in found.items()}


async def item_tallies(scope: Scope) -> dict[tuple[str, str, str | None], ItemTally]:
    """(item id, touchpoint, region name) → ItemTally of the scope's counted items."""
    q = Query()
    where = audit_where(scope, q)
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
