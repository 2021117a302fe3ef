"""What a crash or the passing of time leaves behind, cleared by the service itself.

Every worker does it in the background (requests need not wait): when it
starts, it removes the temporary files a killed process left in the media
directory and the report cache (walking a large directory on a network volume
takes a while); at start and then every hour, it deletes expired sessions,
spent sign-in throttle rows, long-dead links and month-old webhook events.
Each step deletes only what no live request can be using, in one statement,
and a file or row another worker removed first is simply not there any more,
so several workers doing the same at once would be harmless.  On PostgreSQL,
where many nodes share one database and one media directory, the shared
steps still run on one node at a time (:func:`audit.store.locks.single_node`):
the database sweep and the sweep of the media directory; a node that finds
one running skips it that round.  The report cache is each node's own (under
its ``AUDIT_VAR_DIR``), so every node sweeps its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import anyio.to_thread

from audit.media import remove_stale_uploads
from audit.report.pool import TEMP_PREFIX, report_cache
from audit.settings import Settings
from audit.store.account_tokens import delete_dead_links
from audit.store.accounts import delete_expired_sessions, delete_spent_throttles
from audit.store.locks import single_node
from audit.store.webhooks import delete_old_events

log = logging.getLogger("audit.housekeeping")

# Expired sessions are refused anyway, so the delay only bounds how many pile
# up: with an hourly sweep the session table holds about the last two weeks of
# sign-ins, small enough that the delete scans it cheaply (expires_at has no
# index, and needs none at that size).
DATABASE_SWEEP_SECONDS = 3600.0


async def sweep_media(settings: Settings) -> None:
    """Remove the temporary files a killed process left: uploads, and PDFs of the report cache."""
    removed = 0
    async with single_node("sweep-media") as ours:
        if ours:
            removed += await anyio.to_thread.run_sync(remove_stale_uploads, settings.media_dir)
    removed += await anyio.to_thread.run_sync(
        functools.partial(
            remove_stale_uploads, report_cache(settings).directory, prefix=TEMP_PREFIX
        )
    )
    if removed:
        log.info("removed %d temporary files left by an interrupted write", removed)


# Invitation and reset links are deleted a month after they expired: long
# enough for HQ to see that an invitation went unanswered, then they are noise.
DEAD_LINKS_KEPT = timedelta(days=30)
# Webhook events stay in their delivery logs for a month (for a re-send, or
# to see what a receiver was told), then only those still to be delivered.
WEBHOOK_EVENTS_KEPT = timedelta(days=30)


async def sweep_database() -> bool:
    """Delete expired sessions, the throttle rows that count for nothing, and links
    (invitations, resets) long expired.

    False when another node was doing it (nothing done here).
    """
    async with single_node("sweep-database") as ours:
        if not ours:
            return False
        sessions = await delete_expired_sessions()
        throttles = await delete_spent_throttles()
        links = await delete_dead_links(datetime.now(UTC) - DEAD_LINKS_KEPT)
        events = await delete_old_events(datetime.now(UTC) - WEBHOOK_EVENTS_KEPT)
    if sessions or throttles or links or events:
        log.info(
            "deleted %d expired sessions, %d spent throttle rows, %d dead links"
            " and %d old webhook events",
            sessions,
            throttles,
            links,
            events,
        )
    return True


async def _logged(step: Callable[[], Awaitable[object]], what: str) -> None:
    # A failed sweep (a database busy for a moment) waits for the next round;
    # it never stops the service.
    try:
        await step()
    except Exception:
        log.exception("%s failed", what)


async def _run(settings: Settings) -> None:
    await _logged(sweep_database, "deleting expired sessions")
    await _logged(lambda: sweep_media(settings), "sweeping the media directory")
    while True:
        await asyncio.sleep(DATABASE_SWEEP_SECONDS)
        await _logged(sweep_database, "deleting expired sessions")


@asynccontextmanager
async def housekeeping(settings: Settings) -> AsyncIterator[None]:
    """Run the housekeeping in the background while the service runs."""
    task = asyncio.create_task(_run(settings), name="housekeeping")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
