"""HQ's API: compare (JSON, CSV, XLSX), heat map, trends, weakest items, queue, exports.

Expected figures are worked out by hand from audits made here, with the
definitions of CONTRACT.md: means over audits (nulls left out), NPS = 100 x
(share of 9-10 - share of 0-6), approved audits only.
"""

from __future__ import annotations

import csv
import functools
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from audit.auth import hash_password
from audit.models import (
    Audit,
    ChecklistVersion,
    ItemScore,
    Location,
    LocationOwner,
    SectionScore,
    User,
)
from audit.store.checklists import import_checklists, read_checklist_dir
from audit.store.locations import add_location
from tests.conftest import make_client
from tests.helpers import PASSWORD, ROOT, Session, new_uuid, sign_in

SHOP = ROOT / "tests" / "fixtures" / "api" / "shop.yaml"
USERS = [
    ("auditor@x.test", "auditor", "Ann Auditor"),
    ("owner@x.test", "owner", "Olga Owner"),
    ("owner2@x.test", "owner", "Otto Owner"),
    ("hq@x.test", "hq", "Hal HQ"),
]
TWIN = """\
id: twin
title: Two service sections
version: 1
scenario: Visit twice.
sections:
  - id: phone
    title: Phone
    touchpoint: phone
    items:
      - {id: answered, text: Answered, type: yes_no}
  - id: desk
    title: Desk
    touchpoint: service
    weight: 1
    items:
      - {id: greeted, text: Greeted, type: yes_no, kind: service}
  - id: fitting
    title: Fitting room
    touchpoint: service
    weight: 3
    items:
      - {id: helped, text: Helped, type: yes_no, kind: service}
"""


async def make_audit(
    location: str,
    *,
    status: str = "approved",
    visit: str = "2026-03-10",
    overall: float | None = None,
    service: float | None = None,
    experience: float | None = None,
    nps: int | None = None,
    sections: dict[str, float | None] | None = None,
    items: dict[str, float] | None = None,
    checklist: str = "shop",
    version: int | None = None,
    submitted_days_ago: int = 1,
) -> Audit:
    """An audit row with its stored scores, as submission leaves them."""
    query = ChecklistVersion.filter(slug=checklist)
    query = query.filter(version=version) if version is not None else query.filter(is_current=True)
    cv = await query.first()
    assert cv is not None
    definition: dict[str, Any] = cv.definition
    layout = {s["id"]: (s["touchpoint"], float(s["weight"])) for s in definition["sections"]}
    day = date.fromisoformat(visit)
    visited = datetime(day.year, day.month, day.day, 11, 0, tzinfo=UTC)
    audit = await Audit.create(
        uuid=new_uuid(),
        auditor=await User.get(email="auditor@x.test"),
        location=await Location.get(code=location),
        checklist=cv,
        checklist_slug=cv.slug,
        status=status,
        visited_at=visited,
        visit_date=day,
        submitted_at=datetime.now(UTC) - timedelta(days=submitted_days_ago),
        overall=overall,
        service=service,
        experience=experience,
        nps=nps,
    )
    for section_id, score in (sections or {}).items():
        touchpoint, weight = layout[section_id]
        await SectionScore.create(
            audit=audit, section_id=section_id, touchpoint=touchpoint, weight=weight, score=score
        )
    touchpoint_of = {i["id"]: s["touchpoint"] for s in definition["sections"] for i in s["items"]}
    for item_id, points in (items or {}).items():
        await ItemScore.create(
            audit=audit, item_id=item_id, touchpoint=touchpoint_of[item_id], points=points
        )
    return audit


async def import_yaml(tmp_path: Path, name: str, text: str) -> None:
    folder = tmp_path / f"checklists-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    (folder / f"{name}.yaml").write_text(text)
    found, problems = read_checklist_dir(folder)
    assert not problems, problems
    await import_checklists(found)


@functools.cache
def password_hash() -> str:
    # argon2 is slow on purpose: hash the test password once per run.
    return hash_password(PASSWORD)


