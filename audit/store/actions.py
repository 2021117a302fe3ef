"""Queries about corrective actions: save, find, list, and the points a later visit gave.

Who may see or change an action, and what "failed or weak" or "fixed" mean,
is :mod:`audit.workflow.actions`' and :mod:`audit.corrective`'s business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError

from audit.models import Audit, ChecklistVersion, CorrectiveAction, ItemScore
from audit.store import sql


async def insert_action(action: CorrectiveAction) -> bool:
    """Create it; False when the audit's item has one already (two first saves raced)."""
    try:
        await action.save()
    except IntegrityError:
        if await CorrectiveAction.exists(audit_id=action.audit_id, item_id=action.item_id):  # type: ignore[attr-defined]
            return False
        raise
    return True


async def action_of(audit_id: int, item_id: str) -> CorrectiveAction | None:
    return await CorrectiveAction.get_or_none(audit_id=audit_id, item_id=item_id)


async def actions_of_audit(audit_id: int) -> list[CorrectiveAction]:
    return await CorrectiveAction.filter(audit_id=audit_id).order_by("id")


async def update_action_if(action_id: int, status: str, changes: Mapping[str, Any]) -> bool:
    """Write ``changes`` if the action still has ``status``; False (nothing written) if not.

    One statement: of two requests that both mark an open action done, one
    moves it (and sets ``done_at``), the other changes nothing and reads again.
    """
    changed = await CorrectiveAction.filter(id=action_id, status=status).update(**changes)
    return bool(changed)


@dataclass(frozen=True)
class ActionFilter:
    """Which actions a list shows: HQ's filters, or an owner's own locations."""

    location_ids: Sequence[int] | None = None  # None: every location
    location_id: int | None = None
    region_id: int | None = None
    status: str | None = None  # open | done | overdue
    today: date | None = None  # for "overdue"; required with it


_LIST_SQL = (
    "SELECT c.id, c.item_id, c.touchpoint, c.what, c.who, c.due, c.status, c.done_at,"
    " c.note, c.created_at, c.updated_at, c.audit_id,"
    " a.uuid AS audit_uuid, a.visit_date, a.checklist_slug, a.location_id,"
    " a.checklist_id, cv.content_hash AS checklist_hash,"
    " l.code AS location_code, l.name AS location_name,"
    " r.name AS region_name"
    " FROM corrective_action c"
    " JOIN audit a ON a.id = c.audit_id"
    " JOIN checklist_version cv ON cv.id = a.checklist_id"
    " JOIN location l ON l.id = c.location_id"
    " LEFT JOIN region r ON r.id = l.region_id"
)


def _where(f: ActionFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    values: list[Any] = []
    if f.location_ids is not None:
        if not f.location_ids:
            clauses.append("1 = 0")
        else:
            clauses.append(f"c.location_id IN ({', '.join('?' for _ in f.location_ids)})")
            values.extend(f.location_ids)
    if f.location_id is not None:
        clauses.append("c.location_id = ?")
        values.append(f.location_id)
    if f.region_id is not None:
        clauses.append("l.region_id = ?")
        values.append(f.region_id)
    if f.status == "overdue":
        assert f.today is not None
        clauses.append("c.status = 'open' AND c.due < ?")
        values.append(f.today)
    elif f.status is not None:
        clauses.append("c.status = ?")
        values.append(f.status)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), values


