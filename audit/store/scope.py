"""Which audits a comparison, chart or export looks at, and the SQL that says so.

A :class:`Scope` names the audits (a checklist, its versions, a place, a
period, a status); :func:`audit_where` turns it into the ``WHERE`` of a query
over ``audit a``, :func:`rollup_where` into that of a rollup table ``r``
(:mod:`audit.store.rollups`).  Parameters go through a :class:`Query`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from tortoise import connections

from audit.store.rollups import APPROVED
from audit.store.sql import dialect_sql

REJECTED = "rejected"

Group = Literal["location", "month", "all"]


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
    status: str | None = APPROVED  # None: any status but rejected
    unrolled_only: bool = False  # only approved audits the rollups do not count
    # Only the audits made for this wave's visits (read from the audits'
    # rows: the rollups do not know waves).
    wave_id: int | None = None
    # The caller's brands (Principal.brand_ids): only their locations count,
    # in every figure, list and benchmark; empty: every brand (the agency).
    brand_ids: tuple[int, ...] = ()

    def between(self, start: date | None, end: date | None) -> Scope:
        return replace(self, date_from=start, date_to=end)


class Query:
    """One statement's parameters, in order: each call adds one and returns its ``?``.

    The text is written with ``?`` for both databases; :func:`dialect_sql`
    numbers them for PostgreSQL when the statement runs.
    """

    def __init__(self) -> None:
        self.conn = connections.get("default")
        self.dialect = str(self.conn.capabilities.dialect)
        self.params: list[Any] = []

    def __call__(self, value: Any) -> str:
        if isinstance(value, date) and self.dialect != "postgres":
            value = value.isoformat()  # SQLite keeps dates as ISO text
        self.params.append(value)
        return "?"

    def month(self, column: str) -> str:
        if self.dialect == "postgres":
            return f"to_char({column}, 'YYYY-MM')"
        return f"substr({column}, 1, 7)"

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.conn.execute_query_dict(
            dialect_sql(sql, self.dialect), self.params
        )
        return found

    async def tuples(self, sql: str) -> Sequence[Any]:
        """Rows that unpack like tuples (no dict per row: the big aggregates are hot)."""
        found: tuple[int, Sequence[Any]] = await self.conn.execute_query(
            dialect_sql(sql, self.dialect), self.params
        )
        return found[1]


def audit_where(scope: Scope, q: Query) -> str:
    """The scope's condition on ``audit a``."""
    # Parameters are added in the order they appear in the text (``?`` are positional).
    parts: list[str] = []
    if scope.status is not None:
        parts.append(f"a.status = {q(scope.status)}")
    else:
        # "Any status" still leaves out rejected visits: they count nowhere.
        parts.append(f"a.status <> '{REJECTED}'")
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


def rollup_where(scope: Scope, months: tuple[date | None, date | None], q: Query) -> str:
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


def _place_filters(scope: Scope, q: Query, alias: str) -> list[str]:
    """Version, location, region and brand conditions on the table ``alias``."""
    parts: list[str] = []
    if scope.wave_id is not None and alias == "a":
        parts.append(
            f"a.uuid IN (SELECT w.audit_uuid FROM assignment w WHERE w.wave_id = {q(scope.wave_id)}"
            " AND w.audit_uuid IS NOT NULL)"
        )
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
    if scope.brand_ids:
        parts.append(f"{alias}.location_id IN ({brand_locations_sql(scope.brand_ids, q)})")
    return parts


def brand_locations_sql(brand_ids: Sequence[int], q: Query) -> str:
    """The ids of the locations of ``brand_ids``, as a sub-select."""
    return f"SELECT id FROM location WHERE brand_id IN ({', '.join(q(b) for b in brand_ids)})"


def brand_users_sql(brand_ids: Sequence[int], q: Query) -> str:
    """The ids of the users of ``brand_ids``, as a sub-select: the HQ users and
    auditors limited to one of them, and the owners of their locations."""
    brands = ", ".join(q(b) for b in brand_ids)
    owners = ", ".join(q(b) for b in brand_ids)
    return (
        f"SELECT user_id FROM user_brand WHERE brand_id IN ({brands}) UNION "
        "SELECT o.user_id FROM location_owner o JOIN location l ON l.id = o.location_id"
        f" WHERE l.brand_id IN ({owners})"
    )


def group_expr(group: Group, q: Query, alias: str = "a") -> str | None:
    """The ``GROUP BY`` expression of ``group`` over ``audit a`` or a rollup ``r``."""
    if group == "location":
        return f"{alias}.location_id"
    if group == "month":
        return q.month("a.visit_date" if alias == "a" else f"{alias}.month")
    return None
