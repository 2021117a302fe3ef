"""`audit location add --lat --lon --hours` and `audit location coordinates FILE.csv`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.test_commands import env, fresh_sqlite, one_line_error, run  # noqa: F401

pytestmark = pytest.mark.usefixtures("fresh_sqlite")

HOURS = '{"mon": [["09:00", "18:00"]], "sat": [["10:00", "13:00"]]}'


def places(tmp_path: Path) -> dict[str, tuple]:
    with sqlite3.connect(tmp_path / "db" / "audit.sqlite3") as conn:
        rows = conn.execute(
            "SELECT code, latitude, longitude, opening_hours, timezone FROM location"
        ).fetchall()
    return {r[0]: (r[1], r[2], json.loads(r[3]) if r[3] else None, r[4]) for r in rows}


def test_location_add_sets_coordinates_hours_and_zone_and_a_later_update_keeps_them(
    capsys, tmp_path
):
    code, out, err = run(
        capsys, "location", "add", "S1", "--name", "Riverside", "--lat", "45.764043",
        "--lon", "4.835659", "--hours", HOURS, "--timezone", "Europe/Paris",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert out == "location S1 created\n"
    assert run(capsys, "location", "add", "S1", "--name", "Riverside Mall")[0] == 0
    assert places(tmp_path)["S1"] == (
        45.764043,
        4.835659,
        {"mon": [["09:00", "18:00"]], "sat": [["10:00", "13:00"]]},
        "Europe/Paris",
    )


def test_bad_place_options_are_one_line_naming_the_option_and_create_nothing(capsys, tmp_path):
    cases = [
        (("--lat", "45.7"), "--lon"),
        (("--lat", "95", "--lon", "4.8"), "--lat"),
        (("--hours", '{"mon": [["9", "18:00"]]}'), "--hours: hours.mon"),
        (("--hours", "mon 9-18"), "--hours"),
        (("--timezone", "Mars/Olympus"), "--timezone"),
    ]
    for extra, needle in cases:
        code, _, err = run(capsys, "location", "add", "S1", "--name", "Riverside", *extra)
        assert needle in one_line_error(code, err), (extra, err)
    assert not (tmp_path / "db" / "audit.sqlite3").exists() or places(tmp_path) == {}


def test_coordinates_csv_places_every_row_or_nothing_with_file_and_line(capsys, tmp_path):
    for code in ("S1", "S2", "S3"):
        assert run(capsys, "location", "add", code, "--name", f"Store {code}")[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,latitude,longitude,hours\n"
        "S1,45.764043,4.835659\n"
        "S2,north,4.8\n"
        "NOPE,45.1,4.1\n"
        'S3,45.75,4.85,"{""mon"": [[""09:00"", ""25:00""]]}"\n'
        "S1,45.7,4.8\n"
    )
    code, out, err = run(capsys, "location", "coordinates", str(bad))
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[:4] == [
        f"{bad}:3: latitude and longitude must be numbers of degrees",
        f"{bad}:4: no location 'NOPE' (add it with audit location add)",
        f'{bad}:5: hours.mon: each interval must be ["HH:MM", "HH:MM"] (00:00 to 24:00)',
        f"{bad}:6: S1 is already on line 2",
    ]
    assert "nothing changed" in lines[-1]
    assert all(place[0] is None for place in places(tmp_path).values())

    good = tmp_path / "good.csv"
    good.write_text('S1,45.764043,4.835659,"{""sun"": [[""10:00"", ""12:00""]]}"\nS2,45.75,4.85\n')
    code, out, err = run(capsys, "location", "coordinates", str(good))
    assert (code, out, err) == (0, "2 locations placed\n", "")
    placed = places(tmp_path)
    assert placed["S1"][:3] == (45.764043, 4.835659, {"sun": [["10:00", "12:00"]]})
    assert placed["S2"][:3] == (45.75, 4.85, None)
    assert placed["S3"][0] is None
