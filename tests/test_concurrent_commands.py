"""Commands and migrations started at the same moment against one database.

Each runs in a process of its own, held at a start line until all of them have
imported what they need, so that their migrations and transactions overlap as
much as they can.  On SQLite, transactions that read before they write used to
fail with "database is locked"; on a fresh database (SQLite or PostgreSQL) the
migrations raced each other.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main

ROOT = Path(__file__).resolve().parent.parent
CHECKLISTS = ROOT / "checklists"
MIGRATIONS = {p.stem for p in (ROOT / "audit" / "migrations").glob("0*.py")}
SLUGS = {p.stem for p in CHECKLISTS.glob("*.yaml")}

START_LINE = r"""
import sys, time
from pathlib import Path

import audit.commands, audit.db, audit.store.accounts, audit.store.checklists
import audit.store.locations
from audit.cli import main

print("ready", flush=True)
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.002)
if sys.argv[2] == "migrate":
    import asyncio, os
    from audit.db import apply_migrations

    asyncio.run(apply_migrations(os.environ["AUDIT_DATABASE_URL"]))
    print("migrated")
    sys.exit(0)
sys.exit(main(sys.argv[2:]))
"""


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AUDIT_") or k == "AUDIT_TEST_POSTGRES"
    }
    env.update(
        AUDIT_DATABASE_URL=database_url,
        AUDIT_VAR_DIR=str(tmp_path / "var"),
        AUDIT_MEDIA_DIR=str(tmp_path / "media"),
        AUDIT_SECRET_KEY="concurrent-test-key",
        AUDIT_PASSWORD="a long enough password",
        PYTHONPATH=str(ROOT),
    )
    return env


def run_together(
    tmp_path: Path, database_url: str, commands: Sequence[Sequence[str]]
) -> list[tuple[int, str, str]]:
    """Start every command, wait until all are ready, let them go at once."""
    go = tmp_path / f"go-{uuid.uuid4().hex[:8]}"
    env = _env(tmp_path, database_url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", START_LINE, str(go), *argv],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in commands
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n", proc.communicate(timeout=30)
        go.touch()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            results.append((proc.returncode, out, err))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()  # reaps it and closes its pipes


async def _rows(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    if database_url.startswith("sqlite://"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite://"))
        try:
            return [tuple(row) for row in conn.execute(sql)]
        finally:
            conn.close()
    import asyncpg

    pg = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        return [tuple(row) for row in await pg.fetch(sql)]
    finally:
        await pg.close()


def rows(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    return asyncio.run(_rows(database_url, sql))


def test_migrations_started_together_on_a_fresh_database_all_succeed(
    fresh_url: str, tmp_path: Path
) -> None:
    results = run_together(tmp_path, fresh_url, [["migrate"]] * 4)

    assert [(code, out, err) for code, out, err in results] == [(0, "migrated\n", "")] * 4
    applied = rows(fresh_url, "SELECT name FROM tortoise_migrations WHERE app = 'models'")
    assert sorted(name for (name,) in applied) == sorted(MIGRATIONS)  # each exactly once
    assert rows(fresh_url, "SELECT count(*) FROM checklist_version") == [(0,)]


@pytest.mark.parametrize("state", ["fresh", "migrated"])
def test_administrative_commands_started_together_all_succeed(
    fresh_url: str, tmp_path: Path, state: str
) -> None:
    if state == "migrated":
        from audit.db import apply_migrations

        asyncio.run(apply_migrations(fresh_url))
    commands = [
        *(["user", "add", f"a{i}@x.test", "--role", "auditor"] for i in range(3)),
        *(
            ["location", "add", f"S{i}", "--name", f"Shop {i}", "--region", "North"]
            for i in range(3)
        ),
        *(["checklist", "import", str(CHECKLISTS)] for _ in range(2)),
    ]

    results = run_together(tmp_path, fresh_url, commands)

    assert [(code, err) for code, _, err in results] == [(0, "")] * len(commands)
    outs = [out for _, out, _ in results]
    assert outs[:6] == [
        *(f"user a{i}@x.test (auditor) created\n" for i in range(3)),
        *(f"location S{i} created\n" for i in range(3)),
    ]
    # One import stored each checklist, the other found it unchanged.
    actions = sorted(line.rsplit(" ", 1)[1] for out in outs[6:] for line in out.splitlines())
    assert actions == sorted(["new"] * len(SLUGS) + ["unchanged"] * len(SLUGS))
    assert sorted(rows(fresh_url, 'SELECT email FROM "user"')) == [
        (f"a{i}@x.test",) for i in range(3)
    ]
    assert sorted(
        rows(
            fresh_url,
            "SELECT l.code, r.name FROM location l JOIN region r ON r.id = l.region_id",
        )
    ) == [(f"S{i}", "North") for i in range(3)]
    assert rows(fresh_url, "SELECT count(*) FROM region") == [(1,)]
    assert sorted(rows(fresh_url, "SELECT slug FROM checklist_version")) == [
        (slug,) for slug in sorted(SLUGS)
    ]


@pytest.fixture
def sqlite_copy(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "audit.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite://{path}"


def test_a_database_still_locked_after_the_busy_timeout_is_a_one_line_error(
    sqlite_copy: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import audit.db

    for name in list(os.environ):
        if name.startswith("AUDIT_"):
            monkeypatch.delenv(name)
    for name, value in _env(tmp_path, sqlite_copy).items():
        if name.startswith("AUDIT_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setattr(audit.db, "BUSY_TIMEOUT_MS", 200)
    # Another process in the middle of a long write.
    writer = sqlite3.connect(sqlite_copy.removeprefix("sqlite://"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO region (name) VALUES ('Elsewhere')")
    try:
        code = main(["location", "add", "S1", "--name", "Riverside", "--region", "North"])
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    # One line naming the database it looked in (the path of the copy).
    assert err.startswith("database error at ") and err.endswith(": database is locked\n")
    assert len(err.splitlines()) == 1
    assert rows(sqlite_copy, "SELECT count(*) FROM location") == [(0,)]
