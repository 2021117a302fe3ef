"""The database commands on a fresh, empty database, and their one-line user errors."""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from audit.cli import main

ROOT = Path(__file__).resolve().parent.parent
CHECKLISTS = ROOT / "checklists"


@pytest.fixture
def env(monkeypatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean environment: nothing of the developer's var/ or password leaks in."""
    for name in list(os.environ):
        if name.startswith("AUDIT_") and name != "AUDIT_TEST_POSTGRES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AUDIT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("AUDIT_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("AUDIT_CHECKLISTS_DIR", str(CHECKLISTS))
    monkeypatch.setenv("AUDIT_SECRET_KEY", "commands-test-key")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal to prompt on
    # Tortoise caches insert SQL per connection name, not per dialect, and
    # these tests run commands on SQLite and PostgreSQL in one process.
    EXECUTOR_CACHE.clear()
    return monkeypatch


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str) -> str:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


FRESH_COMMANDS = {
    "location-add": ("location", "add", "S1", "--name", "Riverside"),
    "user-add": ("user", "add", "a@x.test", "--role", "auditor"),
    "checklist-import": ("checklist", "import", str(CHECKLISTS)),
    "demo": ("demo", "--locations", "2", "--audits", "3"),
}


@pytest.mark.parametrize("command", FRESH_COMMANDS)
def test_each_command_works_on_a_fresh_empty_database(env, capsys, fresh_url, command):
    env.setenv("AUDIT_DATABASE_URL", fresh_url)
    env.setenv("AUDIT_PASSWORD", "a long enough password")

    code, out, err = run(capsys, *FRESH_COMMANDS[command])

    assert (code, err) == (0, "")
    assert out.strip()


def test_the_commands_together_set_up_a_service(env, capsys, fresh_url, backend):
    env.setenv("AUDIT_DATABASE_URL", fresh_url)

    code, out, err = run(capsys, "demo", "--locations", "2", "--audits", "3")
    assert (code, err) == (0, "")
    code, out, err = run(capsys, "location", "add", "S1", "--name", "Riverside", "--region", "N")
    assert (code, err) == (0, "")
    assert out.strip() == "location S1 created"
    code, out, _ = run(capsys, "location", "add", "S1", "--name", "Riverside Mall")
    assert (code, out.strip()) == (0, "location S1 updated")

    env.setenv("AUDIT_PASSWORD", "a long enough password")
    code, out, err = run(
        capsys, "user", "add", "Owner@X.test", "--role", "owner", "--location", "S1"
    )
    assert (code, err) == (0, "")
    assert out.strip() == "user owner@x.test (owner) created"
    code, out, _ = run(capsys, "user", "add", "hq@x.test", "--role", "hq", "--name", "Hal")
    assert (code, out.strip()) == (0, "user hq@x.test (hq) created")

    # demo imported checklists/ already; importing again changes nothing.
    code, out, err = run(capsys, "checklist", "import", str(CHECKLISTS))
    assert (code, err) == (0, "")
    lines = out.strip().splitlines()
    assert lines and all(line.endswith(" unchanged") for line in lines)

    if backend == "sqlite":
        path = fresh_url.removeprefix("sqlite://")
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT name FROM location WHERE code='S1'").fetchone() == (
                "Riverside Mall",
            )
            owner = conn.execute(
                "SELECT u.role, l.code FROM user u JOIN location_owner o ON o.user_id = u.id "
                "JOIN location l ON l.id = o.location_id WHERE u.email = 'owner@x.test'"
            ).fetchall()
            assert owner == [("owner", "S1")]
            stored = conn.execute("SELECT password_hash FROM user WHERE email='hq@x.test'")
            assert stored.fetchone()[0].startswith("$argon2id$")
            assert conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 3


def test_demo_runs_after_locations_were_added_by_hand(env, capsys, tmp_path):
    env.setenv("AUDIT_DATABASE_URL", f"sqlite://{tmp_path}/db/audit.sqlite3")
    assert run(capsys, "location", "add", "S1", "--name", "Riverside")[0] == 0

    code, _, err = run(capsys, "demo", "--locations", "2", "--audits", "3")

    assert (code, err) == (0, "")


