"""Queries about audits: find, lock, conditional writes, stored scores, review events, lists.

Nothing here decides anything: who may see an audit, what a submit means and
when a write is stale are :mod:`audit.workflow.audits`' business.  The
statements every phone runs on every request are hand-written
(:mod:`audit.store.sql`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from audit.answers import Answer
from audit.models import Audit, ItemScore, Location, Photo, ReviewEvent, SectionScore, User
from audit.scoring import Scorecard
from audit.store import sql
from audit.store.checklists import version_with_hash

PhotoRow = dict[str, Any]  # {"uuid": ..., "item_id": ...}


def stored_answers(audit: Audit) -> dict[str, Answer]:
    return answers_from(audit.answers or {})


def answers_from(raw: Mapping[str, Any]) -> dict[str, Answer]:
    """Answers as stored in ``audit.answers`` (the Answers JSON shape) → typed answers."""
    out: dict[str, Answer] = {}
    for item_id, data in raw.items():
        if isinstance(data, Mapping):
            out[item_id] = Answer(
                value=data.get("value"),
                na=bool(data.get("na", False)),
                comment=data.get("comment"),
                photos=tuple(data.get("photos", ())),
            )
    return out


@functools.cache
def _find_sql() -> str:
    # Built on first use: Tortoise knows the foreign-key columns once initialised.
    return (
        f"SELECT {sql.columns(Audit, 'a')}, {sql.columns(Location, 'l')},"
        " cv.content_hash AS checklist_hash"
        " FROM audit a JOIN location l ON l.id = a.location_id"
        " JOIN checklist_version cv ON cv.id = a.checklist_id WHERE a.uuid = ?"
    )


async def find_audit(uuid: str) -> Audit | None:
    """The audit with its location and checklist version, as select_related would load it.

    Every request about one audit starts here, so it is one hand-written
    query and the checklist's definition comes from the version cache rather
    than from each row.
    """
    rows = await sql.fetch(Audit, _find_sql(), [uuid])
    if not rows:
        return None
    audit = sql.model_from_row(Audit, rows[0], "a")
    audit.location = sql.model_from_row(Location, rows[0], "l")
    audit.checklist = await version_with_hash(
        audit.checklist_id,  # type: ignore[attr-defined]
        rows[0]["checklist_hash"],
    )
    return audit


async def lock_audit(audit_id: int) -> tuple[int, str] | None:
    """Lock the audit's row for the rest of the transaction; its (revision, status).

    PostgreSQL: ``SELECT … FOR UPDATE``, so every other locker waits until
    this transaction ends and then reads what it committed.  SQLite: our
    transactions begin IMMEDIATE (audit/sqlite_backend.py), which already
    holds the database's one write lock, so a plain read is the locked read.
    Call only inside ``in_transaction()``.
    """
    db = sql.connection(Audit)
    query = "SELECT revision, status FROM audit WHERE id = ?"
    if db.capabilities.dialect == "postgres":
        query += " FOR UPDATE"
    rows = await sql.fetch(Audit, query, [audit_id])
    if not rows:
        return None
    return int(rows[0]["revision"]), str(rows[0]["status"])


async def insert_audit(audit: Audit) -> bool:
    """Create the audit; False when its uuid exists already (the same PUT raced itself)."""
    try:
        # Not inside a transaction: a failed insert spoils nothing.
        await audit.save()
    except IntegrityError:
        if await Audit.exists(uuid=audit.uuid):
            return False
        raise
    return True


async def update_audit_if(
    audit_id: int, revision: int, statuses: Sequence[str], changes: Mapping[str, Any]
) -> bool:
    """Write ``changes`` and move to ``revision + 1`` if the audit is still at
    ``revision`` in one of ``statuses``; False (nothing written) if not.

    One statement, so it is its own compare-and-swap: of two writers that read
    the same revision, one moves it and the other changes no row.  Every save
    and submit runs it: hand-written.
    """
    assignments = [f'"{Audit._meta.fields_db_projection[name]}" = ?' for name in changes]
    placeholders = ", ".join("?" for _ in statuses)
    query = (
        f"UPDATE audit SET {', '.join(assignments)}, revision = revision + 1"
        f" WHERE id = ? AND revision = ? AND status IN ({placeholders})"
    )
    values = [*sql.db_values(Audit, changes), audit_id, revision, *statuses]
    return await sql.execute(Audit, query, values) > 0


_PHOTOS_SQL = "SELECT uuid, item_id FROM photo WHERE audit_id = ? ORDER BY created_at, id"


async def photo_rows(audit_id: int) -> list[PhotoRow]:
    return await sql.fetch(Photo, _PHOTOS_SQL, [audit_id])


def count_photos(rows: list[PhotoRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row["item_id"])] = counts.get(str(row["item_id"]), 0) + 1
    return counts


async def photo_counts(audit_id: int) -> dict[str, int]:
    return count_photos(await photo_rows(audit_id))


async def delete_audit_row(audit_id: int) -> None:
    """Delete the audit's row; its photo rows must be gone first.

    Only for a draft that was never submitted, so it has no scores, reviews or
    report rows; call with the audit locked (:func:`lock_audit`).
    """
    await sql.execute(Audit, "DELETE FROM audit WHERE id = ?", [audit_id])


_INSERT_SECTION_SCORES = (
    'INSERT INTO "section_score" (audit_id, section_id, touchpoint, weight, score)'
    " VALUES (?, ?, ?, ?, ?)"
)
_INSERT_ITEM_SCORES = (
    'INSERT INTO "item_score" (audit_id, item_id, touchpoint, points) VALUES (?, ?, ?, ?)'
)


async def store_scores(audit_id: int, card: Scorecard, *, replace: bool) -> None:
    """The section and item score rows of a submitted audit (``replace``: a resubmission's)."""
    if replace:
        await SectionScore.filter(audit_id=audit_id).delete()
        await ItemScore.filter(audit_id=audit_id).delete()
    # Sixty rows an audit: written without building sixty models.
    await sql.execute_many(
        SectionScore,
        _INSERT_SECTION_SCORES,
        [(audit_id, s.id, s.touchpoint, s.weight, s.score) for s in card.sections],
    )
    touchpoint_of = {s.id: s.touchpoint for s in card.sections}
    await sql.execute_many(
        ItemScore,
        _INSERT_ITEM_SCORES,
        [
            (audit_id, r.item.id, touchpoint_of[r.section_id], r.points)
            for r in card.items
            if r.points is not None
        ],
    )


async def add_review_event(
    audit_id: int,
    actor_id: int,
    action: str,
    note: str,
    grade: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    await ReviewEvent.create(
        audit_id=audit_id,
        actor_id=actor_id,
        action=action,
        note=note,
        grade=grade,
        detail=dict(detail) if detail is not None else None,
    )


async def review_events(audit_id: int) -> list[dict[str, Any]]:
    rows = (
        await ReviewEvent.filter(audit_id=audit_id)
        .order_by("created_at", "id")
        .values(
            "action",
            "note",
            "grade",
            "detail",
            "created_at",
            actor_email="actor__email",
            actor_name="actor__name",
        )
    )
    return [
        {
            "action": r["action"],
            "note": r["note"],
            "grade": r["grade"],
            "detail": r["detail"] or {},
            "at": r["created_at"].isoformat(),
            "by": r["actor_name"] or r["actor_email"],
        }
        for r in rows
    ]


async def auditor_of(audit: Audit) -> User:
    return await User.get(id=audit.auditor_id)  # type: ignore[attr-defined]


async def audit_rows(
    *,
    auditor_id: int | None,
    location_ids: Sequence[int] | None,
    status: str | None,
    limit: int,
    offset: int,
    by_visit: bool = False,
    brand_ids: Sequence[int] = (),
) -> list[dict[str, Any]]:
    """Audits newest first, of one auditor and/or some locations, for the audit list.

    Newest by creation, or with ``by_visit`` by visit date (an owner's
    reports: the latest visit first, however late its audit was written).
    """
    query: QuerySet[Audit] = Audit.all()
    if auditor_id is not None:
        query = query.filter(auditor_id=auditor_id)
    if location_ids is not None:
        query = query.filter(location_id__in=list(location_ids))
    if status is not None:
        query = query.filter(status=status)
    if brand_ids:
        query = query.filter(location__brand_id__in=list(brand_ids))
    rows: list[dict[str, Any]] = (
        await query.order_by(*(("-visit_date",) if by_visit else ()), "-created_at", "-id")
        .offset(offset)
        .limit(limit)
        .values(
            "uuid",
            "status",
            "revision",
            "visited_at",
            "visit_date",
            "overall",
            "review_note",
            "item_notes",
            "grade",
            "grade_note",
            "checklist_slug",
            location_code="location__code",
            location_name="location__name",
            checklist_title="checklist__title",
        )
    )
    return rows
