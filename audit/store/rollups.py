"""Rollups: the sums and counts of approved audits per location and checklist version.

A comparison over 18 months of 100,000 audits spends its time joining every
audit to its section scores.  Sums and counts add up, so they are kept
ahead, at two levels, each an audit-level table and a touchpoint table::

    month_rollup, touchpoint_rollup              per location, version and month
    total_rollup, touchpoint_total_rollup        per location and version, all months

:func:`audit.store.aggregates.tallies` reads a period's whole months from them
(the totals when it has no dates) and only the days at its edges from the
audits themselves.  They are kept by::

    approve (review)  ──> add_approved(): one audit, in the approving transaction
    appeal decision   ──> recount_rows_of(): the rows one re-scored audit is in,
                          counted again from the audits, in the deciding transaction
    demo, restore     ──> rebuild_rollups(): every approved audit, from scratch

``audit.rolled_up`` marks the audits the rollups count.  An approved audit
written any other way (an import, a test fixture) is not marked, and
comparisons read it from its own rows until the next rebuild, so the figures
never depend on which way an audit came in.  Nothing may change the scores of
an audit once it is rolled up but an appeal decision, which recounts its rows
(a submit refuses approved audits).  Recounting rather than subtracting the
old scores and adding the new keeps the rows exactly what a rebuild would
make: sums of floats taken away and added again drift in the last bits.

Every statement is an upsert that adds (``x = x + excluded.x``): two workers
approving audits of one location and month at the same moment each add their
own, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from audit.compare import DETRACTOR_MAX, PROMOTER_MIN
from audit.models import AUDIT_SUMS, CONSISTENCY_SUMS, TOUCHPOINT_SUMS, Audit
from audit.store.sql import dialect_sql

APPROVED = "approved"

# One audit's score on one touchpoint: the section-weighted mean of its
# sections there, over ``section_score s`` grouped by audit and touchpoint.
# A lone scored section gives its own score exactly (not w * s / w, which may
# differ in the last bit), so the per-section sums of a checklist without
# shared touchpoints and these per-audit scores add up to the same figures.
TOUCHPOINT_SCORE = (
    "CASE WHEN COUNT(s.score) = 1 THEN MAX(s.score) "
    "ELSE SUM(s.weight * s.score) "
    "/ NULLIF(SUM(CASE WHEN s.score IS NOT NULL THEN s.weight END), 0) END"
)


@dataclass(frozen=True)
class Level:
    """One level of rollups: its two tables and whether the month is in the key."""

    audits: str
    touchpoints: str
    monthly: bool


MONTHS = Level("month_rollup", "touchpoint_rollup", monthly=True)
TOTALS = Level("total_rollup", "touchpoint_total_rollup", monthly=False)
LEVELS = (MONTHS, TOTALS)


def month_of(column: str, dialect: str) -> str:
    """The first day of the month of a date column, as the rollups' ``month`` stores it."""
    if dialect == "postgres":
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"substr({column}, 1, 7) || '-01'"  # SQLite keeps dates as ISO text


def _key(level: Level, dialect: str) -> dict[str, str]:
    """The key columns of ``level`` and the expressions over audit ``a`` that fill them."""
    key = {
        "location_id": "a.location_id",
        "checklist_id": "a.checklist_id",
        "checklist_slug": "a.checklist_slug",
    }
    if level.monthly:
        key["month"] = month_of("a.visit_date", dialect)
    return key


