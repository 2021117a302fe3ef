"""Monthly rollups: the sums and counts of approved audits per location, version and month.

A comparison over 18 months of 100,000 audits spends its time joining every
audit to its section scores.  Sums and counts add up, so whole months are
read from ``month_rollup`` and ``touchpoint_rollup`` instead, and only the
days at either edge of a period from the audits themselves
(:func:`audit.store.compare.tallies` puts the two together)::

    approve (review)  ──> add_approved(): one audit, in the approving transaction
    demo, restore     ──> rebuild_rollups(): every approved audit, from scratch

``audit.rolled_up`` marks the audits the rollups count.  An approved audit
written any other way (an import, a test fixture) is not marked, and
comparisons read it from its own rows until the next rebuild, so the figures
never depend on which way an audit came in.  Nothing may change an audit once
it is rolled up; the only path that changes scores (submit) refuses approved
audits.

Both statements are upserts that add (``x = x + excluded.x``): two workers
approving audits of one location and month at the same moment each add their
own, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from audit.compare import DETRACTOR_MAX, PROMOTER_MIN
from audit.models import Audit

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

MONTH_COLUMNS = (
    "audits",
    "overall_sum",
    "overall_count",
    "service_sum",
    "service_count",
    "experience_sum",
    "experience_count",
    "nps_promoters",
    "nps_detractors",
    "nps_answers",
)
KEY = "location_id, checklist_id, checklist_slug, month"


def month_of(column: str, dialect: str) -> str:
    """The first day of the month of a date column, as the rollups' ``month`` stores it."""
    if dialect == "postgres":
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"substr({column}, 1, 7) || '-01'"  # SQLite keeps dates as ISO text


def _adding(table: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


def add_month_sql(where: str, dialect: str) -> str:
    """Adds the audits ``a`` matching ``where`` to their month rows."""
    month = month_of("a.visit_date", dialect)
    return (
        f"INSERT INTO month_rollup ({KEY}, {', '.join(MONTH_COLUMNS)}) "
        f"SELECT a.location_id, a.checklist_id, a.checklist_slug, {month}, COUNT(*), "
        "COALESCE(SUM(a.overall), 0), COUNT(a.overall), "
        "COALESCE(SUM(a.service), 0), COUNT(a.service), "
        "COALESCE(SUM(a.experience), 0), COUNT(a.experience), "
        f"COUNT(CASE WHEN a.nps >= {PROMOTER_MIN:d} THEN 1 END), "
        f"COUNT(CASE WHEN a.nps <= {DETRACTOR_MAX:d} THEN 1 END), COUNT(a.nps) "
        f"FROM audit a WHERE {where} "
        f"GROUP BY a.location_id, a.checklist_id, a.checklist_slug, {month} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET {_adding('month_rollup', MONTH_COLUMNS)}"
    )


def add_touchpoints_sql(where: str, dialect: str) -> str:
    """Adds each audit's touchpoint scores (once per audit and touchpoint) to their rows."""
    month = month_of("a.visit_date", dialect)
    columns = ("score_sum", "score_count")
    return (
        f"INSERT INTO touchpoint_rollup ({KEY}, touchpoint, {', '.join(columns)}) "
        "SELECT t.location_id, t.checklist_id, t.checklist_slug, t.month, t.touchpoint, "
        "COALESCE(SUM(t.score), 0), COUNT(t.score) FROM ("
        f"SELECT a.location_id, a.checklist_id, a.checklist_slug, {month} AS month, "
        f"s.touchpoint, {TOUCHPOINT_SCORE} AS score "
        f"FROM audit a JOIN section_score s ON s.audit_id = a.id WHERE {where} "
        "GROUP BY a.id, a.location_id, a.checklist_id, a.checklist_slug, a.visit_date, "
        "s.touchpoint) t "
        # SQLite reads ``ON`` after a bare FROM as a join's: the WHERE settles it.
        "WHERE TRUE "
        "GROUP BY t.location_id, t.checklist_id, t.checklist_slug, t.month, t.touchpoint "
        f"ON CONFLICT ({KEY}, touchpoint) DO UPDATE SET "
        f"{_adding('touchpoint_rollup', columns)}"
    )


# Approved audits with a visit date are what the rollups count (one without
# has no month: comparisons read it from its row).
COUNTABLE = f"status = '{APPROVED}' AND visit_date IS NOT NULL"


def rebuild_statements(dialect: str) -> list[str]:
    """Every statement of a rebuild, in order (one transaction; also run by restore)."""
    statements = []
    if dialect == "postgres":
        # Approvals wait (their upserts conflict with this lock) rather than
        # add to rows that are about to be replaced.
        statements.append("LOCK TABLE month_rollup, touchpoint_rollup IN SHARE ROW EXCLUSIVE MODE")
    return [
        *statements,
        "DELETE FROM touchpoint_rollup",
        "DELETE FROM month_rollup",
        f"UPDATE audit SET rolled_up = FALSE WHERE rolled_up AND NOT ({COUNTABLE})",
        f"UPDATE audit SET rolled_up = TRUE WHERE NOT rolled_up AND {COUNTABLE}",
        add_month_sql("a.rolled_up", dialect),
        add_touchpoints_sql("a.rolled_up", dialect),
    ]


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
    where = "a.id = $1" if dialect == "postgres" else "a.id = ?"
    await conn.execute_query(add_month_sql(where, dialect), [audit_id])
    await conn.execute_query(add_touchpoints_sql(where, dialect), [audit_id])
    return True


async def rebuild_rollups() -> None:
    """Recounts every approved audit into fresh rollups (after bulk loads, restores)."""
    async with in_transaction() as conn:
        for statement in rebuild_statements(_dialect(conn)):
            await conn.execute_query(statement)
