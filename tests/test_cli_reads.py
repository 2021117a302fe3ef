"""Commands that read data never create a database, and their errors name where they looked;
``audit score`` takes the shapes the API hands out; ``checklist validate`` says it is done."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from audit.cli import main
from tests.helpers import ROOT

CAFE = str(ROOT / "tests" / "fixtures" / "checklists" / "valid" / "every-feature.yaml")
AUDIT = [sys.executable, "-m", "audit"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_")}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def test_report_outside_the_project_folder_creates_no_database_and_no_secret_key(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [*AUDIT, "report", "3f2a", "-o", "x.pdf"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    expected = tmp_path / "var" / "audit.sqlite3"
    assert result.stderr == (
        f"no database at {expected} (set AUDIT_DATABASE_URL, or run in the project folder)\n"
    )
    assert list(tmp_path.iterdir()) == []  # no var/, no secret key, no PDF


def test_report_all_and_user_deactivate_create_no_database_either(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'nothing.sqlite3'}"
    for argv in (
        ["report", "--all", "-o", "out"],
        ["user", "deactivate", "a@x.test"],
        ["backup", "copy"],
    ):
        result = subprocess.run(
            [*AUDIT, *argv],
            cwd=tmp_path,
            env=clean_env(AUDIT_DATABASE_URL=url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1, argv
        assert str(tmp_path / "nothing.sqlite3") in result.stderr, (argv, result.stderr)
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert list(tmp_path.iterdir()) == [], argv


def test_report_on_an_empty_postgres_database_leaves_it_empty(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if backend != "postgres":
        pytest.skip("the PostgreSQL case")
    migrated: str = request.getfixturevalue("postgres_database")
    # The server's own maintenance database: it exists, but holds no audit tables.
    empty = migrated.rsplit("/", 1)[0] + "/postgres"
    monkeypatch.setenv("AUDIT_DATABASE_URL", empty)
    monkeypatch.setenv("AUDIT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("AUDIT_SECRET_KEY", raising=False)

    assert main(["report", "3f2a", "-o", str(tmp_path / "x.pdf")]) == 1

    async def tables() -> object:
        conn = await asyncpg.connect(empty.replace("postgres://", "postgresql://", 1))
        try:
            return await conn.fetchval("SELECT to_regclass('tortoise_migrations')")
        finally:
            await conn.close()

    assert asyncio.run(tables()) is None
    assert not (tmp_path / "var").exists()


def test_an_unknown_audit_names_the_database_it_was_looked_for_in(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("AUDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("AUDIT_VAR_DIR", str(tmp_path / "var"))

    assert main(["report", "no-such-audit", "-o", str(tmp_path / "x.pdf")]) == 1

    err = capsys.readouterr().err
    if database_url.startswith("sqlite://"):
        where = database_url.removeprefix("sqlite://")
    else:
        where = database_url
    assert err == f"no audit 'no-such-audit' in the database at {where}\n"
    assert not (tmp_path / "x.pdf").exists()


def test_a_database_error_names_the_database_without_its_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("AUDIT_DATABASE_URL", "postgres://ann:s3cret@127.0.0.1:1/audit")
    monkeypatch.setenv("AUDIT_VAR_DIR", str(tmp_path / "var"))

    assert main(["report", "x", "-o", str(tmp_path / "x.pdf")]) == 1

    err = capsys.readouterr().err
    assert err.startswith("cannot open the database at postgres://ann:***@127.0.0.1:1/audit: ")
    assert "s3cret" not in err and len(err.splitlines()) == 1


# ---- audit score: the answers object as the API returns it


def score(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict[str, object], str]:
    code = main(["score", CAFE, str(path)])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def test_score_takes_the_bare_answers_object_the_api_returns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = json.loads(
        (ROOT / "tests" / "fixtures" / "answers" / "every-feature.json").read_text()
    )
    wrapped, bare, api_audit, answers_only = (tmp_path / f"{n}.json" for n in range(4))
    wrapped.write_text(json.dumps(document))
    bare.write_text(json.dumps(document["answers"]))
    api_audit.write_text(
        json.dumps(
            {
                "uuid": "5f0c2a9e-7d1b-4c3e-9a7f-2b8d6e4c1a03",
                "status": "submitted",
                "checklist": "cafe-visit",
                "answers": document["answers"],
                "scorecard": {},
            }
        )
    )
    answers_only.write_text(json.dumps({"answers": document["answers"]}))

    expected = score(capsys, wrapped)
    assert expected[0] == 0
    for path in (bare, api_audit, answers_only):
        assert score(capsys, path) == expected, path.name


def test_score_reports_a_bad_answer_of_a_bare_object_at_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bare.json"
    path.write_text('{\n  "clean_entrance": {"value": true},\n  "no_such_item": {"value": 1}\n}\n')
    code, out, err = score(capsys, path)
    assert (code, out) == (1, {})
    assert err.startswith(f"{path}:3: answers.no_such_item: ")


def test_readme_documents_the_score_input_and_the_data_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("`audit backup PATH`", "`audit restore PATH`", "--all", "--since"):
        assert command in readme, command
    assert "bare answers object" in readme
