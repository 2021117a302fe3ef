"""Database set-up: Tortoise configuration, migrations, connection lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from audit.settings import Settings


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            "models": {
                "models": ["audit.models"],
                "default_connection": "default",
                "migrations": "audit.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(url: str) -> Any:
    if not url.startswith("sqlite://"):
        return url
    path = url.removeprefix("sqlite://")
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "engine": "tortoise.backends.sqlite",
        "credentials": {
            "file_path": path,
            # WAL lets readers run beside the one writer.  synchronous=FULL:
            # an acknowledged submission must survive a power cut, and at
            # our write rate (a few rows per audit) FULL costs little.
            "journal_mode": "WAL",
            "synchronous": "FULL",
            "foreign_keys": "ON",
            "busy_timeout": 10000,
            # 64 MB page cache: comparisons over 100,000 audits stay in memory.
            "cache_size": -65536,
        },
    }


async def apply_migrations(database_url: str) -> None:
    """Bring the schema up to date (a fresh, empty database just works)."""
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[None]:
    await apply_migrations(settings.database_url)
    # A server runs its lifespan in one task and each request in another, so
    # the context Tortoise keeps in a contextvar must also be the global
    # fallback (closing the connections clears it again).
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()


# For Tortoise's own command line (`tortoise -c audit.db.TORTOISE_ORM makemigrations`).
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
