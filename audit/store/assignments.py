"""Assignments and the audits made from them: the queries.

An assignment is linked to its audit by ``audit_uuid`` when the auditor
starts the audit from it; its state is then the audit's (a draft is
"started"), read from the audit row, so it can never disagree with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from audit.models import Assignment, Audit, User, UserBrand
from audit.store import sql

# An audit's status → the state of the assignment it was made from.
STATE_OF_STATUS = {
    "draft": "started",
    "submitted": "submitted",
    "approved": "approved",
    "returned": "returned",
}
STATES = ("open", *STATE_OF_STATUS.values())
MAX_ROWS = 500


async def assignment_by_id(assignment_id: int) -> Assignment | None:
    return await Assignment.get_or_none(id=assignment_id)


async def location_brand_of(assignment_id: int) -> tuple[bool, int | None]:
    """(whether the assignment exists, its location's brand id)."""
    rows = await Assignment.filter(id=assignment_id).values(brand_id="location__brand_id")
    return (True, rows[0]["brand_id"]) if rows else (False, None)


async def link_audit(assignment_id: int, uuid: str, auditor_id: int | None = None) -> bool:
    """Link an assignment to the audit started from it; False when another audit took it.

    With ``auditor_id``, only while the assignment is open or that auditor's:
    a visit another auditor claimed meanwhile is theirs.
    """
    query = Assignment.filter(Q(audit_uuid=None) | Q(audit_uuid=uuid), id=assignment_id)
    if auditor_id is not None:
        query = query.filter(Q(auditor_id=None) | Q(auditor_id=auditor_id))
    changed = await query.update(audit_uuid=uuid)
    return changed == 1


async def unlink_audit(uuid: str) -> None:
    """A discarded draft gives its assignment back: open again."""
    await Assignment.filter(audit_uuid=uuid).update(audit_uuid=None)


async def states_of(rows: Sequence[Assignment]) -> dict[int, str]:
    """Each assignment's state: open, or its audit's (started, submitted, approved, returned)."""
    uuids = [r.audit_uuid for r in rows if r.audit_uuid]
    status = dict(await Audit.filter(uuid__in=uuids).values_list("uuid", "status")) if uuids else {}
    return {
        r.id: STATE_OF_STATUS.get(str(status.get(r.audit_uuid)), "open") if r.audit_uuid else "open"
        for r in rows
    }


# HQ's list filters by state, and by these two: nobody has the visit yet;
# its due date passed and it is not sent.
FILTERS = (*STATES, "unassigned", "overdue")


def _hq_query(
    state: str | None,
    wave_id: int | None,
    today: date,
    region: str | None = None,
    brand_ids: Sequence[int] = (),
) -> QuerySet[Assignment]:
    query = Assignment.all()
    if brand_ids:
        query = query.filter(location__brand_id__in=list(brand_ids))
    if wave_id is not None:
        query = query.filter(wave_id=wave_id)
    if region is not None:
        query = query.filter(location__region__name=region)
    if state == "open":
        query = query.filter(audit_uuid=None)
    elif state == "unassigned":
        query = query.filter(audit_uuid=None, auditor_id=None)
    elif state == "overdue":
        sent = Audit.filter(status__in=("submitted", "approved")).values_list("uuid", flat=True)
        query = query.filter(due__lt=today).filter(
            Q(audit_uuid=None) | ~Q(audit_uuid__in=Subquery(sent))
        )
    elif state is not None:
        statuses = [s for s, st in STATE_OF_STATUS.items() if st == state]
        linked = Audit.filter(status__in=statuses).values_list("uuid", flat=True)
        query = query.filter(audit_uuid__in=Subquery(linked))
    return query


async def all_assignments(
    state: str | None,
    wave_id: int | None = None,
    today: date | None = None,
    brand_ids: Sequence[int] = (),
) -> tuple[list[Assignment], dict[int, str]]:
    """HQ's list: every assignment (or those in ``state``, of one wave, at locations
    of ``brand_ids``), due first, with states."""
    _, rows, states = await page_of_assignments(
        state, wave_id, today or date.today(), MAX_ROWS, 0, brand_ids=brand_ids
    )
    return rows, states


async def page_of_assignments(
    state: str | None,
    wave_id: int | None,
    today: date,
    limit: int,
    offset: int,
    region: str | None = None,
    brand_ids: Sequence[int] = (),
) -> tuple[int, list[Assignment], dict[int, str]]:
    """(how many match, one page of them due first, their states): HQ's assignments page."""
    query = _hq_query(state, wave_id, today, region, brand_ids)
    total = await query.count()
    rows = (
        await query.select_related("location", "auditor", "wave")
        .order_by("due", "id")
        .offset(offset)
        .limit(limit)
    )
    return total, list(rows), await states_of(rows)


async def auditor_choices(brand_ids: Sequence[int] = ()) -> list[tuple[str, str]]:
    """(e-mail, name) of every active auditor: whom HQ may give a visit to (with
    ``brand_ids``: the agency's auditors and those of these brands)."""
    query = User.filter(role="auditor", active=True)
    if brand_ids:
        query = query.filter(
            Q(id__not_in=Subquery(UserBrand.all().values("user_id")))
            | Q(id__in=Subquery(UserBrand.filter(brand_id__in=list(brand_ids)).values("user_id")))
        )
    rows = await query.order_by("name", "email").values_list("email", "name")
    return [(str(e), str(n)) for e, n in rows]


async def auditor_board(
    auditor_id: int, brand_ids: Sequence[int] = ()
) -> tuple[list[Assignment], list[Assignment]]:
    """(the auditor's own unstarted visits, the open ones they may claim), due first.

    Open visits of a location the auditor already visits in the same wave
    (when the wave does not allow it) are left off the board, and so are
    those of other brands than ``brand_ids`` (a brand-limited auditor's).
    """
    mine = (
        await Assignment.filter(auditor_id=auditor_id, audit_uuid=None)
        .select_related("location", "wave")
        .order_by("due", "id")
        .limit(MAX_ROWS)
    )
    taken = Assignment.filter(wave_id__isnull=False).filter(
        Q(auditor_id=auditor_id)
        | Q(
            audit_uuid__in=Subquery(
                Audit.filter(auditor_id=auditor_id).values_list("uuid", flat=True)
            )
        )
    )
    pairs = set(await taken.values_list("wave_id", "location_id"))
    open_query = Assignment.filter(auditor_id=None, audit_uuid=None)
    if brand_ids:
        open_query = open_query.filter(location__brand_id__in=list(brand_ids))
    board = (
        await open_query.select_related("location", "wave")
        .order_by("due", "id")
        .limit(MAX_ROWS + len(pairs))
    )
    open_ = [
        r
        for r in board
        if r.wave is None or r.wave.allow_repeat or (r.wave_id, r.location_id) not in pairs  # type: ignore[attr-defined]
    ]
    return list(mine), open_[:MAX_ROWS]


# --- The job board: claim, release, HQ giving a visit to an auditor ---------
#
# Each change is one conditional UPDATE on the assignment's row, inside a
# short transaction that first locks the row (and, when its wave forbids an
# auditor visiting a location twice, the location's other rows of the wave,
# in id order so two claims never wait on each other in a circle).  SQLite
# ignores the row locks: its transactions begin IMMEDIATE, one writer at a
# time.  Of any number of auditors claiming one visit at once, the UPDATE of
# exactly one matches ``auditor_id IS NULL``.


@dataclass(frozen=True)
class Held:
    """An assignment's row as a change to it reads it (under its lock)."""

    id: int
    wave_id: int | None
    location_id: int
    auditor_id: int | None
    claimed_at: datetime | None
    audit_uuid: str | None
    due: date | None
    release_by: date | None
    allow_repeat: bool


def _lock(dialect: str) -> str:
    return " FOR UPDATE OF asg" if dialect == "postgres" else ""


def _held(row: sql.Row) -> Held:
    def day(value: Any) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) else value

    claimed = row["claimed_at"]
    if isinstance(claimed, str):
        claimed = datetime.fromisoformat(claimed)
    return Held(
        id=row["id"],
        wave_id=row["wave_id"],
        location_id=row["location_id"],
        auditor_id=row["auditor_id"],
        claimed_at=claimed,
        audit_uuid=row["audit_uuid"],
        due=day(row["due"]),
        release_by=day(row["release_by"]),
        allow_repeat=bool(row["allow_repeat"]) if row["allow_repeat"] is not None else True,
    )


