"""What a crash leaves behind, cleared by the service itself.

Every worker does it when it starts, in the background (a large media
directory on a network volume takes a while to walk, and requests need not
wait for it).  Several workers doing the same work at once is harmless: each
step deletes only what no live request can be using, and a file another
worker removed first is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread

from audit.settings import Settings
from audit.store.photos import remove_stale_uploads

log = logging.getLogger("audit.housekeeping")


async def sweep_media(settings: Settings) -> None:
    """Remove the temporary upload files a killed process left in the media directory."""
    removed = await anyio.to_thread.run_sync(remove_stale_uploads, settings.media_dir)
    if removed:
        log.info("removed %d temporary upload files left by an interrupted upload", removed)


async def _run(settings: Settings) -> None:
    try:
        await sweep_media(settings)
    except Exception:
        log.exception("sweeping the media directory failed")


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