def _adding(table: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


def add_audits_sql(level: Level, where: str, dialect: str) -> str:
    """Adds the audits ``a`` matching ``where`` to their rows of ``level``."""
    key = _key(level, dialect)
    values = ", ".join(key.values())
    sums = (*AUDIT_SUMS, *CONSISTENCY_SUMS)
    return (
        f"INSERT INTO {level.audits} ({', '.join(key)}, {', '.join(sums)}) "
        f"SELECT {values}, COUNT(*), "
        "COALESCE(SUM(a.overall), 0), COUNT(a.overall), "
        "COALESCE(SUM(a.service), 0), COUNT(a.service), "
        "COALESCE(SUM(a.experience), 0), COUNT(a.experience), "
        f"COUNT(CASE WHEN a.nps >= {PROMOTER_MIN:d} THEN 1 END), "
        f"COUNT(CASE WHEN a.nps <= {DETRACTOR_MAX:d} THEN 1 END), COUNT(a.nps), "
        "COALESCE(SUM(a.consistency), 0), COUNT(a.consistency) "
        f"FROM audit a WHERE {where} GROUP BY {values} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {_adding(level.audits, sums)}"
    )


def add_touchpoints_sql(level: Level, where: str, dialect: str) -> str:
    """Adds each audit's touchpoint scores (once per audit and touchpoint) to their rows."""
    key = _key(level, dialect)
    inner = ", ".join(f"{value} AS {column}" for column, value in key.items())
    outer = ", ".join(f"t.{column}" for column in key)
    return (
        f"INSERT INTO {level.touchpoints} ({', '.join(key)}, touchpoint, "
        f"{', '.join(TOUCHPOINT_SUMS)}) "
        f"SELECT {outer}, t.touchpoint, COALESCE(SUM(t.score), 0), COUNT(t.score) FROM ("
        f"SELECT {inner}, s.touchpoint, {TOUCHPOINT_SCORE} AS score "
        f"FROM audit a JOIN section_score s ON s.audit_id = a.id WHERE {where} "
        "GROUP BY a.id, a.location_id, a.checklist_id, a.checklist_slug, a.visit_date, "
        "s.touchpoint) t "
        # SQLite reads ``ON`` after a bare FROM as a join's: the WHERE settles
        # it.  In touchpoint order, so that two approvals of one location and
        # month lock its rows in the same order (no deadlock on PostgreSQL).
        f"WHERE TRUE GROUP BY {outer}, t.touchpoint ORDER BY {outer}, t.touchpoint "
        f"ON CONFLICT ({', '.join(key)}, touchpoint) DO UPDATE SET "
        f"{_adding(level.touchpoints, TOUCHPOINT_SUMS)}"
    )


# Approved audits with a visit date are what the rollups count (one without
# has no month: comparisons read it from its row).
COUNTABLE = f"status = '{APPROVED}' AND visit_date IS NOT NULL"


def rebuild_statements(dialect: str) -> list[str]:
    """Every statement of a rebuild, in order (one transaction; also run by restore)."""
    tables = [table for level in LEVELS for table in (level.touchpoints, level.audits)]
    statements = []
    # Approvals wait (their upserts conflict with this lock) rather than
    # add to rows that are about to be replaced.
    lock = _lock_statement(dialect)
    if lock is not None:
        statements.append(lock)
    statements += [f"DELETE FROM {table}" for table in tables]
    statements += [
        f"UPDATE audit SET rolled_up = FALSE WHERE rolled_up AND NOT ({COUNTABLE})",
        f"UPDATE audit SET rolled_up = TRUE WHERE NOT rolled_up AND {COUNTABLE}",
    ]
    for level in LEVELS:
        statements.append(add_audits_sql(level, "a.rolled_up", dialect))
        statements.append(add_touchpoints_sql(level, "a.rolled_up", dialect))
    return statements


def _dialect(conn: BaseDBAsyncClient) -> str:
    return str(conn.capabilities.dialect)


async def add_approved(audit_id: int) -> bool:
    """Counts a just-approved audit in the rollups; call it inside the approving transaction.

    False (and nothing changes) when the audit is not approved, has no visit
    date or is counted already.
    """
    marked = await Audit.filter(
        id=audit_id, status=APPROVED, rolled_up=False, visit_date__isnull=False
    ).update(rolled_up=True)
    if not marked:
        return False
    conn = connections.get("default")
    dialect = _dialect(conn)
    for level in LEVELS:
        for sql in (
            add_audits_sql(level, "a.id = ?", dialect),
            add_touchpoints_sql(level, "a.id = ?", dialect),
        ):
            await conn.execute_query(dialect_sql(sql, dialect), [audit_id])
    return True


def _lock_statement(dialect: str) -> str | None:
    if dialect != "postgres":
        return None  # SQLite: the transaction holds the database's one write lock
    tables = [table for level in LEVELS for table in (level.touchpoints, level.audits)]
    return f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE"


async def lock_rollups() -> None:
    """Make approvals wait until this transaction ends (a recount is about to replace rows).

    Take it before anything an approval also writes (the benchmark
    snapshots), so the two always lock in the same order.
    """
    conn = connections.get("default")
    statement = _lock_statement(_dialect(conn))
    if statement is not None:
        await conn.execute_query(statement)


async def recount_rows_of(audit_id: int) -> bool:
    """Count again, from the audits, the rollup rows a re-scored audit is in.

    Its month's rows and its all-time rows (of its location and checklist
    version), each replaced by what :func:`rebuild_rollups` would make of
    them.  Call inside the transaction that changed its scores, after
    :func:`lock_rollups`.  False (nothing changes) for an audit the rollups
    do not count.
    """
    conn = connections.get("default")
    dialect = _dialect(conn)
    rows = await conn.execute_query_dict(
        dialect_sql(
            "SELECT location_id, checklist_id, checklist_slug, visit_date, rolled_up"
            " FROM audit WHERE id = ?",
            dialect,
        ),
        [audit_id],
    )
    if not rows or not rows[0]["rolled_up"] or rows[0]["visit_date"] is None:
        return False
    row = rows[0]
    visit = row["visit_date"]
    if isinstance(visit, str):  # SQLite may hand back the ISO text
        visit = date.fromisoformat(visit[:10])
    first = visit.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    key = [row["location_id"], row["checklist_id"], row["checklist_slug"]]
    same = "location_id = ? AND checklist_id = ? AND checklist_slug = ?"
    audits = "a.rolled_up AND a.location_id = ? AND a.checklist_id = ? AND a.checklist_slug = ?"
    for level in LEVELS:
        where, where_audits, values, audit_values = same, audits, list(key), list(key)
        if level.monthly:
            where += " AND month = ?"
            values.append(first)
            where_audits += " AND a.visit_date >= ? AND a.visit_date <= ?"
            audit_values += [first, last]
        for table in (level.touchpoints, level.audits):
            await conn.execute_query(
                dialect_sql(f"DELETE FROM {table} WHERE {where}", dialect), values
            )
        for sql in (
            add_audits_sql(level, where_audits, dialect),
            add_touchpoints_sql(level, where_audits, dialect),
        ):
            await conn.execute_query(dialect_sql(sql, dialect), audit_values)
    return True


async def rebuild_rollups() -> None:
    """Recounts every approved audit into fresh rollups (after bulk loads, restores)."""
    async with in_transaction() as conn:
        for statement in rebuild_statements(_dialect(conn)):
            await conn.execute_query(statement)
