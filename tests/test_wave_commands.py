"""`audit wave create | list | show` on SQLite and PostgreSQL: the API's checks, CLI messages."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from audit.commands.waves import _Bar
from audit.db import tortoise_config
from audit.models import Assignment, Wave
from audit.settings import Settings
from tests.helpers import seed
from tests.test_user_commands import cli  # noqa: F401  (the fixture)

CREATE = ("wave", "create", "--name", "June", "--checklist", "shop")
JUNE = ("--from", "2026-06-01", "--to", "2026-06-28")


def in_database(settings: Settings, work):
    async def scenario():
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            return await work()
        finally:
            await connections.close_all()

    return asyncio.run(scenario())


@pytest.fixture
def seeded(settings: Settings) -> Settings:
    in_database(settings, seed)
    return settings


def test_create_makes_the_waves_assignments_and_show_prints_its_progress(cli, seeded) -> None:  # noqa: F811
    code, out, err = cli(*CREATE, *JUNE, "--visits", "2", "--coverage", "weekend,lunch,evening")
    assert (code, err) == (0, ""), err
    assert out == "wave 'June' created: 4 visits to 2 locations, 2026-06-01 to 2026-06-28"

    async def stored():
        wave = await Wave.get(name="June")
        rows = await Assignment.filter(wave_id=wave.id).order_by("id").values_list("coverage")
        return wave.coverage, [r[0] for r in rows]

    coverage, slots = in_database(seeded, stored)
    assert coverage == {"days": ["weekend"], "dayparts": ["lunch", "evening"]}
    assert slots == ["weekend lunch", "weekend evening"] * 2

    code, out, _ = cli("wave", "show", "June")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "June: Shop visit (v1)"
    assert lines[3].split() == ["North", "2", "0", "0", "0", "2", "0%", "sent"]
    assert lines[-1].split()[:3] == ["all", "regions", "4"]
    code, out, _ = cli("wave", "list")
    assert code == 0 and out.splitlines()[1].startswith("June  shop v1")


def test_bad_options_and_csv_rows_are_named_and_nothing_is_stored(
    cli,  # noqa: F811
    seeded,
    tmp_path: Path,
) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text("code\nS1\nS9\nS1\n")
    code, out, err = cli(
        *CREATE, "--from", "2026-06-10", "--to", "2026-06-01", "--locations-file", str(codes)
    )
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{codes}:3: unknown location code 'S9'",
        f"{codes}:4: 'S1' is already on line 2",
        "--to: must not be before from",
    ]
    code, _, err = cli(*CREATE, *JUNE, "--coverage", "brunch", "--visits", "13")
    assert code == 1
    assert err.splitlines() == [
        "--visits: must be a whole number from 1 to 12",
        "--coverage: unknown daypart 'brunch': use morning, lunch, afternoon, evening",
    ]
    code, _, err = cli(*CREATE, *JUNE, "--region", "North", "--locations", "S1")
    assert (code, err) == (1, "give only one of --region, --locations and --locations-file")
    assert in_database(seeded, lambda: Assignment.all().count()) == 0
    code, _, err = cli("wave", "show", "Nope")
    assert (code, err) == (1, "no wave 'Nope'")


def test_the_progress_bar_draws_only_on_a_terminal_for_large_waves() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    bar = _Bar(out)
    bar(500, 4000)
    bar(4000, 4000)
    bar.end()
    assert out.getvalue().endswith("[" + "#" * 30 + "] 100% 4,000/4,000\n")
    assert "13% 500/4,000" in out.getvalue()
    quiet = io.StringIO()
    _Bar(quiet)(4000, 4000)
    small = Terminal()
    _Bar(small)(10, 10)
    assert quiet.getvalue() == small.getvalue() == ""


def test_assign_gives_the_locations_next_open_visit_to_an_auditor(cli, seeded) -> None:  # noqa: F811
    assert cli(*CREATE, *JUNE, "--visits", "2")[0] == 0
    code, out, err = cli("wave", "assign", "June", "S1", "auditor@x.test")
    assert (code, err) == (0, ""), err
    assert out.endswith(
        "of S1 in 'June', due 2026-06-14 given to auditor@x.test (no AUDIT_SMTP_URL: not e-mailed)"
    )
    # The same auditor may not take S1's second visit of the wave.
    code, _, err = cli("wave", "assign", "June", "S1", "auditor@x.test")
    assert (code, err) == (1, "S1: this auditor already has a visit to this location in this wave")
    assert cli("wave", "assign", "June", "S1", "auditor2@x.test")[0] == 0
    code, _, err = cli("wave", "assign", "June", "S1", "auditor2@x.test")
    assert (code, err) == (1, "S1: no open visit of this location in 'June'")
    code, _, err = cli("wave", "assign", "June", "S2", "nobody@x.test")
    assert (code, err) == (1, "nobody@x.test: no active auditor with this e-mail")

    async def given():
        rows = await Assignment.filter(location__code="S1").order_by("id").select_related("auditor")
        return [r.auditor.email for r in rows if r.auditor is not None]

    assert in_database(seeded, given) == ["auditor@x.test", "auditor2@x.test"]