async def seed_hq() -> None:
    """shop.yaml, S1 and S3 in the North, S2 in the South, and one user of each role."""
    found, problems = read_checklist_dir(SHOP.parent)
    assert not problems, problems
    await import_checklists(found)
    await add_location("S1", "Riverside Mall", "North")
    await add_location("S2", "Hillcrest Plaza", "South")
    await add_location("S3", "Lakeview Station", "North")
    for email, role, name in USERS:
        await User.create(email=email, role=role, name=name, password_hash=password_hash())
    await LocationOwner.create(
        user=await User.get(email="owner@x.test"), location=await Location.get(code="S1")
    )
    await LocationOwner.create(
        user=await User.get(email="owner2@x.test"), location=await Location.get(code="S2")
    )


@pytest.fixture
async def hq(app, db):
    await seed_hq()
    async with make_client(app) as client:
        yield await sign_in(client, "hq@x.test")


async def compare(hq: Session, **params: str) -> list[dict[str, Any]]:
    r = await hq.get("/api/compare", params={"checklist": "shop", **params})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    return rows


# ---- Means, NPS and which audits count


async def test_compare_means_and_nps_of_approved_audits_only(hq):
    await make_audit("S1", overall=80.0, service=70.0, experience=90.0, nps=10)
    await make_audit("S1", overall=70.0, service=None, experience=60.0, nps=9)
    await make_audit("S1", overall=None, service=40.0, experience=None, nps=6)
    await make_audit("S1", overall=90.0, service=90.0, experience=90.0, nps=7)
    # None of these count: not approved.
    await make_audit("S1", status="submitted", overall=0.0, nps=0)
    await make_audit("S1", status="returned", overall=0.0, nps=0)
    await make_audit("S1", status="draft", overall=0.0, nps=0)
    await make_audit("S2", overall=50.0, service=55.0, experience=45.0, nps=None)
    await make_audit("S3", status="submitted", overall=99.0, nps=10)  # no approved audit

    rows = await compare(hq)

    assert [r["code"] for r in rows] == ["S1", "S2"]
    s1, s2 = rows
    assert s1["name"] == "Riverside Mall" and s1["region"] == "North"
    assert s1["audits"] == 4
    assert s1["overall"] == pytest.approx((80 + 70 + 90) / 3)
    assert s1["service"] == pytest.approx((70 + 40 + 90) / 3)
    assert s1["experience"] == pytest.approx((90 + 60 + 90) / 3)
    # 10 and 9 promote, 6 detracts, 7 is passive: 100 x (2 - 1) / 4.
    assert s1["nps"] == pytest.approx(25.0)
    assert s2 == {
        **s2,
        "audits": 1,
        "overall": 50.0,
        "service": 55.0,
        "experience": 45.0,
        "nps": None,
        "region": "South",
    }


async def test_touchpoints_are_means_of_each_audits_touchpoint_score(hq):
    await make_audit(
        "S1", overall=70.0, sections={"phone": 80.0, "facilities": 60.0, "checkout": None}
    )
    await make_audit(
        "S1", overall=60.0, sections={"phone": 40.0, "facilities": None, "checkout": None}
    )
    await make_audit(
        "S2", overall=90.0, sections={"phone": 100.0, "facilities": 90.0, "checkout": 70.0}
    )

    s2, s1 = await compare(hq)

    assert s2["code"] == "S2" and s1["code"] == "S1"
    assert s1["touchpoints"] == {"phone": 60.0, "facilities": 60.0, "checkout": None}
    assert s2["touchpoints"] == {"phone": 100.0, "facilities": 90.0, "checkout": 70.0}


