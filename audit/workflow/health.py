"""Is this process able to serve: the checks behind ``/readyz`` and the scrape-time figures."""

from __future__ import annotations

import tempfile
from pathlib import Path

import anyio.to_thread

from audit.db import database_problems
from audit.settings import Settings
from audit.store import webhooks
from audit.store.queues import delivery_queue_depth


def _media_problem(directory: Path) -> str | None:
    # Create and delete a real file: a read-only mount, a full disk or a
    # changed owner all show up here, where a permission bit check may not.
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".readyz-"):
            pass
    except OSError as exc:
        return f"{directory} is not writable ({exc.strerror or type(exc).__name__})"
    return None


async def readiness(settings: Settings) -> dict[str, str]:
    """What keeps this process from serving requests, by component; ``{}`` when ready."""
    problems = await database_problems()
    media = await anyio.to_thread.run_sync(_media_problem, settings.media_dir)
    if media is not None:
        problems["media"] = media
    return problems


async def queue_depths() -> dict[str, dict[str, int]]:
    """What waits in the durable queues, by queue and status."""
    return {
        "deliveries": await delivery_queue_depth(),
        "webhooks": await webhooks.queue_depth(),
    }
