"""Waves through the API: creating one makes its assignments; bad requests store nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from audit.models import Assignment, ChecklistVersion, Wave
from audit.store.locations import add_location
from tests.helpers import new_uuid, seed
from tests.test_api_roles import payload

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

TODAY = datetime.now(UTC).date()
JUNE = {"from": "2026-06-01", "to": "2026-06-28"}


@pytest.fixture
async def people(login):
    await seed()
    await add_location("S3", "Quayside", "North")
    return {"hq": await login("hq@x.test"), "ann": await login("auditor@x.test")}


async def test_a_wave_makes_an_open_assignment_per_location_and_visit(people) -> None:
    hq = people["hq"]
    body = {
        "name": "June 2026",
        "checklist": "shop",
        "region": "North",
        "visits": 2,
        "coverage": {"days": ["weekend", "weekday"], "dayparts": ["lunch", "evening"]},
        "notes": "Ask about the loyalty card.",
        **JUNE,
    }
    r = await hq.post("/api/waves", json=body)
    assert r.status_code == 201, r.text
    wave = r.json()
    version = await ChecklistVersion.get(slug="shop", is_current=True)
    assert wave["version"] == version.version
    assert wave["coverage"] == {"days": ["weekday", "weekend"], "dayparts": ["lunch", "evening"]}
    assert wave["progress"] == {
        "planned": 4,
        "claimed": 0,
        "started": 0,
        "submitted": 0,
        "approved": 0,
        "overdue": 4,  # June 2026 is over
    }
    assert wave["regions"] == [{"region": "North", **wave["progress"]}]
    rows = await Assignment.filter(wave_id=wave["id"]).order_by("id").select_related("location")
    assert [(r.location.code, r.opens_on, r.due, r.coverage) for r in rows] == [
        ("S1", date(2026, 6, 1), date(2026, 6, 14), "weekday lunch"),
        ("S1", date(2026, 6, 15), date(2026, 6, 28), "weekday evening"),
        ("S3", date(2026, 6, 1), date(2026, 6, 14), "weekend lunch"),
        ("S3", date(2026, 6, 15), date(2026, 6, 28), "weekend evening"),
    ]
    assert all(r.auditor_id is None and r.notes == body["notes"] for r in rows)
    assert [r.release_by for r in rows[:2]] == [date(2026, 6, 12), date(2026, 6, 26)]
    assert (await Wave.get(id=wave["id"])).checklist_id == version.id  # type: ignore[attr-defined]


async def test_progress_counts_claims_submissions_approvals_and_overdue_per_region(
    people,
) -> None:
    hq, ann = people["hq"], people["ann"]
    start = TODAY - timedelta(days=20)
    body = {
        "name": "Now",
        "checklist": "shop",
        "locations": "all",
        "from": start.isoformat(),
        "to": (TODAY + timedelta(days=20)).isoformat(),
        "visits": 2,
    }
    wave = (await hq.post("/api/waves", json=body)).json()
    rows = await Assignment.filter(wave_id=wave["id"]).order_by("id").select_related("location")
    s1_first, _, s2_first, s2_second = rows[0], rows[1], rows[2], rows[3]
    # S1's first visit: claimed, started, submitted and approved.
    assert (await ann.post(f"/api/assignments/{s1_first.id}/claim")).status_code == 200
    uid = new_uuid()
    r = await ann.put(f"/api/audits/{uid}", json={**payload(), "assignment": s1_first.id})
    assert r.status_code == 201, r.text
    assert (await ann.post(f"/api/audits/{uid}/submit", json=payload())).status_code == 200
    review = {"decision": "approve", "note": ""}
    assert (await hq.post(f"/api/audits/{uid}/review", json=review)).status_code == 200
    # S2's first visit: claimed and overdue (its part of the window is over).
    assert (await ann.post(f"/api/assignments/{s2_first.id}/claim")).status_code == 200
    assert s2_first.due < TODAY <= s2_second.due

    found = (await hq.get(f"/api/waves/{wave['id']}")).json()
    by_region = {r["region"]: r for r in found["regions"]}
    assert by_region["North"] == {
        "region": "North",
        "planned": 4,
        "claimed": 1,
        "started": 1,
        "submitted": 1,
        "approved": 1,
        "overdue": 1,  # S3's first visit, open
    }
    assert by_region["South"]["claimed"] == 1 and by_region["South"]["overdue"] == 1
    assert found["progress"]["planned"] == 6
    listed = (await hq.get("/api/waves")).json()
    assert [(w["name"], w["progress"]) for w in listed] == [("Now", found["progress"])]
    assert (await hq.get("/api/waves/Now")).json()["id"] == wave["id"]
    in_wave = (await hq.get("/api/assignments", params={"wave": wave["id"]})).json()
    assert len(in_wave) == 6 and {a["wave"] for a in in_wave} == {"Now"}


async def test_a_csv_with_bad_rows_names_each_line_and_stores_nothing(people) -> None:
    hq = people["hq"]
    csv_text = "name,code\nRiverside,S1\nNowhere,S9\n,\nAgain,S1\nBlank,\n"
    r = await hq.post(
        "/api/waves",
        json={"name": "CSV", "checklist": "shop", "locations_csv": csv_text, **JUNE},
    )
    assert r.status_code == 422, r.text
    assert r.json()["rows"] == [
        {"line": 3, "message": "unknown location code 'S9'"},
        {"line": 5, "message": "'S1' is already on line 2"},
        {"line": 6, "message": "no location code in this row"},
    ]
    assert r.json()["fields"]["locations_csv"].startswith("3 rows of the CSV have problems")
    assert await Wave.all().count() == 0 and await Assignment.all().count() == 0

    good = "code\nS1\nS2\n"
    r = await hq.post(
        "/api/waves", json={"name": "CSV", "checklist": "shop", "locations_csv": good, **JUNE}
    )
    assert r.status_code == 201, r.text
    assert r.json()["progress"]["planned"] == 2


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": ""}, {"name": "is required: at most 200 characters"}),
        ({"checklist": "nope"}, {"checklist": "no checklist 'nope'"}),
        ({"version": 99}, {"version": "checklist 'shop' has versions 1"}),
        (
            {"locations": None},
            {
                "locations": 'say which locations: "all", a list of codes, a region, '
                "or a CSV of codes"
            },
        ),
        ({"region": "North"}, {"locations": "give only one of locations, region"}),
        ({"locations": ["S1", "S9"]}, {"locations": "unknown location codes: 'S9'"}),
        ({"to": "2026-05-01"}, {"to": "must not be before from"}),
        ({"from": "June"}, {"from": "must be a date written YYYY-MM-DD"}),
        ({"visits": 0}, {"visits": "must be a whole number from 1 to 12"}),
        (
            {"visits": 2, "to": "2026-06-01"},
            {"visits": "2 visits do not fit in a window of 1 days"},
        ),
        (
            {"to": "2026-06-03", "coverage": {"days": ["weekend"]}},
            {
                "coverage": "visit 1's part of the window (2026-06-01 to 2026-06-03) has no "
                "weekend day: widen the window or plan fewer visits"
            },
        ),
        (
            {"coverage": {"dayparts": ["brunch"]}},
            {
                "coverage.dayparts": "unknown daypart 'brunch': "
                "use morning, lunch, afternoon, evening"
            },
        ),
        ({"colour": "red"}, {"colour": "unknown field"}),
    ],
)
async def test_a_bad_wave_is_refused_naming_the_field(people, changes, fields) -> None:
    body = {"name": "Bad", "checklist": "shop", "locations": "all", **JUNE, **changes}
    r = await people["hq"].post("/api/waves", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["fields"] == fields
    assert await Wave.all().count() == 0 and await Assignment.all().count() == 0


async def test_a_wave_name_is_used_once(people) -> None:
    body = {"name": "Once", "checklist": "shop", "locations": "all", **JUNE}
    assert (await people["hq"].post("/api/waves", json=body)).status_code == 201
    r = await people["hq"].post("/api/waves", json=body)
    assert r.status_code == 422
    assert r.json()["fields"] == {"name": "there is already a wave named 'Once'"}
    assert await Assignment.all().count() == 3
