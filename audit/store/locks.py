"""One node at a time: PostgreSQL advisory locks for the service's background jobs.

Every node runs the same housekeeping. On one PostgreSQL database a job runs
on whichever node takes its lock first; the others skip that round rather
than wait, since the job is the same wherever it runs. The lock is
``pg_try_advisory_xact_lock`` inside a transaction that spans the job, so it
ends with the transaction, and with the session of a node that dies.

SQLite is one machine: there is no lock to take (and no transaction is held
open, which would stop every writer), and the jobs, idempotent, just run.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise import connections
from tortoise.transactions import in_transaction


def lock_key(job: str) -> int:
    """The advisory lock key of ``job``: a signed 64-bit number, the same on every node."""
    digest = hashlib.sha256(f"audit:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@asynccontextmanager
async def single_node(job: str) -> AsyncIterator[bool]:
    """True when this node is to run ``job`` now; False when another node is running it.

    On PostgreSQL the block runs in a transaction that holds the lock.
    """
    if connections.get("default").capabilities.dialect != "postgres":
        yield True
        return
    async with in_transaction() as conn:
        rows = await conn.execute_query_dict(
            "SELECT pg_try_advisory_xact_lock($1) AS held", [lock_key(job)]
        )
        yield bool(rows[0]["held"])
