"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when asked), the app, clients.

PostgreSQL runs when ``CI`` is set or ``AUDIT_TEST_POSTGRES`` names a server
(e.g. ``postgres://postgres@127.0.0.1:5432/test``).  Each test session creates
its own database there and drops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

import audit.auth
from audit.app import create_app
from audit.db import apply_migrations, tortoise_config
from audit.settings import Settings
from tests.helpers import Session, sign_in

ROOT = Path(__file__).resolve().parent.parent

# Tests hash many passwords; the production cost (argon2 defaults) protects
# stored hashes, not behaviour under test.  Hashes carry their own parameters.
audit.auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"


def _postgres_url() -> str | None:
    url = os.environ.get("AUDIT_TEST_POSTGRES")
    if url:
        return url
    if os.environ.get("CI"):
        return DEFAULT_PG
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if _postgres_url():
            backends.append("postgres")
        metafunc.parametrize("backend", backends, scope="session")


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated empty SQLite database, copied for each test (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _run(apply_migrations(f"sqlite://{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    base = _postgres_url()
    if base is None:
        pytest.skip("PostgreSQL not configured")
    name = f"audit_test_{uuid.uuid4().hex[:10]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"

    async def create() -> None:
        import asyncpg

        conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    async def drop() -> None:
        import asyncpg

        conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    _run(create())
    url = base.rsplit("/", 1)[0] + "/" + name
    _run(apply_migrations(url))
    try:
        yield url
    finally:
        _run(drop())


TABLES = (
    "webhook_delivery",
    "webhook_event",
    "webhook_endpoint",
    "api_token",
    "corrective_action",
    "appeal",
    "report_benchmarks",
    "delivery",
    "review_event",
    "visit_check",
    "photo",
    "item_score",
    "section_score",
    "audit",
    "assignment_notice",
    "assignment",
    "wave",
    "checklist_version",
    "session",
    "account_token",
    "login_throttle",
    "location_owner",
    "user_brand",
    "user",
    "location",
    "region",
    "brand",
)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "audit.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite://{path}"
    url: str = request.getfixturevalue("postgres_database")

    async def truncate() -> None:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        tables = ", ".join(f'"{t}"' for t in TABLES)
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        await conn.close()

    _run(truncate())
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        media_dir=tmp_path / "media",
        var_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        checklists_dir=ROOT / "checklists",
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Settings]:
    # Tortoise caches insert SQL per connection name and table, not per dialect;
    # the suite switches from SQLite to PostgreSQL within one process.
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        yield settings
    finally:
        await connections.close_all()


@pytest.fixture
async def app(db: Settings) -> Any:
    db.media_dir.mkdir(parents=True, exist_ok=True)
    return create_app(db, manage_database=False)


def make_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as c:
        yield c


@pytest.fixture
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its cheapest, for modules whose every test seeds five users and signs in.

    Use with ``pytestmark = pytest.mark.usefixtures("cheap_password_hashing")``.
    """
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(audit.auth, "_hasher", cheap)
    monkeypatch.setattr(audit.auth, "_DUMMY_HASH", cheap.hash("dummy"))


@pytest.fixture
async def login(app: Any) -> AsyncIterator[Callable[[str], Awaitable[Session]]]:
    """Sign in as someone on a client of their own (each has its own cookie jar)."""
    clients: list[httpx.AsyncClient] = []

    async def signed_in(email: str) -> Session:
        client = make_client(app)
        clients.append(client)
        return await sign_in(client, email)

    yield signed_in
    for client in clients:
        await client.aclose()


async def _admin(sql: str) -> None:
    import asyncpg

    base = _postgres_url()
    assert base is not None
    admin = base.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database that does not exist yet (SQLite) or exists but is empty (PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite://{tmp_path}/new/audit.sqlite3"
        return
    base = _postgres_url()
    assert base is not None
    name = f"audit_cmd_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
