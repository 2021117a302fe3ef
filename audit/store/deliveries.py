"""Report e-mail deliveries: one queue that every node of the service shares.

A delivery is claimed for one attempt by moving it to "sending" with a lease
(``next_attempt_at`` is when the claim runs out) and counting the attempt at
once: the attempt number is the claim's fencing token. Only the holder of the
current attempt can renew its lease, record it sent or record it failed; a
node whose lease ran out (it stalled, or died mid-send) finds that its
updates match no row, because whoever took the delivery over holds the next
attempt number. A claim never outlived by its lease is the only one.

Claiming takes the first due row with ``SELECT … FOR UPDATE SKIP LOCKED`` in
a short transaction: on PostgreSQL nodes polling at the same moment each take
a different row, none waits for another. SQLite ignores the row lock, but its
transactions begin ``IMMEDIATE`` (one writer at a time on the one machine), and
the update is conditional on the status and attempts read, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from audit.models import Delivery

UNFINISHED = ("pending", "failed", "sending")


@dataclass(frozen=True)
class Claim:
    """One attempt at one delivery, held by this node until its lease runs out."""

    id: int
    audit_id: int
    recipient: str
    attempt: int  # 1 for the first; the fencing token of every update below
    purpose: str = "report"


REPORT = "report"  # Delivery.purpose of the audit's report


async def record_deliveries(
    audit_id: int, recipients: Sequence[str], purpose: str = REPORT
) -> list[Delivery]:
    """One pending delivery per recipient; an existing one is kept (approval may repeat).

    ``purpose``: the report (once per owner), or another e-mail about the
    audit, one per owner and purpose (a reminder of an action on one day).
    """
    out = []
    for email in dict.fromkeys(recipients):
        delivery, _ = await Delivery.get_or_create(
            audit_id=audit_id, recipient=email, purpose=purpose
        )
        out.append(delivery)
    return out


def _due(now: datetime, max_attempts: int) -> QuerySet[Delivery]:
    # Not sent yet, tries left, and due: a retry whose time came, or a claim whose lease ran out.
    return Delivery.filter(status__in=UNFINISHED, attempts__lt=max_attempts).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


async def claim_next(now: datetime, lease_until: datetime, max_attempts: int) -> Claim | None:
    """Take the first due delivery for one attempt, or None when none is due (or free)."""
    async with in_transaction():
        # Model rows: Tortoise leaves FOR UPDATE out of .values() queries.
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
        taken = await Delivery.filter(
            id=found.id, status=found.status, attempts=found.attempts
        ).update(status="sending", attempts=attempt, next_attempt_at=lease_until)
    if not taken:
        return None  # another process took it between the read and the update
    audit_id: int = found.audit_id  # type: ignore[attr-defined]
    return Claim(found.id, audit_id, found.recipient, attempt, found.purpose)


def _held(claim: Claim) -> QuerySet[Delivery]:
    return Delivery.filter(id=claim.id, status="sending", attempts=claim.attempt)


async def renew(claim: Claim, lease_until: datetime) -> bool:
    """Extend the lease; False when the claim is no longer this node's."""
    return bool(await _held(claim).update(next_attempt_at=lease_until))


async def mark_sent(claim: Claim, now: datetime) -> bool:
    return bool(
        await _held(claim).update(status="sent", sent_at=now, last_error="", next_attempt_at=None)
    )


async def mark_skipped(claim: Claim, reason: str) -> bool:
    """Nothing to send any more (a reminder of an action done meanwhile): finished, unsent."""
    return bool(
        await _held(claim).update(status="skipped", last_error=reason[:2000], next_attempt_at=None)
    )


async def mark_failed(claim: Claim, error: str, next_attempt_at: datetime | None) -> bool:
    """A failed attempt; ``next_attempt_at`` None means no more tries."""
    return bool(
        await _held(claim).update(
            status="failed" if next_attempt_at is not None else "abandoned",
            last_error=error[:2000],
            next_attempt_at=next_attempt_at,
        )
    )


async def next_due_at(now: datetime, max_attempts: int) -> datetime | None:
    """When the next unfinished delivery falls due (``now`` for a new one; else a retry,
    or a lease running out); None when nothing is left to send."""
    unfinished = Delivery.filter(status__in=UNFINISHED, attempts__lt=max_attempts)
    if await unfinished.filter(next_attempt_at__isnull=True).exists():
        return now
    rows = (
        await unfinished.order_by("next_attempt_at")
        .limit(1)
        .values_list("next_attempt_at", flat=True)
    )
    first = rows[0] if rows else None
    return first if isinstance(first, datetime) else None


async def deliveries_of(audit_id: int) -> list[Delivery]:
    return await Delivery.filter(audit_id=audit_id).order_by("id")
