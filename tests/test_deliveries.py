"""The shared e-mail queue: claims, leases and their fencing (audit.store.deliveries).

Several nodes poll one queue; these cases race claims in one process on
SQLite and PostgreSQL (each claim in its own transaction, so on PostgreSQL
they run on separate connections, as on separate nodes). The same with real
nodes and a real mail server: tests/test_multinode_mail.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from audit.models import Audit, ChecklistVersion, Delivery, Location, User
from audit.store import deliveries as queue
from tests.helpers import new_uuid, seed

LEASE = timedelta(seconds=15)
MAX_ATTEMPTS = 10


async def deliveries(count: int) -> list[Delivery]:
    await seed()
    auditor = await User.get(email="auditor@x.test")
    location = await Location.get(code="S1")
    version = await ChecklistVersion.all().first()
    assert version is not None
    audit = await Audit.create(
        uuid=new_uuid(),
        auditor=auditor,
        location=location,
        checklist=version,
        checklist_slug="shop",
        status="approved",
    )
    return await queue.record_deliveries(audit.id, [f"owner{n}@x.test" for n in range(count)])


async def test_concurrent_claims_take_each_due_delivery_exactly_once(db) -> None:
    made = await deliveries(6)
    now = datetime.now(UTC)

    claims = await asyncio.gather(
        *(queue.claim_next(now, now + LEASE, MAX_ATTEMPTS) for _ in range(12))
    )

    taken = [c for c in claims if c is not None]
    assert sorted(c.id for c in taken) == sorted(d.id for d in made)
    assert {c.attempt for c in taken} == {1}
    rows = await Delivery.all()
    assert {(d.status, d.attempts) for d in rows} == {("sending", 1)}


async def test_a_run_out_lease_is_taken_over_once_and_the_old_holder_can_no_longer_finish(
    db,
) -> None:
    [made] = await deliveries(1)
    now = datetime.now(UTC)
    first = await queue.claim_next(now, now + LEASE, MAX_ATTEMPTS)
    assert first is not None
    assert await queue.claim_next(now + LEASE / 2, now + LEASE, MAX_ATTEMPTS) is None  # held

    later = now + LEASE + timedelta(seconds=1)  # the first node died mid-send
    takers = await asyncio.gather(
        *(queue.claim_next(later, later + LEASE, MAX_ATTEMPTS) for _ in range(4))
    )

    [second] = [c for c in takers if c is not None]
    assert (second.id, second.attempt) == (made.id, 2)
    # The first holder, back from the dead, can neither renew nor finish it.
    assert not await queue.renew(first, later + LEASE)
    assert not await queue.mark_sent(first, later)
    assert not await queue.mark_failed(first, "late", None)
    assert await queue.mark_sent(second, later)
    row = await Delivery.get(id=made.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("sent", 2, None)


async def test_the_next_due_time_is_the_earliest_retry_or_lease(db) -> None:
    made = await deliveries(2)
    now = datetime.now(UTC).replace(microsecond=0)
    assert await queue.next_due_at(now, MAX_ATTEMPTS) == now  # new ones are due at once

    claim = await queue.claim_next(now, now + LEASE, MAX_ATTEMPTS)
    assert claim is not None
    await queue.mark_failed(claim, "refused", now + timedelta(minutes=1))
    other = await queue.claim_next(now, now + LEASE, MAX_ATTEMPTS)
    assert other is not None and other.id != claim.id

    assert await queue.next_due_at(now, MAX_ATTEMPTS) == now + LEASE
    assert {d.id for d in made} == {claim.id, other.id}
    assert await queue.mark_sent(other, now)
    assert await queue.next_due_at(now, MAX_ATTEMPTS) == now + timedelta(minutes=1)