_HELD_COLUMNS = (
    "asg.id, asg.wave_id, asg.location_id, asg.auditor_id, asg.claimed_at, asg.audit_uuid, "
    "asg.due, asg.release_by, w.allow_repeat"
)


async def _lock_row(assignment_id: int) -> Held | None:
    """The row, locked with the location's other rows of its wave when visits may not repeat."""
    db = sql.connection(Assignment)
    dialect = db.capabilities.dialect
    found = await sql.fetch(
        Assignment,
        f"SELECT {_HELD_COLUMNS} FROM assignment asg LEFT JOIN wave w ON w.id = asg.wave_id "
        "WHERE asg.id = ?",
        [assignment_id],
    )
    if not found:
        return None
    first = _held(found[0])
    if first.wave_id is not None and not first.allow_repeat:
        rows = await sql.fetch(
            Assignment,
            f"SELECT {_HELD_COLUMNS} FROM assignment asg JOIN wave w ON w.id = asg.wave_id "
            f"WHERE asg.wave_id = ? AND asg.location_id = ? ORDER BY asg.id{_lock(dialect)}",
            [first.wave_id, first.location_id],
        )
    else:
        rows = await sql.fetch(
            Assignment,
            f"SELECT {_HELD_COLUMNS} FROM assignment asg LEFT JOIN wave w ON w.id = asg.wave_id "
            f"WHERE asg.id = ?{_lock(dialect)}",
            [assignment_id],
        )
    return next((_held(r) for r in rows if r["id"] == assignment_id), None)