async def test_two_sections_on_one_touchpoint_count_each_audit_once(hq, tmp_path):
    await import_yaml(tmp_path, "twin", TWIN)
    # Audit A: desk 100 (weight 1), fitting 0 (weight 3) -> service 25.
    await make_audit("S1", checklist="twin", overall=40.0, sections={"desk": 100.0, "fitting": 0.0})
    # Audit B: desk not scored, fitting 80 -> service 80.
    await make_audit(
        "S1",
        checklist="twin",
        overall=80.0,
        sections={"desk": None, "fitting": 80.0, "phone": 50.0},
    )

    (row,) = await compare(hq, checklist="twin")

    # (25 + 80) / 2; pooling the sections would give 60 or 48.6 instead.
    assert row["touchpoints"]["service"] == pytest.approx(52.5)
    assert row["touchpoints"]["phone"] == pytest.approx(50.0)
    r = await hq.get("/api/heatmap", params={"checklist": "twin", "group": "region"})
    assert r.json()["rows"][0]["touchpoints"]["service"] == pytest.approx(52.5)


async def test_only_locations_with_approved_audits_appear_best_first_nulls_last(hq):
    await add_location("S0", "Ashford Plaza", "South")
    await make_audit("S3", overall=70.0)
    await make_audit("S2", overall=None, service=50.0)
    await make_audit("S1", overall=70.0)
    await make_audit("S0", overall=95.0)

    rows = await compare(hq)

    assert [r["code"] for r in rows] == ["S0", "S1", "S3", "S2"]
    # One visit each, below AUDIT_MIN_VISITS: listed in league order, not ranked.
    assert [(r["rank"], r["ranked"]) for r in rows] == [(None, False)] * 4


# ---- Filters


async def test_region_and_inclusive_date_filters(hq):
    await make_audit("S1", visit="2026-02-28", overall=10.0)
    await make_audit("S1", visit="2026-03-01", overall=60.0)
    await make_audit("S1", visit="2026-03-31", overall=80.0)
    await make_audit("S1", visit="2026-04-01", overall=10.0)
    await make_audit("S2", visit="2026-03-15", overall=50.0)
    await make_audit("S3", visit="2026-03-15", overall=90.0)

    march = await compare(hq, **{"from": "2026-03-01", "to": "2026-03-31"})
    north = await compare(hq, region="North", **{"from": "2026-03-01", "to": "2026-03-31"})
    since = await compare(hq, **{"from": "2026-04-01"})
    until = await compare(hq, to="2026-02-28")

    assert [(r["code"], r["audits"], r["overall"]) for r in march] == [
        ("S3", 1, 90.0),
        ("S1", 2, 70.0),
        ("S2", 1, 50.0),
    ]
    assert [r["code"] for r in north] == ["S3", "S1"]
    assert [(r["code"], r["overall"]) for r in since] == [("S1", 10.0)]
    assert [(r["code"], r["overall"]) for r in until] == [("S1", 10.0)]


async def test_version_filter_and_only_the_named_checklist_is_compared(hq, tmp_path):
    await import_yaml(tmp_path, "shop", SHOP.read_text().replace("version: 1", "version: 2"))
    await import_yaml(tmp_path, "twin", TWIN)
    await make_audit("S1", version=1, overall=60.0)
    await make_audit("S1", version=2, overall=80.0)
    await make_audit("S2", version=2, overall=70.0)
    await make_audit("S2", checklist="twin", overall=10.0)

    every = await compare(hq)
    v1 = await compare(hq, version="1")
    v2 = await compare(hq, version="2")

    assert [(r["code"], r["audits"], r["overall"]) for r in every] == [
        ("S1", 2, 70.0),
        ("S2", 1, 70.0),
    ]
    assert [(r["code"], r["overall"]) for r in v1] == [("S1", 60.0)]
    assert [(r["code"], r["overall"]) for r in v2] == [("S1", 80.0), ("S2", 70.0)]
    r = await hq.get("/api/compare", params={"checklist": "shop", "version": "7"})
    assert r.status_code == 404
    assert "version 7" in r.json()["error"]


