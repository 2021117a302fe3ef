"""Background jobs that many nodes share run on one node at a time (audit.store.locks)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from audit.auth import new_token, token_hash
from audit.housekeeping import sweep_database
from audit.models import Session, User
from audit.settings import Settings
from audit.store.accounts import now
from audit.store.locks import lock_key, single_node


async def expired_session() -> None:
    user = await User.create(email="ann@x.test", role="auditor", password_hash="-")
    await Session.create(
        token_hash=token_hash(new_token()),
        user=user,
        csrf_token=new_token(),
        expires_at=now() - timedelta(minutes=1),
    )


async def test_a_sweep_another_node_is_running_is_skipped_then_runs_once_it_is_done(
    db: Settings,
) -> None:
    await expired_session()
    holding, done = asyncio.Event(), asyncio.Event()

    async def other_node() -> None:
        # Another session of the database: on PostgreSQL, as if on another machine.
        async with single_node("sweep-database") as ours:
            assert ours
            holding.set()
            await done.wait()

    other = asyncio.create_task(other_node())
    await holding.wait()
    try:
        ran_beside = await sweep_database()
        left_beside = await Session.all().count()
    finally:
        done.set()
        await other

    if db.database_url.startswith("postgres"):
        assert (ran_beside, left_beside) == (False, 1)
    else:
        # SQLite is one machine: no lock, the idempotent sweep just runs.
        assert (ran_beside, left_beside) == (True, 0)
    assert await sweep_database()
    assert await Session.all().count() == 0


def test_lock_keys_are_fixed_64_bit_numbers_distinct_per_job() -> None:
    keys = {lock_key(job) for job in ("sweep-database", "sweep-media", "audit_mg")}
    assert len(keys) == 3
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert lock_key("sweep-database") == lock_key("sweep-database")