async def visits_location_in_wave(held: Held, auditor_id: int) -> bool:
    """The auditor has another visit of this location in this wave (given, claimed or started)."""
    if held.wave_id is None or held.allow_repeat:
        return False
    rows = await sql.fetch(
        Assignment,
        "SELECT 1 FROM assignment o WHERE o.wave_id = ? AND o.location_id = ? AND o.id <> ? "
        "AND (o.auditor_id = ? OR o.audit_uuid IN (SELECT uuid FROM audit WHERE auditor_id = ?)) "
        "LIMIT 1",
        [held.wave_id, held.location_id, held.id, auditor_id, auditor_id],
    )
    return bool(rows)


Outcome = Literal["claimed", "yours", "taken", "repeat", "missing"]


async def claim(assignment_id: int, auditor_id: int, now: datetime) -> Outcome:
    """Give an open assignment to the auditor who claims it; what happened, in one word."""
    async with in_transaction():
        held = await _lock_row(assignment_id)
        if held is None:
            return "missing"
        if held.auditor_id == auditor_id:
            return "yours"
        if held.auditor_id is not None or held.audit_uuid is not None:
            return "taken"
        if await visits_location_in_wave(held, auditor_id):
            return "repeat"
        changed = await sql.execute(
            Assignment,
            "UPDATE assignment SET auditor_id = ?, claimed_at = ? "
            "WHERE id = ? AND auditor_id IS NULL AND audit_uuid IS NULL",
            [auditor_id, now, assignment_id],
        )
        return "claimed" if changed == 1 else "taken"


ReleaseOutcome = Literal["released", "missing", "given", "started", "late"]


async def release(assignment_id: int, auditor_id: int, today: date) -> ReleaseOutcome:
    """Give a claimed, unstarted visit back to the job board, until its release day."""
    async with in_transaction():
        held = await _lock_row(assignment_id)
        if held is None or held.auditor_id != auditor_id:
            return "missing"
        if held.claimed_at is None:
            return "given"
        if held.audit_uuid is not None:
            return "started"
        if held.release_by is not None and today > held.release_by:
            return "late"
        changed = await sql.execute(
            Assignment,
            "UPDATE assignment SET auditor_id = NULL, claimed_at = NULL "
            "WHERE id = ? AND auditor_id = ? AND audit_uuid IS NULL",
            [assignment_id, auditor_id],
        )
        return "released" if changed == 1 else "started"


GiveOutcome = Literal["given", "missing", "started", "repeat", "same"]


async def give(assignment_id: int, auditor_id: int | None) -> GiveOutcome:
    """HQ gives the assignment to an auditor (None: back to the job board), unless started."""
    async with in_transaction():
        held = await _lock_row(assignment_id)
        if held is None:
            return "missing"
        if held.audit_uuid is not None:
            return "started"
        if held.auditor_id == auditor_id and held.claimed_at is None:
            return "same"
        if auditor_id is not None and await visits_location_in_wave(held, auditor_id):
            return "repeat"
        await sql.execute(
            Assignment,
            "UPDATE assignment SET auditor_id = ?, claimed_at = NULL "
            "WHERE id = ? AND audit_uuid IS NULL",
            [auditor_id, assignment_id],
        )
        return "given"


async def reopen_for(uuid: str) -> int | None:
    """The visit made for this assignment no longer counts (HQ rejected it): on the board again.

    The audit is unlinked and the auditor taken off, so any auditor of the
    programme may claim the visit; the id of the assignment reopened, if any.
    """
    async with in_transaction():
        rows = await Assignment.filter(audit_uuid=uuid).order_by("id").values("id")
        ids: list[int] = [row["id"] for row in rows]
        if not ids:
            return None
        await Assignment.filter(id__in=ids).update(
            audit_uuid=None, auditor_id=None, claimed_at=None
        )
        return ids[0]


async def repeats_in_wave(assignment_id: int, auditor_id: int) -> bool:
    """Starting this assignment would make the auditor visit its location twice in its wave."""
    rows = await sql.fetch(
        Assignment,
        f"SELECT {_HELD_COLUMNS} FROM assignment asg LEFT JOIN wave w ON w.id = asg.wave_id "
        "WHERE asg.id = ?",
        [assignment_id],
    )
    return bool(rows) and await visits_location_in_wave(_held(rows[0]), auditor_id)