async def test_bad_filters_name_the_field(hq):
    cases = [
        ({}, 422, "checklist"),
        ({"checklist": ""}, 422, "checklist"),
        ({"checklist": "shop", "from": "2026-13-01"}, 422, "from"),
        ({"checklist": "shop", "to": "yesterday"}, 422, "to"),
        ({"checklist": "shop", "from": "2026-03-02", "to": "2026-03-01"}, 422, "to"),
        ({"checklist": "shop", "version": "two"}, 422, "version"),
        ({"checklist": "shop", "region": "Atlantis"}, 422, "region"),
    ]
    for params, status, field in cases:
        for path in ("/api/compare", "/api/compare.csv", "/api/compare.xlsx", "/api/heatmap"):
            r = await hq.get(path, params=params)
            assert r.status_code == status, (path, params, r.text)
            assert field in r.json()["fields"], (path, params, r.json())
    r = await hq.get("/api/compare", params={"checklist": "no-such-list"})
    assert r.status_code == 404
    assert r.json()["error"] == "no checklist 'no-such-list'"
    r = await hq.get("/api/compare", params={"from": "bad"})
    assert set(r.json()["fields"]) == {"checklist", "from"}


async def test_change_against_the_previous_wave(hq):
    await make_audit("S1", visit="2026-02-10", overall=60.0)
    await make_audit("S1", visit="2026-02-20", overall=70.0)
    await make_audit("S1", visit="2026-03-05", overall=80.0)
    await make_audit("S2", visit="2026-03-05", overall=50.0)  # no February audit

    rows = await compare(hq, **{"from": "2026-03-01", "to": "2026-03-31"})

    by_code = {r["code"]: r for r in rows}
    assert by_code["S1"]["previous_overall"] == 65.0
    assert by_code["S1"]["change"] == 15.0
    assert by_code["S2"]["previous_overall"] is None and by_code["S2"]["change"] is None
    assert all(r["change"] is None for r in await compare(hq))


# ---- Heat map, trends, weakest items


async def test_heatmap_rolls_regions_up_by_audits_and_marks_the_weakest(hq):
    await make_audit("S1", overall=80.0, sections={"phone": 40.0, "facilities": 90.0})
    await make_audit("S3", overall=60.0, sections={"phone": 60.0, "facilities": 70.0})
    await make_audit("S3", overall=70.0, sections={"phone": 50.0, "facilities": 80.0})
    await make_audit("S2", overall=90.0, sections={"phone": 95.0, "facilities": 60.0})

    r = await hq.get("/api/heatmap", params={"checklist": "shop", "group": "region"})

    assert r.status_code == 200, r.text
    data = r.json()
    assert [t["id"] for t in data["touchpoints"]] == ["phone", "facilities", "checkout"]
    north, south = data["rows"]
    assert north["name"] == "North" and north["audits"] == 3
    # Three audits, not two locations: (40 + 60 + 50) / 3, not (40 + 55) / 2.
    assert north["touchpoints"]["phone"] == pytest.approx(50.0)
    assert north["overall"] == pytest.approx(70.0)
    assert north["weakest"] == "phone"
    assert south["weakest"] == "facilities"
    assert data["chain"]["audits"] == 4
    assert data["chain"]["touchpoints"]["phone"] == pytest.approx((40 + 60 + 50 + 95) / 4)
    by_location = (await hq.get("/api/heatmap", params={"checklist": "shop"})).json()
    assert [row["key"] for row in by_location["rows"]] == ["S2", "S1", "S3"]
    r = await hq.get("/api/heatmap", params={"checklist": "shop", "group": "brand"})
    assert r.status_code == 422 and "group" in r.json()["fields"]


