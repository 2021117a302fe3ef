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

from audit.models import Delivery
from audit.store.leases import LeasedQueue


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


QUEUE = LeasedQueue(Delivery)


async def claim_next(now: datetime, lease_until: datetime, max_attempts: int) -> Claim | None:
    """Take the first due delivery for one attempt, or None when none is due (or free)."""
    taken = await QUEUE.claim(now, lease_until, max_attempts)
    if taken is None:
        return None
    found, attempt = taken
    audit_id: int = found.audit_id  # type: ignore[attr-defined]
    return Claim(found.id, audit_id, found.recipient, attempt, found.purpose)


async def renew(claim: Claim, lease_until: datetime) -> bool:
    """Extend the lease; False when the claim is no longer this node's."""
    return await QUEUE.renew(claim.id, claim.attempt, lease_until)


async def mark_sent(claim: Claim, now: datetime) -> bool:
    return await QUEUE.mark_sent(claim.id, claim.attempt, now)


async def mark_skipped(claim: Claim, reason: str) -> bool:
    """Nothing to send any more (a reminder of an action done meanwhile): finished, unsent."""
    return await QUEUE.mark_done_unsent(claim.id, claim.attempt, "skipped", reason)


async def mark_failed(claim: Claim, error: str, next_attempt_at: datetime | None) -> bool:
    """A failed attempt; ``next_attempt_at`` None means no more tries."""
    return await QUEUE.mark_failed(claim.id, claim.attempt, error, next_attempt_at)


async def next_due_at(now: datetime, max_attempts: int) -> datetime | None:
    """When the next unfinished delivery falls due (``now`` for a new one; else a retry,
    or a lease running out); None when nothing is left to send."""
    return await QUEUE.next_due_at(now, max_attempts)


async def deliveries_of(audit_id: int) -> list[Delivery]:
    return await Delivery.filter(audit_id=audit_id).order_by("id")
