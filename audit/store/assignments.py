"""Assignments and the audits made from them: the queries.

An assignment is linked to its audit by ``audit_uuid`` when the auditor
starts the audit from it; its state is then the audit's (a draft is
"started"), read from the audit row, so it can never disagree with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.expressions import Q, Subquery

from audit.models import Assignment, Audit

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


async def link_audit(assignment_id: int, uuid: str) -> bool:
    """Link an open assignment to the audit started from it; False when another audit took it."""
    changed = await Assignment.filter(
        Q(audit_uuid=None) | Q(audit_uuid=uuid), id=assignment_id
    ).update(audit_uuid=uuid)
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


async def all_assignments(state: str | None) -> tuple[list[Assignment], dict[int, str]]:
    """HQ's list: every assignment (or those in ``state``), due first, with their states."""
    query = Assignment.all()
    if state == "open":
        query = query.filter(audit_uuid=None)
    elif state is not None:
        statuses = [s for s, st in STATE_OF_STATUS.items() if st == state]
        linked = Audit.filter(status__in=statuses).values_list("uuid", flat=True)
        query = query.filter(audit_uuid__in=Subquery(linked))
    rows = await query.select_related("location").order_by("due", "id").limit(MAX_ROWS)
    return rows, await states_of(rows)