async def test_trends_by_month_per_location_region_brand_and_chain(hq):
    await make_audit("S1", visit="2026-01-15", overall=60.0, nps=10)
    await make_audit("S1", visit="2026-03-02", overall=70.0, nps=3)
    await make_audit("S1", visit="2026-03-30", overall=80.0, nps=9)
    await make_audit("S2", visit="2026-03-10", overall=40.0)

    async def months(**params: str) -> list[dict[str, Any]]:
        r = await hq.get("/api/trends", params={"checklist": "shop", **params})
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()["months"]
        return found

    s1 = await months(location="S1")
    assert [(m["month"], m["audits"], m["overall"]) for m in s1] == [
        ("2026-01", 1, 60.0),
        ("2026-02", 0, None),
        ("2026-03", 2, 75.0),
    ]
    assert s1[2]["nps"] == pytest.approx(0.0)
    chain = await months()
    assert chain[-1]["audits"] == 3 and chain[-1]["overall"] == pytest.approx(190 / 3)
    assert [m["overall"] for m in await months(region="South")] == [40.0]
    assert [m["audits"] for m in await months(brand="Audit")] == [1, 0, 3]
    window = await months(**{"from": "2025-12-01", "to": "2026-02-28"})
    assert [m["month"] for m in window] == ["2025-12", "2026-01", "2026-02"]
    assert (
        await hq.get("/api/trends", params={"checklist": "shop", "location": "ZZ"})
    ).status_code == 404


async def test_weakest_items_fail_most_often_by_region(hq):
    # restroom: 0 and 0.5 in the North, 0 in the South -> fails 2 of 3.
    await make_audit("S1", items={"restroom": 0.0, "answered": 1.0, "clean": 0.25})
    await make_audit("S3", items={"restroom": 0.5, "answered": 1.0, "clean": 0.75})
    await make_audit("S2", items={"restroom": 0.0, "answered": 0.0, "clean": 1.0})
    await make_audit("S2", status="submitted", items={"clean": 0.0, "answered": 0.0})

    r = await hq.get("/api/weakest-items", params={"checklist": "shop"})

    assert r.status_code == 200, r.text
    items = r.json()
    assert [i["item"] for i in items] == ["restroom", "answered", "clean"]
    restroom = items[0]
    assert restroom["text"] == "How staff responded"
    assert restroom["touchpoint"] == "facilities"
    assert (restroom["answered"], restroom["failed"]) == (3, 2)
    assert restroom["fail_rate"] == pytest.approx(2 / 3)
    assert restroom["regions"]["North"] == {"answered": 2, "failed": 1, "fail_rate": 0.5}
    assert restroom["regions"]["South"]["fail_rate"] == 1.0
    north = (
        await hq.get("/api/weakest-items", params={"checklist": "shop", "region": "North"})
    ).json()
    assert [i["item"] for i in north] == ["restroom", "clean", "answered"]


# ---- Exports


async def test_compare_csv_parses_back_to_the_json(hq):
    await make_audit(
        "S1", overall=81.25, service=75.0, experience=90.0, nps=9, sections={"phone": 62.5}
    )
    await make_audit("S2", overall=None, service=None, experience=None, nps=None)
    await add_location("S4", '=HYPERLINK("x")', "North")
    await make_audit("S4", overall=1 / 3)

    rows = await compare(hq)
    r = await hq.get("/api/compare.csv", params={"checklist": "shop"})

    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(r.text)))
    assert [line["code"] for line in lines] == [row["code"] for row in rows]
    for line, row in zip(lines, rows, strict=True):
        assert int(line["audits"]) == row["audits"]
        for key in ("overall", "service", "experience", "nps"):
            assert (float(line[key]) if line[key] else None) == row[key]
        for tp, value in row["touchpoints"].items():
            cell = line[f"touchpoints.{tp}"]
            assert (float(cell) if cell else None) == value
    # A name that looks like a formula stays text in a spreadsheet.
    assert lines[1]["name"] == '\'=HYPERLINK("x")'


async def test_compare_xlsx_parses_back_to_the_json(hq):
    from openpyxl import load_workbook

    await make_audit(
        "S1", overall=81.25, service=75.0, experience=90.0, nps=9, sections={"phone": 62.5}
    )
    await make_audit("S2", overall=55.5, nps=2)
    await add_location("S4", "=1+1", "North")
    await make_audit("S4", overall=10.0)

    rows = await compare(hq)
    r = await hq.get("/api/compare.xlsx", params={"checklist": "shop"})

    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    table = [list(values) for values in sheet.iter_rows(values_only=True)]
    head, body = table[0], table[1:]
    assert head[:8] == [
        "code",
        "name",
        "region",
        "audits",
        "overall",
        "service",
        "experience",
        "nps",
    ]
    # Read-only sheets drop trailing empty cells.
    got = [dict(zip(head, [*values, *[None] * len(head)], strict=False)) for values in body]
    assert [g["code"] for g in got] == [row["code"] for row in rows]
    for g, row in zip(got, rows, strict=True):
        assert g["overall"] == row["overall"] and g["nps"] == row["nps"]
        assert g["touchpoints.phone"] == row["touchpoints"]["phone"]
    assert got[-1]["name"] == "=1+1"  # text, not a formula


