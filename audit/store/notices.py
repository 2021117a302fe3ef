"""Assignment notices: the queue of e-mails telling auditors HQ gave them a visit.

The same protocol as the report deliveries (:mod:`audit.store.deliveries`):
an attempt claims a row by moving it to "sending" with a lease and counting
the attempt at once (the attempt number is the fencing token of every later
update), ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL and IMMEDIATE
transactions on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from audit.models import Assignment, AssignmentNotice

UNFINISHED = ("pending", "failed", "sending")


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


def _due(now: datetime, max_attempts: int) -> QuerySet[AssignmentNotice]:
    return AssignmentNotice.filter(status__in=UNFINISHED, attempts__lt=max_attempts).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


async def claim_next(now: datetime, lease_until: datetime, max_attempts: int) -> NoticeClaim | None:
    """Take the first due notice for one attempt, or None."""
    async with in_transaction():
        rows = (
            await _due(now, max_attempts)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .limit(1)
        )
        if not rows:
            return None
        found = rows[0]
        attempt = found.attempts + 1
        taken = await AssignmentNotice.filter(
            id=found.id, status=found.status, attempts=found.attempts
        ).update(status="sending", attempts=attempt, next_attempt_at=lease_until)
    if not taken:
        return None
    assignment_id: int = found.assignment_id  # type: ignore[attr-defined]
    return NoticeClaim(found.id, assignment_id, found.recipient, attempt)


def _held(claim: NoticeClaim) -> QuerySet[AssignmentNotice]:
    return AssignmentNotice.filter(id=claim.id, status="sending", attempts=claim.attempt)


async def renew(claim: NoticeClaim, lease_until: datetime) -> bool:
    return bool(await _held(claim).update(next_attempt_at=lease_until))


async def mark_sent(claim: NoticeClaim, now: datetime) -> bool:
    return bool(
        await _held(claim).update(status="sent", sent_at=now, last_error="", next_attempt_at=None)
    )


async def mark_skipped(claim: NoticeClaim, reason: str) -> bool:
    """The visit is no longer theirs (given to someone else, or started): nothing to send."""
    return bool(
        await _held(claim).update(status="skipped", last_error=reason[:2000], next_attempt_at=None)
    )


async def mark_failed(claim: NoticeClaim, error: str, next_attempt_at: datetime | None) -> bool:
    return bool(
        await _held(claim).update(
            status="failed" if next_attempt_at is not None else "abandoned",
            last_error=error[:2000],
            next_attempt_at=next_attempt_at,
        )
    )


async def next_due_at(now: datetime, max_attempts: int) -> datetime | None:
    unfinished = AssignmentNotice.filter(status__in=UNFINISHED, attempts__lt=max_attempts)
    if await unfinished.filter(next_attempt_at__isnull=True).exists():
        return now
    rows = (
        await unfinished.order_by("next_attempt_at")
        .limit(1)
        .values_list("next_attempt_at", flat=True)
    )
    first = rows[0] if rows else None
    return first if isinstance(first, datetime) else None


async def notice_assignment(assignment_id: int) -> Assignment | None:
    """The visit of a notice, with what its e-mail says (location, wave, auditor)."""
    return await Assignment.get_or_none(id=assignment_id).select_related(
        "location", "wave", "auditor"
    )
