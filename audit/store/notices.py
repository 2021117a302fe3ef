"""Assignment notices: the queue of e-mails telling auditors HQ gave them a visit.

The same protocol as the report deliveries: a :class:`audit.store.leases.LeasedQueue`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from audit.models import Assignment, AssignmentNotice
from audit.store.leases import LeasedQueue


@dataclass(frozen=True)
class NoticeClaim:
    id: int
    assignment_id: int
    recipient: str
    attempt: int


async def record_notice(assignment_id: int, recipient: str) -> AssignmentNotice:
    """One notice per visit and auditor (giving it to them again sends no second one)."""
    notice, _ = await AssignmentNotice.get_or_create(
        assignment_id=assignment_id, recipient=recipient
    )
    return notice


QUEUE = LeasedQueue(AssignmentNotice)


async def claim_next(now: datetime, lease_until: datetime, max_attempts: int) -> NoticeClaim | None:
    """Take the first due notice for one attempt, or None."""
    taken = await QUEUE.claim(now, lease_until, max_attempts)
    if taken is None:
        return None
    found, attempt = taken
    assignment_id: int = found.assignment_id  # type: ignore[attr-defined]
    return NoticeClaim(found.id, assignment_id, found.recipient, attempt)


async def renew(claim: NoticeClaim, lease_until: datetime) -> bool:
    return await QUEUE.renew(claim.id, claim.attempt, lease_until)


async def mark_sent(claim: NoticeClaim, now: datetime) -> bool:
    return await QUEUE.mark_sent(claim.id, claim.attempt, now)


async def mark_skipped(claim: NoticeClaim, reason: str) -> bool:
    """The visit is no longer theirs (given to someone else, or started): nothing to send."""
    return await QUEUE.mark_done_unsent(claim.id, claim.attempt, "skipped", reason)


async def mark_failed(claim: NoticeClaim, error: str, next_attempt_at: datetime | None) -> bool:
    return await QUEUE.mark_failed(claim.id, claim.attempt, error, next_attempt_at)


async def next_due_at(now: datetime, max_attempts: int) -> datetime | None:
    return await QUEUE.next_due_at(now, max_attempts)


async def notice_assignment(assignment_id: int) -> Assignment | None:
    """The visit of a notice, with what its e-mail says (location, wave, auditor)."""
    return await Assignment.get_or_none(id=assignment_id).select_related(
        "location", "wave", "auditor"
    )
