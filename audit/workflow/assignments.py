"""An audit started from an assignment: the checks that it may be, and the link.

The PWA sends the assignment's id with the audit's first PUT (``assignment``
in the payload).  The assignment must be the auditor's own or open to any
auditor, not taken by another audit, and for the same location and
checklist; then the new audit is linked to it and the assignment's state
follows the audit (:mod:`audit.store.assignments`).  An open assignment that
another auditor started meanwhile (this phone was offline) is no error: the
visit happened and is kept, as an audit of its own, unlinked.
"""

from __future__ import annotations

from audit.auth import Principal
from audit.errors import Invalid
from audit.models import Assignment, Location
from audit.store import assignments as store


async def check_start(
    who: Principal, uuid: str, assignment_id: int | None, location: Location, checklist: str
) -> None:
    """Refuse (422 naming ``assignment``) an assignment this new audit cannot be made from.

    Only a client's mistake is refused: someone else's assignment, another
    location or checklist.  One taken meanwhile is left to :func:`link_start`.
    """
    if assignment_id is None:
        return
    row = await store.assignment_by_id(assignment_id)
    # Another auditor's assignment reads as missing: its existence does not leak.
    if row is None or row.auditor_id not in (None, who.user_id):  # type: ignore[attr-defined]
        problem = "no such assignment of yours"
    elif row.location_id != location.id:  # type: ignore[attr-defined]
        problem = "this assignment is for another location"
    elif row.checklist_slug != checklist:
        problem = f"this assignment is for the checklist {row.checklist_slug!r}"
    else:
        return
    raise Invalid("the audit has invalid fields", {"assignment": problem})


async def link_start(uuid: str, assignment_id: int | None) -> None:
    """Link the audit just created to its (checked) assignment.

    Of two auditors starting the same open assignment at once, the first
    link wins; the other's audit stays, unlinked, as any audit.
    """
    if assignment_id is not None:
        await store.link_audit(assignment_id, uuid)


async def hq_assignments(state: str | None) -> tuple[list[Assignment], dict[int, str]]:
    """HQ's list: every assignment, or those in ``state``, each with its state."""
    if state is not None and state not in store.STATES:
        raise Invalid("unknown state", {"state": f"must be one of {', '.join(store.STATES)}"})
    return await store.all_assignments(state)