async def list_actions(
    f: ActionFilter, today: date, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """(how many match, one page of them): overdue first (longest overdue first), then
    the other open ones by due date, then the done ones, most recently done first."""
    where, values = _where(f)
    order = (
        " ORDER BY CASE WHEN c.status = 'open' AND c.due < ? THEN 0"
        " WHEN c.status = 'open' THEN 1 ELSE 2 END,"
        " CASE WHEN c.status = 'open' THEN c.due END,"
        " c.done_at DESC, c.id"
    )
    rows = await sql.fetch(
        CorrectiveAction,
        _LIST_SQL + where + order + " LIMIT ? OFFSET ?",
        [*values, today, limit, offset],
    )
    counted = await sql.fetch(
        CorrectiveAction,
        "SELECT COUNT(*) AS n FROM corrective_action c"
        " JOIN location l ON l.id = c.location_id" + where,
        values,
    )
    return int(counted[0]["n"]), rows


@dataclass(frozen=True)
class Recheck:
    """An action's item as its own visit and the next approved visit scored it."""

    action_id: int
    region: str | None
    before: float | None  # None: not counted (an action recorded against a changed score)
    next_audit_id: int | None  # None: no later approved visit yet
    next_visit: date | None
    after: float | None  # None: not counted at that visit (or no such visit)


def _other_wave(a: str, n: str) -> str:
    """SQL: audits ``a`` and ``n`` were not made for the same wave (either may have none)."""
    return (
        "NOT EXISTS (SELECT 1 FROM assignment wa JOIN assignment wn ON wn.wave_id = wa.wave_id"
        f" WHERE wa.audit_uuid = {a}.uuid AND wn.audit_uuid = {n}.uuid"
        " AND wa.wave_id IS NOT NULL)"
    )


# The next approved visit of the same checklist to the same location: later
# by visit date (by id on the same day), and of a later wave where the visits
# were made for waves: two visits of one wave do not check each other.
# Index: (location_id, status, visit_date, checklist_slug …) of the audit
# table, and assignment's audit_uuid.
_NEXT_SQL = (
    "SELECT n.id FROM audit n WHERE n.location_id = a.location_id"
    " AND n.status = 'approved' AND n.checklist_slug = a.checklist_slug"
    " AND (n.visit_date > a.visit_date OR (n.visit_date = a.visit_date AND n.id > a.id))"
    f" AND {_other_wave('a', 'n')}"
    " ORDER BY n.visit_date, n.id LIMIT 1"
)
_RECHECK_SQL = (
    "SELECT x.id, x.region_name, x.next_id, nx.visit_date AS next_visit,"
    " b.points AS before, s.points AS after FROM ("
    " SELECT c.id, c.item_id, c.audit_id, r.name AS region_name,"
    f" ({_NEXT_SQL}) AS next_id"
    " FROM corrective_action c JOIN audit a ON a.id = c.audit_id"
    " JOIN location l ON l.id = c.location_id LEFT JOIN region r ON r.id = l.region_id"
    "{where}) x"
    " LEFT JOIN audit nx ON nx.id = x.next_id"
    " LEFT JOIN item_score b ON b.audit_id = x.audit_id AND b.item_id = x.item_id"
    " LEFT JOIN item_score s ON s.audit_id = x.next_id AND s.item_id = x.item_id"
)


async def rechecks(
    f: ActionFilter | None = None, action_ids: Sequence[int] | None = None
) -> list[Recheck]:
    """Every matching action with its item's points at its visit and at the next one."""
    where, values = _where(f or ActionFilter())
    if action_ids is not None:
        if not action_ids:
            return []
        where += (" AND " if where else " WHERE ") + (
            f"c.id IN ({', '.join('?' for _ in action_ids)})"
        )
        values = [*values, *action_ids]
    rows = await sql.fetch(CorrectiveAction, _RECHECK_SQL.format(where=where), values)
    return [
        Recheck(
            action_id=int(r["id"]),
            region=r["region_name"],
            before=_float(r["before"]),
            next_audit_id=int(r["next_id"]) if r["next_id"] is not None else None,
            next_visit=_date(r["next_visit"]),
            after=_float(r["after"]),
        )
        for r in rows
    ]


async def item_points(audit_id: int) -> dict[str, float]:
    """The stored points of an audit's counted items (the scorer's, as of its last scoring)."""
    rows = await ItemScore.filter(audit_id=audit_id).order_by("id").values_list("item_id", "points")
    return {str(item_id): float(points) for item_id, points in rows}


async def audit_by_uuid(uuid: str) -> Audit | None:
    return await Audit.get_or_none(uuid=uuid)


async def previous_approved(audit: Audit) -> Audit | None:
    """The approved visit this one checks: of the same checklist to the same location,
    the last before it (of an earlier wave, where waves made them); the mirror of
    the next visit :func:`rechecks` finds."""
    if audit.visit_date is None:
        return None
    rows = await sql.fetch(
        Audit,
        "SELECT p.id FROM audit p JOIN audit a ON a.id = ?"
        " WHERE p.location_id = a.location_id AND p.status = 'approved'"
        " AND p.checklist_slug = a.checklist_slug AND p.id <> a.id"
        " AND (p.visit_date < a.visit_date OR (p.visit_date = a.visit_date AND p.id < a.id))"
        f" AND {_other_wave('p', 'a')}"
        " ORDER BY p.visit_date DESC, p.id DESC LIMIT 1",
        [audit.id],
    )
    if not rows:
        return None
    return await Audit.get(id=rows[0]["id"])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def overdue_actions(day: date) -> list[tuple[int, int, int]]:
    """(action id, audit id, location id) of every open action due before ``day``."""
    rows = (
        await CorrectiveAction.filter(status="open", due__lt=day)
        .order_by("id")
        .values_list("id", "audit_id", "location_id")
    )
    return [(int(a), int(b), int(c)) for a, b, c in rows]


@dataclass(frozen=True)
class Reminder:
    """What a reminder e-mail of one action says."""

    action: CorrectiveAction
    audit_uuid: str
    visit_date: date | None
    location_name: str
    version: ChecklistVersion  # the audit's checklist version, for the item's text


async def reminder_of(action_id: int) -> Reminder | None:
    action = await CorrectiveAction.get_or_none(id=action_id).select_related(
        "audit", "location", "audit__checklist"
    )
    if action is None:
        return None
    audit = action.audit
    return Reminder(action, audit.uuid, audit.visit_date, action.location.name, audit.checklist)