@pytest.fixture
def fresh_sqlite(env, tmp_path) -> pytest.MonkeyPatch:
    env.setenv("AUDIT_DATABASE_URL", f"sqlite://{tmp_path}/db/audit.sqlite3")
    env.setenv("AUDIT_PASSWORD", "a long enough password")
    return env


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("user", "add", "owner@x.test", "--role", "owner", "--location", "NOPE"), "NOPE"),
        (("user", "add", "a@x.test", "--role", "auditor", "--location", "S1"), "owner"),
        (("user", "add", "not-an-email", "--role", "hq"), "e-mail"),
        (("location", "add", "S1", "--name", "  "), "--name"),
        (("location", "add", "X" * 65, "--name", "Long"), "CODE"),
        (("checklist", "import", "/nonexistent/dir"), "not a directory"),
        (("demo", "--locations", "0"), "--locations"),
        (("demo", "--audits", "-1"), "--audits"),
        (("serve", "--workers", "0"), "--workers"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(fresh_sqlite, capsys, argv, needle):
    code, out, err = run(capsys, *argv)

    line = one_line_error(code, err)
    assert needle in line
    assert out == ""


def test_an_unknown_owned_location_creates_no_user(fresh_sqlite, capsys, tmp_path):
    code, _, err = run(capsys, "user", "add", "o@x.test", "--role", "owner", "--location", "NOPE")
    one_line_error(code, err)

    with sqlite3.connect(tmp_path / "db" / "audit.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM user").fetchone() == (0,)


def test_user_add_without_a_password_and_no_terminal_is_a_one_line_error(env, capsys, tmp_path):
    env.setenv("AUDIT_DATABASE_URL", f"sqlite://{tmp_path}/db/audit.sqlite3")

    code, _, err = run(capsys, "user", "add", "a@x.test", "--role", "auditor")

    assert "AUDIT_PASSWORD" in one_line_error(code, err)


def test_a_short_password_is_refused(fresh_sqlite, capsys):
    fresh_sqlite.setenv("AUDIT_PASSWORD", "short")

    code, _, err = run(capsys, "user", "add", "a@x.test", "--role", "auditor")

    assert "8 characters" in one_line_error(code, err)


def test_user_add_again_updates_the_password(fresh_sqlite, capsys, tmp_path):
    assert run(capsys, "user", "add", "a@x.test", "--role", "auditor", "--name", "Ann")[0] == 0
    fresh_sqlite.setenv("AUDIT_PASSWORD", "another long password")

    code, out, _ = run(capsys, "user", "add", "a@x.test", "--role", "hq")

    assert (code, out.strip()) == (0, "user a@x.test (hq) updated")
    with sqlite3.connect(tmp_path / "db" / "audit.sqlite3") as conn:
        assert conn.execute("SELECT name, role FROM user").fetchall() == [("Ann", "hq")]


def test_an_invalid_checklist_directory_imports_nothing(fresh_sqlite, capsys, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.yaml").write_text("id: broken\ntitle: Broken\nversion: one\nsections: []\n")

    code, out, err = run(capsys, "checklist", "import", str(bad))

    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"{bad / 'broken.yaml'}:")
    assert lines[-1] == "nothing imported: fix the problems above first"


def test_an_empty_checklist_directory_is_a_one_line_error(fresh_sqlite, capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()

    code, _, err = run(capsys, "checklist", "import", str(empty))

    assert "no *.yaml" in one_line_error(code, err)


@pytest.mark.parametrize(
    "url",
    [
        "nonsense://nowhere",
        "postgres://postgres@127.0.0.1:1/nothing",
        "sqlite:///dev/null/audit.sqlite3",
    ],
)
@pytest.mark.parametrize("command", [("location", "add", "S1", "--name", "R"), ("serve",)])
def test_a_database_that_cannot_be_opened_is_a_one_line_error(env, capsys, url, command):
    env.setenv("AUDIT_DATABASE_URL", url)

    code, out, err = run(capsys, *command)

    assert "database" in one_line_error(code, err)
    assert out == ""


def test_the_console_script_prints_no_traceback(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AUDIT_") or k == "AUDIT_TEST_POSTGRES"
    }
    env.update(
        AUDIT_DATABASE_URL=f"sqlite://{tmp_path}/audit.sqlite3",
        AUDIT_VAR_DIR=str(tmp_path / "var"),
        AUDIT_PASSWORD="a long enough password",
    )

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "audit",
            "user",
            "add",
            "o@x.test",
            "--role",
            "owner",
            "--location",
            "NOPE",
        ],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == "unknown location 'NOPE'"


# --------------------------------------------------------------------------
# audit demo on a database without checklists


def _count(url: str, table: str) -> int:
    """Rows of ``table`` in the database at ``url``, read without the ORM."""
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])

    async def count() -> int:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            return int(await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
        finally:
            await conn.close()

    return asyncio.run(count())


def test_demo_on_a_database_without_checklists_imports_the_shipped_ones_first(
    env, capsys, fresh_url
):
    env.setenv("AUDIT_DATABASE_URL", fresh_url)
    shipped = sorted(CHECKLISTS.glob("*.yaml"))

    code, out, err = run(capsys, "demo", "--locations", "3", "--audits", "7")

    assert (code, err) == (0, "")
    lines = out.strip().splitlines()
    assert lines[0] == (
        f"demo: the database had no checklists; imported {len(shipped)} from {CHECKLISTS}/"
    )
    assert lines[1].startswith("demo: 3 new locations (3 in all), 7 audits")
    assert _count(fresh_url, "audit") == 7
    assert _count(fresh_url, "checklist_version") == len(shipped)

    # The second time the checklists are there: nothing is imported again.
    code, out, _ = run(capsys, "demo", "--locations", "3", "--audits", "2")
    assert code == 0
    assert "imported" not in out
    assert _count(fresh_url, "checklist_version") == len(shipped)


def test_demo_without_checklists_anywhere_says_in_one_line_what_to_do(
    env, capsys, fresh_url, tmp_path
):
    env.setenv("AUDIT_DATABASE_URL", fresh_url)
    env.setenv("AUDIT_CHECKLISTS_DIR", str(tmp_path / "no-such-dir"))

    code, out, err = run(capsys, "demo", "--locations", "2", "--audits", "3")

    line = one_line_error(code, err)
    assert line == (
        f"demo: the database has no checklists and there is no {tmp_path / 'no-such-dir'}/ "
        "to import: run `audit checklist import DIR` first (or set AUDIT_CHECKLISTS_DIR)"
    )
    assert out == ""
    assert _count(fresh_url, "audit") == 0
    assert _count(fresh_url, "location") == 0


def test_demo_run_from_a_folder_without_checklists_exits_1_without_a_traceback(tmp_path):
    # The default AUDIT_CHECKLISTS_DIR is checklists/ of the working directory:
    # started elsewhere, the demo used to end in an IndexError.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_")}
    env.update(
        AUDIT_DATABASE_URL=f"sqlite://{tmp_path}/audit.sqlite3",
        AUDIT_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT),
    )

    done = subprocess.run(
        [sys.executable, "-m", "audit", "demo", "--locations", "2", "--audits", "3"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "demo: the database has no checklists and there is no checklists/ to import: "
        "run `audit checklist import DIR` first (or set AUDIT_CHECKLISTS_DIR)"
    ]