async def test_audits_export_has_every_audit_with_its_touchpoint_scores(hq, tmp_path):
    await import_yaml(tmp_path, "twin", TWIN)
    a = await make_audit("S1", overall=75.0, nps=8, sections={"phone": 50.0, "facilities": None})
    b = await make_audit(
        "S2",
        checklist="twin",
        overall=40.0,
        sections={"desk": 100.0, "fitting": 0.0, "phone": 70.0},
    )
    c = await make_audit("S3", status="submitted", overall=20.0)
    d = await make_audit("S1", status="draft")

    r = await hq.get("/api/audits.csv")
    assert r.status_code == 200
    approved = list(csv.DictReader(io.StringIO(r.text)))
    r = await hq.get("/api/audits.csv", params={"status": "all"})
    everything = list(csv.DictReader(io.StringIO(r.text)))
    r = await hq.get("/api/audits.csv", params={"checklist": "shop", "status": "all"})
    shop_only = list(csv.DictReader(io.StringIO(r.text)))

    assert [x["uuid"] for x in approved] == [a.uuid, b.uuid]
    assert [x["uuid"] for x in everything] == [a.uuid, b.uuid, c.uuid, d.uuid]
    assert [x["uuid"] for x in shop_only] == [a.uuid, c.uuid, d.uuid]
    first, second = approved
    assert first["location"] == "S1" and first["region"] == "North"
    assert first["auditor"] == "Ann Auditor"
    assert first["checklist"] == "shop" and first["checklist_version"] == "1"
    assert first["visit_date"] == "2026-03-10" and first["status"] == "approved"
    assert float(first["overall"]) == 75.0 and first["nps"] == "8" and first["service"] == ""
    assert float(first["touchpoints.phone"]) == 50.0 and first["touchpoints.facilities"] == ""
    # desk 100 (weight 1) and fitting 0 (weight 3) share the service touchpoint.
    assert float(second["touchpoints.service"]) == 25.0
    assert float(second["touchpoints.phone"]) == 70.0
    r = await hq.get("/api/audits.csv", params={"location": "S1", "status": "all"})
    assert [x["uuid"] for x in csv.DictReader(io.StringIO(r.text))] == [a.uuid, d.uuid]
    r = await hq.get("/api/audits.csv", params={"status": "lost"})
    assert r.status_code == 422 and "status" in r.json()["fields"]
    assert (await hq.get("/api/audits.csv", params={"location": "ZZ"})).status_code == 404


async def test_audits_export_streams_in_chunks(hq, monkeypatch):
    from audit.routes import exports

    monkeypatch.setattr(exports, "EXPORT_CHUNK", 3)
    made = [
        await make_audit("S1", overall=float(n), sections={"phone": float(n)}) for n in range(8)
    ]

    r = await hq.get("/api/audits.csv", params={"checklist": "shop", "from": "2026-01-01"})

    lines = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["uuid"] for x in lines] == [a.uuid for a in made]
    assert [float(x["touchpoints.phone"]) for x in lines] == [float(n) for n in range(8)]


async def test_audits_export_as_xlsx(hq):
    from openpyxl import load_workbook

    a = await make_audit("S1", overall=75.0, sections={"phone": 50.0})

    r = await hq.get("/api/audits.xlsx", params={"checklist": "shop"})

    assert r.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(r.content), read_only=True).active.iter_rows(values_only=True)
    )
    head = rows[0]
    got = dict(zip(head, [*rows[1], *[None] * len(head)], strict=False))
    assert got["uuid"] == a.uuid and got["overall"] == 75.0 and got["touchpoints.phone"] == 50.0


