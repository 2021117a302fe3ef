"""Database set-up: Tortoise configuration, migrations, connection lifetime."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate
from tortoise.migrations.recorder import MigrationRecorder

from audit import migrations as migrations_package
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


# How long a SQLite write waits for another process's write to finish before
# "database is locked": longer than any write transaction of ours takes.
BUSY_TIMEOUT_MS = 10_000


def _connection(url: str) -> Any:
    if not url.startswith("sqlite://"):
        return url
    path = url.removeprefix("sqlite://")
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        # Tortoise's SQLite backend with transactions that begin IMMEDIATE
        # (why: audit/sqlite_backend.py).
        "engine": "audit.sqlite_backend",
        "credentials": {
            "file_path": path,
            # First: the pragmas below are applied in order, and switching a
            # new file to WAL needs a lock that another process may hold.
            "busy_timeout": BUSY_TIMEOUT_MS,
            # WAL lets readers run beside the one writer.  synchronous=FULL:
            # an acknowledged submission must survive a power cut, and at
            # our write rate (a few rows per audit) FULL costs little.
            "journal_mode": "WAL",
            "synchronous": "FULL",
            "foreign_keys": "ON",
            # 64 MB page cache: comparisons over 100,000 audits stay in memory.
            "cache_size": -65536,
        },
    }


# The key of the PostgreSQL advisory lock held while migrating (advisory
# locks are per database; any constant no other program on it uses will do).
MIGRATION_LOCK_KEY = 0x6175_6469_745F_6D67  # "audit_mg"


async def apply_migrations(database_url: str) -> None:
    """Bring the schema up to date (a fresh, empty database just works).

    Every worker and command migrates when it starts, so several may do it at
    the same moment; each migrates under a lock held across processes, and
    the ones that wait find nothing left to do.
    """
    async with _migration_lock(database_url):
        try:
            await migrate(config=tortoise_config(database_url))
        finally:
            # Also on failure: an open SQLite connection's thread would keep
            # the process from exiting.
            await Tortoise.close_connections()


@asynccontextmanager
async def _migration_lock(database_url: str) -> AsyncIterator[None]:
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://")
        if path == ":memory:":
            yield
            return
        async with _file_lock(Path(f"{path}-migrations.lock")):
            yield
        return
    info = expand_db_url(database_url)
    if info["engine"] not in ("tortoise.backends.asyncpg", "tortoise.backends.psycopg"):
        yield
        return
    import asyncpg  # type: ignore[import-untyped]

    credentials = info["credentials"]
    params = {
        key: credentials[key]
        for key in ("host", "port", "user", "password", "database", "ssl")
        if credentials.get(key) is not None
    }
    # A connection of its own: the lock is the session's, and Tortoise's pool
    # is opened and closed inside the migration.
    conn = await asyncpg.connect(**params)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        # Closing the session would release the lock too (and a killed
        # process's session ends with it).
        await conn.close()


@asynccontextmanager
async def _file_lock(path: Path) -> AsyncIterator[None]:
    """An exclusive lock on ``path`` (created if missing) between processes.

    SQLite has no lock to hold across Tortoise's migration (it reads what was
    applied, then migrates in transactions of its own), hence a lock file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await anyio.to_thread.run_sync(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the file releases the lock.
        os.close(fd)


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


# A database that takes longer than this to answer "SELECT 1" is not ready:
# a load balancer's probe must get an answer well before its own timeout.
READY_TIMEOUT_S = 2.0


def package_migrations() -> list[str]:
    """The migrations this version of the package ships (as Tortoise's loader finds them)."""
    return sorted(
        name
        for _, name, is_pkg in pkgutil.iter_modules(migrations_package.__path__)
        if not is_pkg and name[0] not in "_~"
    )


async def database_problems() -> dict[str, str]:
    """What keeps the database from serving this package: ``{}`` when nothing does.

    A trivial query on the open connection, then the package's migrations
    compared with those recorded as applied (a new version started against
    a database nobody migrated is not ready, it would fail on its first query).
    """
    try:
        conn = connections.get("default")
        async with asyncio.timeout(READY_TIMEOUT_S):
            await conn.execute_query("SELECT 1")
            applied = await MigrationRecorder(conn).applied_migrations()
    except TimeoutError:
        return {"database": f"no answer within {READY_TIMEOUT_S:g} s"}
    # Whatever the driver raises (refused, reset, bad password), the answer is the same.
    except Exception as exc:
        return {"database": f"not reachable ({type(exc).__name__})"}
    done = {key.name for key in applied if key.app_label == "models"}
    missing = [name for name in package_migrations() if name not in done]
    if missing:
        return {"migrations": "not applied: " + ", ".join(missing)}
    return {}


# For Tortoise's own command line (`tortoise -c audit.db.TORTOISE_ORM makemigrations`).
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
