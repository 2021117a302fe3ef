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

from datetime import UTC, date, datetime

from audit.auth import Principal
from audit.errors import Conflict, Invalid, NotFound
from audit.models import Assignment, Location
from audit.store import assignments as store
from audit.store.accounts import user_brand_ids

# The loser of a claim race, or anyone claiming a taken visit, reads this;
# who took it is never said (shoppers do not learn each other's names).
TAKEN = "already claimed by another shopper"
REPEAT = "you already have a visit to this location in this wave"


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
    elif row.auditor_id is None and await store.repeats_in_wave(row.id, who.user_id):  # type: ignore[attr-defined]
        problem = REPEAT
    else:
        return
    raise Invalid("the audit has invalid fields", {"assignment": problem})


async def link_start(uuid: str, assignment_id: int | None, auditor_id: int | None = None) -> None:
    """Link the audit just created to its (checked) assignment.

    Of two auditors starting the same open assignment at once, the first
    link wins; the other's audit stays, unlinked, as any audit.  So does one
    started from a visit another auditor claimed meanwhile.
    """
    if assignment_id is not None:
        await store.link_audit(assignment_id, uuid, auditor_id)


async def hq_assignments(
    who: Principal, state: str | None, wave_id: int | None = None, today: date | None = None
) -> tuple[list[Assignment], dict[int, str]]:
    """HQ's list: every assignment, or those in ``state`` (or of one wave), each with its state."""
    if state is not None and state not in store.FILTERS:
        raise Invalid("unknown state", {"state": f"must be one of {', '.join(store.FILTERS)}"})
    return await store.all_assignments(state, wave_id, today or _today(), who.brand_limit)


async def visible_assignment(who: Principal, assignment_id: int) -> None:
    """404 unless the assignment exists at a location of the caller's brands."""
    exists, brand_id = await store.location_brand_of(assignment_id)
    if not exists or not who.sees_location(brand_id):
        raise NotFound("no such assignment")


async def auditor_fits(auditor_id: int, location_brand_id: int | None) -> bool:
    """Whether the auditor may visit a location of that brand: one limited to brands,
    only theirs."""
    brands = await user_brand_ids(auditor_id)
    return not brands or location_brand_id in brands


def _today() -> date:
    return datetime.now(UTC).date()


async def claim(who: Principal, assignment_id: int) -> Assignment:
    """An auditor takes an open visit from the job board: theirs alone, or 409 saying why not."""
    await visible_assignment(who, assignment_id)
    outcome = await store.claim(assignment_id, who.user_id, datetime.now(UTC))
    if outcome == "missing":
        raise NotFound("no such assignment")
    if outcome == "taken":
        raise Conflict(TAKEN, {"assignment": TAKEN})
    if outcome == "repeat":
        raise Conflict(REPEAT, {"assignment": REPEAT})
    row = await store.assignment_by_id(assignment_id)
    assert row is not None
    return row


OTHER_BRAND = "is limited to other brands than the location's"

RELEASE_REFUSED = {
    "given": "head office gave you this visit: ask them to give it to someone else",
    "started": "you have started this visit: discard its draft before giving it back",
}


async def release(who: Principal, assignment_id: int) -> Assignment:
    """Give a claimed visit back to the job board, before its release day and before starting."""
    today = _today()
    outcome = await store.release(assignment_id, who.user_id, today)
    if outcome == "missing":
        raise NotFound("no such assignment of yours")
    row = await store.assignment_by_id(assignment_id)
    assert row is not None
    if outcome == "late":
        assert row.release_by is not None
        message = (
            f"this visit could be given back until {row.release_by.isoformat()}: "
            "ask head office to give it to someone else"
        )
        raise Conflict(message, {"assignment": message})
    if outcome in RELEASE_REFUSED:
        raise Conflict(RELEASE_REFUSED[outcome], {"assignment": RELEASE_REFUSED[outcome]})
    return row


GIVE_REFUSED = {
    "started": "the visit is started: its auditor can no longer change",
    "repeat": "this auditor already has a visit to this location in this wave",
}


async def give(
    assignment_id: int, auditor_id: int | None, who: Principal | None = None
) -> tuple[Assignment, bool]:
    """HQ gives the visit to an auditor, or back to the job board; and whether it changed.

    ``who``: the HQ user (None: the command line, the agency's)."""
    if who is not None:
        await visible_assignment(who, assignment_id)
    if auditor_id is not None:
        _, brand_id = await store.location_brand_of(assignment_id)
        if not await auditor_fits(auditor_id, brand_id):
            raise Invalid("the auditor is not one of this brand's", {"auditor": OTHER_BRAND})
    outcome = await store.give(assignment_id, auditor_id)
    if outcome == "missing":
        raise NotFound("no such assignment")
    if outcome in GIVE_REFUSED:
        field = "auditor" if outcome == "repeat" else "assignment"
        raise Conflict(GIVE_REFUSED[outcome], {field: GIVE_REFUSED[outcome]})
    row = await store.assignment_by_id(assignment_id)
    assert row is not None
    return row, outcome == "given"
