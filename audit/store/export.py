"""The per-audit rows of HQ's CSV and spreadsheet exports, streamed in chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from audit.models import ChecklistVersion, User
from audit.store.scope import Query, Scope, audit_where

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
    rows = await User.all().values("id", "name", "email")
    return {r["id"]: r["name"] or r["email"] for r in rows}


async def audit_chunks(scope: Scope, chunk: int) -> AsyncIterator[tuple[Sequence[Any], Sections]]:
    """The scope's audits in id order, ``chunk`` at a time, with their section scores.

    Keyset paging (``id > last``) keeps memory flat at any size, and each
    chunk's sections come from one range scan of ``section_score.audit_id``.
    """
    last = 0
    while True:
        q = Query()
        where = audit_where(scope, q)
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
    q = Query()
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


# The columns of a per-answer export chunk's audit rows, in order.
ANSWER_COLUMNS = (
    "id",
    "uuid",
    "status",
    "checklist_id",
    "visit_date",
    "location_id",
    "answers",
)
Photos = dict[int, dict[str, list[str]]]  # audit id -> item id -> photo uuids, upload order


async def answer_chunks(scope: Scope, chunk: int) -> AsyncIterator[tuple[Sequence[Any], Photos]]:
    """The scope's audits with their answers in id order, ``chunk`` at a time, and their photos.

    The answers column comes as the driver gives it (SQLite: JSON text;
    PostgreSQL: JSON text too, asyncpg decodes no JSON by itself).
    """
    last = 0
    while True:
        q = Query()
        where = audit_where(scope, q)
        sql = (
            f"SELECT {', '.join(f'a.{c}' for c in ANSWER_COLUMNS)} FROM audit a "
            f"WHERE {where} AND a.id > {q(last)} ORDER BY a.id LIMIT {q(chunk)}"
        )
        rows = await q.tuples(sql)
        if not rows:
            return
        first, last = rows[0][0], rows[-1][0]
        yield rows, await _photos_between(first, last)
        if len(rows) < chunk:
            return


async def _photos_between(first: int, last: int) -> Photos:
    q = Query()
    sql = (
        "SELECT audit_id, item_id, uuid FROM photo "
        f"WHERE audit_id >= {q(first)} AND audit_id <= {q(last)} ORDER BY audit_id, id"
    )
    out: Photos = {}
    for audit_id, item_id, uuid in await q.tuples(sql):
        out.setdefault(audit_id, {}).setdefault(item_id, []).append(uuid)
    return out
