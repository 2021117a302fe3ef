"""Bulk onboarding (issue 16, part 1): `audit import locations|owners|auditors`, on
SQLite and PostgreSQL.  Every problem is `FILE:LINE: message`, a file with any
problem changes nothing, and importing the same file again changes nothing."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from tortoise.backends.base.executor import EXECUTOR_CACHE

from audit.cli import main
from audit.models import Brand, Location, LocationOwner, Region, User
from audit.onboarding import parse
from audit.settings import Settings
from audit.store.accounts import add_user
from audit.store.locations import add_location
from audit.workflow import onboarding

LOCATIONS = (
    "code,name,address,region,brand\n"
    "S1,Riverside Mall,1 River Road,North,Acme\n"
    "S2,Hillcrest Plaza,,South,\n"
    "S3,Harbour Point,3 Quay Street,North,Acme\n"
)


def problems(kind: str, text: str | bytes, filename: str = "f.csv") -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [p.format(filename) for p in parse(kind, filename, data).problems]


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("locations", "", "f.csv:1: the file is empty (the first row must name the columns)"),
        ("locations", "code,name\n", "f.csv:1: the file has no rows under its column names"),
        ("locations", "code\nS1\n", "f.csv:1: the column 'name' is missing"),
        (
            "locations",
            "code,name,colour\nS1,A,red\n",
            "f.csv:1: unknown column 'colour' (the columns are: code, name, address, region, brand,"
            " latitude, longitude, opening hours, timezone)",
        ),
        ("locations", "code,name,Name\nS1,A,B\n", "f.csv:1: column 'name' appears twice"),
        (
            "locations",
            "code,name,location name\nS1,A,B\n",
            "f.csv:1: column 'location_name' repeats 'name'",
        ),
        ("locations", "code,name\nS1,A\n,B\n", "f.csv:3: code is empty"),
        ("locations", "code,name\nS1,\n", "f.csv:2: name is empty"),
        (
            "locations",
            "code,name\n" + "C" * 65 + ",A\n",
            "f.csv:2: code is longer than 64 characters",
        ),
        ("locations", "code,name\nS1,A\n\nS1,B\n", "f.csv:4: code 'S1' is already on line 2"),
        (
            "locations",
            "code,name\nS1,A,extra\n",
            "f.csv:2: 3 cells but 2 columns (a stray delimiter?)",
        ),
        (
            "locations",
            b"code,name\nS1,Caf\xe9\n",
            "f.csv:2: not UTF-8 text (save the file as CSV UTF-8)",
        ),
        (
            "locations",
            b"PK\x03\x04not really",
            "f.csv:1: not a readable XLSX workbook (BadZipFile)",
        ),
        ("owners", "email\nnobody\n", "f.csv:2: 'nobody' is not an e-mail address"),
        (
            "owners",
            "email\n\n\nA@x.test\na@x.test\n",
            "f.csv:5: email 'a@x.test' is already on line 4",
        ),
        (
            "auditors",
            "email,location codes\na@x.test,S1\n",
            "f.csv:1: unknown column 'location_codes' (the columns are: email, name, brands)",
        ),
    ],
)
def test_each_problem_of_a_file_names_its_line(kind: str, text: str, expected: str) -> None:
    assert expected in problems(kind, text)


def test_a_quoted_cell_over_two_lines_counts_from_its_first_line() -> None:
    text = 'code,name,address\nS1,A,"1 Road\nTown"\n,B,\n'
    assert problems("locations", text) == ["f.csv:4: code is empty"]


def test_semicolon_files_from_excel_are_read_like_commas() -> None:
    parsed = parse(
        "owners", "o.csv", b"\xef\xbb\xbfEmail;Name;Location codes\nA@X.test;Ann;S1, S2\n"
    )
    assert parsed.problems == ()
    row = parsed.users[0]
    assert (row.email, row.name, row.location_codes) == ("a@x.test", "Ann", ("S1", "S2"))


@pytest.fixture
async def chain(db: Settings) -> None:
    await add_location("S9", "Old Town", "West")


async def test_locations_are_added_then_the_same_file_changes_nothing(chain: None) -> None:
    first = await onboarding.apply("locations", "l.csv", LOCATIONS.encode())

    assert first.written and first.plan.summary() == "3 added, 0 changed, 0 unchanged"
    s1 = await Location.get(code="S1").prefetch_related("region", "brand")
    assert (s1.name, s1.address, s1.region.name, s1.brand.name) == (
        "Riverside Mall",
        "1 River Road",
        "North",
        "Acme",
    )
    default = (await Brand.all().order_by("id").first()).name
    s2 = await Location.get(code="S2").prefetch_related("brand")
    assert s2.brand.name == default  # an empty brand is the default one
    before = await Location.all().order_by("code").values()

    again = await onboarding.apply("locations", "l.csv", LOCATIONS.encode())

    assert again.plan.summary() == "0 added, 0 changed, 3 unchanged"
    assert await Location.all().order_by("code").values() == before
    assert await Region.filter(name="North").count() == 1


async def test_a_changed_row_lists_its_changes_and_a_missing_column_is_left_alone(chain) -> None:
    await onboarding.apply("locations", "l.csv", LOCATIONS.encode())
    # No address or brand column: those stay; the region cell is empty: cleared.
    text = "code,name,region\nS1,Riverside Mall,\nS3,Harbour Point West,North\n"

    plan = await onboarding.preview("locations", "l.csv", text.encode())

    assert [(r.line, r.key, r.action, r.changes) for r in plan.rows] == [
        (2, "S1", "changed", (("region", "North", "(none)"),)),
        (3, "S3", "changed", (("name", "Harbour Point", "Harbour Point West"),)),
    ]
    assert (await Location.get(code="S1").prefetch_related("region")).region.name == "North"

    await onboarding.apply("locations", "l.csv", text.encode())

    s1 = await Location.get(code="S1").prefetch_related("region", "brand")
    assert (s1.region, s1.address, s1.brand.name) == (None, "1 River Road", "Acme")
    assert (await Location.get(code="S3")).name == "Harbour Point West"


async def test_one_bad_row_and_nothing_is_written(chain) -> None:
    text = LOCATIONS + "S4,,North,\n"

    applied = await onboarding.apply("locations", "l.csv", text.encode())

    assert not applied.written
    assert applied.plan.problem_lines() == ["l.csv:5: name is empty"]
    assert await Location.filter(code__in=["S1", "S2", "S3"]).count() == 0
    assert await Region.filter(name="North").count() == 0


async def test_owners_own_exactly_the_listed_locations_and_unknown_codes_are_refused(chain):
    await onboarding.apply("locations", "l.csv", LOCATIONS.encode())
    text = "email,name,location codes\nolga@x.test,Olga,S1;S2\notto@x.test,Otto,S3\n"
    first = await onboarding.apply("owners", "o.csv", text.encode())
    assert first.plan.summary() == "2 added, 0 changed, 0 unchanged"
    olga = await User.get(email="olga@x.test")
    assert (olga.role, olga.name, olga.password_hash, olga.active) == ("owner", "Olga", "", True)

    moved = "email,name,location codes\nolga@x.test,Olga,S2; S9\notto@x.test,Otto,S3\n"
    plan = (await onboarding.apply("owners", "o.csv", moved.encode())).plan

    assert [(r.key, r.action, r.changes) for r in plan.rows] == [
        ("olga@x.test", "changed", (("locations", "S1, S2", "S2, S9"),)),
        ("otto@x.test", "unchanged", ()),
    ]
    owned = await LocationOwner.filter(user_id=olga.id).values_list("location__code", flat=True)
    assert sorted(owned) == ["S2", "S9"]

    bad = "email,location codes\nolga@x.test,S2\nnew@x.test,S1;S7;S8\n"
    refused = await onboarding.apply("owners", "o.csv", bad.encode())
    assert refused.plan.problem_lines() == [
        "o.csv:3: unknown location 'S7' (import the locations first), and 1 more"
    ]
    assert not await User.exists(email="new@x.test")
    assert sorted(
        await LocationOwner.filter(user_id=olga.id).values_list("location__code", flat=True)
    ) == ["S2", "S9"]


async def test_an_email_keeps_its_role(db: Settings) -> None:
    await add_user("hal@x.test", "hq", "correct horse battery", "Hal")

    plan = await onboarding.preview("auditors", "a.csv", b"email\nann@x.test\nHal@x.test\n")

    assert plan.problem_lines() == [
        "a.csv:3: hal@x.test is already a user with the role hq (an e-mail address has one role)"
    ]


async def test_an_xlsx_sheet_is_read_like_a_csv(db: Settings, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Code", "Name", "Region"])
    sheet.append([1001, "Numbered Store", "East"])  # a code typed as a number
    sheet.append([None, None, None])
    sheet.append(["S2", "Second", None])
    buffer = io.BytesIO()
    book.save(buffer)

    applied = await onboarding.apply("locations", "stores.xlsx", buffer.getvalue())

    assert applied.plan.summary() == "2 added, 0 changed, 0 unchanged"
    assert [r.line for r in applied.plan.rows] == [2, 4]
    assert (await Location.get(code="1001")).name == "Numbered Store"
    broken = buffer.getvalue()[:200]
    assert (await onboarding.preview("locations", "stores.xlsx", broken)).problem_lines() == [
        "stores.xlsx:1: not a readable XLSX workbook (BadZipFile)"
    ]


async def test_a_stale_preview_is_refused(chain) -> None:
    plan = await onboarding.preview("locations", "l.csv", LOCATIONS.encode())
    await add_location("S1", "Opened meanwhile", "North")

    from audit.errors import Conflict

    with pytest.raises(Conflict):
        await onboarding.apply("locations", "l.csv", LOCATIONS.encode(), expected=plan.digest())
    assert not await Location.exists(code="S2")


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys) -> Callable[..., Any]:
    for name in list(os.environ):
        if name.startswith("AUDIT_") and name != "AUDIT_TEST_POSTGRES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AUDIT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AUDIT_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("AUDIT_SECRET_KEY", settings.secret_key)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    def run(*argv: str) -> tuple[int, str, str]:
        EXECUTOR_CACHE.clear()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    return run


def test_the_command_line_imports_previews_and_refuses(cli, tmp_path: Path) -> None:
    path = tmp_path / "stores.csv"
    path.write_text(LOCATIONS)

    assert cli("import", "locations", str(path), "--dry-run") == (
        0,
        f"{path}:2: S1 added\n{path}:3: S2 added\n{path}:4: S3 added\n"
        f"{path}: dry run, nothing written: 3 added, 0 changed, 0 unchanged",
        "",
    )
    assert cli("import", "locations", str(path)) == (
        0,
        f"{path}: 3 added, 0 changed, 0 unchanged",
        "",
    )
    assert cli("import", "locations", str(path)) == (
        0,
        f"{path}: 0 added, 0 changed, 3 unchanged",
        "",
    )
    path.write_text("code,name\nS1,Renamed\nS5,\n")
    code, out, err = cli("import", "locations", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{path}:3: name is empty",
        f"{path}: nothing imported: 1 problem",
    ]
    assert cli("import", "owners", str(tmp_path / "missing.csv"))[2].startswith(
        f"{tmp_path / 'missing.csv'}: cannot read it"
    )


PLACES = (
    "code;name;latitude;longitude;opening hours;timezone\n"
    'P1;Quay;48,8566;2,3522;"Mon-Fri 09:00-18:00; Sat 10:00-13:00, 14:00-17:00";Europe/Paris\n'
    'P2;Dock;51.5;-0.12;{"sun": [["10:00", "16:00"]]};\n'
)


async def test_coordinates_opening_hours_and_time_zones_are_columns_too(db: Settings) -> None:
    first = await onboarding.apply("locations", "p.csv", PLACES.encode())

    assert first.plan.summary() == "2 added, 0 changed, 0 unchanged"
    p1 = await Location.get(code="P1")
    assert (p1.latitude, p1.longitude, p1.timezone) == (48.8566, 2.3522, "Europe/Paris")
    assert p1.opening_hours == {
        **{day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [["10:00", "13:00"], ["14:00", "17:00"]],
    }
    p2 = await Location.get(code="P2")
    assert (p2.opening_hours, p2.timezone) == ({"sun": [["10:00", "16:00"]]}, None)
    again = await onboarding.apply("locations", "p.csv", PLACES.encode())
    assert again.plan.summary() == "0 added, 0 changed, 2 unchanged"

    moved = "code,name,latitude,longitude,hours\nP1,Quay,48.86,2.35,Sun closed\n"
    plan = await onboarding.preview("locations", "p.csv", moved.encode())
    assert plan.rows[0].changes == (
        ("latitude", "48.8566", "48.86"),
        ("longitude", "2.3522", "2.35"),
        (
            "opening hours",
            "Mon-Fri 09:00-18:00; Sat 10:00-13:00, 14:00-17:00",
            "closed every day",
        ),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "code,name,latitude\nP1,A,1\n",
            "f.csv:1: the column 'longitude' is missing (latitude and longitude go together)",
        ),
        ("code,name,lat,lon\nP1,A,1,\n", "f.csv:2: give both latitude and longitude, or neither"),
        ("code,name,lat,lon\nP1,A,91,0\n", "f.csv:2: latitude must be from -90 to 90"),
        (
            "code,name,lat,lon\nP1,A,north,0\n",
            "f.csv:2: latitude and longitude must be numbers of degrees",
        ),
        (
            "code,name,hours\nP1,A,Mon-Fri 9-5\n",
            "f.csv:2: opening hours: '9-5' is not a span like 09:00-18:00",
        ),
        (
            "code,name,hours\nP1,A,Fri-Mon 09:00-17:00\n",
            "f.csv:2: opening hours: 'fri-mon' runs backwards",
        ),
        (
            "code,name,hours\nP1,A,Mon 25:00-26:00\n",
            'f.csv:2: opening hours: hours.mon: each interval must be ["HH:MM", "HH:MM"]'
            " (00:00 to 24:00)",
        ),
        (
            "code,name,timezone\nP1,A,Mars/Olympus\n",
            "f.csv:2: timezone 'Mars/Olympus' is not an IANA time zone like Europe/Paris",
        ),
    ],
)
def test_each_problem_of_a_place_column_names_its_line(text: str, expected: str) -> None:
    assert expected in problems("locations", text)


async def test_two_imports_of_one_file_at_once_add_each_location_once(db: Settings) -> None:
    from audit.errors import Conflict

    rows = "".join(f"R{n},Store {n},North\n" for n in range(300))
    data = ("code,name,region\n" + rows).encode()

    async def attempt() -> str:
        try:
            return (await onboarding.apply("locations", "r.csv", data)).plan.summary()
        except Conflict:
            return "conflict"

    results = sorted(await asyncio.gather(attempt(), attempt()))

    # Serialised (SQLite's one writer) the second finds them all; racing
    # (PostgreSQL) the loser writes nothing and says to run it again.
    assert results in (
        ["0 added, 0 changed, 300 unchanged", "300 added, 0 changed, 0 unchanged"],
        ["300 added, 0 changed, 0 unchanged", "conflict"],
    )
    assert await Location.filter(code__startswith="R").count() == 300


def test_user_invite_without_a_mail_server_prints_the_link_and_reactivate_restores(
    cli, tmp_path: Path
) -> None:
    code, out, err = cli("user", "invite", "Ina@X.test", "--role", "auditor", "--name", "Ina")
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    assert first.startswith("user ina@x.test (auditor) created; invitation valid until ")
    assert second.startswith(
        "AUDIT_SMTP_URL is not set: send them this link yourself: http://127.0.0.1:8000/#/password/"
    )
    assert cli("user", "invite", "x", "--role", "auditor")[0] == 1
    assert cli("user", "deactivate", "ina@x.test")[0] == 0
    assert cli("user", "reactivate", "ina@x.test") == (0, "user ina@x.test may sign in again", "")
    assert cli("user", "reactivate", "nobody@x.test") == (1, "", "no user 'nobody@x.test'")
    path = tmp_path / "owners.csv"
    path.write_text("email,name\nnew.owner@x.test,New\n")
    code, out, _ = cli("import", "owners", str(path))
    assert code == 0
    assert out.splitlines()[-1] == (
        f"{path}: no invitations sent (AUDIT_SMTP_URL is not set): invite the new users from"
        " HQ's users page or with `audit user invite`"
    )