# ---- Review queue


async def test_review_queue_is_oldest_first_and_review_is_recorded(hq, app):
    old = await make_audit("S1", status="submitted", submitted_days_ago=5, overall=50.0)
    new = await make_audit("S2", status="submitted", submitted_days_ago=1, overall=60.0)
    await make_audit("S3", status="approved")

    r = await hq.get("/api/review-queue")
    assert r.status_code == 200
    data = r.json()
    assert data["total"] == 2
    assert [a["uuid"] for a in data["audits"]] == [old.uuid, new.uuid]
    assert data["audits"][0]["auditor"] == "Ann Auditor"
    assert data["audits"][0]["region"] == "North"

    r = await hq.post(
        f"/api/audits/{old.uuid}/review", json={"decision": "return", "note": "Add the photo"}
    )
    assert r.status_code == 200, r.text
    r = await hq.post(f"/api/audits/{new.uuid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200, r.text
    assert (await hq.get("/api/review-queue")).json() == {"total": 0, "audits": []}
    history = (await hq.get(f"/api/audits/{old.uuid}")).json()["review_history"]
    assert [(e["action"], e["note"], e["by"]) for e in history] == [
        ("return", "Add the photo", "Hal HQ")
    ]
    assert history[0]["at"]
    async with make_client(app) as other:
        owner = await sign_in(other, "owner2@x.test")
        view = (await owner.get(f"/api/audits/{new.uuid}")).json()
        assert "review_history" not in view and "auditor" not in view


async def test_a_submitted_audit_counts_once_approved(hq, app):
    answers = {
        "answered": {"value": True},
        "rings": {"value": 4},
        "needed_restroom": {"value": True},
        "restroom": {"value": "after_asking"},
        "clean": {"value": 4},
        "recommend": {"value": 9},
    }
    uid = new_uuid()
    async with make_client(app) as other:
        auditor = await sign_in(other, "auditor@x.test")
        body = {
            "checklist": "shop",
            "location": "S1",
            "visited_at": "2026-03-04T10:00:00Z",
            "answers": answers,
        }
        r = await auditor.post(f"/api/audits/{uid}/submit", json=body)
        assert r.status_code == 200, r.text
        card = r.json()["scorecard"]
    assert await compare(hq) == []

    r = await hq.post(f"/api/audits/{uid}/review", json={"decision": "approve", "note": ""})
    assert r.status_code == 200

    (row,) = await compare(hq)
    assert row["overall"] == pytest.approx(card["overall"])
    assert row["service"] == pytest.approx(card["service"])
    assert row["nps"] == 100.0
    assert row["touchpoints"] == pytest.approx(card["touchpoints"])


# ---- Role boundaries

HQ_API = [
    "/api/compare?checklist=shop",
    "/api/compare.csv?checklist=shop",
    "/api/compare.xlsx?checklist=shop",
    "/api/heatmap?checklist=shop",
    "/api/trends?checklist=shop",
    "/api/weakest-items?checklist=shop",
    "/api/review-queue",
    "/api/audits.csv",
    "/api/audits.xlsx",
]


@pytest.mark.parametrize("email", ["auditor@x.test", "owner@x.test"])
async def test_auditors_and_owners_get_404_on_every_hq_endpoint(hq, app, email):
    await make_audit("S1", overall=70.0)
    async with make_client(app) as other:
        who = await sign_in(other, email)
        for path in HQ_API:
            r = await who.get(path)
            assert r.status_code == 404, (email, path)
            assert r.json() == {"error": "not found", "fields": {}}
        # Even a bad query is not reported: the endpoint does not exist for them.
        assert (await who.get("/api/compare")).status_code == 404


async def test_hq_endpoints_need_a_session(app, db):
    async with make_client(app) as anonymous:
        for path in HQ_API:
            assert (await anonymous.get(path)).status_code == 401, path
